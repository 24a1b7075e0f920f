// Prices learned from Claude Code itself: every OTLP api_request is an observation "these tokens by type
// cost cost_usd", computed by Claude Code with the prices it uses. Per key (model, speed, long context,
// inference geo) we solve for the per-million prices as soon as the observations determine them, so
// transcript-only requests of a model no table knows yet are priced the way Claude Code prices them.
//
// Method (all state is plain JSON, see PriceLearnerState):
// - An observation is a row x (counts per Component) and a cost b: x . p / 1e6 = b (p per million).
// - Per key we keep a basis of linearly independent rows (Gram-Schmidt: a row whose residual after
//   projection on the basis is below INDEPENDENCE_TOL of its norm is not independent) - at most one per
//   component, so <= 6 - plus up to MAX_EXTRAS further rows, most recent first, used only to verify.
// - Solve: Gram-Schmidt of the basis rows gives A = L Q (Q orthonormal rows); the minimum-norm solution
//   is p = Q^T L^-1 b. Component j is determined when e_j lies in the row space (sum_i Q_ij^2 = 1): its
//   value is then the same in every solution. Underdetermined components are not reported.
// - Prices count only if every kept row (basis and extras) is reproduced within REPRODUCE_REL. Each
//   determined price is then rounded to the nearest 1e-4 per million when the rounded prices still
//   reproduce every row (Claude Code's prices are round numbers; rounding removes float noise).
// - A new observation the current prices do not reproduce means the prices changed (or a pricing
//   factor we do not key on): the key restarts from that observation (newest prices win) and
//   `conflicts` counts it. Until it is determined again, callers fall back to the table.
//
// Interface notes for the store (changes against the brief):
// - LearnedPrice.perMTok is "per million units": tokens for token components, requests for webSearch
//   (10,000 = $10 per 1,000 searches), so every cost is sum(count * perMTok) / 1e6.
// - observe() takes ComponentCounts (countsOf() builds them from api_request or transcript tokens).

import { PRICE_COMPONENTS, type PriceComponent } from '../../protocol/dto';
import type { TokenUse } from './estimate';

/** The components (declared once in the protocol: the `prices` query and MCP `pricing` name them too). */
export type Component = PriceComponent;
export const COMPONENTS: readonly Component[] = PRICE_COMPONENTS;

/** Tokens per component (webSearch: requests). */
export type ComponentCounts = Record<Component, number>;

export interface LearnedPrice {
  /** USD per million tokens (webSearch: per million requests), determined components only. */
  perMTok: Partial<Record<Component, number>>;
  /** Observations since the key was (re)started. */
  observations: number;
  /** Components whose price the observations fix uniquely (and reproduce every kept observation). */
  determined: Component[];
}

/** Input-side tokens above which a request is "long context" (Anthropic's 200k tier boundary). */
export const LONG_CONTEXT_TOKENS = 200_000;
const INDEPENDENCE_TOL = 1e-6;
const REPRODUCE_REL = 1e-9;
const DETERMINED_TOL = 1e-9;
const MAX_EXTRAS = 10;
const ROUND_STEP = 1e-4;
const N = COMPONENTS.length;

/**
 * Counts by component from token fields (OTLP api_request or transcript usage). The part of
 * cacheCreation the 5m/1h breakdown does not cover is a 5-minute write: that is how Claude Code prices
 * it (fixtures: cost 0.0188 = (1000*5 + 40*25 + 2048*6.25)/1e6 with a 0/0 breakdown, claude-opus-4-8).
 */
export function countsOf(t: TokenUse): ComponentCounts {
  const w1 = t.cacheCreation1h ?? 0;
  const w5 = Math.max(t.cacheCreation5m ?? 0, t.cacheCreation - w1);
  return { input: t.input, output: t.output, cacheRead: t.cacheRead, cacheWrite5m: w5, cacheWrite1h: w1, webSearch: t.webSearchRequests ?? 0 };
}

/** Input-side tokens (what the long-context tier is decided on). */
export function inputSideTokens(c: ComponentCounts): number {
  return c.input + c.cacheRead + c.cacheWrite5m + c.cacheWrite1h;
}

/**
 * The key prices are learned under: normalized model (lowercase, `[1m]` stripped by the caller's
 * normalizeModel), speed (`standard` = `normal`, absent = `normal`), long-context flag, inference geo
 * (absent/'' = none). Transcript requests must be keyed exactly like the OTLP observations.
 */
export function learnedKeyOf(modelNorm: string, counts: ComponentCounts, speed?: string, inferenceGeo?: string): string {
  const sp = !speed || speed === 'standard' ? 'normal' : speed.toLowerCase();
  const long = inputSideTokens(counts) > LONG_CONTEXT_TOKENS ? 'long' : 'std';
  return `${modelNorm.toLowerCase()}|${sp}|${long}|${(inferenceGeo ?? '').toLowerCase()}`;
}

/** One observation: counts per component (in COMPONENTS order) and Claude Code's cost. */
type Row = [counts: number[], costUsd: number];

interface KeyState {
  basis: Row[];
  extras: Row[];
  observations: number;
  conflicts: number;
}

/** Serialized form (plain JSON): the store keeps it in a table and restores it with fromJSON. */
export interface PriceLearnerState {
  version: 1;
  keys: Record<string, KeyState>;
}

interface Solved {
  price: LearnedPrice | undefined;
  /** All kept rows reproduced (else the key is inconsistent). */
  ok: boolean;
  /** Full solution (min-norm), per million units, used to test a new row. */
  p: number[];
}

/** Largest count per column (1 for an unused column): columns are scaled to <= 1 so that a component
 * counted in units (web searches) weighs like one counted in tokens (millions). The determined test
 * (e_j in the row space) does not depend on column scaling; the independence test and the solve's
 * conditioning do. */
function colScale(xs: number[][]): number[] {
  const s = new Array<number>(N).fill(0);
  for (const x of xs) for (let j = 0; j < N; j++) s[j] = Math.max(s[j], x[j]);
  return s.map((v) => v || 1);
}
const scaled = (x: number[], s: number[]) => x.map((v, j) => v / s[j]);
const dot = (a: number[], b: number[]) => a.reduce((s, v, i) => s + v * b[i], 0);
const norm = (a: number[]) => Math.sqrt(dot(a, a));

/** Orthonormal rows of span(rows) by modified Gram-Schmidt, twice (re-orthogonalized); L with rows = L Q. */
function gramSchmidt(rows: number[][]): { q: number[][]; l: number[][]; residuals: number[] } {
  const q: number[][] = [];
  const l: number[][] = [];
  const residuals: number[] = [];
  for (const row of rows) {
    const v = row.slice();
    const li = new Array<number>(rows.length).fill(0);
    for (let pass = 0; pass < 2; pass++) {
      for (let m = 0; m < q.length; m++) {
        const r = dot(v, q[m]);
        li[m] += r;
        for (let j = 0; j < N; j++) v[j] -= r * q[m][j];
      }
    }
    const nv = norm(v);
    residuals.push(nv / (norm(row) || 1));
    li[q.length] = nv;
    q.push(nv > 0 ? v.map((x) => x / nv) : v);
    l.push(li);
  }
  return { q, l, residuals };
}

function isIndependent(basis: Row[], x: number[]): boolean {
  if (basis.length >= N) return false;
  const xs = [...basis.map((r) => r[0]), x];
  const sc = colScale(xs);
  const { residuals } = gramSchmidt(xs.map((r) => scaled(r, sc)));
  return residuals[residuals.length - 1] > INDEPENDENCE_TOL;
}

/** p in USD per million units. */
const reproduces = (p: number[], rows: Row[]) =>
  rows.every(([x, cost]) => Math.abs(dot(x, p) / 1e6 - cost) <= REPRODUCE_REL * Math.abs(cost) + 1e-15);

/** What a basis alone determines (the min-norm solution before rounding and its determined components). */
interface BasisSolution {
  p: number[];
  determined: number[];
}

/**
 * Solutions by basis. A basis only grows (push) or is replaced by a new array, and its rows are never
 * changed, so (array, length) names its content: the Gram-Schmidt solve runs once per basis, not once
 * per observation. The same arithmetic in the same order, so the same numbers.
 */
const basisSolutions = new WeakMap<Row[], { length: number; solution: BasisSolution }>();

function solveBasis(basis: Row[]): BasisSolution {
  const hit = basisSolutions.get(basis);
  if (hit && hit.length === basis.length) return hit.solution;
  const sc = colScale(basis.map((r) => r[0]));
  const { q, l } = gramSchmidt(basis.map((r) => scaled(r[0], sc)));
  // Forward substitution L y = b, then p = Q^T y.
  const y: number[] = [];
  for (let i = 0; i < basis.length; i++) {
    let s = basis[i][1];
    for (let m = 0; m < i; m++) s -= l[i][m] * y[m];
    y.push(s / l[i][i]);
  }
  // Solution of the scaled system, back to USD per million units: p_j = p'_j * 1e6 / s_j.
  const p = new Array<number>(N).fill(0);
  for (let i = 0; i < q.length; i++) for (let j = 0; j < N; j++) p[j] += q[i][j] * y[i];
  for (let j = 0; j < N; j++) p[j] = (p[j] * 1e6) / sc[j];
  const determined: number[] = [];
  for (let j = 0; j < N; j++) {
    let s = 0;
    for (const qi of q) s += qi[j] * qi[j];
    if (s > 1 - DETERMINED_TOL) determined.push(j);
  }
  const solution = { p, determined };
  basisSolutions.set(basis, { length: basis.length, solution });
  return solution;
}

function solve(st: KeyState): Solved {
  const none: Solved = { price: undefined, ok: true, p: new Array<number>(N).fill(0) };
  if (st.basis.length === 0) return none;
  const { p: solved, determined } = solveBasis(st.basis);
  const p = solved.slice();
  const rows = [...st.basis, ...st.extras];
  if (!reproduces(p, rows)) return { ...none, ok: false, p };
  const rounded = p.slice();
  for (const j of determined) rounded[j] = Math.round(p[j] / ROUND_STEP) * ROUND_STEP;
  // Round to 4 decimals in decimal too (0.5000000000000001 -> 0.5).
  for (const j of determined) rounded[j] = Number(rounded[j].toFixed(4));
  const final = reproduces(rounded, rows) ? rounded : p;
  if (determined.length === 0) return { price: undefined, ok: true, p };
  const perMTok: Partial<Record<Component, number>> = {};
  for (const j of determined) perMTok[COMPONENTS[j]] = final[j];
  return { price: { perMTok, observations: st.observations, determined: determined.map((j) => COMPONENTS[j]) }, ok: true, p: final };
}

/** Whether two reported prices print the same JSON ({ perMTok, determined }): the change test of observe(). */
function samePrice(a: LearnedPrice | undefined, b: LearnedPrice | undefined): boolean {
  if (a === undefined || b === undefined) return a === b;
  if (a.determined.length !== b.determined.length) return false;
  for (let i = 0; i < a.determined.length; i++) {
    const c = a.determined[i];
    if (c !== b.determined[i]) return false;
    const x = a.perMTok[c];
    const y = b.perMTok[c];
    // JSON writes -0 as 0 and every non-finite number as null.
    if (!(x === y || (x !== undefined && y !== undefined && !Number.isFinite(x) && !Number.isFinite(y)))) return false;
  }
  return true;
}

export class PriceLearner {
  private keys = new Map<string, KeyState>();
  private cache = new Map<string, Solved>();

  /**
   * Records one observation. Returns true when the prices reported for the key changed (a new
   * component determined, a value changed, or the key restarted), i.e. when estimates should be redone.
   * Ignored (false): a cost that is not a finite non-negative number, negative or non-finite counts, or
   * all-zero counts.
   */
  observe(key: string, counts: ComponentCounts, costUsd: number): boolean {
    if (!Number.isFinite(costUsd) || costUsd < 0) return false;
    const x = COMPONENTS.map((c) => counts[c]);
    if (x.some((v) => !Number.isFinite(v) || v < 0) || x.every((v) => v === 0)) return false;
    const before = this.pricesFor(key);
    let st = this.keys.get(key);
    if (!st) {
      st = { basis: [], extras: [], observations: 0, conflicts: 0 };
      this.keys.set(key, st);
    }
    st.observations++;
    const row: Row = [x, costUsd];
    if (isIndependent(st.basis, x)) st.basis.push(row);
    else {
      st.extras.unshift(row);
      if (st.extras.length > MAX_EXTRAS) st.extras.length = MAX_EXTRAS;
    }
    let solved = solve(st);
    if (!solved.ok) {
      // The newest observation contradicts the kept ones: prices changed. Restart from it.
      st.basis = [row];
      st.extras = [];
      st.observations = 1;
      st.conflicts++;
      solved = solve(st);
    }
    this.cache.set(key, solved);
    return !samePrice(before, solved.price);
  }

  /** Learned prices of a key, or undefined when no component is determined yet. */
  pricesFor(key: string): LearnedPrice | undefined {
    const st = this.keys.get(key);
    if (!st) return undefined;
    let s = this.cache.get(key);
    if (!s) {
      s = solve(st);
      this.cache.set(key, s);
    }
    return s.price && { ...s.price, observations: st.observations };
  }

  /** Every key with determined prices (for the "learned prices" view). */
  entries(): { key: string; price: LearnedPrice; conflicts: number }[] {
    const out: { key: string; price: LearnedPrice; conflicts: number }[] = [];
    for (const [key, st] of this.keys) {
      const price = this.pricesFor(key);
      if (price) out.push({ key, price, conflicts: st.conflicts });
    }
    return out.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  }

  toJSON(): PriceLearnerState {
    const keys: Record<string, KeyState> = {};
    for (const [k, st] of this.keys) keys[k] = { basis: st.basis, extras: st.extras, observations: st.observations, conflicts: st.conflicts };
    return { version: 1, keys };
  }

  /** Restores a state from toJSON(); malformed entries are dropped (the learner relearns them). */
  static fromJSON(state: unknown): PriceLearner {
    const l = new PriceLearner();
    if (!state || typeof state !== 'object' || (state as PriceLearnerState).version !== 1) return l;
    const keys = (state as PriceLearnerState).keys;
    if (!keys || typeof keys !== 'object') return l;
    const okRow = (r: unknown): r is Row =>
      Array.isArray(r) &&
      r.length === 2 &&
      Array.isArray(r[0]) &&
      r[0].length === N &&
      r[0].every((v: unknown) => typeof v === 'number' && Number.isFinite(v) && v >= 0) &&
      typeof r[1] === 'number' &&
      Number.isFinite(r[1]) &&
      r[1] >= 0;
    for (const [k, v] of Object.entries(keys)) {
      if (!v || typeof v !== 'object') continue;
      const st = v as KeyState;
      if (!Array.isArray(st.basis) || !Array.isArray(st.extras) || !st.basis.every(okRow) || !st.extras.every(okRow)) continue;
      if (st.basis.length > N) continue;
      l.keys.set(k, {
        basis: st.basis.map(([x, c]) => [x.slice(), c]),
        extras: st.extras.slice(0, MAX_EXTRAS).map(([x, c]) => [x.slice(), c]),
        observations: Number.isSafeInteger(st.observations) && st.observations > 0 ? st.observations : st.basis.length + st.extras.length,
        conflicts: Number.isSafeInteger(st.conflicts) && st.conflicts >= 0 ? st.conflicts : 0,
      });
    }
    return l;
  }
}
