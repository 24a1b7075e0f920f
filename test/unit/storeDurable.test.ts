// Durability in-process: migration from schema v1, newer schema refused (file untouched), data-dir
// lock (live vs stale), corrupt snapshot kept aside, replay after a crash counts each batch once,
// retention keeps totals, clearAll survives a restart.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { DurableStore, FILES } from '../../src/core/store/durableStore';
import { DataDirLockedError, SchemaTooNewError } from '../../src/core/store/errors';
import { LedgerDb } from '../../src/core/store/ledgerDb';
import { migrate, SCHEMA_VERSION } from '../../src/core/store/schema';
import { groundTruth, nowOf, payloads, records, sqlJs } from './storeTestSupport';

const tmp = () => mkdtempSync(path.join(tmpdir(), 'ledger-store-'));
const deadPid = () => spawnSync(process.execPath, ['-e', '0']).pid!;

async function openStore(dir: string, logs: string[] = [], extra: Partial<Parameters<typeof DurableStore.open>[1]> = {}) {
  const now = nowOf(records('h-long-session'));
  return DurableStore.open(await sqlJs(), { dataDir: dir, log: (l, m) => logs.push(`${l} ${m}`), now: () => now, ...extra });
}

/** Simulates a SIGKILL: the store object is abandoned (no snapshot) and the lock names a dead process. */
function crash(dir: string) {
  writeFileSync(path.join(dir, FILES.lock), `${deadPid()}\n`);
}

test('a schema v1 database (with data) migrates to the current version', async () => {
  const SQL = await sqlJs();
  const raw = new SQL.Database();
  migrate(raw, 1);
  raw.run(`INSERT INTO dict (id, value) VALUES (1, 'sess-1'), (2, 'claude-opus-4-8')`);
  raw.run(`INSERT INTO sessions (id, first_ms, last_ms, api_events, cost_ev) VALUES (1, 1000, 2000, 1, 0.5)`);
  raw.run(`INSERT INTO eff_usage (bucket, model_id, cost, requests) VALUES (0, 2, 0.5, 1)`);
  const bytes = raw.export();
  raw.close();
  const dir = tmp();
  writeFileSync(path.join(dir, FILES.db), bytes);
  const logs: string[] = [];
  const s = await openStore(dir, logs);
  assert.match(logs.join('\n'), new RegExp(`migrated the database from schema 1 to ${SCHEMA_VERSION}`));
  assert.equal(s.query('summary', { range: { key: 'all' } }).costUsd, 0.5);
  assert.ok(s.describeSchema().tables.some((t) => t.name === 'audit'), 'v2 adds the audit table');
  s.audit({ tool: 'usage_summary', args: '{}', rows: 1, durationMs: 2, ok: true });
  s.close();
  const db = LedgerDb.open(SQL, readFileSync(path.join(dir, FILES.db)));
  assert.equal(db.migratedFrom, SCHEMA_VERSION, 'the snapshot was written at the new version');
  assert.equal(db.sql.get<{ n: number }>('SELECT count(*) AS n FROM audit')?.n, 1);
  db.close();
});

test('a newer database is refused with a clear message and left untouched', async () => {
  const SQL = await sqlJs();
  const raw = new SQL.Database();
  migrate(raw);
  raw.run(`UPDATE meta SET value = ? WHERE key = 'schema_version'`, [SCHEMA_VERSION + 5]);
  const bytes = raw.export();
  raw.close();
  const dir = tmp();
  const p = path.join(dir, FILES.db);
  writeFileSync(p, bytes);
  const before = readFileSync(p);
  await assert.rejects(openStore(dir), (e: Error) => e instanceof SchemaTooNewError && /schema version \d+.*supports up to/.test(e.message));
  assert.deepEqual(readFileSync(p), before);
  assert.deepEqual(readdirSync(dir).sort(), [FILES.db].sort(), 'no journal, no lock left behind, nothing moved aside');
});

test('the data-dir lock: a live owner refuses a second writer; a dead owner is taken over', async () => {
  const dir = tmp();
  const a = await openStore(dir);
  await assert.rejects(openStore(dir), (e: Error) => e instanceof DataDirLockedError && e.message.includes(String(process.pid)));
  a.close();
  const logs: string[] = [];
  crash(dir);
  const b = await openStore(dir, logs);
  assert.match(logs.join('\n'), /stale/);
  assert.equal(statSync(dir).mode & 0o777, 0o700);
  for (const f of readdirSync(dir)) assert.equal(statSync(path.join(dir, f)).mode & 0o777, 0o600, f);
  b.close();
  assert.ok(!readdirSync(dir).includes(FILES.lock), 'close releases the lock');
});

test('replay after a crash: every acknowledged batch exactly once, also when the snapshot already holds it', async () => {
  const gt = groundTruth('h-long-session');
  const dir = tmp();
  const ps = payloads('h-long-session');
  const s1 = await openStore(dir);
  for (const p of ps.slice(0, 6)) s1.ingest(p.signal, p.encoding, p.body);
  s1.snapshotNow();
  for (const p of ps.slice(6)) s1.ingest(p.signal, p.encoding, p.body);
  for (const p of ps.slice(0, 3)) s1.ingest(p.signal, p.encoding, p.body); // exporter retries
  crash(dir);
  const logs: string[] = [];
  const s2 = await openStore(dir, logs);
  assert.match(logs.join('\n'), /journal replay: \d+ frames/);
  const sum = s2.query('summary', { range: { key: 'all' } });
  assert.equal(sum.costUsd.toFixed(12), gt.api_requests.cost_usd.toFixed(12));
  assert.equal(sum.requests, gt.api_requests.count);
  assert.equal(sum.prompts, 4);
  // Crash right after a snapshot whose journal was not truncated yet: the frames are replayed over
  // a snapshot that holds them, and still count once.
  const journal = readFileSync(path.join(dir, FILES.journal));
  s2.snapshotNow();
  writeFileSync(path.join(dir, FILES.journal), journal);
  crash(dir);
  const s3 = await openStore(dir);
  assert.equal(s3.query('summary', { range: { key: 'all' } }).requests, gt.api_requests.count);
  s3.close();
});

test('a corrupt snapshot is moved aside (never deleted) and the journal is still replayed', async () => {
  const dir = tmp();
  const ps = payloads('a-plain-text');
  const s1 = await openStore(dir);
  for (const p of ps) s1.ingest(p.signal, p.encoding, p.body);
  s1.snapshotNow();
  const more = payloads('b-write-edit-bash');
  for (const p of more) s1.ingest(p.signal, p.encoding, p.body);
  crash(dir);
  const snap = readFileSync(path.join(dir, FILES.db));
  snap.fill(0x42, 100, 4000); // scribble over the schema page
  writeFileSync(path.join(dir, FILES.db), snap);
  const logs: string[] = [];
  const s2 = await openStore(dir, logs);
  assert.match(logs.join('\n'), /could not be opened.*moved it to/);
  assert.equal(readdirSync(dir).filter((f) => f.startsWith(`${FILES.db}.corrupt-`)).length, 1);
  assert.equal(s2.query('summary', { range: { key: 'all' } }).requests, groundTruth('b-write-edit-bash').api_requests.count, 'the journal since the snapshot');
  s2.close();
});

test('retention prunes raw detail but never changes totals; clearAll survives a restart', async () => {
  const dir = tmp();
  const recs = records('h-long-session');
  let now = nowOf(recs);
  const s = await openStore(dir, [], { now: () => now, retention: { rawDays: 1, pruneBatchRows: 3 } });
  for (const p of payloads('h-long-session')) s.ingest(p.signal, p.encoding, p.body);
  const before = s.query('summary', { range: { key: 'all' } });
  const filesBefore = s.query('filesEdited', { range: { key: 'all' } });
  now += 2 * 86_400_000;
  const deleted = await s.pruneSoon();
  assert.ok(deleted > 50, `pruned ${deleted} raw rows`);
  const after = s.query('summary', { range: { key: 'all' } });
  assert.deepEqual({ ...after, range: null }, { ...before, range: null });
  assert.deepEqual(s.query('filesEdited', { range: { key: 'all' } }).files, filesBefore.files);
  assert.equal(s.query('sessionTimeline', { sessionId: 'current' }).prompts.length, 0, 'raw detail is gone');
  s.clearAll();
  assert.equal(s.query('summary', { range: { key: 'all' } }).costUsd, 0);
  crash(dir);
  const s2 = await openStore(dir);
  assert.equal(s2.query('summary', { range: { key: 'all' } }).costUsd, 0, 'the cleared data does not come back from the journal');
  s2.close();
});
