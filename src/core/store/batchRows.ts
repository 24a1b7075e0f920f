// Per-batch row accumulator for the hot running-total tables (sessions, activity_rollup,
// usage_rollup, eff_usage). Instead of one UPSERT per record, each touched row is read once per
// batch, updated in JS, and written once at the end of the batch (same transaction).
//
// Why the sums stay bit-identical to per-record UPSERTs: the row is loaded with its current value
// and every increment is applied in the same order as SQLite would (`c = c + ?`, IEEE double
// addition in both), and the final value is written as an absolute value. Nothing is pre-summed.
//
// Invariant: while rows are pending, SQL that reads these tables sees stale values, so the caller
// must write() or flush() the rows such SQL reads first (apply.ts writes a session's metric usage rows
// before the metric-retraction query) and drop
// the pending rows (discard()) when the transaction rolls back.
import type { SqlValue } from 'sql.js';
import type { StatementCache } from './statementCache';

/** How a column merges a new value into the current one (mirrors the former ON CONFLICT clauses). */
export type MergeOp = 'sum' | 'min' | 'max' | 'ifZero';

export interface TableSpec {
  table: string;
  keys: readonly string[];
  cols: readonly { name: string; op: MergeOp }[];
}

interface PendingRow {
  key: SqlValue[];
  vals: number[];
  /** False until the first merge of a row that is not in the database: that merge sets the values as an INSERT would. */
  init: boolean;
}

export class BatchRows {
  private readonly pending = new Map<string, PendingRow>();
  private readonly selectSql: string;
  private readonly upsertSql: string;
  private readonly colIndex = new Map<string, number>();

  constructor(
    private readonly sql: StatementCache,
    readonly spec: TableSpec,
  ) {
    const names = spec.cols.map((c) => c.name);
    names.forEach((n, i) => this.colIndex.set(n, i));
    this.selectSql = `SELECT ${names.join(', ')} FROM ${spec.table} WHERE ${spec.keys.map((k) => `${k} = ?`).join(' AND ')}`;
    const all = [...spec.keys, ...names];
    this.upsertSql = `INSERT INTO ${spec.table} (${all.join(', ')}) VALUES (${all.map(() => '?').join(', ')})
      ON CONFLICT (${spec.keys.join(', ')}) DO UPDATE SET ${names.map((n) => `${n} = excluded.${n}`).join(', ')}`;
  }

  col(name: string): number {
    const i = this.colIndex.get(name);
    if (i === undefined) throw new Error(`${this.spec.table}: no column ${name}`);
    return i;
  }

  private row(key: SqlValue[], load: boolean): PendingRow | undefined {
    const k = key.join('\u0001');
    let r = this.pending.get(k);
    if (r) return r;
    const vals = this.sql.values(this.selectSql, key) as number[] | undefined;
    if (!vals && !load) return undefined;
    r = { key, vals: vals ?? this.spec.cols.map(() => 0), init: !!vals };
    this.pending.set(k, r);
    return r;
  }

  /** INSERT ... ON CONFLICT DO UPDATE with the spec's merge ops; `vals` in column order. */
  upsert(key: SqlValue[], vals: readonly number[]): void {
    const r = this.row(key, true) as PendingRow;
    if (!r.init) {
      for (let i = 0; i < vals.length; i++) r.vals[i] = vals[i];
      r.init = true;
      return;
    }
    const cols = this.spec.cols;
    for (let i = 0; i < vals.length; i++) {
      const v = vals[i];
      switch (cols[i].op) {
        case 'sum':
          r.vals[i] = r.vals[i] + v;
          break;
        case 'min':
          if (v < r.vals[i]) r.vals[i] = v;
          break;
        case 'max':
          if (v > r.vals[i]) r.vals[i] = v;
          break;
        case 'ifZero':
          if (r.vals[i] === 0) r.vals[i] = v;
          break;
      }
    }
  }

  /** UPDATE of an existing row only (no-op when the row does not exist): col = col + inc. */
  add(key: SqlValue[], incs: readonly (readonly [number, number])[]): void {
    const r = this.row(key, false);
    if (!r || !r.init) return;
    for (const [i, inc] of incs) r.vals[i] = r.vals[i] + inc;
  }

  /** UPDATE of an existing row only: col = value. */
  set(key: SqlValue[], i: number, value: number): void {
    const r = this.row(key, false);
    if (r && r.init) r.vals[i] = value;
  }

  /** Current value of a column, or undefined when the row does not exist. */
  get(key: SqlValue[], i: number): number | undefined {
    const r = this.row(key, false);
    return r && r.init ? r.vals[i] : undefined;
  }

  /** Writes the pending rows whose key matches (absolute values) and keeps them pending. */
  write(match: (key: readonly SqlValue[]) => boolean): void {
    for (const r of this.pending.values()) if (r.init && match(r.key)) this.sql.run(this.upsertSql, [...r.key, ...r.vals]);
  }

  /** Writes every pending row (absolute values) and forgets them. */
  flush(): void {
    if (this.pending.size === 0) return;
    for (const r of this.pending.values()) if (r.init) this.sql.run(this.upsertSql, [...r.key, ...r.vals]);
    this.pending.clear();
  }

  /** Drops pending rows without writing (after a rollback). */
  discard(): void {
    this.pending.clear();
  }
}
