// Schema, version stamp and forward migrations.
//
// Invariants:
// - meta.schema_version is the number of migrations applied. A database from an older version is
//   migrated forward in one transaction; a newer one is refused (SchemaTooNewError) and not touched.
// - Repeated strings (session ids, models, tools, repos, paths, users...) are interned in `dict`;
//   hot tables hold integer ids. 0 means "absent" in rollup keys (WITHOUT ROWID keys cannot be NULL).
// - Times are epoch ms. `bucket` = floor(ms / 900000), a 15-minute epoch slot: every real time-zone
//   offset is a multiple of 15 minutes, so local days and hours are unions of buckets.
// - Rollups are maintained by apply.ts in the same transaction as the raw insert, and only when the
//   raw insert was new (idempotency), so totals never count a payload twice and pruning raw rows
//   never changes them.
import type { Database } from 'sql.js';
import { SchemaTooNewError } from './errors';

const V1 = `
CREATE TABLE meta (key TEXT PRIMARY KEY, value) WITHOUT ROWID;
CREATE TABLE dict (id INTEGER PRIMARY KEY, value TEXT NOT NULL UNIQUE);

CREATE TABLE sessions (
  id INTEGER PRIMARY KEY,            -- dict id of session.id
  first_ms REAL NOT NULL, last_ms REAL NOT NULL,
  repo_id INTEGER NOT NULL DEFAULT 0, user_id INTEGER NOT NULL DEFAULT 0, version_id INTEGER NOT NULL DEFAULT 0,
  api_events INTEGER NOT NULL DEFAULT 0, est_requests INTEGER NOT NULL DEFAULT 0, unpriced_requests INTEGER NOT NULL DEFAULT 0,
  cost_ev REAL NOT NULL DEFAULT 0, in_ev INTEGER NOT NULL DEFAULT 0, out_ev INTEGER NOT NULL DEFAULT 0, cr_ev INTEGER NOT NULL DEFAULT 0, cc_ev INTEGER NOT NULL DEFAULT 0,
  cost_m REAL NOT NULL DEFAULT 0, in_m INTEGER NOT NULL DEFAULT 0, out_m INTEGER NOT NULL DEFAULT 0, cr_m INTEGER NOT NULL DEFAULT 0, cc_m INTEGER NOT NULL DEFAULT 0,
  prompts INTEGER NOT NULL DEFAULT 0, accepts INTEGER NOT NULL DEFAULT 0, rejects INTEGER NOT NULL DEFAULT 0,
  la_ev INTEGER NOT NULL DEFAULT 0, lr_ev INTEGER NOT NULL DEFAULT 0, la_m INTEGER NOT NULL DEFAULT 0, lr_m INTEGER NOT NULL DEFAULT 0,
  loc_metric INTEGER NOT NULL DEFAULT 0, errors INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX sessions_last ON sessions(last_ms);
CREATE TABLE session_models (session_id INTEGER NOT NULL, model_id INTEGER NOT NULL, PRIMARY KEY (session_id, model_id)) WITHOUT ROWID;

CREATE TABLE api_requests (
  id INTEGER PRIMARY KEY, session_id INTEGER NOT NULL,
  dkey TEXT NOT NULL,                -- request_id, or '#<sequence>|<time>' when Claude Code sent none
  time_ms REAL NOT NULL, prompt_id INTEGER, model_id INTEGER NOT NULL,
  cost REAL NOT NULL, estimated INTEGER NOT NULL, unpriced INTEGER NOT NULL,
  input INTEGER NOT NULL, output INTEGER NOT NULL, cache_read INTEGER NOT NULL, cache_creation INTEGER NOT NULL,
  cc5m INTEGER, cc1h INTEGER, duration_ms REAL, ttft_ms REAL, qs_id INTEGER NOT NULL DEFAULT 0, agent_id INTEGER,
  trace_id TEXT,
  UNIQUE (session_id, dkey)
);
CREATE TABLE prompts (
  id INTEGER PRIMARY KEY, session_id INTEGER NOT NULL, seq INTEGER NOT NULL, time_ms REAL NOT NULL,
  prompt_id INTEGER, length INTEGER, text TEXT, trace_id TEXT,
  UNIQUE (session_id, seq, time_ms)
);
CREATE TABLE tool_calls (
  id INTEGER PRIMARY KEY, session_id INTEGER NOT NULL,
  tool_use_id TEXT NOT NULL,         -- or '#<sequence>|<time>' when Claude Code sent none
  time_ms REAL NOT NULL, prompt_id INTEGER, tool_id INTEGER NOT NULL, mcp_server_id INTEGER,
  path_id INTEGER, lang_id INTEGER, command TEXT,
  decision_id INTEGER, dec_source_id INTEGER, dec_ms REAL,
  success INTEGER, duration_ms REAL, error TEXT, error_type_id INTEGER, in_bytes INTEGER, out_bytes INTEGER,
  lines_added INTEGER, lines_removed INTEGER, res_ms REAL,
  UNIQUE (session_id, tool_use_id)
);
CREATE TABLE api_errors (
  id INTEGER PRIMARY KEY, session_id INTEGER NOT NULL, kind INTEGER NOT NULL, -- 0 api_error, 1 retries exhausted
  seq INTEGER NOT NULL, time_ms REAL NOT NULL, prompt_id INTEGER, model_id INTEGER,
  status INTEGER, attempt INTEGER, error TEXT, duration_ms REAL, request_id TEXT,
  UNIQUE (session_id, kind, seq, time_ms)
);
CREATE INDEX api_errors_time ON api_errors(time_ms);
CREATE TABLE generic_events (
  id INTEGER PRIMARY KEY, session_id INTEGER NOT NULL, name_id INTEGER NOT NULL, seq INTEGER NOT NULL,
  time_ms REAL NOT NULL, prompt_id INTEGER, service_id INTEGER NOT NULL, attrs TEXT,
  UNIQUE (session_id, name_id, seq, time_ms)
);
CREATE TABLE metric_series (
  id INTEGER PRIMARY KEY, key TEXT NOT NULL UNIQUE, name_id INTEGER NOT NULL, session_id INTEGER NOT NULL,
  model_id INTEGER NOT NULL, type_id INTEGER NOT NULL, attrs TEXT
);
CREATE TABLE metric_points (
  id INTEGER PRIMARY KEY, series_id INTEGER NOT NULL, start_ns TEXT NOT NULL, time_ns TEXT NOT NULL,
  time_ms REAL NOT NULL, value REAL NOT NULL, delta REAL NOT NULL, temporality INTEGER NOT NULL,
  UNIQUE (series_id, start_ns, time_ns)
);
CREATE TABLE metric_series_state (
  series_id INTEGER PRIMARY KEY, start_ns TEXT NOT NULL, time_ns TEXT NOT NULL, last_value REAL NOT NULL
);
CREATE TABLE spans (
  id INTEGER PRIMARY KEY, session_id INTEGER NOT NULL, trace_id TEXT NOT NULL, span_id TEXT NOT NULL, parent_span_id TEXT,
  name_id INTEGER NOT NULL, type_id INTEGER, start_ms REAL NOT NULL, end_ms REAL NOT NULL,
  status INTEGER NOT NULL, status_msg TEXT, model_id INTEGER, request_id TEXT, tool_id INTEGER, tool_use_id TEXT,
  path_id INTEGER, decision_id INTEGER, source_id INTEGER, success INTEGER, attempt INTEGER, ttft_ms REAL, agent_id INTEGER,
  attrs TEXT,
  UNIQUE (trace_id, span_id)
);
CREATE INDEX spans_session ON spans(session_id, start_ms);

-- Rollups. Effective usage: per session, api_request events when it has any, else its cost/token metrics.
CREATE TABLE eff_usage (
  bucket INTEGER NOT NULL, model_id INTEGER NOT NULL,
  cost REAL NOT NULL DEFAULT 0, est_cost REAL NOT NULL DEFAULT 0, requests INTEGER NOT NULL DEFAULT 0,
  est_requests INTEGER NOT NULL DEFAULT 0, unpriced INTEGER NOT NULL DEFAULT 0,
  input INTEGER NOT NULL DEFAULT 0, output INTEGER NOT NULL DEFAULT 0, cache_read INTEGER NOT NULL DEFAULT 0, cache_creation INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (bucket, model_id)
) WITHOUT ROWID;
CREATE TABLE usage_rollup (
  bucket INTEGER NOT NULL, session_id INTEGER NOT NULL, model_id INTEGER NOT NULL, repo_id INTEGER NOT NULL,
  user_id INTEGER NOT NULL, qs_id INTEGER NOT NULL, src INTEGER NOT NULL, -- src 0 = api_request events, 1 = metrics
  cost REAL NOT NULL DEFAULT 0, est_cost REAL NOT NULL DEFAULT 0, requests INTEGER NOT NULL DEFAULT 0,
  est_requests INTEGER NOT NULL DEFAULT 0, unpriced INTEGER NOT NULL DEFAULT 0,
  input INTEGER NOT NULL DEFAULT 0, output INTEGER NOT NULL DEFAULT 0, cache_read INTEGER NOT NULL DEFAULT 0, cache_creation INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (bucket, session_id, model_id, repo_id, user_id, qs_id, src)
) WITHOUT ROWID;
CREATE INDEX usage_rollup_session ON usage_rollup(session_id, src);
CREATE TABLE activity_rollup (
  bucket INTEGER NOT NULL, session_id INTEGER NOT NULL,
  records INTEGER NOT NULL DEFAULT 0, prompts INTEGER NOT NULL DEFAULT 0, accepts INTEGER NOT NULL DEFAULT 0, rejects INTEGER NOT NULL DEFAULT 0,
  la_ev INTEGER NOT NULL DEFAULT 0, lr_ev INTEGER NOT NULL DEFAULT 0, la_m INTEGER NOT NULL DEFAULT 0, lr_m INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (bucket, session_id)
) WITHOUT ROWID;
CREATE TABLE file_rollup (
  bucket INTEGER NOT NULL, path_id INTEGER NOT NULL, session_id INTEGER NOT NULL,
  edits INTEGER NOT NULL DEFAULT 0, accepts INTEGER NOT NULL DEFAULT 0, rejects INTEGER NOT NULL DEFAULT 0,
  lines_added INTEGER NOT NULL DEFAULT 0, lines_removed INTEGER NOT NULL DEFAULT 0, last_ms REAL NOT NULL DEFAULT 0,
  PRIMARY KEY (bucket, path_id, session_id)
) WITHOUT ROWID;
CREATE TABLE tool_rollup (
  bucket INTEGER NOT NULL, tool_id INTEGER NOT NULL, mcp_server_id INTEGER NOT NULL,
  calls INTEGER NOT NULL DEFAULT 0, failures INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (bucket, tool_id)
) WITHOUT ROWID;
CREATE TABLE tool_hist (
  bucket INTEGER NOT NULL, tool_id INTEGER NOT NULL, hb INTEGER NOT NULL, n INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (bucket, tool_id, hb)
) WITHOUT ROWID;
CREATE TABLE decision_rollup (
  bucket INTEGER NOT NULL, tool_id INTEGER NOT NULL, lang_id INTEGER NOT NULL, source_id INTEGER NOT NULL,
  accepts INTEGER NOT NULL DEFAULT 0, rejects INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (bucket, tool_id, lang_id, source_id)
) WITHOUT ROWID;
CREATE TABLE error_rollup (
  bucket INTEGER NOT NULL, kind INTEGER NOT NULL, status INTEGER NOT NULL, n INTEGER NOT NULL DEFAULT 0, -- kind 0 api_error, 1 retries exhausted, 2 refusal; status -1 = none
  PRIMARY KEY (bucket, kind, status)
) WITHOUT ROWID;
`;

/** v2: MCP audit log and readable views for the read-only SQL tool. */
const V2 = `
CREATE TABLE audit (
  id INTEGER PRIMARY KEY, ts_ms REAL NOT NULL, tool TEXT NOT NULL, args_summary TEXT NOT NULL,
  rows INTEGER NOT NULL, duration_ms REAL NOT NULL, ok INTEGER NOT NULL
);
CREATE VIEW v_api_requests AS
  SELECT r.id, s.value AS session_id, CASE WHEN substr(r.dkey,1,1)='#' THEN NULL ELSE r.dkey END AS request_id,
    r.time_ms, m.value AS model, r.cost AS cost_usd, r.estimated, r.input AS input_tokens, r.output AS output_tokens,
    r.cache_read AS cache_read_tokens, r.cache_creation AS cache_creation_tokens, r.duration_ms, r.ttft_ms,
    q.value AS query_source
  FROM api_requests r JOIN dict s ON s.id = r.session_id JOIN dict m ON m.id = r.model_id LEFT JOIN dict q ON q.id = r.qs_id;
CREATE VIEW v_tool_calls AS
  SELECT t.id, s.value AS session_id, t.tool_use_id, t.time_ms, tn.value AS tool, ms.value AS mcp_server, p.value AS file_path,
    l.value AS language, d.value AS decision, ds.value AS decision_source, t.success, t.duration_ms, t.error,
    t.lines_added, t.lines_removed
  FROM tool_calls t JOIN dict s ON s.id = t.session_id JOIN dict tn ON tn.id = t.tool_id LEFT JOIN dict ms ON ms.id = t.mcp_server_id
    LEFT JOIN dict p ON p.id = t.path_id LEFT JOIN dict l ON l.id = t.lang_id LEFT JOIN dict d ON d.id = t.decision_id
    LEFT JOIN dict ds ON ds.id = t.dec_source_id;
CREATE VIEW v_sessions AS
  SELECT s.id AS session_key, d.value AS session_id, s.first_ms, s.last_ms, r.value AS repo, u.value AS user_id,
    CASE WHEN s.api_events > 0 THEN s.cost_ev ELSE s.cost_m END AS cost_usd, s.api_events AS requests, s.prompts,
    s.accepts, s.rejects
  FROM sessions s JOIN dict d ON d.id = s.id LEFT JOIN dict r ON r.id = s.repo_id LEFT JOIN dict u ON u.id = s.user_id;
CREATE VIEW v_usage_15m AS
  SELECT e.bucket * 900000 AS bucket_start_ms, m.value AS model, e.cost AS cost_usd, e.est_cost AS estimated_cost_usd,
    e.requests, e.input AS input_tokens, e.output AS output_tokens, e.cache_read AS cache_read_tokens,
    e.cache_creation AS cache_creation_tokens
  FROM eff_usage e JOIN dict m ON m.id = e.model_id;
`;

/** Forward migrations; index i brings a database from version i to i + 1. */
export const MIGRATIONS: readonly string[] = [V1, V2];
export const SCHEMA_VERSION = MIGRATIONS.length;

export function readSchemaVersion(db: Database): number {
  const t = db.exec(`SELECT 1 FROM sqlite_master WHERE type='table' AND name='meta'`);
  if (t.length === 0) return 0;
  const r = db.exec(`SELECT value FROM meta WHERE key='schema_version'`);
  return r.length ? Number(r[0].values[0][0]) : 0;
}

/**
 * Brings the database to SCHEMA_VERSION. Throws SchemaTooNewError (before any write) for a newer
 * database. `upTo` exists for tests that need an old-version database.
 */
export function migrate(db: Database, upTo = SCHEMA_VERSION): { from: number; to: number } {
  const from = readSchemaVersion(db);
  if (from > SCHEMA_VERSION) throw new SchemaTooNewError(from, SCHEMA_VERSION);
  if (from >= upTo) return { from, to: from };
  db.exec('BEGIN');
  try {
    for (let v = from; v < upTo; v++) db.exec(MIGRATIONS[v]);
    db.run(`INSERT OR REPLACE INTO meta(key, value) VALUES ('schema_version', ?)`, [upTo]);
    db.exec('COMMIT');
  } catch (err) {
    db.exec('ROLLBACK');
    throw err;
  }
  return { from, to: upTo };
}

/** What each table means, for describeSchema() (the MCP read-only SQL tool shows this to the model). */
export const TABLE_MEANINGS: Record<string, string> = {
  meta: 'Key/value: schema_version, data_version, last_event_ms.',
  dict: 'Interned strings (session ids, models, tools, repos, paths, users). Every *_id column of another table that is not a primary key points here.',
  sessions: 'One row per Claude Code session.id seen on any signal, with running totals. cost = cost_ev when api_events > 0 else cost_m (metric fallback). Prefer v_sessions.',
  session_models: 'Models used per session.',
  api_requests: 'One row per api_request event (raw detail, pruned after the retention period). Prefer v_api_requests.',
  prompts: 'One row per user_prompt event.',
  tool_calls: 'One row per tool use: the tool_decision and tool_result events joined by tool_use_id. Prefer v_tool_calls.',
  api_errors: 'api_error (kind 0) and api_retries_exhausted (kind 1) events.',
  generic_events: 'Other events (assistant_response, hooks, MCP connections, unknown names), bounded.',
  metric_series: 'One row per metric series (name + resource + scope + point attributes).',
  metric_points: 'Metric data points as received; delta = the cumulative-to-delta converted value.',
  metric_series_state: 'Last value per cumulative series (for cumulative-to-delta conversion across restarts).',
  spans: 'Trace spans (interaction, llm_request, tool, tool.blocked_on_user, tool.execution).',
  eff_usage: 'Rollup by 15-minute bucket (bucket = epoch_ms / 900000) x model of the effective usage (what totals show). Prefer v_usage_15m.',
  usage_rollup: 'Rollup by bucket x session x model x repo x user x query source x src (0 events, 1 metrics).',
  activity_rollup: 'Rollup by bucket x session: records, prompts, decisions, lines (events and metrics apart).',
  file_rollup: 'Rollup by bucket x file path x session: edits, decisions, lines.',
  tool_rollup: 'Rollup by bucket x tool: calls and failures.',
  tool_hist: 'Tool duration histogram by bucket x tool x log bucket hb (upper bound 2^(hb/4) ms).',
  decision_rollup: 'Rollup by bucket x tool x language x decision source: accepts and rejects.',
  error_rollup: 'Rollup by bucket x kind (0 api_error, 1 retries exhausted, 2 refusal) x HTTP status.',
  audit: 'MCP tool calls: time, tool, argument summary, rows returned, duration.',
  v_api_requests: 'Readable API requests: session_id, request_id, time_ms, model, cost_usd, tokens, query_source.',
  v_tool_calls: 'Readable tool calls: tool, file_path, decision, decision_source, success, duration_ms, lines.',
  v_sessions: 'Readable sessions with effective cost.',
  v_usage_15m: 'Readable effective usage per 15 minutes and model.',
};

export const SCHEMA_EXAMPLES: readonly string[] = [
  "SELECT model, SUM(cost_usd) AS usd FROM v_usage_15m WHERE bucket_start_ms >= strftime('%s','now','-7 days')*1000 GROUP BY model",
  'SELECT session_id, cost_usd, requests FROM v_sessions ORDER BY last_ms DESC LIMIT 10',
  "SELECT tool, COUNT(*) AS calls, SUM(success = 0) AS failures FROM v_tool_calls GROUP BY tool ORDER BY calls DESC",
];
