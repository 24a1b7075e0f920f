// planLimits: the latest plan-limit snapshot per account (from the status line, table
// rate_limit_snapshots) plus the 5-hour activity blocks of the last day. One cheap query: the status bar
// asks it after each change, MCP `plan_limits` and the dashboard's limits tile read it.
import type { ActivityBlockDto, LimitWindowDto, PlanLimitsDto, RateLimitSnapshotDto } from '../../protocol/limitsDto';
import { toLocalIso } from '../time/range';
import { BLOCK_MS, blockEntries, computeBlocks } from './activityBlocks';
import type { QueryContext } from './common';

interface Row {
  account: string;
  session_id: string | null;
  model: string | null;
  first_ms: number;
  last_ms: number;
  five_hour_percent: number | null;
  five_hour_resets_ms: number | null;
  seven_day_percent: number | null;
  seven_day_resets_ms: number | null;
}

function windowOf(p: number | null, resetMs: number | null): LimitWindowDto | null {
  return p === null ? null : { usedPercent: p, resetsAt: resetMs === null ? null : toLocalIso(resetMs) };
}

function snapshotOf(r: Row, nowMs: number): RateLimitSnapshotDto {
  return {
    account: r.account === '' ? null : r.account,
    sessionId: r.session_id,
    model: r.model,
    firstSeen: toLocalIso(r.first_ms),
    lastSeen: toLocalIso(r.last_ms),
    ageMs: Math.max(0, nowMs - r.last_ms),
    fiveHour: windowOf(r.five_hour_percent, r.five_hour_resets_ms),
    sevenDay: windowOf(r.seven_day_percent, r.seven_day_resets_ms),
  };
}

export function planLimitsQuery(ctx: QueryContext, _p: Record<string, never>): PlanLimitsDto {
  const rows = ctx.sql.all<Row>(
    `SELECT r.account, r.session_id, r.model, r.first_ms, r.last_ms, r.five_hour_percent, r.five_hour_resets_ms, r.seven_day_percent, r.seven_day_resets_ms
     FROM rate_limit_snapshots r
     WHERE r.id = (SELECT id FROM rate_limit_snapshots x WHERE x.account = r.account ORDER BY x.last_ms DESC, x.id DESC LIMIT 1)
     ORDER BY r.last_ms DESC LIMIT 50`,
  );
  const accounts = rows.map((r) => snapshotOf(r, ctx.nowMs));
  // 24 hours shown, one more block of look-back so the oldest shown block starts where it really did.
  const dayAgo = ctx.nowMs - 24 * 3_600_000;
  const blocks: ActivityBlockDto[] = computeBlocks(blockEntries(ctx, dayAgo - BLOCK_MS, ctx.nowMs + 1), ctx.nowMs)
    .filter((b) => Date.parse(b.end) > dayAgo)
    .reverse();
  return { latest: accounts[0] ?? null, accounts, currentBlock: blocks.find((b) => b.active) ?? null, recentBlocks: blocks };
}
