// Child process of test/integration/storeSnapshotCrash.test.ts (not a test): opens the store on a data
// directory, ingests batches `from`..`to` (one new session each; prints "ack <k>" once ingest returned,
// i.e. after the journal fsync), then snapshots with CLAUDE_LEDGER_TEST_FAILPOINT set by the parent,
// which SIGKILLs this process at that step of the snapshot. Mode `steps` snapshots the way the DB
// worker does (snapshotInSteps: fsyncs on the thread pool, queries answered between the steps), then
// ingests one more batch (acknowledged after the snapshot is on disk).
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { DurableStore } from '../../src/core/store/durableStore';
import { loadSqlJs } from '../../src/core/store/ledgerDb';

const ROOT = path.resolve(__dirname, '../..');
const FIXTURE = path.join(ROOT, 'test/fixtures/claude-code-otlp/f-write-edit-bash-json/logs-001.json');

export function crashBatch(template: string, k: number): Buffer {
  const sessionId = /"session\.id","value":\{"stringValue":"([^"]+)"/.exec(template.replace(/\s/g, ''))![1];
  return Buffer.from(template.split(sessionId).join(`snap-session-${String(k).padStart(4, '0')}`).split('req_fake').join(`req_s${k}_`));
}

async function main(): Promise<void> {
  const [dataDir, from, to, mode] = [process.argv[2], Number(process.argv[3]), Number(process.argv[4]), process.argv[5] ?? 'sync'];
  const template = readFileSync(FIXTURE, 'utf8');
  const SQL = await loadSqlJs(path.join(ROOT, 'node_modules/sql.js/dist/sql-wasm.wasm'));
  const store = DurableStore.open(SQL, { dataDir, log: () => undefined, snapshot: { journalBytes: 1 << 30, idleMs: 3_600_000 } });
  for (let k = from; k < to; k++) {
    store.ingest('logs', 'json', crashBatch(template, k));
    process.stdout.write(`ack ${k}\n`);
  }
  if (mode === 'steps') {
    let done = false;
    let reads = 0;
    const run = store.snapshotInSteps().finally(() => (done = true));
    // Reads between the steps, as the worker answers them (the failpoint kills the process in a step).
    while (!done) {
      store.query('status', {});
      reads++;
      await new Promise((r) => setImmediate(r));
    }
    await run;
    process.stdout.write(`snapshot done (${reads} reads between its steps)\n`);
    store.ingest('logs', 'json', crashBatch(template, to));
    process.stdout.write(`ack ${to}\n`);
  } else {
    store.snapshotNow(); // the failpoint kills the process inside this call
    process.stdout.write('snapshot done\n');
  }
  store.close();
}

if (require.main === module) main().catch((err) => {
  process.stderr.write(`${(err as Error).stack}\n`);
  process.exit(1);
});
