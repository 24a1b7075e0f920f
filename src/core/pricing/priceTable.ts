// Bundled, dated price table (USD per million tokens), from Anthropic's public pricing page as stored
// on PRICE_TABLE_DATE (see /work/shared/notes/pricing.md). Used only when Claude Code sends no
// cost_usd (Bedrock, Vertex, Foundry) and for cache savings; a user setting may override it.

export const PRICE_TABLE_DATE = '2026-08-21';

export interface ModelPrice {
  family: string;
  input: number;
  cacheWrite5m: number;
  cacheWrite1h: number;
  cacheRead: number;
  output: number;
}

const p = (family: string, input: number, cacheWrite5m: number, cacheWrite1h: number, cacheRead: number, output: number): ModelPrice => ({
  family,
  input,
  cacheWrite5m,
  cacheWrite1h,
  cacheRead,
  output,
});

export const PRICES = {
  fable5: p('Fable 5 / Mythos 5', 10, 12.5, 20, 1, 50),
  opus45plus: p('Opus 4.5+ / 5', 5, 6.25, 10, 0.5, 25),
  opus4: p('Opus 4 / 4.1', 15, 18.75, 30, 1.5, 75),
  sonnet5: p('Sonnet 5', 2, 2.5, 4, 0.2, 10),
  sonnet4: p('Sonnet 4 / 4.5 / 4.6', 3, 3.75, 6, 0.3, 15),
  haiku45: p('Haiku 4.5', 1, 1.25, 2, 0.1, 5),
  haiku35: p('Haiku 3.5', 0.8, 1, 1.6, 0.08, 4),
} as const;

/** User overrides: model id prefix (after normalization, lowercase) -> price. Checked before the table. */
export type PriceOverrides = Record<string, ModelPrice>;

/**
 * Finds the price of a model id. Ids may carry a date (`claude-haiku-4-5-20251001`), a suffix
 * (`claude-opus-4-8[1m]`), a cloud prefix (`us.anthropic.claude-sonnet-4-5-20250929-v1:0`) or a
 * Vertex `@date`. Matching is on family + version; a model not in the table returns undefined
 * (callers flag it, never price it at $0).
 */
export function priceFor(model: string, overrides?: PriceOverrides): ModelPrice | undefined {
  const id = model.toLowerCase().replace(/\[[^\]]*\]\s*$/, '');
  if (overrides) {
    let best: string | undefined;
    for (const k of Object.keys(overrides)) if (id.includes(k.toLowerCase()) && (!best || k.length > best.length)) best = k;
    if (best) return overrides[best];
  }
  // New style: claude-<family>-<major>[-<minor>] where a minor has 1-2 digits (8 digits is a date).
  const m = /(opus|sonnet|haiku|fable|mythos)-(\d{1,2})(?:[-.](\d{1,2}))?(?!\d)/.exec(id);
  if (m) {
    const family = m[1];
    const major = Number(m[2]);
    const minor = m[3] === undefined ? 0 : Number(m[3]);
    switch (family) {
      case 'fable':
      case 'mythos':
        return major === 5 ? PRICES.fable5 : undefined;
      case 'opus':
        if (major >= 5) return major === 5 ? PRICES.opus45plus : undefined;
        if (major === 4) return minor >= 5 ? PRICES.opus45plus : PRICES.opus4;
        return undefined;
      case 'sonnet':
        if (major === 5) return PRICES.sonnet5;
        if (major === 4) return PRICES.sonnet4;
        return undefined;
      case 'haiku':
        if (major === 4 && minor === 5) return PRICES.haiku45;
        return undefined;
    }
  }
  // Old style: claude-3-5-haiku-20241022.
  if (/claude-3-5-haiku/.test(id)) return PRICES.haiku35;
  return undefined;
}
