// Productivity: Claude Code's team-dashboard figures (active time you vs Claude Code, commits, pull
// requests, lines, cost per active hour and per line changed, edit acceptance) over the range, per
// repository and per user/team where Claude Code reports them. A chart with nothing to draw is one
// line of text; an empty range is one line.
import { drawChart } from '../charts';
import { h, simpleTable } from '../dom';
import { request } from '../host';
import { RANGE_PHRASES } from '../model';
import {
  hasUserBreakdown, isEmptyProductivity, productivityCharts, productivityTiles, repoTable, sourcesNote, userTable, type ProductivityChart,
} from '../productivityModel';
import type { ViewContext } from './context';

function figure(ctx: ViewContext, c: ProductivityChart): HTMLElement {
  if (c.model.statement !== null) {
    return h(
      'figure',
      { class: 'chart chart-statement', 'data-testid': `chart-${c.id}` },
      h('figcaption', null, c.model.title),
      h('p', { class: 'statement', 'data-testid': 'statement' }, c.model.statement),
    );
  }
  const canvas = h('canvas', { id: `chart-${c.id}` });
  const m = c.model;
  ctx.onMount(() => ctx.onDispose(drawChart(canvas, c.kind, m, ctx.palette(), c.value)));
  return h(
    'figure',
    { class: `chart chart-${c.kind}`, 'data-testid': `chart-${c.id}` },
    h('figcaption', null, m.title),
    h('div', { class: 'canvas-box' }, canvas),
    h('details', { class: 'alt' }, h('summary', null, 'Show as table'), simpleTable(m.title, m.table.head, m.table.rows, m.table.head.map((_, i) => (i === 0 ? 'start' : 'end')))),
  );
}

function groupTable(caption: string, t: { head: string[]; rows: string[][]; more: number }, testId: string, textCols: number): HTMLElement {
  return h(
    'section',
    { class: 'group-table' },
    simpleTable(caption, t.head, t.rows, t.head.map((_, i) => (i < textCols ? 'start' : 'end')), testId),
    t.more > 0 ? h('p', { class: 'estimates-note' }, `${t.more} more not shown.`) : null,
  );
}

export async function renderProductivity(root: HTMLElement, ctx: ViewContext): Promise<void> {
  const d = await request('productivity/get', { range: { key: ctx.range } });
  if (!ctx.isCurrent()) return;
  root.append(h('h2', { class: 'visually-hidden' }, 'Productivity'));
  if (isEmptyProductivity(d)) {
    root.append(h('p', { class: 'statement no-activity', 'data-testid': 'productivity-empty' }, `No activity ${RANGE_PHRASES[ctx.range]}.`));
    return;
  }
  const note = sourcesNote(d);
  root.append(
    h(
      'section',
      { class: 'tiles', 'aria-label': 'Productivity figures' },
      ...productivityTiles(d).map((t) =>
        h('div', { class: 'tile', 'data-testid': `tile-${t.id}` }, h('div', { class: 'tile-label' }, t.label), h('div', { class: 'tile-value' }, t.value), t.detail ? h('div', { class: 'tile-detail' }, t.detail) : null),
      ),
    ),
    note ? h('p', { class: 'estimates-note', role: 'note', 'data-testid': 'productivity-sources' }, note) : '',
    h('section', { class: 'charts', 'aria-label': 'Productivity over time' }, ...productivityCharts(d).map((c) => figure(ctx, c))),
    h(
      'div',
      { class: 'productivity-tables' },
      groupTable('By repository', repoTable(d), 'productivity-repos', 1),
      hasUserBreakdown(d) ? groupTable('By user and team', userTable(d), 'productivity-users', 2) : null,
    ),
  );
}
