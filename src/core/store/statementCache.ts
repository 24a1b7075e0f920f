// StatementCache: a thin statement cache over a sql.js Database. sql.js gotchas handled here: `db.prepare` keeps only
// the first statement (so each cached SQL text must be one statement), and `db.export()` frees every
// prepared statement (so `forget()` must be called after an export; see ledgerDb.ts).
import type { BindParams, Database, SqlValue, Statement } from 'sql.js';

export type Row = Record<string, SqlValue>;

export class StatementCache {
  private readonly cache = new Map<string, Statement>();

  constructor(public db: Database) {}

  stmt(sql: string): Statement {
    let s = this.cache.get(sql);
    if (!s) {
      s = this.db.prepare(sql);
      this.cache.set(sql, s);
    }
    return s;
  }

  /** Runs one statement; returns the number of rows it changed. */
  run(sql: string, params?: BindParams): number {
    const s = this.stmt(sql);
    try {
      if (params) s.bind(params);
      s.step();
    } finally {
      s.reset();
    }
    return this.db.getRowsModified();
  }

  all<T = Row>(sql: string, params?: BindParams): T[] {
    const s = this.stmt(sql);
    const out: T[] = [];
    try {
      if (params) s.bind(params);
      while (s.step()) out.push(s.getAsObject() as T);
    } finally {
      s.reset();
    }
    return out;
  }

  get<T = Row>(sql: string, params?: BindParams): T | undefined {
    const s = this.stmt(sql);
    try {
      if (params) s.bind(params);
      return s.step() ? (s.getAsObject() as T) : undefined;
    } finally {
      s.reset();
    }
  }

  /** Frees every cached statement (before export/close) so nothing dangles. */
  forget(): void {
    for (const s of this.cache.values()) s.free();
    this.cache.clear();
  }
}
