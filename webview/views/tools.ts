// Tools & errors: per-tool calls, success and latency (MCP tools by server and tool); API errors.
import { h, simpleTable } from '../dom';
import { formatCount } from '../../src/core/format/numbers';
import { errorTables, toolTable } from '../model';
import { request } from '../host';
import type { ViewContext } from './context';

export async function renderTools(root: HTMLElement, ctx: ViewContext): Promise<void> {
  const { tools, errors } = await request('tools/get', { range: { key: ctx.range } });
  if (!ctx.isCurrent()) return;
  const t = toolTable(tools.tools);
  const [byStatus, recent] = errorTables(errors);
  const tile = (id: string, label: string, v: number) => h('div', { class: 'tile', 'data-testid': `tile-${id}` }, h('div', { class: 'tile-label' }, label), h('div', { class: 'tile-value' }, formatCount(v)));
  root.append(
    h('h2', { class: 'visually-hidden' }, 'Tools and errors'),
    simpleTable(t.caption, t.head, t.rows, t.align, 'tools-table'),
    h('section', { class: 'tiles', 'aria-label': 'API errors' }, tile('errors-total', 'API errors', errors.total), tile('errors-exhausted', 'Retries exhausted', errors.retriesExhausted), tile('errors-refusals', 'Refusals', errors.refusals)),
    h('div', { class: 'tables' }, simpleTable(byStatus.caption, byStatus.head, byStatus.rows, byStatus.align, 'errors-status')),
    // Full width: six columns with a free-text message do not fit a grid cell.
    simpleTable(recent.caption, recent.head, recent.rows, recent.align, 'errors-recent'),
  );
}
