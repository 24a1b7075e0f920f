// Every limit of the store in one place, each with its default and the reason for it.

export interface RetentionOptions {
  /** Raw detail (requests, prompts, tool calls, spans, metric points) is kept this many days. */
  rawDays: number;
  /** Rollups (what every total and chart reads) are kept this many days. */
  rollupDays: number;
  /** Soft cap on the live database size; above it the oldest raw detail goes first (rollups stay). */
  maxDbBytes: number;
  /** Rows deleted per statement, so that one pruning step never holds the worker for long. */
  pruneBatchRows: number;
  /** How often the worker looks for something to prune. */
  pruneIntervalMs: number;
  /** Unknown / other events are kept for display only; bounded so a chatty service cannot fill the DB. */
  maxGenericEvents: number;
}

export const DEFAULT_RETENTION_OPTIONS: RetentionOptions = {
  rawDays: 90, // the default; a quarter of per-request history is enough to investigate a bill
  rollupDays: 2 * 365, // two years of daily/15-minute totals for year-over-year comparisons
  maxDbBytes: 1024 * 1024 * 1024, // 1 GB: the DB lives in memory (sql.js), so it must stay bounded
  pruneBatchRows: 2_000, // a 2k-row delete takes a few ms; queries interleave between batches
  pruneIntervalMs: 10 * 60_000, // retention is measured in days; every 10 minutes is plenty
  maxGenericEvents: 200_000,
};

export interface SnapshotOptions {
  /** Snapshot (and truncate the journal) when the journal passes this size: bounds replay time on start. */
  journalBytes: number;
  /** Snapshot after this long without ingest, so a quiet editor leaves a short journal. */
  idleMs: number;
}

export const DEFAULT_SNAPSHOT_OPTIONS: SnapshotOptions = {
  // ~16 MB of OTLP protobuf is ~20k records: replay at 16-40k rows/s stays around half a second.
  journalBytes: 16 * 1024 * 1024,
  idleMs: 30_000,
};

/** Bounds of the row-paging API (CSV export). */
export const ROWS_PAGE_DEFAULT = 1_000;
export const ROWS_PAGE_MAX = 10_000;
