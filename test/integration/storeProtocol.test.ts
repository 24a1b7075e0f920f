// The typed worker protocol end to end through the real DB worker (dist/dbWorker.js): a second
// StoreClient on the same data directory gets a DataDirLockedError whose fields came across the
// thread boundary; a decode error is an OtlpDecodeError; results have their op's shape.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
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

test('a query posted behind a burst of ingests is answered between ingest groups; a snapshot answers reads between its steps', { timeout: 120_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'ledger-protocol-'));
  const store = await StoreClient.open({ dataDir: dir, workerPath, snapshot: { journalBytes: 1 << 30, idleMs: 3_600_000 } });
  try {
    // Real Claude Code logs (h-long-session), 20 copies per body with their own session and request ids.
    const fixture = join(ROOT, 'test/fixtures/claude-code-otlp/h-long-session/logs-001.decoded.json');
    const template = readFileSync(fixture, 'utf8');
    const sessionId = /"session\.id",\s*"value":\s*\{\s*"stringValue":\s*"([^"]+)"/.exec(template)![1];
    const body = (k: number) => {
      const parts: unknown[] = [];
      for (let c = 0; c < 20; c++) parts.push(...JSON.parse(template.split(sessionId).join(`burst-${k}-${c}`).split('req_fake').join(`req_b${k}_${c}_`)).resourceLogs);
      return Buffer.from(JSON.stringify({ resourceLogs: parts }));
    };
    const bodies = Array.from({ length: 30 }, (_, k) => body(k));
    const order: string[] = [];
    const ingests = bodies.map((b, k) => store.ingest('logs', 'json', b).then(() => order.push(`ingest ${k}`)));
    const query = store.query('status', {}).then(() => order.push('query'));
    await Promise.all([...ingests, query]);
    const at = order.indexOf('query');
    assert.ok(at < bodies.length, `the query was answered before the last ingest (${order.join(', ')})`);
    const groups = (await store.stats()).ingestGroups;
    assert.ok(groups > 1, `the burst was written in several groups (${groups})`);
    // Every ingest of the burst is there once.
    assert.equal((await store.query('summary', { range: { key: 'all' } })).sessions, 30 * 20);

    // The first snapshot is a full one; the next writes changed pages in steps.
    await store.snapshotNow();
    await store.ingest('logs', 'json', body(99));
    let answered = 0;
    let done = false;
    const snap = store.snapshotNow().then(() => (done = true));
    while (!done) {
      await store.query('status', {});
      if (!done) answered++;
    }
    await snap;
    const last = (await store.stats()).lastSnapshot;
    assert.equal(last?.kind, 'pages');
    assert.ok(answered > 0, 'status answered while the snapshot was running');
  } finally {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
