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
import type { ProductivityDto, ProductivityFiguresDto, ProductivityGroupDto, ProductivityPointDto, QueryMethods, SeriesBucket } from '../../protocol/dto';
import { fillSeries, seriesBucketFor } from '../time/buckets';
import { BUCKET_MS, localPeriodStart, toLocalIso } from '../time/range';
import { AUTO_SOURCES } from './acceptance';
import { EFFECTIVE_FROM, EFFECTIVE_WHERE, localPeriodKey, rangeBuckets, rate, type QueryContext } from './common';
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

function addFigures(into: ProductivityFiguresDto, x: Partial<ProductivityFiguresDto>): void {
  for (const k of Object.keys(x) as (keyof ProductivityFiguresDto)[]) into[k] += x[k] ?? 0;
}

interface SessionAcc {
  figures: ProductivityFiguresDto;
  costUsd: number;
  repo: string | null;
  userId: string | null;
  email: string | null;
  team: string | null;
  hasMetrics: boolean;
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
}

const METRIC_SUMS = `total(x.active_seconds_user) AS u, total(x.active_seconds_cli) AS c, total(x.commits) AS k, total(x.pull_requests) AS pr`;
type MetricSumsRow = { u: number; c: number; k: number; pr: number };
const figuresOf = (x: MetricSumsRow): MetricFigures => ({ activeSecondsUser: x.u, activeSecondsCli: x.c, commits: x.k, pullRequests: x.pr });

export const ROLLUP_METRICS: ProductivityMetricSource = {
  bySession: (ctx, b0, b1) =>
    ctx.sql
      .all<MetricSumsRow & { sid: number }>(`SELECT x.session_id AS sid, ${METRIC_SUMS} FROM productivity_rollup x WHERE x.bucket >= ? AND x.bucket < ? GROUP BY x.session_id`, [b0, b1])
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
  // ---- sessions of the range (those with any activity, as the summary counts them)
  const SESSIONS_IN_RANGE = 'SELECT DISTINCT session_id FROM activity_rollup WHERE bucket >= ? AND bucket < ?';
  const sessions = new Map<number, SessionAcc>();
  // Team and e-mail from session_identity: a session there sent metrics.
  for (const s of ctx.sql.all<{ id: number; repo: string | null; user_id: string | null; has_metrics: number; team: unknown; email: unknown }>(
    `SELECT s.id, rd.value AS repo, ud.value AS user_id, si.session_id IS NOT NULL AS has_metrics, si.team, si.email
     FROM sessions s LEFT JOIN dict rd ON rd.id = s.repo_id LEFT JOIN dict ud ON ud.id = s.user_id LEFT JOIN session_identity si ON si.session_id = s.id
     WHERE s.id IN (${SESSIONS_IN_RANGE})`,
    inRange,
  )) {
    sessions.set(s.id, {
      figures: zeroFigures(), costUsd: 0, repo: s.repo || null, userId: s.user_id || null,
      email: typeof s.email === 'string' && s.email ? s.email : null,
      team: typeof s.team === 'string' && s.team ? s.team : null,
      hasMetrics: s.has_metrics === 1,
    });
  }
  const session = (sid: number): SessionAcc | undefined => sessions.get(sid);

  // ---- active time, commits, pull requests: per period (in periodFigures) and per session
  const metricTotals = zeroFigures();
  for (const m of metrics.bySession(ctx, r.b0, r.b1)) {
    addFigures(metricTotals, m.f);
    // Points of a session without other activity in range (or without session.id) count in the totals only.
    const s = session(m.sid);
    if (s) addFigures(s.figures, m.f);
  }
  const periods = periodFigures(ctx, r.b0, r.b1, bucket, metrics);

  // ---- lines (summary's rule) per session (per period: periodFigures)
  for (const x of ctx.sql.all<{ sid: number; la: number; lr: number }>(
    `SELECT a.session_id AS sid, sum(${LINES}) AS la, sum(${LINES_R}) AS lr
     FROM activity_rollup a JOIN sessions s ON s.id = a.session_id WHERE a.bucket >= ? AND a.bucket < ? GROUP BY a.session_id`,
    inRange,
  )) {
    const s = session(x.sid);
    if (s) addFigures(s.figures, { linesAdded: x.la ?? 0, linesRemoved: x.lr ?? 0 });
  }

  // ---- edit decisions (acceptance query's rule), all and a person's own
  for (const x of ctx.sql.all<{ sid: number; acc: number; rej: number; uacc: number; urej: number }>(
    `SELECT x.session_id AS sid, sum(x.accepts) AS acc, sum(x.rejects) AS rej,
       sum(CASE WHEN ${AUTO} THEN 0 ELSE x.accepts END) AS uacc, sum(CASE WHEN ${AUTO} THEN 0 ELSE x.rejects END) AS urej
     FROM ${DECISIONS_FROM} GROUP BY x.session_id`,
    inRange,
  )) {
    const s = session(x.sid);
    if (s) addFigures(s.figures, { editAccepts: x.acc ?? 0, editRejects: x.rej ?? 0, userEditAccepts: x.uacc ?? 0, userEditRejects: x.urej ?? 0 });
  }

  // ---- cost per session (effective usage: api_request events, else the session's cost metric)
  let costUsd = 0;
  for (const x of ctx.sql.all<{ sid: number; cost: number }>(
    `SELECT u.session_id AS sid, sum(u.cost_usd) AS cost FROM ${EFFECTIVE_FROM} WHERE ${EFFECTIVE_WHERE} GROUP BY u.session_id`,
    inRange,
  )) {
    costUsd += x.cost ?? 0;
    const s = session(x.sid);
    if (s) s.costUsd += x.cost ?? 0;
  }

  // ---- totals: metric figures over every point of the range; lines and decisions from the sessions
  const totals = zeroFigures();
  addFigures(totals, { activeSecondsUser: metricTotals.activeSecondsUser, activeSecondsCli: metricTotals.activeSecondsCli, commits: metricTotals.commits, pullRequests: metricTotals.pullRequests });
  let activeCost = 0;
  let activeSeconds = 0;
  let metricSessions = 0;
  for (const s of sessions.values()) {
    const f = s.figures;
    addFigures(totals, {
      linesAdded: f.linesAdded, linesRemoved: f.linesRemoved, editAccepts: f.editAccepts, editRejects: f.editRejects,
      userEditAccepts: f.userEditAccepts, userEditRejects: f.userEditRejects,
    });
    if (s.hasMetrics) metricSessions++;
    const active = f.activeSecondsUser + f.activeSecondsCli;
    if (active > 0) {
      activeSeconds += active;
      activeCost += s.costUsd;
    }
  }
  const changed = totals.linesAdded + totals.linesRemoved;

  // ---- groups
  const group = <K extends string>(keyOf: (s: SessionAcc) => K) => {
    const m = new Map<K, { sample: SessionAcc; g: ProductivityGroupDto }>();
    for (const s of sessions.values()) {
      const k = keyOf(s);
      let e = m.get(k);
      if (!e) m.set(k, (e = { sample: s, g: { ...zeroFigures(), sessions: 0, costUsd: 0 } }));
      addFigures(e.g, s.figures);
      e.g.sessions++;
      e.g.costUsd += s.costUsd;
    }
    const activity = (g: ProductivityGroupDto) => g.activeSecondsUser + g.activeSecondsCli;
    return [...m.entries()].sort(
      ([ka, a], [kb, b]) =>
        activity(b.g) - activity(a.g) || b.g.linesAdded + b.g.linesRemoved - (a.g.linesAdded + a.g.linesRemoved) || b.g.costUsd - a.g.costUsd || ka.localeCompare(kb),
    );
  };
  const repos = group((s) => `${s.repo ?? ''}`);
  const users = group((s) => `${s.email ?? s.userId ?? ''}\u0000${s.team ?? ''}`);
  const max = PRODUCTIVITY_LIMITS.maxGroups;

  const points = new Map<number, ProductivityPointDto>([...periods].map(([t, f]) => [t, { bucket: toLocalIso(t), ...f }]));
  const series = fillSeries(fromMs, r.toMs, bucket, points, (t) => ({ bucket: toLocalIso(t), ...zeroFigures() }));
  return {
    range: r.resolved,
    bucket,
    series,
    totals: {
      ...totals,
      sessions: sessions.size,
      metricSessions,
      costUsd,
      costPerActiveHourUsd: activeSeconds > 0 ? activeCost / (activeSeconds / 3600) : null,
      costPerLineChangedUsd: changed > 0 ? costUsd / changed : null,
      editAcceptRate: rate(totals.editAccepts, totals.editRejects),
    },
    byRepo: repos.slice(0, max).map(([, e]) => ({ repo: e.sample.repo, ...e.g })),
    byUser: users.slice(0, max).map(([, e]) => ({
      user: e.sample.email ?? e.sample.userId,
      userIsEmail: e.sample.email !== null,
      team: e.sample.team,
      ...e.g,
    })),
    moreRepos: Math.max(0, repos.length - max),
    moreUsers: Math.max(0, users.length - max),
  };
}
