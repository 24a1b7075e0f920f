// costSeries(range, bucket hour|day): cost and tokens per local hour/day and model, plus cost by repo.
import type { CostSeriesDto, QueryMethods } from '../../protocol/dto';
import { localPeriodStart, toLocalIso } from '../time/range';
import { EFFECTIVE_FROM, EFFECTIVE_WHERE, USAGE_SUMS, localPeriodKey, modelName, rangeBuckets, tokensOf, type QueryContext, type UsageSums } from './common';

export function costSeriesQuery(ctx: QueryContext, p: QueryMethods['costSeries']['params']): CostSeriesDto {
  const r = rangeBuckets(p.range, ctx.nowMs);
  const period = p.bucket === 'hour' ? 'hour' : 'day';
  const key = localPeriodKey(ctx, 'effective_usage', 'e.bucket', r.b0, r.b1, period);
  const rows = ctx.sql.all<UsageSums & { first_bucket: number; model: string | null }>(
    `SELECT ${key.expr} AS period_key, min(e.bucket) AS first_bucket, d.value AS model, ${USAGE_SUMS} FROM effective_usage e
     LEFT JOIN dict d ON d.id = e.model_id
     WHERE e.bucket >= ? AND e.bucket < ? GROUP BY period_key, e.model_id ORDER BY period_key, model`,
    [...key.params, r.b0, r.b1],
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
      bucket: toLocalIso(localPeriodStart(row.first_bucket, period)),
      model: modelName(row.model),
      costUsd: row.cost_usd ?? 0,
      tokens: tokensOf(row),
      requests: row.requests ?? 0,
    })),
    byRepo: byRepo.map((b) => ({ repo: b.repo ?? '(none)', costUsd: b.cost ?? 0 })),
  };
}
