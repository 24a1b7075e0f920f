// Group commit end to end: many small requests sent at once to the real `node dist/cli.js serve`
// (its real DB worker groups the ingests queued together: one journal write + fsync for the group).
// Every good request gets its 200, the bad bodies among them get their 400 alone, and after a SIGKILL
// (no final snapshot: everything comes back from the journal) every acknowledged batch is present
// exactly once and nothing of the refused ones is.
// Real peers: the real CLI server over HTTP; the payloads are Claude Code's own OTLP/JSON (fixture
// f-write-edit-bash-json) with session and request ids made unique per batch.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { DurableStore } from '../../src/core/store/durableStore';
import { loadSqlJs } from '../../src/core/store/ledgerDb';
import { CLI, freePort, startServe } from '../support/ledgerCli';
import { postOtlp } from '../support/postOtlp';

const ROOT = path.resolve(__dirname, '../..');
const FIXTURES = path.join(ROOT, 'test/fixtures/claude-code-otlp/f-write-edit-bash-json');
const SENDERS = 12;
const ROUNDS = 4;
const REQUESTS_PER_BATCH = 4; // api_request events in logs-001.json
const COST_PER_BATCH = 0.05504;

const sessionOf = (k: number) => `group-session-${String(k).padStart(4, '0')}`;

test(`${SENDERS} senders at once, bad bodies among them: all good ones acknowledged and durable after SIGKILL, the bad ones refused alone`, { timeout: 120_000 }, async () => {
  assert.ok(existsSync(CLI), 'dist/cli.js is missing: run `node esbuild.mjs` first');
  const template = readFileSync(path.join(FIXTURES, 'logs-001.json'), 'utf8');
  const metricsJson = readFileSync(path.join(FIXTURES, 'metrics-001.json'));
  const sessionId = /"session\.id","value":\{"stringValue":"([^"]+)"/.exec(template.replace(/\s/g, ''))![1];
  const body = (k: number) => Buffer.from(template.split(sessionId).join(sessionOf(k)).split('req_fake').join(`req_g${k}_`));
  const dataDir = mkdtempSync(path.join(tmpdir(), 'ledger-group-'));
  const port = await freePort();
  const child = await startServe(port, dataDir);
  const exited = new Promise((r) => child.once('exit', r));

  const acked = new Set<number>();
  const refused: { k: number; status: number }[] = [];
  let next = 0;
  // Each sender posts ROUNDS requests back to back (an exporter waits for its answer); sender i sends a
  // bad body in round i % ROUNDS when i % 4 === 0: torn JSON, or a metrics export sent to /v1/logs.
  await Promise.all(
    Array.from({ length: SENDERS }, async (_, i) => {
      for (let round = 0; round < ROUNDS; round++) {
        const k = next++;
        const bad = i % 4 === 0 && round === i % ROUNDS;
        const payload = !bad ? body(k) : i % 8 === 0 ? body(k).subarray(0, 200) : metricsJson;
        const status = await postOtlp(port, '/v1/logs', payload, 'application/json');
        if (bad) refused.push({ k, status });
        else if (status === 200) acked.add(k);
        else assert.fail(`good batch ${k} got ${status}`);
      }
    }),
  );
  assert.equal(refused.length, 3);
  for (const r of refused) assert.equal(r.status, 400, `bad body ${r.k} is refused with 400`);
  assert.equal(acked.size, SENDERS * ROUNDS - refused.length);

  child.kill('SIGKILL');
  await exited;

  const SQL = await loadSqlJs(path.join(ROOT, 'dist/sql-wasm.wasm'));
  const logs: string[] = [];
  const store = DurableStore.open(SQL, { dataDir, log: (l, m) => logs.push(`${l} ${m}`) });
  try {
    assert.match(logs.join('\n'), /journal replay: \d+ frames/, 'the data comes back from the journal');
    const sessions = store.query('sessions', { range: { key: 'all' }, limit: 500 }).sessions;
    const byId = new Map(sessions.map((s) => [s.sessionId, s]));
    for (const k of acked) {
      const s = byId.get(sessionOf(k));
      assert.ok(s, `acknowledged batch ${k} is missing after the kill`);
      assert.equal(s.requests, REQUESTS_PER_BATCH, `batch ${k} counted once`);
      assert.equal(s.costUsd.toFixed(9), COST_PER_BATCH.toFixed(9));
    }
    for (const r of refused) assert.equal(byId.get(sessionOf(r.k)), undefined, `refused batch ${r.k} must not be stored`);
    assert.equal(sessions.length, acked.size);
    const sum = store.query('summary', { range: { key: 'all' } });
    assert.equal(sum.requests, acked.size * REQUESTS_PER_BATCH);
  } finally {
    store.close();
  }
});
