// The receiver over loopback with real peers: the official OpenTelemetry JS OTLP exporters (protobuf and
// JSON; logs, metrics, traces) and raw HTTP for bad input. The store behind it is the real StoreClient
// (worker thread + journal) in a temporary data directory.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as http from 'node:http';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync, deflateSync } from 'node:zlib';
import { context, trace as traceApi } from '@opentelemetry/api';
import { LoggerProvider, SimpleLogRecordProcessor } from '@opentelemetry/sdk-logs';
import { MeterProvider, PeriodicExportingMetricReader, AggregationTemporality } from '@opentelemetry/sdk-metrics';
import { BasicTracerProvider, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { OTLPLogExporter as LogProto } from '@opentelemetry/exporter-logs-otlp-proto';
import { OTLPLogExporter as LogJson } from '@opentelemetry/exporter-logs-otlp-http';
import { OTLPMetricExporter as MetricProto } from '@opentelemetry/exporter-metrics-otlp-proto';
import { OTLPMetricExporter as MetricJson } from '@opentelemetry/exporter-metrics-otlp-http';
import { OTLPTraceExporter as TraceProto } from '@opentelemetry/exporter-trace-otlp-proto';
import { OTLPTraceExporter as TraceJson } from '@opentelemetry/exporter-trace-otlp-http';
import { startLedgerServer, type LedgerServer, type LedgerStore } from '../../src/server/httpServer';
import { StoreClient } from '../../src/server/storeClient';
import { memoryLogger } from '../../src/core/log';

const ROOT = join(__dirname, '..', '..');
let dir: string;
let store: StoreClient;
let server: LedgerServer;
const log = memoryLogger();
/** What the server acknowledged, per signal and encoding (the exporters never reject on an HTTP error). */
const acked: Record<string, { requests: number; accepted: number; rejected: number }> = {};
const TOKEN = 'test-token-0123456789abcdef';
const LONG_POLL_MS = 60 * 60_000;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'ledger-recv-'));
  store = await StoreClient.open({ dataDir: dir, workerPath: join(ROOT, 'dist', 'dbWorker.js') });
  // The real store behind a recorder of what each ingest accepted (explicit delegation: no shared state).
  const recording: LedgerStore = {
    query: (m, p) => store.query(m, p),
    onDidChange: (fn) => store.onDidChange(fn),
    rows: (d, r, n) => store.rows(d as never, r, n),
    exportReplica: () => store.exportReplica(),
    audit: (e) => store.audit(e),
    describeSchema: () => store.describeSchema(),
    ingest: async (signal, encoding, body) => {
      const r = await store.ingest(signal, encoding, body);
      const k = `${signal}/${encoding}`;
      acked[k] ??= { requests: 0, accepted: 0, rejected: 0 };
      acked[k].requests++;
      acked[k].accepted += r.accepted;
      acked[k].rejected += r.rejected;
      return r;
    },
  };
  server = await startLedgerServer({
    port: 0,
    token: TOKEN,
    store: recording,
    log,
    // longPollMs far beyond the test's own timeout: a poll answered by its timer cannot pass for a woken one.
    limits: { maxBodyBytes: 4 * 1024 * 1024, maxDecompressedBytes: 8 * 1024 * 1024, longPollMs: LONG_POLL_MS },
  });
});

after(async () => {
  await server?.close();
  await store?.close();
  rmSync(dir, { recursive: true, force: true });
});

interface Resp {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

function request(opts: { method?: string; path: string; headers?: Record<string, string>; body?: Buffer | (() => AsyncGenerator<Buffer>) }): Promise<Resp> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      { host: '127.0.0.1', port: server.port, method: opts.method ?? 'POST', path: opts.path, headers: { Host: `127.0.0.1:${server.port}`, ...opts.headers } },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
        res.on('error', reject);
      },
    );
    req.on('error', (err: NodeJS.ErrnoException) => {
      // The server drops the connection after answering 413; the response was already resolved.
      if (err.code !== 'ECONNRESET' && err.code !== 'EPIPE') reject(err);
    });
    const b = opts.body;
    if (typeof b === 'function') {
      (async () => {
        for await (const chunk of b()) {
          if (req.destroyed) break;
          if (!req.write(chunk)) await new Promise((r) => req.once('drain', r));
        }
        req.end();
      })().catch(() => undefined);
    } else {
      req.end(b);
    }
  });
}

const fixture = (scenario: string, file: string) => readFileSync(join(ROOT, 'test', 'fixtures', 'claude-code-otlp', scenario, file));

async function summaryAll() {
  return store.query('summary', { range: { key: 'all' } });
}

test('real OTel JS exporters (protobuf and JSON) deliver logs, metrics and traces', async () => {
  const url = (p: string) => `${server.url}${p}`;
  for (const [label, Logs, Metrics, Traces] of [
    ['protobuf', LogProto, MetricProto, TraceProto],
    ['json', LogJson, MetricJson, TraceJson],
  ] as const) {
    const resource = resourceFromAttributes({ 'service.name': `exporter-test-${label}` });
    const loggerProvider = new LoggerProvider({ resource, processors: [new SimpleLogRecordProcessor({ exporter: new Logs({ url: url("/v1/logs") }) })] });
    const logger = loggerProvider.getLogger('test');
    for (let i = 0; i < 5; i++) logger.emit({ body: `hello ${i}`, attributes: { 'event.name': 'custom_event', i } });
    await loggerProvider.forceFlush();
    await loggerProvider.shutdown();

    const exporter = new Metrics({ url: url('/v1/metrics'), temporalityPreference: AggregationTemporality.DELTA });
    const meterProvider = new MeterProvider({ resource, readers: [new PeriodicExportingMetricReader({ exporter, exportIntervalMillis: 60_000 })] });
    const counter = meterProvider.getMeter('test').createCounter('test.counter');
    counter.add(3, { k: 'a' });
    counter.add(4, { k: 'b' });
    const hist = meterProvider.getMeter('test').createHistogram('test.hist');
    hist.record(12);
    await meterProvider.forceFlush();
    await meterProvider.shutdown();

    const tracerProvider = new BasicTracerProvider({ resource, spanProcessors: [new SimpleSpanProcessor(new Traces({ url: url('/v1/traces') }))] });
    const tracer = tracerProvider.getTracer('test');
    const parent = tracer.startSpan('parent');
    const ctx = traceApi.setSpan(context.active(), parent);
    tracer.startSpan('child', {}, ctx).end();
    parent.end();
    await tracerProvider.forceFlush();
    await tracerProvider.shutdown();
  }
  // Every record reached the store: 5 log records, 3 metric points (2 counter series + 1 histogram),
  // 2 spans, per encoding. (The exporters only log an HTTP error, so this is the proof they succeeded.)
  for (const enc of ['protobuf', 'json']) {
    assert.deepEqual(
      { logs: acked[`logs/${enc}`]?.accepted, metrics: acked[`metrics/${enc}`]?.accepted, traces: acked[`traces/${enc}`]?.accepted },
      { logs: 5, metrics: 3, traces: 2 },
      `${enc}: ${JSON.stringify(acked)}`,
    );
    for (const sig of ['logs', 'metrics', 'traces']) assert.equal(acked[`${sig}/${enc}`].rejected, 0);
  }
  // None of it is Claude Code: stored generically, never counted as spend.
  const s = await summaryAll();
  assert.equal(s.costUsd, 0);
  assert.equal(s.requests, 0);
  assert.ok(!log.lines.some((l) => l.startsWith('error')), `no errors logged: ${log.lines.filter((l) => l.startsWith('error')).join('\n')}`);
});

test('genuine Claude Code payloads (protobuf, JSON, gzip, deflate, chunked) are acknowledged and counted once', async () => {
  const before = await summaryAll();
  const logs = fixture('b-write-edit-bash', 'logs-001.bin');
  const metrics = fixture('b-write-edit-bash', 'metrics-001.bin');
  const traces = fixture('b-write-edit-bash', 'traces-001.bin');
  const pb = { 'Content-Type': 'application/x-protobuf' };
  // Chunked, no Content-Length, like Claude Code.
  const chunked = (buf: Buffer) => async function* () {
    for (let i = 0; i < buf.length; i += 1000) yield buf.subarray(i, i + 1000);
  };
  let r = await request({ path: '/v1/logs', headers: pb, body: chunked(logs) });
  assert.equal(r.status, 200, r.body.toString());
  assert.equal(r.headers['content-type'], 'application/x-protobuf');
  assert.equal(r.body.length, 0, 'empty ExportLogsServiceResponse');
  r = await request({ path: '/v1/metrics', headers: { ...pb, 'Content-Encoding': 'gzip' }, body: gzipSync(metrics) });
  assert.equal(r.status, 200, r.body.toString());
  r = await request({ path: '/v1/traces', headers: { ...pb, 'Content-Encoding': 'deflate' }, body: deflateSync(traces) });
  assert.equal(r.status, 200, r.body.toString());
  // The exporter retries: the same payload again counts once.
  r = await request({ path: '/v1/logs', headers: pb, body: logs });
  assert.equal(r.status, 200);
  const after1 = await summaryAll();
  assert.ok(Math.abs(after1.costUsd - before.costUsd - 0.05503999999999999) < 1e-12, `cost ${after1.costUsd - before.costUsd}`);
  assert.equal(after1.requests - before.requests, 4);
  // JSON capture of the same kind of run (a different session) answers {} and adds its own cost.
  r = await request({ path: '/v1/logs', headers: { 'Content-Type': 'application/json' }, body: fixture('f-write-edit-bash-json', 'logs-001.json') });
  assert.equal(r.status, 200);
  assert.equal(r.headers['content-type'], 'application/json');
  assert.deepEqual(JSON.parse(r.body.toString()), {});
  const after2 = await summaryAll();
  assert.ok(Math.abs(after2.costUsd - after1.costUsd - 0.05503999999999999) < 1e-12);
});

test('bad input: each gets its status and a message, and the receiver keeps serving', async () => {
  const logs = fixture('b-write-edit-bash', 'logs-001.bin');
  const traces = fixture('b-write-edit-bash', 'traces-001.bin');
  const pb = { 'Content-Type': 'application/x-protobuf' };
  const cases: { name: string; req: Parameters<typeof request>[0]; status: number; re: RegExp }[] = [
    { name: 'truncated protobuf', req: { path: '/v1/logs', headers: pb, body: logs.subarray(0, logs.length - 9) }, status: 400, re: /protobuf|runs past/ },
    { name: 'random bytes', req: { path: '/v1/logs', headers: pb, body: Buffer.from([0x0a, 0xff, 0xff, 0xff, 0x0f, 1, 2, 3]) }, status: 400, re: /protobuf|runs past/ },
    { name: 'valid protobuf of the wrong message', req: { path: '/v1/logs', headers: pb, body: traces }, status: 400, re: /wrong path/ },
    { name: 'invalid JSON', req: { path: '/v1/traces', headers: { 'Content-Type': 'application/json' }, body: Buffer.from('{"resourceSpans": [') }, status: 400, re: /not valid JSON/ },
    { name: 'wrong content type', req: { path: '/v1/logs', headers: { 'Content-Type': 'text/plain' }, body: Buffer.from('hi') }, status: 415, re: /Content-Type/ },
    { name: 'unknown content encoding', req: { path: '/v1/logs', headers: { ...pb, 'Content-Encoding': 'br' }, body: logs }, status: 415, re: /Content-Encoding/ },
    { name: 'Origin header (browser)', req: { path: '/v1/logs', headers: { ...pb, Origin: 'https://evil.example' }, body: logs }, status: 403, re: /Origin/ },
    { name: 'foreign Host (DNS rebinding)', req: { path: '/v1/logs', headers: { ...pb, Host: `evil.example:${0}` }, body: logs }, status: 421, re: /Host/ },
    { name: 'unknown path', req: { path: '/v1/profiles', headers: pb, body: logs }, status: 404, re: /no route/ },
    { name: 'GET on an OTLP path', req: { method: 'GET', path: '/v1/logs' }, status: 405, re: /POST/ },
    { name: 'API without token', req: { path: '/api/query', headers: { 'Content-Type': 'application/json' }, body: Buffer.from('{"method":"status"}') }, status: 401, re: /token/ },
    { name: 'gzip that is not gzip', req: { path: '/v1/logs', headers: { ...pb, 'Content-Encoding': 'gzip' }, body: logs }, status: 400, re: /gzip/ },
  ];
  for (const c of cases) {
    if (c.req.headers?.Host) c.req.headers.Host = `evil.example:${server.port}`;
    const r = await request(c.req);
    assert.equal(r.status, c.status, `${c.name}: status (${r.body.toString()})`);
    const text = r.headers['content-type']?.includes('protobuf') ? r.body.toString('latin1') : r.body.toString();
    assert.match(text, c.re, `${c.name}: message`);
    assert.equal(r.headers['access-control-allow-origin'], undefined, 'never CORS');
  }
  const ok = await request({ path: '/v1/logs', headers: pb, body: logs });
  assert.equal(ok.status, 200, 'still serving');
});

test('a gzip bomb (1 GB inflated) is cut off while inflating with 413', async () => {
  // 1 GiB of zeros compresses to ~1 MiB; build it by streaming so the test itself stays small.
  const { createGzip } = await import('node:zlib');
  const gz = createGzip({ level: 9 });
  const parts: Buffer[] = [];
  gz.on('data', (c: Buffer) => parts.push(c));
  const zeros = Buffer.alloc(16 * 1024 * 1024);
  for (let i = 0; i < 64; i++) if (!gz.write(zeros)) await new Promise((r) => gz.once('drain', r));
  await new Promise((r) => gz.end(r));
  const bomb = Buffer.concat(parts);
  assert.ok(bomb.length < 4 * 1024 * 1024, `bomb is ${bomb.length} bytes compressed`);
  const rssBefore = process.memoryUsage().rss;
  const r = await request({ path: '/v1/logs', headers: { 'Content-Type': 'application/x-protobuf', 'Content-Encoding': 'gzip' }, body: bomb });
  assert.equal(r.status, 413);
  assert.match(r.body.toString('latin1'), /decompressed body exceeds/);
  // The cap (8 MiB here) bounds what was held; a full inflate would have needed 1 GiB.
  assert.ok(process.memoryUsage().rss - rssBefore < 512 * 1024 * 1024, 'did not inflate the whole bomb');
  const ok = await request({ path: '/v1/logs', headers: { 'Content-Type': 'application/x-protobuf' }, body: fixture('a-plain-text', 'logs-001.bin') });
  assert.equal(ok.status, 200);
});

test('a 100 MB body gets 413 (read by the client before the connection closes)', async () => {
  const chunk = Buffer.alloc(1024 * 1024, 1);
  const r = await request({
    path: '/v1/metrics',
    headers: { 'Content-Type': 'application/x-protobuf' },
    body: async function* () {
      for (let i = 0; i < 100; i++) yield chunk;
    },
  });
  assert.equal(r.status, 413);
  assert.match(r.body.toString('latin1'), /exceeds/);
  const declared = await request({ path: '/v1/metrics', headers: { 'Content-Type': 'application/x-protobuf', 'Content-Length': String(100 * 1024 * 1024) }, body: Buffer.alloc(10) });
  assert.equal(declared.status, 413);
  const ok = await request({ path: '/v1/logs', headers: { 'Content-Type': 'application/x-protobuf' }, body: fixture('a-plain-text', 'logs-001.bin') });
  assert.equal(ok.status, 200);
});

test('internal API: health without token, queries and long-poll changes with it', { timeout: 60_000 }, async () => {
  const h = await request({ method: 'GET', path: '/api/health' });
  assert.equal(h.status, 200);
  const health = JSON.parse(h.body.toString());
  assert.equal(health.app, 'claude-code-ledger');
  const auth = { Authorization: `Bearer ${TOKEN}`, 'Content-Type': 'application/json' };
  const q = await request({ path: '/api/query', headers: auth, body: Buffer.from(JSON.stringify({ method: 'summary', params: { range: { key: 'all' } } })) });
  assert.equal(q.status, 200, q.body.toString());
  const { result } = JSON.parse(q.body.toString());
  assert.equal(result.costUsd, (await summaryAll()).costUsd);
  const bad = await request({ path: '/api/query', headers: auth, body: Buffer.from('{"method":"dropEverything"}') });
  assert.equal(bad.status, 400);
  // A change wakes a PARKED long poll: the server reports the poll parked before anything is ingested,
  // and the poll is held for an hour (LONG_POLL_MS) while this test gives up after 60 s, so only the
  // wake-up can answer it.
  const since = server.dataVersion;
  const parked = new Promise<'parked'>((resolve) => {
    const off = server.onDidParkPoll(() => {
      off();
      resolve('parked');
    });
  });
  const waiting = request({ method: 'GET', path: `/api/changes?since=${since}`, headers: auth });
  assert.equal(await Promise.race([parked, waiting.then(() => 'answered at once' as const)]), 'parked');
  assert.equal(server.parkedPolls, 1);
  const ingested = await request({ path: '/v1/logs', headers: { 'Content-Type': 'application/x-protobuf' }, body: fixture('c-denied-tool', 'logs-001.bin') });
  assert.equal(ingested.status, 200);
  const changed = await waiting;
  assert.equal(changed.status, 200);
  assert.ok(JSON.parse(changed.body.toString()).dataVersion > since);
  assert.equal(server.parkedPolls, 0);
  const withOrigin = await request({ method: 'GET', path: '/api/health', headers: { Origin: 'http://127.0.0.1' } });
  assert.equal(withOrigin.status, 403);
});
