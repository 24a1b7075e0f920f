// The one-pass protobuf reader (protobufRead.ts) against the checked decode it replaced on the ingest
// path: decodeRequest (wire type walk + protobufjs' full decode), normalized by the same normalize.ts.
// decodeRequest is unchanged and normalize reads its KeyValue lists as before, so the reference is the
// old behaviour. Records must be identical (deepStrictEqual: a field the reader forgets to read shows as
// a missing or default value), and a body refused by one must be refused by the other.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import * as protobuf from 'protobufjs';
import { decodeRequest, MAX_NESTING, OtlpDecodeError } from '../../src/core/otlp/decode';
import { normalize } from '../../src/core/otlp/normalize';
import { otlpTypes } from '../../src/core/otlp/otlpSchema';
import { attributeRunMemo, readProtobufRequest } from '../../src/core/otlp/protobufRead';
import { DEFAULT_INGEST_OPTIONS, type NormalizedBatch, type Signal } from '../../src/core/otlp/records';

const FIXTURES = join(__dirname, '..', 'fixtures', 'claude-code-otlp');

const viaReference = (signal: Signal, body: Uint8Array) => normalize(signal, decodeRequest(signal, 'protobuf', body), DEFAULT_INGEST_OPTIONS);
const viaReader = (signal: Signal, body: Uint8Array) => normalize(signal, readProtobufRequest(signal, body), DEFAULT_INGEST_OPTIONS);

type Outcome = { batch: NormalizedBatch } | { error: string };
function outcome(f: () => NormalizedBatch): Outcome {
  try {
    return { batch: f() };
  } catch (err) {
    if (!(err instanceof OtlpDecodeError)) throw err; // anything else is a bug, not a refusal
    return { error: err.message };
  }
}

/** Same records, or both refused (messages compared when `sameMessage`). */
function assertSame(signal: Signal, body: Uint8Array, what: string, sameMessage = false): Outcome {
  const ref = outcome(() => viaReference(signal, body));
  const got = outcome(() => viaReader(signal, body));
  if ('batch' in ref) {
    assert.ok('batch' in got, `${what}: the reader refused a body the checked decode accepts: ${'error' in got ? got.error : ''}`);
    assert.deepStrictEqual(got.batch, ref.batch, what);
  } else {
    assert.ok('error' in got, `${what}: the reader accepted a body the checked decode refuses (${ref.error})`);
    if (sameMessage) assert.equal(got.error, ref.error, what);
  }
  return ref;
}

function fixtureBodies(): { name: string; signal: Signal; body: Buffer }[] {
  const out: { name: string; signal: Signal; body: Buffer }[] = [];
  for (const scenario of readdirSync(FIXTURES).filter((d) => !d.endsWith('.md'))) {
    for (const line of readFileSync(join(FIXTURES, scenario, 'index.jsonl'), 'utf8').trim().split('\n')) {
      const e = JSON.parse(line) as { file: string; signal: Signal; content_encoding: string | null };
      if (e.file.endsWith('.json')) continue;
      let body: Buffer = readFileSync(join(FIXTURES, scenario, e.file));
      if (e.content_encoding === 'gzip') body = gunzipSync(body);
      out.push({ name: `${scenario}/${e.file}`, signal: e.signal, body });
    }
  }
  return out;
}

const typeOf = (signal: Signal) => {
  const t = otlpTypes();
  return signal === 'logs' ? t.logsRequest : signal === 'metrics' ? t.metricsRequest : t.traceRequest;
};
const encode = (signal: Signal, obj: object) => typeOf(signal).encode(typeOf(signal).fromObject(obj)).finish();

test('every protobuf fixture: the same records as the checked decode, every signal present', () => {
  const bodies = fixtureBodies();
  const seen = new Set<Signal>();
  let records = 0;
  for (const { name, signal, body } of bodies) {
    const ref = assertSame(signal, body, name);
    assert.ok('batch' in ref, `${name} decodes`);
    records += ref.batch.records.length;
    seen.add(signal);
  }
  assert.deepEqual([...seen].sort(), ['logs', 'metrics', 'traces']);
  for (const { name, signal, body } of bodies) {
    // As the store's worker hands them over: a plain Uint8Array over a larger buffer.
    const padded = new Uint8Array(body.length + 16);
    padded.set(body, 8);
    assertSame(signal, padded.subarray(8, 8 + body.length), `${name} as a Uint8Array view`);
  }
  assert.ok(records > 200, `${records} records compared`);
});

const ANY_VALUES: object[] = [
  { stringValue: 'text' }, { stringValue: '' }, { boolValue: true }, { boolValue: false },
  { intValue: 0 }, { intValue: 42 }, { intValue: -7 }, { intValue: '9007199254740993' }, { intValue: '-9223372036854775808' },
  { doubleValue: 1.5 }, { doubleValue: 0 }, { doubleValue: -0 }, { doubleValue: 1e308 },
  { bytesValue: Buffer.from([0, 1, 255]) }, { bytesValue: Buffer.alloc(0) }, {},
  { arrayValue: { values: [{ stringValue: 'a' }, { intValue: 1 }, { arrayValue: { values: [{ boolValue: true }] } }, {}] } },
  { arrayValue: {} },
  { kvlistValue: { values: [{ key: 'k', value: { doubleValue: 2 } }, { key: 'n', value: { kvlistValue: { values: [{ key: 'x' }] } } }, { value: { stringValue: 'no key' } }] } },
  { stringValue: 'both', intValue: 5 }, { intValue: 5, doubleValue: 6 },
];

const attrsOfEvery = (prefix: string) => [
  ...ANY_VALUES.map((value, i) => ({ key: `${prefix}${i}`, value })),
  { key: `${prefix}no-value` }, { value: { stringValue: 'empty key' } }, { key: `${prefix}dup`, value: { stringValue: 'first' } },
  { key: '__proto__', value: { stringValue: 'proto' } }, { key: '7', value: { intValue: 7 } }, { key: `${prefix}dup`, value: { stringValue: 'second' } },
];

const RESOURCE = { attributes: [{ key: 'service.name', value: { stringValue: 'claude-code' } }, { key: 'session.id', value: { stringValue: 'res-session' } }, ...attrsOfEvery('r.')] };
const SCOPE = { name: 'com.anthropic.claude_code', version: '1', attributes: [{ key: 'scope.attr', value: { stringValue: 'x' } }] };
const OTHER_SCOPE = { name: 'other' };
const T = '1795290388327000123';

test('generated logs: every AnyValue kind, defaults, duplicates, missing fields, times, ids, both kinds of service', () => {
  const logRecords = [
    { timeUnixNano: T, body: { stringValue: 'claude_code.api_request' }, attributes: [{ key: 'event.name', value: { stringValue: 'api_request' } }, { key: 'cost_usd', value: { doubleValue: 0.25 } }, { key: 'input_tokens', value: { intValue: 12 } }, ...attrsOfEvery('a.')], traceId: Buffer.alloc(16, 1), spanId: Buffer.alloc(8, 2) },
    { observedTimeUnixNano: T, eventName: 'claude_code.tool_result', attributes: [{ key: 'tool_name', value: { stringValue: 'Bash' } }, { key: 'success', value: { stringValue: 'true' } }] },
    { timeUnixNano: '18446744073709551615', body: { kvlistValue: { values: [{ key: 'b', value: { stringValue: 'c' } }] } }, severityNumber: 9, severityText: 'INFO', flags: 1, droppedAttributesCount: 3 },
    { attributes: [{ key: 'event.timestamp', value: { stringValue: '2026-01-02T03:04:05.678Z' } }], body: {} },
    { timeUnixNano: T, body: { stringValue: 'plain body' }, eventName: 'my.event' },
    {},
  ];
  const body = encode('logs', {
    resourceLogs: [
      { resource: RESOURCE, scopeLogs: [{ scope: SCOPE, logRecords, schemaUrl: 'u' }, { scope: OTHER_SCOPE, logRecords }, { logRecords }] },
      { scopeLogs: [{ scope: SCOPE, logRecords }] },
      {},
    ],
  });
  const ref = assertSame('logs', body, 'generated logs');
  assert.ok('batch' in ref && ref.batch.records.length >= 12 && ref.batch.rejected > 0, 'records kept and refused');
});

test('generated metrics: every kind, ints beyond 2^53, doubles, counts, missing times, exemplars skipped', () => {
  const point = (extra: object) => ({ startTimeUnixNano: T, timeUnixNano: T, attributes: [{ key: 'model', value: { stringValue: 'claude-x[1m]' } }, ...attrsOfEvery('p.')], ...extra });
  const exemplars = [{ timeUnixNano: T, asDouble: 1, filteredAttributes: [{ key: 'e', value: { stringValue: 'f' } }], spanId: Buffer.alloc(8, 1) }];
  const metrics = [
    { name: 'claude_code.token.usage', unit: 'tokens', description: 'd', sum: { aggregationTemporality: 2, isMonotonic: true, dataPoints: [point({ asInt: '12' }), point({ asDouble: 0 }), point({ asInt: '9007199254740993' }), point({ exemplars })] } },
    { name: 'other.gauge', gauge: { dataPoints: [point({ asDouble: -1.5 }), point({ asInt: '-5', timeUnixNano: '0' }), { timeUnixNano: T, asDouble: 3 }] } },
    { name: 'other.histogram', histogram: { aggregationTemporality: 1, dataPoints: [point({ count: '3', sum: 4.5, bucketCounts: ['1', '2'], explicitBounds: [1], min: 0, max: 3 }), point({ count: '0' })] } },
    { name: 'other.exp', exponentialHistogram: { aggregationTemporality: 2, dataPoints: [point({ count: '2', sum: 0, scale: 3, zeroCount: '1', positive: { offset: -1, bucketCounts: ['1'] } })] } },
    { name: 'other.summary', summary: { dataPoints: [point({ count: '9007199254740993', sum: 1, quantileValues: [{ quantile: 0.5, value: 1 }] })] } },
    { name: '', sum: { dataPoints: [point({ asInt: '1' })] } },
    { name: 'no.data' },
    { name: 'claude_code.cost.usage', sum: { dataPoints: [point({ asDouble: -1 })] } },
  ];
  const body = encode('metrics', { resourceMetrics: [{ resource: RESOURCE, scopeMetrics: [{ scope: SCOPE, metrics }, { scope: OTHER_SCOPE, metrics }] }, {}] });
  for (let round = 0; round < 2; round++) {
    // The second round hits the series memo keyed by attribute bytes.
    const ref = assertSame('metrics', body, `generated metrics, round ${round}`);
    assert.ok('batch' in ref && ref.batch.records.length >= 10 && ref.batch.rejected > 0, JSON.stringify('batch' in ref && [ref.batch.records.length, ref.batch.rejected]));
  }
});

test('generated traces: events, status, links skipped, parent ids, zero and missing ends', () => {
  const spans = [
    { traceId: Buffer.alloc(16, 0xab), spanId: Buffer.alloc(8, 0xcd), parentSpanId: Buffer.alloc(8, 0xef), name: 'claude_code.llm_request', kind: 3, startTimeUnixNano: T, endTimeUnixNano: '1795290388427000123',
      attributes: [{ key: 'input_tokens', value: { intValue: 5 } }, { key: 'tool_name', value: { stringValue: 'Bash' } }, { key: 'full_command', value: { stringValue: 'ls -la' } }, ...attrsOfEvery('s.')],
      events: [{ timeUnixNano: T, name: 'ev', attributes: [{ key: 'x', value: { boolValue: true } }] }, {}], status: { code: 2, message: 'boom' },
      links: [{ traceId: Buffer.alloc(16, 1), spanId: Buffer.alloc(8, 1), attributes: [{ key: 'l', value: { stringValue: 'm' } }] }], traceState: 'ts', flags: 1 },
    { traceId: Buffer.alloc(16, 0xab), spanId: Buffer.alloc(8, 0x01), name: 'no end', startTimeUnixNano: T, status: {} },
    { traceId: Buffer.alloc(16, 0), spanId: Buffer.alloc(8, 1), name: 'bad trace id' },
    { traceId: Buffer.alloc(16, 1), name: 'no span id' },
  ];
  const body = encode('traces', { resourceSpans: [{ resource: RESOURCE, scopeSpans: [{ scope: SCOPE, spans }, { scope: OTHER_SCOPE, spans }] }] });
  const ref = assertSame('traces', body, 'generated traces');
  assert.ok('batch' in ref && ref.batch.records.length === 4 && ref.batch.rejected === 4);
});

// ---------------------------------------------------------------- hand-written wire bytes

const w = () => protobuf.Writer.create();
const field = (writer: protobuf.Writer, id: number, wire: number) => writer.uint32((id << 3) | wire);
const message = (writer: protobuf.Writer, id: number, inner: protobuf.Writer) => field(writer, id, 2).bytes(inner.finish());
const kv = (key: string, value: protobuf.Writer) => message(field(w(), 1, 2).string(key), 2, value);
const str = (s: string) => field(w(), 1, 2).string(s);
const logsOf = (record: protobuf.Writer) => message(w(), 1, message(w(), 2, message(w(), 2, record))).finish();

test('wire-level merges: a repeated singular message merges, a repeated scalar keeps the last, defaults clear', () => {
  const record = field(w(), 1, 1).fixed64(1) // time_unix_nano
    .uint32((6 << 3) | 2).bytes(kv('k', str('first')).finish())
    .uint32((6 << 3) | 2).bytes(message(kv('k2', str('a')), 2, field(w(), 3, 0).int64(9)).finish()) // value twice: merged
    .uint32((6 << 3) | 2).bytes(message(field(w(), 1, 2).string('k3'), 2, field(w(), 1, 2).string('x').uint32((1 << 3) | 2).string('')).finish()) // string then '': cleared
    .uint32((5 << 3) | 2).bytes(str('body one').finish())
    .uint32((5 << 3) | 2).bytes(field(w(), 2, 0).bool(true).finish()) // body twice: merged (string wins)
    .uint32((12 << 3) | 2).string('first.name').uint32((12 << 3) | 2).string('claude_code.second'); // last wins
  assertSame('logs', logsOf(record), 'merges');
  const merged = viaReader('logs', logsOf(record)).records[0];
  assert.equal(merged.name, 'second');
  assert.deepEqual((merged as { extra: object }).extra, { k: 'first', k2: 'a', k3: null, body: 'body one' });
});

test('unknown fields of every wire type are skipped, in every message', () => {
  const unknown = (writer: protobuf.Writer) => field(field(field(field(writer, 99, 0).uint64(5), 98, 1).fixed64(1), 97, 2).bytes(Buffer.from('??')), 96, 5).fixed32(3);
  const record = unknown(field(w(), 1, 1).fixed64(5).uint32((6 << 3) | 2).bytes(unknown(kv('k', unknown(str('v')))).finish()));
  const body = unknown(message(w(), 1, unknown(message(w(), 2, unknown(message(w(), 2, record)))))).finish();
  const ref = assertSame('logs', body, 'unknown fields');
  assert.ok('batch' in ref && ref.batch.records.length === 1);
});

test('attribute runs: a known run is reused, attributes after it are added to a copy, never to the memo', () => {
  const point = (extra: 'none' | 'split' | 'after') => {
    const p = field(w(), 3, 1).fixed64(7);
    p.uint32((7 << 3) | 2).bytes(kv('a', str('1')).finish());
    if (extra === 'split') field(p, 4, 1).double(1); // as_double between the two attributes
    p.uint32((7 << 3) | 2).bytes(kv('b', str('2')).finish());
    if (extra !== 'split') field(p, 4, 1).double(1);
    if (extra === 'after') p.uint32((7 << 3) | 2).bytes(kv('c', str('3')).finish()); // after the run of a, b
    return p;
  };
  const metric = (extra: 'none' | 'split' | 'after') => message(field(w(), 1, 2).string('m'), 5, message(w(), 1, point(extra))); // a gauge
  const bodyOf = (extra: 'none' | 'split' | 'after') => message(w(), 1, message(w(), 2, message(w(), 2, metric(extra)))).finish();
  const attrsOf = (extra: 'none' | 'split' | 'after') => (viaReader('metrics', bodyOf(extra)).records[0] as { attrs: object }).attrs;
  for (const extra of ['none', 'after', 'none', 'split', 'after', 'none'] as const) assertSame('metrics', bodyOf(extra), `attributes ${extra}`);
  assert.deepEqual(attrsOf('none'), { a: '1', b: '2' });
  assert.deepEqual(attrsOf('after'), { a: '1', b: '2', c: '3' });
  assert.deepEqual(attrsOf('none'), { a: '1', b: '2' }, 'the known run was not written');
  const key = (extra: 'none' | 'split' | 'after') => (viaReader('metrics', bodyOf(extra)).records[0] as { seriesKey: string }).seriesKey;
  assert.equal(key('split'), key('none'));
  assert.notEqual(key('after'), key('none'));
  // A run longer than the memo's bound is read every time (the memo keeps bytes): same records, no entry.
  const longBody = (value: string) => {
    const p = field(w(), 3, 1).fixed64(7);
    p.uint32((7 << 3) | 2).bytes(kv('long', str(value)).finish());
    field(p, 4, 1).double(1);
    return message(w(), 1, message(w(), 2, message(w(), 2, message(field(w(), 1, 2).string('m'), 5, message(w(), 1, p))))).finish();
  };
  const before = attributeRunMemo.size();
  assertSame('metrics', longBody('x'.repeat(attributeRunMemo.maxBytes)), 'a run past the bound');
  assertSame('metrics', longBody('x'.repeat(attributeRunMemo.maxBytes)), 'the same run again');
  assert.equal(attributeRunMemo.size(), before, 'a long run is not memoized');
  assertSame('metrics', longBody('short and new'), 'a short new run');
  assert.equal(attributeRunMemo.size(), before + 1, 'a short run is');
});

test('refusals: wrong wire types name the same field as before, nesting is bounded, invalid UTF-8 refused', () => {
  const bodies = fixtureBodies();
  const first = (s: Signal) => bodies.find((b) => b.signal === s)!.body;
  for (const [signal, body] of [['logs', first('traces')], ['metrics', first('logs')], ['traces', first('metrics')]] as const) {
    const ref = assertSame(signal, body, `${signal} endpoint given another signal`, true);
    assert.ok('error' in ref && /wire type .* wrong path/.test(ref.error), JSON.stringify(ref));
  }
  let deep = str('leaf');
  for (let i = 0; i < MAX_NESTING; i++) deep = message(w(), 5, message(w(), 1, deep)); // arrayValue.values
  const tooDeep = assertSame('logs', logsOf(message(field(w(), 1, 1).fixed64(5), 6, kv('deep', deep))), 'nesting', true);
  assert.ok('error' in tooDeep && /nesting deeper than/.test(tooDeep.error));
  const badUtf8 = (id: number) => logsOf(field(field(w(), 1, 1).fixed64(5), id, 2).bytes(Buffer.from([0x61, 0xff, 0xfe])));
  for (const id of [12, 3]) {
    // event_name is read, severity_text only checked: both refused as protobufjs refuses them
    const ref = assertSame('logs', badUtf8(id), `invalid UTF-8 in field ${id}`);
    assert.ok('error' in ref);
  }
  const wrongScalar = logsOf(field(w(), 1, 0).uint64(5)); // time_unix_nano as a varint
  assertSame('logs', wrongScalar, 'wrong scalar wire type', true);
  assertSame('logs', Buffer.from([0x0a, 0x02, 0x00, 0x00]), 'field number 0', true);
});

test('every truncation and many corruptions of real bodies: refused by both or read alike', () => {
  let seed = 7;
  const rand = () => ((seed = (seed * 1_103_515_245 + 12_345) >>> 0) / 2 ** 32);
  for (const { name, signal, body } of fixtureBodies().filter((b) => b.body.length < 40_000)) {
    const step = Math.max(1, Math.floor(body.length / 400));
    for (let len = 0; len < body.length; len += step) assertSame(signal, body.subarray(0, len), `${name} cut at ${len}`);
    for (let i = 0; i < 150; i++) {
      const copy = Buffer.from(body);
      for (let k = 0; k < 3; k++) copy[Math.floor(rand() * copy.length)] = Math.floor(rand() * 256);
      assertSame(signal, copy, `${name} corrupted (#${i})`);
    }
  }
});
