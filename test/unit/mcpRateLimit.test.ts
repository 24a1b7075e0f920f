import assert from 'node:assert/strict';
import { test } from 'node:test';
import { RateLimiter } from '../../src/server/mcp/rateLimit';

test('token bucket: a minute of burst, then refill at perMinute/60 per second', () => {
  let now = 1_000_000;
  const rl = new RateLimiter({ perMinute: 6, maxClients: 10, now: () => now });
  for (let i = 0; i < 6; i++) assert.deepEqual(rl.take('a'), { ok: true }, `call ${i}`);
  const denied = rl.take('a');
  assert.equal(denied.ok, false);
  assert.equal((denied as { retryAfterSeconds: number }).retryAfterSeconds, 10);
  // Another client has its own bucket.
  assert.deepEqual(rl.take('b'), { ok: true });
  now += 10_000;
  assert.deepEqual(rl.take('a'), { ok: true });
  assert.equal(rl.take('a').ok, false);
});

test('tracks at most maxClients buckets (oldest dropped)', () => {
  const rl = new RateLimiter({ perMinute: 1, maxClients: 3, now: () => 0 });
  for (const c of ['a', 'b', 'c', 'd']) rl.take(c);
  assert.equal(rl.size, 3);
  // 'a' was dropped, so it starts with a full bucket again.
  assert.deepEqual(rl.take('a'), { ok: true });
  assert.equal(rl.take('d').ok, false);
});

test('refuses a non-positive rate', () => {
  assert.throws(() => new RateLimiter({ perMinute: 0, maxClients: 1 }), /must be > 0/);
});
