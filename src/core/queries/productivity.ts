// productivity(range): Claude Code's team-dashboard figures (the seeds' Grafana boards) from the store.
//
// Sources, per figure (all kept at ingest with their per-session rules: store/productivityFigures.ts):
// - active time (user vs CLI), commits, pull requests: Claude Code's metrics claude_code.active_time.total
//   {type=user|cli}, commit.count, pull_request.count (each point's delta).
// - lines added/removed: the summary's per-session rule (the lines_of_code metric when the session sent
//   it, else the tool events / transcript lines; never both).
// - edit acceptance: the acceptance query's per-session rule (the code_edit_tool.decision metric when
//   sent, else tool_decision events); "own" = not by a config rule or hook.
// - cost: the effective usage (api_request events when the session has any, else its cost metric).
// Repository = the session's `repo.name`; user = `user.email` (OAuth) else `user.id`; team = `team.id`
// (both from session_identity, kept from the metric series by apply.ts). Series are filled with zero periods
// over the range, at the bucket size seriesBucketFor picks (hours for a day, days for a month, weeks beyond).
// Reads: productivity_rollup per bucket for the series; productivity_groups (sessions summed per first
// bucket x identity) for the groups, corrected by the sessions crossing an edge of the range (GROUPS_SQL).
// A session counts in a range when it has activity in it, as the summary counts them.
import type { ProductivityDto, ProductivityFiguresDto, ProductivityGroupDto, ProductivityPointDto, QueryMethods, SeriesBucket } from '../../protocol/dto';
import { fillSeries, seriesBucketFor } from '../time/buckets';
import { BUCKET_MS, localPeriodStart, toLocalIso } from '../time/range';
import { localPeriodKey, rangeBuckets, rate, type QueryContext } from './common';
import { EDGE_ACTIVE, EDGES_CTE, PAST_END_FROM } from './rangeSessions';
import { FIGURE_COLUMNS, type FigureColumn } from '../store/productivityFigures';
import { PRODUCTIVITY_METRIC_NAMES } from '../store/productivityRollup';

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

/** The view's name of each stored figure column. */
const FIGURE_OF: Record<FigureColumn, keyof ProductivityFiguresDto | undefined> = {
  active_seconds_user: 'activeSecondsUser',
  active_seconds_cli: 'activeSecondsCli',
  commits: 'commits',
  pull_requests: 'pullRequests',
  lines_added: 'linesAdded',
  lines_removed: 'linesRemoved',
  edit_accepts: 'editAccepts',
  edit_rejects: 'editRejects',
  own_edit_accepts: 'userEditAccepts',
  own_edit_rejects: 'userEditRejects',
  cost_usd: undefined, // cost is not a figure of the series (the groups carry it as costUsd)
};
const SERIES_COLUMNS = FIGURE_COLUMNS.filter((c) => FIGURE_OF[c] !== undefined);

function figuresOfRow(x: Record<FigureColumn, number>): ProductivityFiguresDto {
  const f = zeroFigures();
  for (const c of SERIES_COLUMNS) f[FIGURE_OF[c]!] = x[c] ?? 0;
  return f;
}

/**
 * Productivity figures per local period (hour, day or week start, ms) of buckets [b0, b1): the series of
 * the view and the CSV `daily` rows, from productivity_buckets (a row per 15-minute bucket, in order).
 */
export function periodFigures(ctx: QueryContext, b0: number, b1: number, bucket: SeriesBucket): Map<number, ProductivityFiguresDto> {
  const key = localPeriodKey(ctx, 'productivity_buckets', 'g.bucket', b0, b1, bucket);
  const rows = ctx.sql.all<Record<FigureColumn, number> & { fb: number }>(
    `SELECT ${key.expr} AS pk, min(g.bucket) AS fb, ${SERIES_COLUMNS.map((c) => `total(g.${c}) AS ${c}`).join(', ')}
     FROM productivity_buckets g
     WHERE g.bucket >= ? AND g.bucket < ?
     GROUP BY pk`,
    [...key.params, b0, b1],
  );
  return new Map(rows.map((x) => [localPeriodStart(x.fb, bucket), figuresOfRow(x)]));
}

/** One row of GROUPS_SQL: a repository, a user and team, or the totals (kind 'totals'). */
type GroupRow = Record<FigureColumn, number> & {
  kind: 'repo' | 'user' | 'totals';
  /** Sort keys of the groups: repository, or user and team ('' for none). */
  key1: string | null;
  key2: string | null;
  repo: string | null;
  user: string | null;
  user_is_email: number;
  team: string | null;
  sessions: number;
  /** Totals only. */
  metric_sessions: number;
  active_cost_usd: number;
  active_seconds: number;
};

/** The columns every part of a range's sessions carries (parts, below), in this order. */
const PART_COLUMNS = ['sessions', 'metric_sessions', 'active_cost_usd', 'active_seconds', ...FIGURE_COLUMNS] as const;
const sumsOf = (t: string, cols: readonly string[] = PART_COLUMNS) => cols.map((c) => `total(${t}.${c}) AS ${c}`).join(',\n    ');
/** A session's own per-session parts from its figures (prefix `t`); `sign` -1 takes a session out. */
const sessionParts = (t: string, sign: '' | '-') => `${sign}1,
    ${sign}${t}.has_metrics,
    ${sign}(CASE WHEN ${t}.active_seconds_user + ${t}.active_seconds_cli > 0 THEN ${t}.cost_usd ELSE 0 END),
    ${sign}(CASE WHEN ${t}.active_seconds_user + ${t}.active_seconds_cli > 0 THEN ${t}.active_seconds_user + ${t}.active_seconds_cli ELSE 0 END),
    ${FIGURE_COLUMNS.map((c) => `${sign}${t}.${c}`).join(', ')}`;

/**
 * The groups of the range [?1, ?2) in one statement. Rows: one per repository, one per user and team,
 * and one 'totals' row. The sessions of the range are summed in three parts:
 * - the groups of the sessions that start in the range (productivity_groups);
 * - minus those of them that go on past its end (whole), and
 * - plus every session crossing an edge with its figures inside the range (productivity_rollup), when it
 *   has activity there.
 * Only the edge sessions are read one by one: few, since a session lasts hours and a range days.
 */
const GROUPS_SQL = `
WITH
  -- sessions with activity on both sides of an edge of the range, with their buckets inside it
  ${EDGES_CTE},
  -- their figures inside the range
  edge_figures AS (
    SELECT e.sid, e.repo_id, e.user_id, e.email, e.team, e.has_metrics,
      ${FIGURE_COLUMNS.map((c) => `total(x.${c}) AS ${c}`).join(',\n      ')}
    -- the session's buckets by the rollups' keys (bucket first); the unary + keeps SQLite from building
    -- an index on session_id over the whole table for this
    FROM edges e
    LEFT JOIN productivity_rollup x ON x.bucket >= e.lo AND x.bucket <= e.hi AND +x.session_id = e.sid
    WHERE ${EDGE_ACTIVE}
    GROUP BY e.sid
  ),
  parts AS (
    SELECT g.repo_id, g.user_id, g.email, g.team, ${PART_COLUMNS.map((c) => `g.${c}`).join(', ')}
    FROM productivity_groups g
    WHERE g.first_bucket >= ?1 AND g.first_bucket < ?2
    UNION ALL
    SELECT sp.repo_id, sp.user_id, sp.email, sp.team, ${sessionParts('sp', '-')}
    FROM ${PAST_END_FROM}
    UNION ALL
    SELECT ef.repo_id, ef.user_id, ef.email, ef.team, ${sessionParts('ef', '')}
    FROM edge_figures ef
  ),
  -- sessions grouped by their identity ids first: repository and user names are looked up per group below
  identity_groups AS (
    SELECT p.repo_id, p.user_id,
      nullif(p.email, '') AS email,
      nullif(p.team, '') AS team,
      ${sumsOf('p')}
    FROM parts p
    GROUP BY p.repo_id, p.user_id, p.email, p.team
    HAVING total(p.sessions) > 0
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
  n.repo AS repo,
  NULL AS user,
  0 AS user_is_email,
  NULL AS team,
  ${sumsOf('n')}
FROM named n
GROUP BY key1
UNION ALL
-- per user (e-mail, else user id) and team
SELECT 'user',
  coalesce(n.email, n.user_name, ''),
  coalesce(n.team, ''),
  NULL,
  coalesce(n.email, n.user_name),
  n.email IS NOT NULL,
  n.team,
  ${sumsOf('n')}
FROM named n
GROUP BY coalesce(n.email, n.user_name, ''), coalesce(n.team, '')
UNION ALL
-- totals of the sessions of the range
SELECT 'totals', NULL, NULL, NULL, NULL, 0, NULL,
  ${sumsOf('n')}
FROM named n`;

export function productivityQuery(ctx: QueryContext, p: QueryMethods['productivity']['params']): ProductivityDto {
  const r = rangeBuckets(p.range, ctx.nowMs);
  const inRange = [r.b0, r.b1];
  // An open start ("all") draws from the first activity, not from 1970.
  let fromMs = r.fromMs;
  if (fromMs <= 0) {
    const first = ctx.sql.get<{ b: number | null }>('SELECT min(bucket) AS b FROM activity_rollup WHERE bucket >= ? AND bucket < ?', inRange)?.b;
    fromMs = first != null ? first * BUCKET_MS : Math.max(0, r.toMs - 86_400_000);
  }
  const bucket: SeriesBucket = seriesBucketFor(fromMs, r.toMs);
  const periods = periodFigures(ctx, r.b0, r.b1, bucket);

  // ---- per repository, per user and team, and the totals: a few rows to JS
  const rows = ctx.sql.all<GroupRow>(GROUPS_SQL, inRange);
  const t = rows.find((x) => x.kind === 'totals');
  // Lines and decisions: the sessions of the range. Active time, commits and pull requests: every point of
  // the range, also those without session.id (the series' sums).
  const totals = t ? figuresOfRow(t) : zeroFigures();
  totals.activeSecondsUser = totals.activeSecondsCli = totals.commits = totals.pullRequests = 0;
  for (const f of periods.values()) {
    totals.activeSecondsUser += f.activeSecondsUser;
    totals.activeSecondsCli += f.activeSecondsCli;
    totals.commits += f.commits;
    totals.pullRequests += f.pullRequests;
  }
  const costUsd = t?.cost_usd ?? 0;
  const changed = totals.linesAdded + totals.linesRemoved;

  // ---- groups: sorted here (few rows; localeCompare as before), the first max kept
  const groupOf = (x: GroupRow): ProductivityGroupDto => ({ ...figuresOfRow(x), sessions: x.sessions, costUsd: x.cost_usd });
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
      sessions: t?.sessions ?? 0,
      metricSessions: t?.metric_sessions ?? 0,
      costUsd,
      costPerActiveHourUsd: t && t.active_seconds > 0 ? t.active_cost_usd / (t.active_seconds / 3600) : null,
      costPerLineChangedUsd: changed > 0 ? costUsd / changed : null,
      editAcceptRate: rate(totals.editAccepts, totals.editRejects),
    },
    byRepo: repos.slice(0, max).map(({ x, g }) => ({ repo: x.repo, ...g })),
    byUser: users.slice(0, max).map(({ x, g }) => ({ user: x.user, userIsEmail: x.user_is_email === 1, team: x.team, ...g })),
    moreRepos: Math.max(0, repos.length - max),
    moreUsers: Math.max(0, users.length - max),
  };
}
