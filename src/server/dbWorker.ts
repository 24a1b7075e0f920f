// DB worker entry (dist/dbWorker.js). Owns the sql.js database, the journal and the snapshots; the
// main thread never runs SQL. Requests are handled one at a time in arrival order (the store is
// synchronous), so an ingest's reply means its frame is on disk and applied.
import path from 'node:path';
import { getHeapStatistics } from 'node:v8';
import { parentPort } from 'node:worker_threads';
import { DurableStore } from '../core/store/durableStore';
import { loadSqlJs } from '../core/store/ledgerDb';
import { StoreClosedError } from '../core/store/errors';
import { toWireError, type HostToWorker, type HandlerReply, type WorkerHandlers, type WorkerOp, type WorkerOpenParams, type WorkerToHost } from './storeProtocol';

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
    forward: p.forward,
    log,
    onChanged: (dataVersion) => post({ type: 'changed', dataVersion }),
  });
  return { dataVersion: store.dataVersion };
}

function need(op: WorkerOp): DurableStore {
  if (!store) throw new StoreClosedError(`${op}: the store is not open`);
  return store;
}

/** One handler per op of WorkerOps (storeProtocol.ts); a missing one does not compile. */
const handlers: WorkerHandlers = {
  open: async (p) => ({ result: await open(p) }),
  ingest: ({ signal, encoding, body }) => {
    const s = need('ingest');
    return { result: s.ingest(signal, encoding, new Uint8Array(body)), after: () => s.maybeSnapshot() };
  },
  query: ({ method, params }) => ({ result: need('query').query(method, params) }),
  rows: ({ dataset, range, pageSize, cursor }) => ({ result: need('rows').rows(dataset, range, pageSize, cursor) }),
  exportReplica: () => {
    const s = need('exportReplica');
    const bytes = s.exportReplica();
    // Transfer the buffer when the bytes fill it; otherwise a copy that does.
    const buf = bytes.buffer instanceof ArrayBuffer && bytes.buffer.byteLength === bytes.byteLength ? bytes.buffer : bytes.slice().buffer;
    return { result: { bytes: buf, dataVersion: s.dataVersion }, transfer: [buf] };
  },
  audit: ({ entry }) => {
    need('audit').audit(entry);
    return { result: null };
  },
  describeSchema: () => ({ result: need('describeSchema').describeSchema() }),
  snapshotNow: () => {
    need('snapshotNow').snapshotNow();
    return { result: null };
  },
  importTranscriptChunk: (req) => ({ result: need('importTranscriptChunk').importTranscriptChunk(req) }),
  statusline: (post) => ({ result: need('statusline').recordStatusline(post) }),
  clearAll: () => {
    need('clearAll').clearAll();
    return { result: null };
  },
  prune: async () => ({ result: await need('prune').pruneSoon() }),
  stats: () => {
    const h = getHeapStatistics();
    const s = need('stats');
    return { result: { heapUsedBytes: h.used_heap_size, externalBytes: h.external_memory, dbBytes: s.sizeBytes(), journalBytes: s.journalBytes } };
  },
  forwardStatus: ({ status }) => {
    need('forwardStatus').setForwardStatus(status);
    return { result: null };
  },
  close: () => {
    store?.close();
    store = undefined;
    return { result: null };
  },
};

/** Looks the handler up by the message's op; the mapped type keeps op, params and reply together. */
function dispatch<O extends WorkerOp>(op: O, params: Parameters<WorkerHandlers[O]>[0]): HandlerReply<O> | Promise<HandlerReply<O>> {
  const handler: (p: typeof params) => HandlerReply<O> | Promise<HandlerReply<O>> = handlers[op];
  return handler(params);
}

// One request at a time, in order.
let chain: Promise<void> = Promise.resolve();
// The message is typed here, where it arrives (structured clone gives `any`): StoreClient sends only
// HostToWorker.
port.on('message', (m: HostToWorker) => {
  chain = chain.then(async () => {
    try {
      const { result, transfer, after } = await dispatch(m.op, m.params);
      post({ type: 'reply', id: m.id, ok: true, result }, transfer);
      if (after) {
        try {
          after();
        } catch (err) {
          log('error', `snapshot after ingest failed: ${(err as Error).message} (the journal still holds the data)`);
        }
      }
    } catch (err) {
      post({ type: 'reply', id: m.id, ok: false, error: toWireError(err) });
    }
  });
});
