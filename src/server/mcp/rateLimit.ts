// Token bucket per client, counting what the setting claudeLedger.mcp.rateLimitPerMinute says: tool
// calls. The handler asks for one token per `tools/call` message; a client that connects per call
// (initialize, notifications/initialized, tools/call: three POSTs) spends one. The clock is injected so
// tests need no sleeping.
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

  /** Takes `cost` tokens (all or none) for `client`; says how long to wait when too few are left. */
  take(client: string, cost = 1): RateDecision {
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
    // A batch larger than the whole bucket could never pass: it is refused as if it needed a full bucket.
    const need = Math.min(cost, this.o.perMinute);
    if (b.tokens >= need && cost <= this.o.perMinute) {
      b.tokens -= need;
      return { ok: true };
    }
    return { ok: false, retryAfterSeconds: Math.max(1, Math.ceil((need - b.tokens) / perMs / 1000)) };
  }

  get size(): number {
    return this.buckets.size;
  }
}

/** How many `tools/call` requests a JSON-RPC body holds (a message or a batch): what the bucket charges. */
export function toolCallCount(body: unknown): number {
  const messages = Array.isArray(body) ? body : [body];
  return messages.filter((m) => typeof m === 'object' && m !== null && (m as { method?: unknown }).method === 'tools/call').length;
}

/** The 429 text: what was exceeded, when to retry, and which setting raises the limit. */
export function rateLimitMessage(perMinute: number, retryAfterSeconds: number): string {
  return (
    `Too many tool calls: this client may make ${perMinute} per minute. Retry after ${retryAfterSeconds} s, ` +
    'or raise the VS Code setting claudeLedger.mcp.rateLimitPerMinute.'
  );
}
