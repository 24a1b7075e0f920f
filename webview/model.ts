// DTO -> chart datasets and table rows. Pure (no DOM, no Chart.js), golden-tested under plain Node.
// The host computes every figure; these functions only reshape DTOs for drawing (pick, order, pivot
// points into series, format). The one pivot that adds numbers (tokens per bucket across models) sums
// points the host already aggregated per bucket and model, so the totals shown equal the DTO's.
import type {
  AcceptanceDto,
  ApiErrorsDto,
  CostSeriesDto,
  RateDto,
  SessionRowDto,
  SessionSort,
  SummaryDto,
  TimelinePromptDto,
  ToolStatDto,
  WaterfallSpanDto,
} from '../src/protocol/dto';
import { SESSION_SORTS } from '../src/protocol/dto';
import type { DashboardFileDto, OverviewDto, SortDirection } from '../src/protocol/messages';
import { formatCount, formatEstimatesNote, formatMs, formatPercent, formatPriceSources, formatUsd } from '../src/core/format/numbers';
import { formatBucket, formatClock, formatDateTime, shortId, shortModel, toolLabel } from './format';

/** One chart series; `colorIndex` picks a theme colour (charts.ts maps it to --vscode-charts-*). */
export interface SeriesModel {
  label: string;
  values: number[];
  colorIndex: number;
}

export interface ChartModel {
  /** Accessible summary, also the text alternative's caption. */
  title: string;
  labels: string[];
  series: SeriesModel[];
  /** The same numbers as a table: header cells, then one row per label. */
  table: { head: string[]; rows: string[][] };
}

/** Cost per bucket stacked by model; models ordered by their total cost so colours stay stable. */
export function costPerBucketChart(cs: CostSeriesDto): ChartModel {
  const buckets = [...new Set(cs.points.map((p) => p.bucket))].sort();
  const totals = new Map<string, number>();
  for (const p of cs.points) totals.set(p.model, (totals.get(p.model) ?? 0) + p.costUsd);
  const models = [...totals.keys()].sort((a, b) => totals.get(b)! - totals.get(a)! || a.localeCompare(b));
  const at = new Map(cs.points.map((p) => [`${p.bucket}\u0000${p.model}`, p.costUsd]));
  const labels = buckets.map((b) => formatBucket(b, cs.bucket));
  const series = models.map((m, i) => ({
    label: shortModel(m),
    values: buckets.map((b) => at.get(`${b}\u0000${m}`) ?? 0),
    colorIndex: i,
  }));
  return {
    title: `Cost per ${cs.bucket} by model`,
    labels,
    series,
    table: {
      head: [cs.bucket === 'hour' ? 'Hour' : 'Day', ...series.map((s) => s.label)],
      rows: labels.map((l, i) => [l, ...series.map((s) => formatUsd(s.values[i]))]),
    },
  };
}

const TOKEN_TYPES = [
  { key: 'input', label: 'Input' },
  { key: 'output', label: 'Output' },
  { key: 'cacheRead', label: 'Cache read' },
  { key: 'cacheCreation', label: 'Cache write' },
] as const;

/** Tokens per bucket stacked by type (pivot of the per-model points, see the file comment). */
export function tokensPerBucketChart(cs: CostSeriesDto): ChartModel {
  const buckets = [...new Set(cs.points.map((p) => p.bucket))].sort();
  const labels = buckets.map((b) => formatBucket(b, cs.bucket));
  const series = TOKEN_TYPES.map((t, i) => ({
    label: t.label,
    values: buckets.map((b) => cs.points.filter((p) => p.bucket === b).reduce((n, p) => n + p.tokens[t.key], 0)),
    colorIndex: i,
  }));
  return {
    title: `Tokens per ${cs.bucket} by type`,
    labels,
    series,
    table: {
      head: [cs.bucket === 'hour' ? 'Hour' : 'Day', ...series.map((s) => s.label)],
      rows: labels.map((l, i) => [l, ...series.map((s) => formatCount(s.values[i]))]),
    },
  };
}

/** Model mix by cost (doughnut): one series, one colour per model. */
export function modelMixChart(summary: SummaryDto): ChartModel {
  const models = [...summary.byModel].sort((a, b) => b.costUsd - a.costUsd);
  const share = (c: number) => (summary.costUsd > 0 ? c / summary.costUsd : null);
  return {
    title: 'Model mix by cost',
    labels: models.map((m) => shortModel(m.model)),
    series: [{ label: 'Cost', values: models.map((m) => m.costUsd), colorIndex: 0 }],
    table: {
      head: ['Model', 'Cost', 'Share', 'Requests'],
      rows: models.map((m) => [
        shortModel(m.model) + (m.unpriced ? ' (unpriced)' : ''),
        formatUsd(m.costUsd),
        formatPercent(share(m.costUsd)),
        formatCount(m.requests),
      ]),
    },
  };
}

export function costByRepoChart(cs: CostSeriesDto): ChartModel {
  const repos = [...cs.byRepo].sort((a, b) => b.costUsd - a.costUsd);
  return {
    title: 'Cost by repository',
    labels: repos.map((r) => r.repo),
    series: [{ label: 'Cost', values: repos.map((r) => r.costUsd), colorIndex: 0 }],
    table: { head: ['Repository', 'Cost'], rows: repos.map((r) => [r.repo, formatUsd(r.costUsd)]) },
  };
}

export interface Tile {
  id: string;
  label: string;
  value: string;
  detail?: string;
}

/** The overview's number tiles, in display order. */
export function overviewTiles(o: OverviewDto): Tile[] {
  const s = o.summary;
  const b = o.burnRate;
  const t = s.tokens;
  const budget =
    b.dailyBudgetUsd !== null && b.dailyBudgetRemainingUsd !== null
      ? `${formatUsd(b.dailyBudgetRemainingUsd)} of ${formatUsd(b.dailyBudgetUsd)} daily budget left`
      : undefined;
  return [
    { id: 'spend-today', label: 'Today', value: formatUsd(o.spend.today) },
    { id: 'spend-7d', label: 'Last 7 days', value: formatUsd(o.spend.last7d) },
    { id: 'spend-30d', label: 'Last 30 days', value: formatUsd(o.spend.last30d) },
    { id: 'spend-month', label: 'This month', value: formatUsd(o.spend.month) },
    {
      id: 'range-cost',
      label: 'Cost in range',
      value: formatUsd(s.costUsd),
      detail: s.costSource === 'estimated' ? 'estimated from tokens' : s.costSource === 'mixed' ? 'partly estimated from tokens' : undefined,
    },
    { id: 'requests', label: 'Requests', value: formatCount(s.requests), detail: `${formatCount(s.prompts)} prompts` },
    { id: 'sessions', label: 'Sessions', value: formatCount(s.sessions) },
    {
      id: 'tokens',
      label: 'Tokens',
      value: formatCount(t.input + t.output + t.cacheRead + t.cacheCreation),
      detail: `in ${formatCount(t.input)} · out ${formatCount(t.output)} · cache read ${formatCount(t.cacheRead)} · cache write ${formatCount(t.cacheCreation)}`,
    },
    {
      id: 'cache',
      label: 'Cache hit rate',
      value: formatPercent(s.cacheHitRate),
      detail: `saved ${formatUsd(s.cacheSavingsUsd)}`,
    },
    {
      id: 'burn',
      label: 'Burn rate',
      value: `${formatUsd(b.lastHourUsdPerHour)}/h`,
      detail: `forecast ${formatUsd(b.forecastTodayUsd)} today · ${formatUsd(b.forecastMonthUsd)} this month`,
    },
    {
      id: 'acceptance',
      label: 'Acceptance (your decisions)',
      value: formatPercent(o.acceptance.user.rate),
      detail: `${o.acceptance.user.accepts} accepted · ${o.acceptance.user.rejects} rejected; auto-approved ${o.acceptance.auto.accepts}`,
    },
    ...(budget ? [{ id: 'budget', label: 'Budget', value: formatUsd(b.dailyBudgetRemainingUsd ?? 0), detail: budget }] : []),
    {
      id: 'lines',
      label: 'Lines changed',
      value: `+${formatCount(s.linesAdded)} −${formatCount(s.linesRemoved)}`,
    },
  ];
}

// ---------- tables

export type Align = 'start' | 'end';
export interface Column<R> {
  key: string;
  label: string;
  align: Align;
  /** Raw value used for sorting. */
  sortValue: (r: R) => number | string;
  text: (r: R) => string;
}

export function sortRows<R>(rows: readonly R[], col: Column<R>, dir: SortDirection): R[] {
  const sign = dir === 'asc' ? 1 : -1;
  // Stable: ties keep the host's order.
  return rows
    .map((r, i) => ({ r, i, v: col.sortValue(r) }))
    .sort((a, b) => {
      const c = typeof a.v === 'number' && typeof b.v === 'number' ? a.v - b.v : String(a.v).localeCompare(String(b.v));
      return c !== 0 ? c * sign : a.i - b.i;
    })
    .map((x) => x.r);
}

export const SESSION_COLUMNS: Column<SessionRowDto>[] = [
  { key: 'start', label: 'Start', align: 'start', sortValue: (r) => r.start, text: (r) => formatDateTime(r.start) },
  { key: 'duration', label: 'Duration', align: 'end', sortValue: (r) => r.durationMs, text: (r) => formatMs(r.durationMs) },
  { key: 'repo', label: 'Repository', align: 'start', sortValue: (r) => r.repo ?? '', text: (r) => r.repo ?? '—' },
  { key: 'models', label: 'Models', align: 'start', sortValue: (r) => r.models.join(','), text: (r) => r.models.map(shortModel).join(', ') },
  { key: 'prompts', label: 'Prompts', align: 'end', sortValue: (r) => r.prompts, text: (r) => formatCount(r.prompts) },
  { key: 'requests', label: 'Requests', align: 'end', sortValue: (r) => r.requests, text: (r) => formatCount(r.requests) },
  {
    key: 'cost',
    label: 'Cost',
    align: 'end',
    sortValue: (r) => r.costUsd,
    text: (r) => formatUsd(r.costUsd) + (r.costSource === 'estimated' || r.costSource === 'mixed' ? ' *' : ''),
  },
  { key: 'lines', label: 'Lines +/−', align: 'end', sortValue: (r) => r.linesAdded + r.linesRemoved, text: (r) => `+${r.linesAdded} −${r.linesRemoved}` },
  { key: 'decisions', label: 'Accept/reject', align: 'end', sortValue: (r) => r.accepts - r.rejects, text: (r) => `${r.accepts}/${r.rejects}` },
];

/** Server-side sort key for a column, when the store can sort by it (so the top N is the right N). */
export function serverSortFor(key: string): SessionSort | undefined {
  return SESSION_SORTS.find((s) => s === key);
}

export const FILE_COLUMNS: Column<DashboardFileDto>[] = [
  { key: 'path', label: 'File', align: 'start', sortValue: (r) => r.displayPath, text: (r) => r.displayPath },
  { key: 'edits', label: 'Edits', align: 'end', sortValue: (r) => r.edits, text: (r) => formatCount(r.edits) },
  { key: 'accepts', label: 'Accepted', align: 'end', sortValue: (r) => r.accepts, text: (r) => formatCount(r.accepts) },
  { key: 'rejects', label: 'Rejected', align: 'end', sortValue: (r) => r.rejects, text: (r) => formatCount(r.rejects) },
  { key: 'lines', label: 'Lines +/−', align: 'end', sortValue: (r) => r.linesAdded + r.linesRemoved, text: (r) => `+${r.linesAdded} −${r.linesRemoved}` },
  { key: 'sessions', label: 'Sessions', align: 'end', sortValue: (r) => r.sessions, text: (r) => formatCount(r.sessions) },
  { key: 'last', label: 'Last edit', align: 'start', sortValue: (r) => r.lastEdited, text: (r) => formatDateTime(r.lastEdited) },
];

export interface SimpleTable {
  caption: string;
  head: string[];
  align: Align[];
  rows: string[][];
}

function rateTable(caption: string, first: string, rows: RateDto[]): SimpleTable {
  return {
    caption,
    head: [first, 'Accepted', 'Rejected', 'Rate'],
    align: ['start', 'end', 'end', 'end'],
    rows: rows.map((r) => [r.key, String(r.accepts), String(r.rejects), formatPercent(r.rate)]),
  };
}

/** Human names of Claude Code's decision sources. */
export function sourceLabel(source: string): string {
  switch (source) {
    case 'config':
      return 'settings rule (auto)';
    case 'hook':
      return 'hook (auto)';
    case 'user_temporary':
      return 'you, once';
    case 'user_permanent':
      return 'you, always';
    case 'user_abort':
      return 'you, aborted';
    case 'user_reject':
      return 'you, rejected';
    default:
      return source;
  }
}

export function acceptanceTables(a: AcceptanceDto): SimpleTable[] {
  return [
    rateTable('By tool', 'Tool', a.byTool),
    rateTable('By language', 'Language', a.byLanguage),
    {
      caption: 'By decision source',
      head: ['Source', 'Kind', 'Accepted', 'Rejected', 'Rate'],
      align: ['start', 'start', 'end', 'end', 'end'],
      rows: a.bySource.map((r) => [sourceLabel(r.key), r.auto ? 'auto' : 'user', String(r.accepts), String(r.rejects), formatPercent(r.rate)]),
    },
  ];
}

export function toolTable(tools: readonly ToolStatDto[]): SimpleTable {
  return {
    caption: 'Tool calls',
    head: ['Tool', 'Calls', 'Failures', 'Success', 'p50', 'p95'],
    align: ['start', 'end', 'end', 'end', 'end', 'end'],
    rows: tools.map((t) => [
      toolLabel(t.tool, t.mcpServer),
      formatCount(t.calls),
      formatCount(t.failures),
      formatPercent(t.successRate),
      formatMs(t.p50Ms),
      formatMs(t.p95Ms),
    ]),
  };
}

export function errorTables(e: ApiErrorsDto): SimpleTable[] {
  return [
    {
      caption: 'API errors by status',
      head: ['Status', 'Count'],
      align: ['start', 'end'],
      rows: e.byStatus.map((s) => [s.statusCode === null ? 'no status' : String(s.statusCode), formatCount(s.count)]),
    },
    {
      caption: 'Recent errors',
      head: ['Time', 'Kind', 'Model', 'Status', 'Attempt', 'Message'],
      align: ['start', 'start', 'start', 'end', 'end', 'start'],
      rows: e.recent.map((r) => [
        formatDateTime(r.time),
        r.kind === 'retries_exhausted' ? 'retries exhausted' : 'API error',
        r.model ? shortModel(r.model) : '—',
        r.statusCode === null ? '—' : String(r.statusCode),
        r.attempt === null ? '—' : String(r.attempt),
        r.message ?? '',
      ]),
    },
  ];
}

// ---------- session timeline

export type TimelineItemKind = 'request' | 'tool' | 'error';
export interface TimelineItem {
  kind: TimelineItemKind;
  time: string;
  clock: string;
  /** Short title: model, tool name, error status. */
  title: string;
  /** Details on one line. */
  detail: string;
  /** ok | failed | rejected | pending | error: drives the marker colour and its text. */
  status: 'ok' | 'failed' | 'rejected' | 'pending' | 'error';
  /** A file the item touched (tools), drawn as a link before `detail`. */
  filePath: string | null;
}

/** A prompt's requests, tools and errors in time order (ties: requests, tools, errors). */
export function timelineItems(p: TimelinePromptDto): TimelineItem[] {
  const items: (TimelineItem & { order: number })[] = [];
  for (const r of p.requests) {
    const t = r.tokens;
    items.push({
      kind: 'request',
      order: 0,
      time: r.time,
      clock: formatClock(r.time),
      title: shortModel(r.model),
      detail: [
        `${formatCount(t.input)} in · ${formatCount(t.output)} out · ${formatCount(t.cacheRead)} cache read · ${formatCount(t.cacheCreation)} cache write`,
        formatUsd(r.costUsd) + (r.estimated ? ' (estimated)' : ''),
        `took ${formatMs(r.durationMs)}`,
        r.ttftMs !== null ? `first token ${formatMs(r.ttftMs)}` : '',
        r.attempts !== null && r.attempts > 1 ? `${r.attempts} attempts` : '',
        r.querySource && r.querySource !== 'sdk' && r.querySource !== 'repl_main_thread' ? r.querySource : '',
      ]
        .filter(Boolean)
        .join(' · '),
      status: 'ok',
      filePath: null,
    });
  }
  for (const t of p.tools) {
    const rejected = t.decision === 'reject';
    const status: TimelineItem['status'] = rejected ? 'rejected' : t.success === false ? 'failed' : t.success === true ? 'ok' : 'pending';
    items.push({
      kind: 'tool',
      order: 1,
      time: t.time,
      clock: formatClock(t.time),
      title: toolLabel(t.tool),
      detail: [
        // The file is drawn apart (a link), so it is not repeated here.
        t.filePath ? '' : (t.command ?? ''),
        t.decision ? `${t.decision} by ${sourceLabel(t.decisionSource ?? 'unknown')}` : '',
        t.durationMs !== null ? formatMs(t.durationMs) : '',
        t.linesAdded !== null || t.linesRemoved !== null ? `+${t.linesAdded ?? 0} −${t.linesRemoved ?? 0}` : '',
        t.error ?? '',
      ]
        .filter(Boolean)
        .join(' · '),
      status,
      filePath: t.filePath,
    });
  }
  for (const e of p.errors) {
    items.push({
      kind: 'error',
      order: 2,
      time: e.time,
      clock: formatClock(e.time),
      title: e.kind === 'retries_exhausted' ? 'Retries exhausted' : `API error ${e.statusCode ?? ''}`.trim(),
      detail: [e.model ? shortModel(e.model) : '', e.attempt !== null ? `attempt ${e.attempt}` : '', e.message ?? ''].filter(Boolean).join(' · '),
      status: 'error',
      filePath: null,
    });
  }
  return items.sort((a, b) => a.time.localeCompare(b.time) || a.order - b.order).map(({ order: _o, ...rest }) => rest);
}

export interface WaterfallBar {
  spanId: string;
  label: string;
  type: 'interaction' | 'llm_request' | 'tool' | 'blocked' | 'execution' | 'other';
  /** Left edge and width as a percentage of the prompt's span (0..100). */
  leftPct: number;
  widthPct: number;
  depth: number;
  error: boolean;
  durationText: string;
}

function barType(t: string): WaterfallBar['type'] {
  switch (t) {
    case 'interaction':
    case 'llm_request':
    case 'tool':
      return t;
    case 'tool.blocked_on_user':
      return 'blocked';
    case 'tool.execution':
      return 'execution';
    default:
      return 'other';
  }
}

/** Bars of a prompt's waterfall, scaled to the longest end; nesting (subagents) kept as depth. */
export function waterfallBars(spans: readonly WaterfallSpanDto[]): WaterfallBar[] {
  if (spans.length === 0) return [];
  const start = Math.min(...spans.map((s) => s.startMs));
  const end = Math.max(...spans.map((s) => s.endMs));
  const total = Math.max(end - start, 1);
  const round = (n: number) => Math.round(n * 100) / 100;
  return spans.map((s) => ({
    spanId: s.spanId,
    label: s.label,
    type: barType(s.type),
    leftPct: round(((s.startMs - start) / total) * 100),
    // At least a sliver, so a 1 ms span stays visible and focusable.
    widthPct: Math.max(round(((s.endMs - s.startMs) / total) * 100), 0.5),
    depth: s.depth,
    error: s.error,
    durationText: formatMs(s.endMs - s.startMs),
  }));
}

/** The split the waterfall exists for: user wait vs tool execution vs model time. */
export function timeSplit(p: TimelinePromptDto): { label: string; ms: number | null; text: string }[] {
  return [
    { label: 'Waiting for you', ms: p.blockedOnUserMs, text: formatMs(p.blockedOnUserMs) },
    { label: 'Tool execution', ms: p.toolExecutionMs, text: formatMs(p.toolExecutionMs) },
    { label: 'Model', ms: p.modelMs, text: formatMs(p.modelMs) },
  ];
}

/**
 * The badge of a session whose cost is (partly) estimated from Claude Code's transcript, with the
 * tooltip naming the price sources; null for sessions Claude Code reported over telemetry.
 */
export function sessionSourceBadge(r: SessionRowDto): { text: string; tooltip: string } | null {
  if (r.source === 'otlp') return null;
  const prices = formatPriceSources(r.estimatesByPriceSource) || 'none held';
  if (r.source === 'transcript') return { text: 'transcript', tooltip: `Cost estimated from the transcript; prices: ${prices}` };
  return {
    text: 'partly transcript',
    tooltip: `Cost of ${formatCount(r.transcriptRequests)} of ${formatCount(r.requests)} requests estimated from the transcript; prices: ${prices}`,
  };
}

/** The overview's note on estimated requests, null when every request carries Claude Code's own cost. */
export function estimatesNote(s: SummaryDto): string | null {
  return formatEstimatesNote(s.requests, s.estimates);
}

export function sessionTitle(r: SessionRowDto): string {
  return `${r.repo ?? 'no repository'} · ${formatDateTime(r.start)} · ${shortId(r.sessionId)}`;
}
