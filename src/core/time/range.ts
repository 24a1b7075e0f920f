// Resolves a RangeSpec to epoch-ms bounds in the user's local time zone ("today", "this month" are
// local). Rollups are kept in 15-minute epoch buckets; every real time-zone offset is a multiple of
// 15 minutes, so local day and hour boundaries fall on bucket boundaries.
import type { RangeSpec, ResolvedRange, SeriesBucket } from '../../protocol/dto';

export const BUCKET_MS = 15 * 60_000;

export interface Bounds {
  fromMs: number;
  toMs: number;
  resolved: ResolvedRange;
}

export class InvalidRangeError extends Error {
  override name = 'InvalidRangeError';
}

function startOfLocalDay(ms: number): number {
  const d = new Date(ms);
  d.setHours(0, 0, 0, 0);
  return d.getTime();
}

function addLocalDays(dayStartMs: number, days: number): number {
  const d = new Date(dayStartMs);
  d.setDate(d.getDate() + days);
  d.setHours(0, 0, 0, 0);
  return d.getTime();
}

export function startOfLocalMonth(ms: number): number {
  const d = new Date(ms);
  d.setDate(1);
  d.setHours(0, 0, 0, 0);
  return d.getTime();
}

export function startOfNextLocalMonth(ms: number): number {
  const d = new Date(startOfLocalMonth(ms));
  d.setMonth(d.getMonth() + 1);
  return d.getTime();
}

export function localDayBounds(nowMs: number): { fromMs: number; toMs: number } {
  const fromMs = startOfLocalDay(nowMs);
  return { fromMs, toMs: addLocalDays(fromMs, 1) };
}

/** ISO-8601 with the local offset, e.g. 2026-11-21T09:00:00.000+01:00. */
export function toLocalIso(ms: number): string {
  const d = new Date(ms);
  const off = -d.getTimezoneOffset();
  const sign = off >= 0 ? '+' : '-';
  const abs = Math.abs(off);
  const pad = (n: number, w = 2) => String(n).padStart(w, '0');
  return (
    `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}.${pad(d.getMilliseconds(), 3)}` +
    `${sign}${pad(Math.floor(abs / 60))}:${pad(abs % 60)}`
  );
}

/** Local calendar date, e.g. 2026-11-21. */
export function toLocalDate(ms: number): string {
  return toLocalIso(ms).slice(0, 10);
}

function parseIso(s: string, what: string): number {
  const ms = Date.parse(s);
  if (!Number.isFinite(ms)) throw new InvalidRangeError(`range.${what} is not an ISO-8601 time: ${JSON.stringify(s)}`);
  return ms;
}

/**
 * Explicit bounds are used as given (from inclusive, to exclusive); rollup-based queries round them
 * down to 15-minute buckets. Named keys: today / yesterday / month are local calendar periods; 7d and
 * 30d are the last 7 / 30 local days including today; all is everything up to the end of today.
 */
export function resolveRange(spec: RangeSpec | undefined, nowMs = Date.now()): Bounds {
  let fromMs: number;
  let toMs: number;
  if (spec?.from !== undefined || spec?.to !== undefined) {
    fromMs = spec.from !== undefined ? parseIso(spec.from, 'from') : 0;
    toMs = spec.to !== undefined ? parseIso(spec.to, 'to') : addLocalDays(startOfLocalDay(nowMs), 1);
    if (toMs < fromMs) throw new InvalidRangeError(`range.to (${spec.to}) is before range.from (${spec.from})`);
  } else {
    const today = startOfLocalDay(nowMs);
    const tomorrow = addLocalDays(today, 1);
    switch (spec?.key ?? 'today') {
      case 'today':
        [fromMs, toMs] = [today, tomorrow];
        break;
      case 'yesterday':
        [fromMs, toMs] = [addLocalDays(today, -1), today];
        break;
      case '7d':
        [fromMs, toMs] = [addLocalDays(today, -6), tomorrow];
        break;
      case '30d':
        [fromMs, toMs] = [addLocalDays(today, -29), tomorrow];
        break;
      case 'month':
        [fromMs, toMs] = [startOfLocalMonth(nowMs), startOfNextLocalMonth(nowMs)];
        break;
      case 'all':
        [fromMs, toMs] = [0, tomorrow];
        break;
      default:
        throw new InvalidRangeError(`unknown range key ${JSON.stringify(spec?.key)}`);
    }
  }
  return { fromMs, toMs, resolved: { from: toLocalIso(fromMs), to: toLocalIso(toMs) } };
}

/** First bucket inside [fromMs, toMs) and the first bucket past it (buckets are 15-minute epoch slots). */
export function bucketBounds(b: { fromMs: number; toMs: number }): { b0: number; b1: number } {
  return { b0: Math.floor(b.fromMs / BUCKET_MS), b1: Math.ceil(b.toMs / BUCKET_MS) };
}

export function bucketOf(ms: number): number {
  return Math.floor(ms / BUCKET_MS);
}

/** Start of the local hour or day containing a bucket (used by SQL functions for grouping). */
export function localPeriodStart(bucket: number, period: SeriesBucket): number {
  return localPeriodStartOfMs(bucket * BUCKET_MS, period);
}

/** Start of the local hour, day or week (weeks start on Monday) holding the instant `ms`. */
export function localPeriodStartOfMs(ms: number, period: SeriesBucket): number {
  const d = new Date(ms);
  if (period === 'hour') d.setMinutes(0, 0, 0);
  else {
    d.setHours(0, 0, 0, 0);
    if (period === 'week') d.setDate(d.getDate() - ((d.getDay() + 6) % 7));
  }
  return d.getTime();
}

/** Local time minus UTC in ms at an instant, in this process's time zone. */
export function localOffsetMs(ms: number): number {
  return -new Date(ms).getTimezoneOffset() * 60_000;
}

/**
 * The UTC offsets in force over buckets [b0, b1]: constant segments, split where the offset changes
 * (DST), each starting at its first bucket. Every real offset is a multiple of 15 minutes, so a change
 * always falls on a bucket boundary. Walks day by day and bisects to the bucket of a change.
 */
export function offsetSegments(b0: number, b1: number, offsetAt: (ms: number) => number = localOffsetMs): { fromBucket: number; offsetMs: number }[] {
  const perDay = 96;
  const out = [{ fromBucket: b0, offsetMs: offsetAt(b0 * BUCKET_MS) }];
  let cur = b0;
  while (cur < b1) {
    const next = Math.min(cur + perDay, b1);
    const off = out[out.length - 1].offsetMs;
    if (offsetAt(next * BUCKET_MS) !== off) {
      let lo = cur; // offset at lo is `off`
      let hi = next; // offset at hi differs
      while (hi - lo > 1) {
        const mid = Math.floor((lo + hi) / 2);
        if (offsetAt(mid * BUCKET_MS) === off) lo = mid;
        else hi = mid;
      }
      out.push({ fromBucket: hi, offsetMs: offsetAt(hi * BUCKET_MS) });
      cur = hi;
      continue;
    }
    cur = next;
  }
  return out;
}

/**
 * The period just before a range, of the same length (the overview's "change against the previous
 * period"): yesterday for today, the 7 days before the last 7, the same number of days before this
 * month. null for a range open at the start ("all"), which has no period before it.
 */
export function previousRange(spec: RangeSpec | undefined, nowMs = Date.now()): RangeSpec | null {
  const b = resolveRange(spec, nowMs);
  if (b.fromMs <= 0 || !(b.toMs > b.fromMs)) return null;
  const len = b.toMs - b.fromMs;
  return { from: toLocalIso(b.fromMs - len), to: toLocalIso(b.fromMs) };
}
