// Token bucket per client. Every MCP request (initialize, tools/list, tools/call...) is one POST, so the
// bucket counts POSTs. The clock is injected so tests need no sleeping.

export interface RateLimiterOptions {
  /** Bucket capacity and refill per minute (a burst of a full minute's allowance is permitted). */
  perMinute: number;
  /** Clients tracked at most; beyond it the least recently seen is dropped (bounds memory). */
  maxClients: number;
  now?: () => number;
}

export type RateDecision = { ok: true } | { ok: false; retryAfterSeconds: number };

interface Bucket {
  tokens: number;
  updatedMs: number;
}

export class RateLimiter {
  private readonly buckets = new Map<string, Bucket>();
  private readonly now: () => number;

  constructor(private readonly o: RateLimiterOptions) {
    if (!(o.perMinute > 0)) throw new Error(`rate limit must be > 0 per minute, got ${o.perMinute}`);
    this.now = o.now ?? Date.now;
  }

  /** Takes one token for `client`; says how long to wait when none is left. */
  take(client: string): RateDecision {
    const now = this.now();
    const perMs = this.o.perMinute / 60_000;
    let b = this.buckets.get(client);
    if (b) {
      b.tokens = Math.min(this.o.perMinute, b.tokens + (now - b.updatedMs) * perMs);
      b.updatedMs = now;
      // Re-insert so Map order is least-recently-seen first (eviction below drops the oldest).
      this.buckets.delete(client);
    } else {
      b = { tokens: this.o.perMinute, updatedMs: now };
    }
    this.buckets.set(client, b);
    while (this.buckets.size > this.o.maxClients) {
      const oldest = this.buckets.keys().next().value as string;
      this.buckets.delete(oldest);
    }
    if (b.tokens >= 1) {
      b.tokens -= 1;
      return { ok: true };
    }
    return { ok: false, retryAfterSeconds: Math.max(1, Math.ceil((1 - b.tokens) / perMs / 1000)) };
  }

  get size(): number {
    return this.buckets.size;
  }
}
