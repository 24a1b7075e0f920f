// Overview: spend tiles and the four charts, each with its table alternative.
import { drawChart, type ChartKind, type ValueKind } from '../charts';
import { formatForwardLine } from '../../src/core/format/numbers';
import { append, h, simpleTable } from '../dom';
import { costByRepoChart, costPerBucketChart, estimatesNote, modelMixChart, overviewTiles, tokensPerBucketChart, type ChartModel } from '../model';
import { request, runAction } from '../host';
import type { ViewContext } from './context';
import { blockRows, limitTiles } from '../limitsModel';

function chartFigure(ctx: ViewContext, id: string, kind: ChartKind, model: ChartModel, value: ValueKind): HTMLElement {
  const canvas = h('canvas', { id: `chart-${id}` });
  const fig = h(
    'figure',
    { class: `chart chart-${kind}`, 'data-testid': `chart-${id}` },
    h('figcaption', null, model.title),
    h('div', { class: 'canvas-box' }, canvas),
    h('details', { class: 'alt' }, h('summary', null, 'Show as table'), simpleTable(model.title, model.table.head, model.table.rows, model.table.head.map((_, i) => (i === 0 ? 'start' : 'end')))),
  );
  ctx.onMount(() => ctx.onDispose(drawChart(canvas, kind, model, ctx.palette(), value)));
  return fig;
}

/** Plan limits (status line snapshots, with their age) and the 5-hour activity blocks of the last day. */
function limitsSection(d: Awaited<ReturnType<typeof request<'limits/get'>>>): HTMLElement {
  return h(
    'section',
    { class: 'limits', 'aria-label': 'Plan limits and 5-hour blocks', 'data-testid': 'limits' },
    h(
      'div',
      { class: 'tiles' },
      ...limitTiles(d, Date.now()).map((t) =>
        h(
          'div',
          { class: `tile${t.level === 'ok' ? '' : ` tile-${t.level}`}`, 'data-testid': `tile-${t.id}` },
          h('div', { class: 'tile-label' }, t.label),
          h('div', { class: 'tile-value' }, t.value),
          t.detail ? h('div', { class: 'tile-detail' }, t.detail) : null,
        ),
      ),
    ),
    h(
      'details',
      { class: 'alt', 'data-testid': 'blocks' },
      h('summary', null, '5-hour activity blocks (last 24 hours)'),
      simpleTable('5-hour activity blocks', ['Start', 'End', 'Requests', 'Cost', 'Burn rate', 'Projected'], blockRows(d.recentBlocks), ['start', 'start', 'end', 'end', 'end', 'end']),
    ),
  );
}

export async function renderOverview(root: HTMLElement, ctx: ViewContext): Promise<void> {
  const [o, limits, status] = await Promise.all([
    request('overview/get', { range: { key: ctx.range } }),
    // An older leader window may not know the request: the overview still draws without it.
    request('limits/get', {}).catch(() => undefined),
    // Forwarding (leader's forwarder, via the status query); absent when off.
    request('status/get', {}).catch(() => undefined),
  ]);
  const forward = status?.forward;
  if (!ctx.isCurrent()) return;
  const tiles = overviewTiles(o);
  const cs = o.costSeries;
  const note = estimatesNote(o.summary);
  append(root, [
    h('h2', { class: 'visually-hidden' }, 'Overview'),
    h(
      'section',
      { class: 'tiles', 'aria-label': 'Key figures' },
      ...tiles.map((t) =>
        h('div', { class: 'tile', 'data-testid': `tile-${t.id}` }, h('div', { class: 'tile-label' }, t.label), h('div', { class: 'tile-value' }, t.value), t.detail ? h('div', { class: 'tile-detail' }, t.detail) : null),
      ),
    ),
    limits ? limitsSection(limits) : null,
    forward
      ? h('p', { class: `forward-line forward-${forward.state}`, role: 'status', 'data-testid': 'forward-line', title: forward.lastErrorAt ? `last error at ${forward.lastErrorAt}` : '' }, formatForwardLine(forward))
      : null,
    o.summary.unpricedModels.length
      ? h('p', { class: 'warn', role: 'note' }, `No price known for ${o.summary.unpricedModels.join(', ')}: their cost is not included.`)
      : null,
    note
      ? h(
          'p',
          { class: 'estimates-note', role: 'note', 'data-testid': 'estimates-note' },
          h('span', null, note),
          ' ',
          h('button', { class: 'link', type: 'button', 'data-testid': 'show-prices', onclick: () => runAction('showPrices') }, 'Show prices used'),
        )
      : null,
    h(
      'section',
      { class: 'charts', 'aria-label': 'Charts' },
      chartFigure(ctx, 'cost', 'stackedBar', costPerBucketChart(cs), 'usd'),
      chartFigure(ctx, 'tokens', 'stackedBar', tokensPerBucketChart(cs), 'count'),
      chartFigure(ctx, 'models', 'doughnut', modelMixChart(o.summary), 'usd'),
      chartFigure(ctx, 'repos', 'horizontalBar', costByRepoChart(cs), 'usd'),
    ),
  ]);
}
