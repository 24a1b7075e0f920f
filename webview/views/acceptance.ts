// Acceptance: your decisions apart from auto-approvals (config rules, hooks), then by tool, language, source.
import { h, simpleTable } from '../dom';
import { formatPercent } from '../../src/core/format/numbers';
import { acceptanceTables } from '../model';
import { request } from '../host';
import type { ViewContext } from './context';

export async function renderAcceptance(root: HTMLElement, ctx: ViewContext): Promise<void> {
  const a = await request('acceptance/get', { range: { key: ctx.range } });
  if (!ctx.isCurrent()) return;
  const tile = (id: string, label: string, r: { accepts: number; rejects: number; rate: number | null }, detail: string) =>
    h('div', { class: 'tile', 'data-testid': `tile-${id}` }, h('div', { class: 'tile-label' }, label), h('div', { class: 'tile-value' }, formatPercent(r.rate)), h('div', { class: 'tile-detail' }, r.accepts + r.rejects === 0 ? `None in this range. ${detail}` : `${r.accepts} accepted · ${r.rejects} rejected. ${detail}`));
  root.append(
    h('h2', { class: 'visually-hidden' }, 'Acceptance'),
    h(
      'section',
      { class: 'tiles', 'aria-label': 'Acceptance rates' },
      tile('accept-user', 'Your decisions', a.user, 'Tool uses Claude Code asked you about.'),
      tile('accept-auto', 'Automatic', a.auto, 'Decided by your settings rules or hooks, without asking you.'),
      tile('accept-overall', 'All decisions', a.overall, 'Yours and the automatic ones together.'),
    ),
    h('div', { class: 'tables' }, ...acceptanceTables(a).map((t, i) => simpleTable(t.caption, t.head, t.rows, t.align, ['accept-tool', 'accept-language', 'accept-source'][i]))),
  );
}
