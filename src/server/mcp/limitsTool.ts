// MCP `plan_limits`: the subscription windows Claude Code's status line reported (5-hour and weekly use
// and reset times, per account) and the 5-hour activity blocks from the store (API-key users have no
// windows; the blocks show the same rhythm from their requests).
import * as z from 'zod/v4';
import type { ActivityBlockDto, PlanLimitsDto, RateLimitSnapshotDto } from '../../protocol/limitsDto';
import { formatUsd as usd } from '../../core/format/numbers';
import type { ToolDef } from './tools';

const windowSchema = z.object({ usedPercent: z.number(), resetsAt: z.string().nullable() }).nullable();
const snapshotSchema = z.object({
  account: z.string().nullable(),
  sessionId: z.string().nullable(),
  model: z.string().nullable(),
  firstSeen: z.string(),
  lastSeen: z.string(),
  ageMs: z.number(),
  fiveHour: windowSchema,
  sevenDay: windowSchema,
});
const blockSchema = z.object({
  start: z.string(),
  end: z.string(),
  firstActivity: z.string(),
  lastActivity: z.string(),
  active: z.boolean(),
  requests: z.number(),
  costUsd: z.number(),
  tokens: z.object({ input: z.number(), output: z.number(), cacheRead: z.number(), cacheCreation: z.number() }),
  burnUsdPerHour: z.number().nullable(),
  projectedCostUsd: z.number().nullable(),
});

function windowText(label: string, w: RateLimitSnapshotDto['fiveHour'], nowMs: number): string {
  if (!w) return `${label}: not reported`;
  if (w.resetsAt && Date.parse(w.resetsAt) <= nowMs) return `${label}: reset since the last report (was ${w.usedPercent.toFixed(0)}% used)`;
  return `${label}: ${w.usedPercent.toFixed(0)}% used${w.resetsAt ? `, resets ${w.resetsAt}` : ''}`;
}

function blockText(b: ActivityBlockDto): string {
  return (
    `block ${b.start} to ${b.end}: ${b.requests} requests, ${usd(b.costUsd)}` +
    (b.active ? `, in progress${b.burnUsdPerHour !== null ? ` at ${usd(b.burnUsdPerHour)}/hour` : ''}${b.projectedCostUsd !== null ? `, projected ${usd(b.projectedCostUsd)} by ${b.end}` : ''}` : '')
  );
}

export const planLimits: ToolDef = {
  name: 'plan_limits',
  title: 'Plan limits (5-hour and weekly windows)',
  description:
    "Claude Pro/Max plan limits as Claude Code's status line last reported them (5-hour and weekly window: percent used, reset time, per account; present once the Ledger status line is set up), plus 5-hour activity blocks computed from the stored requests (start, requests, cost, projected cost of the block in progress) for API-key users and as context.",
  inputSchema: {},
  outputSchema: {
    latest: snapshotSchema.nullable(),
    accounts: z.array(snapshotSchema),
    currentBlock: blockSchema.nullable(),
    recentBlocks: z.array(blockSchema),
  },
  async run(_args, { store }) {
    const r: PlanLimitsDto = await store.query('planLimits', {});
    const now = Date.now();
    const lines: string[] = [];
    if (r.latest) {
      lines.push(
        `Plan limits reported ${Math.round(r.latest.ageMs / 60_000)} min ago${r.latest.account ? ` (account ${r.latest.account})` : ''}: ` +
          `${windowText('5-hour window', r.latest.fiveHour, now)}; ${windowText('weekly window', r.latest.sevenDay, now)}.`,
      );
    } else {
      lines.push('No plan limits reported (API key, or the Ledger status line is not set up: "Claude Ledger: Set Up Status Line").');
    }
    lines.push(r.currentBlock ? `Current 5-hour ${blockText(r.currentBlock)}.` : 'No 5-hour activity block in progress.');
    if (r.recentBlocks.length > (r.currentBlock ? 1 : 0)) lines.push(`Last 24 hours: ${r.recentBlocks.map(blockText).join('; ')}.`);
    return { structured: { ...r }, text: lines.join(' '), rows: r.accounts.length + r.recentBlocks.length };
  },
};
