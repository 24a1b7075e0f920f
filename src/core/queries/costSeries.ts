// costSeries(range, bucket hour|day): cost and tokens per local hour/day and model, plus cost by repo.
import type { CostSeriesDto, QueryMethods } from '../../protocol/dto';
import { toLocalIso } from '../time/range';
import { EFFECTIVE_FROM, EFFECTIVE_WHERE, USAGE_SUMS, modelName, rangeBuckets, tokensOf, type QueryContext, type UsageSums } from './common';

export function costSeriesQuery(ctx: QueryContext, p: QueryMethods['costSeries']['params']): CostSeriesDto {
  const r = rangeBuckets(p.range, ctx.nowMs);
  const fn = p.bucket === 'hour' ? 'local_hour' : 'local_day';
  const rows = ctx.sql.all<UsageSums & { b: number; model: string | null }>(
    `SELECT ${fn}(e.bucket) AS b, d.value AS model, ${USAGE_SUMS} FROM effective_usage e LEFT JOIN dict d ON d.id = e.model_id
     WHERE e.bucket >= ? AND e.bucket < ? GROUP BY b, e.model_id ORDER BY b, model`,
    [r.b0, r.b1],
  );
  const byRepo = ctx.sql.all<{ repo: string | null; cost: number }>(
    `SELECT d.value AS repo, sum(u.cost_usd) AS cost FROM ${EFFECTIVE_FROM} LEFT JOIN dict d ON d.id = u.repo_id
     WHERE ${EFFECTIVE_WHERE} GROUP BY u.repo_id ORDER BY cost DESC`,
    [r.b0, r.b1],
  );
  return {
    range: r.resolved,
    bucket: p.bucket,
    points: rows.map((row) => ({
      bucket: toLocalIso(row.b),
      model: modelName(row.model),
      costUsd: row.cost_usd ?? 0,
      tokens: tokensOf(row),
      requests: row.requests ?? 0,
    })),
    byRepo: byRepo.map((b) => ({ repo: b.repo ?? '(none)', costUsd: b.cost ?? 0 })),
  };
}
