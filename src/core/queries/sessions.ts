// sessions(range, paging, sort, filters): sessions active in the range, with all-time totals.
import type { QueryMethods, SessionSort, SessionsDto } from '../../protocol/dto';
import { rangeBuckets, type QueryContext } from './common';
import { SESSION_COLUMNS, SESSION_COST, SESSION_FROM, sessionRowDto, type SessionDbRow } from './sessionRow';

export const SESSIONS_LIMITS = { defaultLimit: 50, maxLimit: 500 } as const;

/** ORDER BY per sort key; typed by SESSION_SORTS, so a sort key without its SQL is a compile error. */
const ORDER: Record<SessionSort, string> = {
  start: 's.first_ms DESC',
  cost: `${SESSION_COST} DESC, s.first_ms DESC`,
  requests: 's.api_request_events DESC, s.first_ms DESC',
  duration: '(s.last_ms - s.first_ms) DESC, s.first_ms DESC',
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
  const total = ctx.sql.get<{ n: number }>(`SELECT count(*) AS n FROM sessions s WHERE ${w}`, args)?.n ?? 0;
  const rows = ctx.sql.all<SessionDbRow>(
    `SELECT ${SESSION_COLUMNS} FROM ${SESSION_FROM} WHERE ${w} ORDER BY ${ORDER[p.sort ?? 'start'] ?? ORDER.start} LIMIT ? OFFSET ?`,
    [...args, limit, offset],
  );
  return { range: r.resolved, total, sessions: rows.map(sessionRowDto) };
}
