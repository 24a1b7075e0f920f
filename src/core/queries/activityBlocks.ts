// activityBlocks: 5-hour activity blocks from the store, for API-key users (Claude Code reports no
// `rate_limits` to them) and as context next to a subscriber's windows.
//
// The rule (ccusage's `blocks`, which users know): requests in time order; a block starts at the first
// request not inside the previous block, floored to the UTC hour, and lasts 5 hours; a request at or
// after the block's end, or more than 5 hours after the previous request, starts the next block. A block
// is active when now is before its end and the last request is less than 5 hours old. Its burn rate is
// cost / (last - first request); the projection adds that rate for the time left until the end.
// Reads api_requests (raw rows: OTLP and transcript requests), so blocks reach back as far as the raw
// retention; sessions known only from metrics have no rows there and are not in blocks.
import type { ActivityBlockDto, ActivityBlocksDto } from '../../protocol/limitsDto';
import type { RangeSpec } from '../../protocol/dto';
import { resolveRange, toLocalIso } from '../time/range';
import type { QueryContext } from './common';

export const BLOCK_MS = 5 * 3_600_000;
const HOUR_MS = 3_600_000;
/** The UTC hour of a request: the expression api_requests_hour is built on (the same text, or SQLite does not use it). */
const HOUR = 'CAST(time_ms / 3600000 AS INTEGER)';

export interface BlockEntry {
  /** The (first) request's time. */
  timeMs: number;
  /** Entries that stand for several requests (one UTC hour, blockEntries): the last one's time, and how many. */
  lastMs?: number;
  requests?: number;
  costUsd: number;
  tokens: { input: number; output: number; cacheRead: number; cacheCreation: number };
}

interface OpenBlock {
  startMs: number;
  firstMs: number;
  lastMs: number;
  requests: number;
  costUsd: number;
  tokens: BlockEntry['tokens'];
}

/** Blocks of `entries` (any order), oldest first. Pure: the unit tests check hand-computed windows. */
export function computeBlocks(entries: readonly BlockEntry[], nowMs: number): ActivityBlockDto[] {
  const sorted = [...entries].sort((a, b) => a.timeMs - b.timeMs);
  const blocks: OpenBlock[] = [];
  let cur: OpenBlock | undefined;
  for (const e of sorted) {
    if (!cur || e.timeMs >= cur.startMs + BLOCK_MS || e.timeMs - cur.lastMs > BLOCK_MS) {
      cur = { startMs: Math.floor(e.timeMs / HOUR_MS) * HOUR_MS, firstMs: e.timeMs, lastMs: e.timeMs, requests: 0, costUsd: 0, tokens: { input: 0, output: 0, cacheRead: 0, cacheCreation: 0 } };
      blocks.push(cur);
    }
    cur.lastMs = e.lastMs ?? e.timeMs;
    cur.requests += e.requests ?? 1;
    cur.costUsd += e.costUsd;
    cur.tokens.input += e.tokens.input;
    cur.tokens.output += e.tokens.output;
    cur.tokens.cacheRead += e.tokens.cacheRead;
    cur.tokens.cacheCreation += e.tokens.cacheCreation;
  }
  return blocks.map((b) => {
    const endMs = b.startMs + BLOCK_MS;
    const active = nowMs < endMs && nowMs - b.lastMs < BLOCK_MS;
    const spanMs = b.lastMs - b.firstMs;
    const burn = spanMs > 0 ? (b.costUsd / spanMs) * HOUR_MS : null;
    return {
      start: toLocalIso(b.startMs),
      end: toLocalIso(endMs),
      firstActivity: toLocalIso(b.firstMs),
      lastActivity: toLocalIso(b.lastMs),
      active,
      requests: b.requests,
      costUsd: b.costUsd,
      tokens: b.tokens,
      burnUsdPerHour: burn,
      projectedCostUsd: active ? b.costUsd + ((burn ?? 0) * Math.max(0, endMs - nowMs)) / HOUR_MS : null,
    };
  });
}

/**
 * Requests from `fromMs` (a block in progress at fromMs starts later than it did: callers look back far
 * enough), one entry per UTC hour with its first and last request time. The same blocks as one entry per
 * request: a block starts at a whole UTC hour and ends 5 hours later (an hour boundary), and a gap of more
 * than 5 hours cannot lie inside an hour, so the requests of one UTC hour always fall in one block, and the
 * first of them decides whether that block is a new one. The api_requests_hour index (schema v9, on this
 * hour expression) gives SQLite the rows in hour order (no sort), and a week is ~170 rows to hand to
 * JavaScript instead of one per request (or per minute: 8,000 rows, most of the time at 5M events).
 */
export function blockEntries(ctx: QueryContext, fromMs: number, toMs: number): BlockEntry[] {
  return ctx.sql
    .all<{ t: number; l: number; n: number; c: number; i: number; o: number; cr: number; cc: number }>(
      `SELECT min(time_ms) AS t, max(time_ms) AS l, count(*) AS n, total(cost_usd) AS c, total(input_tokens) AS i, total(output_tokens) AS o,
         total(cache_read_tokens) AS cr, total(cache_creation_tokens) AS cc
       FROM api_requests WHERE ${HOUR} >= ? AND ${HOUR} <= ? AND time_ms >= ? AND time_ms < ? GROUP BY ${HOUR} ORDER BY ${HOUR}`,
      [Math.floor(fromMs / HOUR_MS), Math.floor(toMs / HOUR_MS), fromMs, toMs],
    )
    .map((r) => ({ timeMs: r.t, lastMs: r.l, requests: r.n, costUsd: r.c, tokens: { input: r.i, output: r.o, cacheRead: r.cr, cacheCreation: r.cc } }));
}

export function activityBlocksQuery(ctx: QueryContext, p: { range?: RangeSpec; limit?: number }): ActivityBlocksDto {
  const b = resolveRange(p.range ?? { key: '7d' }, ctx.nowMs);
  // One block of look-back, so the first block of the range starts where it really started.
  const blocks = computeBlocks(blockEntries(ctx, b.fromMs - BLOCK_MS, b.toMs), ctx.nowMs).filter((x) => Date.parse(x.end) > b.fromMs);
  const limit = Math.max(1, Math.min(1000, Math.floor(p.limit ?? 200)));
  return { blocks: blocks.reverse().slice(0, limit) };
}
