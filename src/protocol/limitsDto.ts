// Plan limits (Claude Code's status line `rate_limits`) and 5-hour activity blocks: the DTOs shared by
// the status line command, the /api/statusline route, the store's named queries, the status bar, the
// dashboard and MCP `plan_limits`. Types and constants only; imports nothing.

/** The two windows Claude Code's status line reports (`rate_limits.five_hour` / `seven_day`). */
export const LIMIT_WINDOWS = ['fiveHour', 'sevenDay'] as const;
export type LimitWindow = (typeof LIMIT_WINDOWS)[number];

/** One window as reported: used share of the plan's limit and when the window resets. */
export interface LimitWindowDto {
  /** 0-100 as Claude Code reports it (`used_percentage`). */
  usedPercent: number;
  /** ISO-8601 with offset; null when Claude Code sent no reset time. */
  resetsAt: string | null;
}

/**
 * What `cli.js statusline` posts to POST /api/statusline (a subset of Claude Code's status line JSON,
 * already checked by src/core/statusline/statuslineInput.ts). Fields are optional: Claude Code omits
 * `rate_limits` for API-key users and before the first API response.
 */
export interface StatuslinePostDto {
  sessionId?: string;
  model?: string;
  /** This session's cost as Claude Code computes it (`cost.total_cost_usd`). */
  sessionCostUsd?: number;
  fiveHour?: { usedPercent: number; resetsAtSec?: number };
  sevenDay?: { usedPercent: number; resetsAtSec?: number };
}

/** The ledger's answer in the same round trip: what the status line prints besides Claude Code's own numbers. */
export interface StatuslineReplyDto {
  todayUsd: number;
  /** true when a rate-limit snapshot was stored or refreshed. */
  stored: boolean;
}

/** The latest rate-limit snapshot of one account. */
export interface RateLimitSnapshotDto {
  /** The account (Claude Code's user.id of the session) when the session is known to the ledger, else null. */
  account: string | null;
  sessionId: string | null;
  model: string | null;
  /** First and last time these exact numbers were reported (ISO-8601 with offset). */
  firstSeen: string;
  lastSeen: string;
  /** now - lastSeen, ms. */
  ageMs: number;
  fiveHour: LimitWindowDto | null;
  sevenDay: LimitWindowDto | null;
}

/**
 * A 5-hour activity block (API-key users have no `rate_limits`; these mirror how the subscription
 * window works): it starts at the first request after the previous block ended, floored to the UTC hour,
 * and lasts 5 hours.
 */
export interface ActivityBlockDto {
  start: string;
  end: string;
  firstActivity: string;
  lastActivity: string;
  /** now < end and there was activity within the last 5 hours. */
  active: boolean;
  requests: number;
  costUsd: number;
  tokens: { input: number; output: number; cacheRead: number; cacheCreation: number };
  /** USD per hour from the first to the last request of the block; null with a single instant of activity. */
  burnUsdPerHour: number | null;
  /** Active blocks: cost + burn rate x time left until `end`; null for finished blocks. */
  projectedCostUsd: number | null;
}

export interface ActivityBlocksDto {
  /** Newest first. */
  blocks: ActivityBlockDto[];
}

/** MCP `plan_limits` and the dashboard's limits tile. */
export interface PlanLimitsDto {
  /** The most recent snapshot of any account; null when no status line call ever carried rate_limits. */
  latest: RateLimitSnapshotDto | null;
  /** The latest snapshot per account (newest first). */
  accounts: RateLimitSnapshotDto[];
  /** The block in progress, if any. */
  currentBlock: ActivityBlockDto | null;
  /** Recent blocks, newest first (the last 24 hours). */
  recentBlocks: ActivityBlockDto[];
}
