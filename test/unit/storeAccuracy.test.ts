// Accuracy against the fixtures' ground truth (computed by an independent script from the decoded
// payloads): cost to full precision, tokens, requests, sessions, prompts; idempotency; metric
// fallback; cumulative and delta temporality give the same totals.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { MetricPoint, NormRecord } from '../../src/core/otlp/records';
import { runQuery } from '../../src/core/queries/runQuery';
import { LedgerDb } from '../../src/core/store/ledgerDb';
import { groundTruth, nowOf, records, scenarios, sqlJs } from './storeTestSupport';

async function load(batches: NormRecord[][]) {
  const db = LedgerDb.open(await sqlJs());
  for (const b of batches) db.apply(b);
  const now = nowOf(batches);
  const q = <M extends Parameters<typeof runQuery>[1]>(m: M, p: Parameters<typeof runQuery<M>>[2]) =>
    runQuery({ sql: db.sql, nowMs: now, dataVersion: db.dataVersion, lastEventMs: db.lastEventMs }, m, p);
  return { db, q };
}

/** Cost equal to the reference to full double precision (summation order may differ in the last bit). */
function assertCost(actual: number, expected: number, what: string) {
  assert.ok(Math.abs(actual - expected) <= 1e-15 * Math.max(1, Math.abs(expected)) * 8, `${what}: ${actual} != ${expected}`);
  assert.equal(actual.toFixed(6), expected.toFixed(6), `${what} to the micro-dollar`);
}

for (const sc of scenarios()) {
  test(`${sc}: summary equals ground truth`, async () => {
    const gt = groundTruth(sc);
    const { db, q } = await load(records(sc));
    const s = q('summary', { range: { key: 'all' } });
    assertCost(s.costUsd, gt.api_requests.cost_usd, 'cost');
    assert.equal(s.requests, gt.api_requests.count);
    assert.deepEqual(s.tokens, {
      input: gt.api_requests.tokens.input,
      output: gt.api_requests.tokens.output,
      cacheRead: gt.api_requests.tokens.cache_read,
      cacheCreation: gt.api_requests.tokens.cache_creation,
    });
    assert.equal(s.sessions, gt.sessions.count);
    assert.equal(s.prompts, gt.log_events_by_name.user_prompt ?? 0);
    assert.equal(s.costSource, gt.api_requests.count ? 'reported' : 'none');
    assert.equal(s.linesAdded, gt.metrics.lines_of_code.added ?? 0);
    assert.equal(s.linesRemoved, gt.metrics.lines_of_code.removed ?? 0);
    const t = s.tokens;
    assert.equal(s.cacheHitRate, t.cacheRead / (t.input + t.cacheRead + t.cacheCreation || 1));
    // Per session
    const rows = q('sessions', { range: { key: 'all' }, limit: 500 }).sessions;
    assert.equal(rows.length, gt.sessions.count);
    for (const [id, ps] of Object.entries(gt.sessions.per_session)) {
      const r = rows.find((x) => x.sessionId === id);
      assert.ok(r, `session ${id}`);
      assertCost(r.costUsd, ps.cost_usd, `session ${id} cost`);
      assert.equal(r.requests, ps.api_requests);
      assert.equal(r.prompts, ps.user_prompts);
    }
    db.close();
  });
}

test('the same payloads applied twice count once', async () => {
  const batches = records('h-long-session');
  const { db, q } = await load([...batches, ...batches]);
  const gt = groundTruth('h-long-session');
  const s = q('summary', { range: { key: 'all' } });
  assertCost(s.costUsd, gt.api_requests.cost_usd, 'cost');
  assert.equal(s.requests, gt.api_requests.count);
  assert.equal(s.prompts, 4);
  const again = db.apply(batches.flat());
  assert.equal(again.applied, 0);
  assert.equal(again.duplicates, batches.flat().length);
  assert.equal(q('toolStats', { range: { key: 'all' } }).tools.reduce((n, t) => n + t.calls, 0), gt.tool_results.count);
  db.close();
});

test('a session without api_request events takes cost and tokens from its metrics; never both', async () => {
  const gt = groundTruth('h-long-session');
  const metricsOnly = records('h-long-session').map((b) => b.filter((r) => r.kind === 'metric'));
  const m = await load(metricsOnly);
  const s = m.q('summary', { range: { key: 'all' } });
  assertCost(s.costUsd, gt.metrics.cost_usage_usd, 'metric cost');
  assert.equal(s.requests, 0);
  assert.deepEqual(s.tokens, { input: 13055, output: 705, cacheRead: 48160, cacheCreation: 3328 });
  assert.equal(s.sessions, 1);
  // Then the events arrive: the events replace the metric figures instead of adding to them.
  for (const b of records('h-long-session')) m.db.apply(b.filter((r) => r.kind !== 'metric'));
  const s2 = m.q('summary', { range: { key: 'all' } });
  assertCost(s2.costUsd, gt.api_requests.cost_usd, 'event cost after metrics');
  assert.equal(s2.requests, 7);
  assert.equal(m.q('status', {}).todayUsd.toFixed(9), gt.api_requests.cost_usd.toFixed(9));
  assert.equal(m.q('summary', { range: { key: 'all' }, groupBy: 'session' }).groups?.[0].costUsd.toFixed(9), gt.api_requests.cost_usd.toFixed(9));
  m.db.close();
});

/** Re-expresses delta metric points as cumulative: per series a running total with a fixed start. */
function toCumulative(batches: NormRecord[][]): NormRecord[][] {
  const state = new Map<string, { start: string; startMs: number; total: number }>();
  return batches.map((b) =>
    b.map((r) => {
      if (r.kind !== 'metric' || r.temporality !== 1) return r;
      let st = state.get(r.seriesKey);
      if (!st) state.set(r.seriesKey, (st = { start: r.startTimeUnixNano, startMs: r.startMs, total: 0 }));
      st.total += r.value;
      const p: MetricPoint = { ...r, temporality: 2, startTimeUnixNano: st.start, startMs: st.startMs, value: st.total };
      return p;
    }),
  );
}

test('cumulative and delta captures of the same session give the same totals (metrics path)', async () => {
  const delta = records('h-long-session').map((b) => b.filter((r) => r.kind === 'metric'));
  const cumulative = toCumulative(delta);
  assert.ok(cumulative.flat().some((r) => r.kind === 'metric' && r.temporality === 2));
  const a = await load(delta);
  const b = await load(cumulative);
  // Repeat the last cumulative export (a series absent from an export is not a reset; a repeat is not new).
  b.db.apply(cumulative[cumulative.length - 1]);
  const sa = a.q('summary', { range: { key: 'all' } });
  const sb = b.q('summary', { range: { key: 'all' } });
  assert.equal(sb.costUsd.toFixed(12), sa.costUsd.toFixed(12));
  assert.deepEqual(sb.tokens, sa.tokens);
  assert.equal(sb.linesAdded, sa.linesAdded);
  a.db.close();
  b.db.close();
});

test('cumulative reset: a lower value or a new start time starts a new series (delta = value)', async () => {
  const base = records('h-long-session').flat().find((r): r is MetricPoint => r.kind === 'metric' && r.name === 'claude_code.cost.usage')!;
  const pt = (start: string, t: string, value: number): MetricPoint => ({
    ...base, temporality: 2, startTimeUnixNano: start, timeUnixNano: t, timeMs: base.timeMs, value,
  });
  const { db, q } = await load([[pt('100', '200', 1)], [pt('100', '300', 3)], [pt('100', '300', 3)], [pt('100', '400', 2)], [pt('500', '600', 4)], [pt('500', '550', 3.5)]]);
  // 1 + (3-1) + reset 2 + new start 4 + late older point 0 = 9
  assert.equal(q('summary', { range: { key: 'all' } }).costUsd, 9);
  db.close();
});
