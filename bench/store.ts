// Store benchmark (not a test): `npm run bench` calls runStoreBench(log); or run directly with
// `node --import tsx bench/store.ts [maxEvents]` after `node esbuild.mjs`.
// Events are synthesized from real Claude Code payloads (h-long-session, OTLP/JSON shape): each copy
// gets its own session id and request ids and is shifted in time (every *[Tt]imeUnixNano, spread over 60 days), and copies are
// grouped ~20 per request (about 1,400 records, like an exporter batch).
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { decodeAndNormalize } from '../src/core/otlp/ingest';
import { DEFAULT_INGEST_OPTIONS, type NormRecord, type Signal } from '../src/core/otlp/records';
import { LedgerDb, loadSqlJs } from '../src/core/store/ledgerDb';
import type { QueryMethods, QueryName } from '../src/protocol/dto';
import { StoreClient } from '../src/server/storeClient';

const ROOT = path.resolve(__dirname, '..');
const SCENARIO = path.join(ROOT, 'test/fixtures/claude-code-otlp/h-long-session');
const COPIES_PER_REQUEST = 20;
const DAY_NS = 86_400_000_000_000n;
/** Journal size before a snapshot, for the bench: the default (16 MB) would snapshot a 1M DB ~100 times. */
const BENCH_JOURNAL_BYTES = 256 * 1024 * 1024;

type Log = (line: string) => void;
interface Template {
  signal: Signal;
  json: string;
}

export function templates(): { list: Template[]; sessionId: string; recordsPerCopy: number } {
  const index = readFileSync(path.join(SCENARIO, 'index.jsonl'), 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as { file: string; signal: Signal });
  const list = index.map((e) => ({ signal: e.signal, json: readFileSync(path.join(SCENARIO, e.file.replace(/\.bin$/, '.decoded.json')), 'utf8') }));
  const sessionId = JSON.parse(readFileSync(path.join(SCENARIO, 'ground-truth.json'), 'utf8')).sessions.ids[0] as string;
  let recordsPerCopy = 0;
  for (const t of list) recordsPerCopy += decodeAndNormalize(t.signal, 'json', Buffer.from(t.json), DEFAULT_INGEST_OPTIONS).records.length;
  return { list, sessionId, recordsPerCopy };
}

/** One request body per signal holding `copies` shifted copies (resource-level arrays concatenated). */
export function synthesize(t: Template, sessionId: string, first: number, copies: number, totalCopies: number, nowNs: bigint): Buffer {
  const key = t.signal === 'logs' ? 'resourceLogs' : t.signal === 'metrics' ? 'resourceMetrics' : 'resourceSpans';
  const parts: unknown[] = [];
  for (let c = first; c < first + copies; c++) {
    const shift = nowNs - 1_795_290_420_000_000_000n - (BigInt(c) * 60n * DAY_NS) / BigInt(totalCopies);
    const s = t.json
      .split(sessionId).join(`bench-${String(c).padStart(8, '0')}-0000-0000-000000000000`)
      .split('req_fake').join(`req_${c.toString(36)}_`)
      .replace(/"(\w*[Tt]imeUnixNano)": "(\d+)"/g, (_m, k: string, v: string) => `"${k}": "${BigInt(v) + shift}"`);
    parts.push(...(JSON.parse(s)[key] as unknown[]));
  }
  return Buffer.from(JSON.stringify({ [key]: parts }));
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const fmt = (n: number, d = 1) => n.toFixed(d);

/** Bare sql.js: the same records as rows of one 18-column table, prepared inserts, 1,000 per transaction. */
export async function bareInsertRate(batches: NormRecord[][]): Promise<number> {
  const SQL = await loadSqlJs(path.join(ROOT, 'dist/sql-wasm.wasm'));
  const db = new SQL.Database();
  db.exec(`CREATE TABLE ev (kind TEXT, name TEXT, session TEXT, time_ms REAL, model TEXT, cost REAL, input INT, output INT, cache_read INT,
    cache_creation INT, duration REAL, tool TEXT, path TEXT, trace TEXT, span TEXT, seq INT, value REAL, extra TEXT)`);
  const st = db.prepare('INSERT INTO ev VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)');
  const t0 = performance.now();
  let n = 0;
  db.exec('BEGIN');
  for (const b of batches) {
    for (const r of b) {
      const a = r as unknown as Record<string, unknown>;
      st.run([r.kind, r.name, r.sessionId, (a.timeMs ?? a.startMs) as number, (a.modelNorm ?? null) as string | null, (a.costUsd ?? null) as number | null,
        (a.inputTokens ?? null) as number | null, (a.outputTokens ?? null) as number | null, (a.cacheReadTokens ?? null) as number | null,
        (a.cacheCreationTokens ?? null) as number | null, (a.durationMs ?? null) as number | null, (a.toolName ?? null) as string | null,
        (a.filePath ?? null) as string | null, (a.traceId ?? null) as string | null, (a.spanId ?? null) as string | null,
        (a.sequence ?? null) as number | null, (a.value ?? null) as number | null, null]);
      if (++n % 1000 === 0) {
        db.exec('COMMIT');
        db.exec('BEGIN');
      }
    }
  }
  db.exec('COMMIT');
  const rate = n / ((performance.now() - t0) / 1000);
  st.free();
  db.close();
  return rate;
}

/** The store's own apply (idempotency keys, interning, rollups) on the same records, no journal, no decode. */
export async function applyOnlyRate(batches: NormRecord[][]): Promise<number> {
  const db = LedgerDb.open(await loadSqlJs(path.join(ROOT, 'dist/sql-wasm.wasm')));
  const t0 = performance.now();
  let n = 0;
  for (const b of batches) n += db.apply(b).applied;
  const rate = n / ((performance.now() - t0) / 1000);
  db.close();
  return rate;
}

async function runSize(log: Log, target: number): Promise<void> {
  const { list, sessionId, recordsPerCopy } = templates();
  const copies = Math.ceil(target / recordsPerCopy);
  const nowNs = BigInt(Date.now()) * 1_000_000n;
  log(`-- ${target.toLocaleString()} events: ${copies} copies of h-long-session (${recordsPerCopy} records each), ${COPIES_PER_REQUEST} copies per request`);
  const dataDir = mkdtempSync(path.join(tmpdir(), 'ledger-bench-'));
  const workerPath = path.join(ROOT, 'dist/dbWorker.js');
  const rss0 = process.memoryUsage().rss;
  const store = await StoreClient.open({ dataDir, workerPath, snapshot: { journalBytes: BENCH_JOURNAL_BYTES, idleMs: 3_600_000 } });
  let records = 0;
  let synthMs = 0;
  let ingestMs = 0;
  const bare: NormRecord[][] = [];
  for (let c = 0; c < copies; c += COPIES_PER_REQUEST) {
    const n = Math.min(COPIES_PER_REQUEST, copies - c);
    for (const t of list) {
      const s0 = performance.now();
      const body = synthesize(t, sessionId, c, n, copies, nowNs);
      if (bare.length < 60) bare.push(decodeAndNormalize(t.signal, 'json', body, DEFAULT_INGEST_OPTIONS).records); // sample for the bare rate
      const s1 = performance.now();
      synthMs += s1 - s0;
      const r = await store.ingest(t.signal, 'json', body);
      ingestMs += performance.now() - s1;
      records += r.accepted;
    }
  }
  // Main-thread stall: bodies are synthesized first (that is the bench's own work), then the main
  // thread only posts them while the worker ingests, and then snapshots the whole database.
  const extra: { signal: Signal; body: Buffer }[] = [];
  for (let c = copies; c < copies + 10 * COPIES_PER_REQUEST; c += COPIES_PER_REQUEST) {
    for (const t of list) extra.push({ signal: t.signal, body: synthesize(t, sessionId, c, COPIES_PER_REQUEST, copies, nowNs) });
  }
  const h = monitorEventLoopDelay({ resolution: 5 });
  h.enable();
  await Promise.all(extra.map((e) => store.ingest(e.signal, 'json', e.body)));
  const s0 = performance.now();
  await store.snapshotNow();
  const snapMs = performance.now() - s0;
  await new Promise((r) => setTimeout(r, 20));
  h.disable();
  extra.length = 0;
  (globalThis as { gc?: () => void }).gc?.();
  const rss1 = process.memoryUsage().rss;
  const stats = await store.stats();
  const rate = records / (ingestMs / 1000);
  const bareRate = await bareInsertRate(bare);
  const applyRate = await applyOnlyRate(bare);
  log(`ingest with journal (decode JSON + journal fsync + apply + rollups, via worker): ${fmt(rate, 0)} records/s (${records} records in ${fmt(ingestMs / 1000)} s; synthesis ${fmt(synthMs / 1000)} s not counted)`);
  log(`bare sql.js prepared inserts of the same rows (no index, tx of 1000): ${fmt(bareRate, 0)} rows/s -> ratio ${fmt(rate / bareRate, 2)}x   [goal >= 0.5x]`);
  log(`store apply alone on the same rows (keys, interning, rollups; no decode, no journal): ${fmt(applyRate, 0)} rows/s -> ratio ${fmt(applyRate / bareRate, 2)}x`);
  log(`final snapshot: ${fmt(snapMs, 0)} ms (in the worker; DB ${fmt(stats.dbBytes / 1048576, 0)} MB)`);
  log(`longest main-thread stall during ingest + snapshot: ${fmt(h.max / 1e6)} ms (p99 ${fmt(h.percentile(99) / 1e6)} ms)   [goal <= 50 ms]`);
  const timings: string[] = [];
  const queries: { [M in QueryName]: QueryMethods[M]['params'] } = {
    status: {},
    summary: { range: { key: '30d' }, groupBy: 'model' },
    costSeries: { range: { key: '30d' }, bucket: 'day' },
    sessions: { range: { key: '7d' }, sort: 'cost', limit: 50 },
    sessionTimeline: { sessionId: 'current' },
    filesEdited: { range: { key: '30d' } },
    acceptance: { range: { key: '30d' } },
    toolStats: { range: { key: '30d' } },
    productivity: { range: { key: '30d' } },
    apiErrors: { range: { key: '30d' } },
    burnRate: { dailyBudgetUsd: 10, monthlyBudgetUsd: 100 },
    prices: {},
    planLimits: {},
    activityBlocks: { range: { key: '7d' } },
  };
  for (const [name, params] of Object.entries(queries) as [QueryName, never][]) {
    const xs: number[] = [];
    for (let i = 0; i < 15; i++) {
      const t0 = performance.now();
      await store.query(name, params);
      xs.push(performance.now() - t0);
    }
    timings.push(`${name} ${fmt(median(xs), 2)}`);
    if (name === 'status') log(`status query (round trip from the main thread): p50 ${fmt(median(xs), 2)} ms   [goal <= 2 ms]`);
  }
  log(`named queries p50 ms (round trip) [goal <= 50 ms each]: ${timings.join(', ')}`);
  const summary = await store.query('summary', { range: { key: 'all' } });
  log(`check: ${summary.requests} requests, ${summary.sessions} sessions, $${fmt(summary.costUsd, 2)} (expected ${(copies + 10 * COPIES_PER_REQUEST) * 7} requests, ${copies + 10 * COPIES_PER_REQUEST} sessions)`);
  await store.close();
  const t0 = performance.now();
  const again = await StoreClient.open({ dataDir, workerPath });
  await again.query('status', {});
  const startMs = performance.now() - t0;
  log(`start to first answer (worker start, load snapshot, status query): ${fmt(startMs, 0)} ms   [goal <= 1500 ms]`);
  await again.close();
  const perM = ((rss1 - rss0) / records) * 1e6;
  const workerMem = stats.heapUsedBytes + stats.externalBytes;
  log(`memory: DB worker heap+external ${fmt(workerMem / 1048576, 0)} MB for ${records.toLocaleString()} records -> ${fmt((workerMem / records) * 1e6 / 1048576, 0)} MB per 1M   [goal <= 250 MB]`);
  log(`memory: process RSS +${fmt((rss1 - rss0) / 1048576, 0)} MB (includes the bench's own synthesis garbage) -> ${fmt(perM / 1048576, 0)} MB per 1M`);
  rmSync(dataDir, { recursive: true, force: true });
}

export async function runStoreBench(log: Log, sizes: number[] = [100_000, 1_000_000]): Promise<void> {
  log('== store benchmark');
  for (const n of sizes) await runSize(log, n);
}

if (require.main === module) {
  const max = Number(process.argv[2] ?? 1_000_000);
  runStoreBench((l) => console.log(l), [100_000, 1_000_000].filter((n) => n <= max)).catch((err) => {
    console.error(err);
    process.exitCode = 1;
  });
}
