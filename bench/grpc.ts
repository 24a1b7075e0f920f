// OTLP/gRPC vs OTLP/HTTP ingest of the same payloads (not a test): `npm run bench` runs it as the
// `grpc` part, or `node --import tsx bench/run.ts grpc` after `node esbuild.mjs`.
// Payloads: every genuine Claude Code protobuf capture in test/fixtures/claude-code-otlp (logs,
// metrics, traces), sent one request at a time like an exporter, gzip on the wire for both
// transports (compressed per request by each client). Two sinks: a null sink (transport cost only;
// its bare baseline is ingestBody called directly) and the real store (worker, journal fsync, apply).
import * as http from 'node:http';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { gzipSync } from 'node:zlib';
import * as grpc from '@grpc/grpc-js';
import { memoryLogger } from '../src/core/log';
import type { Signal } from '../src/core/otlp/records';
import { OTLP_GRPC_METHODS } from '../src/server/grpc/grpcAnswer';
import { startGrpcReceiver } from '../src/server/grpc/otlpService';
import { startLedgerServer, type LedgerStore } from '../src/server/httpServer';
import { ingestBody, type IngestSink } from '../src/server/ingest';
import { StoreClient } from '../src/server/storeClient';

type Log = (line: string) => void;
const ROOT = path.resolve(__dirname, '..');
const FIXTURES = path.join(ROOT, 'test/fixtures/claude-code-otlp');

interface Payload {
  signal: Signal;
  body: Buffer;
}

function payloads(): Payload[] {
  const out: Payload[] = [];
  for (const scenario of readdirSync(FIXTURES, { withFileTypes: true })) {
    if (!scenario.isDirectory()) continue;
    for (const f of readdirSync(path.join(FIXTURES, scenario.name))) {
      const m = /^(logs|metrics|traces)-\d+\.bin$/.exec(f);
      if (!m) continue;
      const body = readFileSync(path.join(FIXTURES, scenario.name, f));
      // gzip captures (j-write-edit-bash-gzip) are stored as sent: inflate-free only.
      if (body[0] === 0x1f && body[1] === 0x8b) continue;
      out.push({ signal: m[1] as Signal, body });
    }
  }
  return out;
}

const nullSink: IngestSink = { ingest: async () => ({ accepted: 1, rejected: 0 }) };

function storeAsLedger(sink: IngestSink, store?: StoreClient): LedgerStore {
  return {
    ingest: (s, e, b) => sink.ingest(s, e, b),
    query: (m, p) => (store ? store.query(m, p) : Promise.reject(new Error('no store'))),
    onDidChange: (fn) => (store ? store.onDidChange(fn) : () => undefined),
    rows: (d, r, n) => (store ? store.rows(d as never, r, n) : (async function* () {})()),
    exportReplica: () => (store ? store.exportReplica() : Promise.reject(new Error('no store'))),
    audit: async () => undefined,
    describeSchema: () => (store ? store.describeSchema() : Promise.reject(new Error('no store'))),
  } as LedgerStore;
}

/** Sequential requests over one keep-alive connection per transport; returns requests per second. */
async function timeHttp(port: number, list: Payload[], rounds: number): Promise<number> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const post = (p: Payload) =>
    new Promise<void>((resolve, reject) => {
      const body = gzipSync(p.body);
      const req = http.request(
        { host: '127.0.0.1', port, method: 'POST', path: `/v1/${p.signal}`, agent, headers: { 'Content-Type': 'application/x-protobuf', 'Content-Encoding': 'gzip', 'Content-Length': body.length } },
        (res) => {
          res.resume();
          res.on('end', () => (res.statusCode === 200 ? resolve() : reject(new Error(`HTTP ${res.statusCode}`))));
        },
      );
      req.on('error', reject);
      req.end(body);
    });
  for (const p of list.slice(0, 10)) await post(p); // warm-up
  const t0 = performance.now();
  for (let r = 0; r < rounds; r++) for (const p of list) await post(p);
  const s = (performance.now() - t0) / 1000;
  agent.destroy();
  return (rounds * list.length) / s;
}

async function timeGrpc(port: number, list: Payload[], rounds: number): Promise<number> {
  const id = (b: Buffer) => b;
  const client = new grpc.Client(`127.0.0.1:${port}`, grpc.credentials.createInsecure(), { 'grpc.default_compression_algorithm': grpc.compressionAlgorithms.gzip });
  const call = (p: Payload) =>
    new Promise<void>((resolve, reject) => client.makeUnaryRequest(OTLP_GRPC_METHODS[p.signal], id, id, p.body, (err) => (err ? reject(err) : resolve())));
  for (const p of list.slice(0, 10)) await call(p);
  const t0 = performance.now();
  for (let r = 0; r < rounds; r++) for (const p of list) await call(p);
  const s = (performance.now() - t0) / 1000;
  client.close();
  return (rounds * list.length) / s;
}

async function bare(list: Payload[], rounds: number): Promise<number> {
  const t0 = performance.now();
  for (let r = 0; r < rounds; r++) for (const p of list) await ingestBody(nullSink, p.signal, 'protobuf', gzipSync(p.body));
  return (rounds * list.length) / ((performance.now() - t0) / 1000);
}

export async function runGrpcBench(log: Log): Promise<void> {
  const list = payloads();
  const bytes = list.reduce((n, p) => n + p.body.length, 0);
  log(`\n== OTLP/gRPC vs OTLP/HTTP ingest (${list.length} genuine Claude Code protobuf payloads, ${(bytes / 1024).toFixed(0)} KiB, gzip per request, one request in flight) ==`);
  const quiet = memoryLogger();
  const limits = { maxDecompressedBytes: 64 * 1024 * 1024, bodyTimeoutMs: 30_000 };

  // 1. Transport only (null sink). Bare baseline: ingestBody + the client's gzip, no transport.
  {
    const rounds = 40;
    const h = await startLedgerServer({ port: 0, token: 'bench-token', store: storeAsLedger(nullSink), log: quiet, mcp: { enabled: false } });
    const g = await startGrpcReceiver({ port: 0, sink: nullSink, log: quiet, limits });
    const base = await bare(list, rounds);
    const httpRate = await timeHttp(h.port, list, rounds);
    const grpcRate = await timeGrpc(g.port, list, rounds);
    log(`transport only (null sink): HTTP ${httpRate.toFixed(0)} req/s, gRPC ${grpcRate.toFixed(0)} req/s; gRPC/HTTP ${(grpcRate / httpRate).toFixed(2)}x; vs bare ingestBody+gzip (${base.toFixed(0)}/s): HTTP ${(httpRate / base).toFixed(3)}x, gRPC ${(grpcRate / base).toFixed(3)}x`);
    await g.close();
    await h.close();
  }

  // 2. The real store (worker, journal fsync, apply). Each transport gets its own fresh store.
  {
    const rounds = 3;
    const rates: Record<'http' | 'grpc', number> = { http: 0, grpc: 0 };
    for (const t of ['http', 'grpc'] as const) {
      const dir = mkdtempSync(path.join(tmpdir(), `ledger-bench-${t}-`));
      const store = await StoreClient.open({ dataDir: dir, workerPath: path.join(ROOT, 'dist/dbWorker.js') });
      try {
        if (t === 'http') {
          const h = await startLedgerServer({ port: 0, token: 'bench-token', store: storeAsLedger(store, store), log: quiet, mcp: { enabled: false } });
          rates.http = await timeHttp(h.port, list, rounds);
          await h.close();
        } else {
          const g = await startGrpcReceiver({ port: 0, sink: store, log: quiet, limits });
          rates.grpc = await timeGrpc(g.port, list, rounds);
          await g.close();
        }
      } finally {
        await store.close();
        rmSync(dir, { recursive: true, force: true });
      }
    }
    log(`real store (journal fsync per request): HTTP ${rates.http.toFixed(0)} req/s, gRPC ${rates.grpc.toFixed(0)} req/s; gRPC/HTTP ${(rates.grpc / rates.http).toFixed(2)}x`);
  }
}

if (require.main === module) {
  runGrpcBench((l) => process.stdout.write(`${l}\n`)).catch((err: unknown) => {
    process.stderr.write(`${(err as Error).stack ?? err}\n`);
    process.exitCode = 1;
  });
}
