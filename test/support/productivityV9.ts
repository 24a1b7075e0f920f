// The productivity query as schema v9 ran it (src/core/queries/productivity.ts at 8a80999, imports
// adjusted): the per-session rules applied to the rollups at every request. The reference the v10 query
// (figures kept at ingest: src/core/store/productivityFigures.ts) is compared with in
// test/unit/productivityFigures.test.ts and productivityRollup.test.ts. Not used by the product.
// productivity(range): Claude Code's team-dashboard figures (the seeds' Grafana boards) from the store.
//
// Sources, per figure:
// - active time (user vs CLI), commits, pull requests: Claude Code's metrics claude_code.active_time.total
//   {type=user|cli}, commit.count, pull_request.count, from productivity_rollup (schema v9, maintained at
//   ingest from each point's delta: store/productivityRollup.ts).
// - lines added/removed: activity_rollup with the summary's per-session rule (the lines_of_code metric
//   when the session sent it, else the tool events / transcript lines; never both).
// - edit acceptance: edit_decision_rollup with the acceptance query's per-session rule (the
//   code_edit_tool.decision metric when sent, else tool_decision events); "user" = not a config rule or hook.
// - cost: effective usage per session (usage_rollup, EFFECTIVE_WHERE), for the ratios and the tables.
// Repository = the session's `repo.name`; user = `user.email` (OAuth) else `user.id`; team = `team.id`
// (both from session_identity, kept from the metric series by apply.ts). Series are filled with zero periods
// over the range, at the bucket size seriesBucketFor picks (hours for a day, days for a month, weeks beyond).
// The per-session rules, the repository / user groups and the totals are one statement (GROUPS_SQL): JS
// receives a row per group and the totals, not a row per session and source.
import type { ProductivityDto, ProductivityFiguresDto, ProductivityGroupDto, ProductivityPointDto, QueryMethods, SeriesBucket } from '../../src/protocol/dto';
import { fillSeries, seriesBucketFor } from '../../src/core/time/buckets';
import { BUCKET_MS, localPeriodStart, toLocalIso } from '../../src/core/time/range';
import { AUTO_SOURCES } from '../../src/core/queries/acceptance';
import { EFFECTIVE_FROM, EFFECTIVE_WHERE, localPeriodKey, rangeBuckets, rate, type QueryContext } from '../../src/core/queries/common';
import { PRODUCTIVITY_METRIC_NAMES } from '../../src/core/store/productivityRollup';

/** Bounds of the answer, each with its reason. */
export const PRODUCTIVITY_LIMITS = {
  /** Rows of the per-repository and per-user tables: a dashboard table and an MCP answer stay readable. */
  maxGroups: 50,
} as const;

export const PRODUCTIVITY_METRICS = PRODUCTIVITY_METRIC_NAMES;

export const zeroFigures = (): ProductivityFiguresDto => ({
  activeSecondsUser: 0, activeSecondsCli: 0, commits: 0, pullRequests: 0, linesAdded: 0, linesRemoved: 0,
  editAccepts: 0, editRejects: 0, userEditAccepts: 0, userEditRejects: 0,
});

function addFigures(into: ProductivityFiguresDto, x: Partial<ProductivityFiguresDto>): void {
  for (const k of Object.keys(x) as (keyof ProductivityFiguresDto)[]) into[k] += x[k] ?? 0;
}

const AUTO_IN = [...AUTO_SOURCES].map((s) => `'${s.replace(/'/g, "''")}'`).join(', ');
/** Lines of a session: the lines_of_code metric when it sent it, else tool events / transcripts (summary's rule). */
const LINES = `CASE WHEN s.has_lines_metric THEN a.lines_added_metrics ELSE a.lines_added_events END`;
const LINES_R = `CASE WHEN s.has_lines_metric THEN a.lines_removed_metrics ELSE a.lines_removed_events END`;
/** Edit decisions: the code_edit_tool.decision metric when the session sent it, else events (acceptance's rule). */
const DECISIONS_FROM = `edit_decision_rollup x JOIN sessions s ON s.id = x.session_id
   WHERE x.bucket >= ? AND x.bucket < ? AND x.from_metrics = s.has_edit_decision_metric`;
/** A decision by a config rule or hook ("yours" = the others): by dict id (the subquery runs once), not a dict lookup per row. */
const AUTO = `x.decision_source_id IN (SELECT id FROM dict WHERE value IN (${AUTO_IN}))`;

/** Active time, commits and pull requests of a session or period (the metric part of the figures). */
export type MetricFigures = Pick<ProductivityFiguresDto, 'activeSecondsUser' | 'activeSecondsCli' | 'commits' | 'pullRequests'>;

/**
 * Where the metric figures come from: productivity_rollup (ROLLUP_METRICS). An interface so a test can
 * run the same query over the raw metric points (what this query read before schema v9) and compare.
 */
export interface ProductivityMetricSource {
  /** Figures per session id (0 = points without session.id) over buckets [b0, b1). */
  bySession(ctx: QueryContext, b0: number, b1: number): { sid: number; f: MetricFigures }[];
  /** Figures per local period start (ms) over buckets [b0, b1). */
  byPeriod(ctx: QueryContext, b0: number, b1: number, bucket: SeriesBucket): { start: number; f: MetricFigures }[];
  /**
   * bySession as SQL (a SELECT of columns sid, u, c, k, pr, with its parameters) that the grouping statement
   * reads as a CTE; without it, bySession's rows are passed in as JSON.
   */
  bySessionSql?(b0: number, b1: number): { sql: string; params: (number | string)[] };
}

const METRIC_SUMS = `total(x.active_seconds_user) AS u, total(x.active_seconds_cli) AS c, total(x.commits) AS k, total(x.pull_requests) AS pr`;
type MetricSumsRow = { u: number; c: number; k: number; pr: number };
const figuresOf = (x: MetricSumsRow): MetricFigures => ({ activeSecondsUser: x.u, activeSecondsCli: x.c, commits: x.k, pullRequests: x.pr });

const ROLLUP_BY_SESSION = `SELECT x.session_id AS sid, ${METRIC_SUMS} FROM productivity_rollup x WHERE x.bucket >= ? AND x.bucket < ? GROUP BY x.session_id`;

export const ROLLUP_METRICS: ProductivityMetricSource = {
  bySessionSql: (b0, b1) => ({ sql: ROLLUP_BY_SESSION, params: [b0, b1] }),
  bySession: (ctx, b0, b1) =>
    ctx.sql
      .all<MetricSumsRow & { sid: number }>(ROLLUP_BY_SESSION, [b0, b1])
      .map((x) => ({ sid: x.sid, f: figuresOf(x) })),
  byPeriod: (ctx, b0, b1, bucket) => {
    const key = localPeriodKey(ctx, 'productivity_rollup', 'g.b', b0, b1, bucket);
    return ctx.sql
      .all<MetricSumsRow & { fb: number }>(
        `SELECT ${key.expr} AS pk, min(g.b) AS fb, total(g.u) AS u, total(g.c) AS c, total(g.k) AS k, total(g.pr) AS pr
         FROM (SELECT x.bucket AS b, ${METRIC_SUMS} FROM productivity_rollup x WHERE x.bucket >= ? AND x.bucket < ? GROUP BY x.bucket) g GROUP BY pk`,
        [...key.params, b0, b1],
      )
      .map((x) => ({ start: localPeriodStart(x.fb, bucket), f: figuresOf(x) }));
  },
};

/**
 * Productivity figures per local period (hour, day or week start, ms) of buckets [b0, b1): the series of
 * the view and the CSV `daily` rows.
 */
export function periodFigures(ctx: QueryContext, b0: number, b1: number, bucket: SeriesBucket, metrics: ProductivityMetricSource = ROLLUP_METRICS): Map<number, ProductivityFiguresDto> {
  const periods = new Map<number, ProductivityFiguresDto>();
  const atPeriod = (startMs: number): ProductivityFiguresDto => {
    let f = periods.get(startMs);
    if (!f) periods.set(startMs, (f = zeroFigures()));
    return f;
  };
  for (const m of metrics.byPeriod(ctx, b0, b1, bucket)) addFigures(atPeriod(m.start), m.f);
  // Each sum is taken per 15-minute bucket first (rows come in bucket order: no sort), then per period over
  // those few rows: grouping the rollup rows by period directly sorted every one of them.
  const aKey = localPeriodKey(ctx, 'activity_rollup', 'g.b', b0, b1, bucket);
  for (const x of ctx.sql.all<{ fb: number; la: number; lr: number }>(
    `SELECT ${aKey.expr} AS pk, min(g.b) AS fb, sum(g.la) AS la, sum(g.lr) AS lr
     FROM (SELECT a.bucket AS b, sum(${LINES}) AS la, sum(${LINES_R}) AS lr
           FROM activity_rollup a JOIN sessions s ON s.id = a.session_id WHERE a.bucket >= ? AND a.bucket < ? GROUP BY a.bucket) g GROUP BY pk`,
    [...aKey.params, b0, b1],
  )) {
    addFigures(atPeriod(localPeriodStart(x.fb, bucket)), { linesAdded: x.la ?? 0, linesRemoved: x.lr ?? 0 });
  }
  const dKey = localPeriodKey(ctx, 'edit_decision_rollup', 'g.b', b0, b1, bucket);
  for (const x of ctx.sql.all<{ fb: number; acc: number; rej: number; uacc: number; urej: number }>(
    `SELECT ${dKey.expr} AS pk, min(g.b) AS fb, sum(g.acc) AS acc, sum(g.rej) AS rej, sum(g.uacc) AS uacc, sum(g.urej) AS urej
     FROM (SELECT x.bucket AS b, sum(x.accepts) AS acc, sum(x.rejects) AS rej,
             sum(CASE WHEN ${AUTO} THEN 0 ELSE x.accepts END) AS uacc, sum(CASE WHEN ${AUTO} THEN 0 ELSE x.rejects END) AS urej
           FROM ${DECISIONS_FROM} GROUP BY x.bucket) g GROUP BY pk`,
    [...dKey.params, b0, b1],
  )) {
    addFigures(atPeriod(localPeriodStart(x.fb, bucket)), {
      editAccepts: x.acc ?? 0, editRejects: x.rej ?? 0, userEditAccepts: x.uacc ?? 0, userEditRejects: x.urej ?? 0,
    });
  }
  return periods;
}

/**
 * Per-session metric figures as SQL (columns sid, u, c, k, pr) for the grouping statement: the source's own
 * SQL when it has one (ROLLUP_METRICS), else its bySession rows passed in as one JSON parameter.
 */
function sessionMetricsSql(ctx: QueryContext, metrics: ProductivityMetricSource, b0: number, b1: number): { sql: string; params: (number | string)[] } {
  if (metrics.bySessionSql) return metrics.bySessionSql(b0, b1);
  const rows = metrics.bySession(ctx, b0, b1).map(({ sid, f }) => [sid, f.activeSecondsUser, f.activeSecondsCli, f.commits, f.pullRequests]);
  return {
    sql: `SELECT json_extract(j.value, '$[0]') AS sid,
        json_extract(j.value, '$[1]') AS u,
        json_extract(j.value, '$[2]') AS c,
        json_extract(j.value, '$[3]') AS k,
        json_extract(j.value, '$[4]') AS pr
      FROM json_each(?) j`,
    params: [JSON.stringify(rows)],
  };
}

/** A decision by the person (not by a config rule or hook): `autoIds` are those sources' dict ids, looked up once. */
const ownDecision = (autoIds: readonly number[]) => (t: string): string =>
  autoIds.length ? `${t}.decision_source_id NOT IN (${autoIds.map((id) => Math.trunc(id)).join(', ')})` : '1';

/** One row of GROUPS_SQL: a repository, a user and team, or the totals (kind 'totals'). */
interface GroupRow extends MetricSumsRow {
  kind: 'repo' | 'user' | 'totals';
  /** Sort keys of the groups: repository, or user and team ('' for none). */
  key1: string | null;
  key2: string | null;
  repo: string | null;
  user: string | null;
  user_is_email: number;
  team: string | null;
  la: number; lr: number; acc: number; rej: number; uacc: number; urej: number;
  sessions: number;
  cost: number;
  /** Totals only. */
  metric_sessions: number;
  active_cost: number;
  active_seconds: number;
}

const figuresOfRow = (x: GroupRow): ProductivityFiguresDto => ({
  ...figuresOf(x), linesAdded: x.la, linesRemoved: x.lr, editAccepts: x.acc, editRejects: x.rej, userEditAccepts: x.uacc, userEditRejects: x.urej,
});

/** Figure sums of a group of per_session rows (the columns of GroupRow). */
const GROUP_SUMS = `total(ps.u) AS u,
    total(ps.c) AS c,
    total(ps.k) AS k,
    total(ps.pr) AS pr,
    total(ps.la) AS la,
    total(ps.lr) AS lr,
    total(ps.acc) AS acc,
    total(ps.rej) AS rej,
    total(ps.uacc) AS uacc,
    total(ps.urej) AS urej,
    count(*) AS sessions,
    total(ps.cost) AS cost`;

/** The same sums over identity groups (named). */
const NAMED_SUMS = GROUP_SUMS.replace(/ps\./g, 'n.').replace('count(*) AS sessions', 'total(n.sessions) AS sessions');

/**
 * The per-session figures of the range and their groups in one statement. Binds the metric source's
 * parameters, then [b0, b1] for lines, decisions and cost. Rows: one per repository, one per user and
 * team, and one 'totals' row. A group's sample (user shown, e-mail or not, team) is its first session
 * (lowest id: SQLite takes the bare columns from the row of min()).
 */
const GROUPS_SQL = (metricsSql: string, autoIds: readonly number[], own = ownDecision(autoIds)): string => `
WITH
  -- active time, commits, pull requests per session (0 = points without session.id)
  metrics AS (
    ${metricsSql}
  ),
  -- lines per session of the range, from the events and from the metric (the rule is applied per session below)
  activity AS (
    SELECT a.session_id AS sid,
      total(a.lines_added_events) AS la_e,
      total(a.lines_removed_events) AS lr_e,
      total(a.lines_added_metrics) AS la_m,
      total(a.lines_removed_metrics) AS lr_m
    FROM activity_rollup a
    WHERE a.bucket >= ? AND a.bucket < ?
    GROUP BY a.session_id
  ),
  -- edit decisions per bucket and session; decisions rule (acceptance's): the code_edit_tool.decision metric
  -- when the session sent it, else tool_decision events. Rows come in (bucket, session) order: this
  -- grouping sorts nothing, the next one sorts a row per bucket and session instead of every rollup row.
  decisions_bucket AS (
    SELECT x.session_id AS sid,
      total(x.accepts) AS acc,
      total(x.rejects) AS rej,
      -- a person's own decisions: not by a config rule or hook
      total(CASE WHEN ${own('x')} THEN x.accepts ELSE 0 END) AS uacc,
      total(CASE WHEN ${own('x')} THEN x.rejects ELSE 0 END) AS urej
    FROM edit_decision_rollup x
    JOIN sessions s ON s.id = x.session_id
    WHERE x.bucket >= ? AND x.bucket < ?
      AND x.from_metrics = s.has_edit_decision_metric
    GROUP BY x.bucket, x.session_id
  ),
  decisions AS (
    SELECT d.sid,
      total(d.acc) AS acc,
      total(d.rej) AS rej,
      total(d.uacc) AS uacc,
      total(d.urej) AS urej
    FROM decisions_bucket d
    GROUP BY d.sid
  ),
  -- cost per bucket and session; cost rule (effective usage, EFFECTIVE_WHERE): api_request events, else
  -- the session's cost metric (same grouping in two steps as the decisions)
  cost_bucket AS (
    SELECT u.session_id AS sid,
      total(u.cost_usd) AS cost
    FROM ${EFFECTIVE_FROM}
    WHERE ${EFFECTIVE_WHERE}
    GROUP BY u.bucket, u.session_id
  ),
  cost AS (
    SELECT c.sid,
      total(c.cost) AS cost
    FROM cost_bucket c
    GROUP BY c.sid
  ),
  -- one row per session of the range (any activity, as the summary counts them): its identity
  -- (repository and user ids, e-mail and team) and figures
  per_session AS (
    SELECT a.sid,
      s.repo_id,
      s.user_id,
      -- e-mail and team: from session_identity (a session there sent metrics), text only
      CASE WHEN typeof(si.email) = 'text' AND si.email <> '' THEN si.email END AS email,
      CASE WHEN typeof(si.team) = 'text' AND si.team <> '' THEN si.team END AS team,
      si.session_id IS NOT NULL AS has_metrics,
      coalesce(m.u, 0) AS u,
      coalesce(m.c, 0) AS c,
      coalesce(m.k, 0) AS k,
      coalesce(m.pr, 0) AS pr,
      -- lines rule (summary's): the lines_of_code metric when the session sent it, else tool events / transcripts
      CASE WHEN s.has_lines_metric THEN a.la_m ELSE a.la_e END AS la,
      CASE WHEN s.has_lines_metric THEN a.lr_m ELSE a.lr_e END AS lr,
      coalesce(d.acc, 0) AS acc,
      coalesce(d.rej, 0) AS rej,
      coalesce(d.uacc, 0) AS uacc,
      coalesce(d.urej, 0) AS urej,
      coalesce(co.cost, 0) AS cost
    FROM activity a
    JOIN sessions s ON s.id = a.sid
    LEFT JOIN session_identity si ON si.session_id = a.sid
    LEFT JOIN metrics m ON m.sid = a.sid
    LEFT JOIN decisions d ON d.sid = a.sid
    LEFT JOIN cost co ON co.sid = a.sid
  ),
  -- sessions grouped by their identity ids first: repository and user names are looked up per group below
  -- (min(sid): SQLite takes the group's bare columns from its first session)
  identity_groups AS (
    SELECT min(ps.sid) AS first_sid,
      ps.repo_id,
      ps.user_id,
      ps.email,
      ps.team,
      ${GROUP_SUMS},
      total(ps.has_metrics) AS metric_sessions,
      -- cost of sessions with active time, for the cost per active hour
      total(CASE WHEN ps.u + ps.c > 0 THEN ps.cost ELSE 0 END) AS active_cost,
      total(CASE WHEN ps.u + ps.c > 0 THEN ps.u + ps.c ELSE 0 END) AS active_seconds
    FROM per_session ps
    GROUP BY ps.repo_id, ps.user_id, ps.email, ps.team
  ),
  named AS MATERIALIZED (
    SELECT g.*,
      nullif(rd.value, '') AS repo,
      nullif(ud.value, '') AS user_name
    FROM identity_groups g
    LEFT JOIN dict rd ON rd.id = g.repo_id
    LEFT JOIN dict ud ON ud.id = g.user_id
  )
-- per repository
SELECT 'repo' AS kind,
  coalesce(n.repo, '') AS key1,
  '' AS key2,
  min(n.first_sid) AS first_sid,
  n.repo AS repo,
  NULL AS user,
  0 AS user_is_email,
  NULL AS team,
  ${NAMED_SUMS},
  0 AS metric_sessions,
  0 AS active_cost,
  0 AS active_seconds
FROM named n
GROUP BY key1
UNION ALL
-- per user (e-mail, else user id) and team
SELECT 'user',
  coalesce(n.email, n.user_name, ''),
  coalesce(n.team, ''),
  min(n.first_sid),
  NULL,
  coalesce(n.email, n.user_name),
  n.email IS NOT NULL,
  n.team,
  ${NAMED_SUMS},
  0,
  0,
  0
FROM named n
GROUP BY coalesce(n.email, n.user_name, ''), coalesce(n.team, '')
UNION ALL
-- totals: metric figures and cost over every session of the range's rollups (with or without other
-- activity); lines and decisions over the sessions of the range
SELECT 'totals',
  NULL,
  NULL,
  NULL,
  NULL,
  NULL,
  0,
  NULL,
  (SELECT total(m.u) FROM metrics m),
  (SELECT total(m.c) FROM metrics m),
  (SELECT total(m.k) FROM metrics m),
  (SELECT total(m.pr) FROM metrics m),
  total(n.la),
  total(n.lr),
  total(n.acc),
  total(n.rej),
  total(n.uacc),
  total(n.urej),
  total(n.sessions),
  (SELECT total(co.cost) FROM cost co),
  total(n.metric_sessions),
  total(n.active_cost),
  total(n.active_seconds)
FROM named n`;

export function productivityQuery(ctx: QueryContext, p: QueryMethods['productivity']['params'], metrics: ProductivityMetricSource = ROLLUP_METRICS): ProductivityDto {
  const r = rangeBuckets(p.range, ctx.nowMs);
  const inRange = [r.b0, r.b1];
  // An open start ("all") draws from the first activity, not from 1970.
  let fromMs = r.fromMs;
  if (fromMs <= 0) {
    const first = ctx.sql.get<{ b: number | null }>('SELECT min(bucket) AS b FROM activity_rollup WHERE bucket >= ? AND bucket < ?', inRange)?.b;
    fromMs = first != null ? first * BUCKET_MS : Math.max(0, r.toMs - 86_400_000);
  }
  const bucket: SeriesBucket = seriesBucketFor(fromMs, r.toMs);
  const periods = periodFigures(ctx, r.b0, r.b1, bucket, metrics);

  // ---- per session in SQL, then per repository, per user and team, and the totals: a few rows to JS
  const m = sessionMetricsSql(ctx, metrics, r.b0, r.b1);
  // Dict ids of the config-rule and hook decision sources, looked up once (a subquery per row was the cost).
  const autoIds = ctx.sql.all<{ id: number }>(`SELECT id FROM dict WHERE value IN (${AUTO_IN}) ORDER BY id`).map((x) => x.id);
  const rows = ctx.sql.all<GroupRow>(GROUPS_SQL(m.sql, autoIds), [...m.params, ...inRange, ...inRange, ...inRange]);
  const totalsRow = rows.find((x) => x.kind === 'totals');
  const t = totalsRow ?? ({ u: 0, c: 0, k: 0, pr: 0, la: 0, lr: 0, acc: 0, rej: 0, uacc: 0, urej: 0, sessions: 0, metric_sessions: 0, cost: 0, active_cost: 0, active_seconds: 0 } as GroupRow);
  const totals = figuresOfRow(t);
  const costUsd = t.cost;
  const changed = totals.linesAdded + totals.linesRemoved;

  // ---- groups: sorted here (few rows; localeCompare as before), the first max kept
  const groupOf = (x: GroupRow): ProductivityGroupDto => ({ ...figuresOfRow(x), sessions: x.sessions, costUsd: x.cost });
  const sorted = (kind: GroupRow['kind']) => {
    const activity = (g: ProductivityGroupDto) => g.activeSecondsUser + g.activeSecondsCli;
    return rows
      .filter((x) => x.kind === kind)
      .map((x) => ({ x, g: groupOf(x), key: `${x.key1 ?? ''}\u0000${x.key2 ?? ''}` }))
      .sort(
        (a, b) =>
          activity(b.g) - activity(a.g) || b.g.linesAdded + b.g.linesRemoved - (a.g.linesAdded + a.g.linesRemoved) || b.g.costUsd - a.g.costUsd || a.key.localeCompare(b.key),
      );
  };
  const repos = sorted('repo');
  const users = sorted('user');
  const max = PRODUCTIVITY_LIMITS.maxGroups;

  const points = new Map<number, ProductivityPointDto>([...periods].map(([t, f]) => [t, { bucket: toLocalIso(t), ...f }]));
  const series = fillSeries(fromMs, r.toMs, bucket, points, (t) => ({ bucket: toLocalIso(t), ...zeroFigures() }));
  return {
    range: r.resolved,
    bucket,
    series,
    totals: {
      ...totals,
      sessions: t.sessions,
      metricSessions: t.metric_sessions,
      costUsd,
      costPerActiveHourUsd: t.active_seconds > 0 ? t.active_cost / (t.active_seconds / 3600) : null,
      costPerLineChangedUsd: changed > 0 ? costUsd / changed : null,
      editAcceptRate: rate(totals.editAccepts, totals.editRejects),
    },
    byRepo: repos.slice(0, max).map(({ x, g }) => ({ repo: x.repo, ...g })),
    byUser: users.slice(0, max).map(({ x, g }) => ({ user: x.user, userIsEmail: x.user_is_email === 1, team: x.team, ...g })),
    moreRepos: Math.max(0, repos.length - max),
    moreUsers: Math.max(0, users.length - max),
  };
}
