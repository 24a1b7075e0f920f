// Crash test: `node dist/cli.js serve` is SIGKILLed mid-ingest, 20+ times, on one data directory.
// After the last kill the store is opened again: every batch that got a 200 is present exactly once
// (exporter-style retries of acknowledged batches included), and nothing is counted twice.
// In every cycle one kill is known to land between the journal fsync and the 200: the server's test hook
// (CLAUDE_LEDGER_TEST_HOLD_ACK, serveCommand.ts) holds that batch's reply after the store journaled it
// and prints a marker; the kill follows the marker. That batch never got a 200, yet it must be present
// exactly once after the restart.
// Real peers: the real CLI server and its real DB worker; the payloads are Claude Code's own OTLP/JSON
// (fixture f-write-edit-bash-json) with session and request ids made unique per batch.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { DurableStore } from '../../src/core/store/durableStore';
import { loadSqlJs } from '../../src/core/store/ledgerDb';
import { HOLD_ACK_ENV, HOLD_ACK_MARKER } from '../../src/server/serveCommand';
import { postOtlp } from '../support/postOtlp';

const ROOT = path.resolve(__dirname, '../..');
const CLI = path.join(ROOT, 'dist/cli.js');
const FIXTURE = path.join(ROOT, 'test/fixtures/claude-code-otlp/f-write-edit-bash-json/logs-001.json');
const CYCLES = 22;
const REQUESTS_PER_BATCH = 4; // api_request events in the fixture payload
const COST_PER_BATCH = 0.05504;

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
    s.on('error', reject);
  });
}

function batchBody(template: string, sessionId: string, k: number): Buffer {
  return Buffer.from(template.split(sessionId).join(`crash-session-${String(k).padStart(4, '0')}`).split('req_fake').join(`req_b${k}_`));
}

interface Served {
  child: ChildProcess;
  /** Resolves when the server has printed `text` on stdout (now or later). */
  printed(text: string): Promise<void>;
}

function startServer(port: number, dataDir: string, holdAckOf: string): Promise<Served> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, 'serve', '--port', String(port), '--data', dataDir, '--token', 'crash-test-token'], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, [HOLD_ACK_ENV]: holdAckOf },
    });
    let out = '';
    let err = '';
    const waiters: { text: string; resolve: () => void }[] = [];
    const printed = (text: string) =>
      new Promise<void>((r, j) => {
        if (out.includes(text)) return r();
        waiters.push({ text, resolve: r });
        child.once('exit', (code) => j(new Error(`serve exited (${code}) before printing ${JSON.stringify(text)}: ${err}`)));
      });
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      for (const w of waiters.splice(0)) if (out.includes(w.text)) w.resolve(); else waiters.push(w);
      if (out.includes('listening on')) resolve({ child, printed });
    });
    child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
    child.on('exit', (code) => reject(new Error(`serve exited early (${code}): ${err}`)));
  });
}

const sessionOf = (k: number) => `crash-session-${String(k).padStart(4, '0')}`;

test(`SIGKILL mid-ingest ${CYCLES} times: every acknowledged batch is present exactly once`, { timeout: 240_000 }, async () => {
  assert.ok(existsSync(CLI), 'dist/cli.js is missing: run `node esbuild.mjs` first');
  const template = readFileSync(FIXTURE, 'utf8');
  const sessionId = /"session\.id","value":\{"stringValue":"([^"]+)"/.exec(template.replace(/\s/g, ''))![1];
  const dataDir = mkdtempSync(path.join(tmpdir(), 'ledger-crash-'));
  const port = await freePort();
  const acked = new Set<number>();
  /** Batches journaled (the hook said so) whose 200 the kill prevented. */
  const journaledNotAcked: number[] = [];
  let next = 0;
  let killedInFlight = 0;
  for (let cycle = 0; cycle < CYCLES; cycle++) {
    const heldK = next++;
    const { child, printed } = await startServer(port, dataDir, `"${sessionOf(heldK)}"`);
    const exited = new Promise((r) => child.once('exit', r));
    // A few acknowledged batches, plus a retry of an earlier acknowledged one (exporter retry).
    const n = 1 + (cycle % 4);
    for (let i = 0; i < n; i++) {
      const k = next++;
      if ((await postOtlp(port, '/v1/logs', batchBody(template, sessionId, k), 'application/json')) === 200) acked.add(k);
    }
    if (acked.size > 2) assert.equal(await postOtlp(port, '/v1/logs', batchBody(template, sessionId, [...acked][cycle % acked.size]), 'application/json'), 200);
    // The held batch: journaled (fsync + apply done in the worker), its 200 held by the hook.
    const held = postOtlp(port, '/v1/logs', batchBody(template, sessionId, heldK), 'application/json').then(
      (status) => status,
      () => 'no reply' as const,
    );
    await printed(`${HOLD_ACK_MARKER} "${sessionOf(heldK)}"`);
    // Kill while more requests are in flight: some may be journaled but never acknowledged.
    const inflight = [0, 1, 2].map(() => {
      const k = next++;
      return postOtlp(port, '/v1/logs', batchBody(template, sessionId, k), 'application/json').then(
        (status) => (status === 200 ? acked.add(k) : undefined),
        () => undefined,
      );
    });
    await new Promise((r) => setTimeout(r, cycle % 3)); // 0-2 ms: vary where the kill lands
    child.kill('SIGKILL');
    await exited;
    killedInFlight += (await Promise.all(inflight)).length;
    assert.equal(await held, 'no reply', `held batch ${heldK} must not have been answered`);
    journaledNotAcked.push(heldK);
  }
  assert.equal(journaledNotAcked.length, CYCLES, 'every cycle killed one request between its fsync and its 200');
  assert.ok(acked.size >= CYCLES, `acknowledged ${acked.size} batches`);

  // Open the data directory as the next start would (stale lock taken over, journal replayed).
  const SQL = await loadSqlJs(path.join(ROOT, 'dist/sql-wasm.wasm'));
  const logs: string[] = [];
  const store = DurableStore.open(SQL, { dataDir, log: (l, m) => logs.push(`${l} ${m}`) });
  try {
    const sessions = store.query('sessions', { range: { key: 'all' }, limit: 500 }).sessions;
    const byId = new Map(sessions.map((s) => [s.sessionId, s]));
    for (const k of acked) {
      const s = byId.get(sessionOf(k));
      assert.ok(s, `acknowledged batch ${k} is missing`);
      assert.equal(s.requests, REQUESTS_PER_BATCH, `batch ${k} counted once`);
      assert.equal(s.costUsd.toFixed(9), COST_PER_BATCH.toFixed(9));
    }
    // Killed after the fsync, before the 200: present, exactly once (the exporter would retry it; the
    // retry is idempotent, see the acknowledged retries above).
    for (const k of journaledNotAcked) {
      const s = byId.get(sessionOf(k));
      assert.ok(s, `batch ${k} was journaled before the kill but is missing after the restart`);
      assert.equal(s.requests, REQUESTS_PER_BATCH, `journaled batch ${k} counted once`);
    }
    // Other unacknowledged batches may be present (journaled before the kill), but never twice.
    for (const s of sessions) assert.equal(s.requests, REQUESTS_PER_BATCH, s.sessionId);
    const sum = store.query('summary', { range: { key: 'all' } });
    assert.equal(sum.requests, sessions.length * REQUESTS_PER_BATCH);
    assert.equal(sum.costUsd.toFixed(9), (sessions.length * COST_PER_BATCH).toFixed(9));
    process.stdout.write(`# ${CYCLES} kills, ${acked.size} batches acknowledged, ${journaledNotAcked.length} killed between fsync and 200, ${sessions.length} present, ${killedInFlight} requests in flight at kills\n`);
  } finally {
    store.close();
  }
});
