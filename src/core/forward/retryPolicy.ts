// The OTLP/HTTP client rules (https://opentelemetry.io/docs/specs/otlp/#failures-1): 429, 502, 503 and
// 504 are retryable (honouring Retry-After), every other 4xx/5xx is not; backoff is exponential with
// jitter. Pure: the forwarder passes the clock and the random source.

export interface RetryOptions {
  /** First backoff; doubles per consecutive failure. */
  backoffBaseMs: number;
  /** Backoff cap (before jitter). */
  backoffMaxMs: number;
  /** A Retry-After beyond this is cut to it: an upstream cannot park the forwarder for a day. */
  maxRetryAfterMs: number;
  /** Consecutive retryable failures after which the state is `failing` instead of `retrying`. */
  failingAfterAttempts: number;
}

export const DEFAULT_RETRY_OPTIONS: RetryOptions = {
  backoffBaseMs: 1_000, // the SDK exporters start at 1 s
  backoffMaxMs: 60_000, // an hours-long outage is polled once a minute, not hammered
  maxRetryAfterMs: 5 * 60_000,
  failingAfterAttempts: 4, // ~15 s of failures with the defaults: a blip shows as retrying, an outage as failing
};

export type Outcome =
  | { kind: 'accepted' }
  | { kind: 'retry'; why: string; retryAfterMs?: number }
  | { kind: 'reject'; why: string };

/** What an HTTP status means for the request that got it. */
export function classifyStatus(status: number): 'accepted' | 'retry' | 'reject' {
  if (status >= 200 && status < 300) return 'accepted';
  if (status === 429 || status === 502 || status === 503 || status === 504) return 'retry';
  return 'reject'; // 3xx (redirects are not followed), other 4xx, other 5xx
}

/** Retry-After: delta seconds or an HTTP date (RFC 9110 10.2.3); undefined when absent or unreadable. */
export function parseRetryAfter(value: string | undefined, nowMs: number, maxMs: number): number | undefined {
  if (value === undefined) return undefined;
  const v = value.trim();
  if (/^\d+$/.test(v)) return Math.min(Number(v) * 1000, maxMs);
  const t = Date.parse(v);
  if (Number.isNaN(t)) return undefined;
  return Math.max(0, Math.min(t - nowMs, maxMs));
}

/**
 * Delay before retry number `attempt` (1 = the first retry): Retry-After when the upstream gave one,
 * else exponential backoff with "equal jitter" (half fixed, half random), so many ledgers behind one
 * collector do not retry in lockstep yet each still waits at least half the backoff.
 */
export function retryDelayMs(attempt: number, o: RetryOptions, random: () => number, retryAfterMs?: number): number {
  if (retryAfterMs !== undefined) return Math.min(retryAfterMs, o.maxRetryAfterMs);
  const exp = Math.min(o.backoffMaxMs, o.backoffBaseMs * 2 ** Math.min(30, Math.max(0, attempt - 1)));
  return Math.round(exp / 2 + random() * (exp / 2));
}
