// Cost of one transcript-only request (transcripts carry no cost), equal to what Claude Code would
// report for it. Order of sources:
//   1. learned  - prices learned from Claude Code's own api_request costs (learned.ts) for the same key
//                 (model, speed, long context, geo), when every component this request uses is determined;
//   2. override - the user's pricing.overrides entry for the model;
//   3. table    - the bundled, dated table (priceTable.ts);
//   4. none     - costUsd undefined: the caller flags the request unpriced (never $0).
// Rules applied to override and table prices (learned prices already include them, being keyed on
// speed/long context/geo):
// - Cache writes: `cache_creation.ephemeral_1h_input_tokens` at the 1-hour rate, the rest of
//   `cache_creation_input_tokens` (including any part the breakdown does not cover) at the 5-minute rate:
//   how Claude Code prices it (fixtures: 0.0188 = (1000*5 + 40*25 + 2048*6.25)/1e6, claude-opus-4-8, 0/0 breakdown).
// - Long context: Sonnet 4 / 4.5 with more than 200k input-side tokens (input + cache read + cache writes)
//   bill the whole request at $6 in / $22.50 out, i.e. 2x every input-side price and 1.5x output
//   (Anthropic pricing page, "long context pricing"; 4.6+ models bill 1M context at standard rates).
// - Fast mode (`speed: fast`): Opus 5 / 4.8 at $10 in / $50 out, i.e. 2x (pricing page, "fast mode").
//   Other models: no known fast price -> none, rather than an understated estimate.
// - US-only inference (`inference_geo: us`): 1.1x (pricing page, "data residency").
// - Web search: $10 per 1,000 requests (pricing page, "server tools"); web fetch has no extra charge.
// See /work/shared/notes/pricing.md for the table facts.
import type { TokenUse } from './estimate';
import { COMPONENTS, countsOf, inputSideTokens, LONG_CONTEXT_TOKENS, type Component, type ComponentCounts, type LearnedPrice } from './learned';
import { priceFor, type ModelPrice, type PriceOverrides } from './priceTable';

export type PriceSource = 'learned' | 'override' | 'table' | 'none';

export interface PricedRequest {
  costUsd: number | undefined;
  priceSource: PriceSource;
  /** Why a source was passed over or a rule assumed (for logs and the dashboard tooltip). */
  note?: string;
}

/** Token fields of a request (transcriptRecords.ts TranscriptUsage fits). */
export type PricingUsage = TokenUse;

export interface PriceRequestOptions {
  /** Transcript `usage.speed` (`standard`/`normal`/`fast`). */
  speed?: string;
  /** Transcript `usage.inference_geo`. */
  inferenceGeo?: string;
  /** PriceLearner.pricesFor(learnedKeyOf(modelNorm, countsOf(usage), speed, inferenceGeo)). */
  learned?: LearnedPrice;
  overrides?: PriceOverrides;
}

/** $10 per 1,000 web search requests. */
export const WEB_SEARCH_USD_PER_REQUEST = 0.01;

interface ModelId {
  family: string;
  major: number;
  minor: number;
}

function modelId(model: string): ModelId | undefined {
  // Same grammar as priceTable.ts priceFor: claude-<family>-<major>[-<minor>], a 1-2 digit minor.
  const m = /(opus|sonnet|haiku|fable|mythos)-(\d{1,2})(?:[-.](\d{1,2}))?(?!\d)/.exec(model.toLowerCase());
  return m ? { family: m[1], major: Number(m[2]), minor: m[3] === undefined ? 0 : Number(m[3]) } : undefined;
}

const hasLongContextTier = (id: ModelId | undefined) => !!id && id.family === 'sonnet' && id.major === 4 && (id.minor === 0 || id.minor === 5);
const hasFastPrice = (id: ModelId | undefined) => !!id && id.family === 'opus' && (id.major === 5 || (id.major === 4 && id.minor === 8));

function costFrom(perM: Partial<Record<Component, number>>, c: ComponentCounts): number {
  let usd = 0;
  for (const k of COMPONENTS) if (c[k] > 0) usd += (c[k] * (perM[k] ?? 0)) / 1e6;
  return usd;
}

function priceWithRules(model: string, price: ModelPrice, c: ComponentCounts, opts: PriceRequestOptions): { costUsd?: number; note?: string } {
  const id = modelId(model);
  let inMul = 1;
  let outMul = 1;
  const notes: string[] = [];
  if (hasLongContextTier(id) && inputSideTokens(c) > LONG_CONTEXT_TOKENS) {
    inMul *= 2;
    outMul *= 1.5;
  }
  const speed = opts.speed?.toLowerCase();
  if (speed === 'fast') {
    if (!hasFastPrice(id)) return { note: `no known fast-mode price for ${model}` };
    inMul *= 2;
    outMul *= 2;
  } else if (speed && speed !== 'normal' && speed !== 'standard') notes.push(`unknown speed "${opts.speed}" priced as normal`);
  let geoMul = 1;
  const geo = opts.inferenceGeo?.toLowerCase() ?? '';
  if (geo === 'us') geoMul = 1.1;
  else if (geo !== '' && geo !== 'global' && geo !== 'not_available') notes.push(`unknown inference_geo "${opts.inferenceGeo}" priced as global`);
  const perM: Partial<Record<Component, number>> = {
    input: price.input * inMul * geoMul,
    output: price.output * outMul * geoMul,
    cacheRead: price.cacheRead * inMul * geoMul,
    cacheWrite5m: price.cacheWrite5m * inMul * geoMul,
    cacheWrite1h: price.cacheWrite1h * inMul * geoMul,
    webSearch: WEB_SEARCH_USD_PER_REQUEST * 1e6,
  };
  return { costUsd: costFrom(perM, c), note: notes.length ? notes.join('; ') : undefined };
}

export function priceTranscriptRequest(modelNorm: string, usage: PricingUsage, opts: PriceRequestOptions = {}): PricedRequest {
  const c = countsOf(usage);
  const used = COMPONENTS.filter((k) => c[k] > 0);
  let note: string | undefined;
  if (opts.learned) {
    const missing = used.filter((k) => !opts.learned!.determined.includes(k));
    if (missing.length === 0) return { costUsd: costFrom(opts.learned.perMTok, c), priceSource: 'learned' };
    note = `learned prices do not determine ${missing.join(', ')} yet`;
  }
  const join = (a?: string, b?: string) => (a && b ? `${a}; ${b}` : a ?? b);
  // priceFor returns the override object itself when an override matches, a PRICES constant otherwise.
  const table = priceFor(modelNorm);
  const withOverride = opts.overrides ? priceFor(modelNorm, opts.overrides) : undefined;
  if (withOverride && withOverride !== table) {
    const r = priceWithRules(modelNorm, withOverride, c, opts);
    if (r.costUsd !== undefined) return { costUsd: r.costUsd, priceSource: 'override', note: join(note, r.note) };
    return { costUsd: undefined, priceSource: 'none', note: join(note, r.note) };
  }
  if (table) {
    const r = priceWithRules(modelNorm, table, c, opts);
    if (r.costUsd !== undefined) return { costUsd: r.costUsd, priceSource: 'table', note: join(note, r.note) };
    return { costUsd: undefined, priceSource: 'none', note: join(note, r.note) };
  }
  return { costUsd: undefined, priceSource: 'none', note: join(note, `${modelNorm} is in neither the learned prices nor the price table`) };
}
