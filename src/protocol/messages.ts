// Typed protocol between the dashboard webview and the VS Code host. Types and constants only; this file
// imports only other protocol types, with `import type`, so that the webview bundle never pulls host code.
// Pattern (GitLens, markdown preview): the webview says `ready`, then asks named requests paired by id;
// the host answers each request once and pushes `changed` (throttled) so the view refetches a complete
// snapshot. The UI never aggregates: every number it shows comes from a DTO computed by the host.
import type {
  AcceptanceDto,
  ApiErrorsDto,
  BurnRateDto,
  CostSeriesDto,
  FileEditedDto,
  ProductivityDto,
  QueryMethods,
  RangeKey,
  RangeSpec,
  SessionSort,
  StatusSnapshotDto,
  SummaryDto,
  ResolvedRange,
} from './dto';
import type { PlanLimitsDto } from './limitsDto';

/** A file row as the dashboard shows it: the host adds what only it can know (workspace, disk). */
export interface DashboardFileDto extends FileEditedDto {
  /** Path relative to the workspace folder that contains it, else the absolute path. */
  displayPath: string;
  /** Name of the workspace folder containing the file (multi-root), null when outside every folder. */
  workspaceFolder: string | null;
  /** false when the file no longer exists on disk (shown as missing); null when it could not be checked. */
  exists: boolean | null;
}

export interface DashboardFilesDto {
  range: ResolvedRange;
  files: DashboardFileDto[];
}

/** Everything the overview tab shows, fetched in one round trip so the first paint is one response. */
export interface OverviewDto {
  summary: SummaryDto;
  /** The period just before the range, of the same length (the headline's change); null for "all". */
  previous: { range: ResolvedRange; costUsd: number; requests: number } | null;
  /** Fixed ranges for the "spend" tiles (independent of the range picker). */
  spend: { today: number; last7d: number; last30d: number; month: number };
  burnRate: BurnRateDto;
  costSeries: CostSeriesDto;
  acceptance: AcceptanceDto;
}

/**
 * Request methods: name -> params and result. The host implements exactly one handler per key
 * (a missing handler is a compile error, see src/host/dashboardPanel.ts).
 */
export interface Requests {
  'overview/get': { params: { range: RangeSpec }; result: OverviewDto };
  'sessions/list': {
    params: { range: RangeSpec; limit: number; sort?: SessionSort; repo?: string; model?: string };
    result: QueryMethods['sessions']['result'];
  };
  'sessions/timeline': { params: { sessionId: string }; result: QueryMethods['sessionTimeline']['result'] };
  'files/list': { params: { range: RangeSpec; limit: number }; result: DashboardFilesDto };
  'acceptance/get': { params: { range: RangeSpec }; result: AcceptanceDto };
  'tools/get': { params: { range: RangeSpec }; result: { tools: QueryMethods['toolStats']['result']; errors: ApiErrorsDto } };
  'status/get': { params: Record<string, never>; result: StatusSnapshotDto };
  /** The overview's plan-limits tile and 5-hour blocks (planLimits query). */
  'limits/get': { params: Record<string, never>; result: PlanLimitsDto };
  /** The productivity view (productivity query). */
  'productivity/get': { params: { range: RangeSpec }; result: ProductivityDto };
}
export type RequestMethod = keyof Requests;
export const REQUEST_METHODS: readonly RequestMethod[] = [
  'overview/get',
  'sessions/list',
  'sessions/timeline',
  'files/list',
  'acceptance/get',
  'tools/get',
  'status/get',
  'limits/get',
  'productivity/get',
];

/** Commands the empty state may ask the host to run (a closed set: the webview cannot run arbitrary commands). */
export type DashboardAction = 'openReportingTerminal' | 'setupEverywhere' | 'showPrices';

export type WebviewToHost =
  | { readonly type: 'ready' }
  | { readonly type: 'request'; readonly id: number; readonly method: RequestMethod; readonly params: unknown }
  | { readonly type: 'openFile'; readonly path: string }
  | { readonly type: 'action'; readonly action: DashboardAction };

export type HostToWebview =
  | { readonly type: 'response'; readonly id: number; readonly result?: unknown; readonly error?: string }
  | { readonly type: 'changed'; readonly what: 'usage' | 'config' };

/** Typed helper for a response of a known method (the wire form above is untyped by necessity). */
export type ResultOf<M extends RequestMethod> = Requests[M]['result'];
export type ParamsOf<M extends RequestMethod> = Requests[M]['params'];

/** The dashboard's views in tab order; webview/main.ts maps each to its label and renderer (a Record, so a view without one is a compile error). */
export const DASHBOARD_VIEWS = ['overview', 'productivity', 'sessions', 'files', 'acceptance', 'tools'] as const;
export type DashboardView = (typeof DASHBOARD_VIEWS)[number];

export type SortDirection = 'asc' | 'desc';

/**
 * State saved with vscode.setState and restored by the serializer after a reload. Bump
 * DASHBOARD_STATE_VERSION whenever the shape changes; a state with another version is dropped.
 */
export const DASHBOARD_STATE_VERSION = 1;
export interface DashboardStateV1 {
  version: 1;
  view: DashboardView;
  range: RangeKey;
  sessions: { sortKey: string; sortDir: SortDirection; repo: string | null; model: string | null };
  /** Session whose timeline is open, null for the table. */
  openSessionId: string | null;
}
export type DashboardState = DashboardStateV1;
