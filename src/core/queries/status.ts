// status: everything the status bar shows, in one cheap query (rollups only; a few hundred rows).
import type { QueryMethods, StatusSnapshotDto } from '../../protocol/dto';
import { bucketBounds, localDayBounds, toLocalIso } from '../time/range';
import { forecast, forecastInputs } from './burnRate';
import { USAGE_SUMS, cacheHitRate, modelName, savingsOf, tokensOf, addTokens, ZERO_TOKENS, type QueryContext, type UsageSums } from './common';
import { SESSION_COST } from './sessionRow';

export function statusQuery(ctx: QueryContext, _p: QueryMethods['status']['params']): StatusSnapshotDto {
  const day = localDayBounds(ctx.nowMs);
  const { b0, b1 } = bucketBounds(day);
  const rows = ctx.sql.all<UsageSums & { model: string | null }>(
    `SELECT d.value AS model, ${USAGE_SUMS} FROM effective_usage e LEFT JOIN dict d ON d.id = e.model_id
     WHERE e.bucket >= ? AND e.bucket < ? GROUP BY e.model_id ORDER BY cost_usd DESC`,
    [b0, b1],
  );
  let tokens = ZERO_TOKENS;
  let requests = 0;
  let estimated = false;
  const mix: { model: string; costUsd: number }[] = [];
  const cacheByModel: { model: string; cacheRead: number }[] = [];
  for (const r of rows) {
    const t = tokensOf(r);
    tokens = addTokens(tokens, t);
    requests += r.requests ?? 0;
    if ((r.estimated_requests ?? 0) > 0) estimated = true;
    mix.push({ model: modelName(r.model), costUsd: r.cost_usd ?? 0 });
    cacheByModel.push({ model: modelName(r.model), cacheRead: t.cacheRead });
  }
  const f = forecast(ctx);
  const current = ctx.sql.get<{ sid: string; cost: number }>(
    `SELECT d.value AS sid, ${SESSION_COST} AS cost FROM sessions s JOIN dict d ON d.id = s.id ORDER BY s.last_ms DESC LIMIT 1`,
  );
  // Time-relative inputs (statusForecast.ts recomputes rate and forecasts from them as the clock moves).
  const { recentBuckets, firstUsageTodayMs, firstUsageMonthMs } = forecastInputs(ctx);
  const sessionsToday = ctx.sql.get<{ n: number }>('SELECT count(DISTINCT session_id) AS n FROM activity_rollup WHERE bucket >= ? AND bucket < ?', [b0, b1])?.n ?? 0;
  return {
    todayUsd: f.todayUsd,
    monthUsd: f.monthUsd,
    currentSession: current ? { sessionId: current.sid, costUsd: current.cost } : null,
    todayTokens: tokens,
    cacheHitRateToday: cacheHitRate(tokens),
    cacheSavingsTodayUsd: savingsOf(cacheByModel, ctx.priceOverrides),
    lastHourUsdPerHour: f.lastHourUsdPerHour,
    forecastTodayUsd: f.forecastTodayUsd,
    forecastMonthUsd: f.forecastMonthUsd,
    modelMixToday: mix,
    sessionsToday,
    requestsToday: requests,
    lastEventAt: ctx.lastEventMs > 0 ? toLocalIso(ctx.lastEventMs) : null,
    estimatedToday: estimated,
    dataVersion: ctx.dataVersion,
    asOfMs: ctx.nowMs,
    recentBuckets,
    firstUsageTodayMs,
    firstUsageMonthMs,
    // Tables only OTLP fills (transcripts never create metric series or spans); each probe reads one row.
    otlpReceived:
      ctx.sql.get<{ x: number }>('SELECT EXISTS (SELECT 1 FROM metric_series) OR EXISTS (SELECT 1 FROM spans) OR EXISTS (SELECT 1 FROM generic_events) AS x')?.x === 1,
    forward: ctx.forward ?? null,
  };
}
