// Shared pieces of the named queries: the query context, token/cost helpers, and the SQL fragment
// that picks, per session, api_request events (from_metrics 0) or, for sessions without any, metrics (1).
import { ESTIMATE_PRICE_SOURCES, type CostSource, type ForwardStatusDto, type PriceSourceCounts, type TokenCounts } from '../../protocol/dto';
import { cacheSavingsUsd } from '../pricing/estimate';
import type { LearnedPrice } from '../pricing/learned';
import type { PriceOverrides } from '../pricing/priceTable';
import { PriceSourceCode, USAGE_COLUMNS, type UsageSums } from '../store/columns';
import type { StatementCache } from '../store/statementCache';
import { BUCKET_MS, bucketBounds, offsetSegments, resolveRange, type Bounds } from '../time/range';
import type { RangeSpec, SeriesBucket } from '../../protocol/dto';

export interface QueryContext {
  sql: StatementCache;
  nowMs: number;
  dataVersion: number;
  lastEventMs: number;
  priceOverrides?: PriceOverrides;
  /**
   * Read-only view of the store's price learner (LedgerDb.learnedPrices): the `prices` query lists it.
   * Optional so contexts built without a store (tests of other queries) need not fake one; absent = none learned.
   */
  learnedPrices?: () => readonly LearnedEntry[];
  /** The leader's forwarder as it last reported (held by the DB worker, not stored); absent = forwarding off. */
  forward?: ForwardStatusDto | null;
}

/** One learned key as PriceLearner.entries() reports it. */
export interface LearnedEntry {
  key: string;
  price: LearnedPrice;
  conflicts: number;
}

/** usage_rollup rows that count: events, or metrics of sessions that have no api_request events. */
export const EFFECTIVE_FROM = `usage_rollup u JOIN sessions s ON s.id = u.session_id`;
/** Binds [b0, b1]. */
export const EFFECTIVE_WHERE = `u.bucket >= ? AND u.bucket < ? AND (u.from_metrics = 0 OR s.api_request_events = 0)`;

/** Sums of the usage columns; `t` is the table alias ('' for none). */
export function usageSums(t = ''): string {
  return USAGE_COLUMNS.map((n) => `sum(${t ? `${t}.` : ''}${n}) AS ${n}`).join(', ');
}
export const USAGE_SUMS = usageSums();

export type { UsageSums };

export function rangeBuckets(spec: RangeSpec | undefined, nowMs: number): Bounds & { b0: number; b1: number } {
  const b = resolveRange(spec, nowMs);
  return { ...b, ...bucketBounds(b) };
}

export function tokensOf(r: Partial<UsageSums>): TokenCounts {
  return { input: r.input_tokens ?? 0, output: r.output_tokens ?? 0, cacheRead: r.cache_read_tokens ?? 0, cacheCreation: r.cache_creation_tokens ?? 0 };
}

export function addTokens(a: TokenCounts, b: TokenCounts): TokenCounts {
  return { input: a.input + b.input, output: a.output + b.output, cacheRead: a.cacheRead + b.cacheRead, cacheCreation: a.cacheCreation + b.cacheCreation };
}

export const ZERO_TOKENS: TokenCounts = { input: 0, output: 0, cacheRead: 0, cacheCreation: 0 };

/** cacheRead / (input + cacheRead + cacheCreation): output tokens are not in the denominator. */
export function cacheHitRate(t: TokenCounts): number {
  const d = t.input + t.cacheRead + t.cacheCreation;
  return d === 0 ? 0 : t.cacheRead / d;
}

export function costSourceOf(s: { cost: number; estCost: number; requests: number; estRequests: number }): CostSource {
  const hasEst = s.estRequests > 0;
  const hasReported = s.requests - s.estRequests > 0 || s.cost - s.estCost !== 0;
  if (hasEst && hasReported) return 'mixed';
  if (hasEst) return 'estimated';
  if (hasReported) return 'reported';
  return 'none';
}

/** Savings summed per model (prices differ per model). */
export function savingsOf(byModel: { model: string; cacheRead: number }[], overrides?: PriceOverrides): number {
  let usd = 0;
  for (const m of byModel) usd += cacheSavingsUsd(m.model, m.cacheRead, overrides);
  return usd;
}

export function rate(accepts: number, rejects: number): number | null {
  return accepts + rejects === 0 ? null : accepts / (accepts + rejects);
}

/** Model key for display: rows without a model (some metrics) show as 'unknown'. */
export function modelName(name: string | null | undefined): string {
  return name || 'unknown';
}

export const zeroPriceSources = (): PriceSourceCounts => ({ learned: 0, override: 0, table: 0, none: 0 });

/** Adds a count of api_requests.price_source `code` (0 = reported, not an estimate: ignored). */
export function addPriceSource(c: PriceSourceCounts, code: number, n: number): void {
  const name = ESTIMATE_PRICE_SOURCES.find((k) => PriceSourceCode[k] === code);
  if (name) c[name] += n;
}

/**
 * SQL grouping key of a local day or hour for a bucket column, computed in SQL: a per-row JS function
 * (sql.js calls back into JS for each row) was most of a long report's time. The offset comes from a
 * CASE over the DST segments of the buckets present in [b0, b1) of `table`. Groups are wall-clock days or
 * hours ((t + offset) / period), exactly the groups of localPeriodStart; take min(bucket) of a group and
 * localPeriodStart() it for the period's start.
 */
export function localPeriodKey(ctx: QueryContext, table: string, col: string, b0: number, b1: number, period: SeriesBucket): { expr: string; params: number[] } {
  // Two index seeks (min() and max() together under a WHERE made SQLite read every row of the range).
  const span = ctx.sql.get<{ lo: number | null; hi: number | null }>(
    `SELECT (SELECT bucket FROM ${table} WHERE bucket >= ?1 AND bucket < ?2 ORDER BY bucket LIMIT 1) AS lo,
       (SELECT bucket FROM ${table} WHERE bucket >= ?1 AND bucket < ?2 ORDER BY bucket DESC LIMIT 1) AS hi`,
    [b0, b1],
  );
  const lo = span?.lo ?? b0;
  const hi = span?.hi ?? lo;
  const segments = offsetSegments(lo, Math.max(lo, hi));
  const params: number[] = [];
  let offset: string;
  if (segments.length === 1) {
    offset = 'CAST(? AS INTEGER)';
    params.push(segments[0].offsetMs);
  } else {
    const whens = segments.slice(1).map((seg, i) => {
      params.push(seg.fromBucket, segments[i].offsetMs);
      return `WHEN ${col} < ? THEN CAST(? AS INTEGER)`;
    });
    params.push(segments[segments.length - 1].offsetMs);
    offset = `CASE ${whens.join(' ')} ELSE CAST(? AS INTEGER) END`;
  }
  // Wall-clock day or hour number: the repeated hour of a DST change is one hour, as localPeriodStart has it.
  // Weeks start on Monday: local day 0 (1970-01-01) was a Thursday, so day + 3 counts from a Monday.
  const ms = `(${col} * ${BUCKET_MS} + ${offset})`;
  const expr = period === 'hour' ? `${ms} / 3600000` : period === 'day' ? `${ms} / 86400000` : `(${ms} / 86400000 + 3) / 7`;
  return { expr, params };
}
