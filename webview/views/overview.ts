// Overview: the range's headline (cost, sparkline, change against the period before), the range's
// figures apart from the fixed periods ending now, plan limits, and the four charts, each with its
// table alternative or, when it would say nothing, one sentence instead.
import { drawChart, type ChartKind, type ValueKind } from '../charts';
import { formatForwardLine } from '../../src/core/format/numbers';
import { append, h, simpleTable } from '../dom';
import { costByRepoChart, costPerBucketChart, estimatesNote, fixedTiles, modelMixChart, overviewHeadline, rangeTiles, RANGE_PHRASES, RANGE_TITLES, tokensPerBucketChart, type ChartModel, type Tile } from '../model';
import { request, runAction } from '../host';
import type { ViewContext } from './context';
import { blockRows, limitTiles } from '../limitsModel';

/** A chart with its table alternative, or, when the chart would say nothing, its one sentence (no canvas). */
function chartFigure(ctx: ViewContext, id: string, kind: ChartKind, model: ChartModel, value: ValueKind): HTMLElement {
  if (model.statement !== null) {
    return h(
      'figure',
      { class: 'chart chart-statement', 'data-testid': `chart-${id}` },
      h('figcaption', null, model.title),
      h('p', { class: 'statement', 'data-testid': 'statement' }, model.statement),
      model.table.rows.length
        ? h('details', { class: 'alt' }, h('summary', null, 'Show as table'), simpleTable(model.title, model.table.head, model.table.rows, model.table.head.map((_, i) => (i === 0 ? 'start' : 'end'))))
        : null,
    );
  }
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

const SVG = 'http://www.w3.org/2000/svg';

/** The headline's sparkline: an SVG polyline of cost per bucket (no chart library, no inline style). */
function sparkline(values: number[], label: string): SVGSVGElement {
  const w = 160;
  const hgt = 36;
  const max = Math.max(...values, 0);
  const n = Math.max(values.length - 1, 1);
  const pts = values.map((v, i) => `${((i / n) * w).toFixed(1)},${(hgt - 2 - (max > 0 ? (v / max) * (hgt - 4) : 0)).toFixed(1)}`).join(' ');
  const svg = document.createElementNS(SVG, 'svg');
  svg.setAttribute('viewBox', `0 0 ${w} ${hgt}`);
  svg.setAttribute('class', 'spark');
  svg.setAttribute('role', 'img');
  svg.setAttribute('aria-label', label);
  svg.setAttribute('preserveAspectRatio', 'none');
  const line = document.createElementNS(SVG, 'polyline');
  line.setAttribute('points', values.length === 1 ? `0,${pts.split(',')[1]} ${w},${pts.split(',')[1]}` : pts);
  line.setAttribute('class', 'spark-line');
  svg.append(line);
  return svg;
}

function tileEl(t: Tile): HTMLElement {
  return h('div', { class: 'tile', 'data-testid': `tile-${t.id}` }, h('div', { class: 'tile-label' }, t.label), h('div', { class: 'tile-value' }, t.value), t.detail ? h('div', { class: 'tile-detail' }, t.detail) : null);
}

/** Plan limits (status line snapshots, with their age) and the 5-hour activity blocks of the last day. */
function limitsSection(d: Awaited<ReturnType<typeof request<'limits/get'>>>): HTMLElement {
  return h(
    'section',
    { class: 'limits group', 'aria-labelledby': 'group-limits', 'data-testid': 'limits' },
    h('h3', { id: 'group-limits', class: 'group-title' }, 'Plan limits · from Claude Code\'s status line'),
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
  const cs = o.costSeries;
  const note = estimatesNote(o.summary);
  const head = overviewHeadline(o, ctx.range);
  append(root, [
    h('h2', { class: 'visually-hidden' }, 'Overview'),
    h(
      'section',
      { class: 'headline', 'aria-label': 'Cost in the range', 'data-testid': 'headline' },
      h(
        'div',
        { class: 'headline-text' },
        h('div', { class: 'tile-label' }, head.label),
        h('div', { class: 'headline-value', 'data-testid': 'headline-value' }, head.value),
        head.change ? h('div', { class: `headline-change change-${head.direction}`, 'data-testid': 'headline-change' }, head.change) : null,
        head.detail ? h('div', { class: 'tile-detail' }, head.detail) : null,
      ),
      // A flat line says nothing: no sparkline for a range without cost.
      head.spark.some((v) => v > 0) ? sparkline(head.spark, head.sparkLabel) : null,
    ),
    h(
      'section',
      { class: 'group group-range', 'aria-labelledby': 'group-range', 'data-testid': 'group-range' },
      h('h3', { id: 'group-range', class: 'group-title' }, `In this range · ${RANGE_TITLES[ctx.range]}`),
      h('div', { class: 'tiles' }, ...rangeTiles(o).map(tileEl)),
    ),
    h(
      'section',
      { class: 'group group-fixed', 'aria-labelledby': 'group-fixed', 'data-testid': 'group-fixed' },
      h('h3', { id: 'group-fixed', class: 'group-title' }, 'Up to now · these do not follow the range'),
      h('div', { class: 'tiles' }, ...fixedTiles(o).map(tileEl)),
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
    // A range without any request: one sentence for the four charts, none of them drawn.
    o.summary.requests === 0 && !cs.points.length
      ? h('p', { class: 'statement no-activity', 'data-testid': 'statement' }, `No activity ${RANGE_PHRASES[ctx.range]}.`)
      : h(
          'section',
          { class: 'charts', 'aria-label': 'Charts' },
          chartFigure(ctx, 'cost', 'stackedBar', costPerBucketChart(cs, ctx.range), 'usd'),
          chartFigure(ctx, 'tokens', 'stackedBar', tokensPerBucketChart(cs, ctx.range), 'count'),
          chartFigure(ctx, 'models', 'doughnut', modelMixChart(o.summary, ctx.range), 'usd'),
          chartFigure(ctx, 'repos', 'horizontalBar', costByRepoChart(cs, ctx.range), 'usd'),
        ),
  ]);
}
