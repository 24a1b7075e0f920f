// The typed worker protocol end to end through the real DB worker (dist/dbWorker.js): a second
// StoreClient on the same data directory gets a DataDirLockedError whose fields came across the
// thread boundary; a decode error is an OtlpDecodeError; results have their op's shape.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DataDirLockedError, OtlpDecodeError, StoreClient, StoreClosedError } from '../../src/server/storeClient';

const ROOT = join(__dirname, '..', '..');
const workerPath = join(ROOT, 'dist', 'dbWorker.js');

test('errors thrown in the DB worker arrive typed, with their fields', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'ledger-protocol-'));
  const first = await StoreClient.open({ dataDir: dir, workerPath });
  try {
    await assert.rejects(StoreClient.open({ dataDir: dir, workerPath }), (err: unknown) => {
      assert.ok(err instanceof DataDirLockedError, `got ${String(err)}`);
      assert.equal(err.dataDir, dir);
      assert.equal(err.ownerPid, process.pid);
      return true;
    });
    await assert.rejects(first.ingest('logs', 'json', Buffer.from('{not json')), OtlpDecodeError);
    const r = await first.ingest('logs', 'json', Buffer.from('{"resourceLogs":[]}'));
    assert.deepEqual(r, { accepted: 0, rejected: 0 });
    const stats = await first.stats();
    assert.ok(stats.dbBytes > 0 && stats.heapUsedBytes > 0);
    const schema = await first.describeSchema();
    assert.ok(schema.tables.some((t) => t.name === 'sessions'));
  } finally {
    await first.close();
    rmSync(dir, { recursive: true, force: true });
  }
  await assert.rejects(first.query('summary', { range: { key: 'today' } }), StoreClosedError);
});
