// DTO -> chart datasets and table rows. Pure (no DOM, no Chart.js), golden-tested under plain Node.
// The host computes every figure; these functions only reshape DTOs for drawing (pick, order, pivot
// points into series, format). The one pivot that adds numbers (tokens per bucket across models) sums
// points the host already aggregated per bucket and model, so the totals shown equal the DTO's.
import type {
  RangeKey,
  SeriesBucket,
  AcceptanceDto,
  ApiErrorsDto,
  CostSeriesDto,
  RateDto,
  SessionRowDto,
  SessionsDto,
  SessionSort,
  SummaryDto,
  TimelinePromptDto,
  ToolStatDto,
  WaterfallSpanDto,
} from '../src/protocol/dto';
import { SESSION_SORTS, SESSION_TITLE_QUERY_SOURCE } from '../src/protocol/dto';
import type { DashboardFileDto, OverviewDto, SortDirection } from '../src/protocol/messages';
import { formatCount, formatEstimatesNote, formatMs, formatPercent, formatPriceSources, formatUsd } from '../src/core/format/numbers';
import { formatBucket, formatClock, formatDateTime, formatOffset, shortId, shortModel, toolLabel } from './format';

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
  /**
   * One sentence shown instead of the chart when a chart would say nothing (no data, one doughnut
   * slice, one bar); null when the chart is drawn.
   */
  statement: string | null;
}

/** How a range reads inside a sentence: "No activity yesterday", "No cost in the last 7 days". */
export const RANGE_PHRASES: Record<RangeKey, string> = {
  today: 'today',
  yesterday: 'yesterday',
  '7d': 'in the last 7 days',
  '30d': 'in the last 30 days',
  month: 'this month',
  all: 'yet',
};

/** The range picker's names ("Last 7 days"), also the range group's title on the overview. */
export const RANGE_TITLES: Record<RangeKey, string> = {
  today: 'Today',
  yesterday: 'Yesterday',
  '7d': 'Last 7 days',
  '30d': 'Last 30 days',
  month: 'This month',
  all: 'All time',
};

/** "the previous 7 days": what the headline compares a range with. */
const PREVIOUS_PHRASES: Record<RangeKey, string | null> = {
  today: 'yesterday',
  yesterday: 'the day before',
  '7d': 'the previous 7 days',
  '30d': 'the previous 30 days',
  month: 'the same number of days before this month',
  all: null,
};

const BUCKET_HEAD: Record<SeriesBucket, string> = { hour: 'Hour', day: 'Day', week: 'Week of' };

/** Cost per bucket stacked by model, every bucket of the range (zeros included); models by total cost. */
export function costPerBucketChart(cs: CostSeriesDto, range: RangeKey = 'all'): ChartModel {
  const totals = new Map<string, number>();
  for (const p of cs.points) totals.set(p.model, (totals.get(p.model) ?? 0) + p.costUsd);
  const models = [...totals.keys()].sort((a, b) => totals.get(b)! - totals.get(a)! || a.localeCompare(b));
  const at = new Map(cs.points.map((p) => [`${p.bucket}\u0000${p.model}`, p.costUsd]));
  const labels = cs.buckets.map((b) => formatBucket(b, cs.bucket));
  const series = models.map((m, i) => ({
    label: shortModel(m),
    values: cs.buckets.map((b) => at.get(`${b}\u0000${m}`) ?? 0),
    colorIndex: i,
  }));
  const any = cs.points.some((p) => p.costUsd > 0 || p.requests > 0);
  return {
    title: `Cost per ${cs.bucket} by model`,
    labels,
    series,
    table: {
      head: [BUCKET_HEAD[cs.bucket], ...series.map((s) => s.label)],
      rows: labels.flatMap((l, i) => (series.some((s) => s.values[i] !== 0) ? [[l, ...series.map((s) => formatUsd(s.values[i]))]] : [])),
    },
    statement: any ? null : `No activity ${RANGE_PHRASES[range]}.`,
  };
}

/**
 * Token types in stack order, bottom first. Output is drawn first and in purple: it is a few percent
 * of a bar that cache reads dominate, so on top of them it was a sliver in a pale colour.
 */
const TOKEN_TYPES = [
  { key: 'output', label: 'Output', colorIndex: 3 },
  { key: 'input', label: 'Input', colorIndex: 0 },
  { key: 'cacheCreation', label: 'Cache write', colorIndex: 1 },
  { key: 'cacheRead', label: 'Cache read', colorIndex: 2 },
] as const;

/** Tokens per bucket stacked by type (pivot of the per-model points, see the file comment). */
export function tokensPerBucketChart(cs: CostSeriesDto, range: RangeKey = 'all'): ChartModel {
  const labels = cs.buckets.map((b) => formatBucket(b, cs.bucket));
  const byBucket = new Map<string, CostSeriesDto['points']>();
  for (const p of cs.points) byBucket.set(p.bucket, [...(byBucket.get(p.bucket) ?? []), p]);
  const series = TOKEN_TYPES.map((t) => ({
    label: t.label,
    values: cs.buckets.map((b) => (byBucket.get(b) ?? []).reduce((n, p) => n + p.tokens[t.key], 0)),
    colorIndex: t.colorIndex,
  }));
  const any = series.some((s) => s.values.some((v) => v > 0));
  return {
    title: `Tokens per ${cs.bucket} by type`,
    labels,
    series,
    table: {
      head: [BUCKET_HEAD[cs.bucket], ...series.map((s) => s.label)],
      rows: labels.flatMap((l, i) => (series.some((s) => s.values[i] !== 0) ? [[l, ...series.map((s) => formatCount(s.values[i]))]] : [])),
    },
    statement: any ? null : `No tokens ${RANGE_PHRASES[range]}.`,
  };
}

/** Model mix by cost (doughnut): one series, one colour per model; one model is a sentence, not a ring. */
export function modelMixChart(summary: SummaryDto, range: RangeKey = 'all'): ChartModel {
  const models = [...summary.byModel].sort((a, b) => b.costUsd - a.costUsd);
  const share = (c: number) => (summary.costUsd > 0 ? c / summary.costUsd : null);
  const priced = models.filter((m) => m.costUsd > 0);
  let statement: string | null = null;
  if (models.length === 0) statement = `No requests ${RANGE_PHRASES[range]}.`;
  else if (priced.length === 0) statement = `No cost ${RANGE_PHRASES[range]} (${formatCount(summary.requests)} requests without a price).`;
  else if (priced.length === 1) {
    statement = `All cost from ${shortModel(priced[0].model)}: ${formatUsd(priced[0].costUsd)} over ${formatCount(priced[0].requests)} request${priced[0].requests === 1 ? '' : 's'}.`;
  }
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
    statement,
  };
}

export function costByRepoChart(cs: CostSeriesDto, range: RangeKey = 'all'): ChartModel {
  const repos = cs.byRepo.filter((r) => r.costUsd > 0).sort((a, b) => b.costUsd - a.costUsd);
  const name = (r: string) => (r === '(none)' ? 'no repository' : r);
  return {
    title: 'Cost by repository',
    labels: repos.map((r) => name(r.repo)),
    series: [{ label: 'Cost', values: repos.map((r) => r.costUsd), colorIndex: 0 }],
    table: { head: ['Repository', 'Cost'], rows: repos.map((r) => [name(r.repo), formatUsd(r.costUsd)]) },
    statement:
      repos.length === 0
        ? `No cost ${RANGE_PHRASES[range]}.`
        : repos.length === 1
          ? `All cost in ${repos[0].repo === '(none)' ? 'sessions without a repository' : repos[0].repo}: ${formatUsd(repos[0].costUsd)}.`
          : null,
  };
}

export interface Tile {
  id: string;
  label: string;
  value: string;
  detail?: string;
}

/** The range's headline: its cost, the cost per bucket (sparkline) and the change against the period before. */
export interface Headline {
  label: string;
  value: string;
  /** "+25% vs the previous 7 days ($1.20)"; null for "all" (nothing before it). */
  change: string | null;
  direction: 'up' | 'down' | 'same' | null;
  /** Cost per bucket over the whole range, for the sparkline; all zero draws a flat line. */
  spark: number[];
  /** What the sparkline shows, in words (its text alternative). */
  sparkLabel: string;
  detail: string | null;
}

export function overviewHeadline(o: OverviewDto, range: RangeKey): Headline {
  const s = o.summary;
  const cs = o.costSeries;
  const perBucket = new Map<string, number>();
  for (const p of cs.points) perBucket.set(p.bucket, (perBucket.get(p.bucket) ?? 0) + p.costUsd);
  const spark = cs.buckets.map((b) => perBucket.get(b) ?? 0);
  const peak = spark.reduce((m, v, i) => (v > spark[m] ? i : m), 0);
  const before = PREVIOUS_PHRASES[range];
  let change: string | null = null;
  let direction: Headline['direction'] = null;
  if (o.previous && before) {
    const p = o.previous.costUsd;
    if (p === 0 && s.costUsd === 0) [change, direction] = [`no cost ${before} either`, 'same'];
    else if (p === 0) [change, direction] = [`nothing ${before}`, 'up'];
    else {
      const pct = (s.costUsd - p) / p;
      const rounded = Math.round(pct * 100);
      direction = rounded > 0 ? 'up' : rounded < 0 ? 'down' : 'same';
      const word = rounded === 0 ? 'same as' : `${rounded > 0 ? '+' : '−'}${formatCount(Math.abs(rounded))}% vs`;
      change = `${word} ${before} (${formatUsd(p)})`;
    }
  }
  const detail =
    s.costSource === 'estimated' ? 'estimated from tokens' : s.costSource === 'mixed' ? 'partly estimated from tokens' : null;
  return {
    label: `Cost ${RANGE_PHRASES[range] === 'yet' ? 'of all time' : RANGE_PHRASES[range]}`,
    value: formatUsd(s.costUsd),
    change,
    direction,
    spark,
    sparkLabel:
      spark.some((v) => v > 0)
        ? `Cost per ${cs.bucket}, ${spark.length} ${cs.bucket}s; highest ${formatUsd(spark[peak])} (${formatBucket(cs.buckets[peak], cs.bucket)})`
        : `No cost in any ${cs.bucket} of the range`,
    detail,
  };
}

/** Figures of the picked range (they follow the Range picker). */
export function rangeTiles(o: OverviewDto): Tile[] {
  const s = o.summary;
  const t = s.tokens;
  const cacheBase = t.input + t.cacheRead + t.cacheCreation;
  const u = o.acceptance.user;
  const auto = o.acceptance.auto;
  const asked = u.accepts + u.rejects;
  const autoCount = (more: string) =>
    `${formatCount(auto.accepts)}${more} approved${auto.rejects ? ` and ${formatCount(auto.rejects)} refused` : ''} automatically by your settings or hooks.`;
  const autoText = auto.accepts + auto.rejects > 0 ? autoCount(' more') : 'none decided automatically.';
  return [
    { id: 'requests', label: 'Requests', value: formatCount(s.requests), detail: `${formatCount(s.prompts)} prompt${s.prompts === 1 ? '' : 's'}` },
    { id: 'sessions', label: 'Sessions', value: formatCount(s.sessions) },
    {
      id: 'tokens',
      label: 'Tokens',
      value: formatCount(t.input + t.output + t.cacheRead + t.cacheCreation),
      detail:
        t.input + t.output + t.cacheRead + t.cacheCreation > 0
          ? `in ${formatCount(t.input)} · out ${formatCount(t.output)} · cache read ${formatCount(t.cacheRead)} · cache write ${formatCount(t.cacheCreation)}`
          : undefined,
    },
    cacheBase === 0
      ? { id: 'cache', label: 'Cache hit rate', value: '—', detail: 'no input tokens in this range, so no rate' }
      : { id: 'cache', label: 'Cache hit rate', value: formatPercent(s.cacheHitRate), detail: `of input tokens read from cache; saved ${formatUsd(s.cacheSavingsUsd)}` },
    {
      id: 'acceptance',
      label: 'Your approvals',
      value: asked === 0 ? '—' : formatPercent(u.rate),
      detail:
        asked === 0
          ? auto.accepts + auto.rejects > 0
            ? `Claude Code asked you about no tool use: ${autoCount('')}`
            : 'No tool use needed a decision in this range.'
          : `You approved ${formatCount(u.accepts)} of the ${formatCount(asked)} tool uses Claude Code asked you about; ${autoText}`,
    },
    { id: 'lines', label: 'Lines changed', value: `+${formatCount(s.linesAdded)} −${formatCount(s.linesRemoved)}` },
  ];
}

/** Figures of fixed periods ending now: they do not follow the Range picker. */
export function fixedTiles(o: OverviewDto): Tile[] {
  const b = o.burnRate;
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
      id: 'burn',
      label: 'Last hour',
      value: `${formatUsd(b.lastHourUsdPerHour)}/h`,
      detail: b.lastHourUsdPerHour > 0 ? burnDetail(b) : 'no spend in the last hour',
    },
    ...(budget ? [{ id: 'budget', label: 'Budget', value: formatUsd(b.dailyBudgetRemainingUsd ?? 0), detail: budget }] : []),
  ];
}


/** The forecasts when the data supports them (as the status bar gives them), else why not. */
function burnDetail(b: OverviewDto['burnRate']): string {
  // An older leader window sends numbers without the reasons.
  const today = b.forecastTodayUsd !== null ? `at this rate ${formatUsd(b.forecastTodayUsd)} today` : `forecast today ${b.forecastTodayWhyNot ?? 'not yet'}`;
  const month = b.forecastMonthUsd !== null ? `${formatUsd(b.forecastMonthUsd)} this month` : `forecast month ${b.forecastMonthWhyNot ?? 'not yet'}`;
  return `${today} · ${month}`;
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
  // Key kept as 'repo' (saved sort states name it); the cell shows the session's headline over its repository.
  { key: 'repo', label: 'Session', align: 'start', sortValue: (r) => r.headline?.text ?? r.repo ?? '', text: (r) => r.headline?.text ?? r.repo ?? '—' },
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

/** The sessions table's totals row, cell per SESSION_COLUMNS (sums from the query, over every listed session). */
export function sessionTotalsRow(d: SessionsDto): string[] {
  const t = d.totals;
  const cells: Record<string, string> = {
    start: `Total (${formatCount(d.total)} session${d.total === 1 ? '' : 's'})`,
    duration: formatMs(t.durationMs),
    repo: '',
    models: '',
    prompts: formatCount(t.prompts),
    requests: formatCount(t.requests),
    cost: formatUsd(t.costUsd),
    lines: `+${formatCount(t.linesAdded)} −${formatCount(t.linesRemoved)}`,
    decisions: `${formatCount(t.accepts)}/${formatCount(t.rejects)}`,
  };
  return SESSION_COLUMNS.map((c) => cells[c.key] ?? '');
}

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

function rateTable(caption: string, first: string, rows: RateDto[], label: (key: string) => string = (k) => k): SimpleTable {
  return {
    caption,
    head: [first, 'Accepted', 'Rejected', 'Rate'],
    align: ['start', 'end', 'end', 'end'],
    rows: rows.map((r) => [label(r.key), formatCount(r.accepts), formatCount(r.rejects), formatPercent(r.rate)]),
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
    rateTable('By tool', 'Tool', a.byTool, (k) => toolLabel(k)),
    rateTable('By language', 'Language', a.byLanguage),
    {
      caption: 'By decision source',
      head: ['Source', 'Kind', 'Accepted', 'Rejected', 'Rate'],
      align: ['start', 'start', 'end', 'end', 'end'],
      rows: a.bySource.map((r) => [sourceLabel(r.key), r.auto ? 'auto' : 'user', formatCount(r.accepts), formatCount(r.rejects), formatPercent(r.rate)]),
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
  /** When it happened in the prompt: "+72 ms" after the prompt's start (rows of one second differ by this). */
  offset: string;
  /** The wall-clock time, for the tooltip: "19:46:28". */
  clock: string;
  /** Short title: model, tool name, error status. */
  title: string;
  /** Details on one line. */
  detail: string;
  /** ok | failed | rejected | pending | error: drives the marker colour and its text. */
  status: 'ok' | 'failed' | 'rejected' | 'pending' | 'error';
  /** A file the item touched (tools), drawn as a link before `detail`; `displayPath` is its text. */
  filePath: string | null;
  displayPath: string | null;
}

/** A prompt's requests, tools and errors in time order (ties: requests, tools, errors). */
export function timelineItems(p: TimelinePromptDto): TimelineItem[] {
  const items: (TimelineItem & { order: number })[] = [];
  const at = (time: string) => ({ time, clock: formatClock(time), offset: formatOffset(time, p.time) });
  for (const r of p.requests) {
    const t = r.tokens;
    const title = r.querySource === SESSION_TITLE_QUERY_SOURCE;
    items.push({
      kind: 'request',
      order: 0,
      ...at(r.time),
      title: title ? `${shortModel(r.model)}, naming the session` : shortModel(r.model),
      detail: [
        `${formatCount(t.input)} in · ${formatCount(t.output)} out · ${formatCount(t.cacheRead)} cache read · ${formatCount(t.cacheCreation)} cache write`,
        formatUsd(r.costUsd) + (r.estimated ? ' (estimated)' : ''),
        `took ${formatMs(r.durationMs)}`,
        r.ttftMs !== null ? `first token ${formatMs(r.ttftMs)}` : '',
        r.attempts !== null && r.attempts > 1 ? `${r.attempts} attempts` : '',
        r.querySource && !title && r.querySource !== 'sdk' && r.querySource !== 'repl_main_thread' ? r.querySource : '',
      ]
        .filter(Boolean)
        .join(' · '),
      status: 'ok',
      filePath: null,
      displayPath: null,
    });
  }
  for (const t of p.tools) {
    const rejected = t.decision === 'reject';
    const status: TimelineItem['status'] = rejected ? 'rejected' : t.success === false ? 'failed' : t.success === true ? 'ok' : 'pending';
    items.push({
      kind: 'tool',
      order: 1,
      ...at(t.time),
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
      displayPath: t.displayPath ?? t.filePath,
    });
  }
  for (const e of p.errors) {
    items.push({
      kind: 'error',
      order: 2,
      ...at(e.time),
      title: e.kind === 'retries_exhausted' ? 'Retries exhausted' : `API error ${e.statusCode ?? ''}`.trim(),
      detail: [e.model ? shortModel(e.model) : '', e.attempt !== null ? `attempt ${e.attempt}` : '', e.message ?? ''].filter(Boolean).join(' · '),
      status: 'error',
      filePath: null,
      displayPath: null,
    });
  }
  return items.sort((a, b) => a.time.localeCompare(b.time) || a.order - b.order).map(({ order: _o, ...rest }) => rest);
}

/** The heading of a timeline group: prompts numbered on their own; the title request and others named. */
export function timelineHeadings(prompts: readonly TimelinePromptDto[]): string[] {
  let n = 0;
  return prompts.map((p) => {
    const tail = `${formatClock(p.time)} · ${formatUsd(p.costUsd)} · ${p.requests.length} request${p.requests.length === 1 ? '' : 's'}`;
    // No kind: an older leader window's answer, where every group with a prompt id is a prompt.
    if (p.kind === 'prompt' || (p.kind === undefined && p.promptId !== null)) return `Prompt ${++n} · ${tail}`;
    if (p.kind === 'sessionTitle') return `Session title (Claude Code's own request, not a prompt) · ${tail}`;
    return `Outside any prompt · ${tail}`;
  });
}

/** What a waterfall bar is; `tool` rows carry their waiting and execution as segments. */
export type WaterfallType = 'interaction' | 'llm_request' | 'tool' | 'other';
export type WaterfallSegmentType = 'blocked' | 'execution';

export interface WaterfallSegment {
  type: WaterfallSegmentType;
  /** Within the row's track, in percent of the prompt's span (like the bar). */
  leftPct: number;
  widthPct: number;
  durationText: string;
}

export interface WaterfallBar {
  spanId: string;
  label: string;
  type: WaterfallType;
  /** Left edge and width as a percentage of the prompt's span (0..100). */
  leftPct: number;
  widthPct: number;
  depth: number;
  error: boolean;
  durationText: string;
  /** Tool rows: the wait for your permission and the execution inside the tool's span. */
  segments: WaterfallSegment[];
  /** "+1.2 s" after the prompt's first span. */
  startText: string;
}

/** The colours of the waterfall, in legend order (webview/styles.css .wf-*). */
export const WATERFALL_LEGEND: readonly { cls: string; label: string }[] = [
  { cls: 'wf-interaction', label: 'Whole prompt' },
  { cls: 'wf-llm_request', label: 'Model request' },
  { cls: 'wf-tool', label: 'Tool call' },
  { cls: 'wf-blocked', label: 'Waiting for you' },
  { cls: 'wf-execution', label: 'Tool running' },
  { cls: 'wf-error', label: 'Failed' },
];

function rowType(t: string): WaterfallType | null {
  switch (t) {
    case 'interaction':
    case 'llm_request':
    case 'tool':
      return t;
    case 'tool.blocked_on_user':
    case 'tool.execution':
      return null; // a segment of its tool's row (or a row of its own when orphaned: see below)
    default:
      return 'other';
  }
}

/**
 * Rows of a prompt's waterfall, scaled to the whole prompt: one row per tool call (Claude Code sends a
 * `tool` span and, under it, its `tool.blocked_on_user` and `tool.execution` spans with the same name;
 * they become segments of the tool's row), nesting (subagents under a tool) kept as depth.
 */
export function waterfallBars(spans: readonly WaterfallSpanDto[]): WaterfallBar[] {
  if (spans.length === 0) return [];
  const start = Math.min(...spans.map((s) => s.startMs));
  const end = Math.max(...spans.map((s) => s.endMs));
  const total = Math.max(end - start, 1);
  const round = (n: number) => Math.round(n * 100) / 100;
  const pct = (ms: number) => round(((ms - start) / total) * 100);
  const width = (s: { startMs: number; endMs: number }) => Math.max(round(((s.endMs - s.startMs) / total) * 100), 0.5);
  const byId = new Map(spans.map((s) => [s.spanId, s]));
  // A segment span whose parent is a tool row is merged into it; any other keeps a row of its own.
  const merged = (s: WaterfallSpanDto) =>
    (s.type === 'tool.blocked_on_user' || s.type === 'tool.execution') && s.parentSpanId !== null && byId.get(s.parentSpanId)?.type === 'tool';
  const depthOf = (s: WaterfallSpanDto): number => {
    let d = 0;
    const seen = new Set<string>();
    for (let p = s.parentSpanId ? byId.get(s.parentSpanId) : undefined; p && !seen.has(p.spanId); p = p.parentSpanId ? byId.get(p.parentSpanId) : undefined) {
      seen.add(p.spanId);
      if (!merged(p)) d++;
    }
    return d;
  };
  const bars: WaterfallBar[] = [];
  for (const s of spans) {
    if (merged(s)) continue;
    const own = rowType(s.type) ?? 'tool';
    const segments = spans
      .filter((c) => c.parentSpanId === s.spanId && merged(c))
      .map((c) => ({
        type: (c.type === 'tool.blocked_on_user' ? 'blocked' : 'execution') as WaterfallSegmentType,
        leftPct: pct(c.startMs),
        widthPct: width(c),
        durationText: formatMs(c.endMs - c.startMs),
      }));
    const label = s.type === 'tool.blocked_on_user' ? 'waiting for permission' : s.type === 'interaction' ? 'Whole prompt' : s.label;
    bars.push({
      spanId: s.spanId,
      label,
      type: own,
      leftPct: pct(s.startMs),
      // At least a sliver, so a 1 ms span stays visible and focusable.
      widthPct: width(s),
      depth: depthOf(s),
      error: s.error || spans.some((c) => c.parentSpanId === s.spanId && merged(c) && c.error),
      durationText: formatMs(s.endMs - s.startMs),
      segments,
      startText: `+${formatMs(s.startMs - start)}`,
    });
  }
  return bars;
}

/** Ticks of the waterfall's time axis: about five round steps over the prompt's span. */
export function waterfallAxis(spans: readonly WaterfallSpanDto[]): { leftPct: number; text: string }[] {
  if (spans.length === 0) return [];
  const start = Math.min(...spans.map((s) => s.startMs));
  const total = Math.max(Math.max(...spans.map((s) => s.endMs)) - start, 1);
  const raw = total / 4;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * mag).find((v) => v >= raw) ?? raw;
  const ticks: { leftPct: number; text: string }[] = [];
  for (let t = 0; t <= total + 1e-9; t += step) ticks.push({ leftPct: Math.round((t / total) * 10000) / 100, text: t === 0 ? '0' : formatMs(t) });
  return ticks;
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
