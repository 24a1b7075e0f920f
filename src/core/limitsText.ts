// The plan-limit parts of the status bar (src/core/statusText.ts): the `limits` text, the tooltip
// lines with both reset times and the snapshot's age, the colour level at 80/95 %, and the
// "once per window and threshold" notifications. Pure, unit-tested without VS Code.
import type { RateLimitSnapshotDto, LimitWindowDto } from '../protocol/limitsDto';
import { formatLimitPercent, LIMIT_THRESHOLDS, limitLevel, type LimitLevel } from './statusline/statuslineInput';

export type { LimitLevel };

/** A window's reading, or undefined when unknown or when its window has reset since the snapshot. */
export function currentWindow(w: LimitWindowDto | null | undefined, now: Date): LimitWindowDto | undefined {
  if (!w) return undefined;
  if (w.resetsAt !== null && Date.parse(w.resetsAt) <= now.getTime()) return undefined;
  return w;
}

/** `5h 43% · 7d 12%`; a window that reset since the snapshot reads `—` (its number is of the last window). */
export function limitsText(s: RateLimitSnapshotDto, now: Date): string {
  const part = (label: string, w: LimitWindowDto | null) => {
    if (!w) return undefined;
    const c = currentWindow(w, now);
    return `${label} ${c ? formatLimitPercent(c.usedPercent) : '—'}`;
  };
  return [part('5h', s.fiveHour), part('7d', s.sevenDay)].filter((x) => x !== undefined).join(' · ') || '—';
}

/** The highest level of the current windows (for the status bar's colour in `limits` mode). */
export function limitsLevel(s: RateLimitSnapshotDto | null | undefined, now: Date): LimitLevel {
  if (!s) return 'ok';
  let level: LimitLevel = 'ok';
  for (const w of [s.fiveHour, s.sevenDay]) {
    const c = currentWindow(w, now);
    if (!c) continue;
    const l = limitLevel(c.usedPercent);
    if (l === 'error') return 'error';
    if (l === 'warning') level = 'warning';
  }
  return level;
}

function two(n: number): string {
  return String(n).padStart(2, '0');
}

function when(iso: string, now: Date): string {
  const t = new Date(iso);
  const ms = t.getTime() - now.getTime();
  const day = t.toDateString() === now.toDateString() ? '' : `${['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'][t.getDay()]} `;
  const mins = Math.round(ms / 60_000);
  const inText = mins < 60 ? `${mins} min` : mins < 48 * 60 ? `${Math.floor(mins / 60)} h ${mins % 60} min` : `${Math.round(mins / 1440)} days`;
  return `${day}${two(t.getHours())}:${two(t.getMinutes())} (in ${inText})`;
}

function age(ms: number): string {
  const s = Math.round(ms / 1000);
  return s < 60 ? `${s} s ago` : s < 3600 ? `${Math.round(s / 60)} min ago` : s < 86400 ? `${Math.round(s / 3600)} h ago` : `${Math.round(s / 86400)} d ago`;
}

/** Markdown table rows for the tooltip (no header): both windows with use and reset time, and the age. */
export function limitsTooltipLines(s: RateLimitSnapshotDto | null | undefined, now: Date): string[] {
  if (!s) return ['Plan limits: none reported yet (Claude Code reports them to its status line for Pro/Max plans: run **Claude Ledger: Set Up Status Line**).'];
  const row = (label: string, w: LimitWindowDto | null) => {
    if (!w) return `| ${label} | not reported |`;
    const c = currentWindow(w, now);
    if (!c) return `| ${label} | reset since (was ${formatLimitPercent(w.usedPercent)}) |`;
    return `| ${label} | ${formatLimitPercent(c.usedPercent)} used${c.resetsAt ? `, resets ${when(c.resetsAt, now)}` : ''} |`;
  };
  const ageMs = Math.max(0, now.getTime() - Date.parse(s.lastSeen));
  return ['| Plan limits | |', '|---|---|', row('5-hour window', s.fiveHour), row('Weekly window', s.sevenDay), '', `Limits reported by Claude Code's status line ${age(ageMs)}${s.account ? ` (account ${s.account.slice(0, 8)}…)` : ''}.`];
}

export interface LimitAlert {
  /** `limit:fiveHour:<resetsAt>:80`: unique per window instance and threshold (what "notify once" keys on). */
  id: string;
  window: 'fiveHour' | 'sevenDay';
  percent: 80 | 95;
  usedPercent: number;
  resetsAt: string | null;
}

/** The highest threshold crossed per current window. */
export function limitAlerts(s: RateLimitSnapshotDto | null | undefined, now: Date): LimitAlert[] {
  if (!s) return [];
  const out: LimitAlert[] = [];
  for (const key of ['fiveHour', 'sevenDay'] as const) {
    const c = currentWindow(s[key], now);
    if (!c) continue;
    const percent = c.usedPercent >= LIMIT_THRESHOLDS.error ? 95 : c.usedPercent >= LIMIT_THRESHOLDS.warning ? 80 : undefined;
    // A window is identified by its reset time (a new window has a new one); to the minute, since the
    // server's reset second can wobble between responses.
    const windowId = c.resetsAt ? String(Math.round(Date.parse(c.resetsAt) / 60_000)) : 'unknown';
    if (percent !== undefined) out.push({ id: `limit:${key}:${windowId}:${percent}`, window: key, percent, usedPercent: c.usedPercent, resetsAt: c.resetsAt });
  }
  return out;
}

/** Alerts not yet notified and the ids to remember; reaching 95 % first marks 80 % done too. */
export function pendingLimitAlerts(alerts: readonly LimitAlert[], notified: ReadonlySet<string>): { notify: LimitAlert[]; remember: string[] } {
  const notify: LimitAlert[] = [];
  const remember: string[] = [];
  for (const a of alerts) {
    if (notified.has(a.id)) continue;
    notify.push(a);
    remember.push(a.id);
    if (a.percent === 95) remember.push(a.id.replace(/:95$/, ':80'));
  }
  return { notify, remember };
}

export function limitMessage(a: LimitAlert, now: Date): string {
  const name = a.window === 'fiveHour' ? '5-hour' : 'weekly';
  return `Claude plan: ${formatLimitPercent(a.usedPercent)} of the ${name} limit used${a.resetsAt ? `; it resets ${when(a.resetsAt, now)}` : ''}.`;
}
