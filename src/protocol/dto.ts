// DTOs shared by the store's named queries, the webview, MCP tools, CSV export and the status bar.
// Types and constants only; this file imports only protocol types (limitsDto.ts). Field names of the MCP-facing DTOs are a public
// contract (issue "MCP server"): change them only with a version bump of the MCP server definition.
import type { ActivityBlocksDto, PlanLimitsDto } from './limitsDto';

/** Named ranges; "today" and "month" are in the user's local time zone. */
export const RANGE_KEYS = ['today', 'yesterday', '7d', '30d', 'month', 'all'] as const;
export type RangeKey = (typeof RANGE_KEYS)[number];

/** Bucket sizes of a time series: hours for a day, days for a month, weeks for a year (src/core/time/buckets.ts). */
export const SERIES_BUCKETS = ['hour', 'day', 'week'] as const;
export type SeriesBucket = (typeof SERIES_BUCKETS)[number];

/** A range as asked: a key, or explicit ISO-8601 bounds (from inclusive, to exclusive). */
export interface RangeSpec {
  key?: RangeKey;
  from?: string;
  to?: string;
}

/** A resolved range, ISO-8601 with offset. */
export interface ResolvedRange {
  from: string;
  to: string;
}

export interface TokenCounts {
  input: number;
  output: number;
  cacheRead: number;
  cacheCreation: number;
}

/** reported = Claude Code's own cost_usd (or its cost.usage metric); estimated = from tokens x price table. */
export type CostSource = 'reported' | 'estimated' | 'mixed' | 'none';

export interface ModelUsageDto {
  model: string;
  costUsd: number;
  requests: number;
  tokens: TokenCounts;
  /** true when this model's cost could not be priced (unknown model, no reported cost). */
  unpriced?: boolean;
}

export type GroupBy = 'model' | 'day' | 'session' | 'repo' | 'user' | 'querySource';

export interface SummaryGroupDto {
  key: string;
  costUsd: number;
  requests: number;
  tokens: TokenCounts;
}

/**
 * Where the cost of an estimated request came from (api_requests.price_source without `reported`):
 * learned = prices derived from Claude Code's own costs for that model, override = the user's
 * claudeLedger pricing overrides, table = the bundled price table, none = unpriced (not counted as $0).
 */
export const ESTIMATE_PRICE_SOURCES = ['learned', 'override', 'table', 'none'] as const;
export type EstimatePriceSource = (typeof ESTIMATE_PRICE_SOURCES)[number];
export type PriceSourceCounts = Record<EstimatePriceSource, number>;

/** Estimated requests of a range: those imported from transcripts, and every estimate by price source. */
export interface EstimatesDto {
  /** Requests known only from Claude Code's transcripts (cost estimated). */
  transcriptRequests: number;
  /** Every estimated request (from transcripts, or OTLP requests that carried no cost) by price source. */
  byPriceSource: PriceSourceCounts;
}

/** MCP `usage_summary` output, also the dashboard overview's numbers. */
export interface SummaryDto {
  range: ResolvedRange;
  costUsd: number;
  costSource: CostSource;
  requests: number;
  sessions: number;
  prompts: number;
  tokens: TokenCounts;
  /** cacheRead / (input + cacheRead + cacheCreation); 0 when the denominator is 0. */
  cacheHitRate: number;
  /** cacheRead x (input price - cache-read price), USD. */
  cacheSavingsUsd: number;
  byModel: ModelUsageDto[];
  /** Present when groupBy was asked. */
  groups?: SummaryGroupDto[];
  linesAdded: number;
  linesRemoved: number;
  accepts: number;
  rejects: number;
  /** Models seen with no price and no reported cost (flagged, never priced at $0 silently). */
  unpricedModels: string[];
  /** Which requests of the range are estimates, and their price sources. */
  estimates: EstimatesDto;
}

export interface CostSeriesPointDto {
  /** Bucket start, ISO-8601 with offset (local hour, day or week from Monday); one of CostSeriesDto.buckets. */
  bucket: string;
  model: string;
  costUsd: number;
  tokens: TokenCounts;
  requests: number;
}

export interface CostSeriesDto {
  range: ResolvedRange;
  /** The bucket size asked, else the one seriesBucketFor chose from the range (hours for a day, days for a month, weeks beyond). */
  bucket: SeriesBucket;
  /**
   * Every bucket start of the range, oldest first, with or without data: a chart draws these (zero
   * where no point names it). A range from the beginning of time ("all") starts at the first data.
   * At most 600 (MAX_SERIES_PERIODS in src/core/time/buckets.ts, the newest): reached only when a
   * bucket far too small for the range is asked for (hours over months); `points` are all kept.
   */
  buckets: string[];
  /** Only buckets x models with data (the rest are zero). */
  points: CostSeriesPointDto[];
  /** Cost by repo over the range (for the "cost by repo" chart). */
  byRepo: { repo: string; costUsd: number }[];
}

/**
 * Sort keys of the `sessions` query (descending). The one list: the query's ORDER BY table, the MCP
 * `list_sessions` schema, the dashboard's server-sorted columns and the host's param check derive from it.
 */
export const SESSION_SORTS = ['start', 'cost', 'requests', 'duration'] as const;
export type SessionSort = (typeof SESSION_SORTS)[number];

/**
 * Row datasets of CSV export (`Export Usage CSV…`, `cli.js export --dataset`, the leader's /api/rows).
 * The one list: the store's row pages, the quick pick and the CLI check derive from it.
 */
export const EXPORT_DATASETS = ['requests', 'sessions', 'daily', 'files', 'tools'] as const;
export type ExportDataset = (typeof EXPORT_DATASETS)[number];

/** MCP `list_sessions` row; also the dashboard's sessions table row. */
export interface SessionRowDto {
  sessionId: string;
  start: string;
  end: string;
  durationMs: number;
  costUsd: number;
  costSource: CostSource;
  requests: number;
  prompts: number;
  models: string[];
  repo: string | null;
  linesAdded: number;
  linesRemoved: number;
  accepts: number;
  rejects: number;
  tokens: TokenCounts;
  /** Where its requests came from: Claude Code's telemetry, its transcripts, or both. */
  source: 'otlp' | 'transcript' | 'both';
  /** Requests known only from the transcript (their cost is estimated). */
  transcriptRequests: number;
  /** Estimated requests of the session by price source (raw request rows still held, see retention). */
  estimatesByPriceSource: PriceSourceCounts;
  /** Session title from the transcript (only with prompt capture), null when none. */
  title: string | null;
  /** Git branch from the transcript, null when unknown. */
  branch: string | null;
  /**
   * What the session was about, for a list: its title (from the transcript, with prompt capture), else
   * its first prompt (captured text only, cut to SESSION_HEADLINE_CHARS), else the first file it
   * touched, else its first tool; null for a session with none of them.
   */
  headline: { text: string; from: 'title' | 'prompt' | 'file' | 'tool' } | null;
}

/** Longest first-prompt text a session headline carries (a list line, not the prompt). */
export const SESSION_HEADLINE_CHARS = 120;

export interface SessionsDto {
  range: ResolvedRange;
  total: number;
  sessions: SessionRowDto[];
  /** Sums over every session matching the range and filters (`total` of them, not only this page). */
  totals: SessionTotalsDto;
}

/** The sessions table's totals row: all-time totals of the sessions listed, like each row. */
export interface SessionTotalsDto {
  costUsd: number;
  prompts: number;
  requests: number;
  durationMs: number;
  linesAdded: number;
  linesRemoved: number;
  accepts: number;
  rejects: number;
}

export interface TimelineRequestDto {
  requestId: string | null;
  time: string;
  model: string;
  costUsd: number;
  estimated: boolean;
  tokens: TokenCounts;
  durationMs: number | null;
  ttftMs: number | null;
  querySource: string | null;
  /** Attempts seen on the llm_request span (retries before success), when traces are present. */
  attempts: number | null;
}

export interface TimelineToolDto {
  toolUseId: string | null;
  time: string;
  /** Display name: `Write`, `Bash`, `mcp__server__tool`. */
  tool: string;
  filePath: string | null;
  /** filePath relative to the session's working folder (transcript cwd) when inside it, else as filePath. */
  displayPath: string | null;
  /** Present only when command capture is enabled. */
  command: string | null;
  decision: string | null;
  decisionSource: string | null;
  success: boolean | null;
  durationMs: number | null;
  error: string | null;
  linesAdded: number | null;
  linesRemoved: number | null;
}

export interface TimelineErrorDto {
  time: string;
  kind: 'api_error' | 'retries_exhausted';
  model: string | null;
  statusCode: number | null;
  attempt: number | null;
  message: string | null;
}

/** A span of the waterfall (traces present only). */
export interface WaterfallSpanDto {
  spanId: string;
  parentSpanId: string | null;
  name: string;
  /** interaction | llm_request | tool | tool.blocked_on_user | tool.execution | other */
  type: string;
  startMs: number;
  endMs: number;
  label: string;
  error: boolean;
  depth: number;
}

/**
 * What a timeline group is: a user's prompt; Claude Code's own request naming the session (query source
 * `generate_session_title`, no prompt of its own); other requests without a prompt (metrics, background).
 */
export const TIMELINE_GROUP_KINDS = ['prompt', 'sessionTitle', 'other'] as const;
export type TimelineGroupKind = (typeof TIMELINE_GROUP_KINDS)[number];

/** Claude Code's query source of the request that writes a session's title (not a user prompt). */
export const SESSION_TITLE_QUERY_SOURCE = 'generate_session_title';

export interface TimelinePromptDto {
  kind: TimelineGroupKind;
  promptId: string | null;
  time: string;
  promptLength: number | null;
  /** Present only when prompt capture is enabled. */
  promptText: string | null;
  costUsd: number;
  requests: TimelineRequestDto[];
  tools: TimelineToolDto[];
  errors: TimelineErrorDto[];
  /** Spans of this prompt's trace, ordered by start; empty without traces. */
  waterfall: WaterfallSpanDto[];
  /** Time blocked on the user / executing tools / waiting for the model, from spans (ms). */
  blockedOnUserMs: number | null;
  toolExecutionMs: number | null;
  modelMs: number | null;
}

/** MCP `session_timeline` output and the dashboard's session view. */
export interface SessionTimelineDto {
  sessionId: string;
  found: boolean;
  session: SessionRowDto | null;
  prompts: TimelinePromptDto[];
}

/** MCP `files_edited` row and the dashboard's files table row. */
export interface FileEditedDto {
  path: string;
  edits: number;
  accepts: number;
  rejects: number;
  linesAdded: number;
  linesRemoved: number;
  sessions: number;
  lastEdited: string;
}

export interface FilesEditedDto {
  range: ResolvedRange;
  files: FileEditedDto[];
}

export interface RateDto {
  key: string;
  accepts: number;
  rejects: number;
  /** accepts / (accepts + rejects); null when both are 0. */
  rate: number | null;
}

/** MCP `acceptance_rates` output. bySource keeps user decisions apart from auto-approvals. */
export interface AcceptanceDto {
  range: ResolvedRange;
  overall: { accepts: number; rejects: number; rate: number | null };
  /** Only decisions a person made (source not config/hook). */
  user: { accepts: number; rejects: number; rate: number | null };
  /** Auto decisions (config rules, permission mode, hooks). */
  auto: { accepts: number; rejects: number; rate: number | null };
  byTool: RateDto[];
  byLanguage: RateDto[];
  bySource: (RateDto & { auto: boolean })[];
}

export interface ToolStatDto {
  /** `Write`, `Bash`, or `mcp__server__tool`. */
  tool: string;
  mcpServer: string | null;
  calls: number;
  failures: number;
  successRate: number | null;
  p50Ms: number | null;
  p95Ms: number | null;
}

export interface ToolStatsDto {
  range: ResolvedRange;
  tools: ToolStatDto[];
}

export interface ApiErrorsDto {
  range: ResolvedRange;
  total: number;
  byStatus: { statusCode: number | null; count: number }[];
  retriesExhausted: number;
  refusals: number;
  recent: TimelineErrorDto[];
}

export interface BurnRateDto {
  /** USD per hour over the last 60 minutes. */
  lastHourUsdPerHour: number;
  todayUsd: number;
  monthUsd: number;
  /**
   * Linear forecasts to the end of the local day / month, the status bar's (statusForecast.ts): null until
   * the data supports them, with the reason in forecast*WhyNot (e.g. "after 1 h of use today").
   */
  forecastTodayUsd: number | null;
  forecastMonthUsd: number | null;
  forecastTodayWhyNot: string | null;
  forecastMonthWhyNot: string | null;
  dailyBudgetUsd: number | null;
  monthlyBudgetUsd: number | null;
  dailyBudgetRemainingUsd: number | null;
  monthlyBudgetRemainingUsd: number | null;
}

/** Everything the status bar needs, in one cheap query. */
export interface StatusSnapshotDto {
  todayUsd: number;
  monthUsd: number;
  /** Cost of the most recently active session. */
  currentSession: { sessionId: string; costUsd: number } | null;
  todayTokens: TokenCounts;
  cacheHitRateToday: number;
  cacheSavingsTodayUsd: number;
  lastHourUsdPerHour: number;
  forecastTodayUsd: number;
  forecastMonthUsd: number;
  modelMixToday: { model: string; costUsd: number }[];
  sessionsToday: number;
  requestsToday: number;
  /** ISO time of the last record stored, null when empty. */
  lastEventAt: string | null;
  estimatedToday: boolean;
  /** Increments on every ingest that changed data (lets followers and views skip refetches). */
  dataVersion: number;
  /**
   * What the time-relative parts need, so the status bar recomputes "2 min ago", the last-hour rate
   * and the forecasts on a clock without a new query while no data arrives (src/core/statusForecast.ts).
   * `asOfMs`: when the snapshot was taken.
   */
  asOfMs: number;
  /** Cost per 15-minute bucket from the one holding asOf - 1 h to asOf's (only buckets with usage), oldest first. */
  recentBuckets: { startMs: number; costUsd: number }[];
  /** Start of the first 15-minute bucket with usage today / this month (local), null when none. */
  firstUsageTodayMs: number | null;
  firstUsageMonthMs: number | null;
  /** OTLP telemetry has ever been stored (metrics, spans or events, not only imported transcripts). */
  otlpReceived: boolean;
  /** Forwarding to the team's upstream; null when forwarding is off (or the leader is an older build). */
  forward?: ForwardStatusDto | null;
}

/** What forwarding sends: Claude Code's bodies as received, or with prompts, tool inputs, responses and bodies removed. */
export const FORWARD_CONTENT = ['as-received', 'without-content'] as const;
export type ForwardContent = (typeof FORWARD_CONTENT)[number];

/** ok: the last request was accepted (or nothing to send); retrying: a retryable failure, backing off; failing: still failing after several attempts. */
export const FORWARD_STATES = ['ok', 'retrying', 'failing'] as const;
export type ForwardState = (typeof FORWARD_STATES)[number];

/** The forwarder of the leader, as the status bar tooltip and the dashboard show it. */
export interface ForwardStatusDto {
  /** The upstream base URL (user info removed). */
  endpoint: string;
  content: ForwardContent;
  state: ForwardState;
  /** The last error (a failure, a rejection or a partial success), with the upstream's message. */
  lastError: string | null;
  lastErrorAt: string | null;
  /** Journal frames (one OTLP export request of Claude Code each) not yet accepted upstream, and their bytes. */
  backlogRequests: number;
  backlogBytes: number;
  sentRequests: number;
  /** Refused by upstream with a non-retryable status (skipped, counted). */
  rejectedRequests: number;
  /** Dropped, oldest first, because the backlog passed forward.maxBacklogMB. */
  droppedRequests: number;
  droppedBytes: number;
  lastSentAt: string | null;
}

/** Price components, per million units (tokens; webSearch: requests). */
export const PRICE_COMPONENTS = ['input', 'output', 'cacheRead', 'cacheWrite5m', 'cacheWrite1h', 'webSearch'] as const;
export type PriceComponent = (typeof PRICE_COMPONENTS)[number];
export type PerMillion = Partial<Record<PriceComponent, number>>;

/** Prices Claude Code itself used for one model (speed, context tier, inference geo), learned from its costs. */
export interface LearnedPriceDto {
  model: string;
  /** `normal` or `fast`. */
  speed: string;
  /** More than 200k input-side tokens (priced apart by Anthropic for some models). */
  longContext: boolean;
  /** Inference geo (`us`...), null for none. */
  geo: string | null;
  /** USD per million tokens (webSearch: per million requests), determined components only. */
  perMTok: PerMillion;
  /** api_request observations since these prices were (re)learned. */
  observations: number;
  determined: PriceComponent[];
  /** Times the observed prices changed (the learner restarted the key). */
  restarts: number;
}

/** `prices` query (command "Show Prices Used", MCP `pricing`): where every estimate's price came from. */
export interface PricesDto {
  learned: LearnedPriceDto[];
  table: { date: string; families: ({ family: string } & Required<Omit<PerMillion, 'webSearch'>>)[] };
  /** The user's overrides (model id prefix -> prices), checked before the table. */
  overrides: ({ prefix: string } & Required<Omit<PerMillion, 'webSearch'>>)[];
  /** Per model, the store's estimated requests by the price source they used (all time). */
  estimatesByModel: { model: string; estimates: PriceSourceCounts }[];
}

/**
 * Claude Code's productivity figures over a period (the `productivity` query). Active time, commits and
 * pull requests come only from Claude Code's metrics (claude_code.active_time.total, commit.count,
 * pull_request.count); lines and edit decisions also from tool events and imported transcripts, with
 * the same per-session rule as the summary (the metric when the session sent it, never both).
 */
export interface ProductivityFiguresDto {
  /** claude_code.active_time.total{type=user}: seconds the user was active (typing, reading) in Claude Code. */
  activeSecondsUser: number;
  /** claude_code.active_time.total{type=cli}: seconds Claude Code itself was working. */
  activeSecondsCli: number;
  commits: number;
  pullRequests: number;
  linesAdded: number;
  linesRemoved: number;
  /** Edit tool decisions (code_edit_tool.decision): all, and those a person made (not config rules or hooks). */
  editAccepts: number;
  editRejects: number;
  userEditAccepts: number;
  userEditRejects: number;
}

/** One period of the productivity series (a zero period where nothing happened). */
export interface ProductivityPointDto extends ProductivityFiguresDto {
  /** Period start, ISO-8601 with the local offset. */
  bucket: string;
}

/** A row of the per-repository or per-user/team tables. */
export interface ProductivityGroupDto extends ProductivityFiguresDto {
  sessions: number;
  costUsd: number;
}

export interface ProductivityDto {
  range: ResolvedRange;
  bucket: SeriesBucket;
  /** Every period of the range in order, zero-filled (at most MAX_SERIES_PERIODS, the newest). */
  series: ProductivityPointDto[];
  totals: ProductivityFiguresDto & {
    sessions: number;
    /** Sessions of the range that sent Claude Code's metrics (the only source of active time, commits, PRs). */
    metricSessions: number;
    costUsd: number;
    /** Cost of the sessions that reported active time, per hour of that time; null without active time. */
    costPerActiveHourUsd: number | null;
    /** Cost of the range per line added or removed; null without changed lines. */
    costPerLineChangedUsd: number | null;
    /** editAccepts / (editAccepts + editRejects); null without decisions. */
    editAcceptRate: number | null;
  };
  /** By repository (`repo.name`; null = none reported), most active first; at most `maxGroups` rows. */
  byRepo: (ProductivityGroupDto & { repo: string | null })[];
  /**
   * By user and team, where Claude Code reports them: `user` is `user.email` (OAuth logins), else the
   * opaque `user.id`, null when unknown; `team` is the `team.id` resource attribute, null when absent.
   */
  byUser: (ProductivityGroupDto & { user: string | null; userIsEmail: boolean; team: string | null })[];
  /** Rows left out of byRepo / byUser beyond the cap. */
  moreRepos: number;
  moreUsers: number;
}

/** Names of the store's named queries, their params and results. */
export interface QueryMethods {
  summary: { params: { range: RangeSpec; groupBy?: GroupBy }; result: SummaryDto };
  /** `bucket` absent: chosen from the range (seriesBucketFor). */
  costSeries: { params: { range: RangeSpec; bucket?: SeriesBucket }; result: CostSeriesDto };
  sessions: {
    params: { range: RangeSpec; limit?: number; offset?: number; sort?: SessionSort; repo?: string; model?: string };
    result: SessionsDto;
  };
  sessionTimeline: { params: { sessionId: string | 'current' }; result: SessionTimelineDto };
  filesEdited: { params: { range: RangeSpec; limit?: number }; result: FilesEditedDto };
  acceptance: { params: { range: RangeSpec }; result: AcceptanceDto };
  toolStats: { params: { range: RangeSpec }; result: ToolStatsDto };
  apiErrors: { params: { range: RangeSpec }; result: ApiErrorsDto };
  burnRate: { params: { dailyBudgetUsd?: number | null; monthlyBudgetUsd?: number | null }; result: BurnRateDto };
  status: { params: Record<string, never>; result: StatusSnapshotDto };
  prices: { params: { model?: string }; result: PricesDto };
  /** Plan limits from the status line + the last day's 5-hour blocks (limitsDto.ts). */
  planLimits: { params: Record<string, never>; result: PlanLimitsDto };
  activityBlocks: { params: { range?: RangeSpec; limit?: number }; result: ActivityBlocksDto };
  /** Active time, commits, pull requests, lines, edit acceptance over time; per repo and user/team. */
  productivity: { params: { range: RangeSpec }; result: ProductivityDto };
}
export type QueryName = keyof QueryMethods;

/**
 * Every query name, as a value (the /api/query route refuses names not in it). `satisfies` makes a name
 * added to QueryMethods but missing here a compile error, instead of a 400 for follower windows.
 */
export const QUERY_NAMES = {
  summary: true,
  costSeries: true,
  sessions: true,
  sessionTimeline: true,
  filesEdited: true,
  acceptance: true,
  toolStats: true,
  apiErrors: true,
  burnRate: true,
  status: true,
  prices: true,
  planLimits: true,
  activityBlocks: true,
  productivity: true,
} as const satisfies Record<QueryName, true>;

export function isQueryName(name: unknown): name is QueryName {
  return typeof name === 'string' && Object.prototype.hasOwnProperty.call(QUERY_NAMES, name);
}

/** Anything that can answer named queries: the store worker client (leader) or the leader's /api (follower). */
export interface QueryApi {
  query<M extends QueryName>(method: M, params: QueryMethods[M]['params']): Promise<QueryMethods[M]['result']>;
}
