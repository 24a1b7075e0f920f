// Numeric bounds at normalization (IngestOptions.bounds): real Claude Code payloads with one number
// damaged are answered with partial_success naming the field and the value; the rest of the payload is
// kept, and no total of the store becomes negative or non-finite.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { decodeAndNormalize } from '../../src/core/otlp/ingest';
import { otlpTypes } from '../../src/core/otlp/otlpSchema';
import { DEFAULT_INGEST_OPTIONS, type Signal } from '../../src/core/otlp/records';
import { runQuery } from '../../src/core/queries/runQuery';
import { LedgerDb } from '../../src/core/store/ledgerDb';
import { FIXTURES, groundTruth, payloads, sqlJs } from './storeTestSupport';

type Obj = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
/** Put where a number is damaged; its JSON form is replaced by the raw literal (1e309 cannot be built with JSON.stringify). */
const RAW = '__raw_number__';
const RAW_JSON = JSON.stringify(RAW);

/** The records of an OTLP/JSON request body, whatever the signal. */
function items(signal: Signal, req: Obj): Obj[] {
  if (signal === 'logs') return req.resourceLogs.flatMap((r: Obj) => r.scopeLogs.flatMap((s: Obj) => s.logRecords));
  if (signal === 'traces') return req.resourceSpans.flatMap((r: Obj) => r.scopeSpans.flatMap((s: Obj) => s.spans));
  return req.resourceMetrics.flatMap((r: Obj) => r.scopeMetrics.flatMap((s: Obj) => s.metrics));
}
const attr = (x: Obj, k: string): Obj | undefined => (x.attributes as Obj[] | undefined)?.find((a) => a.key === k);
const eventName = (x: Obj) => attr(x, 'event.name')?.value.stringValue as string | undefined;

interface Mutation {
  what: string;
  signal: Signal;
  /** Finds the item and damages it; `raw` is the JSON literal written where RAW was put. */
  apply: (req: Obj) => void;
  raw: string;
  message: RegExp;
}

const setAttr = (pick: (x: Obj) => boolean, key: string, value: Obj) => (req: Obj, signal: Signal) => {
  const x = items(signal, req).find(pick);
  assert.ok(x, 'the item to damage exists');
  const a = attr(x, key);
  assert.ok(a, `${key} exists`);
  a.value = value;
};

const apiRequest = (x: Obj) => eventName(x) === 'api_request';
const MUTATIONS: Mutation[] = [
  { what: 'input_tokens -1e20 (as an int64 string)', signal: 'logs', raw: '"-99999999999999999999"', message: /input_tokens = -1\d{20} is out of bounds/,
    apply: (r) => setAttr(apiRequest, 'input_tokens', { intValue: RAW })(r, 'logs') },
  { what: 'input_tokens 1e309 (Infinity)', signal: 'logs', raw: '1e309', message: /input_tokens = "Infinity".*out of bounds/,
    apply: (r) => setAttr(apiRequest, 'input_tokens', { doubleValue: RAW })(r, 'logs') },
  { what: 'output_tokens 1.5 (not an integer)', signal: 'logs', raw: '1.5', message: /output_tokens = 1\.5/,
    apply: (r) => setAttr(apiRequest, 'output_tokens', { doubleValue: RAW })(r, 'logs') },
  { what: 'cache_read_tokens above the cap', signal: 'logs', raw: '2000000000', message: /cache_read_tokens = 2000000000.*0 to 1000000000/,
    apply: (r) => setAttr(apiRequest, 'cache_read_tokens', { intValue: RAW })(r, 'logs') },
  { what: 'cost_usd -5', signal: 'logs', raw: '-5', message: /cost_usd = -5 .*USD/,
    apply: (r) => setAttr(apiRequest, 'cost_usd', { doubleValue: RAW })(r, 'logs') },
  { what: 'cost_usd 1e309', signal: 'logs', raw: '1e309', message: /cost_usd = "Infinity"/,
    apply: (r) => setAttr(apiRequest, 'cost_usd', { doubleValue: RAW })(r, 'logs') },
  { what: 'cost_usd that is not a number', signal: 'logs', raw: '"abc"', message: /cost_usd = "abc"/,
    apply: (r) => setAttr(apiRequest, 'cost_usd', { stringValue: RAW })(r, 'logs') },
  { what: 'duration_ms -1 on a tool_result', signal: 'logs', raw: '"-1"', message: /tool_result: duration_ms = "-1"/,
    apply: (r) => setAttr((x) => eventName(x) === 'tool_result', 'duration_ms', { stringValue: RAW })(r, 'logs') },
  { what: 'event.sequence -3', signal: 'logs', raw: '-3', message: /event\.sequence = -3/,
    apply: (r) => setAttr((x) => eventName(x) === 'user_prompt', 'event.sequence', { intValue: RAW })(r, 'logs') },
  { what: 'cost.usage metric point -5', signal: 'metrics', raw: '-5', message: /claude_code\.cost\.usage: value = -5/,
    apply: (r) => { items('metrics', r).find((m) => m.name === 'claude_code.cost.usage')!.sum.dataPoints[0].asDouble = RAW; } },
  { what: 'token.usage metric point 1e309', signal: 'metrics', raw: '1e309', message: /claude_code\.token\.usage has no finite value/,
    apply: (r) => { items('metrics', r).find((m) => m.name === 'claude_code.token.usage')!.sum.dataPoints[0].asDouble = RAW; } },
  { what: 'span input_tokens -1', signal: 'traces', raw: '-1', message: /span claude_code\.llm_request: input_tokens = -1/,
    apply: (r) => setAttr((x) => x.name === 'claude_code.llm_request' && !!attr(x, 'input_tokens'), 'input_tokens', { intValue: RAW })(r, 'traces') },
];

const JSON_SCENARIO = 'f-write-edit-bash-json';
function jsonBody(signal: Signal): Obj {
  const p = payloads(JSON_SCENARIO).find((x) => x.signal === signal)!;
  return JSON.parse(Buffer.from(p.body).toString('utf8'));
}

for (const m of MUTATIONS) {
  test(`bounds: ${m.what} -> that record rejected in partial_success, the rest kept, totals stay sane`, async () => {
    const original = decodeAndNormalize(m.signal, 'json', Buffer.from(JSON.stringify(jsonBody(m.signal))), DEFAULT_INGEST_OPTIONS);
    assert.equal(original.rejected, 0);
    const req = jsonBody(m.signal);
    m.apply(req);
    const text = JSON.stringify(req);
    assert.equal(text.split(RAW_JSON).length, 2, 'exactly one value damaged');
    const damaged = decodeAndNormalize(m.signal, 'json', Buffer.from(text.replace(RAW_JSON, m.raw)), DEFAULT_INGEST_OPTIONS);
    assert.equal(damaged.rejected, 1);
    assert.match(damaged.rejectMessage ?? '', m.message);
    assert.equal(damaged.records.length, original.records.length - 1, 'every other record is kept');

    // The whole scenario with the damaged payload: no total is negative or non-finite.
    const db = LedgerDb.open(await sqlJs());
    for (const p of payloads(JSON_SCENARIO)) {
      const b = p.signal === m.signal ? damaged : decodeAndNormalize(p.signal, p.encoding, p.body, DEFAULT_INGEST_OPTIONS);
      db.apply(b.records);
    }
    const s = runQuery({ sql: db.sql, nowMs: Date.now(), dataVersion: 0, lastEventMs: 0 }, 'summary', { range: { key: 'all' } });
    for (const v of [s.costUsd, s.requests, s.tokens.input, s.tokens.output, s.tokens.cacheRead, s.tokens.cacheCreation, s.linesAdded]) {
      assert.ok(Number.isFinite(v) && v >= 0, `${m.what}: ${JSON.stringify(s.tokens)} $${s.costUsd}`);
    }
    if (m.signal === 'logs' && /cost_usd|tokens/.test(m.what)) {
      const gt = groundTruth(JSON_SCENARIO);
      assert.equal(s.requests, gt.api_requests.count - 1, 'the damaged api_request is not counted');
      assert.ok(s.costUsd < gt.api_requests.cost_usd);
    }
    db.close();
  });
}

test('bounds: a damaged protobuf payload (real b-write-edit-bash logs) is partially accepted the same way', () => {
  const t = otlpTypes().logsRequest;
  const p = payloads('b-write-edit-bash').find((x) => x.signal === 'logs')!;
  const obj = t.toObject(t.decode(p.body), { longs: String, bytes: String }) as Obj;
  const before = decodeAndNormalize('logs', 'protobuf', p.body, DEFAULT_INGEST_OPTIONS);
  const a = attr(items('logs', obj).find(apiRequest)!, 'cost_usd')!;
  a.value = { doubleValue: -5 };
  const ti = attr(items('logs', obj).filter(apiRequest)[1], 'input_tokens')!;
  ti.value = { intValue: '-9223372036854775808' };
  const body = t.encode(t.fromObject(obj)).finish();
  const b = decodeAndNormalize('logs', 'protobuf', body, DEFAULT_INGEST_OPTIONS);
  assert.equal(b.rejected, 2);
  assert.match(b.rejectMessage ?? '', /api_request: cost_usd = -5 is out of bounds/);
  assert.equal(b.records.length, before.records.length - 2);
});

test('bounds: the limits are one options object, and a caller can tighten them', () => {
  const req = jsonBody('logs');
  const opts = { ...DEFAULT_INGEST_OPTIONS, bounds: { ...DEFAULT_INGEST_OPTIONS.bounds, maxCostUsd: 0.01 } };
  const b = decodeAndNormalize('logs', 'json', Buffer.from(JSON.stringify(req)), opts);
  const requests = items('logs', req).filter(apiRequest).length;
  assert.equal(b.rejected, requests, 'every real request costs more than one cent');
  assert.match(b.rejectMessage ?? '', /cost_usd = 0\.0\d+ is out of bounds \(USD: from 0 to 0\.01\)/);
  assert.ok(path.isAbsolute(FIXTURES) && readFileSync(path.join(FIXTURES, JSON_SCENARIO, 'index.jsonl')).length > 0);
});
