// Price table lookup, estimates, and the unknown-model flag (never priced at $0 silently).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ApiRequestEvent } from '../../src/core/otlp/records';
import { cacheSavingsUsd, estimateCost } from '../../src/core/pricing/estimate';
import { PRICES, priceFor } from '../../src/core/pricing/priceTable';
import { runQuery } from '../../src/core/queries/runQuery';
import { LedgerDb } from '../../src/core/store/ledgerDb';
import { groundTruth, records, sqlJs } from './storeTestSupport';

test('model ids map to their family price (dates, suffixes, cloud prefixes)', () => {
  assert.equal(priceFor('claude-opus-4-8'), PRICES.opus45plus);
  assert.equal(priceFor('claude-opus-4-8[1m]'), PRICES.opus45plus);
  assert.equal(priceFor('claude-opus-5-5'), PRICES.opus45plus);
  assert.equal(priceFor('claude-opus-4-1-20250805'), PRICES.opus4);
  assert.equal(priceFor('claude-opus-4-20250514'), PRICES.opus4);
  assert.equal(priceFor('claude-sonnet-4-5-20250929'), PRICES.sonnet4);
  assert.equal(priceFor('us.anthropic.claude-sonnet-4-5-20250929-v1:0'), PRICES.sonnet4);
  assert.equal(priceFor('claude-sonnet-4-5@20250929'), PRICES.sonnet4);
  assert.equal(priceFor('claude-haiku-4-5-20251001'), PRICES.haiku45);
  assert.equal(priceFor('claude-3-5-haiku-20241022'), PRICES.haiku35);
  assert.equal(priceFor('claude-sonnet-5'), PRICES.sonnet5);
  assert.equal(priceFor('claude-fable-5'), PRICES.fable5);
  assert.equal(priceFor('claude-unknown-9'), undefined);
  assert.equal(priceFor('gpt-4o'), undefined);
});

test("the estimate reproduces Claude Code's own cost for the fixtures (opus 4.8, 5-minute cache writes)", () => {
  for (const sc of ['a-plain-text', 'h-long-session', 'b-write-edit-bash']) {
    const t = groundTruth(sc).api_requests.tokens;
    const e = estimateCost('claude-opus-4-8', { input: t.input, output: t.output, cacheRead: t.cache_read, cacheCreation: t.cache_creation });
    assert.equal(e.costUsd!.toFixed(9), groundTruth(sc).api_requests.cost_usd.toFixed(9), sc);
  }
  // 1 h cache writes cost 2x input
  assert.equal(estimateCost('claude-haiku-4-5', { input: 0, output: 0, cacheRead: 0, cacheCreation: 1e6, cacheCreation1h: 1e6, cacheCreation5m: 0 }).costUsd, 2);
  assert.equal(cacheSavingsUsd('claude-opus-4-8', 1e6), 4.5);
  assert.equal(cacheSavingsUsd('claude-unknown-9', 1e6), 0);
});

test('requests without cost_usd are estimated and flagged; an unknown model is listed as unpriced', async () => {
  const base = records('a-plain-text').flat().find((r): r is ApiRequestEvent => r.kind === 'apiRequest')!;
  const known: ApiRequestEvent = { ...base, requestId: 'req_est_1', costUsd: undefined, model: 'claude-haiku-4-5-20251001', modelNorm: 'claude-haiku-4-5-20251001' };
  const unknown: ApiRequestEvent = { ...base, requestId: 'req_est_2', costUsd: undefined, model: 'claude-unknown-9', modelNorm: 'claude-unknown-9' };
  const db = LedgerDb.open(await sqlJs());
  db.apply([known, unknown]);
  const ctx = { sql: db.sql, nowMs: base.timeMs + 1000, dataVersion: db.dataVersion, lastEventMs: db.lastEventMs };
  const s = runQuery(ctx, 'summary', { range: { key: 'all' } });
  const expected = (1000 * 1 + 40 * 5 + 2048 * 1.25) / 1e6;
  assert.equal(s.costUsd.toFixed(12), expected.toFixed(12));
  assert.equal(s.costSource, 'estimated');
  assert.deepEqual(s.unpricedModels, ['claude-unknown-9']);
  assert.equal(s.byModel.find((m) => m.model === 'claude-unknown-9')?.unpriced, true);
  assert.equal(s.requests, 2);
  assert.equal(runQuery(ctx, 'status', {}).estimatedToday, true);
  // Mixed with a reported request
  db.apply([{ ...base, requestId: 'req_rep' }]);
  assert.equal(runQuery(ctx, 'summary', { range: { key: 'all' } }).costSource, 'mixed');
  db.close();
});
