// apiErrors(range): failed API requests by status, retries exhausted, refusals, and the latest few.
import type { ApiErrorsDto, QueryMethods } from '../../protocol/dto';
import { toLocalIso } from '../time/range';
import { ErrorKind, NO_STATUS } from '../store/columns';
import { rangeBuckets, type QueryContext } from './common';

export const API_ERRORS_LIMITS = { recent: 20 } as const;

export function apiErrorsQuery(ctx: QueryContext, p: QueryMethods['apiErrors']['params']): ApiErrorsDto {
  const r = rangeBuckets(p.range, ctx.nowMs);
  const rows = ctx.sql.all<{ kind: number; status: number; n: number }>(
    `SELECT kind, status, sum(n) AS n FROM error_rollup WHERE bucket >= ? AND bucket < ? GROUP BY kind, status ORDER BY kind, n DESC, status`,
    [r.b0, r.b1],
  );
  let total = 0;
  let retriesExhausted = 0;
  let refusals = 0;
  const byStatus: ApiErrorsDto['byStatus'] = [];
  for (const x of rows) {
    if (x.kind === ErrorKind.ApiError) {
      total += x.n;
      byStatus.push({ statusCode: x.status === NO_STATUS ? null : x.status, count: x.n });
    } else if (x.kind === ErrorKind.RetriesExhausted) retriesExhausted += x.n;
    else refusals += x.n;
  }
  // Raw rows, but through the time index and bounded: at most API_ERRORS_LIMITS.recent rows are read.
  const recent = ctx.sql.all<{ time_ms: number; kind: number; model: string | null; status: number | null; attempt: number | null; error: string | null }>(
    `SELECT e.time_ms, e.kind, md.value AS model, e.status, e.attempt, e.error FROM api_errors e LEFT JOIN dict md ON md.id = e.model_id
     WHERE e.time_ms >= ? AND e.time_ms < ? ORDER BY e.time_ms DESC LIMIT ?`,
    [r.fromMs, r.toMs, API_ERRORS_LIMITS.recent],
  );
  return {
    range: r.resolved,
    total,
    byStatus,
    retriesExhausted,
    refusals,
    recent: recent.map((e) => ({
      time: toLocalIso(e.time_ms), kind: e.kind === ErrorKind.RetriesExhausted ? 'retries_exhausted' : 'api_error', model: e.model, statusCode: e.status,
      attempt: e.attempt, message: e.error,
    })),
  };
}
