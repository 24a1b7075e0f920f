// The protocol between StoreClient (main thread) and dbWorker (worker thread), typed once for both sides.
//
// Adding an op: one entry in WorkerOps (params + result) and one handler in dbWorker.ts's table (the
// table is `WorkerHandlers`, so a missing handler is a compile error); StoreClient then calls
// `this.call('newOp', params)` and gets the result type from the map. Nothing else to touch.
//
// Errors cross the boundary as WireError: the typed errors carry their fields and are rebuilt from
// them (so `instanceof` and the fields work on the main thread); any other error keeps name, message
// and stack.
import type { ForwardStatusDto, QueryMethods, QueryName, RangeSpec } from '../protocol/dto';
import { OtlpDecodeError } from '../core/otlp/responses';
import type { Encoding } from '../core/otlp/responses';
import type { IngestOptions, Signal } from '../core/otlp/records';
import type { AuditEntry } from '../core/store/durableStore';
import type { SchemaDescription } from '../core/store/describeSchema';
import { DataDirLockedError, SchemaTooNewError, StoreClosedError } from '../core/store/errors';
import type { IngestResult } from '../core/store/ingestResult';
import type { RetentionOptions, SnapshotOptions } from '../core/store/options';
import type { RowsDataset, RowsPage } from '../core/queries/rows';
import type { PriceOverrides } from '../core/pricing/priceTable';
import type { ImportChunkRequest, ImportChunkResult } from '../core/transcripts/importSummary';
import type { StatuslinePostDto, StatuslineReplyDto } from '../protocol/limitsDto';

export interface WorkerOpenParams {
  dataDir: string;
  wasmPath?: string;
  ingest?: Partial<IngestOptions>;
  retention?: Partial<RetentionOptions>;
  snapshot?: Partial<SnapshotOptions>;
  priceOverrides?: PriceOverrides;
  /** Forwarding on: snapshots keep unsent journal frames in the forward spool (DurableStoreOptions.forward). */
  forward?: boolean;
}

/** Memory of the worker's isolate (sql.js's wasm memory and MEMFS file are in it) and file sizes. */
export interface WorkerStats {
  heapUsedBytes: number;
  externalBytes: number;
  dbBytes: number;
  journalBytes: number;
  /** The database file in sql.js's in-memory file system (page_count x page_size). */
  dbFileBytes: number;
  /** sql.js's wasm heap (page cache, statements, sorting); it grows and never shrinks. */
  wasmHeapBytes: number;
  /** The last snapshot: how (pages = changed pages only), bytes written, wall time and its longest synchronous step (the worker answers reads between steps). */
  lastSnapshot: { kind: 'pages' | 'full' | 'export'; bytes: number; ms: number; longestStepMs: number } | null;
  /** Group commit: ingest groups written (one journal write + fsync each) and the requests in them. */
  ingestGroups: number;
  groupedRequests: number;
  /** Slices of the deferred check not run yet (the rest of a lazily read file, then quick_check); 0 = checked. */
  checkPending: number;
}

/**
 * Every op: what the main thread sends and what the worker answers. `M` narrows the one generic op
 * (`query`): the client passes its method's name so the result is that method's DTO; the worker's
 * handler sees the union over all methods (the default) and answers through the typed runQuery.
 */
export interface WorkerOps<M extends QueryName = QueryName> {
  /** Lock the data dir, load the snapshot, replay the journal. */
  open: { params: WorkerOpenParams; result: { dataVersion: number } };
  /** Journal (fsync) and apply one request body; the reply means it is on disk. `body` is transferred. */
  ingest: { params: { signal: Signal; encoding: Encoding; body: ArrayBuffer }; result: IngestResult };
  query: { params: { method: M; params: QueryMethods[M]['params'] }; result: QueryMethods[M]['result'] };
  rows: { params: { dataset: RowsDataset; range: RangeSpec; pageSize?: number; cursor?: number }; result: RowsPage };
  /** Database bytes (transferred) and the data version they show. */
  exportReplica: { params: Record<string, never>; result: { bytes: ArrayBuffer; dataVersion: number } };
  audit: { params: { entry: AuditEntry }; result: null };
  /** A mapped copy of the interface: an anonymous type also fits MCP's open SchemaDescription (index signature). */
  describeSchema: { params: Record<string, never>; result: Pick<SchemaDescription, keyof SchemaDescription> };
  snapshotNow: { params: Record<string, never>; result: null };
  /** One bounded step of a transcript import (read, parse, apply, store the position: one transaction). */
  importTranscriptChunk: { params: ImportChunkRequest; result: ImportChunkResult };
  clearAll: { params: Record<string, never>; result: null };
  /** A status line call: store its rate-limit snapshot, answer today's spend (one round trip). */
  statusline: { params: StatuslinePostDto; result: StatuslineReplyDto };
  /** Retention now; the rows deleted. */
  prune: { params: Record<string, never>; result: number };
  stats: { params: Record<string, never>; result: WorkerStats };
  /** The forwarder's status (held in memory, read by the `status` query); null = forwarding off. */
  forwardStatus: { params: { status: ForwardStatusDto | null }; result: null };
  /** Final snapshot and release the lock. */
  close: { params: Record<string, never>; result: null };
}

export type WorkerOp = keyof WorkerOps;

/** What a handler returns: the result, buffers to transfer with it, and work to run after the reply. */
export interface HandlerReply<O extends WorkerOp> {
  result: WorkerOps[O]['result'];
  transfer?: ArrayBuffer[];
  after?: () => void;
}

/** The worker's handler table: one entry per op, or it does not compile. */
export type WorkerHandlers = { [O in WorkerOp]: (params: WorkerOps[O]['params']) => HandlerReply<O> | Promise<HandlerReply<O>> };

/** One request. StoreClient sends it for a known op (and query method); the worker receives HostToWorker. */
export interface RequestMessage<O extends WorkerOp, M extends QueryName = QueryName> {
  id: number;
  op: O;
  params: WorkerOps<M>[O]['params'];
}

export type HostToWorker = { [O in WorkerOp]: RequestMessage<O> }[WorkerOp];

export type WorkerToHost =
  | { type: 'reply'; id: number; ok: true; result: WorkerOps[WorkerOp]['result'] }
  | { type: 'reply'; id: number; ok: false; error: WireError }
  | { type: 'changed'; dataVersion: number }
  | { type: 'log'; level: 'info' | 'warn' | 'error'; msg: string };

/** An error as it crosses the boundary. `kind` says which typed error it is and what fields it has. */
export type WireError = { message: string; stack?: string } & (
  | { kind: 'DataDirLockedError'; fields: { dataDir: string; ownerPid: number } }
  | { kind: 'SchemaTooNewError'; fields: { found: number; supported: number } }
  | { kind: 'StoreClosedError'; fields: { what: string } }
  | { kind: 'OtlpDecodeError' }
  | { kind: 'untyped'; name: string }
);

/** Worker side: an error thrown by a handler, as data. */
export function toWireError(err: unknown): WireError {
  if (!(err instanceof Error)) return { kind: 'untyped', name: 'Error', message: String(err) };
  const { message, stack } = err;
  if (err instanceof DataDirLockedError) return { kind: 'DataDirLockedError', message, stack, fields: { dataDir: err.dataDir, ownerPid: err.ownerPid } };
  if (err instanceof SchemaTooNewError) return { kind: 'SchemaTooNewError', message, stack, fields: { found: err.found, supported: err.supported } };
  if (err instanceof StoreClosedError) return { kind: 'StoreClosedError', message, stack, fields: { what: err.what } };
  if (err instanceof OtlpDecodeError) return { kind: 'OtlpDecodeError', message, stack };
  return { kind: 'untyped', name: err.name, message, stack };
}

/** Main-thread side: the same error class with the same fields (constructors rebuild the message). */
export function reviveWireError(w: WireError): Error {
  let err: Error;
  switch (w.kind) {
    case 'DataDirLockedError':
      err = new DataDirLockedError(w.fields.dataDir, w.fields.ownerPid);
      break;
    case 'SchemaTooNewError':
      err = new SchemaTooNewError(w.fields.found, w.fields.supported);
      break;
    case 'StoreClosedError':
      err = new StoreClosedError(w.fields.what);
      break;
    case 'OtlpDecodeError':
      err = new OtlpDecodeError(w.message);
      break;
    case 'untyped':
      err = new Error(w.message);
      err.name = w.name;
      break;
    default: {
      const unhandled: never = w;
      throw new Error(`unknown worker error ${JSON.stringify(unhandled)}`);
    }
  }
  if (w.stack) err.stack = `${err.name}: ${err.message}\n    (in the DB worker)\n${w.stack.split('\n').slice(1).join('\n')}`;
  return err;
}
