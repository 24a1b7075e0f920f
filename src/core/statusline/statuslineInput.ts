// Claude Code's status line JSON (stdin of the `statusLine` command) -> the few fields the ledger uses,
// and the one line we print. Pure and total: any input (garbage, missing fields, wrong types, huge
// numbers) gives a result, never an exception, because Claude Code runs this after every message and
// a stack trace in the status line is worse than a missing figure.
//
// The shape (Claude Code 2.1.197, read from its own source): `session_id`, `model{id, display_name}`,
// `cost{total_cost_usd, ...}`, and for claude.ai subscribers after the first API response
// `rate_limits{five_hour{used_percentage, resets_at}, seven_day{...}}` with used_percentage 0-100
// (utilization x 100) and resets_at in epoch seconds (the `anthropic-ratelimit-unified-5h-reset` header).
//
// Imports only the shared number formatter (the status line bundle must stay small).
import type { StatuslinePostDto } from '../../protocol/limitsDto';
import { formatUsd } from '../format/numbers';

/** Bounds of what we accept, each with its reason. */
export const STATUSLINE_BOUNDS = {
  /** Session ids are UUIDs; anything much longer is not one. */
  maxIdChars: 200,
  /** Model display names are short ("Opus 4.5"); cut, do not reject. */
  maxModelChars: 80,
  /** A session's cost as Claude Code reports it; the ingest bound per request is $10,000. */
  maxSessionCostUsd: 1_000_000,
  /** Percentages are 0-100; overage can exceed 100 a little, nonsense cannot. */
  maxPercent: 1_000,
  /** resets_at: epoch seconds between 2020 and 2100. */
  minResetSec: 1_577_836_800,
  maxResetSec: 4_102_444_800,
} as const;

export interface StatuslineInput {
  /** false when stdin was not a JSON object (the line then says only what it can). */
  parsed: boolean;
  post: StatuslinePostDto;
}

function obj(v: unknown): Record<string, unknown> | undefined {
  return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
}

function str(v: unknown, max: number): string | undefined {
  if (typeof v !== 'string') return undefined;
  // Control characters would break the one-line output (and a terminal).
  const s = v.replace(/[\u0000-\u001f\u007f]/g, '').trim();
  return s === '' ? undefined : s.slice(0, max);
}

function num(v: unknown, min: number, max: number): number | undefined {
  const n = typeof v === 'string' && v.trim() !== '' ? Number(v) : v;
  return typeof n === 'number' && Number.isFinite(n) && n >= min && n <= max ? n : undefined;
}

function window(v: unknown): StatuslinePostDto['fiveHour'] {
  const w = obj(v);
  if (!w) return undefined;
  const usedPercent = num(w.used_percentage ?? w.usedPercent, 0, STATUSLINE_BOUNDS.maxPercent);
  if (usedPercent === undefined) return undefined;
  const resetsAtSec = num(w.resets_at ?? w.resetsAtSec, STATUSLINE_BOUNDS.minResetSec, STATUSLINE_BOUNDS.maxResetSec);
  return resetsAtSec === undefined ? { usedPercent } : { usedPercent, resetsAtSec };
}

/** Claude Code's JSON text -> our fields. Never throws. */
export function parseStatuslineInput(text: string): StatuslineInput {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    return { parsed: false, post: {} };
  }
  const o = obj(v);
  if (!o) return { parsed: false, post: {} };
  const model = obj(o.model);
  const cost = obj(o.cost);
  const limits = obj(o.rate_limits);
  const post: StatuslinePostDto = {};
  const sessionId = str(o.session_id, STATUSLINE_BOUNDS.maxIdChars);
  if (sessionId) post.sessionId = sessionId;
  const modelName = str(model?.display_name, STATUSLINE_BOUNDS.maxModelChars) ?? str(model?.id, STATUSLINE_BOUNDS.maxModelChars) ?? str(o.model, STATUSLINE_BOUNDS.maxModelChars);
  if (modelName) post.model = modelName;
  const sessionCostUsd = num(cost?.total_cost_usd, 0, STATUSLINE_BOUNDS.maxSessionCostUsd);
  if (sessionCostUsd !== undefined) post.sessionCostUsd = sessionCostUsd;
  const fiveHour = window(limits?.five_hour);
  if (fiveHour) post.fiveHour = fiveHour;
  const sevenDay = window(limits?.seven_day);
  if (sevenDay) post.sevenDay = sevenDay;
  return { parsed: true, post };
}

/**
 * The server's check of a POST /api/statusline body (what parseStatuslineInput produced, sent as JSON):
 * the same bounds, so a hand-made post cannot store what a status line call could not.
 * Returns the cleaned post, or a message saying what is wrong.
 */
export function checkStatuslinePost(v: unknown): StatuslinePostDto | string {
  const o = obj(v);
  if (!o) return 'body must be a JSON object';
  const post: StatuslinePostDto = {};
  if (o.sessionId !== undefined) {
    const s = str(o.sessionId, STATUSLINE_BOUNDS.maxIdChars + 1);
    if (!s || s.length > STATUSLINE_BOUNDS.maxIdChars) return `sessionId must be a string of at most ${STATUSLINE_BOUNDS.maxIdChars} characters`;
    post.sessionId = s;
  }
  if (o.model !== undefined) {
    const s = str(o.model, STATUSLINE_BOUNDS.maxModelChars);
    if (!s) return 'model must be a non-empty string';
    post.model = s;
  }
  if (o.sessionCostUsd !== undefined) {
    const n = num(o.sessionCostUsd, 0, STATUSLINE_BOUNDS.maxSessionCostUsd);
    if (n === undefined || typeof o.sessionCostUsd !== 'number') return `sessionCostUsd must be a number from 0 to ${STATUSLINE_BOUNDS.maxSessionCostUsd}`;
    post.sessionCostUsd = n;
  }
  for (const key of ['fiveHour', 'sevenDay'] as const) {
    if (o[key] === undefined) continue;
    const w = obj(o[key]);
    const usedPercent = typeof w?.usedPercent === 'number' ? num(w.usedPercent, 0, STATUSLINE_BOUNDS.maxPercent) : undefined;
    if (!w || usedPercent === undefined) return `${key}.usedPercent must be a number from 0 to ${STATUSLINE_BOUNDS.maxPercent}`;
    if (w.resetsAtSec !== undefined) {
      const r = typeof w.resetsAtSec === 'number' ? num(w.resetsAtSec, STATUSLINE_BOUNDS.minResetSec, STATUSLINE_BOUNDS.maxResetSec) : undefined;
      if (r === undefined) return `${key}.resetsAtSec must be epoch seconds between 2020 and 2100`;
      post[key] = { usedPercent, resetsAtSec: r };
    } else {
      post[key] = { usedPercent };
    }
  }
  return post;
}

/** Colour thresholds of the plan windows (status line, status bar, notifications): warning, then error. */
export const LIMIT_THRESHOLDS = { warning: 80, error: 95 } as const;

export type LimitLevel = 'ok' | 'warning' | 'error';

export function limitLevel(usedPercent: number): LimitLevel {
  return usedPercent >= LIMIT_THRESHOLDS.error ? 'error' : usedPercent >= LIMIT_THRESHOLDS.warning ? 'warning' : 'ok';
}

/** "43%" (whole percent; "<1%" for a little use, so it never reads as none). */
export function formatLimitPercent(p: number): string {
  if (p > 0 && p < 0.5) return '<1%';
  return `${Math.round(p)}%`;
}

function two(n: number): string {
  return String(n).padStart(2, '0');
}

const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];

/** Local "14:20" when within the next 24 hours, else "Tue 14:20". */
export function formatResetTime(resetMs: number, now: Date): string {
  const d = new Date(resetMs);
  const hm = `${two(d.getHours())}:${two(d.getMinutes())}`;
  return resetMs - now.getTime() < 24 * 3_600_000 ? hm : `${DAYS[d.getDay()]} ${hm}`;
}

export interface LineOptions {
  color: boolean;
  now: Date;
}

const ANSI = { warning: '\u001b[33m', error: '\u001b[31m', dim: '\u001b[2m', reset: '\u001b[0m' } as const;

/**
 * The one line: `Opus 4.5 · $0.42 session · $3.10 today · 5h 43% (resets 14:20) · 7d 12%`. Parts that
 * are unknown are left out; a window whose reset time has passed is left out too (its percentage
 * belongs to the window before). `todayUsd` comes from the ledger (undefined when none answered).
 */
export function formatStatusLine(post: StatuslinePostDto, todayUsd: number | undefined, o: LineOptions): string {
  const paint = (s: string, level: LimitLevel | 'dim') => (!o.color || level === 'ok' ? s : `${ANSI[level]}${s}${ANSI.reset}`);
  const parts: string[] = [];
  if (post.model) parts.push(post.model);
  if (post.sessionCostUsd !== undefined) parts.push(`${formatUsd(post.sessionCostUsd)} session`);
  if (todayUsd !== undefined && Number.isFinite(todayUsd)) parts.push(`${formatUsd(todayUsd)} today`);
  const nowMs = o.now.getTime();
  const win = (label: string, w: StatuslinePostDto['fiveHour'], withReset: boolean) => {
    if (!w) return;
    if (w.resetsAtSec !== undefined && w.resetsAtSec * 1000 <= nowMs) return;
    const reset = withReset && w.resetsAtSec !== undefined ? ` (resets ${formatResetTime(w.resetsAtSec * 1000, o.now)})` : '';
    parts.push(paint(`${label} ${formatLimitPercent(w.usedPercent)}${reset}`, limitLevel(w.usedPercent)));
  };
  win('5h', post.fiveHour, true);
  win('7d', post.sevenDay, false);
  if (parts.length === 0) return 'Claude Ledger';
  return parts.join(o.color ? paint(' · ', 'dim') : ' · ');
}
