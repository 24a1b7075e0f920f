// The page tracker (src/core/store/pageTracker.ts) recognises sql.js's file syscalls by the shape of their
// code. These tests fail loudly when a sql.js upgrade or a bundler changes that shape (snapshots would
// silently fall back to whole-database copies): with sql.js as tsx loads it, and as esbuild bundles it for
// the extension (plain and minified, like `--production`). And the chunks it reports are exactly what
// changed: a copy of the file patched with them equals the live database.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import * as esbuild from 'esbuild';
import { CHUNK_BYTES } from '../../src/core/store/pageTracker';
import { LedgerDb, pageTrackerOf } from '../../src/core/store/ledgerDb';
import { records, ROOT, scenarios, sqlJs, WASM } from './storeTestSupport';

test('page tracking is active with the pinned sql.js', async () => {
  const t = pageTrackerOf(await sqlJs());
  assert.ok(t, 'loadSqlJs installs a tracker');
  assert.equal(t.reason, 'active');
  assert.ok(t.wasmHeapBytes > 0);
});

for (const minify of [false, true]) {
  test(`page tracking is active in an esbuild bundle (minify ${minify})`, async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'ledger-tracker-'));
    const entry = path.join(dir, 'entry.ts');
    writeFileSync(entry, `import { loadSqlJs, pageTrackerOf } from ${JSON.stringify(path.join(ROOT, 'src/core/store/ledgerDb'))};
loadSqlJs(process.argv[2]).then((S) => process.stdout.write(String(pageTrackerOf(S)?.reason)));`);
    const out = path.join(dir, 'entry.js');
    await esbuild.build({ entryPoints: [entry], bundle: true, platform: 'node', target: 'node20', format: 'cjs', minify, outfile: out, logLevel: 'warning', nodePaths: [path.join(ROOT, 'node_modules')] });
    assert.equal(execFileSync(process.execPath, [out, WASM], { encoding: 'utf8' }), 'active');
  });
}

test('the changed chunks patch an old copy of the file into the live database, batch after batch', async () => {
  const SQL = await sqlJs();
  const db = LedgerDb.open(SQL);
  const size0 = db.fileBytes();
  let disk = new Uint8Array(size0);
  db.readFile(0, disk);
  db.takeChangedChunks();
  const patch = (label: string) => {
    const chunks = db.takeChangedChunks()!;
    const size = db.fileBytes();
    const next = new Uint8Array(size);
    next.set(disk.subarray(0, Math.min(size, disk.length)));
    for (const c of chunks) {
      const piece = new Uint8Array(CHUNK_BYTES);
      db.readFile(c * CHUNK_BYTES, piece);
      next.set(piece.subarray(0, Math.max(0, Math.min(CHUNK_BYTES, size - c * CHUNK_BYTES))), c * CHUNK_BYTES);
    }
    disk = next;
    const live = new Uint8Array(size);
    db.readFile(0, live);
    assert.ok(Buffer.from(disk).equals(Buffer.from(live)), `${label}: the patched copy equals the live file`);
    return chunks.length / (size / CHUNK_BYTES);
  };
  let batches = 0;
  const fractions: number[] = [];
  for (const sc of scenarios()) {
    for (const b of records(sc)) {
      db.apply(b);
      fractions.push(patch(`after batch ${++batches}`));
    }
  }
  patch('at the end');
  assert.ok(fractions.slice(10).some((f) => f < 0.5), `later batches change only part of the file (${fractions.map((f) => f.toFixed(2)).join(' ')})`);
  // And the patched copy opens as the same database.
  const copy = LedgerDb.open(SQL, disk);
  assert.equal(copy.dataVersion, db.dataVersion);
  copy.close();
  db.close();
});
