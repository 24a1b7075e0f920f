// The DB worker's ways of keeping the store answering: the deferred quick_check (DurableStore
// `deferCheck`, run in the background after open) and snapshots in steps (snapshotInSteps, reads between
// the steps, any write finishes the snapshot first). Durability is the same as with the synchronous paths:
// a corrupt file found by the deferred check is moved aside and the store rebuilt from the journal,
// including what was acknowledged since the start; a write during a snapshot never loses a frame.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { DurableStore, FILES } from '../../src/core/store/durableStore';
import { readDbFile } from '../../src/core/store/ledgerDb';
import { groundTruth, nowOf, payloads, records, sqlJs } from './storeTestSupport';

const tmp = () => mkdtempSync(path.join(tmpdir(), 'ledger-steps-'));
const deadPid = () => spawnSync(process.execPath, ['-e', '0']).pid!;
const crash = (dir: string) => writeFileSync(path.join(dir, FILES.lock), `${deadPid()}\n`);

async function openStore(dir: string, logs: string[] = [], extra: Partial<Parameters<typeof DurableStore.open>[1]> = {}) {
  const now = nowOf(records('h-long-session'));
  return DurableStore.open(await sqlJs(), { dataDir: dir, log: (l, m) => logs.push(`${l} ${m}`), now: () => now, ...extra });
}

/** A snapshot whose schema and meta pages are intact but a page in the middle (row data) is garbage. */
async function corruptDataPage(dir: string, journaled: string[] = []): Promise<void> {
  const s = await openStore(dir);
  for (const p of payloads('h-long-session')) s.ingest(p.signal, p.encoding, p.body);
  s.snapshotNow();
  // Frames journaled after that snapshot, then a crash: they are in no snapshot.
  for (const sc of journaled) for (const p of payloads(sc)) s.ingest(p.signal, p.encoding, p.body);
  crash(dir);
  const snap = readFileSync(path.join(dir, FILES.db));
  const pageSize = snap.readUInt16BE(16);
  // The first page from the middle on whose garbage PRAGMA quick_check reports as its verdict (garbage on
  // some pages makes SQLite throw before any verdict; which pages those are depends on the schema).
  const SQL = await sqlJs();
  const reported = (p: number) => {
    const copy = Buffer.from(snap);
    copy.fill(0x42, p * pageSize, (p + 1) * pageSize);
    const db = new SQL.Database(copy);
    try {
      return String(db.exec('PRAGMA quick_check')[0]?.values[0]?.[0]) !== 'ok';
    } catch {
      return false;
    } finally {
      db.close();
    }
  };
  const pages = snap.length / pageSize;
  let page = Math.floor(pages / 2);
  for (let tried = 0; !reported(page); tried++) {
    assert.ok(tried < pages, 'a page whose garbage quick_check reports');
    page = (page + 1) % pages;
  }
  snap.fill(0x42, page * pageSize, (page + 1) * pageSize);
  writeFileSync(path.join(dir, FILES.db), snap);
}

test('checked at open (default): a corrupt data page is found at open and the file moved aside', async () => {
  const dir = tmp();
  await corruptDataPage(dir);
  const logs: string[] = [];
  const s = await openStore(dir, logs);
  assert.match(logs.join('\n'), /could not be opened \(database failed PRAGMA quick_check.*moved it to/s);
  assert.equal(s.checkPending, 0);
  s.close();
});

test('deferred check: the store answers at once; the background check moves a corrupt file aside and rebuilds from the journal, keeping what was acknowledged since', async () => {
  const dir = tmp();
  await corruptDataPage(dir, ['a-plain-text']);
  const logs: string[] = [];
  const changes: number[] = [];
  const s = await openStore(dir, logs, { deferCheck: true, onChanged: (v) => changes.push(v) });
  assert.equal(s.checkPending, 1, 'opened without quick_check');
  assert.doesNotMatch(logs.join('\n'), /could not be opened/);
  const versionBefore = s.dataVersion;
  // Ingested before the check ran. A request whose apply meets the corrupt page is refused (not
  // acknowledged) but its frame is journaled already; all of them must be in the rebuilt store.
  let acked = 0;
  for (const p of payloads('b-write-edit-bash')) {
    try {
      s.ingest(p.signal, p.encoding, p.body);
      acked++;
    } catch (err) {
      assert.match((err as Error).message, /malformed/);
    }
  }
  assert.ok(acked > 0, 'some requests were acknowledged before the check');
  await s.checkInBackground();
  assert.equal(s.checkPending, 0);
  assert.match(logs.join('\n'), /could not be opened \(database failed PRAGMA quick_check.*moved it to .*rebuilt the store from the journal only/s);
  assert.equal(readdirSync(dir).filter((f) => f.startsWith(`${FILES.db}.corrupt-`)).length, 1);
  assert.ok(s.dataVersion > versionBefore, 'the data version moves on, so every view refetches');
  assert.equal(changes.at(-1), s.dataVersion);
  const sum = s.query('summary', { range: { key: 'all' } });
  assert.equal(sum.requests, groundTruth('a-plain-text').api_requests.count + groundTruth('b-write-edit-bash').api_requests.count, 'the journal: before the start and since');
  s.close();
  const again = await openStore(dir);
  assert.equal(again.query('summary', { range: { key: 'all' } }).requests, sum.requests, 'the rebuilt store was snapshotted at close');
  again.close();
});

test('deferred check: a sound file passes; a snapshot finishes a pending check first', async () => {
  const dir = tmp();
  const s0 = await openStore(dir);
  for (const p of payloads('h-long-session')) s0.ingest(p.signal, p.encoding, p.body);
  s0.close();
  const logs: string[] = [];
  const s = await openStore(dir, logs, { deferCheck: true });
  assert.equal(s.checkPending, 1);
  s.snapshotNow();
  assert.equal(s.checkPending, 0, 'the snapshot ran the check first');
  assert.doesNotMatch(logs.join('\n'), /could not be opened/);
  s.close();
  const t = await openStore(dir, [], { deferCheck: true });
  await t.checkInBackground();
  assert.equal(t.checkPending, 0);
  assert.equal(t.query('summary', { range: { key: 'all' } }).requests, groundTruth('h-long-session').api_requests.count);
  t.close();
});

test('snapshot in steps: reads are answered between its steps; a write meanwhile finishes it first and nothing is lost', async () => {
  const dir = tmp();
  const s = await openStore(dir, [], { snapshot: { journalBytes: 1 << 30, idleMs: 3_600_000 } });
  const ps = payloads('h-long-session');
  for (const p of ps.slice(0, 6)) s.ingest(p.signal, p.encoding, p.body);
  s.snapshotNow(); // the first (full) snapshot; the next one writes changed pages
  for (const p of ps.slice(6)) s.ingest(p.signal, p.encoding, p.body);
  const run = s.snapshotInSteps();
  assert.equal(s.snapshotting, true);
  assert.equal(s.snapshotInSteps(), run, 'one snapshot at a time');
  let reads = 0;
  while (s.snapshotting) {
    assert.equal(s.query('summary', { range: { key: 'all' } }).requests, groundTruth('h-long-session').api_requests.count);
    reads++;
    await new Promise((r) => setImmediate(r));
  }
  await run;
  assert.ok(reads > 1, `reads between the steps (${reads})`);
  assert.equal(s.lastSnapshot?.kind, 'pages');
  assert.equal(readFileSync(path.join(dir, FILES.journal)).length, 0, 'the journal is covered');
  // A write while a snapshot runs in steps: the snapshot is finished synchronously first, then the
  // ingest is journaled; a crash right after must keep it.
  const more = payloads('a-plain-text');
  s.ingest(more[0].signal, more[0].encoding, more[0].body);
  const run2 = s.snapshotInSteps();
  for (const p of more.slice(1)) s.ingest(p.signal, p.encoding, p.body);
  assert.equal(s.snapshotting, false, 'the ingest finished the snapshot');
  await run2;
  assert.ok(readFileSync(path.join(dir, FILES.journal)).length > 0, 'the frames after the snapshot are in the journal');
  assert.ok(!existsSync(path.join(dir, FILES.redo)));
  crash(dir);
  const again = await openStore(dir);
  const sum = again.query('summary', { range: { key: 'all' } });
  assert.equal(sum.requests, groundTruth('h-long-session').api_requests.count + groundTruth('a-plain-text').api_requests.count);
  again.close();
});

test('readDbFile: the file bytes, with room for sql.js to grow the file in place; the database stays sound as it grows', async () => {
  const SQL = await sqlJs();
  const dir = tmp();
  const raw = new SQL.Database();
  raw.exec(`PRAGMA journal_mode = OFF; CREATE TABLE t (a, b); BEGIN; ${Array.from({ length: 500 }, (_, i) => `INSERT INTO t VALUES (${i}, '${'x'.repeat(300)}');`).join('')} COMMIT`);
  const file = path.join(dir, 'grow.db');
  writeFileSync(file, raw.export());
  raw.close();
  const bytes = readDbFile(file);
  assert.deepEqual(Buffer.from(bytes), readFileSync(file));
  assert.ok(bytes.buffer.byteLength >= 2 * bytes.length, 'room to grow');
  const db = new SQL.Database(bytes);
  db.exec(`INSERT INTO t SELECT a + 1000, b FROM t; INSERT INTO t SELECT a + 10000, b FROM t`);
  assert.equal(db.exec('SELECT count(*) FROM t')[0].values[0][0], 2000);
  assert.equal(db.exec('PRAGMA quick_check')[0].values[0][0], 'ok');
  const exported = db.export();
  db.close();
  const again = new SQL.Database(exported);
  assert.equal(again.exec('SELECT count(*), sum(a) FROM t')[0].values[0][0], 2000);
  again.close();
});
