// The environment that makes Claude Code send its telemetry to our receiver. One pure function feeds
// three places: the integrated terminals (environmentVariableCollection), ~/.claude/settings.json
// ("Set Up Everywhere") and the "Copy Shell Setup" lines, so they can never disagree.
import type { ExportPlan } from './claudeExportPlan';

export interface TelemetryEnvOptions {
  port: number;
  /** Bearer token of our /mcp endpoint; the MCP connect command refers to it as ${CLAUDE_LEDGER_TOKEN}. */
  token: string;
  /** claudeLedger.capture.toolDetails -> OTEL_LOG_TOOL_DETAILS=1 (file paths, tool inputs). */
  toolDetails: boolean;
  /** claudeLedger.capture.prompts -> OTEL_LOG_USER_PROMPTS=1 (prompt text); off unless opted in. */
  prompts: boolean;
  /** Workspace folder name -> repo.name resource attribute; undefined outside a workspace or for the global block. */
  repoName?: string;
  /** The user's own OTEL_RESOURCE_ATTRIBUTES (from process.env); kept, with our repo.name merged in. */
  existingResourceAttributes?: string;
  /**
   * Protocol and endpoints from planExport (claudeExportPlan.ts): what Claude Code's settings make it
   * use (gRPC -> claudeLedger.grpcPort). Absent: OTLP/HTTP protobuf on `port`.
   */
  plan?: Pick<ExportPlan, 'protocol' | 'endpoint' | 'signalEndpoints'>;
}

/**
 * Export intervals in ms. Why these: the status bar should move within a couple of seconds of a
 * request, yet the exporters' defaults (60 s metrics, 5 s logs/traces) would make it look frozen.
 * Metrics are only a fallback for cost (events carry it), so 5 s is enough for them.
 */
export const EXPORT_INTERVALS = { metricsMs: 5000, logsMs: 1000, tracesMs: 1000 } as const;

/** Every variable we may set; "Remove" takes out exactly these and nothing else. */
export const OUR_ENV_KEYS = [
  'CLAUDE_CODE_ENABLE_TELEMETRY',
  'CLAUDE_CODE_ENHANCED_TELEMETRY_BETA',
  'OTEL_METRICS_EXPORTER',
  'OTEL_LOGS_EXPORTER',
  'OTEL_TRACES_EXPORTER',
  'OTEL_EXPORTER_OTLP_PROTOCOL',
  'OTEL_EXPORTER_OTLP_ENDPOINT',
  'OTEL_EXPORTER_OTLP_LOGS_ENDPOINT',
  'OTEL_EXPORTER_OTLP_METRICS_ENDPOINT',
  'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT',
  'OTEL_METRIC_EXPORT_INTERVAL',
  'OTEL_LOGS_EXPORT_INTERVAL',
  'OTEL_TRACES_EXPORT_INTERVAL',
  'OTEL_LOG_TOOL_DETAILS',
  'OTEL_LOG_USER_PROMPTS',
  'OTEL_RESOURCE_ATTRIBUTES',
  'CLAUDE_LEDGER_TOKEN',
  'CLAUDE_LEDGER_MCP_URL',
] as const;

export type OurEnvKey = (typeof OUR_ENV_KEYS)[number];

/** The variables to set, in a stable order. Keys absent from the result must be unset by the caller. */
export function telemetryEnv(o: TelemetryEnvOptions): Partial<Record<OurEnvKey, string>> {
  const env: Partial<Record<OurEnvKey, string>> = {
    CLAUDE_CODE_ENABLE_TELEMETRY: '1',
    // Enables the session timeline (spans); without it the waterfall view stays empty.
    CLAUDE_CODE_ENHANCED_TELEMETRY_BETA: '1',
    OTEL_METRICS_EXPORTER: 'otlp',
    OTEL_LOGS_EXPORTER: 'otlp',
    OTEL_TRACES_EXPORTER: 'otlp',
    OTEL_EXPORTER_OTLP_PROTOCOL: o.plan?.protocol ?? 'http/protobuf',
    // 127.0.0.1, not localhost: the receiver binds IPv4 loopback only, and localhost may resolve to ::1 first.
    OTEL_EXPORTER_OTLP_ENDPOINT: o.plan?.endpoint ?? `http://127.0.0.1:${o.port}`,
    OTEL_METRIC_EXPORT_INTERVAL: String(EXPORT_INTERVALS.metricsMs),
    OTEL_LOGS_EXPORT_INTERVAL: String(EXPORT_INTERVALS.logsMs),
    OTEL_TRACES_EXPORT_INTERVAL: String(EXPORT_INTERVALS.tracesMs),
  };
  // Only when Claude Code's signals use different protocols (e.g. logs over gRPC, metrics over HTTP).
  if (o.plan?.signalEndpoints.logs) env.OTEL_EXPORTER_OTLP_LOGS_ENDPOINT = o.plan.signalEndpoints.logs;
  if (o.plan?.signalEndpoints.metrics) env.OTEL_EXPORTER_OTLP_METRICS_ENDPOINT = o.plan.signalEndpoints.metrics;
  if (o.plan?.signalEndpoints.traces) env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT = o.plan.signalEndpoints.traces;
  if (o.toolDetails) env.OTEL_LOG_TOOL_DETAILS = '1';
  if (o.prompts) env.OTEL_LOG_USER_PROMPTS = '1';
  const attrs = mergeResourceAttributes(o.existingResourceAttributes, o.repoName);
  if (attrs !== undefined) env.OTEL_RESOURCE_ATTRIBUTES = attrs;
  env.CLAUDE_LEDGER_TOKEN = o.token;
  // The user-scope MCP registration (src/core/connectClaudeCode.ts) reads ${CLAUDE_LEDGER_MCP_URL:-…},
  // so a port change reaches Claude Code's MCP config without re-registering.
  env.CLAUDE_LEDGER_MCP_URL = `http://127.0.0.1:${o.port}/mcp`;
  return env;
}

/**
 * Merges repo.name=<name> into an OTEL_RESOURCE_ATTRIBUTES value. The user's other attributes are
 * kept in their order; a repo.name of theirs is replaced because the workspace folder is the more
 * precise answer inside this window. The name is percent-encoded: Claude Code's parser (OTel JS)
 * rejects the whole value when a value holds a space, comma, quote, semicolon or backslash.
 * Returns undefined when there is nothing to set.
 */
export function mergeResourceAttributes(existing: string | undefined, repoName: string | undefined): string | undefined {
  const kept = (existing ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '' && (repoName === undefined || s.split('=')[0]?.trim() !== 'repo.name'));
  if (repoName !== undefined && repoName !== '') kept.push(`repo.name=${encodeURIComponent(repoName)}`);
  return kept.length > 0 ? kept.join(',') : undefined;
}

/** POSIX shell `export` lines (single-quoted, so no expansion happens), one per variable. */
export function shellExportLines(env: Partial<Record<string, string>>): string {
  return Object.entries(env)
    .filter((e): e is [string, string] => e[1] !== undefined)
    .map(([k, v]) => `export ${k}=${shellQuote(v)}`)
    .join('\n')
    .concat('\n');
}

function shellQuote(v: string): string {
  return /^[A-Za-z0-9_./:=,%@+-]+$/.test(v) ? v : `'${v.replace(/'/g, `'\\''`)}'`;
}
