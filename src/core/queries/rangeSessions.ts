// The sessions of a range (a session counts when it has activity in the range), read from what schema
// v10 keeps per session (store/productivityFigures.ts) instead of a row per session of the range:
// - productivity_groups summed over the range's first buckets (sessions that start in it),
// - minus those of them that go on past its end,
// - plus the sessions crossing an edge with activity inside the range (EDGES_CTE: few, read one by one).
// Binds ?1 = first bucket, ?2 = bucket after the last (rangeBuckets' b0, b1).
import type { QueryContext } from './common';

/**
 * CTE `edges`: the sessions with activity on both sides of an edge of the range, with their buckets
 * inside it (lo..hi) and their identity. The index on (last_bucket, first_bucket) answers it from its
 * entries (without it: every session).
 */
export const EDGES_CTE = `edges AS (
    SELECT sp.session_id AS sid,
      max(sp.first_bucket, ?1) AS lo,
      min(sp.last_bucket, ?2 - 1) AS hi,
      sp.repo_id, sp.user_id, sp.email, sp.team, sp.has_metrics
    FROM session_productivity sp INDEXED BY session_productivity_span
    WHERE sp.last_bucket >= ?1
      AND sp.first_bucket < ?2
      AND (sp.first_bucket < ?1 OR sp.last_bucket >= ?2)
  )`;

/**
 * An edge session `e` has activity inside the range. By the rollup's keys (bucket first); the unary +
 * keeps SQLite from building an index on session_id over the whole table for this.
 */
export const EDGE_ACTIVE = `EXISTS (SELECT 1 FROM activity_rollup a WHERE a.bucket >= e.lo AND a.bucket <= e.hi AND +a.session_id = e.sid)`;

/** The sessions that start in the range but go on past its end (their whole figures are in the groups). */
export const PAST_END_FROM = `session_productivity sp INDEXED BY session_productivity_span
    WHERE sp.last_bucket >= ?2 AND sp.first_bucket >= ?1 AND sp.first_bucket < ?2`;

/** How many sessions have activity in buckets [b0, b1). */
export function rangeSessionCount(ctx: QueryContext, b0: number, b1: number): number {
  return (
    ctx.sql.get<{ n: number }>(
      `WITH ${EDGES_CTE}
       SELECT (SELECT total(g.sessions) FROM productivity_groups g WHERE g.first_bucket >= ?1 AND g.first_bucket < ?2)
         - (SELECT count(*) FROM ${PAST_END_FROM})
         + (SELECT count(*) FROM edges e WHERE ${EDGE_ACTIVE}) AS n`,
      [b0, b1],
    )?.n ?? 0
  );
}
