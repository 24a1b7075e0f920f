// pricing.overrides reaches the store worker: an api_request without cost_usd (Bedrock, Vertex, Foundry)
// is estimated with the user's price, and marked estimated.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { StoreClient } from '../../src/server/storeClient';

const ROOT = join(__dirname, '..', '..');

function apiRequestWithoutCost(model: string): Buffer {
  const kv = (key: string, value: Record<string, unknown>) => ({ key, value });
  return Buffer.from(JSON.stringify({
    resourceLogs: [{
      resource: { attributes: [kv('service.name', { stringValue: 'claude-code' })] },
      scopeLogs: [{ scope: { name: 'com.anthropic.claude_code.events' }, logRecords: [{
        timeUnixNano: String(BigInt(Date.now()) * 1_000_000n),
        body: { stringValue: 'claude_code.api_request' },
        attributes: [
          kv('event.name', { stringValue: 'api_request' }), kv('event.sequence', { intValue: 1 }),
          kv('session.id', { stringValue: 'bedrock-session' }), kv('request_id', { stringValue: 'req_bedrock_1' }),
          kv('model', { stringValue: model }),
          kv('input_tokens', { intValue: 1_000_000 }), kv('output_tokens', { intValue: 100_000 }),
          kv('cache_read_tokens', { intValue: 0 }), kv('cache_creation_tokens', { intValue: 0 }),
        ],
      }] }],
    }],
  }));
}

for (const [label, overrides, expected] of [
  ['bundled price table', undefined, 3 + 0.1 * 15],
  ['user override', { 'claude-sonnet-4-5': { family: 'claude-sonnet-4-5', input: 1, output: 2, cacheWrite5m: 1.25, cacheWrite1h: 2, cacheRead: 0.1 } }, 1 + 0.1 * 2],
] as const) {
  test(`estimate without cost_usd uses the ${label}`, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ledger-pricing-'));
    const store = await StoreClient.open({ dataDir: dir, workerPath: join(ROOT, 'dist', 'dbWorker.js'), priceOverrides: overrides });
    try {
      const r = await store.ingest('logs', 'json', apiRequestWithoutCost('us.anthropic.claude-sonnet-4-5-20250929-v1:0'));
      assert.equal(r.accepted, 1);
      const s = await store.query('summary', { range: { key: 'all' } });
      assert.equal(s.costSource, 'estimated');
      assert.ok(Math.abs(s.costUsd - expected) < 1e-9, `cost ${s.costUsd}, expected ${expected}`);
    } finally {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
}
