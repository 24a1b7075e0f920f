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
import { PRODUCTIVITY_SCHEMA_V9 } from './productivityRollup';
import { PRODUCTIVITY_SCHEMA_V10 } from './productivityFigures';

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

/** Columns renamed by v3 (table -> [old, new]); `migrate` applies them with ALTER TABLE ... RENAME COLUMN. */
export const V3_RENAMES: Readonly<Record<string, readonly (readonly [string, string])[]>> = {
  sessions: [
    ['api_events', 'api_request_events'], ['est_requests', 'estimated_requests'],
    ['cost_ev', 'cost_usd_events'], ['in_ev', 'input_tokens_events'], ['out_ev', 'output_tokens_events'],
    ['cr_ev', 'cache_read_tokens_events'], ['cc_ev', 'cache_creation_tokens_events'],
    ['cost_m', 'cost_usd_metrics'], ['in_m', 'input_tokens_metrics'], ['out_m', 'output_tokens_metrics'],
    ['cr_m', 'cache_read_tokens_metrics'], ['cc_m', 'cache_creation_tokens_metrics'],
    ['la_ev', 'lines_added_events'], ['lr_ev', 'lines_removed_events'], ['la_m', 'lines_added_metrics'], ['lr_m', 'lines_removed_metrics'],
    ['loc_metric', 'has_lines_metric'],
  ],
  api_requests: [
    ['dkey', 'dedup_key'], ['cost', 'cost_usd'], ['input', 'input_tokens'], ['output', 'output_tokens'],
    ['cache_read', 'cache_read_tokens'], ['cache_creation', 'cache_creation_tokens'],
    ['cc5m', 'cache_creation_5m_tokens'], ['cc1h', 'cache_creation_1h_tokens'], ['qs_id', 'query_source_id'],
  ],
  tool_calls: [
    ['lang_id', 'language_id'], ['dec_source_id', 'decision_source_id'], ['dec_ms', 'decision_ms'], ['res_ms', 'result_ms'],
    ['in_bytes', 'input_bytes'], ['out_bytes', 'result_bytes'],
  ],
  spans: [['status_msg', 'status_message'], ['source_id', 'decision_source_id']],
  effective_usage: usageRenames(),
  usage_rollup: [...usageRenames(), ['qs_id', 'query_source_id'], ['src', 'from_metrics']],
  activity_rollup: [['la_ev', 'lines_added_events'], ['lr_ev', 'lines_removed_events'], ['la_m', 'lines_added_metrics'], ['lr_m', 'lines_removed_metrics']],
  tool_hist: [['hb', 'duration_bucket']],
  decision_rollup: [['lang_id', 'language_id'], ['source_id', 'decision_source_id']],
};

function usageRenames(): (readonly [string, string])[] {
  return [
    ['cost', 'cost_usd'], ['est_cost', 'estimated_cost_usd'], ['est_requests', 'estimated_requests'], ['unpriced', 'unpriced_requests'],
    ['input', 'input_tokens'], ['output', 'output_tokens'], ['cache_read', 'cache_read_tokens'], ['cache_creation', 'cache_creation_tokens'],
  ];
}

/**
 * v3: readable names (the MCP SQL tool shows them to users), eff_usage -> effective_usage, and
 * acceptance by language from the code_edit_tool.decision metric (edit_decision_rollup, backfilled from
 * the raw metric points and tool calls still held). The views are dropped first and recreated with the
 * same output columns, so saved v_* queries keep working.
 */
const V3 = `
DROP VIEW v_api_requests; DROP VIEW v_tool_calls; DROP VIEW v_sessions; DROP VIEW v_usage_15m;
ALTER TABLE eff_usage RENAME TO effective_usage;
${Object.entries(V3_RENAMES).flatMap(([t, cols]) => cols.map(([a, b]) => `ALTER TABLE ${t} RENAME COLUMN ${a} TO ${b};`)).join('\n')}
ALTER TABLE sessions ADD COLUMN has_edit_decision_metric INTEGER NOT NULL DEFAULT 0;

-- Accepts/rejects of edit tools by language. from_metrics 1: the claude_code.code_edit_tool.decision
-- metric (it carries language for every decision); 0: tool_decision events whose tool_result named a
-- file (language from its extension). Queries count, per session, the metric rows when the session
-- sent that metric (sessions.has_edit_decision_metric), else the event rows: never both.
CREATE TABLE edit_decision_rollup (
  bucket INTEGER NOT NULL, session_id INTEGER NOT NULL, tool_id INTEGER NOT NULL, language_id INTEGER NOT NULL,
  decision_source_id INTEGER NOT NULL, from_metrics INTEGER NOT NULL,
  accepts INTEGER NOT NULL DEFAULT 0, rejects INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (bucket, session_id, tool_id, language_id, decision_source_id, from_metrics)
) WITHOUT ROWID;

-- Backfill from what the older version kept: metric points (deltas) and decided edit tool calls.
INSERT OR IGNORE INTO dict (value) SELECT DISTINCT json_extract(ms.attrs, '$.' || k.key)
  FROM metric_series ms JOIN dict n ON n.id = ms.name_id, (SELECT 'tool_name' AS key UNION ALL SELECT 'language' UNION ALL SELECT 'source') k
  WHERE n.value = 'claude_code.code_edit_tool.decision' AND json_valid(ms.attrs) AND typeof(json_extract(ms.attrs, '$.' || k.key)) = 'text'
  AND json_extract(ms.attrs, '$.' || k.key) <> '';
INSERT INTO edit_decision_rollup (bucket, session_id, tool_id, language_id, decision_source_id, from_metrics, accepts, rejects)
  SELECT * FROM (
    SELECT CAST(p.time_ms / 900000 AS INTEGER) AS b, ms.session_id AS sid,
      coalesce((SELECT id FROM dict WHERE value = json_extract(ms.attrs, '$.tool_name')), 0) AS tool,
      coalesce((SELECT id FROM dict WHERE value = json_extract(ms.attrs, '$.language')), 0) AS lang,
      coalesce((SELECT id FROM dict WHERE value = json_extract(ms.attrs, '$.source')), 0) AS src, 1,
      sum(CASE WHEN json_extract(ms.attrs, '$.decision') = 'accept' THEN p.delta ELSE 0 END) AS acc,
      sum(CASE WHEN json_extract(ms.attrs, '$.decision') = 'reject' THEN p.delta ELSE 0 END) AS rej
    FROM metric_points p JOIN metric_series ms ON ms.id = p.series_id JOIN dict n ON n.id = ms.name_id
    WHERE n.value = 'claude_code.code_edit_tool.decision' AND ms.session_id <> 0 AND json_valid(ms.attrs)
    GROUP BY b, sid, tool, lang, src
  ) WHERE true;
UPDATE sessions SET has_edit_decision_metric = 1 WHERE id IN (SELECT session_id FROM edit_decision_rollup WHERE from_metrics = 1);
INSERT INTO edit_decision_rollup (bucket, session_id, tool_id, language_id, decision_source_id, from_metrics, accepts, rejects)
  SELECT * FROM (
    SELECT CAST(t.decision_ms / 900000 AS INTEGER) AS b, t.session_id AS sid, t.tool_id AS tool, t.language_id AS lang,
      coalesce(t.decision_source_id, 0) AS src, 0, sum(d.value = 'accept') AS acc, sum(d.value = 'reject') AS rej
    FROM tool_calls t JOIN dict d ON d.id = t.decision_id JOIN dict tn ON tn.id = t.tool_id
    WHERE t.language_id IS NOT NULL AND t.decision_ms IS NOT NULL
      AND tn.value IN ('Write', 'Edit', 'MultiEdit', 'NotebookEdit')
    GROUP BY b, sid, tool, lang, src
  ) WHERE true;

CREATE VIEW v_api_requests AS
  SELECT r.id, s.value AS session_id, CASE WHEN substr(r.dedup_key,1,1)='#' THEN NULL ELSE r.dedup_key END AS request_id,
    r.time_ms, m.value AS model, r.cost_usd, r.estimated, r.input_tokens, r.output_tokens,
    r.cache_read_tokens, r.cache_creation_tokens, r.duration_ms, r.ttft_ms,
    q.value AS query_source
  FROM api_requests r JOIN dict s ON s.id = r.session_id JOIN dict m ON m.id = r.model_id LEFT JOIN dict q ON q.id = r.query_source_id;
CREATE VIEW v_tool_calls AS
  SELECT t.id, s.value AS session_id, t.tool_use_id, t.time_ms, tn.value AS tool, ms.value AS mcp_server, p.value AS file_path,
    l.value AS language, d.value AS decision, ds.value AS decision_source, t.success, t.duration_ms, t.error,
    t.lines_added, t.lines_removed
  FROM tool_calls t JOIN dict s ON s.id = t.session_id JOIN dict tn ON tn.id = t.tool_id LEFT JOIN dict ms ON ms.id = t.mcp_server_id
    LEFT JOIN dict p ON p.id = t.path_id LEFT JOIN dict l ON l.id = t.language_id LEFT JOIN dict d ON d.id = t.decision_id
    LEFT JOIN dict ds ON ds.id = t.decision_source_id;
CREATE VIEW v_sessions AS
  SELECT s.id AS session_key, d.value AS session_id, s.first_ms, s.last_ms, r.value AS repo, u.value AS user_id,
    CASE WHEN s.api_request_events > 0 THEN s.cost_usd_events ELSE s.cost_usd_metrics END AS cost_usd, s.api_request_events AS requests, s.prompts,
    s.accepts, s.rejects
  FROM sessions s JOIN dict d ON d.id = s.id LEFT JOIN dict r ON r.id = s.repo_id LEFT JOIN dict u ON u.id = s.user_id;
CREATE VIEW v_usage_15m AS
  SELECT e.bucket * 900000 AS bucket_start_ms, m.value AS model, e.cost_usd, e.estimated_cost_usd,
    e.requests, e.input_tokens, e.output_tokens, e.cache_read_tokens, e.cache_creation_tokens
  FROM effective_usage e JOIN dict m ON m.id = e.model_id;
`;

/**
 * v4: transcript import (issue "History and full coverage"). Requests from transcripts live in
 * api_requests beside OTLP ones (source 1), reconciled by request id (dedup_key, now indexed on its own:
 * a resumed session can carry another session's request) and message id; OTLP replaces a transcript row
 * of the same request. Per-file read positions are stored with the rows they produced (one transaction).
 */
const V4 = `
ALTER TABLE api_requests ADD COLUMN source INTEGER NOT NULL DEFAULT 0;
ALTER TABLE api_requests ADD COLUMN message_id TEXT;
ALTER TABLE api_requests ADD COLUMN price_source INTEGER NOT NULL DEFAULT 0;
ALTER TABLE api_requests ADD COLUMN repo_id INTEGER NOT NULL DEFAULT 0;
ALTER TABLE api_requests ADD COLUMN user_id INTEGER NOT NULL DEFAULT 0;
ALTER TABLE api_requests ADD COLUMN web_search_requests INTEGER NOT NULL DEFAULT 0;
ALTER TABLE api_requests ADD COLUMN speed TEXT;
ALTER TABLE api_requests ADD COLUMN inference_geo TEXT;
CREATE INDEX api_requests_request_id ON api_requests(dedup_key);
CREATE INDEX api_requests_message_id ON api_requests(message_id) WHERE message_id IS NOT NULL;
ALTER TABLE sessions ADD COLUMN transcript_requests INTEGER NOT NULL DEFAULT 0;
ALTER TABLE prompts ADD COLUMN source INTEGER NOT NULL DEFAULT 0;
CREATE INDEX prompts_prompt_id ON prompts(session_id, prompt_id) WHERE prompt_id IS NOT NULL;
ALTER TABLE tool_calls ADD COLUMN source INTEGER NOT NULL DEFAULT 0;
CREATE TABLE session_details (
  session_id INTEGER PRIMARY KEY, title TEXT, title_source TEXT, cwd TEXT, git_branch TEXT, entrypoint TEXT
);
CREATE TABLE transcript_files (
  path TEXT PRIMARY KEY, ino INTEGER NOT NULL, position INTEGER NOT NULL, skipping INTEGER NOT NULL DEFAULT 0,
  size INTEGER NOT NULL DEFAULT 0, lines INTEGER NOT NULL DEFAULT 0, updated_ms REAL NOT NULL
);
CREATE TABLE learned_prices (key TEXT PRIMARY KEY, state TEXT NOT NULL) WITHOUT ROWID;
DROP VIEW v_api_requests;
CREATE VIEW v_api_requests AS
  SELECT r.id, s.value AS session_id, CASE WHEN substr(r.dedup_key,1,1)='#' THEN NULL ELSE r.dedup_key END AS request_id,
    r.time_ms, m.value AS model, r.cost_usd, r.estimated, r.input_tokens, r.output_tokens,
    r.cache_read_tokens, r.cache_creation_tokens, r.duration_ms, r.ttft_ms,
    q.value AS query_source, CASE r.source WHEN 1 THEN 'transcript' ELSE 'otlp' END AS source,
    CASE r.price_source WHEN 0 THEN 'reported' WHEN 1 THEN 'learned' WHEN 2 THEN 'override' WHEN 3 THEN 'table' ELSE 'none' END AS price_source
  FROM api_requests r JOIN dict s ON s.id = r.session_id JOIN dict m ON m.id = r.model_id LEFT JOIN dict q ON q.id = r.query_source_id;
`;

/**
 * v5: request id aliases. A replay of a message under another request id (a resumed session's or /btw
 * file) that is imported before the line of its original request holds the row; the original request
 * id is kept here so Claude Code's OTLP api_request for it replaces that row instead of adding one.
 */
const V5 = `
CREATE TABLE request_aliases (request_id TEXT PRIMARY KEY, message_id TEXT NOT NULL) WITHOUT ROWID;
`;

/**
 * v6: estimate_rollup, so the overview, MCP usage_summary and the `prices` query can say which figures are
 * estimates and which price source each used, per range and model, without scanning api_requests (it has
 * no time index, and its raw rows are pruned after rawDays while the totals they are compared with come
 * from rollups: counting the raw rows would undercount older ranges). Only estimates are rolled up (OTLP
 * rows with Claude Code's reported cost are not), so the table stays small for OTLP users. Maintained by
 * apply.ts with every api_requests insert and retraction; backfilled from the raw rows still held.
 */
const V6 = `
-- Rows estimated before v4 kept price_source 0 (reported): they were priced by the table, or unpriced.
UPDATE api_requests SET price_source = CASE WHEN unpriced = 1 THEN 4 ELSE 3 END WHERE source = 0 AND estimated = 1 AND price_source = 0;
CREATE TABLE estimate_rollup (
  bucket INTEGER NOT NULL, model_id INTEGER NOT NULL, source INTEGER NOT NULL, price_source INTEGER NOT NULL,
  requests INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (bucket, model_id, source, price_source)
) WITHOUT ROWID;
INSERT INTO estimate_rollup (bucket, model_id, source, price_source, requests)
  SELECT * FROM (
    SELECT CAST(time_ms / 900000 AS INTEGER) AS b, model_id, source, price_source, count(*)
    FROM api_requests WHERE source <> 0 OR price_source <> 0 GROUP BY b, model_id, source, price_source
  ) WHERE true;
`;

/**
 * v7: plan limits (issue 13). Claude Code's status line reports the subscription windows
 * (`rate_limits.five_hour` / `seven_day`); `cli.js statusline` posts them to /api/statusline. One row per
 * distinct snapshot of an account: a repeat of the same numbers only moves last_ms, so the table grows
 * with changes, not with messages. account = the session's user.id when the ledger knows the session, ''
 * otherwise. Percentages 0-100 as reported; resets in epoch ms.
 */
const V7 = `
CREATE TABLE rate_limit_snapshots (
  id INTEGER PRIMARY KEY, account TEXT NOT NULL DEFAULT '', session_id TEXT, model TEXT,
  first_ms REAL NOT NULL, last_ms REAL NOT NULL,
  five_hour_percent REAL, five_hour_resets_ms REAL, seven_day_percent REAL, seven_day_resets_ms REAL
);
CREATE INDEX rate_limit_snapshots_last ON rate_limit_snapshots(last_ms);
`;

/**
 * v8: the store at scale (issue 11). metric_points, the largest table (most records are metric points,
 * and no named query reads them: totals come from rollups), becomes a WITHOUT ROWID table keyed by
 * (time_ns, series_id, start_ns): the row is stored once in its key's b-tree instead of a rowid table
 * plus a UNIQUE index that repeated the two nanosecond times as 19-digit text. The key is the same set of
 * columns as the old UNIQUE constraint (idempotency unchanged); the times are integers (exact int64), and
 * time first makes inserts append and lets retention delete a key range. api_requests gets an index on
 * time_ms: activityBlocks and planLimits read requests by time and scanned the whole table.
 */
const V8 = `
CREATE TABLE metric_points_v8 (
  time_ns INTEGER NOT NULL, series_id INTEGER NOT NULL, start_ns INTEGER NOT NULL,
  time_ms REAL NOT NULL, value REAL NOT NULL, delta REAL NOT NULL, temporality INTEGER NOT NULL,
  PRIMARY KEY (time_ns, series_id, start_ns)
) WITHOUT ROWID;
INSERT OR IGNORE INTO metric_points_v8 (time_ns, series_id, start_ns, time_ms, value, delta, temporality)
  SELECT CAST(time_ns AS INTEGER), series_id, CAST(start_ns AS INTEGER), time_ms, value, delta, temporality FROM metric_points ORDER BY time_ns;
DROP TABLE metric_points;
ALTER TABLE metric_points_v8 RENAME TO metric_points;
CREATE INDEX api_requests_time ON api_requests(time_ms);
`;

/**
 * v9: the named queries at scale (issue 11).
 * - productivity_rollup and session_identity (productivityRollup.ts): the productivity query read every
 *   metric point of its range and scanned every metric series' JSON (2.7 s over 30 days at 5M events).
 *   Backfilled from the points and series held.
 * - api_requests_hour (the UTC hour of time_ms) replaces api_requests_time: activityBlocks and planLimits
 *   group requests per UTC hour, and an index on that expression hands them the rows in group order (no
 *   sort). The rows of an hour arrived together, so their table lookups hit the same pages: as fast at 5M
 *   as an index covering the summed columns (82 bytes per request), at 12 bytes per request instead of
 *   api_requests_time's 17. Nothing else read requests by time (the CSV export pages by rowid).
 */
const V9 = `
${PRODUCTIVITY_SCHEMA_V9}
DROP INDEX api_requests_time;
CREATE INDEX api_requests_hour ON api_requests(CAST(time_ms / 3600000 AS INTEGER));
`;

/**
 * Forward migrations; index i brings a database from version i to i + 1. A new database runs them all
 * (v1's short names are renamed by v3), so a fresh and a migrated database have the same schema.
 */
/**
 * v10: the productivity query without a row per session of its range (issue 11; productivityFigures.ts).
 * - productivity_rollup gains the figures whose source is chosen per session (lines, edit decisions,
 *   cost), with the rule applied at ingest;
 * - session_productivity: each session's whole figures, activity span and identity;
 * - productivity_groups: those sessions summed per first bucket x identity.
 * Backfilled from the rollups held, by the rules the v9 query applied.
 */
const V10 = PRODUCTIVITY_SCHEMA_V10;

export const MIGRATIONS: readonly string[] = [V1, V2, V3, V4, V5, V6, V7, V8, V9, V10];
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
  sessions: 'One row per Claude Code session.id seen on any signal, with running totals kept apart per origin (*_events from api_request events, *_metrics from metrics). cost = cost_usd_events when api_request_events > 0 else cost_usd_metrics. Prefer v_sessions.',
  session_models: 'Models used per session.',
  api_requests: 'One row per API request (raw detail, pruned after the retention period): source 0 = Claude Code\'s OTLP api_request (its own cost), 1 = imported from a transcript (cost estimated; price_source 1 learned from Claude Code, 2 user override, 3 bundled table, 4 none = unpriced). One row per request id whichever source saw it first; OTLP replaces a transcript row. Prefer v_api_requests.',
  prompts: 'One row per user prompt (source 0 user_prompt event, 1 transcript; joined by prompt_id).',
  tool_calls: 'One row per tool use: the tool_decision and tool_result events joined by tool_use_id (source 1: first seen in a transcript). Prefer v_tool_calls.',
  session_details: 'Per session, from transcripts: title (only with capture.prompts), working folder, git branch, entrypoint.',
  transcript_files: 'Transcript files read: path, inode, byte position read up to (stored with the rows it produced).',
  request_aliases: 'Request ids seen in transcripts for a message already imported under another request id (replays): OTLP api_requests of these ids replace that row.',
  learned_prices: 'Prices learned from Claude Code\'s own api_request costs, per model|speed|context|geo key (JSON state).',
  api_errors: 'api_error (kind 0) and api_retries_exhausted (kind 1) events.',
  generic_events: 'Other events (assistant_response, hooks, MCP connections, unknown names), bounded.',
  metric_series: 'One row per metric series (name + resource + scope + point attributes); attrs is JSON of the point attributes plus team.id and user.email when Claude Code sent them.',
  metric_points: 'Metric data points as received, keyed by (time_ns, series_id, start_ns) (integers, epoch ns); delta = the cumulative-to-delta converted value.',
  metric_series_state: 'Last value per cumulative series (for cumulative-to-delta conversion across restarts).',
  spans: 'Trace spans (interaction, llm_request, tool, tool.blocked_on_user, tool.execution).',
  effective_usage: 'Rollup by 15-minute bucket (bucket = epoch_ms / 900000) x model of the effective usage (what totals show). Prefer v_usage_15m.',
  usage_rollup: 'Rollup by bucket x session x model x repo x user x query source x from_metrics (0 api_request events, 1 metrics).',
  activity_rollup: 'Rollup by bucket x session: records, prompts, decisions, lines (events and metrics apart).',
  file_rollup: 'Rollup by bucket x file path x session: edits, decisions, lines.',
  tool_rollup: 'Rollup by bucket x tool: calls and failures.',
  tool_hist: 'Tool duration histogram by bucket x tool x duration_bucket (upper bound 2^(duration_bucket/4) ms).',
  decision_rollup: 'Rollup of tool_decision events by bucket x tool x language x decision source: accepts and rejects.',
  edit_decision_rollup: 'Edit-tool accepts/rejects by bucket x session x tool x language x decision source x from_metrics (1 = the code_edit_tool.decision metric, 0 = tool_decision events with the language of their file). Count from_metrics = sessions.has_edit_decision_metric only.',
  estimate_rollup: 'Estimated requests (no cost reported by Claude Code) by bucket x model x source (0 OTLP, 1 transcript) x price_source (1 learned, 2 override, 3 table, 4 none); requests with a reported cost are not in it.',
  productivity_rollup: 'Rollup by bucket x session of Claude Code\'s active time (active_seconds_user / active_seconds_cli), commit and pull request metrics (session_id 0 = points without session.id), and of lines, edit decisions (own_ = not by a config rule or hook) and effective cost, each from the source the session\'s rule picks (the metric when the session sent it, else events).',
  session_productivity: 'Per session with activity: its productivity_rollup figures summed, the bucket span of its activity (first_bucket, last_bucket) and its identity (repo_id, user_id, email, team; \'\' = none).',
  productivity_buckets: 'productivity_rollup summed per bucket (all sessions): the productivity series.',
  edit_language_rollup: 'Edit-tool accepts/rejects by bucket x language, from the code_edit_tool.decision metric for sessions that sent it, else tool_decision events (acceptance by language).',
  productivity_groups: 'session_productivity summed per first_bucket x repo_id x user_id x email x team: sessions, metric_sessions, cost and seconds of sessions with active time, figures.',
  session_identity: 'Per session that sent metrics: the team.id and user.email of its metric series (null when not sent).',
  error_rollup: 'Rollup by bucket x kind (0 api_error, 1 retries exhausted, 2 refusal) x HTTP status (-1 = none).',
  rate_limit_snapshots: 'Plan limits from Claude Code\'s status line (subscribers): one row per distinct snapshot per account (user.id of the session, \'\' when unknown); five_hour_percent / seven_day_percent 0-100, *_resets_ms epoch ms; first_ms/last_ms when these numbers were first and last reported.',
  audit: 'MCP tool calls: time, tool, argument summary, rows returned, duration.',
  v_api_requests: 'Readable API requests: session_id, request_id, time_ms, model, cost_usd, tokens, query_source, source (otlp/transcript), price_source.',
  v_tool_calls: 'Readable tool calls: tool, file_path, decision, decision_source, success, duration_ms, lines.',
  v_sessions: 'Readable sessions with effective cost.',
  v_usage_15m: 'Readable effective usage per 15 minutes and model.',
};

export const SCHEMA_EXAMPLES: readonly string[] = [
  "SELECT model, SUM(cost_usd) AS usd FROM v_usage_15m WHERE bucket_start_ms >= strftime('%s','now','-7 days')*1000 GROUP BY model",
  'SELECT session_id, cost_usd, requests FROM v_sessions ORDER BY last_ms DESC LIMIT 10',
  "SELECT tool, COUNT(*) AS calls, SUM(success = 0) AS failures FROM v_tool_calls GROUP BY tool ORDER BY calls DESC",
];
