// summary(range, groupBy): totals, by model, optional groups. Reads rollups only.
import type { EstimatesDto, GroupBy, ModelUsageDto, QueryMethods, SummaryDto, SummaryGroupDto } from '../../protocol/dto';
import { localPeriodStart, toLocalDate } from '../time/range';
import {
  EFFECTIVE_FROM, EFFECTIVE_WHERE, localPeriodKey, USAGE_SUMS, usageSums, addPriceSource, addTokens, cacheHitRate, costSourceOf, modelName, rangeBuckets, savingsOf,
  tokensOf, zeroPriceSources, ZERO_TOKENS, type QueryContext, type UsageSums,
} from './common';
import { RequestSource } from '../store/columns';
import { rangeSessionCount } from './rangeSessions';

const GROUP_COLUMN: Record<Exclude<GroupBy, 'model' | 'day'>, string> = {
  session: 'u.session_id',
  repo: 'u.repo_id',
  user: 'u.user_id',
  querySource: 'u.query_source_id',
};

export function summaryQuery(ctx: QueryContext, p: QueryMethods['summary']['params']): SummaryDto {
  const r = rangeBuckets(p.range, ctx.nowMs);
  const rows = ctx.sql.all<UsageSums & { model: string | null }>(
    `SELECT d.value AS model, ${USAGE_SUMS} FROM effective_usage e LEFT JOIN dict d ON d.id = e.model_id
     WHERE e.bucket >= ? AND e.bucket < ? GROUP BY e.model_id ORDER BY cost_usd DESC`,
    [r.b0, r.b1],
  );
  let cost = 0;
  let estCost = 0;
  let requests = 0;
  let estRequests = 0;
  let tokens = ZERO_TOKENS;
  const byModel: ModelUsageDto[] = [];
  const unpricedModels: string[] = [];
  for (const row of rows) {
    const t = tokensOf(row);
    const m: ModelUsageDto = { model: modelName(row.model), costUsd: row.cost_usd ?? 0, requests: row.requests ?? 0, tokens: t };
    if ((row.unpriced_requests ?? 0) > 0) {
      m.unpriced = true;
      unpricedModels.push(m.model);
    }
    byModel.push(m);
    cost += row.cost_usd ?? 0;
    estCost += row.estimated_cost_usd ?? 0;
    requests += row.requests ?? 0;
    estRequests += row.estimated_requests ?? 0;
    tokens = addTokens(tokens, t);
  }
  // Prompts and decisions per bucket; lines by the per-session rule (the lines metric when the session
  // sent it, else events), kept per bucket at ingest; sessions with activity in the range (rangeSessions.ts).
  const act = ctx.sql.get<{ prompts: number; accepts: number; rejects: number }>(
    `SELECT coalesce(sum(prompts), 0) AS prompts, coalesce(sum(accepts), 0) AS accepts, coalesce(sum(rejects), 0) AS rejects
     FROM activity_rollup WHERE bucket >= ? AND bucket < ?`,
    [r.b0, r.b1],
  ) ?? { prompts: 0, accepts: 0, rejects: 0 };
  const lines = ctx.sql.get<{ la: number; lr: number }>(
    'SELECT total(lines_added) AS la, total(lines_removed) AS lr FROM productivity_buckets WHERE bucket >= ? AND bucket < ?',
    [r.b0, r.b1],
  ) ?? { la: 0, lr: 0 };
  const sessions = rangeSessionCount(ctx, r.b0, r.b1);
  const dto: SummaryDto = {
    range: r.resolved,
    costUsd: cost,
    costSource: costSourceOf({ cost, estCost, requests, estRequests }),
    requests,
    sessions,
    prompts: act.prompts,
    tokens,
    cacheHitRate: cacheHitRate(tokens),
    cacheSavingsUsd: savingsOf(byModel.map((m) => ({ model: m.model, cacheRead: m.tokens.cacheRead })), ctx.priceOverrides),
    byModel,
    linesAdded: lines.la,
    linesRemoved: lines.lr,
    accepts: act.accepts,
    rejects: act.rejects,
    unpricedModels,
    estimates: estimates(ctx, r.b0, r.b1),
  };
  if (p.groupBy) dto.groups = groups(ctx, p.groupBy, r.b0, r.b1, byModel);
  return dto;
}

/**
 * Estimates of the range, from estimate_rollup (schema v5): exact per 15-minute bucket like every other
 * total here, and unaffected by the pruning of raw api_requests rows (which have no time index either).
 */
function estimates(ctx: QueryContext, b0: number, b1: number): EstimatesDto {
  const rows = ctx.sql.all<{ source: number; price_source: number; n: number }>(
    `SELECT source, price_source, sum(requests) AS n FROM estimate_rollup WHERE bucket >= ? AND bucket < ? GROUP BY source, price_source`,
    [b0, b1],
  );
  const out: EstimatesDto = { transcriptRequests: 0, byPriceSource: zeroPriceSources() };
  for (const row of rows) {
    if (row.source === RequestSource.Transcript) out.transcriptRequests += row.n;
    addPriceSource(out.byPriceSource, row.price_source, row.n);
  }
  return out;
}

function groups(ctx: QueryContext, by: GroupBy, b0: number, b1: number, byModel: ModelUsageDto[]): SummaryGroupDto[] {
  if (by === 'model') return byModel.map((m) => ({ key: m.model, costUsd: m.costUsd, requests: m.requests, tokens: m.tokens }));
  if (by === 'day') {
    const day = localPeriodKey(ctx, 'effective_usage', 'bucket', b0, b1, 'day');
    const rows = ctx.sql.all<UsageSums & { first_bucket: number }>(
      `SELECT ${day.expr} AS day_key, min(bucket) AS first_bucket, ${USAGE_SUMS} FROM effective_usage WHERE bucket >= ? AND bucket < ?
       GROUP BY day_key ORDER BY day_key`,
      [...day.params, b0, b1],
    );
    return rows.map((row) => ({
      key: toLocalDate(localPeriodStart(row.first_bucket, 'day')), costUsd: row.cost_usd ?? 0, requests: row.requests ?? 0, tokens: tokensOf(row),
    }));
  }
  const col = GROUP_COLUMN[by];
  const rows = ctx.sql.all<UsageSums & { k: string | null }>(
    `SELECT d.value AS k, ${usageSums('u')} FROM ${EFFECTIVE_FROM} LEFT JOIN dict d ON d.id = ${col}
     WHERE ${EFFECTIVE_WHERE}
     GROUP BY ${col} ORDER BY cost_usd DESC`,
    [b0, b1],
  );
  return rows.map((row) => ({ key: row.k ?? '', costUsd: row.cost_usd ?? 0, requests: row.requests ?? 0, tokens: tokensOf(row) }));
}
