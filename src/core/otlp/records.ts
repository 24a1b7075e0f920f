// Normalized records: the output of OTLP decode + Claude Code normalization, the input of the store.
// Wire types (protobuf / OTLP-JSON shapes) stay in decode*.ts; nothing downstream sees them.
//
// Invariants:
// - Numbers and booleans that Claude Code sends as strings are already typed here.
// - Every time is epoch milliseconds (float for span ends, which have sub-ms precision).
// - Sensitive text (prompt text, file contents, tool inputs) is already reduced to what features need
//   (see ../../../ARCHITECTURE.md "Privacy at ingest"): paths, bounded bash commands, MCP names, sizes,
//   line counts. Prompt text is present only when the ingest options allow it.
// - `isClaudeCode` is false for other services' telemetry: stored generically, never counted as spend.

export type Signal = 'logs' | 'metrics' | 'traces';

/** A JSON-safe attribute value (OTLP AnyValue flattened). Bytes become base64 strings. */
export type AttrValue = string | number | boolean | null | AttrValue[] | { [key: string]: AttrValue };
export type Attrs = Record<string, AttrValue>;

/** Identity shared by every record of Claude Code (from record attributes, falling back to resource). */
export interface Identity {
  /** `session.id`; '' when absent (other services). */
  sessionId: string;
  userId?: string;
  userEmail?: string;
  accountUuid?: string;
  organizationId?: string;
  terminalType?: string;
  /** `repo.name` resource/record attribute (our terminal env sets it to the workspace folder name). */
  repo?: string;
  teamId?: string;
  serviceName: string;
  serviceVersion?: string;
  /** true when service.name is claude-code or the scope is com.anthropic.claude_code*. */
  isClaudeCode: boolean;
}

interface EventBase extends Identity {
  /** Event name without the `claude_code.` prefix, e.g. `api_request`. */
  name: string;
  timeMs: number;
  /** `event.sequence`, a per-process counter; with sessionId + name the idempotency key. */
  sequence?: number;
  promptId?: string;
  traceId?: string;
  spanId?: string;
  /** Bounded extra attributes not mapped to a typed field (unknown keys are kept, never dropped). */
  extra: Attrs;
}

export interface ApiRequestEvent extends EventBase {
  kind: 'apiRequest';
  requestId?: string;
  /** Raw model id as sent, e.g. `claude-opus-4-8[1m]`. */
  model: string;
  /** Model with a `[...]` suffix stripped, for joins across signals. */
  modelNorm: string;
  /** Claude Code's own cost, full double precision. undefined when Claude Code sent none (Bedrock, Vertex...). */
  costUsd?: number;
  inputTokens: number;
  outputTokens: number;
  cacheReadTokens: number;
  cacheCreationTokens: number;
  cacheCreation5mTokens?: number;
  cacheCreation1hTokens?: number;
  durationMs?: number;
  ttftMs?: number;
  /** Event vocabulary: `sdk`, `repl_main_thread`, `agent:builtin:claude`, `generate_session_title`... */
  querySource?: string;
  agentName?: string;
  agentId?: string;
  effort?: string;
  speed?: string;
}

export interface ApiErrorEvent extends EventBase {
  kind: 'apiError';
  requestId?: string;
  model: string;
  modelNorm: string;
  statusCode?: number;
  attempt?: number;
  error?: string;
  durationMs?: number;
  querySource?: string;
}

export interface ApiRetriesExhaustedEvent extends EventBase {
  kind: 'apiRetriesExhausted';
  model: string;
  modelNorm: string;
  statusCode?: number;
  totalAttempts?: number;
  totalRetryDurationMs?: number;
  error?: string;
}

export interface UserPromptEvent extends EventBase {
  kind: 'userPrompt';
  promptLength?: number;
  /** Only when prompt capture is enabled in the ingest options and Claude Code sent it unredacted. */
  promptText?: string;
}

/** Fields derived from tool_input / tool_parameters (the JSON strings themselves are discarded). */
export interface ToolDetails {
  /** Tool name as Claude Code reports it on events (`Write`, `Bash`, `mcp_tool`...). */
  toolName: string;
  toolUseId?: string;
  /** For MCP tools: server and tool names (from tool_parameters); display as `mcp__server__tool`. */
  mcpServer?: string;
  mcpTool?: string;
  /** Write / Edit / MultiEdit / NotebookEdit / Read...: the file path. */
  filePath?: string;
  /** Bash: the command, bounded to IngestOptions.maxCommandChars. */
  command?: string;
  /** Language derived from the file extension (same vocabulary as Claude Code: `Python`, `Markdown`...). */
  language?: string;
}

export interface ToolDecisionEvent extends EventBase, ToolDetails {
  kind: 'toolDecision';
  decision: 'accept' | 'reject' | string;
  /** `config`, `hook`, `user_permanent`, `user_temporary`, `user_abort`, `user_reject`... */
  source?: string;
}

export interface ToolResultEvent extends EventBase, ToolDetails {
  kind: 'toolResult';
  success: boolean;
  durationMs?: number;
  error?: string;
  errorType?: string;
  inputSizeBytes?: number;
  resultSizeBytes?: number;
  /** Computed from tool_input before it is discarded (Write/Edit/MultiEdit/NotebookEdit). */
  linesAdded?: number;
  linesRemoved?: number;
}

/** Any other event (assistant_response, hook_*, mcp_server_connection, unknown names...), bounded. */
export interface GenericEvent extends EventBase {
  kind: 'event';
}

export type EventRecord =
  | ApiRequestEvent
  | ApiErrorEvent
  | ApiRetriesExhaustedEvent
  | UserPromptEvent
  | ToolDecisionEvent
  | ToolResultEvent
  | GenericEvent;

export type MetricKind = 'sum' | 'gauge' | 'histogram' | 'exponentialHistogram' | 'summary';

/**
 * One data point. Cumulative-to-delta conversion needs state across payloads (and restarts), so it
 * happens in the store: here the point is as sent, with its temporality.
 */
export interface MetricPoint extends Identity {
  kind: 'metric';
  /** e.g. `claude_code.cost.usage`. */
  name: string;
  unit?: string;
  metricKind: MetricKind;
  /** 1 = delta, 2 = cumulative, 0 = unspecified (gauges). */
  temporality: 0 | 1 | 2;
  monotonic?: boolean;
  /** Exact decimal strings of the nanosecond times (idempotency keys). */
  startTimeUnixNano: string;
  timeUnixNano: string;
  startMs: number;
  timeMs: number;
  /** Sum/gauge value; for histograms and summaries the sum of observations. */
  value: number;
  /** Histograms / summaries: observation count. */
  count?: number;
  /** Point attributes minus the identity keys (type, model, query_source, decision, tool_name, language...). */
  attrs: Attrs;
  /** model with `[...]` stripped when the point has a `model` attribute. */
  modelNorm?: string;
  /**
   * Stable key of the series: metric name + resource + scope + point attributes (sorted). Cumulative
   * series are tracked per (seriesKey, startTimeUnixNano).
   */
  seriesKey: string;
}

export interface SpanEvent {
  name: string;
  timeMs: number;
  attrs: Attrs;
}

export interface SpanRecord extends Identity {
  kind: 'span';
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  /** e.g. `claude_code.interaction`, `claude_code.llm_request`, `claude_code.tool`... */
  name: string;
  /** `span.type` attribute: interaction, llm_request, tool, tool.blocked_on_user, tool.execution. */
  spanType?: string;
  startMs: number;
  endMs: number;
  /** 0 unset, 1 ok, 2 error. */
  statusCode: number;
  statusMessage?: string;
  model?: string;
  modelNorm?: string;
  requestId?: string;
  toolName?: string;
  toolUseId?: string;
  filePath?: string;
  command?: string;
  decision?: string;
  source?: string;
  success?: boolean;
  attempt?: number;
  ttftMs?: number;
  agentId?: string;
  inputTokens?: number;
  outputTokens?: number;
  cacheReadTokens?: number;
  cacheCreationTokens?: number;
  events: SpanEvent[];
  /** Remaining attributes, bounded. */
  extra: Attrs;
}

export type NormRecord = EventRecord | MetricPoint | SpanRecord;

/** Result of decoding + normalizing one OTLP request body. */
export interface NormalizedBatch {
  signal: Signal;
  records: NormRecord[];
  /** Items the receiver refused (reported as OTLP partial_success). */
  rejected: number;
  /** Why items were rejected (first reason), for partial_success.error_message. */
  rejectMessage?: string;
}

/** Ingest-time privacy and bounds; every value here has a default in DEFAULT_INGEST_OPTIONS. */
export interface IngestOptions {
  /** Keep prompt text (only when the user opted in). Otherwise only its length. */
  storePromptText: boolean;
  /** Keep bash commands (bounded). When false, only the command's first word (argv0) is kept. */
  storeCommands: boolean;
  maxCommandChars: number;
  maxPromptChars: number;
  /** Bound on each string attribute kept in `extra`. */
  maxAttrChars: number;
  /** Bound on the number of extra attributes per record. */
  maxExtraAttrs: number;
  /** Bound on records per request; the rest is rejected via partial_success. */
  maxRecordsPerRequest: number;
  /** Plausible ranges of numeric fields; a record outside them is rejected (partial_success). */
  bounds: NumericBounds;
}

/**
 * What a number from Claude Code may be. A damaged payload (a bit flip, a broken proxy, a fuzzer) can
 * carry -1e20 tokens or a cost of 1e309: stored once, such a value would make every total wrong for
 * good, so the whole record is refused at normalization and reported in partial_success instead.
 * Every value is a count or amount of ONE record (one request, one tool call, one metric point).
 */
export interface NumericBounds {
  /**
   * Tokens of one request (input, output, cache read/creation, and per span): a non-negative safe
   * integer up to this. The largest context window is 1M tokens; 1e9 leaves 1000x headroom.
   */
  maxTokens: number;
  /**
   * USD of one request: finite, non-negative, up to this. 1M input + 1M output tokens of the most
   * expensive model cost well under $200; $10,000 is far beyond any real request.
   */
  maxCostUsd: number;
  /** Durations (request, time to first token, tool, retries, span length): finite, >= 0, up to this. 7 days: nothing real takes longer. */
  maxDurationMs: number;
  /** Counts (event.sequence, attempts, prompt length, line counts, byte sizes): non-negative safe integers up to this (2^53 - 1: any real counter). */
  maxCount: number;
  /**
   * Points of Claude Code's own metrics (claude_code.cost.usage, token.usage, lines_of_code.count,
   * active_time.total, code_edit_tool.decision...): finite, non-negative, up to this. Cumulative points
   * are running totals of a whole session, so the cap is per session, not per request: 1e12 tokens (or
   * USD, lines, seconds) is beyond any session. Other services' metrics only need to be finite.
   */
  maxClaudeCodeMetricValue: number;
}

export const DEFAULT_NUMERIC_BOUNDS: NumericBounds = {
  maxTokens: 1e9,
  maxCostUsd: 10_000,
  maxDurationMs: 7 * 86_400_000,
  maxCount: Number.MAX_SAFE_INTEGER,
  maxClaudeCodeMetricValue: 1e12,
};

export const DEFAULT_INGEST_OPTIONS: IngestOptions = {
  storePromptText: false,
  storeCommands: true,
  maxCommandChars: 500,
  maxPromptChars: 10_000,
  maxAttrChars: 1_000,
  maxExtraAttrs: 64,
  maxRecordsPerRequest: 100_000,
  bounds: DEFAULT_NUMERIC_BOUNDS,
};

/** Strip a `[...]` suffix: `claude-opus-4-8[1m]` -> `claude-opus-4-8`. */
export function normalizeModel(model: string): string {
  // includes() before the regex: called for every metric point, and most model ids have no suffix.
  return model.includes('[') ? model.replace(/\[[^\]]*\]\s*$/, '') : model;
}
