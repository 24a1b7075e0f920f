// DB worker entry (dist/dbWorker.js). Owns the sql.js database, the journal and the snapshots; the
// main thread never runs SQL. Requests are handled in arrival order (the store is synchronous), so an
// ingest's reply means its frame is on disk and applied.
//
// Group commit: messages are queued as they arrive and drained from a setImmediate. Consecutive ingests
// at the head of the queue are handled together (DurableStore.ingestMany: one journal write + one fsync
// and one transaction for all of them), then each gets its own reply. While a group is being written,
// the next requests wait in the port; they form the next group. So a lone request is not delayed, and
// many small concurrent requests share one fsync instead of queueing for one each.
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
  // A group of one; the drain loop below passes consecutive ingests to ingestGroup together.
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
    const m = s.memoryFacts();
    return { result: { heapUsedBytes: h.used_heap_size, externalBytes: h.external_memory, dbBytes: s.sizeBytes(), journalBytes: s.journalBytes, ...m, lastSnapshot: s.lastSnapshot ?? null, ...groupStats } };
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

function runAfter(after: (() => void) | undefined): void {
  if (!after) return;
  try {
    after();
  } catch (err) {
    log('error', `snapshot after ingest failed: ${(err as Error).message} (the journal still holds the data)`);
  }
}

async function runOne(m: HostToWorker): Promise<void> {
  try {
    const { result, transfer, after } = await dispatch(m.op, m.params);
    post({ type: 'reply', id: m.id, ok: true, result }, transfer);
    runAfter(after);
  } catch (err) {
    post({ type: 'reply', id: m.id, ok: false, error: toWireError(err) });
  }
}

type IngestMessage = Extract<HostToWorker, { op: 'ingest' }>;

/** Bounds of one group (the rest waits for the next): journal bytes written at once, and requests. */
const GROUP_MAX_BYTES = 32 * 1024 * 1024;
const GROUP_MAX_REQUESTS = 512;

const groupStats = { ingestGroups: 0, groupedRequests: 0 };

/** One group commit: every reply is posted after the fsync that covers its frame (ingestMany returns after it). */
function ingestGroup(group: IngestMessage[]): void {
  let results: ReturnType<DurableStore['ingestMany']>;
  let s: DurableStore;
  try {
    s = need('ingest');
    groupStats.ingestGroups++;
    groupStats.groupedRequests += group.length;
    results = s.ingestMany(group.map((m) => ({ signal: m.params.signal, encoding: m.params.encoding, body: new Uint8Array(m.params.body) })));
  } catch (err) {
    for (const m of group) post({ type: 'reply', id: m.id, ok: false, error: toWireError(err) });
    return;
  }
  for (let i = 0; i < group.length; i++) {
    const r = results[i];
    if (r instanceof Error) post({ type: 'reply', id: group[i].id, ok: false, error: toWireError(r) });
    else post({ type: 'reply', id: group[i].id, ok: true, result: r });
  }
  runAfter(() => s.maybeSnapshot());
}

/** Requests in arrival order; `draining` while the loop below owns the queue. */
const queue: HostToWorker[] = [];
let draining = false;

async function drain(): Promise<void> {
  try {
    while (queue.length > 0) {
      if (queue[0].op !== 'ingest') {
        await runOne(queue.shift()!);
        continue;
      }
      const group: IngestMessage[] = [];
      let bytes = 0;
      while (queue.length > 0 && queue[0].op === 'ingest' && group.length < GROUP_MAX_REQUESTS && (group.length === 0 || bytes + queue[0].params.body.byteLength <= GROUP_MAX_BYTES)) {
        const m = queue.shift() as IngestMessage;
        bytes += m.params.body.byteLength;
        group.push(m);
      }
      ingestGroup(group);
    }
  } finally {
    draining = false;
    if (queue.length > 0) schedule(); // only after an unexpected throw above
  }
}

function schedule(): void {
  draining = true;
  setImmediate(() => void drain());
}

// The message is typed here, where it arrives (structured clone gives `any`): StoreClient sends only
// HostToWorker. Draining from setImmediate lets every message already delivered to the port join the
// queue first (the port hands over all pending messages in one poll phase).
port.on('message', (m: HostToWorker) => {
  queue.push(m);
  if (!draining) schedule();
});
