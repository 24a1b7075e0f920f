// sessions(range, paging, sort, filters): sessions active in the range, with all-time totals.
import type { QueryMethods, SessionSort, SessionsDto, SessionTotalsDto } from '../../protocol/dto';
import { rangeBuckets, type QueryContext } from './common';
import { SESSION_COLUMNS, SESSION_COST, SESSION_FROM, sessionRowDto, type SessionDbRow } from './sessionRow';

export const SESSIONS_LIMITS = { defaultLimit: 50, maxLimit: 500 } as const;

/**
 * ORDER BY per sort key; typed by SESSION_SORTS, so a sort key without its SQL is a compile error. The
 * session id breaks ties, so pages (LIMIT/OFFSET) never repeat or skip a session.
 */
const ORDER: Record<SessionSort, string> = {
  start: 's.first_ms DESC, s.id DESC',
  cost: `${SESSION_COST} DESC, s.first_ms DESC, s.id DESC`,
  requests: 's.api_request_events DESC, s.first_ms DESC, s.id DESC',
  duration: '(s.last_ms - s.first_ms) DESC, s.first_ms DESC, s.id DESC',
};

export function sessionsQuery(ctx: QueryContext, p: QueryMethods['sessions']['params']): SessionsDto {
  const r = rangeBuckets(p.range, ctx.nowMs);
  const limit = Math.max(1, Math.min(SESSIONS_LIMITS.maxLimit, Math.floor(p.limit ?? SESSIONS_LIMITS.defaultLimit)));
  const offset = Math.max(0, Math.floor(p.offset ?? 0));
  const where = ['s.last_ms >= ?', 's.first_ms < ?'];
  const args: (number | string)[] = [r.fromMs, r.toMs];
  if (p.repo !== undefined) {
    where.push('s.repo_id = (SELECT id FROM dict WHERE value = ?)');
    args.push(p.repo);
  }
  if (p.model !== undefined) {
    where.push('EXISTS (SELECT 1 FROM session_models sm JOIN dict md ON md.id = sm.model_id WHERE sm.session_id = s.id AND md.value = ?)');
    args.push(p.model);
  }
  const w = where.join(' AND ');
  const t = ctx.sql.get<{ n: number; cost: number | null; prompts: number | null; requests: number | null; dur: number | null; la: number | null; lr: number | null; acc: number | null; rej: number | null }>(
    `SELECT count(*) AS n, sum(${SESSION_COST}) AS cost, sum(s.prompts) AS prompts, sum(s.api_request_events) AS requests, sum(s.last_ms - s.first_ms) AS dur,
       sum(CASE WHEN s.has_lines_metric THEN s.lines_added_metrics ELSE s.lines_added_events END) AS la,
       sum(CASE WHEN s.has_lines_metric THEN s.lines_removed_metrics ELSE s.lines_removed_events END) AS lr,
       sum(s.accepts) AS acc, sum(s.rejects) AS rej
     FROM sessions s WHERE ${w}`,
    args,
  );
  const total = t?.n ?? 0;
  const totals: SessionTotalsDto = {
    costUsd: t?.cost ?? 0, prompts: t?.prompts ?? 0, requests: t?.requests ?? 0, durationMs: t?.dur ?? 0,
    linesAdded: t?.la ?? 0, linesRemoved: t?.lr ?? 0, accepts: t?.acc ?? 0, rejects: t?.rej ?? 0,
  };
  // The page's ids first, then the row columns of those only: the columns include correlated subqueries
  // (models, headline, price sources) that SQLite would otherwise compute for every session of the range
  // before sorting (7,000 sessions in a week of the 5M-event bench store: 100+ ms instead of ~15).
  const order = ORDER[p.sort ?? 'start'] ?? ORDER.start;
  const rows = ctx.sql.all<SessionDbRow>(
    `SELECT ${SESSION_COLUMNS} FROM ${SESSION_FROM} WHERE s.id IN (SELECT s.id FROM sessions s WHERE ${w} ORDER BY ${order} LIMIT ? OFFSET ?) ORDER BY ${order}`,
    [...args, limit, offset],
  );
  return { range: r.resolved, total, sessions: rows.map(sessionRowDto), totals };
}
