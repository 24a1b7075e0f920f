import assert from 'node:assert/strict';
import { test } from 'node:test';
import { RateLimiter, rateLimitMessage, toolCallCount } from '../../src/server/mcp/rateLimit';

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

test('a cost above one takes that many tokens, all or none', () => {
  const now = 0;
  const rl = new RateLimiter({ perMinute: 4, maxClients: 10, now: () => now });
  assert.deepEqual(rl.take('a', 3), { ok: true });
  const denied = rl.take('a', 2);
  assert.equal(denied.ok, false);
  // One token is left (not taken by the refused batch): a single call still passes.
  assert.deepEqual(rl.take('a', 1), { ok: true });
  // A batch larger than the bucket can never pass.
  assert.equal(new RateLimiter({ perMinute: 4, maxClients: 1, now: () => 0 }).take('b', 5).ok, false);
});

test('only tools/call messages are charged; initialize, notifications and lists are free', () => {
  const msg = (method: string) => ({ jsonrpc: '2.0', id: 1, method });
  assert.equal(toolCallCount(msg('initialize')), 0);
  assert.equal(toolCallCount({ jsonrpc: '2.0', method: 'notifications/initialized' }), 0);
  assert.equal(toolCallCount(msg('tools/list')), 0);
  assert.equal(toolCallCount(msg('tools/call')), 1);
  assert.equal(toolCallCount([msg('tools/call'), msg('tools/list'), msg('tools/call')]), 2);
  assert.equal(toolCallCount(null), 0);
  assert.equal(toolCallCount('tools/call'), 0);
});

test('a client connecting per call (3 requests each) gets perMinute calls, not perMinute/3', () => {
  const rl = new RateLimiter({ perMinute: 40, maxClients: 10, now: () => 0 });
  let calls = 0;
  for (let i = 0; i < 60; i++) {
    // initialize, notifications/initialized, tools/call: what the handler charges for each.
    const charged = [{ method: 'initialize' }, { method: 'notifications/initialized' }, { method: 'tools/call' }].map(toolCallCount);
    if (charged.every((n) => n === 0 || rl.take('c', n).ok)) calls++;
  }
  assert.equal(calls, 40);
});

test('the 429 text says when to retry and which setting raises the limit', () => {
  assert.equal(
    rateLimitMessage(40, 2),
    'Too many tool calls: this client may make 40 per minute. Retry after 2 s, or raise the VS Code setting claudeLedger.mcp.rateLimitPerMinute.',
  );
});
