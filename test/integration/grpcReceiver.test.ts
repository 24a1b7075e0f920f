// The OTLP/gRPC receiver over loopback with real peers: the official OpenTelemetry JS gRPC exporters
// (gzip, with user headers as metadata), @grpc/grpc-js' own client sending genuine Claude Code payloads,
// and raw HTTP/2 (test/support/grpcRaw.ts) for bad input. The store behind it is the real StoreClient
// (worker thread + journal) in a temporary directory, shared with an OTLP/HTTP server so both
// transports are compared on the same payloads.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type * as http2 from 'node:http2';
import { spawn } from 'node:child_process';
import * as net from 'node:net';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createGzip } from 'node:zlib';
import * as grpc from '@grpc/grpc-js';
import { LoggerProvider, SimpleLogRecordProcessor } from '@opentelemetry/sdk-logs';
import { MeterProvider, PeriodicExportingMetricReader, AggregationTemporality } from '@opentelemetry/sdk-metrics';
import { BasicTracerProvider, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { context, trace as traceApi } from '@opentelemetry/api';
import { CompressionAlgorithm } from '@opentelemetry/otlp-exporter-base';
import { OTLPLogExporter } from '@opentelemetry/exporter-logs-otlp-grpc';
import { OTLPMetricExporter } from '@opentelemetry/exporter-metrics-otlp-grpc';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-grpc';
import { memoryLogger } from '../../src/core/log';
import { otlpTypes } from '../../src/core/otlp/otlpSchema';
import { StoreClient } from '../../src/server/storeClient';
import type { IngestSink } from '../../src/server/ingest';
import { startGrpcIfEnabled } from '../../src/server/grpc/grpcLoader';
import { startGrpcReceiver, type GrpcReceiver } from '../../src/server/grpc/otlpService';
import { OTLP_GRPC_METHODS } from '../../src/server/grpc/grpcAnswer';
import { grpcRaw } from '../support/grpcRaw';
import { CLI, freePort, startServe, stopServe, summaryOf, TEST_TOKEN } from '../support/ledgerCli';
import { postOtlp } from '../support/postOtlp';

const ROOT = join(__dirname, '..', '..');
const LIMITS = { maxDecompressedBytes: 8 * 1024 * 1024, bodyTimeoutMs: 30_000 };
let dir: string;
let store: StoreClient;
let receiver: GrpcReceiver;
const log = memoryLogger();
/** What the store acknowledged per signal (the exporters only log a failed export). */
const acked: Record<string, { requests: number; accepted: number; rejected: number }> = {};

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'ledger-grpc-'));
  store = await StoreClient.open({ dataDir: dir, workerPath: join(ROOT, 'dist', 'dbWorker.js') });
  const recording: IngestSink = {
    ingest: async (signal, encoding, body) => {
      const r = await store.ingest(signal, encoding, body);
      acked[signal] ??= { requests: 0, accepted: 0, rejected: 0 };
      acked[signal].requests++;
      acked[signal].accepted += r.accepted;
      acked[signal].rejected += r.rejected;
      return r;
    },
  };
  receiver = await startGrpcReceiver({ port: 0, sink: recording, log, limits: LIMITS });
});

after(async () => {
  await receiver?.close();
  await store?.close();
  rmSync(dir, { recursive: true, force: true });
});

const fixture = (scenario: string, file: string) => readFileSync(join(ROOT, 'test', 'fixtures', 'claude-code-otlp', scenario, file));
const identity = (b: Buffer) => b;

/** Wraps node:http2's connect (which grpc-js calls at connect time) to record each request's headers. */
function recordHttp2RequestHeaders(): { headers: http2.OutgoingHttpHeaders[]; stop(): void } {
  const headers: http2.OutgoingHttpHeaders[] = [];
  // The CommonJS module object (what grpc-js requires), not the ESM namespace, whose exports are read-only.
  const mod = require('node:http2') as { connect: typeof http2.connect };
  const original = mod.connect;
  mod.connect = ((...args: Parameters<typeof http2.connect>) => {
    const session = original(...args);
    const request = session.request.bind(session);
    session.request = (h?: http2.OutgoingHttpHeaders, o?: http2.ClientSessionRequestOptions) => {
      headers.push({ ...h });
      return request(h, o);
    };
    return session;
  }) as typeof http2.connect;
  return { headers, stop: () => void (mod.connect = original) };
}

/** @grpc/grpc-js' client with identity (de)serializers: the exact bytes, optionally gzip on the wire. */
function grpcJsCall(path: string, message: Buffer, gzip: boolean, authority?: string): Promise<Buffer> {
  const options: grpc.ChannelOptions = {};
  if (gzip) options['grpc.default_compression_algorithm'] = grpc.compressionAlgorithms.gzip;
  if (authority) options['grpc.default_authority'] = authority;
  const client = new grpc.Client(`127.0.0.1:${receiver.port}`, grpc.credentials.createInsecure(), options);
  return new Promise<Buffer>((resolve, reject) => {
    client.makeUnaryRequest(path, identity, identity, message, (err, resp) => {
      client.close();
      if (err) reject(err);
      else resolve(resp ?? Buffer.alloc(0));
    });
  });
}

test('real OTel JS gRPC exporters (gzip, user headers as metadata) deliver logs, metrics and traces', async () => {
  const url = `http://127.0.0.1:${receiver.port}`;
  // The server cannot tell (grpc-js strips grpc-encoding before the handler), so the request headers the
  // exporters' grpc-js client hands to node:http2 are recorded, to prove gzip was asked for on the wire.
  const sent = recordHttp2RequestHeaders();
  // What OTEL_EXPORTER_OTLP_HEADERS / otelHeadersHelper would add: ignored by the receiver, never fatal.
  const metadata = new grpc.Metadata();
  metadata.set('authorization', 'Bearer their-collector-token');
  metadata.set('x-team', 'platform');
  const compression = CompressionAlgorithm.GZIP;
  const before = { ...acked };
  const resource = resourceFromAttributes({ 'service.name': 'grpc-exporter-test' });
  const loggerProvider = new LoggerProvider({ resource, processors: [new SimpleLogRecordProcessor({ exporter: new OTLPLogExporter({ url, compression, metadata }) })] });
  const logger = loggerProvider.getLogger('test');
  for (let i = 0; i < 5; i++) logger.emit({ body: `hello ${i}`, attributes: { 'event.name': 'custom_event', i } });
  await loggerProvider.forceFlush();
  await loggerProvider.shutdown();

  const exporter = new OTLPMetricExporter({ url, compression, metadata, temporalityPreference: AggregationTemporality.DELTA });
  const meterProvider = new MeterProvider({ resource, readers: [new PeriodicExportingMetricReader({ exporter, exportIntervalMillis: 60_000 })] });
  const meter = meterProvider.getMeter('test');
  meter.createCounter('test.counter').add(3, { k: 'a' });
  meter.createCounter('test.counter').add(4, { k: 'b' });
  meter.createHistogram('test.hist').record(12);
  await meterProvider.forceFlush();
  await meterProvider.shutdown();

  const tracerProvider = new BasicTracerProvider({ resource, spanProcessors: [new SimpleSpanProcessor(new OTLPTraceExporter({ url, compression, metadata }))] });
  const tracer = tracerProvider.getTracer('test');
  const parent = tracer.startSpan('parent');
  tracer.startSpan('child', {}, traceApi.setSpan(context.active(), parent)).end();
  parent.end();
  await tracerProvider.forceFlush();
  await tracerProvider.shutdown();

  sent.stop();
  const exports = sent.headers.filter((h) => String(h[':path']).endsWith('/Export'));
  assert.ok(exports.length >= 3 && exports.every((h) => h['grpc-encoding'] === 'gzip'), `gzip on every export: ${JSON.stringify(exports.map((h) => h['grpc-encoding']))}`);
  assert.ok(exports.every((h) => h.authorization === 'Bearer their-collector-token'), 'the user headers were sent (and ignored)');
  const got = (s: string) => (acked[s]?.accepted ?? 0) - (before[s]?.accepted ?? 0);
  assert.deepEqual({ logs: got('logs'), metrics: got('metrics'), traces: got('traces') }, { logs: 5, metrics: 3, traces: 2 }, JSON.stringify(acked));
  const s = await store.query('summary', { range: { key: 'all' } });
  assert.equal(s.costUsd, 0, 'not Claude Code: stored generically, never as spend');
  assert.ok(!log.lines.some((l) => l.startsWith('error') || l.startsWith('warn')), log.lines.join('\n'));
});

test('genuine Claude Code payloads over gRPC (plain and gzip) are acknowledged and counted once, like over HTTP', async () => {
  const before = await store.query('summary', { range: { key: 'all' } });
  const logs = fixture('b-write-edit-bash', 'logs-001.bin');
  const metrics = fixture('b-write-edit-bash', 'metrics-001.bin');
  const traces = fixture('b-write-edit-bash', 'traces-001.bin');
  assert.equal((await grpcJsCall(OTLP_GRPC_METHODS.logs, logs, false)).length, 0, 'empty ExportLogsServiceResponse');
  assert.equal((await grpcJsCall(OTLP_GRPC_METHODS.metrics, metrics, true)).length, 0);
  assert.equal((await grpcJsCall(OTLP_GRPC_METHODS.traces, traces, true)).length, 0);
  // The exporter retries: the same payload again counts once.
  await grpcJsCall(OTLP_GRPC_METHODS.logs, logs, true);
  const after = await store.query('summary', { range: { key: 'all' } });
  // The same figures as receiver.test.ts asserts for this payload over OTLP/HTTP.
  assert.ok(Math.abs(after.costUsd - before.costUsd - 0.05503999999999999) < 1e-12, `cost ${after.costUsd - before.costUsd}`);
  assert.equal(after.requests - before.requests, 4);
});

test('partial success: invalid items are counted in the ExportTraceServiceResponse, the rest kept', async () => {
  const t = otlpTypes();
  const span = (traceId: Buffer, name: string) => ({ traceId, spanId: Buffer.from('b36f90035860e3cb', 'hex'), name, startTimeUnixNano: 1, endTimeUnixNano: 2 });
  const body = Buffer.from(
    t.traceRequest.encode({ resourceSpans: [{ scopeSpans: [{ spans: [span(Buffer.from('abc'), 'bad'), span(Buffer.from('9ebecb1e5ed9fa26f20be1c91c0a206d', 'hex'), 'good')] }] }] }).finish(),
  );
  const resp = await grpcJsCall(OTLP_GRPC_METHODS.traces, body, true);
  const decoded = t.traceResponse.toObject(t.traceResponse.decode(resp), { longs: Number }) as { partialSuccess?: { rejectedSpans?: number; errorMessage?: string } };
  assert.equal(decoded.partialSuccess?.rejectedSpans, 1);
  assert.match(decoded.partialSuccess?.errorMessage ?? '', /trace id/);
});

async function gzipBomb(): Promise<Buffer> {
  // 1 GiB of zeros is ~1 MiB of gzip: under the wire cap, far over the inflated cap (8 MiB here).
  const gz = createGzip({ level: 9 });
  const parts: Buffer[] = [];
  gz.on('data', (c: Buffer) => parts.push(c));
  const zeros = Buffer.alloc(16 * 1024 * 1024);
  for (let i = 0; i < 64; i++) if (!gz.write(zeros)) await new Promise((r) => gz.once('drain', r));
  await new Promise((r) => gz.end(r));
  return Buffer.concat(parts);
}

test('bad input over gRPC: each refused with its status and a message, the receiver alive afterwards', async () => {
  const logs = fixture('b-write-edit-bash', 'logs-001.bin');
  const traces = fixture('b-write-edit-bash', 'traces-001.bin');
  const bomb = await gzipBomb();
  assert.ok(bomb.length < LIMITS.maxDecompressedBytes, `bomb is ${bomb.length} bytes compressed`);
  const S = grpc.status;
  // grpc-js' client where it can send the case; raw HTTP/2 for bytes it would never produce.
  const viaClient = (path: string, msg: Buffer, o: { gzip?: boolean; authority?: string } = {}) => async () => {
    try {
      await grpcJsCall(path, msg, o.gzip ?? false, o.authority);
      return { code: S.OK, message: '' };
    } catch (err) {
      return { code: (err as grpc.ServiceError).code, message: (err as grpc.ServiceError).details };
    }
  };
  const viaRaw = (path: string, msg: Buffer, o: Parameters<typeof grpcRaw>[3]) => () => grpcRaw(receiver.port, path, msg, o);
  const cases: { name: string; send: () => Promise<{ code: number; message: string }>; code: number; re: RegExp }[] = [
    { name: 'truncated protobuf', send: viaClient(OTLP_GRPC_METHODS.logs, logs.subarray(0, logs.length - 9)), code: S.INVALID_ARGUMENT, re: /protobuf|runs past/ },
    { name: 'truncated protobuf, gzip', send: viaClient(OTLP_GRPC_METHODS.logs, logs.subarray(0, logs.length - 9), { gzip: true }), code: S.INVALID_ARGUMENT, re: /protobuf|runs past/ },
    { name: 'random bytes', send: viaClient(OTLP_GRPC_METHODS.metrics, Buffer.from([0x0a, 0xff, 0xff, 0xff, 0x0f, 1, 2, 3])), code: S.INVALID_ARGUMENT, re: /protobuf|runs past/ },
    { name: 'valid protobuf of the wrong message (traces to LogsService)', send: viaClient(OTLP_GRPC_METHODS.logs, traces), code: S.INVALID_ARGUMENT, re: /wrong path/ },
    { name: 'over the inflated cap (8 MiB), uncompressed', send: viaClient(OTLP_GRPC_METHODS.logs, Buffer.alloc(10 * 1024 * 1024, 1)), code: S.RESOURCE_EXHAUSTED, re: /larger than max \(10485760 vs 8388608\)/ },
    { name: 'over the inflated cap (8 MiB), gzip', send: viaClient(OTLP_GRPC_METHODS.logs, Buffer.alloc(10 * 1024 * 1024, 1), { gzip: true }), code: S.RESOURCE_EXHAUSTED, re: /decompresses to a size larger than 8388608/ },
    { name: 'gzip bomb (1 GiB inflated)', send: viaRaw(OTLP_GRPC_METHODS.logs, Buffer.alloc(0), { compressed: bomb }), code: S.RESOURCE_EXHAUSTED, re: /decompresses to a size larger than 8388608/ },
    { name: 'gzip flag on bytes that are not gzip', send: viaRaw(OTLP_GRPC_METHODS.logs, Buffer.alloc(0), { compressed: logs }), code: S.INTERNAL, re: /decompress/ },
    { name: 'unknown method', send: viaClient('/opentelemetry.proto.collector.profiles.v1development.ProfilesService/Export', logs), code: S.UNIMPLEMENTED, re: /ProfilesService/ },
    { name: 'foreign :authority (DNS rebinding)', send: viaClient(OTLP_GRPC_METHODS.logs, logs, { authority: `evil.example:${receiver.port}` }), code: S.PERMISSION_DENIED, re: /evil\.example.*is not this server/ },
  ];
  const rssBefore = process.memoryUsage().rss;
  for (const c of cases) {
    const r = await c.send();
    assert.equal(r.code, c.code, `${c.name}: status ${r.code} (${r.message})`);
    assert.match(r.message, c.re, `${c.name}: message`);
    // Alive afterwards: a good request still gets OK.
    const ok = await grpcRaw(receiver.port, OTLP_GRPC_METHODS.logs, fixture('a-plain-text', 'logs-001.bin'));
    assert.equal(ok.code, S.OK, `after ${c.name}: ${ok.message}`);
  }
  assert.ok(process.memoryUsage().rss - rssBefore < 512 * 1024 * 1024, 'did not inflate the whole bomb');
});

test('a sender that stalls mid-message is answered DEADLINE_EXCEEDED after the time cap (slowloris), others unaffected', async () => {
  const r2 = await startGrpcReceiver({ port: 0, sink: store, log: memoryLogger(), limits: { ...LIMITS, bodyTimeoutMs: 300 } });
  try {
    const logs = fixture('a-plain-text', 'logs-001.bin');
    const stalled = grpcRaw(r2.port, OTLP_GRPC_METHODS.logs, logs, { stallAfter: 10 });
    // A normal call meanwhile is answered (the cap is per call, and the store's time is not counted).
    assert.equal((await grpcRaw(r2.port, OTLP_GRPC_METHODS.logs, logs)).code, grpc.status.OK);
    const r = await stalled;
    assert.equal(r.code, grpc.status.DEADLINE_EXCEEDED, r.message);
    assert.match(r.message, /did not arrive within 300 ms/);
    assert.equal((await grpcRaw(r2.port, OTLP_GRPC_METHODS.logs, logs)).code, grpc.status.OK, 'alive afterwards');
  } finally {
    await r2.close();
  }
});

test('a store that cannot take the data answers UNAVAILABLE (not acknowledged, the exporter retries)', async () => {
  // A second receiver over a closed store: the worker is gone, so ingest fails before any journal write.
  const d = mkdtempSync(join(tmpdir(), 'ledger-grpc-closed-'));
  const closed = await StoreClient.open({ dataDir: d, workerPath: join(ROOT, 'dist', 'dbWorker.js') });
  await closed.close();
  const r2 = await startGrpcReceiver({ port: 0, sink: closed, log: memoryLogger(), limits: LIMITS });
  try {
    const r = await grpcRaw(r2.port, OTLP_GRPC_METHODS.logs, fixture('a-plain-text', 'logs-001.bin'));
    assert.equal(r.code, grpc.status.UNAVAILABLE, r.message);
    assert.match(r.message, /could not accept/);
  } finally {
    await r2.close();
    rmSync(d, { recursive: true, force: true });
  }
});

test('gRPC port in use: a clear message, no throw (the leader keeps OTLP/HTTP)', async () => {
  const blocker = net.createServer();
  await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', r));
  const port = (blocker.address() as net.AddressInfo).port;
  const l = memoryLogger();
  try {
    const started = await startGrpcIfEnabled({ port, sink: store, log: l, limits: LIMITS, load: async () => import('../../src/server/grpc/otlpService') });
    assert.equal(started.receiver, undefined);
    assert.equal(started.state.kind, 'failed');
    assert.match(started.state.kind === 'failed' ? started.state.message : '', new RegExp(`port ${port} on 127.0.0.1 is already in use.*claudeLedger.grpcPort`));
    assert.ok(l.lines.some((x) => x.startsWith('error [grpc] OTLP/gRPC is not listening') && x.includes('OTLP/HTTP keeps working')), l.lines.join('\n'));
    const off = await startGrpcIfEnabled({ port: 0, sink: store, log: l, limits: LIMITS, load: () => Promise.reject(new Error('must not load when off')) });
    assert.deepEqual(off.state, { kind: 'off' });
  } finally {
    blocker.close();
  }
});

test('cli.js serve --grpc-port: genuine payloads over gRPC land in the headless store; a taken gRPC port leaves HTTP working', { timeout: 120_000 }, async () => {
  const d = mkdtempSync(join(tmpdir(), 'ledger-grpc-serve-'));
  const port = await freePort();
  const grpcPort = await freePort();
  const child = await startServe(port, join(d, 'a'), ['--grpc-port', String(grpcPort)]);
  try {
    for (const s of ['logs', 'metrics', 'traces'] as const) {
      const r = await grpcRaw(grpcPort, OTLP_GRPC_METHODS[s], fixture('b-write-edit-bash', `${s}-001.bin`), { gzip: true });
      assert.equal(r.code, grpc.status.OK, `${s}: ${r.message}`);
    }
    const s = await summaryOf(port);
    assert.ok(Math.abs(s.costUsd - 0.05503999999999999) < 1e-12, `cost ${s.costUsd}`);
  } finally {
    await stopServe(child);
  }
  // The gRPC port is taken: serve still starts, says why gRPC is off, and OTLP/HTTP ingests.
  const blocker = net.createServer();
  await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', r));
  const taken = (blocker.address() as net.AddressInfo).port;
  const serve = spawn(process.execPath, [CLI, 'serve', '--port', String(port), '--data', join(d, 'b'), '--token', TEST_TOKEN, '--grpc-port', String(taken)], { stdio: ['ignore', 'pipe', 'pipe'] });
  try {
    let out = '';
    let err = '';
    serve.stderr!.on('data', (c: Buffer) => (err += c.toString()));
    await new Promise<void>((resolve, reject) => {
      serve.stdout!.on('data', (c: Buffer) => {
        out += c.toString();
        if (out.includes('listening on')) resolve();
      });
      serve.once('exit', (code) => reject(new Error(`serve exited (${code}): ${err}`)));
    });
    assert.match(err, new RegExp(`OTLP/gRPC is not listening: port ${taken} on 127\\.0\\.0\\.1 is already in use.*OTLP/HTTP keeps working`));
    assert.doesNotMatch(out, /OTLP\/gRPC listening/);
    assert.equal(await postOtlp(port, '/v1/logs', fixture('a-plain-text', 'logs-001.bin')), 200);
  } finally {
    await stopServe(serve);
    blocker.close();
    rmSync(d, { recursive: true, force: true });
  }
});
