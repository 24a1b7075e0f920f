// The overview's plan-limits tiles and 5-hour blocks table, from PlanLimitsDto (pure: unit-tested).
// The host computes every number; this only words them (numbers through the shared formatter).
import type { ActivityBlockDto, LimitWindowDto, PlanLimitsDto } from '../src/protocol/limitsDto';
import { formatUsd } from '../src/core/format/numbers';

export interface LimitTile {
  id: string;
  label: string;
  value: string;
  detail?: string;
  /** 80 % warning, 95 % error (the status bar's thresholds). */
  level: 'ok' | 'warning' | 'error';
}

function two(n: number): string {
  return String(n).padStart(2, '0');
}

/** Local "Tue 14:20". */
export function shortTime(iso: string): string {
  const d = new Date(iso);
  return `${['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'][d.getDay()]} ${two(d.getHours())}:${two(d.getMinutes())}`;
}

export function ageText(ms: number): string {
  const s = Math.round(ms / 1000);
  return s < 60 ? `${s} s ago` : s < 3600 ? `${Math.round(s / 60)} min ago` : s < 86400 ? `${Math.round(s / 3600)} h ago` : `${Math.round(s / 86400)} d ago`;
}

function windowTile(id: string, label: string, w: LimitWindowDto | null, nowMs: number, age: string): LimitTile {
  if (!w) return { id, label, value: '—', detail: 'not reported', level: 'ok' };
  if (w.resetsAt && Date.parse(w.resetsAt) <= nowMs) return { id, label, value: '—', detail: `reset ${shortTime(w.resetsAt)} (was ${Math.round(w.usedPercent)}%)`, level: 'ok' };
  const p = w.usedPercent;
  return {
    id,
    label,
    value: `${p > 0 && p < 0.5 ? '<1' : Math.round(p)}%`,
    detail: `${w.resetsAt ? `resets ${shortTime(w.resetsAt)} · ` : ''}reported ${age}`,
    level: p >= 95 ? 'error' : p >= 80 ? 'warning' : 'ok',
  };
}

/** Two window tiles from the latest snapshot and a tile for the 5-hour block in progress. */
export function limitTiles(d: PlanLimitsDto, nowMs: number): LimitTile[] {
  const tiles: LimitTile[] = [];
  if (d.latest) {
    const age = ageText(d.latest.ageMs);
    tiles.push(windowTile('limit-5h', '5-hour window', d.latest.fiveHour, nowMs, age), windowTile('limit-7d', 'Weekly window', d.latest.sevenDay, nowMs, age));
  } else {
    tiles.push({ id: 'limit-none', label: 'Plan limits', value: '—', detail: 'none reported: run "Claude Ledger: Set Up Status Line" (Pro/Max plans)', level: 'ok' });
  }
  const b = d.currentBlock;
  tiles.push(
    b
      ? { id: 'block-current', label: '5-hour block', value: formatUsd(b.costUsd), detail: `${b.requests} requests since ${shortTime(b.start)}, ends ${shortTime(b.end)}${b.projectedCostUsd !== null ? `, projected ${formatUsd(b.projectedCostUsd)}` : ''}`, level: 'ok' }
      : { id: 'block-current', label: '5-hour block', value: '—', detail: 'no activity in the last 5 hours', level: 'ok' },
  );
  return tiles;
}

/** Rows of the blocks table: start, end, requests, cost, burn, projected. */
export function blockRows(blocks: readonly ActivityBlockDto[]): string[][] {
  return blocks.map((b) => [
    `${shortTime(b.start)}${b.active ? ' (now)' : ''}`,
    shortTime(b.end),
    String(b.requests),
    formatUsd(b.costUsd),
    b.burnUsdPerHour === null ? '—' : `${formatUsd(b.burnUsdPerHour)}/h`,
    b.projectedCostUsd === null ? '—' : formatUsd(b.projectedCostUsd),
  ]);
}
