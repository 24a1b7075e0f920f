// StatementCache: a thin statement cache over a sql.js Database. sql.js gotchas handled here: `db.prepare` keeps only
// the first statement (so each cached SQL text must be one statement), and `db.export()` frees every
// prepared statement (so `forget()` must be called after an export; see ledgerDb.ts).
//
// The write path's statements go through SQLite's C API, which sql.js exports on its module
// (`_sqlite3_prepare_v2`, `_sqlite3_bind_*`, `_sqlite3_step`, ...), instead of sql.js's Statement: its
// string binding measures each string twice and copies it with a JavaScript loop into a fresh malloc per
// value, and its getAsObject reads the column names again for every row. Here a string is encoded once
// (TextEncoder.encodeInto) into one reused buffer and SQLite copies it (SQLITE_TRANSIENT); column names
// are read once per statement. The values bound and read are the same as sql.js's: integers that fit
// 32 bits bind as INTEGER, other numbers as REAL, booleans as 0/1, bigints as text, Uint8Arrays as
// blobs, null as NULL (undefined is an error, as in sql.js); INTEGER and REAL columns read as numbers,
// TEXT as strings, BLOB as Uint8Array. Strings with surrogates are encoded the way sql.js does (code
// point by code point), so even a lone surrogate is stored byte for byte as before. Without the C API
// (another build, or no wasm memory) the cache falls back to sql.js's Statement.
import type { BindParams, Database, SqlValue, Statement } from 'sql.js';

export type Row = Record<string, SqlValue>;

type Fn = (...a: number[]) => number;
/** The part of sql.js's module (SqlJsStatic) this file uses: SQLite's exported C functions and the wasm memory. */
export interface SqliteApi {
  memory: WebAssembly.Memory;
  malloc: Fn;
  free: Fn;
  prepare: Fn;
  step: Fn;
  reset: Fn;
  clearBindings: Fn;
  finalize: Fn;
  bindInt: Fn;
  bindDouble: Fn;
  bindText: Fn;
  bindBlob: Fn;
  changes: Fn;
  errmsg: Fn;
  columnCount: Fn;
  columnName: Fn;
  columnType: Fn;
  columnDouble: Fn;
  columnText: Fn;
  columnBytes: Fn;
  columnBlob: Fn;
  /** sql.js's UTF8ToString(ptr, maxBytes?, ignoreNul?) */
  utf8ToString: (ptr: number, maxBytes?: number, ignoreNul?: boolean) => string;
}

/** The C API of a sql.js module, or undefined when any part is missing. */
export function sqliteApiOf(SQL: object, memory: WebAssembly.Memory | undefined): SqliteApi | undefined {
  const m = SQL as Record<string, unknown>;
  const names = {
    malloc: '_malloc', free: '_free', prepare: '_sqlite3_prepare_v2', step: '_sqlite3_step', reset: '_sqlite3_reset',
    clearBindings: '_sqlite3_clear_bindings', finalize: '_sqlite3_finalize', bindInt: '_sqlite3_bind_int', bindDouble: '_sqlite3_bind_double',
    bindText: '_sqlite3_bind_text', bindBlob: '_sqlite3_bind_blob', changes: '_sqlite3_changes', errmsg: '_sqlite3_errmsg',
    columnCount: '_sqlite3_column_count', columnName: '_sqlite3_column_name', columnType: '_sqlite3_column_type',
    columnDouble: '_sqlite3_column_double', columnText: '_sqlite3_column_text', columnBytes: '_sqlite3_column_bytes',
    columnBlob: '_sqlite3_column_blob', utf8ToString: 'UTF8ToString',
  } as const;
  if (!memory) return undefined;
  const api: Record<string, unknown> = { memory };
  for (const [k, n] of Object.entries(names)) {
    if (typeof m[n] !== 'function') return undefined;
    api[k] = m[n];
  }
  return api as unknown as SqliteApi;
}

const SQLITE_ROW = 100;
const SQLITE_DONE = 101;
const SQLITE_TRANSIENT = -1;
const HAS_SURROGATE = /[\uD800-\uDFFF]/;

/** One prepared statement on the C API. */
interface CStmt {
  ptr: number;
  names?: string[];
}

export class StatementCache {
  private readonly cache = new Map<string, Statement>();
  private readonly cstmts = new Map<string, CStmt>();
  private readonly encoder = new TextEncoder();
  private heap: Uint8Array | undefined;
  private buf = 0;
  private bufBytes = 0;

  constructor(
    public db: Database,
    private readonly api?: SqliteApi,
  ) {}

  /** True when statements go through SQLite's C API (else through sql.js's Statement). */
  get viaCApi(): boolean {
    return this.api !== undefined;
  }

  /** sql.js's own Statement (for callers that step it themselves). */
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
    const api = this.api;
    if (api && (params === undefined || Array.isArray(params))) {
      const p = this.prepared(sql).ptr;
      try {
        if (params) this.bindAll(p, params);
        this.stepC(p);
      } finally {
        api.reset(p);
        api.clearBindings(p);
      }
      return api.changes(this.dbPtr());
    }
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
    const api = this.api;
    if (api && (params === undefined || Array.isArray(params))) {
      const c = this.prepared(sql);
      const out: T[] = [];
      try {
        if (params) this.bindAll(c.ptr, params);
        while (this.stepC(c.ptr)) out.push(this.object(c) as T);
      } finally {
        api.reset(c.ptr);
        api.clearBindings(c.ptr);
      }
      return out;
    }
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
    const api = this.api;
    if (api && (params === undefined || Array.isArray(params))) {
      const c = this.prepared(sql);
      try {
        if (params) this.bindAll(c.ptr, params);
        return this.stepC(c.ptr) ? (this.object(c) as T) : undefined;
      } finally {
        api.reset(c.ptr);
        api.clearBindings(c.ptr);
      }
    }
    const s = this.stmt(sql);
    try {
      if (params) s.bind(params);
      return s.step() ? (s.getAsObject() as T) : undefined;
    } finally {
      s.reset();
    }
  }

  /** The first row's values in column order, or undefined when there is none. */
  values(sql: string, params: SqlValue[]): SqlValue[] | undefined {
    const api = this.api;
    if (api) {
      const p = this.prepared(sql).ptr;
      try {
        this.bindAll(p, params);
        if (!this.stepC(p)) return undefined;
        const n = api.columnCount(p);
        const out: SqlValue[] = new Array(n);
        for (let i = 0; i < n; i++) out[i] = this.column(p, i);
        return out;
      } finally {
        api.reset(p);
        api.clearBindings(p);
      }
    }
    const s = this.stmt(sql);
    try {
      s.bind(params);
      return s.step() ? s.get() : undefined;
    } finally {
      s.reset();
    }
  }

  /** Frees every cached statement (before export/close) so nothing dangles. */
  forget(): void {
    for (const s of this.cache.values()) s.free();
    this.cache.clear();
    if (this.api) for (const c of this.cstmts.values()) this.api.finalize(c.ptr);
    this.cstmts.clear();
  }

  // ---- the C API path ----

  /** sql.js's Database keeps the connection pointer in `db` (a new one after export()). */
  private dbPtr(): number {
    return (this.db as unknown as { db: number }).db;
  }

  private fail(): never {
    throw new Error(this.api!.utf8ToString(this.api!.errmsg(this.dbPtr())));
  }

  private prepared(sql: string): CStmt {
    let c = this.cstmts.get(sql);
    if (c) return c;
    const api = this.api!;
    const len = this.encode(sql, 8);
    this.heap![this.buf + 8 + len] = 0;
    const rc = api.prepare(this.dbPtr(), this.buf + 8, -1, this.buf, 0);
    if (rc !== 0) this.fail();
    const ptr = new DataView(api.memory.buffer).getInt32(this.buf, true);
    if (ptr === 0) throw new Error('Nothing to prepare');
    c = { ptr };
    this.cstmts.set(sql, c);
    return c;
  }

  private stepC(p: number): boolean {
    const rc = this.api!.step(p);
    if (rc === SQLITE_ROW) return true;
    if (rc === SQLITE_DONE) return false;
    return this.fail();
  }

  /** The scratch buffer holds at least `bytes` from offset `at` on; returns the current heap view. */
  private scratch(bytes: number): Uint8Array {
    const api = this.api!;
    if (bytes > this.bufBytes) {
      if (this.buf) api.free(this.buf);
      this.bufBytes = Math.max(bytes, 2 * this.bufBytes, 4096);
      this.buf = api.malloc(this.bufBytes);
      if (!this.buf) throw new Error('sqlite: out of memory for a bound value');
    }
    if (!this.heap || this.heap.buffer !== api.memory.buffer) this.heap = new Uint8Array(api.memory.buffer);
    return this.heap;
  }

  /** Writes `s` as UTF-8 at scratch offset `at` (exactly as sql.js would); returns its byte length. */
  private encode(s: string, at: number): number {
    const heap = this.scratch(at + 3 * s.length + 1);
    const start = this.buf + at;
    if (!HAS_SURROGATE.test(s)) return this.encoder.encodeInto(s, heap.subarray(start, start + 3 * s.length)).written;
    // sql.js's stringToUTF8: code point by code point (a lone surrogate becomes its 3-byte form).
    let d = start;
    for (let i = 0; i < s.length; i++) {
      const m = s.codePointAt(i)!;
      if (m <= 0x7f) heap[d++] = m;
      else if (m <= 0x7ff) {
        heap[d++] = 0xc0 | (m >> 6);
        heap[d++] = 0x80 | (m & 63);
      } else if (m <= 0xffff) {
        heap[d++] = 0xe0 | (m >> 12);
        heap[d++] = 0x80 | ((m >> 6) & 63);
        heap[d++] = 0x80 | (m & 63);
      } else {
        heap[d++] = 0xf0 | (m >> 18);
        heap[d++] = 0x80 | ((m >> 12) & 63);
        heap[d++] = 0x80 | ((m >> 6) & 63);
        heap[d++] = 0x80 | (m & 63);
        i++;
      }
    }
    return d - start;
  }

  private bindAll(p: number, params: readonly SqlValue[] | readonly unknown[]): void {
    const api = this.api!;
    for (let i = 0; i < params.length; i++) {
      const v = params[i];
      let rc: number;
      switch (typeof v) {
        case 'number':
          rc = v === (v | 0) ? api.bindInt(p, i + 1, v) : api.bindDouble(p, i + 1, v);
          break;
        case 'string': {
          const n = this.encode(v, 0);
          rc = api.bindText(p, i + 1, this.buf, n, SQLITE_TRANSIENT);
          break;
        }
        case 'boolean':
          rc = api.bindInt(p, i + 1, v ? 1 : 0);
          break;
        case 'bigint': {
          const n = this.encode(v.toString(), 0);
          rc = api.bindText(p, i + 1, this.buf, n, SQLITE_TRANSIENT);
          break;
        }
        case 'object':
          if (v === null) {
            rc = api.bindBlob(p, i + 1, 0, 0, 0);
            break;
          }
          if (v instanceof Uint8Array) {
            const heap = this.scratch(v.length);
            heap.set(v, this.buf);
            rc = api.bindBlob(p, i + 1, this.buf, v.length, SQLITE_TRANSIENT);
            break;
          }
          throw new Error(`Wrong API use : tried to bind a value of an unknown type (${String(v)}).`);
        default:
          throw new Error(`Wrong API use : tried to bind a value of an unknown type (${String(v)}).`);
      }
      if (rc !== 0) this.fail();
    }
  }

  private column(p: number, i: number): SqlValue {
    const api = this.api!;
    switch (api.columnType(p, i)) {
      case 1:
      case 2:
        return api.columnDouble(p, i);
      case 3: {
        // As sql.js's getString: the column's bytes, NULs included.
        const at = api.columnText(p, i);
        return api.utf8ToString(at, api.columnBytes(p, i), true);
      }
      case 4: {
        const n = api.columnBytes(p, i);
        const at = api.columnBlob(p, i);
        return new Uint8Array(api.memory.buffer, at, n).slice();
      }
      default:
        return null;
    }
  }

  private object(c: CStmt): Row {
    const api = this.api!;
    if (!c.names) {
      const n = api.columnCount(c.ptr);
      c.names = [];
      for (let i = 0; i < n; i++) c.names.push(api.utf8ToString(api.columnName(c.ptr, i)));
    }
    const row: Row = {};
    for (let i = 0; i < c.names.length; i++) row[c.names[i]] = this.column(c.ptr, i);
    return row;
  }
}
