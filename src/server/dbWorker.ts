// DB worker entry (dist/dbWorker.js). Owns the sql.js database, the journal and the snapshots; the
// main thread never runs SQL. Requests are handled one at a time in arrival order (the store is
// synchronous), so an ingest's reply means its frame is on disk and applied.
import path from 'node:path';
import { getHeapStatistics } from 'node:v8';
import { parentPort } from 'node:worker_threads';
import { DurableStore } from '../core/store/durableStore';
import { loadSqlJs } from '../core/store/ledgerDb';
import type { HostToWorker, WorkerOpenParams, WorkerToHost } from './storeProtocol';

if (!parentPort) throw new Error('dbWorker.js must run as a worker thread');
const port = parentPort;
let store: DurableStore | undefined;

const post = (m: WorkerToHost, transfer?: ArrayBuffer[]) => port.postMessage(m, transfer);
const log = (level: 'info' | 'warn' | 'error', msg: string) => post({ type: 'log', level, msg });

async function open(p: WorkerOpenParams): Promise<{ dataVersion: number }> {
  const SQL = await loadSqlJs(p.wasmPath ?? path.join(__dirname, 'sql-wasm.wasm'));
  store = DurableStore.open(SQL, {
    dataDir: p.dataDir,
    ingest: p.ingest,
    retention: p.retention,
    snapshot: p.snapshot,
    priceOverrides: p.priceOverrides,
    log,
    onChanged: (dataVersion) => post({ type: 'changed', dataVersion }),
  });
  return { dataVersion: store.dataVersion };
}

function need(): DurableStore {
  if (!store) throw new Error('the store is not open');
  return store;
}

async function handle(m: HostToWorker): Promise<{ result: unknown; transfer?: ArrayBuffer[]; after?: () => void }> {
  switch (m.op) {
    case 'open':
      return { result: await open(m.params) };
    case 'ingest': {
      const s = need();
      return { result: s.ingest(m.signal, m.encoding, new Uint8Array(m.body)), after: () => s.maybeSnapshot() };
    }
    case 'query':
      return { result: need().query(m.method, m.params as never) };
    case 'rows':
      return { result: need().rows(m.dataset, m.range, m.pageSize, m.cursor) };
    case 'exportReplica': {
      const bytes = need().exportReplica();
      const buf = bytes.buffer.byteLength === bytes.byteLength ? bytes.buffer : bytes.slice().buffer;
      return { result: { bytes: buf, dataVersion: need().dataVersion }, transfer: [buf as ArrayBuffer] };
    }
    case 'audit':
      need().audit(m.entry);
      return { result: null };
    case 'describeSchema':
      return { result: need().describeSchema() };
    case 'snapshotNow':
      need().snapshotNow();
      return { result: null };
    case 'clearAll':
      need().clearAll();
      return { result: null };
    case 'prune':
      return { result: await need().pruneSoon() };
    case 'stats': {
      // Memory of this worker's isolate (sql.js's wasm memory and MEMFS file are in it), for the bench.
      const h = getHeapStatistics();
      return { result: { heapUsedBytes: h.used_heap_size, externalBytes: h.external_memory, dbBytes: need().sizeBytes(), journalBytes: need().journalBytes } };
    }
    case 'close':
      store?.close();
      store = undefined;
      return { result: null };
  }
}

// One request at a time, in order.
let chain: Promise<void> = Promise.resolve();
port.on('message', (m: HostToWorker) => {
  chain = chain.then(async () => {
    try {
      const { result, transfer, after } = await handle(m);
      post({ type: 'reply', id: m.id, ok: true, result }, transfer);
      if (after) {
        try {
          after();
        } catch (err) {
          log('error', `snapshot after ingest failed: ${(err as Error).message} (the journal still holds the data)`);
        }
      }
    } catch (err) {
      const e = err as Error;
      post({ type: 'reply', id: m.id, ok: false, error: { name: e.name, message: e.message, stack: e.stack } });
    }
  });
});
