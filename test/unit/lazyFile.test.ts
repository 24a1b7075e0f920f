// A database file read on demand (readDbFile(file, lazy) + LedgerDb.open; lazyFile.ts, pageTracker.ts):
// opening it and answering the status reads a few blocks, not the file; every answer, every write and
// the bytes of the file afterwards are those of the same file read whole; a write past the buffer's
// capacity loads the rest first, and export() gives the whole file; the deferred check's slices load it all and
// pass; a lazily opened file that turns out corrupt fails its check.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { runQuery } from '../../src/core/queries/runQuery';
import { LedgerDb, lazyFileOf, readDbFile } from '../../src/core/store/ledgerDb';
import type { QueryMethods, QueryName } from '../../src/protocol/dto';
import { records, scenarios, sqlJs } from './storeTestSupport';

const BLOCK = 4096; // a page per block: the fixture store is a few hundred KB
const ALL = { key: 'all' } as const;

/** The fixture scenarios, ingested in two halves: a stored file and what comes after it. */
function batches() {
  const all = scenarios().flatMap((sc) => records(sc));
  return { first: all.slice(0, Math.ceil(all.length / 2)), later: all.slice(Math.ceil(all.length / 2)) };
}

async function storedFile(): Promise<{ dir: string; file: string }> {
  const SQL = await sqlJs();
  const db = LedgerDb.open(SQL);
  for (const b of batches().first) db.apply(b);
  const dir = mkdtempSync(path.join(tmpdir(), 'ledger-lazy-'));
  const file = path.join(dir, 'ledger.db');
  writeFileSync(file, db.export());
  db.close();
  return { dir, file };
}

function answers(db: LedgerDb, nowMs: number): unknown[] {
  const ctx = { sql: db.sql, nowMs, dataVersion: db.dataVersion, lastEventMs: db.lastEventMs };
  const q = <M extends QueryName>(m: M, p: QueryMethods[M]['params']) => runQuery(ctx, m, p);
  return [q('status', {}), q('summary', { range: ALL, groupBy: 'model' }), q('sessions', { range: ALL, limit: 500 }), q('productivity', { range: ALL }),
    q('acceptance', { range: ALL }), q('filesEdited', { range: ALL }), q('toolStats', { range: ALL }), q('costSeries', { range: ALL, bucket: 'day' })];
}

const NOW = Date.UTC(2027, 0, 1);

test('a lazily read file answers, changes and snapshots as the same file read whole; its check loads it all', async () => {
  const SQL = await sqlJs();
  const { dir, file } = await storedFile();
  try {
    const bytes = readDbFile(file, { blockBytes: BLOCK });
    const lazy = lazyFileOf(bytes)!;
    const db = LedgerDb.open(SQL, bytes, {}, 'deferred');
    runQuery({ sql: db.sql, nowMs: NOW, dataVersion: db.dataVersion, lastEventMs: db.lastEventMs }, 'status', {});
    const afterStatus = lazy.progress;
    assert.ok(afterStatus.blocks > 10 && afterStatus.loaded < afterStatus.blocks / 2, `open + status read ${afterStatus.loaded} of ${afterStatus.blocks} blocks`);
    const eager = LedgerDb.open(SQL, readDbFile(file), {}, 'now');
    assert.deepEqual(answers(db, NOW), answers(eager, NOW));
    // The same writes, the same changed pages with the same bytes.
    db.takeChangedChunks();
    eager.takeChangedChunks();
    for (const b of batches().later) assert.deepEqual(db.apply(b), eager.apply(b));
    const chunks = db.takeChangedChunks()!;
    assert.deepEqual(chunks, eager.takeChangedChunks());
    assert.ok(chunks.length > 0);
    for (const c of chunks) {
      const a = new Uint8Array(LedgerDb.chunkBytes);
      const b = new Uint8Array(LedgerDb.chunkBytes);
      db.readFile(c * LedgerDb.chunkBytes, a);
      eager.readFile(c * LedgerDb.chunkBytes, b);
      assert.ok(Buffer.from(a).equals(Buffer.from(b)), `chunk ${c}`);
    }
    assert.deepEqual(answers(db, NOW), answers(eager, NOW));
    // The deferred check: load slices, then quick_check; all of the file is loaded and it passes.
    const slices = db.checkSlices();
    assert.ok(slices.length >= 2 && slices.at(-1)!.what === 'PRAGMA quick_check', slices.map((s) => s.what).join(', '));
    for (const s of slices) assert.equal(db.runCheck(s), undefined, s.what);
    assert.ok(lazy.complete);
    assert.ok(Buffer.from(db.export()).equals(Buffer.from(eager.export())), 'the whole file is the same');
    db.close();
    eager.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a write past the buffer loads the rest of the file first; export() gives the whole file', async () => {
  const SQL = await sqlJs();
  const { dir, file } = await storedFile();
  try {
    // No room to grow: the first write that extends the file would make MEMFS copy it.
    const bytes = readDbFile(file, { blockBytes: BLOCK, capacity: 0 });
    const lazy = lazyFileOf(bytes)!;
    const db = LedgerDb.open(SQL, bytes, {}, 'deferred');
    const eager = LedgerDb.open(SQL, readDbFile(file), {}, 'now');
    assert.ok(!lazy.complete);
    for (const b of batches().later) db.apply(b), eager.apply(b);
    assert.ok(lazy.complete, 'the file grew past the buffer: it was loaded whole first');
    assert.deepEqual(answers(db, NOW), answers(eager, NOW));
    db.close();
    eager.close();

    // export() (SQLite's backup API in this sql.js; FS.readFile in older ones) gives the file's bytes.
    const again = readDbFile(file, { blockBytes: BLOCK });
    const reopened = LedgerDb.open(SQL, again, {}, 'deferred');
    assert.ok(!lazyFileOf(again)!.complete);
    assert.ok(Buffer.from(reopened.export()).equals(readFileSync(file)), 'export() of an unchanged file is the file');
    assert.ok(lazyFileOf(again)!.complete);
    reopened.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a lazily read file with a damaged page fails its deferred check', async () => {
  const SQL = await sqlJs();
  const { dir, file } = await storedFile();
  try {
    const damaged = readFileSync(file);
    // Garbage over a page in the second half (not read by open and status): found by the check only.
    const pages = damaged.length / 4096;
    let problem: string | undefined;
    for (let page = pages - 2; page > pages / 2 && !problem; page--) {
      const copy = Buffer.from(damaged);
      copy.fill(0x5a, page * 4096 + 100, page * 4096 + 4000);
      writeFileSync(file, copy);
      let db: LedgerDb;
      try {
        db = LedgerDb.open(SQL, readDbFile(file, { blockBytes: BLOCK }), {}, 'deferred');
      } catch {
        continue; // the schema read reached it: not the case this test is about
      }
      for (const s of db.checkSlices()) problem ??= db.runCheck(s);
      db.close();
    }
    assert.match(problem ?? '', /quick_check/, 'the check names the damage');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
