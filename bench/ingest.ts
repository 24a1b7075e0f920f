// Ingest benchmark (not a test): the write path before and around the store, each figure beside its
// bare baseline measured in the same run on the same rows. `node --expose-gc --import tsx bench/run.ts
// ingest` after `node esbuild.mjs` (the DB worker runs from dist/).
//  (a) large batches (~1,400 records a request, like an exporter's full batch): end to end through the
//      real StoreClient + DB worker (decode, normalize, journal + fsync, apply, rollups), and each step
//      alone on the same bodies/rows: decode+normalize, journal append+fsync, the store's apply;
//  (b) Claude Code's real request sizes (each request one captured request of h-long-session, ~8
//      records) from several senders at once, each waiting for its answer like an exporter: group
//      commit's figure, with the fsync floor that bounds it;
// and the main thread's longest event-loop stall while the worker ingests.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { closeSync, fsyncSync, openSync, writeSync } from 'node:fs';
import { decodeAndNormalize } from '../src/core/otlp/ingest';
import { DEFAULT_INGEST_OPTIONS, type NormRecord, type Signal } from '../src/core/otlp/records';
import { JournalFile } from '../src/core/store/journal';
import { StoreClient } from '../src/server/storeClient';
import { applyOnlyRate, bareInsertRate, synthesize, templates } from './store';

type Log = (line: string) => void;

const ROOT = path.resolve(__dirname, '..');
const WORKER = path.join(ROOT, 'dist/dbWorker.js');
const fmt = (n: number, d = 1) => n.toFixed(d);
const k = (n: number) => `${fmt(n / 1000, 1)}k`;

interface Body {
  signal: Signal;
  body: Buffer;
}

/** Requests of `copiesPerRequest` shifted copies of h-long-session per template, about `target` records. */
function bodies(target: number, copiesPerRequest: number): { list: Body[]; recordsPerCopy: number } {
  const { list, sessionId, recordsPerCopy } = templates();
  const copies = Math.ceil(target / recordsPerCopy);
  const nowNs = BigInt(Date.now()) * 1_000_000n;
  const out: Body[] = [];
  for (let c = 0; c < copies; c += copiesPerRequest) {
    const n = Math.min(copiesPerRequest, copies - c);
    for (const t of list) out.push({ signal: t.signal, body: synthesize(t, sessionId, c, n, copies, nowNs) });
  }
  return { list: out, recordsPerCopy };
}

function normalizeAll(list: Body[]): NormRecord[][] {
  return list.map((b) => decodeAndNormalize(b.signal, 'json', b.body, DEFAULT_INGEST_OPTIONS).records);
}

const count = (batches: NormRecord[][]) => batches.reduce((n, b) => n + b.length, 0);

/** Main-thread event-loop delay while `fn` runs (the bench's own synthesis is done before). */
async function withStallMonitor<T>(fn: () => Promise<T>): Promise<{ value: T; maxMs: number; p99Ms: number }> {
  const h = monitorEventLoopDelay({ resolution: 5 });
  h.enable();
  const value = await fn();
  await new Promise((r) => setTimeout(r, 20));
  h.disable();
  return { value, maxMs: h.max / 1e6, p99Ms: h.percentile(99) / 1e6 };
}

/** Median latency of a small write + fsync in `dir` (the floor under any acknowledged write). */
function fsyncMs(dir: string): number {
  const file = path.join(dir, 'fsync-probe');
  const fd = openSync(file, 'a');
  const buf = Buffer.alloc(4096, 7);
  const xs: number[] = [];
  try {
    for (let i = 0; i < 40; i++) {
      const t0 = performance.now();
      writeSync(fd, buf);
      fsyncSync(fd);
      xs.push(performance.now() - t0);
    }
  } finally {
    closeSync(fd);
    rmSync(file, { force: true });
  }
  return xs.sort((a, b) => a - b)[Math.floor(xs.length / 2)];
}

async function largeBatches(log: Log, target: number): Promise<void> {
  const { list } = bodies(target, 240);
  const batches = normalizeAll(list);
  const records = count(batches);
  log(`-- large batches: ${records.toLocaleString()} records in ${list.length} OTLP/JSON requests (~${fmt(records / list.length, 0)} records each)`);
  const bare = await bareInsertRate(batches);

  // End to end through the worker; the main thread only posts the bodies.
  const dataDir = mkdtempSync(path.join(tmpdir(), 'ledger-bench-ingest-'));
  const store = await StoreClient.open({ dataDir, workerPath: WORKER, snapshot: { journalBytes: 1 << 30, idleMs: 3_600_000 } });
  const e2e = await withStallMonitor(async () => {
    const t0 = performance.now();
    let accepted = 0;
    for (const b of list) {
      const r = await store.ingest(b.signal, 'json', b.body);
      accepted += r.accepted;
    }
    return { accepted, ms: performance.now() - t0 };
  });
  await store.close();
  rmSync(dataDir, { recursive: true, force: true });

  // Each step alone, on the same bodies and rows.
  let t0 = performance.now();
  for (const b of list) decodeAndNormalize(b.signal, 'json', b.body, DEFAULT_INGEST_OPTIONS);
  const decodeMs = performance.now() - t0;
  const jdir = mkdtempSync(path.join(tmpdir(), 'ledger-bench-journal-'));
  const journal = new JournalFile(path.join(jdir, 'journal.bin'));
  t0 = performance.now();
  for (const b of list) journal.append({ signal: b.signal, encoding: 'json', receivedMs: Date.now(), payload: b.body });
  const journalMs = performance.now() - t0;
  journal.close();
  rmSync(jdir, { recursive: true, force: true });
  const apply = await applyOnlyRate(batches);
  const applyMs = (records / apply) * 1000;
  const bareParseMs = bareParse(list);
  const bareWriteMs = bareWriteFsync(list);

  const rate = e2e.value.accepted / (e2e.value.ms / 1000);
  log(`bare sql.js prepared inserts of the same rows (no index, tx of 1000): ${k(bare)} rows/s   [the baseline of every ratio below]`);
  log(`OTLP ingest end to end (decode, normalize, journal + fsync, apply, rollups; via the DB worker): ${k(rate)} records/s -> ${fmt(rate / bare, 2)}x   [goal >= 0.5x]`);
  const share = (ms: number) => `${fmt((ms / e2e.value.ms) * 100, 0)}% of end to end`;
  log(`  decode + normalize alone (same bodies): ${k(records / (decodeMs / 1000))} records/s -> ${fmt(records / (decodeMs / 1000) / bare, 2)}x (${share(decodeMs)})`);
  log(`  journal append + fsync alone (same bodies, one fsync each): ${k(records / (journalMs / 1000))} records/s -> ${fmt(records / (journalMs / 1000) / bare, 2)}x (${share(journalMs)})`);
  log(`  store apply alone (keys, interning, rollups; perf-store's part): ${k(apply)} rows/s -> ${fmt(apply / bare, 2)}x (${share(applyMs)})`);
  log(`  worker round trips, structured clone, rest: ${fmt(Math.max(0, e2e.value.ms - decodeMs - journalMs - applyMs), 0)} ms (${share(Math.max(0, e2e.value.ms - decodeMs - journalMs - applyMs))})`);
  log(`  floor with this apply: 1 / (1/decode + 1/journal + 1/apply) = ${k(records / ((decodeMs + journalMs + applyMs) / 1000))} records/s -> ${fmt(records / ((decodeMs + journalMs + applyMs) / 1000) / bare, 2)}x`);
  log(physicalFloor(records, bare, bareParseMs, 'JSON.parse', bareWriteMs));
  log(`host event-loop stall while the worker ingests large batches: max ${fmt(e2e.maxMs)} ms (p99 ${fmt(e2e.p99Ms)} ms)   [goal <= 50 ms]`);
}

/** Bare decode: JSON.parse of every body (what any OTLP/JSON receiver must do at least). */
function bareParse(list: Body[]): number {
  const t0 = performance.now();
  for (const b of list) JSON.parse(b.body.toString('utf8'));
  return performance.now() - t0;
}

/** Bare durability: each body appended to a file with its own fsync (what acknowledging it durably costs at least). */
function bareWriteFsync(list: Body[]): number {
  const dir = mkdtempSync(path.join(tmpdir(), 'ledger-bench-bare-'));
  const fd = openSync(path.join(dir, 'bare.bin'), 'a');
  const t0 = performance.now();
  try {
    for (const b of list) {
      writeSync(fd, b.body);
      fsyncSync(fd);
    }
    return performance.now() - t0;
  } finally {
    closeSync(fd);
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * The physical floor of end to end: the three bare steps one after another, 1 / (1/bare decode +
 * 1/bare write+fsync + 1/bare insert), from this run's figures. Below 0.5x bare, the goal is out of reach.
 */
function physicalFloor(records: number, bare: number, parseMs: number, parseName: string, writeMs: number): string {
  const floor = records / ((parseMs + writeMs) / 1000 + records / bare);
  const ratio = floor / bare;
  return (
    `  physical floor: 1 / (1/bare ${parseName} ${k(records / (parseMs / 1000))} + 1/bare write+fsync ${k(records / (writeMs / 1000))} + 1/bare insert ${k(bare)}) = ${k(floor)} records/s -> ${fmt(ratio, 2)}x` +
    (ratio < 0.5 ? '   [below 0.5x: the goal is out of reach with sql.js, even with no normalize, keys or rollups]' : '   [the goal is reachable in principle]')
  );
}

async function smallConcurrent(log: Log, senders: number[], requests: number): Promise<void> {
  const { list, recordsPerCopy } = bodies(Math.ceil(requests / 12) * 100, 1);
  const batches = normalizeAll(list);
  const records = count(batches);
  log(`-- Claude Code's request sizes: ${list.length} captured requests (${fmt(records / list.length, 1)} records each on average, ${recordsPerCopy} per session copy), OTLP/JSON`);
  const bare = await bareInsertRate(batches);
  const probeDir = mkdtempSync(path.join(tmpdir(), 'ledger-bench-fsync-'));
  const fsync = fsyncMs(probeDir);
  rmSync(probeDir, { recursive: true, force: true });
  const apply = await applyOnlyRate(batches);
  const bareParseMs = bareParse(list);
  log(`bare sql.js prepared inserts of the same rows: ${k(bare)} rows/s; one 4 KB write + fsync here: ${fmt(fsync, 2)} ms (median); bare JSON.parse ${k(records / (bareParseMs / 1000))} records/s`);
  log(`the store's apply alone on the same rows, one request per transaction (a ceiling for any grouping: perf-store's part): ${k(apply)} rows/s -> ${fmt(apply / bare, 2)}x`);
  for (const n of senders) {
    const dataDir = mkdtempSync(path.join(tmpdir(), 'ledger-bench-small-'));
    const store = await StoreClient.open({ dataDir, workerPath: WORKER, snapshot: { journalBytes: 1 << 30, idleMs: 3_600_000 } });
    const before = await store.stats();
    const run = await withStallMonitor(async () => {
      const t0 = performance.now();
      let next = 0;
      let accepted = 0;
      // Each sender sends its next request when the previous one is answered (an exporter's loop).
      await Promise.all(
        Array.from({ length: n }, async () => {
          for (let i = next++; i < list.length; i = next++) {
            const r = await store.ingest(list[i].signal, 'json', list[i].body); // (not `accepted += await`: that reads `accepted` before the await)
            accepted += r.accepted;
          }
        }),
      );
      return { accepted, ms: performance.now() - t0 };
    });
    const after = await store.stats();
    await store.close();
    rmSync(dataDir, { recursive: true, force: true });
    const rate = run.value.accepted / (run.value.ms / 1000);
    const groups = after.ingestGroups - before.ingestGroups;
    const perGroup = (after.groupedRequests - before.groupedRequests) / Math.max(1, groups);
    // Each sender waits for its answer, so at most `n` requests share one fsync.
    const floor = (n * (records / list.length)) / (fsync / 1000);
    const phys = 1 / (bareParseMs / 1000 / records + 1 / floor + 1 / bare);
    log(
      `${String(n).padStart(3)} senders at once: ${k(rate)} records/s -> ${fmt(rate / bare, 2)}x bare   [goal >= 0.5x]; ${groups} fsyncs for ${list.length} requests (${fmt(perGroup, 1)} a group); ` +
        `fsync bound ${n} x ${fmt(records / list.length, 1)} records / ${fmt(fsync, 2)} ms = ${k(floor)} records/s; ` +
        `physical floor 1 / (1/bare JSON.parse + 1/fsync bound + 1/bare insert) = ${fmt(phys / bare, 2)}x${phys / bare < 0.5 ? ' (below 0.5x: out of reach)' : ''}; main-thread stall max ${fmt(run.maxMs)} ms`,
    );
  }
}

export async function runIngestBench(log: Log, largeTarget = 100_000): Promise<void> {
  log('== ingest benchmark (write path: decode, normalize, journal + fsync, DB worker)');
  await largeBatches(log, largeTarget);
  await smallConcurrent(log, [1, 8, 32, 128], 2_400);
}

if (require.main === module) {
  runIngestBench((l) => console.log(l)).catch((err) => {
    console.error(err);
    process.exitCode = 1;
  });
}
