// Cost estimate from tokens (only when Claude Code sent no cost_usd) and cache savings.
import { priceFor, type PriceOverrides } from './priceTable';

export interface TokenUse {
  input: number;
  output: number;
  cacheRead: number;
  cacheCreation: number;
  /** When Claude Code splits cache writes (2.1.330+); otherwise all of cacheCreation is priced as 5 min. */
  cacheCreation5m?: number;
  cacheCreation1h?: number;
  /** Server tool use: web searches (billed per request; 0 when absent). */
  webSearchRequests?: number;
}

export interface Estimate {
  /** undefined when the model is not in the table (the caller flags it as unpriced). */
  costUsd: number | undefined;
}

export function estimateCost(model: string, t: TokenUse, overrides?: PriceOverrides): Estimate {
  const price = priceFor(model, overrides);
  if (!price) return { costUsd: undefined };
  let w5 = t.cacheCreation;
  let w1 = 0;
  if (t.cacheCreation5m !== undefined || t.cacheCreation1h !== undefined) {
    w1 = t.cacheCreation1h ?? 0;
    w5 = t.cacheCreation5m ?? Math.max(0, t.cacheCreation - w1);
  }
  // Why 5 min by default: it is Claude Code's default cache TTL, and the cheaper of the two, so an
  // estimate never overstates spend.
  const usd = (t.input * price.input + t.output * price.output + t.cacheRead * price.cacheRead + w5 * price.cacheWrite5m + w1 * price.cacheWrite1h) / 1e6;
  return { costUsd: usd };
}

/** cacheRead x (input price - cache-read price); 0 for an unknown model (which is flagged elsewhere). */
export function cacheSavingsUsd(model: string, cacheReadTokens: number, overrides?: PriceOverrides): number {
  const price = priceFor(model, overrides);
  if (!price) return 0;
  return (cacheReadTokens * (price.input - price.cacheRead)) / 1e6;
}
