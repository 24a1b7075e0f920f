// The database itself: a sql.js Database with the schema, the applier and the query helpers.
// Pure (no file I/O): durableStore.ts adds the journal, snapshots and the lock. Tests use this class
// directly with hand-made or decoded records.
import { closeSync, fstatSync, openSync, readFileSync, readSync } from 'node:fs';
import { constants as bufferConstants } from 'node:buffer';
import initSqlJs, { type Database, type SqlJsStatic } from 'sql.js';
import type { NormRecord } from '../otlp/records';
import { localPeriodStart } from '../time/range';
import type { ImportCounts } from '../transcripts/importSummary';
import type { TranscriptItem } from '../transcripts/transcriptRecords';
import { Applier, DEFAULT_APPLY_OPTIONS, type ApplyOptions } from './apply';
import { LazyFile } from './lazyFile';
import { CHUNK_BYTES, PageTracker } from './pageTracker';
import { migrate, SCHEMA_VERSION } from './schema';
import { sqliteApiOf, StatementCache, type SqliteApi } from './statementCache';

const sqlJsCache = new Map<string, Promise<SqlJsStatic>>();
const trackers = new WeakMap<SqlJsStatic, PageTracker>();
/** SQLite's C API of a sql.js instance loaded by loadSqlJs (statementCache.ts binds through it). */
const cApis = new WeakMap<SqlJsStatic, SqliteApi>();
/** Bytes returned by readDbFile(file, lazy) -> their loader. */
const lazyFiles = new WeakMap<Uint8Array, LazyFile>();

/**
 * Loads sql.js once per wasm path, with a PageTracker on its file syscalls (pageTracker.ts): snapshots
 * then write only the pages that changed.
 */
export function loadSqlJs(wasmPath: string): Promise<SqlJsStatic> {
  let p = sqlJsCache.get(wasmPath);
  if (!p) {
    const tracker = new PageTracker();
    let memory: WebAssembly.Memory | undefined;
    p = initSqlJs({
      locateFile: () => wasmPath,
      instantiateWasm(imports: Record<string, Record<string, unknown>>, receive: (instance: WebAssembly.Instance, module: WebAssembly.Module) => void) {
        tracker.wrapImports(imports);
        WebAssembly.instantiate(readFileSync(wasmPath), imports as WebAssembly.Imports).then(
          ({ instance, module }) => {
            tracker.attach(instance.exports);
            memory = Object.values(instance.exports).find((v): v is WebAssembly.Memory => v instanceof WebAssembly.Memory);
            receive(instance, module);
          },
          (err: unknown) => {
            throw err;
          },
        );
        return {};
      },
    } as Parameters<typeof initSqlJs>[0]).then((SQL) => {
      tracker.selfTest(SQL);
      trackers.set(SQL, tracker);
      const api = sqliteApiOf(SQL, memory);
      if (api) cApis.set(SQL, api);
      return SQL;
    });
    sqlJsCache.set(wasmPath, p);
  }
  return p;
}

/**
 * Reads a database file for LedgerDb.open with room to grow. sql.js' MEMFS keeps the first write of a
 * new file as `buffer.slice(0, length)` (a view for a Node Buffer) and treats that array's length as
 * the file's capacity; the first write past it reallocates the file at 1.125x and copies it (at 5M
 * events a ~3 s stall and +650 MB at the first ingest after start, measured). Here the file goes into an
 * ArrayBuffer of twice its size and `slice` hands MEMFS the whole of it, so the file grows in place; the
 * room is never written until the file grows into it, so it costs address space, not memory.
 * The returned array is the file's bytes (length = file size) for every other use.
 *
 * `lazy`: nothing is read yet; LedgerDb.open loads blocks as SQLite reaches them (lazyFile.ts), so a
 * large database answers its first query after reading a few blocks (2.5 s to read 600 MB first).
 * Without page tracking (another sql.js build) the file is read whole at open.
 */
export function readDbFile(file: string, lazy: false | { blockBytes?: number; capacity?: number } = false): Uint8Array {
  const fd = openSync(file, 'r');
  let keepOpen = false;
  try {
    const size = fstatSync(fd).size;
    const capacity = lazy && lazy.capacity !== undefined ? Math.max(size, lazy.capacity) : Math.min(bufferConstants.MAX_LENGTH, Math.max(2 * size, size + (64 << 20)));
    const room = new ArrayBuffer(capacity);
    const bytes = new Uint8Array(room, 0, size);
    Object.defineProperty(bytes, 'slice', { value: (start = 0) => new Uint8Array(room, start) });
    if (lazy) {
      lazyFiles.set(bytes, new LazyFile(fd, size, new Uint8Array(room), lazy.blockBytes));
      keepOpen = true;
      return bytes;
    }
    let at = 0;
    while (at < size) {
      const n = readSync(fd, bytes, at, Math.min(1 << 30, size - at), at);
      if (n === 0) throw new Error(`${file} shrank while it was read`);
      at += n;
    }
    return bytes;
  } finally {
    if (!keepOpen) closeSync(fd);
  }
}

/** The file behind bytes from readDbFile(file, lazy) (how much of it is loaded). */
export function lazyFileOf(bytes: Uint8Array): LazyFile | undefined {
  return lazyFiles.get(bytes);
}

/** The page tracker of a sql.js instance loaded by loadSqlJs (undefined for other instances). */
export function pageTrackerOf(SQL: SqlJsStatic): PageTracker | undefined {
  return trackers.get(SQL);
}

const CHECK_SQL = 'PRAGMA quick_check';
/** Bytes of a lazily read file loaded per check slice (~50 ms of reading into fresh memory at most). */
const LOAD_SLICE_BYTES = 8 << 20;

/** One step of the deferred check (LedgerDb.checkSlices): a problem found, or nothing. */
export interface CheckSlice {
  what: string;
  run: () => string | undefined | void;
}

/** Runs a quick_check statement: undefined when it says ok, else its first lines. */
function checkVerdict(db: Database, sql: string): string | undefined {
  const rows = db.exec(sql)[0]?.values ?? [];
  const verdict = rows.map((r) => String(r[0]).replace(/\s+/g, ' ')).slice(0, 5).join('; ');
  return verdict === 'ok' ? undefined : `database failed ${sql}: ${verdict}`;
}

export interface ApplyResult {
  /** Records that were new (duplicates are not counted). */
  applied: number;
  duplicates: number;
}

export class LedgerDb {
  readonly sql: StatementCache;
  private readonly applier: Applier;
  private readonly tracker: PageTracker | undefined;
  /** The database's file in sql.js's in-memory file system. */
  private readonly file: string;
  dataVersion = 0;
  /** The file behind a lazily read database (LedgerDb.open), for the check's load slices. */
  private lazy: LazyFile | undefined;
  /** Set by the owner: price overrides etc. are in the applier options. */
  readonly migratedFrom: number;

  private constructor(
    private db: Database,
    opts: ApplyOptions,
    migratedFrom: number,
    tracker: PageTracker | undefined,
    api: SqliteApi | undefined,
  ) {
    this.tracker = tracker?.active ? tracker : undefined;
    this.file = `/${(db as unknown as { filename: string }).filename}`;
    this.sql = new StatementCache(db, api);
    this.applier = new Applier(this.sql, opts);
    this.migratedFrom = migratedFrom;
    this.afterOpen();
    const meta = this.sql.all<{ key: string; value: number }>(`SELECT key, value FROM meta WHERE key IN ('data_version', 'last_event_ms')`);
    for (const m of meta) {
      if (m.key === 'data_version') this.dataVersion = Number(m.value);
      if (m.key === 'last_event_ms') this.applier.lastEventMs = Number(m.value);
    }
  }

  /**
   * Opens a database from snapshot bytes (or empty) and migrates it. Throws SchemaTooNewError for a
   * newer database (the bytes are not modified: they are a copy in memory) and any sql.js error for
   * corrupt bytes. `check: 'deferred'` skips PRAGMA quick_check: the owner runs checkSlices() later
   * (corrupt bytes that the schema read and the migration do not touch are found then).
   * `viaSqlJsStatements` (tests) binds through sql.js's Statement instead of SQLite's C API.
   */
  static open(SQL: SqlJsStatic, bytes?: Uint8Array, opts: Partial<ApplyOptions> = {}, check: 'now' | 'deferred' = 'now', viaSqlJsStatements = false): LedgerDb {
    // A lazily read file is loaded through the page tracker's syscalls (its next open is this database),
    // else now, whole.
    const lazy = bytes && lazyFileOf(bytes);
    const tracker = pageTrackerOf(SQL);
    if (lazy) {
      if (tracker?.active) tracker.adoptNextOpen(lazy);
      else lazy.loadAll();
    }
    let db: Database;
    try {
      db = bytes ? new SQL.Database(bytes) : new SQL.Database();
    } catch (err) {
      tracker?.adoptNextOpen(undefined);
      lazy?.close();
      throw err;
    }
    try {
      // quick_check reads every page: corrupt bytes fail here instead of on a later query.
      if (bytes && check === 'now') {
        const problem = checkVerdict(db, 'PRAGMA quick_check');
        if (problem) throw new Error(problem);
      }
      const { from } = migrate(db);
      const ledger = new LedgerDb(db, { ...DEFAULT_APPLY_OPTIONS, ...opts }, from, pageTrackerOf(SQL), viaSqlJsStatements ? undefined : cApis.get(SQL));
      ledger.lazy = lazy || undefined;
      return ledger;
    } catch (err) {
      db.close(); // lets go of a lazy file too (its close syscall)
      throw err;
    }
  }

  /** Pragmas and SQL functions; sql.js drops both on export(), so this runs again after every export. */
  private afterOpen(): void {
    // The durable copy is our journal + snapshots; SQLite's own journal would only cost memory.
    this.db.exec('PRAGMA journal_mode = OFF; PRAGMA synchronous = OFF; PRAGMA temp_store = MEMORY; PRAGMA cache_size = -8000');
    const hourCache = new Map<number, number>();
    const dayCache = new Map<number, number>();
    const period = (cache: Map<number, number>, p: 'hour' | 'day') => (bucket: number) => {
      let v = cache.get(bucket);
      if (v === undefined) {
        v = localPeriodStart(bucket, p);
        if (cache.size > 50_000) cache.clear();
        cache.set(bucket, v);
      }
      return v;
    };
    // Local hour / day start (epoch ms) of a 15-minute bucket, in this process's time zone.
    this.db.create_function('local_hour', period(hourCache, 'hour'));
    this.db.create_function('local_day', period(dayCache, 'day'));
  }

  /**
   * The deferred check in slices: the rest of a lazily read file in steps of LOAD_SLICE_BYTES (reads
   * are answered between them), then PRAGMA quick_check. runCheck runs one.
   */
  checkSlices(): CheckSlice[] {
    const slices: CheckSlice[] = [];
    const lazy = this.lazy;
    if (lazy && !lazy.complete) {
      for (let at = 0; at < lazy.size; at += LOAD_SLICE_BYTES) {
        const from = at;
        slices.push({ what: `load bytes ${from}-${Math.min(lazy.size, from + LOAD_SLICE_BYTES)}`, run: () => lazy.ensure(from, LOAD_SLICE_BYTES) });
      }
    }
    slices.push({ what: CHECK_SQL, run: () => checkVerdict(this.db, CHECK_SQL) });
    return slices;
  }

  /** Runs one check slice; the problem found, or undefined. A slice that throws is a problem too. */
  runCheck(slice: CheckSlice): string | undefined {
    try {
      return slice.run() ?? undefined;
    } catch (err) {
      return `${slice.what}: ${(err as Error).message}`;
    }
  }

  get lastEventMs(): number {
    return this.applier.lastEventMs;
  }

  /** Applies records in one transaction. On error nothing of the batch stays. */
  apply(records: readonly NormRecord[]): ApplyResult {
    let applied = 0;
    this.applyBatch(() => {
      for (const r of records) if (this.applier.apply(r)) applied++;
      return applied;
    });
    return { applied, duplicates: records.length - applied };
  }

  /**
   * One applier batch in one transaction: `fn` applies and returns how many changes were new; the running
   * totals are flushed and the data version bumped before COMMIT. On error nothing of the batch stays.
   */
  private applyBatch(fn: () => number): void {
    // BEGIN and COMMIT as cached statements: exec() parses them again each time (~10 us a transaction,
    // which a 6-record request from Claude Code notices).
    this.sql.run('BEGIN');
    try {
      const changed = fn();
      this.applier.flush(); // running totals accumulated for the batch (apply.ts), before COMMIT
      if (changed > 0) {
        this.dataVersion++;
        this.sql.run(`INSERT OR REPLACE INTO meta (key, value) VALUES ('data_version', ?)`, [this.dataVersion]);
        this.sql.run(`INSERT OR REPLACE INTO meta (key, value) VALUES ('last_event_ms', ?)`, [this.applier.lastEventMs]);
      }
      this.sql.run('COMMIT');
    } catch (err) {
      this.db.exec('ROLLBACK');
      this.applier.resetCaches();
      const meta = this.sql.get<{ value: number }>(`SELECT value FROM meta WHERE key = 'data_version'`);
      this.dataVersion = meta ? Number(meta.value) : 0;
      throw err;
    }
  }

  /** Where reading of a transcript file stopped (stored with the rows it produced). */
  transcriptPosition(file: string): { ino: number; position: number; skipping: boolean } | undefined {
    const r = this.sql.get<{ ino: number; position: number; skipping: number }>('SELECT ino, position, skipping FROM transcript_files WHERE path = ?', [file]);
    return r && { ino: Number(r.ino), position: Number(r.position), skipping: r.skipping === 1 };
  }

  /**
   * Applies the items of one chunk of a transcript file and stores the file's new position, in one
   * transaction: after a crash both are there or neither is, so nothing is lost or counted twice.
   */
  applyTranscript(
    items: readonly TranscriptItem[],
    file: { path: string; ino: number; size: number; projectDir: string; mtimeMs: number },
    position: { offset: number; skipping: boolean; lines: number },
    counts: ImportCounts,
  ): void {
    this.applyBatch(() => {
      let changed = 0;
      for (const it of items) {
        switch (it.kind) {
          case 'request': {
            const outcome = this.applier.applyTranscriptRequest(it, file.projectDir, file.mtimeMs);
            if (outcome === 'added') counts.requestsAdded++;
            else if (outcome === 'updated') counts.updated++;
            else if (outcome === 'knownFromOtlp') counts.knownFromOtlp++;
            else counts.duplicates++;
            if (outcome === 'added' || outcome === 'updated') {
              changed++;
              const t = it.timeMs ?? file.mtimeMs;
              if (t > this.applier.lastEventMs) this.applier.lastEventMs = t;
            }
            break;
          }
          case 'toolUse':
            if (this.applier.applyTranscriptToolUse(it, file.projectDir, file.mtimeMs)) {
              counts.toolUses++;
              changed++;
            }
            break;
          case 'prompt':
            if (this.applier.applyTranscriptPrompt(it, file.projectDir, file.mtimeMs)) {
              counts.prompts++;
              changed++;
            }
            break;
          case 'session':
            this.applier.applyTranscriptSession(it, file.projectDir);
            break;
          case 'toolResult':
            break; // failures and durations come from OTLP tool_result events only (never counted twice)
        }
      }
      this.sql.run(
        `INSERT INTO transcript_files (path, ino, position, skipping, size, lines, updated_ms) VALUES (?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (path) DO UPDATE SET ino = excluded.ino, position = excluded.position, skipping = excluded.skipping, size = excluded.size,
           lines = CASE WHEN excluded.position < transcript_files.position THEN excluded.lines ELSE transcript_files.lines + excluded.lines END,
           updated_ms = excluded.updated_ms`,
        [file.path, file.ino, position.offset, position.skipping ? 1 : 0, file.size, position.lines, Date.now()],
      );
      return changed;
    });
  }

  /** Learned prices (the "where did this figure come from" view). */
  learnedPrices(): ReturnType<Applier['learner']['entries']> {
    return this.applier.learner.entries();
  }

  /** Runs fn in a transaction (retention, audit). */
  transaction<T>(fn: () => T): T {
    this.db.exec('BEGIN');
    try {
      const out = fn();
      this.db.exec('COMMIT');
      return out;
    } catch (err) {
      this.db.exec('ROLLBACK');
      throw err;
    }
  }

  /** Bumps the data version for changes that are not record ingest (retention, clearAll). */
  markChanged(): void {
    this.dataVersion++;
    this.sql.run(`INSERT OR REPLACE INTO meta (key, value) VALUES ('data_version', ?)`, [this.dataVersion]);
  }

  /** The database bytes. Prepared statements and functions are re-created afterwards (sql.js frees them). */
  export(): Uint8Array {
    // This sql.js exports through SQLite's backup API (the wrapped reads load what they reach); older ones
    // read the file with FS.readFile, past the syscalls: a lazily read file is loaded whole first either way.
    this.tracker?.loadAll(this.file);
    this.sql.forget();
    const bytes = this.db.export();
    this.afterOpen();
    return bytes;
  }

  /**
   * The 4 KB chunks of the database file written since the previous call (sorted), or undefined when
   * page tracking is unavailable (then only export() can snapshot). Call between transactions only.
   */
  takeChangedChunks(): number[] | undefined {
    return this.tracker?.take(this.file);
  }

  /** The database file's size in bytes: page_count x page_size. */
  fileBytes(): number {
    const r = this.db.exec('PRAGMA page_count; PRAGMA page_size');
    return Number(r[0].values[0][0]) * Number(r[1].values[0][0]);
  }

  /** Copies file bytes at `offset` into dst (zeros past the end). Needs page tracking. */
  readFile(offset: number, dst: Uint8Array): void {
    if (!this.tracker) throw new Error('page tracking is unavailable');
    this.tracker.readInto(this.file, offset, dst);
  }

  static readonly chunkBytes = CHUNK_BYTES;

  /** Live size: pages in use (freed pages of pruned rows are reused, so they do not count). */
  sizeBytes(): number {
    const r = this.db.exec('PRAGMA page_count; PRAGMA freelist_count; PRAGMA page_size');
    const pages = Number(r[0].values[0][0]);
    const free = Number(r[1].values[0][0]);
    return (pages - free) * Number(r[2].values[0][0]);
  }

  /** Deletes every row (keeps the schema) and bumps the data version. */
  clearAll(): void {
    const tables = this.sql.all<{ name: string }>(`SELECT name FROM sqlite_master WHERE type = 'table' AND name <> 'meta'`);
    this.transaction(() => {
      for (const t of tables) this.db.exec(`DELETE FROM "${t.name}"`);
      this.sql.run(`DELETE FROM meta WHERE key = 'last_event_ms'`);
    });
    this.applier.resetCaches();
    this.applier.lastEventMs = 0;
    this.markChanged();
  }

  close(): void {
    this.sql.forget();
    this.db.close();
    this.tracker?.forget(this.file);
  }

  static readonly schemaVersion = SCHEMA_VERSION;
}
