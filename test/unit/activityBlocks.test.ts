// 5-hour activity blocks against hand-computed windows, and the store's status line snapshots
// (one row per distinct snapshot, repeats only move last_ms; the account from the session; planLimits).
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { computeBlocks, type BlockEntry } from '../../src/core/queries/activityBlocks';
import { DurableStore } from '../../src/core/store/durableStore';
import { records, sqlJs, nowOf } from './storeTestSupport';

const H = 3_600_000;
const M = 60_000;
const T0 = Date.UTC(2026, 10, 21, 9, 0, 0); // 09:00 UTC
const e = (ms: number, costUsd = 1): BlockEntry => ({ timeMs: ms, costUsd, tokens: { input: 10, output: 1, cacheRead: 0, cacheCreation: 0 } });
const utc = (iso: string) => new Date(iso).toISOString();

test('one block: starts at the UTC hour of the first request, lasts 5 h, sums requests and cost', () => {
  const b = computeBlocks([e(T0 + 17 * M, 0.5), e(T0 + 2 * H, 1.5), e(T0 + 4 * H + 59 * M, 2)], T0 + 10 * H);
  assert.equal(b.length, 1);
  assert.equal(utc(b[0].start), '2026-11-21T09:00:00.000Z');
  assert.equal(utc(b[0].end), '2026-11-21T14:00:00.000Z');
  assert.equal(utc(b[0].firstActivity), '2026-11-21T09:17:00.000Z');
  assert.equal(b[0].requests, 3);
  assert.equal(b[0].costUsd, 4);
  assert.deepEqual(b[0].tokens, { input: 30, output: 3, cacheRead: 0, cacheCreation: 0 });
  assert.equal(b[0].active, false, 'finished: now is after its end');
  assert.equal(b[0].projectedCostUsd, null);
  // burn: $4 over 09:17 -> 13:59 (4 h 42 min)
  assert.ok(Math.abs((b[0].burnUsdPerHour ?? 0) - 4 / (4 + 42 / 60)) < 1e-12);
});

test('a request at or after the block end starts the next block at its own hour', () => {
  // 09:17 block ends 14:00; 14:00 exactly is in the next block, which starts at 14:00 and ends 19:00.
  const b = computeBlocks([e(T0 + 17 * M), e(T0 + 5 * H), e(T0 + 5 * H + 30 * M)], T0 + 24 * H);
  assert.deepEqual(b.map((x) => [utc(x.start), utc(x.end), x.requests]), [
    ['2026-11-21T09:00:00.000Z', '2026-11-21T14:00:00.000Z', 1],
    ['2026-11-21T14:00:00.000Z', '2026-11-21T19:00:00.000Z', 2],
  ]);
});

test('a gap over 5 h starts a new block; order of input does not matter', () => {
  const b = computeBlocks([e(T0 + 14 * H + 45 * M), e(T0), e(T0 + 3 * H)], T0 + 24 * H);
  assert.deepEqual(b.map((x) => [utc(x.start), x.requests]), [
    ['2026-11-21T09:00:00.000Z', 2],
    ['2026-11-21T23:00:00.000Z', 1],
  ]);
});

test('a block in progress projects its cost at the current burn rate to the block end', () => {
  // Requests 09:10 ($1) and 10:10 ($2): $3 over one hour = $3/h. Now 11:00: 3 h left -> $3 + $9 = $12.
  const now = T0 + 2 * H;
  const [b] = computeBlocks([e(T0 + 10 * M, 1), e(T0 + H + 10 * M, 2)], now);
  assert.equal(b.active, true);
  assert.equal(b.burnUsdPerHour, 3);
  assert.equal(b.projectedCostUsd, 12);
  // A single instant of activity has no rate: the projection is the cost so far.
  const [single] = computeBlocks([e(T0 + 10 * M, 1)], now);
  assert.equal(single.burnUsdPerHour, null);
  assert.equal(single.projectedCostUsd, 1);
  assert.deepEqual(computeBlocks([], now), []);
});

test('status line snapshots in the store: distinct rows, repeats move last_ms, account from the session, planLimits', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'ccl-limits-'));
  try {
    const recs = records('b-write-edit-bash');
    let now = nowOf(recs) + 60_000;
    const changed: number[] = [];
    const s = DurableStore.open(await sqlJs(), { dataDir: dir, log: () => undefined, now: () => now, onChanged: (v) => changed.push(v) });
    for (const r of recs) s['db'].apply(r);
    const sessionId = s.query('sessions', { range: { key: 'all' } }).sessions[0].sessionId;
    const resets = Math.floor(now / 1000) + 3600;
    const none = s.recordStatusline({ sessionId, model: 'Opus 4.5' });
    assert.equal(none.stored, false, 'no rate_limits: nothing stored');
    assert.ok(none.todayUsd >= 0);
    const before = changed.length;
    assert.equal(s.recordStatusline({ sessionId, fiveHour: { usedPercent: 40, resetsAtSec: resets }, sevenDay: { usedPercent: 10, resetsAtSec: resets + 86400 } }).stored, true);
    assert.equal(changed.length, before + 1, 'a new snapshot bumps the data version');
    now += 30_000;
    s.recordStatusline({ sessionId, fiveHour: { usedPercent: 40, resetsAtSec: resets }, sevenDay: { usedPercent: 10, resetsAtSec: resets + 86400 } });
    assert.equal(changed.length, before + 1, 'a repeat does not');
    now += 30_000;
    s.recordStatusline({ sessionId, fiveHour: { usedPercent: 42, resetsAtSec: resets }, sevenDay: { usedPercent: 10, resetsAtSec: resets + 86400 } });
    const rows = s['db'].sql.all<{ account: string; five_hour_percent: number; first_ms: number; last_ms: number }>('SELECT account, five_hour_percent, first_ms, last_ms FROM rate_limit_snapshots ORDER BY id');
    assert.equal(rows.length, 2);
    assert.equal(rows[0].last_ms - rows[0].first_ms, 30_000);
    const pl = s.query('planLimits', {});
    assert.equal(pl.latest?.fiveHour?.usedPercent, 42);
    assert.equal(Date.parse(pl.latest!.fiveHour!.resetsAt!), resets * 1000);
    assert.equal(pl.latest?.ageMs, 0);
    assert.equal(pl.accounts.length, 1);
    assert.equal(pl.latest?.account, rows[0].account === '' ? null : rows[0].account);
    // Blocks of the stored requests: the fixture's requests are within minutes, one block.
    const blocks = s.query('activityBlocks', { range: { key: 'all' } }).blocks;
    assert.equal(blocks.length, 1);
    assert.equal(blocks[0].requests, s.query('summary', { range: { key: 'all' } }).requests);
    s.close();
    // The snapshot survives a restart (kept by the final snapshot, not the journal).
    const again = DurableStore.open(await sqlJs(), { dataDir: dir, log: () => undefined, now: () => now });
    assert.equal(again.query('planLimits', {}).latest?.fiveHour?.usedPercent, 42);
    again.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('one entry per UTC hour (first, last time, count, sums) gives the same blocks as one entry per request', () => {
  // Deterministic pseudo-random requests: bursts within minutes, gaps across whole hours and over 5 hours.
  let seed = 7;
  const rnd = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648);
  const perRequest: BlockEntry[] = [];
  let t = T0 + 59 * M + 59_000;
  for (let i = 0; i < 3000; i++) {
    const r = rnd();
    t += r < 0.6 ? Math.floor(rnd() * 20_000) : r < 0.9 ? Math.floor(rnd() * 40 * M) : r < 0.97 ? Math.floor(rnd() * 4 * H) : 5 * H + Math.floor(rnd() * 3 * H);
    perRequest.push({ timeMs: t, costUsd: Math.floor(rnd() * 8) / 4, tokens: { input: 1, output: 2, cacheRead: 3, cacheCreation: 4 } });
  }
  const byHour = new Map<number, BlockEntry>();
  for (const e of perRequest) {
    const k = Math.floor(e.timeMs / H);
    const g = byHour.get(k);
    if (!g) byHour.set(k, { ...e, lastMs: e.timeMs, requests: 1, tokens: { ...e.tokens } });
    else {
      g.lastMs = e.timeMs;
      g.requests! += 1;
      g.costUsd += e.costUsd;
      for (const key of ['input', 'output', 'cacheRead', 'cacheCreation'] as const) g.tokens[key] += e.tokens[key];
    }
  }
  assert.ok(byHour.size < perRequest.length / 2, 'the grouping merges requests');
  const now = t + H;
  const a = computeBlocks(perRequest, now);
  assert.ok(a.length > 20, `${a.length} blocks`);
  assert.deepEqual(computeBlocks([...byHour.values()], now), a);
});
