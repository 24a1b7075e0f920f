// The time-relative figures of the status bar, computed from a StatusSnapshotDto and `now`: the
// last-hour burn rate and the day/month forecasts. The snapshot carries the last hour's 15-minute
// buckets and the first usage of the day and month, so these stay right as the clock moves without a
// new store query (no new data means no new buckets). Forecasts are given only when the data supports
// them; otherwise the reason, worded for the tooltip. Pure.
import type { StatusSnapshotDto } from '../protocol/dto';
import { BUCKET_MS, localDayBounds, startOfNextLocalMonth } from './time/range';

const HOUR = 3_600_000;
const DAY = 86_400_000;

/** How much history a forecast needs before it is shown. */
export const FORECAST_MIN = {
  /** Today's forecast extrapolates the last hour's rate: not before an hour since today's first use. */
  todayMs: HOUR,
  /** The month's forecast averages whole days since the month's first use: at least this many. */
  monthDays: 3,
} as const;

export type ForecastFigure = { usd: number } | { unavailable: string };

export interface TimeRelative {
  lastHourUsdPerHour: number;
  today: ForecastFigure;
  month: ForecastFigure;
}

/**
 * USD per hour over the 60 minutes before `nowMs`, from 15-minute buckets (start + cost): the oldest
 * bucket counts with the fraction of it inside the window (cost spread evenly inside a bucket).
 * The one formula for the burn rate (the burnRate query uses it too).
 */
export function lastHourRate(buckets: readonly { startMs: number; costUsd: number }[], nowMs: number): number {
  const from = nowMs - HOUR;
  const b0 = Math.floor(from / BUCKET_MS) * BUCKET_MS;
  let usd = 0;
  for (const b of buckets) {
    if (b.startMs < b0 || b.startMs > nowMs) continue;
    usd += b.startMs === b0 ? (b.costUsd * (b0 + BUCKET_MS - from)) / BUCKET_MS : b.costUsd;
  }
  return usd;
}

/** Local days between the starts of two local days (DST-safe: rounded). */
function daysBetween(fromDayStartMs: number, toDayStartMs: number): number {
  return Math.round((toDayStartMs - fromDayStartMs) / DAY);
}

/** What the forecasts need: the status snapshot has these fields, and the burnRate query fills them too. */
export type ForecastInput = Pick<StatusSnapshotDto, 'recentBuckets' | 'firstUsageTodayMs' | 'firstUsageMonthMs' | 'todayUsd' | 'monthUsd'>;

export function timeRelative(s: ForecastInput, nowMs: number): TimeRelative {
  const rate = lastHourRate(s.recentBuckets, nowMs);
  const day = localDayBounds(nowMs);

  let today: ForecastFigure;
  const usedToday = s.firstUsageTodayMs === null ? -1 : nowMs - s.firstUsageTodayMs;
  if (s.firstUsageTodayMs === null) today = { unavailable: 'no use today yet' };
  // No "n min so far": today's first use is known to the 15-minute bucket only.
  else if (usedToday < FORECAST_MIN.todayMs) today = { unavailable: 'after 1 h of use today' };
  else today = { usd: s.todayUsd + (rate * Math.max(0, day.toMs - nowMs)) / HOUR };

  let month: ForecastFigure;
  if (s.firstUsageMonthMs === null) month = { unavailable: 'no use this month yet' };
  else {
    const completed = daysBetween(localDayBounds(s.firstUsageMonthMs).fromMs, day.fromMs);
    if (completed < FORECAST_MIN.monthDays) {
      month = { unavailable: `after ${FORECAST_MIN.monthDays} days of use this month (day ${completed + 1} of ${FORECAST_MIN.monthDays})` };
    } else {
      const beforeToday = Math.max(0, s.monthUsd - s.todayUsd);
      const perDay = beforeToday / completed;
      const todayPart = 'usd' in today ? today.usd : Math.max(s.todayUsd, perDay);
      const daysAfterToday = daysBetween(day.toMs, startOfNextLocalMonth(nowMs));
      month = { usd: beforeToday + todayPart + perDay * daysAfterToday };
    }
  }
  return { lastHourUsdPerHour: rate, today, month };
}
