// Messages between StoreClient (main thread) and dbWorker (worker thread).
import type { QueryMethods, QueryName, RangeSpec } from '../protocol/dto';
import type { IngestOptions, Signal } from '../core/otlp/records';
import type { RetentionOptions, SnapshotOptions } from '../core/store/options';
import type { RowsDataset } from '../core/queries/rows';
import type { PriceOverrides } from '../core/pricing/priceTable';

export interface WorkerOpenParams {
  dataDir: string;
  wasmPath?: string;
  ingest?: Partial<IngestOptions>;
  retention?: Partial<RetentionOptions>;
  snapshot?: Partial<SnapshotOptions>;
  priceOverrides?: PriceOverrides;
}

export type HostToWorker = { id: number } & (
  | { op: 'open'; params: WorkerOpenParams }
  | { op: 'ingest'; signal: Signal; encoding: 'protobuf' | 'json'; body: ArrayBuffer }
  | { op: 'query'; method: QueryName; params: QueryMethods[QueryName]['params'] }
  | { op: 'rows'; dataset: RowsDataset; range: RangeSpec; pageSize?: number; cursor?: number }
  | { op: 'exportReplica' }
  | { op: 'audit'; entry: { tool: string; args: string; rows: number; durationMs: number; ok: boolean } }
  | { op: 'describeSchema' }
  | { op: 'snapshotNow' }
  | { op: 'clearAll' }
  | { op: 'prune' }
  | { op: 'stats' }
  | { op: 'close' }
);

export type WorkerToHost =
  | { type: 'reply'; id: number; ok: true; result: unknown }
  | { type: 'reply'; id: number; ok: false; error: { name: string; message: string; stack?: string } }
  | { type: 'changed'; dataVersion: number }
  | { type: 'log'; level: 'info' | 'warn' | 'error'; msg: string };
