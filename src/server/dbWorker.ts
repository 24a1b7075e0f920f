// DB worker entry (dist/dbWorker.js). Owns the sql.js database, the journal and the snapshots; the
// main thread never runs SQL. Requests are handled in arrival order (the store is synchronous), except
// that reads (queries, rows, stats) may go before ingests queued ahead of them; an ingest's reply means
// its frame is on disk and applied.
//
// Group commit: messages are queued as they arrive and drained from a setImmediate. Consecutive ingests
// at the head of the queue are handled together (DurableStore.ingestMany: one journal write + one fsync
// and one transaction for all of them), then each gets its own reply. While a group is being written,
// the next requests wait in the port; they form the next group. So a lone request is not delayed, and
// many small concurrent requests share one fsync instead of queueing for one each. A group is bounded
// by time too (GROUP_TARGET_MS): after each group the worker lets the port deliver what arrived and
// answers the reads waiting behind the remaining ingests, so a status query never waits for a whole
// burst of writes.
import path from 'node:path';
import { getHeapStatistics } from 'node:v8';
import { performance } from 'node:perf_hooks';
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
    deferCheck: true,
    log,
    onChanged: (dataVersion) => post({ type: 'changed', dataVersion }),
  });
  // The deferred quick_check starts once the first request after open is answered (the status bar's
  // first figure does not wait for it), or after CHECK_DELAY_MS when nothing asks.
  checkTimer = setTimeout(startCheck, CHECK_DELAY_MS);
  checkTimer.unref?.();
  return { dataVersion: store.dataVersion };
}

const CHECK_DELAY_MS = 1_000;
let checkTimer: NodeJS.Timeout | undefined;

function startCheck(): void {
  if (checkTimer === undefined) return;
  clearTimeout(checkTimer);
  checkTimer = undefined;
  store?.checkInBackground().catch((err: Error) => log('error', `database check failed: ${err.message}`));
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
  // In steps: the drain loop answers reads until it is on disk (see drain).
  snapshotNow: async () => {
    await need('snapshotNow').snapshotInSteps();
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
    return { result: { heapUsedBytes: h.used_heap_size, externalBytes: h.external_memory, dbBytes: s.sizeBytes(), journalBytes: s.journalBytes, ...m, lastSnapshot: s.lastSnapshot ?? null, ...groupStats, checkPending: s.checkPending } };
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
  if (m.op !== 'open') startCheck();
}

type IngestMessage = Extract<HostToWorker, { op: 'ingest' }>;

/** Bounds of one group (the rest waits for the next): journal bytes written at once, and requests. */
const GROUP_MAX_BYTES = 32 * 1024 * 1024;
const GROUP_MAX_REQUESTS = 512;
/**
 * A group is also bounded by time: queued reads are answered between groups, so a read waits for at
 * most about one group. The byte budget of the next group is what the worker wrote in GROUP_TARGET_MS
 * at the rate of the last groups (decode + journal + fsync + apply per body byte), never below
 * GROUP_MIN_BYTES (small requests: the fsync, not the bytes, is most of their cost).
 */
const GROUP_TARGET_MS = 50;
const GROUP_MIN_BYTES = 64 * 1024;
let bytesPerMs = 0; // the rate of the last group that took long enough to time (none yet: the minimum)

/** Ops that only read: they may be answered before ingests queued ahead of them (none of those was acknowledged yet). */
const READ_OPS: ReadonlySet<WorkerOp> = new Set<WorkerOp>(['query', 'rows', 'stats', 'describeSchema']);

const groupStats = { ingestGroups: 0, groupedRequests: 0 };

/**
 * One group commit: every reply is posted after the fsync that covers its frame (ingestMany returns after
 * it). Returns the store for the snapshot check that follows (undefined when it is not open).
 */
function ingestGroup(group: IngestMessage[]): DurableStore | undefined {
  let results: ReturnType<DurableStore['ingestMany']>;
  let s: DurableStore;
  try {
    s = need('ingest');
    groupStats.ingestGroups++;
    groupStats.groupedRequests += group.length;
    results = s.ingestMany(group.map((m) => ({ signal: m.params.signal, encoding: m.params.encoding, body: new Uint8Array(m.params.body) })));
  } catch (err) {
    for (const m of group) post({ type: 'reply', id: m.id, ok: false, error: toWireError(err) });
    return undefined;
  }
  for (let i = 0; i < group.length; i++) {
    const r = results[i];
    if (r instanceof Error) post({ type: 'reply', id: group[i].id, ok: false, error: toWireError(r) });
    else post({ type: 'reply', id: group[i].id, ok: true, result: r });
  }
  return s;
}

/** The next group: consecutive ingests at the head of the queue, within the bounds above (at least one). */
function takeGroup(): IngestMessage[] {
  const budget = Math.min(GROUP_MAX_BYTES, Math.max(GROUP_MIN_BYTES, bytesPerMs * GROUP_TARGET_MS));
  const group: IngestMessage[] = [];
  let bytes = 0;
  while (queue.length > 0 && queue[0].op === 'ingest' && group.length < GROUP_MAX_REQUESTS && (group.length === 0 || bytes + queue[0].params.body.byteLength <= budget)) {
    const m = queue.shift() as IngestMessage;
    bytes += m.params.body.byteLength;
    group.push(m);
  }
  return group;
}

/**
 * Answers the queued reads up to the first op that is neither a read nor an ingest (reads wait for no
 * write; none of the ingests they pass was acknowledged yet, and no other op is passed).
 */
async function answerReads(): Promise<void> {
  for (let i = 0; i < queue.length; ) {
    const op = queue[i].op;
    if (op === 'ingest') i++;
    else if (READ_OPS.has(op)) await runOne(queue.splice(i, 1)[0]);
    else return;
  }
}

/** Drains again once the snapshot running in steps is on disk. */
let waitingForSnapshot = false;
function resumeAfterSnapshot(s: DurableStore): void {
  if (waitingForSnapshot) return;
  waitingForSnapshot = true;
  void s.snapshotSettled().then(() => {
    waitingForSnapshot = false;
    if (!draining && queue.length > 0) schedule();
  });
}

/** Lets the port deliver the messages posted meanwhile (a status query during a long burst of ingests). */
const yieldToPort = () => new Promise<void>((resolve) => setImmediate(resolve));

/** Requests in arrival order; `draining` while the loop below owns the queue. */
const queue: HostToWorker[] = [];
let draining = false;

async function drain(): Promise<void> {
  let threw = true;
  try {
    while (queue.length > 0) {
      // A snapshot runs in steps (its fsyncs on the thread pool): reads are answered, the rest waits.
      if (store?.snapshotting) {
        await answerReads();
        resumeAfterSnapshot(store);
        break;
      }
      if (queue[0].op !== 'ingest') {
        const m = queue.shift()!;
        const done = runOne(m);
        if (m.op !== 'snapshotNow') await done; // its reply comes when the steps are done
        continue;
      }
      const group = takeGroup();
      const bytes = group.reduce((n, m) => n + m.params.body.byteLength, 0);
      const t0 = performance.now();
      const s = ingestGroup(group);
      const ms = performance.now() - t0;
      // Only groups that took long enough to time say something about the rate (the store slows as it grows).
      if (ms >= 5) bytesPerMs = bytes / ms;
      if (s) runAfter(() => s.maybeSnapshot());
      if (queue.length > 0) {
        await yieldToPort();
        await answerReads();
      }
    }
    threw = false;
  } finally {
    draining = false;
    if (threw && queue.length > 0) schedule(); // only after an unexpected throw above
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
