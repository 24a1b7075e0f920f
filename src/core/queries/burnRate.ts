// burnRate(budgets): $/h over the last 60 minutes and linear forecasts for the local day and month.
// Also used by status.ts. Reads effective_usage only.
import type { BurnRateDto, QueryMethods } from '../../protocol/dto';
import { BUCKET_MS, bucketOf, localDayBounds, startOfLocalMonth, startOfNextLocalMonth } from '../time/range';
import type { QueryContext } from './common';
import { lastHourRate, timeRelative, type ForecastFigure } from '../statusForecast';

const HOUR = 3_600_000;
const DAY = 86_400_000;

export function costBetween(ctx: QueryContext, fromMs: number, toMs: number): number {
  const r = ctx.sql.get<{ c: number | null }>('SELECT sum(cost_usd) AS c FROM effective_usage WHERE bucket >= ? AND bucket < ?', [
    Math.floor(fromMs / BUCKET_MS), Math.ceil(toMs / BUCKET_MS),
  ]);
  return r?.c ?? 0;
}

/** USD per hour over the last 60 minutes (the formula: statusForecast.ts `lastHourRate`). */
export function lastHourUsdPerHour(ctx: QueryContext): number {
  const rows = ctx.sql.all<{ bucket: number; c: number }>('SELECT bucket, sum(cost_usd) AS c FROM effective_usage WHERE bucket >= ? AND bucket <= ? GROUP BY bucket', [
    bucketOf(ctx.nowMs - HOUR), bucketOf(ctx.nowMs),
  ]);
  return lastHourRate(rows.map((r) => ({ startMs: r.bucket * BUCKET_MS, costUsd: r.c })), ctx.nowMs);
}

export interface Forecast {
  todayUsd: number;
  monthUsd: number;
  lastHourUsdPerHour: number;
  forecastTodayUsd: number;
  forecastMonthUsd: number;
}

/**
 * Today: spent so far + the last hour's rate for the rest of the day. Month: spent so far + the
 * average of the month's completed days (or today's forecast on the 1st) for each remaining day.
 */
export function forecast(ctx: QueryContext): Forecast {
  const now = ctx.nowMs;
  const day = localDayBounds(now);
  const monthStart = startOfLocalMonth(now);
  const monthEnd = startOfNextLocalMonth(now);
  const todayUsd = costBetween(ctx, day.fromMs, day.toMs);
  const monthUsd = costBetween(ctx, monthStart, monthEnd);
  const rate = lastHourUsdPerHour(ctx);
  const forecastTodayUsd = todayUsd + (rate * Math.max(0, day.toMs - now)) / HOUR;
  const completedDays = Math.round((day.fromMs - monthStart) / DAY);
  const remainingDays = Math.round((monthEnd - day.toMs) / DAY);
  const beforeToday = monthUsd - todayUsd;
  const perDay = completedDays > 0 ? beforeToday / completedDays : forecastTodayUsd;
  return { todayUsd, monthUsd, lastHourUsdPerHour: rate, forecastTodayUsd, forecastMonthUsd: beforeToday + forecastTodayUsd + perDay * remainingDays };
}

/**
 * The inputs of the time-relative figures (statusForecast.ts): the last hour's 15-minute buckets and the
 * first bucket with usage this month and today (local).
 */
export function forecastInputs(ctx: QueryContext): { recentBuckets: { startMs: number; costUsd: number }[]; firstUsageTodayMs: number | null; firstUsageMonthMs: number | null } {
  const recent = ctx.sql.all<{ bucket: number; c: number | null }>(
    'SELECT bucket, sum(cost_usd) AS c FROM effective_usage WHERE bucket >= ? AND bucket <= ? GROUP BY bucket ORDER BY bucket',
    [bucketOf(ctx.nowMs - HOUR), bucketOf(ctx.nowMs)],
  );
  const firstIn = (fromMs: number, toMs: number): number | null => {
    const r = ctx.sql.get<{ b: number | null }>('SELECT min(bucket) AS b FROM effective_usage WHERE bucket >= ? AND bucket < ?', [
      Math.floor(fromMs / BUCKET_MS), Math.ceil(toMs / BUCKET_MS),
    ]);
    return r?.b === null || r?.b === undefined ? null : r.b * BUCKET_MS;
  };
  const day = localDayBounds(ctx.nowMs);
  const firstUsageMonthMs = firstIn(startOfLocalMonth(ctx.nowMs), startOfNextLocalMonth(ctx.nowMs));
  const firstUsageTodayMs = firstUsageMonthMs === null ? null : firstUsageMonthMs >= day.fromMs ? firstUsageMonthMs : firstIn(day.fromMs, day.toMs);
  return { recentBuckets: recent.map((r) => ({ startMs: r.bucket * BUCKET_MS, costUsd: r.c ?? 0 })), firstUsageTodayMs, firstUsageMonthMs };
}

/**
 * The dashboard's and MCP's burn rate: the same rate and forecasts as the status bar (statusForecast.ts),
 * so a forecast is given only when the data supports it (1 h of use today; 3 days this month), else why not.
 */
export function burnRateQuery(ctx: QueryContext, p: QueryMethods['burnRate']['params']): BurnRateDto {
  const f = forecast(ctx);
  const t = timeRelative({ ...forecastInputs(ctx), todayUsd: f.todayUsd, monthUsd: f.monthUsd }, ctx.nowMs);
  const usd = (x: ForecastFigure) => ('usd' in x ? x.usd : null);
  const whyNot = (x: ForecastFigure) => ('unavailable' in x ? x.unavailable : null);
  const daily = p.dailyBudgetUsd ?? null;
  const monthly = p.monthlyBudgetUsd ?? null;
  return {
    lastHourUsdPerHour: t.lastHourUsdPerHour,
    todayUsd: f.todayUsd,
    monthUsd: f.monthUsd,
    forecastTodayUsd: usd(t.today),
    forecastMonthUsd: usd(t.month),
    forecastTodayWhyNot: whyNot(t.today),
    forecastMonthWhyNot: whyNot(t.month),
    dailyBudgetUsd: daily,
    monthlyBudgetUsd: monthly,
    dailyBudgetRemainingUsd: daily === null ? null : daily - f.todayUsd,
    monthlyBudgetRemainingUsd: monthly === null ? null : monthly - f.monthUsd,
  };
}
