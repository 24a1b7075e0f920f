// Pricing of transcript requests: the bundled table with Claude Code's rules must give Claude Code's own
// cost_usd (from the OTLP api_request of the same request id, same run), and prices learned from those
// OTLP observations must reprice every request.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ApiRequestEvent } from '../../src/core/otlp/records';
import { COMPONENTS, countsOf, learnedKeyOf, PriceLearner, type ComponentCounts } from '../../src/core/pricing/learned';
import { priceTranscriptRequest, type PricingUsage } from '../../src/core/pricing/priceRequest';
import { mergeUsage } from '../../src/core/transcripts/parse';
import type { TranscriptRequest } from '../../src/core/transcripts/transcriptRecords';
import { otlpRecords, parseFile, scenarios, transcriptFiles } from './transcriptFixtures';

const apiRequests = (scenario: string) => otlpRecords(scenario).filter((r): r is ApiRequestEvent => r.kind === 'apiRequest');
const otlpCounts = (r: ApiRequestEvent) =>
  countsOf({ input: r.inputTokens, output: r.outputTokens, cacheRead: r.cacheReadTokens, cacheCreation: r.cacheCreationTokens, cacheCreation5m: r.cacheCreation5mTokens, cacheCreation1h: r.cacheCreation1hTokens });

function mergedRequests(scenario: string): TranscriptRequest[] {
  const m = new Map<string, TranscriptRequest>();
  for (const f of transcriptFiles(scenario)) {
    for (const r of parseFile(f).items) {
      if (r.kind !== 'request') continue;
      const prev = m.get(r.requestId!);
      m.set(r.requestId!, prev ? { ...prev, usage: mergeUsage(prev.usage, r.usage) } : r);
    }
  }
  return [...m.values()];
}

for (const scenario of scenarios) {
  test(`${scenario}: the bundled table prices every transcript request at Claude Code's cost_usd`, () => {
    const otlp = new Map(apiRequests(scenario).map((r) => [r.requestId!, r]));
    const reqs = mergedRequests(scenario);
    assert.ok(reqs.length > 0);
    for (const r of reqs) {
      const o = otlp.get(r.requestId!)!;
      assert.ok(o.costUsd !== undefined);
      const p = priceTranscriptRequest(r.modelNorm, r.usage, { speed: r.speed, inferenceGeo: r.inferenceGeo });
      assert.equal(p.priceSource, 'table');
      assert.equal(p.note, undefined);
      assert.ok(Math.abs(p.costUsd! - o.costUsd) < 1e-12, `${r.requestId}: ${p.costUsd} vs ${o.costUsd}`);
    }
  });
}

test("h-long-session: prices learned from the OTLP observations are claude-opus-4-8's and reprice every request", () => {
  const obs = apiRequests('h-long-session');
  const learner = new PriceLearner();
  const keyOf = (modelNorm: string, c: ComponentCounts, speed?: string, geo?: string) => learnedKeyOf(modelNorm, c, speed, geo);
  let changed = 0;
  for (const o of obs) if (learner.observe(keyOf(o.modelNorm, otlpCounts(o), o.speed), otlpCounts(o), o.costUsd!)) changed++;
  assert.ok(changed >= 1);
  const reqs = mergedRequests('h-long-session');
  const key = keyOf(reqs[0].modelNorm, countsOf(reqs[0].usage), reqs[0].speed, reqs[0].inferenceGeo);
  const learned = learner.pricesFor(key);
  assert.ok(learned, `learned prices for ${key}`);
  assert.deepEqual(learned.perMTok, { input: 5, output: 25, cacheRead: 0.5, cacheWrite5m: 6.25 });
  assert.deepEqual(learned.determined, ['input', 'output', 'cacheRead', 'cacheWrite5m']);
  assert.equal(learned.observations, obs.length);
  const otlp = new Map(obs.map((r) => [r.requestId!, r]));
  for (const r of reqs) {
    const l = learner.pricesFor(keyOf(r.modelNorm, countsOf(r.usage), r.speed, r.inferenceGeo));
    const p = priceTranscriptRequest(r.modelNorm, r.usage, { speed: r.speed, inferenceGeo: r.inferenceGeo, learned: l });
    assert.equal(p.priceSource, 'learned');
    const want = otlp.get(r.requestId!)!.costUsd!;
    assert.ok(Math.abs(p.costUsd! - want) <= 1e-9 * want, `${r.requestId}: ${p.costUsd} vs ${want}`);
  }
  // The state survives JSON (the store keeps it in a table).
  const restored = PriceLearner.fromJSON(JSON.parse(JSON.stringify(learner.toJSON())));
  assert.deepEqual(restored.pricesFor(key), learned);
  assert.deepEqual(restored.entries().map((e) => e.key), [key]);
});

test('one observation determines nothing: the table is used', () => {
  const o = apiRequests('h-long-session')[0];
  const learner = new PriceLearner();
  const key = learnedKeyOf(o.modelNorm, otlpCounts(o), o.speed);
  learner.observe(key, otlpCounts(o), o.costUsd!);
  assert.equal(learner.pricesFor(key), undefined);
  const r = mergedRequests('h-long-session')[0];
  const p = priceTranscriptRequest(r.modelNorm, r.usage, { speed: r.speed, learned: learner.pricesFor(key) });
  assert.equal(p.priceSource, 'table');
});

const u = (o: Partial<PricingUsage>): PricingUsage => ({ input: 0, output: 0, cacheRead: 0, cacheCreation: 0, ...o });

test('a model unknown to the table is priced from learned prices only; unknown to both -> none, never $0', () => {
  const model = 'claude-opus-9-9'; // not in the table
  assert.deepEqual(priceTranscriptRequest(model, u({ input: 100, output: 10 })), {
    costUsd: undefined,
    priceSource: 'none',
    note: 'claude-opus-9-9 is in neither the learned prices nor the price table',
  });
  // Claude Code priced it at 7 in / 35 out / 0.7 read / 8.75 write5m / 14 write1h.
  const price = { input: 7, output: 35, cacheRead: 0.7, cacheWrite5m: 8.75, cacheWrite1h: 14, webSearch: 0 };
  const cost = (c: ComponentCounts) => COMPONENTS.reduce((s, k) => s + (c[k] * price[k]) / 1e6, 0);
  const learner = new PriceLearner();
  const obs = [u({ input: 1200, output: 80 }), u({ input: 3, output: 900 })];
  for (const t of obs) learner.observe(learnedKeyOf(model, countsOf(t)), countsOf(t), cost(countsOf(t)));
  const l = learner.pricesFor(learnedKeyOf(model, countsOf(obs[0])))!;
  assert.deepEqual(l.perMTok, { input: 7, output: 35 });
  // A request using only determined components: learned. One that also reads the cache: not covered.
  const ok = priceTranscriptRequest(model, u({ input: 5000, output: 5 }), { learned: l });
  assert.equal(ok.priceSource, 'learned');
  assert.ok(Math.abs(ok.costUsd! - cost(countsOf(u({ input: 5000, output: 5 })))) < 1e-15);
  const partial = priceTranscriptRequest(model, u({ input: 5000, output: 5, cacheRead: 10 }), { learned: l });
  assert.deepEqual([partial.costUsd, partial.priceSource], [undefined, 'none']);
  assert.match(partial.note!, /do not determine cacheRead/);
  // With an override for the model, the override prices it.
  const overrides = { 'opus-9-9': { family: 'mine', input: 7, cacheWrite5m: 8.75, cacheWrite1h: 14, cacheRead: 0.7, output: 35 } };
  const ov = priceTranscriptRequest(model, u({ input: 5000, output: 5, cacheRead: 10 }), { learned: l, overrides });
  assert.equal(ov.priceSource, 'override');
  assert.ok(Math.abs(ov.costUsd! - (5000 * 7 + 5 * 35 + 10 * 0.7) / 1e6) < 1e-15);
});

test('learner: proportional observations do not determine; a changed price restarts the key; bad input ignored; JSON tolerant', () => {
  const learner = new PriceLearner();
  const key = 'm|normal|std|';
  const c = (input: number, output: number): ComponentCounts => countsOf(u({ input, output }));
  learner.observe(key, c(100, 10), (100 * 3 + 10 * 15) / 1e6);
  learner.observe(key, c(200, 20), (200 * 3 + 20 * 15) / 1e6); // dependent: verifies only
  assert.equal(learner.pricesFor(key), undefined);
  assert.equal(learner.observe(key, c(100, 50), (100 * 3 + 50 * 15) / 1e6), true);
  assert.deepEqual(learner.pricesFor(key)!.perMTok, { input: 3, output: 15 });
  assert.equal(learner.observe(key, c(300, 30), (300 * 3 + 30 * 15) / 1e6), false, 'consistent: no change');
  // Prices change (e.g. a price cut): the contradicting observation restarts the key.
  assert.equal(learner.observe(key, c(100, 10), (100 * 2 + 10 * 10) / 1e6), true);
  assert.equal(learner.pricesFor(key), undefined);
  learner.observe(key, c(50, 40), (50 * 2 + 40 * 10) / 1e6);
  assert.deepEqual(learner.pricesFor(key)!.perMTok, { input: 2, output: 10 });
  assert.equal(learner.toJSON().keys[key].conflicts, 1);
  // Ignored.
  for (const cost of [NaN, -1, Infinity]) assert.equal(learner.observe(key, c(1, 1), cost), false);
  assert.equal(learner.observe(key, c(0, 0), 0.5), false);
  assert.equal(learner.observe(key, { ...c(1, 1), input: -3 }, 1), false);
  // Bounded state.
  for (let i = 0; i < 100; i++) learner.observe(key, c(10 + i, 1 + i), ((10 + i) * 2 + (1 + i) * 10) / 1e6);
  const st = learner.toJSON().keys[key];
  assert.ok(st.basis.length <= COMPONENTS.length && st.extras.length <= 10);
  assert.deepEqual(learner.pricesFor(key)!.perMTok, { input: 2, output: 10 });
  // Garbage state: an empty learner or the good keys only.
  for (const bad of [null, 42, { version: 2 }, { version: 1, keys: 'x' }]) assert.deepEqual(PriceLearner.fromJSON(bad).entries(), []);
  const mixed = PriceLearner.fromJSON({ version: 1, keys: { [key]: st, broken: { basis: [[[1, 2], 3]], extras: [] } } });
  assert.deepEqual(mixed.entries().map((e) => e.key), [key]);
});

test('learner: all six components including 1-hour writes and web search', () => {
  const price = { input: 3, output: 15, cacheRead: 0.3, cacheWrite5m: 3.75, cacheWrite1h: 6, webSearch: 10_000 };
  const learner = new PriceLearner();
  const key = 'claude-sonnet-4-6|normal|std|';
  let seed = 7;
  const rnd = (n: number) => {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    return Math.floor(seed / 65536) % n; // high bits: an LCG's low bits have short periods
  };
  const rows: ComponentCounts[] = [];
  for (let i = 0; i < 12; i++) rows.push({ input: rnd(5000), output: rnd(2000), cacheRead: rnd(90_000), cacheWrite5m: rnd(9000), cacheWrite1h: rnd(9000), webSearch: rnd(4) });
  const cost = (c: ComponentCounts) => COMPONENTS.reduce((s, k) => s + (c[k] * price[k]) / 1e6, 0);
  for (const r of rows) learner.observe(key, r, cost(r));
  const l = learner.pricesFor(key)!;
  assert.deepEqual(l.perMTok, price);
  const p = priceTranscriptRequest('claude-sonnet-4-6', { input: 10, output: 10, cacheRead: 10, cacheCreation: 30, cacheCreation5m: 10, cacheCreation1h: 10, webSearchRequests: 2 }, { learned: l });
  assert.equal(p.priceSource, 'learned');
  // Uncovered 10 tokens of cacheCreation go to the 5-minute rate.
  assert.ok(Math.abs(p.costUsd! - (10 * 3 + 10 * 15 + 10 * 0.3 + 20 * 3.75 + 10 * 6) / 1e6 - 0.02) < 1e-15);
});

test("table rules: 1-hour writes, uncovered writes at 5 min, long context, fast, US geo, web search", () => {
  const close = (a: number | undefined, b: number) => assert.ok(a !== undefined && Math.abs(a - b) < 1e-15, `${a} vs ${b}`);
  // Opus 4.8: 5 / 25 / 0.5 / 6.25 / 10.
  close(priceTranscriptRequest('claude-opus-4-8', u({ cacheCreation: 3000, cacheCreation5m: 1000, cacheCreation1h: 1500 })).costUsd, (1500 * 6.25 + 1500 * 10) / 1e6);
  close(priceTranscriptRequest('claude-opus-4-8', u({ input: 1000, output: 100 }), { speed: 'fast' }).costUsd, (1000 * 10 + 100 * 50) / 1e6);
  close(priceTranscriptRequest('claude-opus-4-8', u({ input: 1000, output: 100 }), { inferenceGeo: 'us' }).costUsd, ((1000 * 5 + 100 * 25) * 1.1) / 1e6);
  close(priceTranscriptRequest('claude-opus-4-8', u({ input: 1000, webSearchRequests: 3 })).costUsd, (1000 * 5) / 1e6 + 0.03);
  // Sonnet 4.5 over 200k input-side tokens: $6 / $22.50 (and 2x cache); at 200k exactly: standard.
  close(priceTranscriptRequest('claude-sonnet-4-5-20250929', u({ input: 150_000, cacheRead: 50_001, output: 1000 })).costUsd, (150_000 * 6 + 50_001 * 0.6 + 1000 * 22.5) / 1e6);
  close(priceTranscriptRequest('claude-sonnet-4-5-20250929', u({ input: 150_000, cacheRead: 50_000, output: 1000 })).costUsd, (150_000 * 3 + 50_000 * 0.3 + 1000 * 15) / 1e6);
  close(priceTranscriptRequest('claude-sonnet-4-20250514', u({ input: 300_000 })).costUsd, (300_000 * 6) / 1e6);
  // Sonnet 4.6: 1M context at standard rates.
  close(priceTranscriptRequest('claude-sonnet-4-6', u({ input: 300_000 })).costUsd, (300_000 * 3) / 1e6);
  // Fast mode on a model with no known fast price: none, not an understated figure.
  const f = priceTranscriptRequest('claude-haiku-4-5-20251001', u({ input: 10 }), { speed: 'fast' });
  assert.deepEqual([f.costUsd, f.priceSource], [undefined, 'none']);
  // Unknown geo: priced as global, with a note.
  const g = priceTranscriptRequest('claude-opus-4-8', u({ input: 10 }), { inferenceGeo: 'mars' });
  assert.equal(g.priceSource, 'table');
  assert.match(g.note!, /mars/);
});
