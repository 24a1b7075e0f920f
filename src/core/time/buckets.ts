// Filled time series: the bucket size a range is drawn with, and every period start of the range, so a
// chart shows zero buckets instead of one fat bar. Local periods (hours, days, weeks from Monday), the
// same grouping as the SQL of queries/common.ts localPeriodKey.
import type { SeriesBucket } from '../../protocol/dto';
import { localPeriodStartOfMs } from './range';

const HOUR_MS = 3_600_000;
const DAY_MS = 86_400_000;

/** Most periods a filled series may have (a decade of weeks); a longer range is cut to its last ones. */
export const MAX_SERIES_PERIODS = 600;

/** Hours up to two days, days up to about three months, weeks beyond. */
export function seriesBucketFor(fromMs: number, toMs: number): SeriesBucket {
  const span = toMs - fromMs;
  if (span <= 2 * DAY_MS + HOUR_MS) return 'hour';
  if (span <= 92 * DAY_MS) return 'day';
  return 'week';
}

/** The next local period start after `startMs` (a period start), DST-safe. */
export function nextPeriodStart(startMs: number, bucket: SeriesBucket): number {
  if (bucket === 'hour') {
    // An hour later; a DST change can make the next local hour start 30 or 90 minutes later in a few zones.
    let next = localPeriodStartOfMs(startMs + HOUR_MS, 'hour');
    if (next <= startMs) next = localPeriodStartOfMs(startMs + 2 * HOUR_MS, 'hour');
    return next;
  }
  const d = new Date(startMs);
  d.setDate(d.getDate() + (bucket === 'day' ? 1 : 7));
  return localPeriodStartOfMs(d.getTime() + 12 * HOUR_MS, bucket); // noon guards days of 23 or 25 hours
}

/**
 * The start of every local period overlapping [fromMs, toMs), oldest first: the first is the period
 * holding fromMs. At most MAX_SERIES_PERIODS (the newest ones when the range is longer).
 */
export function periodStarts(fromMs: number, toMs: number, bucket: SeriesBucket): number[] {
  const out: number[] = [];
  if (!(toMs > fromMs)) return out;
  for (let t = localPeriodStartOfMs(fromMs, bucket); t < toMs; t = nextPeriodStart(t, bucket)) {
    out.push(t);
    if (out.length > MAX_SERIES_PERIODS) out.shift();
  }
  return out;
}

/**
 * Fills a sparse series: one entry per period of [fromMs, toMs) in order, `zero(start)` where the data
 * has none. `data` is keyed by period start (ms), as localPeriodStart gives it.
 */
export function fillSeries<T>(fromMs: number, toMs: number, bucket: SeriesBucket, data: ReadonlyMap<number, T>, zero: (startMs: number) => T): T[] {
  return periodStarts(fromMs, toMs, bucket).map((t) => data.get(t) ?? zero(t));
}
