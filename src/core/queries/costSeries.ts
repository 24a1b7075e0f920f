// costSeries(range, bucket hour|day|week): cost and tokens per local period and model, plus cost by repo.
// The series is filled: `buckets` lists every period of the range (src/core/time/buckets.ts), so a
// chart shows the quiet days as zero instead of drawing one fat bar for the only day with data.
import type { CostSeriesDto, QueryMethods } from '../../protocol/dto';
import { periodStarts, seriesBucketFor } from '../time/buckets';
import { BUCKET_MS, localPeriodStart, toLocalIso } from '../time/range';
import { EFFECTIVE_FROM, EFFECTIVE_WHERE, USAGE_SUMS, localPeriodKey, modelName, rangeBuckets, tokensOf, type QueryContext, type UsageSums } from './common';

export function costSeriesQuery(ctx: QueryContext, p: QueryMethods['costSeries']['params']): CostSeriesDto {
  const r = rangeBuckets(p.range, ctx.nowMs);
  // A range open at the start ("all", or `to` alone) is filled from its first data, not from 1970.
  let fillFrom = r.fromMs;
  if (fillFrom <= 0) {
    const first = ctx.sql.get<{ b: number | null }>('SELECT min(bucket) AS b FROM effective_usage WHERE bucket >= ? AND bucket < ?', [r.b0, r.b1])?.b;
    fillFrom = first != null ? first * BUCKET_MS : Math.max(r.fromMs, r.toMs - 86_400_000);
  }
  const period = p.bucket ?? seriesBucketFor(fillFrom, r.toMs);
  const key = localPeriodKey(ctx, 'effective_usage', 'e.bucket', r.b0, r.b1, period);
  const rows = ctx.sql.all<UsageSums & { first_bucket: number; model: string | null }>(
    `SELECT ${key.expr} AS period_key, min(e.bucket) AS first_bucket, d.value AS model, ${USAGE_SUMS} FROM effective_usage e
     LEFT JOIN dict d ON d.id = e.model_id
     WHERE e.bucket >= ? AND e.bucket < ? GROUP BY period_key, e.model_id ORDER BY period_key, model`,
    [...key.params, r.b0, r.b1],
  );
  const byRepo = ctx.sql.all<{ repo: string | null; cost: number }>(
    `SELECT d.value AS repo, g.cost FROM (SELECT u.repo_id, sum(u.cost_usd) AS cost FROM ${EFFECTIVE_FROM} WHERE ${EFFECTIVE_WHERE} GROUP BY u.repo_id) g
     LEFT JOIN dict d ON d.id = g.repo_id ORDER BY g.cost DESC`,
    [r.b0, r.b1],
  );
  const points = rows.map((row) => ({
    bucket: toLocalIso(localPeriodStart(row.first_bucket, period)),
    model: modelName(row.model),
    costUsd: row.cost_usd ?? 0,
    tokens: tokensOf(row),
    requests: row.requests ?? 0,
  }));
  return {
    range: r.resolved,
    bucket: period,
    // At most MAX_SERIES_PERIODS (the newest): only an explicitly asked bucket far too small for the
    // range reaches it (hours over months); the points are all kept.
    buckets: periodStarts(fillFrom, r.toMs, period).map(toLocalIso),
    points,
    byRepo: byRepo.map((b) => ({ repo: b.repo ?? '(none)', costUsd: b.cost ?? 0 })),
  };
}
