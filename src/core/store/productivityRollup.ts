// What the productivity query needs, kept at ingest so it reads neither raw metric points (schema v9) nor
// a row per session of its range (schema v10; the per-session rules live in productivityFigures.ts):
// - productivity_rollup: per 15-minute bucket and session, the deltas of active time (user / cli),
//   commits and pull requests. Fed by apply.ts `metric()` with each new point's delta (cumulative
//   series already converted, resets and late points handled there), so the sums are the sums of
//   metric_points.delta the query used to read; session 0 holds points without session.id (they count in
//   totals and series only). Kept like the other rollups (rollupDays), so these figures outlive the raw
//   points (rawDays).
// - session_identity: per session with at least one metric series, the greatest `team.id` and
//   `user.email` of its series (what max(json_extract(metric_series.attrs, ...)) gave), written when a
//   series is first stored.
import type { MetricPoint } from '../otlp/records';
import type { ProductivityFigures } from './productivityFigures';
import type { StatementCache } from './statementCache';

/** Metric names and the figure columns they feed; active time splits by its `type` attribute. */
export const PRODUCTIVITY_METRIC_NAMES = {
  activeTime: 'claude_code.active_time.total',
  commits: 'claude_code.commit.count',
  pullRequests: 'claude_code.pull_request.count',
} as const;

/** The metric figures' columns (schema v9); v10 adds the per-session-rule figures (productivityFigures.ts). */
const V9_COLUMNS = ['active_seconds_user', 'active_seconds_cli', 'commits', 'pull_requests'] as const;
export type ProductivityColumn = (typeof V9_COLUMNS)[number];

/** The column a point of `name` with attribute `type` adds to, or undefined (not a productivity figure). */
export function productivityColumn(name: string, type: unknown): ProductivityColumn | undefined {
  if (name === PRODUCTIVITY_METRIC_NAMES.commits) return 'commits';
  if (name === PRODUCTIVITY_METRIC_NAMES.pullRequests) return 'pull_requests';
  if (name === PRODUCTIVITY_METRIC_NAMES.activeTime) {
    if (type === 'user') return 'active_seconds_user';
    if (type === 'cli') return 'active_seconds_cli';
  }
  return undefined;
}

/** Adds a new metric point's delta (the caller stored the point; a duplicate never gets here). */
export function rollupProductivityPoint(figures: ProductivityFigures, bucket: number, sessionId: number, r: MetricPoint, delta: number): void {
  const col = productivityColumn(r.name, r.attrs.type);
  if (col) figures.add(bucket, sessionId, col, delta);
}

const IDENTITY_SQL = `INSERT INTO session_identity (session_id, team, email) VALUES (?, ?, ?)
  ON CONFLICT (session_id) DO UPDATE SET
    team = CASE WHEN excluded.team IS NULL THEN team WHEN team IS NULL THEN excluded.team ELSE max(team, excluded.team) END,
    email = CASE WHEN excluded.email IS NULL THEN email WHEN email IS NULL THEN excluded.email ELSE max(email, excluded.email) END`;

/**
 * A metric series was stored for the first time: its session has metrics, and maybe a team and e-mail.
 * `attrsJson` is the series' stored attrs; attrs cut at the size bound are not JSON and name nobody (the
 * query skipped such series).
 */
export function noteSeriesIdentity(sql: StatementCache, sessionId: number, attrsJson: string | null): void {
  if (!sessionId) return;
  let attrs: Record<string, unknown> = {};
  if (attrsJson !== null) {
    try {
      attrs = JSON.parse(attrsJson) as Record<string, unknown>;
    } catch {
      return;
    }
  }
  const text = (v: unknown) => (typeof v === 'string' ? v : null);
  sql.run(IDENTITY_SQL, [sessionId, text(attrs['team.id']), text(attrs['user.email'])]);
}

/** Schema v9 DDL and the backfill from the metric points and series an older version kept (fixed: migration v9). */
export const PRODUCTIVITY_SCHEMA_V9 = `
CREATE TABLE productivity_rollup (
  bucket INTEGER NOT NULL, session_id INTEGER NOT NULL,
  ${V9_COLUMNS.map((c) => `${c} REAL NOT NULL DEFAULT 0`).join(', ')},
  PRIMARY KEY (bucket, session_id)
) WITHOUT ROWID;
CREATE TABLE session_identity (session_id INTEGER PRIMARY KEY, team TEXT, email TEXT);
INSERT INTO productivity_rollup (bucket, session_id, ${V9_COLUMNS.join(', ')})
  SELECT * FROM (
    SELECT CAST(p.time_ms / 900000 AS INTEGER) AS b, ms.session_id AS sid,
      total(CASE WHEN n.value = '${PRODUCTIVITY_METRIC_NAMES.activeTime}' AND t.value = 'user' THEN p.delta ELSE 0 END),
      total(CASE WHEN n.value = '${PRODUCTIVITY_METRIC_NAMES.activeTime}' AND t.value = 'cli' THEN p.delta ELSE 0 END),
      total(CASE WHEN n.value = '${PRODUCTIVITY_METRIC_NAMES.commits}' THEN p.delta ELSE 0 END),
      total(CASE WHEN n.value = '${PRODUCTIVITY_METRIC_NAMES.pullRequests}' THEN p.delta ELSE 0 END)
    FROM metric_points p JOIN metric_series ms ON ms.id = p.series_id JOIN dict n ON n.id = ms.name_id LEFT JOIN dict t ON t.id = ms.type_id
    WHERE n.value IN ('${PRODUCTIVITY_METRIC_NAMES.commits}', '${PRODUCTIVITY_METRIC_NAMES.pullRequests}')
       OR (n.value = '${PRODUCTIVITY_METRIC_NAMES.activeTime}' AND t.value IN ('user', 'cli'))
    GROUP BY b, sid
  ) WHERE true;
INSERT INTO session_identity (session_id, team, email)
  SELECT * FROM (
    SELECT session_id, max(json_extract(attrs, '$."team.id"')), max(json_extract(attrs, '$."user.email"'))
    FROM metric_series WHERE session_id <> 0 AND (attrs IS NULL OR json_valid(attrs)) GROUP BY session_id
  ) WHERE true;
`;
