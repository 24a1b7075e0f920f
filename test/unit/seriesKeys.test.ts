// Metric series keys are stored (metric_series.key) and cumulative deltas are computed per series, so
// the key of a series must never change between versions: a new key for the same series would start
// it again and count its running total twice. normalize.ts memoizes keys attribute by attribute; these
// keys were computed by the code before that memo (sha1 of the sorted attribute JSON) and are pinned.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { decodeAndNormalize } from '../../src/core/otlp/ingest';
import { DEFAULT_INGEST_OPTIONS, type MetricPoint } from '../../src/core/otlp/records';
import { FIXTURES } from './storeTestSupport';

const keysOf = (encoding: 'json' | 'protobuf', body: Uint8Array) =>
  decodeAndNormalize('metrics', encoding, body, DEFAULT_INGEST_OPTIONS).records.map((r) => (r as MetricPoint).seriesKey);

test('series keys of a real Claude Code export are the pinned ones, on first sight and from the memo', () => {
  const body = readFileSync(path.join(FIXTURES, 'b-write-edit-bash/metrics-001.bin'));
  const pinned = ['P_a56y7Zld_df3HsOS73jfWwtcs', '-uJ0weTfMd2qp9nv3IoFLnTi8H4', 'yYHlOYSf0ohovzuP3hJfV3K1Y5Y', 'I0sajTrE3T-rCaDHXrpFZBOrZx8',
    'l7UU9ayjo-sBvPIez6ZpX9MuzAc', 'FRbw-B-em7BKg5msrvb_jSKUOqU', 'a4ks6hwwfm5nxeLYVU5PNeKRaSA', 'tnit6psQYEjd4w6e-omfb0Hj03M',
    'WpTKvP6CjhUXrSbFnSPOSR0NVuQ', '2R3cqK0ejbdGf-F00gLw-ogxjUk', 'T-98Z_o3N5z-j_MU8eQucEX_TwA'];
  assert.deepEqual(keysOf('protobuf', body), pinned);
  assert.deepEqual(keysOf('protobuf', body), pinned);
});

test('series keys: attribute order does not matter, value types do, nested values are keyed too', () => {
  const body = (attrs: unknown[]) => Buffer.from(JSON.stringify({ resourceMetrics: [{
    resource: { attributes: [{ key: 'service.name', value: { stringValue: 'claude-code' } }] },
    scopeMetrics: [{ scope: { name: 'com.anthropic.claude_code' }, metrics: [{ name: 'm', sum: { aggregationTemporality: 1,
      dataPoints: [{ attributes: attrs, timeUnixNano: '1700000000000000000', asDouble: 1 }] } }] }] }] }));
  const key = (attrs: unknown[]) => keysOf('json', body(attrs))[0];
  const a = { key: 'a', value: { stringValue: 'x' } };
  const b1 = { key: 'b', value: { intValue: '1' } };
  const bs = { key: 'b', value: { stringValue: '1' } };
  const nested = { key: 'a', value: { arrayValue: { values: [{ stringValue: 'x' }] } } };
  // Attribute texts past the memo's bound are hashed every time, to the same keys.
  const long = { key: 'long', value: { stringValue: 'y'.repeat(3_000) } };
  assert.equal(key([long, a]), key([a, long]));
  assert.equal(key([long, a]), key([long, a]));
  assert.notEqual(key([long, a]), key([a]));
  for (let round = 0; round < 2; round++) {
    assert.equal(key([a, b1]), 'vUnalAoyjEX_mzHPdOBdFrG6Uhw');
    assert.equal(key([b1, a]), 'vUnalAoyjEX_mzHPdOBdFrG6Uhw');
    assert.equal(key([a, bs]), 'lCtmKbrdaazT7JCcHYKLIHPnhRg');
    assert.equal(key([nested]), 'Gs3rwgoCFiTSpYL8s_PJ9pcBB_8');
    // A prefix of another point's attributes is its own series.
    assert.notEqual(key([a]), key([a, b1]));
  }
});
