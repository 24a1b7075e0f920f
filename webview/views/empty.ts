// Empty state: two lines on how data arrives, and the two ways to start it.
import { h } from '../dom';
import { runAction } from '../host';

export function renderEmpty(root: HTMLElement): void {
  root.append(
    h(
      'section',
      { class: 'empty', 'data-testid': 'empty', 'aria-labelledby': 'empty-title' },
      h('h2', { id: 'empty-title' }, 'No Claude Code activity yet'),
      h('p', null, 'Claude Code sends its usage over OpenTelemetry to this extension, on this machine only.'),
      h('p', null, 'Run claude in a terminal opened by VS Code, or set it up once for every terminal.'),
      h(
        'div',
        { class: 'actions' },
        h('vscode-button', { 'data-testid': 'empty-terminal', onclick: () => runAction('openReportingTerminal') }, 'Open a reporting terminal'),
        h('vscode-button', { secondary: true, 'data-testid': 'empty-setup', onclick: () => runAction('setupEverywhere') }, 'Set up everywhere'),
      ),
    ),
  );
}
