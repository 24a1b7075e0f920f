// Retention: raw detail older than rawDays, rollups older than rollupDays, generic events beyond
// their cap, and (above the size cap) the oldest raw detail first. Pruning runs in small batches so
// the worker answers queries between them; totals come from rollups, so pruning raw rows never
// changes them.
import { BUCKET_MS } from '../time/range';
import type { LedgerDb } from './ledgerDb';
import { pruneSessionFigures } from './productivityFigures';
import type { RetentionOptions } from './options';

/** Raw tables: `order` is the column that follows arrival (rowid, or metric_points' time-first key). */
const RAW_TABLES: readonly { table: string; time: string; order: string; ms: number }[] = [
  { table: 'api_requests', time: 'time_ms', order: 'id', ms: 1 },
  { table: 'prompts', time: 'time_ms', order: 'id', ms: 1 },
  { table: 'tool_calls', time: 'time_ms', order: 'id', ms: 1 },
  { table: 'api_errors', time: 'time_ms', order: 'id', ms: 1 },
  { table: 'generic_events', time: 'time_ms', order: 'id', ms: 1 },
  // WITHOUT ROWID, keyed by time_ns first (schema v8): the oldest rows are a key range.
  { table: 'metric_points', time: 'time_ns', order: 'time_ns', ms: 1e6 },
  { table: 'spans', time: 'start_ms', order: 'id', ms: 1 },
];
const ROLLUP_TABLES: readonly string[] = [
  'effective_usage', 'usage_rollup', 'activity_rollup', 'file_rollup', 'tool_rollup', 'tool_hist', 'decision_rollup', 'edit_decision_rollup',
  'error_rollup', 'estimate_rollup', 'productivity_rollup', 'productivity_buckets', 'edit_language_rollup',
];

export interface PruneStep {
  /** Rows deleted by this step; 0 means nothing is left to prune. */
  deleted: number;
  what: string;
}

/**
 * One bounded pruning step (at most opts.pruneBatchRows rows from one table). Call repeatedly,
 * yielding in between, until it returns deleted = 0.
 *
 * Raw tables are pruned from the head of their rowid order (rows arrive roughly in time order), so
 * a step never scans the table: it looks at the oldest `pruneBatchRows` rows and deletes the old ones.
 */
export function pruneStep(db: LedgerDb, opts: RetentionOptions, nowMs: number): PruneStep {
  const batch = opts.pruneBatchRows;
  const overSize = db.sizeBytes() > opts.maxDbBytes;
  // Above the size cap, raw detail goes from the oldest end regardless of age (a tenth of the
  // retention window at a time); rollups are never pruned for size.
  const rawCutoff = nowMs - opts.rawDays * 86_400_000;
  for (const { table, time, order, ms } of RAW_TABLES) {
    let cutoff = rawCutoff;
    if (overSize) {
      const oldest = db.sql.get<{ t: number | null }>(`SELECT min(${time}) AS t FROM (SELECT ${time} FROM ${table} ORDER BY ${order} LIMIT ${batch})`);
      if (oldest?.t != null) cutoff = Math.max(cutoff, oldest.t / ms + (opts.rawDays * 86_400_000) / 10);
    }
    const n = db.transaction(() =>
      order === 'id'
        ? db.sql.run(`DELETE FROM ${table} WHERE id IN (SELECT id FROM (SELECT id, ${time} AS t FROM ${table} ORDER BY id LIMIT ${batch}) WHERE t < ?)`, [cutoff])
        : // a key range: the oldest `batch` keys, and only those older than the cutoff
          db.sql.run(`DELETE FROM ${table} WHERE ${order} < ? AND ${order} <= (SELECT max(k) FROM (SELECT ${order} AS k FROM ${table} ORDER BY ${order} LIMIT ${batch}))`, [cutoff * ms]),
    );
    if (n > 0) return { deleted: n, what: `${table} older than ${new Date(cutoff).toISOString()}${overSize ? ' (size cap)' : ''}` };
  }
  const genericOver = (db.sql.get<{ n: number }>('SELECT count(*) AS n FROM generic_events')?.n ?? 0) - opts.maxGenericEvents;
  if (genericOver > 0) {
    const n = db.transaction(() =>
      db.sql.run(`DELETE FROM generic_events WHERE id IN (SELECT id FROM generic_events ORDER BY id LIMIT ?)`, [Math.min(batch, genericOver)]),
    );
    return { deleted: n, what: 'generic events over their cap' };
  }
  const rollupCutoff = Math.floor((nowMs - opts.rollupDays * 86_400_000) / BUCKET_MS);
  for (const table of ROLLUP_TABLES) {
    // Rollups are WITHOUT ROWID tables keyed by bucket first: deleting the oldest bucket is an index
    // range, and one 15-minute bucket holds few rows.
    const n = db.transaction(() =>
      db.sql.run(`DELETE FROM ${table} WHERE bucket = (SELECT min(bucket) FROM ${table}) AND bucket < ?`, [rollupCutoff]),
    );
    if (n > 0) return { deleted: n, what: `${table} older than ${opts.rollupDays} days` };
  }
  // Sessions that started before the rollups left: cut to what the rollups still hold (productivityFigures.ts).
  const cut = db.transaction(() => pruneSessionFigures(db.sql, rollupCutoff, batch));
  if (cut > 0) return { deleted: cut, what: `productivity figures of ${cut} sessions older than ${opts.rollupDays} days` };
  return { deleted: 0, what: 'nothing to prune' };
}
