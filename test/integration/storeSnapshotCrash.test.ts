// Crash test of page snapshots (src/core/store/pageSnapshot.ts): a real child process ingests batches
// (each acknowledged = ingest returned after its journal fsync) and is SIGKILLed at every step of a
// snapshot (CLAUDE_LEDGER_TEST_FAILPOINT): redo record half written, redo record on disk, ledger.db
// partly rewritten, ledger.db rewritten, journal marked covered; and during a full (first) snapshot.
// After each kill the data directory is opened as the next start would: every acknowledged batch is
// present exactly once, the database passes PRAGMA integrity_check, and the log says which recovery ran.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { DurableStore, FILES } from '../../src/core/store/durableStore';
import { loadSqlJs } from '../../src/core/store/ledgerDb';
import { FAILPOINT_ENV } from '../../src/core/store/pageSnapshot';

const ROOT = path.resolve(__dirname, '../..');
const CHILD = path.join(ROOT, 'test/support/snapshotCrashChild.ts');
const REQUESTS_PER_BATCH = 4; // api_request events in f-write-edit-bash-json/logs-001.json
const COST_PER_BATCH = 0.05504;
const sessionOf = (k: number) => `snap-session-${String(k).padStart(4, '0')}`;

function runChild(dataDir: string, from: number, to: number, failpoint: string, mode: 'sync' | 'steps' = 'sync'): Promise<{ acked: number[]; signal: NodeJS.Signals | null; out: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', CHILD, dataDir, String(from), String(to), mode], {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, [FAILPOINT_ENV]: failpoint },
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      if (code !== null && code !== 0) return reject(new Error(`child exited ${code}: ${err}`));
      const acked = [...out.matchAll(/^ack (\d+)$/gm)].map((m) => Number(m[1]));
      resolve({ acked, signal, out });
    });
  });
}

async function verify(dataDir: string, acked: readonly number[]): Promise<string[]> {
  const SQL = await loadSqlJs(path.join(ROOT, 'node_modules/sql.js/dist/sql-wasm.wasm'));
  const logs: string[] = [];
  const store = DurableStore.open(SQL, { dataDir, log: (l, m) => logs.push(`${l} ${m}`) });
  try {
    const sessions = store.query('sessions', { range: { key: 'all' }, limit: 500 }).sessions;
    const byId = new Map(sessions.map((s) => [s.sessionId, s]));
    for (const k of acked) {
      const s = byId.get(sessionOf(k));
      assert.ok(s, `acknowledged batch ${k} is missing`);
      assert.equal(s.requests, REQUESTS_PER_BATCH, `batch ${k} counted once`);
    }
    assert.equal(sessions.length, acked.length, 'nothing but the acknowledged batches');
    const sum = store.query('summary', { range: { key: 'all' } });
    assert.equal(sum.requests, acked.length * REQUESTS_PER_BATCH);
    assert.equal(sum.costUsd.toFixed(9), (acked.length * COST_PER_BATCH).toFixed(9));
  } finally {
    store.close(); // a clean close: the next cycle starts from a ledger.db that matches memory
  }
  assert.ok(!existsSync(path.join(dataDir, FILES.redo)), 'no redo record left after open + close');
  const check = LedgerDbCheck(readFileSync(path.join(dataDir, FILES.db)), SQL);
  assert.equal(check, 'ok', 'integrity_check of ledger.db');
  return logs;
}

function LedgerDbCheck(bytes: Uint8Array, SQL: Awaited<ReturnType<typeof loadSqlJs>>): string {
  const db = new SQL.Database(bytes);
  try {
    return String(db.exec('PRAGMA integrity_check')[0].values[0][0]);
  } finally {
    db.close();
  }
}

for (const mode of ['sync', 'steps'] as const) test(`SIGKILL at every step of a page snapshot (${mode}): every acknowledged batch exactly once, ledger.db intact`, { timeout: 180_000 }, async () => {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'ledger-snapcrash-'));
  const acked: number[] = [];
  let next = 0;
  // A first clean run: its snapshot is a full one, later ones write changed pages only.
  const first = await runChild(dataDir, next, next + 3, 'none', mode);
  assert.match(first.out, /snapshot done/);
  acked.push(...first.acked);
  next += mode === 'steps' ? 4 : 3; // steps: one more batch after the snapshot
  if (mode === 'steps') assert.match(first.out, /snapshot done \(\d+ reads between its steps\)/);
  await verify(dataDir, acked);
  const steps: [string, RegExp][] = [
    ['redo-torn', /incomplete page-redo record/],
    ['redo-written', /finished an interrupted snapshot/],
    ['db-partly-written', /finished an interrupted snapshot/],
    ['db-written', /finished an interrupted snapshot/],
    ['journal-truncated', /finished an interrupted snapshot/],
  ];
  for (const [step, recovery] of steps) {
    const n = 2 + (next % 3);
    const r = await runChild(dataDir, next, next + n, step, mode);
    next += n + (mode === 'steps' ? 1 : 0);
    assert.equal(r.signal, 'SIGKILL', `${step}: the child was killed at the failpoint (${r.out})`);
    assert.equal(r.acked.length, n, `${step}: all batches were acknowledged before the snapshot`);
    acked.push(...r.acked);
    assert.ok(existsSync(path.join(dataDir, FILES.redo)), `${step}: the kill left a redo record`);
    const logs = await verify(dataDir, acked);
    assert.ok(logs.some((l) => recovery.test(l)), `${step}: recovery logged (${logs.join(' | ')})`);
  }
  assert.deepEqual(readdirSync(dataDir).sort(), [FILES.journal, FILES.db].sort(), 'only ledger.db and the (empty) journal are left after a clean close');
  assert.equal(readFileSync(path.join(dataDir, FILES.journal)).length, 0);
});

test('SIGKILL during a full (first) snapshot: the journal still holds every acknowledged batch', { timeout: 60_000 }, async () => {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'ledger-snapcrash-full-'));
  const r = await runChild(dataDir, 100, 104, 'full-written');
  assert.equal(r.signal, 'SIGKILL');
  await verify(dataDir, r.acked);
  const again = await runChild(dataDir, 200, 203, 'journal-truncated');
  assert.equal(again.signal, 'SIGKILL');
  await verify(dataDir, [...r.acked, ...again.acked]);
});
