// Decode + normalize of genuine Claude Code 2.1.197 payloads (test/fixtures/claude-code-otlp), checked
// against each scenario's ground-truth.json, which was computed by an independent script from the
// official opentelemetry-proto decoding of the same bytes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import * as protobuf from 'protobufjs';
import { decodeAndNormalize, OtlpDecodeError } from '../../src/core/otlp/ingest';
import { encodeResponse } from '../../src/core/otlp/decode';
import { otlpTypes } from '../../src/core/otlp/otlpSchema';
import { DEFAULT_INGEST_OPTIONS, normalizeModel, type NormRecord, type Signal } from '../../src/core/otlp/records';
import { diffLines, languageOf } from '../../src/core/otlp/lineCounts';

const FIXTURES = join(__dirname, '..', 'fixtures', 'claude-code-otlp');
const scenarios = readdirSync(FIXTURES).filter((d) => !d.endsWith('.md'));

interface Payload {
  signal: Signal;
  encoding: 'protobuf' | 'json';
  body: Buffer;
}

function payloads(scenario: string): Payload[] {
  const dir = join(FIXTURES, scenario);
  return readFileSync(join(dir, 'index.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as { file: string; signal: Signal; content_encoding: string | null })
    .map((e) => {
      let body: Buffer = readFileSync(join(dir, e.file));
      if (e.content_encoding === 'gzip') body = gunzipSync(body);
      return { signal: e.signal, encoding: e.file.endsWith('.json') ? 'json' : 'protobuf', body };
    });
}

function decodeScenario(scenario: string, opts = DEFAULT_INGEST_OPTIONS): NormRecord[] {
  const out: NormRecord[] = [];
  for (const p of payloads(scenario)) {
    const b = decodeAndNormalize(p.signal, p.encoding, p.body, opts);
    assert.equal(b.rejected, 0, `${scenario}: nothing rejected`);
    out.push(...b.records);
  }
  return out;
}

const close = (a: number, b: number, what: string) => assert.ok(Math.abs(a - b) < 1e-12, `${what}: ${a} vs ${b}`);

for (const scenario of scenarios) {
  test(`${scenario}: totals equal the ground truth`, () => {
    const gt = JSON.parse(readFileSync(join(FIXTURES, scenario, 'ground-truth.json'), 'utf8'));
    const recs = decodeScenario(scenario);
    const req = recs.filter((r) => r.kind === 'apiRequest');
    assert.equal(req.length, gt.api_requests.count, 'api_request count');
    close(req.reduce((s, r) => s + (r.costUsd ?? 0), 0), gt.api_requests.cost_usd, 'cost_usd');
    assert.deepEqual(
      {
        input: req.reduce((s, r) => s + r.inputTokens, 0),
        output: req.reduce((s, r) => s + r.outputTokens, 0),
        cache_read: req.reduce((s, r) => s + r.cacheReadTokens, 0),
        cache_creation: req.reduce((s, r) => s + r.cacheCreationTokens, 0),
      },
      gt.api_requests.tokens,
    );
    // Metrics: the same cost and tokens, from the other signal (delta temporality in these captures).
    const metrics = recs.filter((r) => r.kind === 'metric');
    const costMetric = metrics.filter((m) => m.name === 'claude_code.cost.usage').reduce((s, m) => s + m.value, 0);
    close(costMetric, gt.metrics.cost_usage_usd, 'cost.usage metric');
    const tokensByType: Record<string, number> = {};
    for (const m of metrics.filter((x) => x.name === 'claude_code.token.usage')) {
      const t = String(m.attrs.type);
      tokensByType[t] = (tokensByType[t] ?? 0) + m.value;
    }
    for (const [k, v] of Object.entries(gt.metrics.token_usage_raw_type as Record<string, number>)) {
      assert.equal(tokensByType[k] ?? 0, v, `token.usage ${k}`);
    }
    // Tool results by tool and success; decisions by decision and source.
    const results: Record<string, Record<string, number>> = {};
    for (const r of recs) {
      if (r.kind !== 'toolResult') continue;
      const k = `${r.toolName}`;
      results[k] ??= {};
      results[k][String(r.success)] = (results[k][String(r.success)] ?? 0) + 1;
    }
    assert.equal(recs.filter((r) => r.kind === 'toolResult').length, gt.tool_results.count, 'tool_result count');
    const gtResults = gt.tool_results.by_tool_name_and_success as Record<string, Record<string, number>>;
    assert.deepEqual(results, gtResults, 'tool results by tool and success');
    const decisions: Record<string, Record<string, number>> = {};
    for (const r of recs) {
      if (r.kind !== 'toolDecision') continue;
      decisions[r.decision] ??= {};
      decisions[r.decision][r.source ?? ''] = (decisions[r.decision][r.source ?? ''] ?? 0) + 1;
    }
    assert.deepEqual(decisions, gt.tool_decisions.by_decision_and_source, 'decisions by decision and source');
    // Sessions: every distinct session.id on any signal.
    const sessions = new Set(recs.map((r) => r.sessionId).filter(Boolean));
    assert.deepEqual([...sessions].sort(), [...gt.sessions.ids].sort(), 'sessions');
    // Spans by name.
    const spans: Record<string, number> = {};
    for (const r of recs) if (r.kind === 'span') spans[r.name] = (spans[r.name] ?? 0) + 1;
    assert.deepEqual(spans, gt.spans.by_name);
    // Files edited (Write / Edit / NotebookEdit tool_input file paths).
    const files = new Set(recs.flatMap((r) => (r.kind === 'toolResult' || r.kind === 'toolDecision') && r.filePath && /^(Write|Edit|NotebookEdit|MultiEdit)$/.test(r.toolName) ? [r.filePath] : []));
    assert.deepEqual([...files].sort(), [...gt.file_paths.all].sort(), 'file paths');
  });
}

test('lines added/removed from tool_input equal Claude Code lines_of_code metric', () => {
  for (const scenario of ['b-write-edit-bash', 'h-long-session', 'f-write-edit-bash-json']) {
    const recs = decodeScenario(scenario);
    const added = recs.reduce((s, r) => s + (r.kind === 'toolResult' ? r.linesAdded ?? 0 : 0), 0);
    const removed = recs.reduce((s, r) => s + (r.kind === 'toolResult' ? r.linesRemoved ?? 0 : 0), 0);
    const metric = (type: string) =>
      recs.reduce((s, r) => s + (r.kind === 'metric' && r.name === 'claude_code.lines_of_code.count' && r.attrs.type === type ? r.value : 0), 0);
    assert.equal(added, metric('added'), `${scenario} added`);
    assert.equal(removed, metric('removed'), `${scenario} removed`);
    assert.ok(added > 0, 'the scenario edits files');
  }
});

test('strings become typed values; models normalized; MCP names from tool_parameters', () => {
  const recs = decodeScenario('e-mcp-tool');
  const results = recs.filter((r) => r.kind === 'toolResult');
  assert.ok(results.length > 0);
  for (const r of results) {
    assert.equal(typeof r.success, 'boolean');
    assert.equal(typeof r.durationMs, 'number');
    assert.equal(r.toolName, 'mcp_tool');
    assert.equal(r.mcpServer, 'fixture');
  }
  assert.deepEqual(results.map((r) => r.mcpTool).sort(), ['add', 'lookup_ticket']);
  assert.deepEqual(results.map((r) => r.success).sort(), [false, true]);
  const prompt = recs.find((r) => r.kind === 'userPrompt');
  assert.equal(prompt?.kind === 'userPrompt' ? typeof prompt.promptLength : '', 'number');
  assert.equal(normalizeModel('claude-opus-4-8[1m]'), 'claude-opus-4-8');
  const costMetric = recs.find((r) => r.kind === 'metric' && r.name === 'claude_code.cost.usage');
  assert.equal(costMetric?.kind === 'metric' ? costMetric.modelNorm : '', 'claude-opus-4-8');
});

test('privacy: prompt text only when enabled; commands bounded or reduced to argv0; no file contents kept', () => {
  const off = decodeScenario('b-write-edit-bash');
  const p = off.find((r) => r.kind === 'userPrompt');
  assert.ok(p && p.kind === 'userPrompt');
  assert.equal(p.promptText, undefined);
  assert.equal(p.promptLength, 58);
  const on = decodeScenario('b-write-edit-bash', { ...DEFAULT_INGEST_OPTIONS, storePromptText: true });
  const p2 = on.find((r) => r.kind === 'userPrompt');
  assert.equal(p2 && p2.kind === 'userPrompt' ? p2.promptText : '', 'Create hello.py, then improve it, then list the directory.');
  const bash = off.find((r) => r.kind === 'toolResult' && r.toolName === 'Bash');
  assert.equal(bash && bash.kind === 'toolResult' ? bash.command : '', 'ls -la');
  const noCmd = decodeScenario('b-write-edit-bash', { ...DEFAULT_INGEST_OPTIONS, storeCommands: false });
  const bash2 = noCmd.find((r) => r.kind === 'toolResult' && r.toolName === 'Bash');
  assert.equal(bash2 && bash2.kind === 'toolResult' ? bash2.command : '', 'ls');
  const serialized = JSON.stringify(off);
  assert.ok(!serialized.includes('def hello'), 'Write content is not kept');
  assert.ok(!serialized.includes('greet politely'), 'Edit new_string is not kept');
  assert.ok(!serialized.includes('I will create the file first'), 'assistant response text is not kept');
});

test('redacted defaults (no tool details): still counted, no paths', () => {
  const recs = decodeScenario('l-defaults-redacted');
  const results = recs.filter((r) => r.kind === 'toolResult');
  assert.ok(results.length > 0);
  assert.ok(results.every((r) => r.kind === 'toolResult' && r.filePath === undefined));
});

test('event name fallbacks: body, then LogRecord.event_name (field 12)', () => {
  const t = otlpTypes().logsRequest;
  const mk = (rec: Record<string, unknown>) =>
    t.encode(t.fromObject({ resourceLogs: [{ resource: { attributes: [{ key: 'service.name', value: { stringValue: 'claude-code' } }] }, scopeLogs: [{ scope: { name: 'com.anthropic.claude_code.events' }, logRecords: [rec] }] }] })).finish();
  const viaBody = decodeAndNormalize('logs', 'protobuf', mk({ timeUnixNano: '1795290388377000000', body: { stringValue: 'claude_code.api_request' }, attributes: [{ key: 'session.id', value: { stringValue: 's1' } }, { key: 'cost_usd', value: { doubleValue: 0.5 } }, { key: 'model', value: { stringValue: 'claude-x[1m]' } }] }), DEFAULT_INGEST_OPTIONS);
  assert.equal(viaBody.records[0].kind, 'apiRequest');
  assert.equal(viaBody.records[0].kind === 'apiRequest' ? viaBody.records[0].modelNorm : '', 'claude-x');
  assert.equal(viaBody.records[0].kind === 'apiRequest' ? viaBody.records[0].timeMs : 0, 1795290388377);
  const viaField = decodeAndNormalize('logs', 'protobuf', mk({ timeUnixNano: '1795290388377000000', eventName: 'claude_code.user_prompt', attributes: [{ key: 'prompt_length', value: { stringValue: '12' } }] }), DEFAULT_INGEST_OPTIONS);
  assert.equal(viaField.records[0].kind, 'userPrompt');
  assert.equal(viaField.records[0].kind === 'userPrompt' ? viaField.records[0].promptLength : 0, 12);
});

test('every metric kind decodes (sum, gauge, histogram, exponential histogram, summary); other services are not Claude Code', () => {
  const t = otlpTypes().metricsRequest;
  const pt = { startTimeUnixNano: '1000000', timeUnixNano: '2000000', attributes: [{ key: 'k', value: { stringValue: 'v' } }] };
  const body = t.encode(t.fromObject({
    resourceMetrics: [{
      resource: { attributes: [{ key: 'service.name', value: { stringValue: 'other-app' } }] },
      scopeMetrics: [{
        scope: { name: 'x' },
        metrics: [
          { name: 's', sum: { aggregationTemporality: 2, isMonotonic: true, dataPoints: [{ ...pt, asInt: 7 }] } },
          { name: 'g', gauge: { dataPoints: [{ ...pt, asDouble: 1.5 }] } },
          { name: 'h', histogram: { aggregationTemporality: 1, dataPoints: [{ ...pt, count: 3, sum: 9, bucketCounts: [1, 2], explicitBounds: [5] }] } },
          { name: 'e', exponentialHistogram: { aggregationTemporality: 1, dataPoints: [{ ...pt, count: 2, sum: 4, scale: 1, positive: { offset: 0, bucketCounts: [2] } }] } },
          { name: 'q', summary: { dataPoints: [{ ...pt, count: 5, sum: 10, quantileValues: [{ quantile: 0.5, value: 2 }] }] } },
        ],
      }],
    }],
  })).finish();
  const b = decodeAndNormalize('metrics', 'protobuf', body, DEFAULT_INGEST_OPTIONS);
  assert.deepEqual(b.records.map((r) => (r.kind === 'metric' ? [r.name, r.metricKind, r.value, r.count ?? null, r.temporality, r.isClaudeCode] : [])), [
    ['s', 'sum', 7, null, 2, false],
    ['g', 'gauge', 1.5, null, 0, false],
    ['h', 'histogram', 9, 3, 1, false],
    ['e', 'exponentialHistogram', 4, 2, 1, false],
    ['q', 'summary', 10, 5, 0, false],
  ]);
});

test('OTLP/JSON: hex ids, int64 as strings or numbers', () => {
  const body = Buffer.from(JSON.stringify({
    resourceSpans: [{ resource: { attributes: [{ key: 'service.name', value: { stringValue: 'claude-code' } }] }, scopeSpans: [{ spans: [{ traceId: '9ebecb1e5ed9fa26f20be1c91c0a206d', spanId: 'b36f90035860e3cb', name: 'claude_code.llm_request', startTimeUnixNano: 1795290388377000000, endTimeUnixNano: '1795290388400500000', attributes: [{ key: 'attempt', value: { intValue: 4 } }, { key: 'input_tokens', value: { intValue: '1000' } }], status: { code: 2, message: 'boom' } }] }] }],
  }));
  const b = decodeAndNormalize('traces', 'json', body, DEFAULT_INGEST_OPTIONS);
  const s = b.records[0];
  assert.ok(s.kind === 'span');
  assert.equal(s.traceId, '9ebecb1e5ed9fa26f20be1c91c0a206d');
  assert.equal(s.attempt, 4);
  assert.equal(s.inputTokens, 1000);
  assert.equal(s.statusCode, 2);
  assert.equal(s.endMs - s.startMs, 23.5);
});

test('invalid items are rejected with a count and reason (partial success), the rest kept', () => {
  const body = Buffer.from(JSON.stringify({
    resourceSpans: [{ scopeSpans: [{ spans: [
      { traceId: 'zz', spanId: 'b36f90035860e3cb', name: 'bad', startTimeUnixNano: '1', endTimeUnixNano: '2' },
      { traceId: '9ebecb1e5ed9fa26f20be1c91c0a206d', spanId: 'b36f90035860e3cb', name: 'good', startTimeUnixNano: '1', endTimeUnixNano: '2' },
    ] }] }],
  }));
  const b = decodeAndNormalize('traces', 'json', body, DEFAULT_INGEST_OPTIONS);
  assert.equal(b.records.length, 1);
  assert.equal(b.rejected, 1);
  assert.match(b.rejectMessage ?? '', /trace id/);
  const resp = encodeResponse('traces', 'protobuf', 1, b.rejectMessage);
  const decoded = otlpTypes().traceResponse.toObject(otlpTypes().traceResponse.decode(resp.body), { longs: Number });
  assert.deepEqual(decoded, { partialSuccess: { rejectedSpans: 1, errorMessage: b.rejectMessage } });
});

test('bad bodies raise OtlpDecodeError with a message that says what is wrong', () => {
  const logs = payloads('b-write-edit-bash').find((p) => p.signal === 'logs')!.body;
  const traces = payloads('b-write-edit-bash').find((p) => p.signal === 'traces')!.body;
  const metrics = payloads('b-write-edit-bash').find((p) => p.signal === 'metrics')!.body;
  const cases: [Signal, 'protobuf' | 'json', Uint8Array, RegExp][] = [
    ['logs', 'protobuf', logs.subarray(0, logs.length - 7), /not a valid protobuf|runs past/],
    ['logs', 'protobuf', Buffer.from([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01]), /not a valid protobuf|field number|wire type/],
    ['logs', 'protobuf', traces, /wire type .* wrong path/],
    ['metrics', 'protobuf', logs, /wire type .* wrong path/],
    ['traces', 'protobuf', metrics, /wire type .* wrong path/],
    ['logs', 'json', Buffer.from('{"resourceLogs": ['), /not valid JSON/],
    ['logs', 'json', Buffer.from('{"resourceSpans": []}'), /wrong path/],
    ['logs', 'json', Buffer.from('[1,2]'), /must be an object/],
  ];
  for (const [signal, enc, body, re] of cases) {
    assert.throws(() => decodeAndNormalize(signal, enc, body, DEFAULT_INGEST_OPTIONS), (err: unknown) => err instanceof OtlpDecodeError && re.test((err as Error).message), `${signal}/${enc} ${re}`);
  }
  // Random bytes: either a clear decode error or (if they happen to be valid protobuf) nothing usable.
  let seed = 42;
  const rnd = () => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) & 0xff);
  for (let i = 0; i < 50; i++) {
    const bytes = Uint8Array.from({ length: 200 }, rnd);
    try {
      const b = decodeAndNormalize('logs', 'protobuf', bytes, DEFAULT_INGEST_OPTIONS);
      assert.ok(Array.isArray(b.records));
    } catch (err) {
      assert.ok(err instanceof OtlpDecodeError, `random bytes give OtlpDecodeError, got ${(err as Error).name}: ${(err as Error).message}`);
    }
  }
  void protobuf;
});

test('line diff and language helpers', () => {
  assert.deepEqual(diffLines('a\nb\nc', 'a\nx\nc'), { added: 1, removed: 1 });
  assert.deepEqual(diffLines('a\nb', 'a\nb\nc\nd'), { added: 2, removed: 0 });
  assert.deepEqual(diffLines('x\na\ny', 'a'), { added: 0, removed: 2 });
  assert.equal(languageOf('/p/hello.py'), 'Python');
  assert.equal(languageOf('/p/notes.txt'), 'Plain text');
  assert.equal(languageOf('/p/Makefile'), 'Makefile');
});
