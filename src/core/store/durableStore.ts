// The store as the DB worker runs it: lock, snapshot, journal, replay, ingest, queries, retention.
// Single-threaded by construction (one worker owns it); every method is synchronous except open().
//
// Durability protocol:
//   ingest:   decode (bad body -> OtlpDecodeError, nothing journaled) -> append raw body to the journal
//             + fsync -> apply to the DB -> reply. The receiver answers 200 only after the reply.
//             Group commit (ingestMany): the requests queued together are decoded one by one, their
//             frames appended with one write + one fsync, applied in one transaction, then answered.
//   snapshot: only the pages written since the previous snapshot (pageTracker.ts, pageSnapshot.ts):
//             copy them -> ledger.db.redo + fsync (+ dir) -> write them in place into ledger.db + fsync
//             -> journal covered -> delete the redo record. When ledger.db does not hold the previous
//             state (first snapshot, corrupt file moved aside, a failed snapshot), the whole live file is
//             streamed to ledger.db.tmp -> fsync -> rename -> fsync dir. A crash anywhere leaves the old
//             snapshot (+ a torn redo record, dropped) + the full journal, or a complete redo record that
//             open() finishes, or the new snapshot + a journal whose frames are in it (replay is idempotent).
//             Without page tracking (another sql.js build) db.export() is written the full way.
//   open:     lock -> finish or drop a redo record -> load ledger.db (a corrupt one is moved aside, never
//             deleted) -> replay journal (a torn tail is cut off).
import type { StatuslinePostDto, StatuslineReplyDto } from '../../protocol/limitsDto';
import { costBetween } from '../queries/burnRate';
import { localDayBounds } from '../time/range';
import { recordRateLimits } from './rateLimits';
import { closeSync, existsSync, fsync, fsyncSync, mkdirSync, chmodSync, openSync, readFileSync, renameSync, rmSync, unlinkSync, writeSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import path from 'node:path';
import type { SqlJsStatic } from 'sql.js';
import type { ForwardStatusDto, QueryMethods, QueryName, RangeSpec } from '../../protocol/dto';
import { decodeAndNormalize } from '../otlp/ingest';
import { DEFAULT_INGEST_OPTIONS, type IngestOptions, type NormRecord, type Signal } from '../otlp/records';
import type { PriceOverrides } from '../pricing/priceTable';
import type { QueryContext } from '../queries/common';
import { rowsPage, type RowsDataset, type RowsPage } from '../queries/rows';
import { runQuery } from '../queries/runQuery';
import { emptyCounts, type ImportChunkRequest, type ImportChunkResult } from '../transcripts/importSummary';
import { collapseChunk } from '../transcripts/collapse';
import { parseTranscriptLine } from '../transcripts/parse';
import { readTranscriptChunk } from '../transcripts/readChunk';
import type { ParseContext, TranscriptItem } from '../transcripts/transcriptRecords';
import { describeSchema, type SchemaDescription } from './describeSchema';
import { DataDirLockedError, SchemaTooNewError, StoreClosedError } from './errors';
import type { IngestResult } from './ingestResult';
import { JournalFile, type Encoding, type JournalFrame } from './journal';
import { removeForwardDir, spoolDirOf } from './forwardSpool';
import { LedgerDb, pageTrackerOf, readDbFile, type CheckSlice } from './ledgerDb';
import { DEFAULT_RETENTION_OPTIONS, DEFAULT_SNAPSHOT_OPTIONS, ROWS_PAGE_DEFAULT, ROWS_PAGE_MAX, type RetentionOptions, type SnapshotOptions } from './options';
import { applyRedoSteps, buildRedoSteps, failpoint, fsyncDir, recoverRedo, runSteps, writeFullSteps, writeRedoSteps, type Steps } from './pageSnapshot';
import { pruneStep } from './retention';

export type LogFn = (level: 'info' | 'warn' | 'error', msg: string) => void;

export interface DurableStoreOptions {
  dataDir: string;
  ingest?: Partial<IngestOptions>;
  retention?: Partial<RetentionOptions>;
  snapshot?: Partial<SnapshotOptions>;
  priceOverrides?: PriceOverrides;
  log: LogFn;
  /** Called after every change of the data (ingest that added records, retention, clearAll). */
  onChanged?: (dataVersion: number) => void;
  /** Clock (tests). */
  now?: () => number;
  /**
   * Forwarding is on: snapshots keep the journal's frames in the forward spool until the forwarder has
   * sent them (journal.ts coveredBySnapshot). Off: the spool of an earlier run is removed at open.
   */
  forward?: boolean;
  /**
   * The DB worker: open() loads ledger.db without PRAGMA quick_check, and the check runs afterwards as a
   * step run (checkInBackground; writes and reads may come before it; every snapshot finishes it first, so a corrupt file is never written
   * back and the journal is not truncated before it passed). A failed check moves the file aside and
   * rebuilds from the journal, like a failed check at open. Default (tests, CLI): checked at open.
   */
  deferCheck?: boolean;
}

/** A snapshot or a deferred check running in steps on the event loop (see snapshotInSteps). */
interface StepRun {
  kind: 'snapshot' | 'check';
  steps: Steps;
  done: Promise<void>;
  finish(err?: Error): void;
  /** The descriptor whose fsync is running on the thread pool, if any. */
  fsyncing: number | undefined;
  /** Longest synchronous step (how long the worker could not answer). */
  longestMs: number;
}

/** One MCP tool call, kept in the `audit` table. */
export interface AuditEntry {
  tool: string;
  args: string;
  rows: number;
  durationMs: number;
  ok: boolean;
}

/** One OTLP request body for ingestMany. */
export interface IngestRequest {
  signal: Signal;
  encoding: Encoding;
  body: Uint8Array;
}

function asError(err: unknown): Error {
  return err instanceof Error ? err : new Error(String(err));
}

export const FILES = { db: 'ledger.db', tmp: 'ledger.db.tmp', redo: 'ledger.db.redo', journal: 'journal.bin', lock: 'ledger.lock' } as const;

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Takes the data-dir lock or throws DataDirLockedError. A lock of a dead process is taken over. */
export function acquireLock(dataDir: string, log: LogFn): string {
  const lock = path.join(dataDir, FILES.lock);
  for (let attempt = 0; attempt < 5; attempt++) {
    try {
      const fd = openSync(lock, 'wx', 0o600);
      try {
        writeSync(fd, `${process.pid}\n`);
        fsyncSync(fd);
      } finally {
        closeSync(fd);
      }
      return lock;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    let text = '';
    try {
      text = readFileSync(lock, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') continue; // released meanwhile: retry
      throw err;
    }
    const pid = Number.parseInt(text, 10);
    if (Number.isInteger(pid) && pid > 0 && isAlive(pid)) throw new DataDirLockedError(dataDir, pid);
    log('info', `data dir lock of process ${Number.isNaN(pid) ? '(unreadable)' : pid} is stale (process gone); taking it over`);
    try {
      unlinkSync(lock);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
  }
  throw new Error(`could not take the lock ${lock} after 5 attempts (another process keeps re-creating it)`);
}

/** Cheap structural check of exported bytes: SQLite header and page size x page count = length. */
export function validateSnapshotBytes(bytes: Uint8Array, length = bytes.length): string | undefined {
  const header = 'SQLite format 3\u0000';
  if (bytes.length < 32) return 'missing SQLite header';
  for (let i = 0; i < header.length; i++) if (bytes[i] !== header.charCodeAt(i)) return 'missing SQLite header';
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let pageSize = view.getUint16(16);
  if (pageSize === 1) pageSize = 65536;
  const pages = view.getUint32(28);
  if (pages * pageSize !== length) return `size ${length} does not match ${pages} pages of ${pageSize} bytes`;
  return undefined;
}

export class DurableStore {
  private db!: LedgerDb;
  private journal!: JournalFile;
  private lockPath!: string;
  private readonly retention: RetentionOptions;
  private readonly snapshotOpts: SnapshotOptions;
  private readonly ingestOpts: IngestOptions;
  private snapshotVersion = -1;
  /** ledger.db holds exactly the state of the last page snapshot (so the next one may write only changes). */
  private diskMatches = false;
  /** Last snapshot: pages written and how, wall time, longest synchronous step (bench, logs). */
  lastSnapshot: { kind: 'pages' | 'full' | 'export'; bytes: number; ms: number; longestStepMs: number } | undefined;
  /** The snapshot or deferred check running in steps, if any. */
  private run: StepRun | undefined;
  /** Deferred quick_check: the slices (SQL) not run yet (deferCheck). */
  private checkQueue: CheckSlice[] = [];
  /** Changes that are neither journaled nor counted in dataVersion (migration, audit rows). */
  private dirty = false;
  private idleTimer: NodeJS.Timeout | undefined;
  private pruneTimer: NodeJS.Timeout | undefined;
  private pruning = false;
  private closed = false;
  /** The forwarder's last report (see setForwardStatus); shown by the status query. */
  private forwardStatus: ForwardStatusDto | null = null;
  readonly dir: string;

  private constructor(
    private readonly SQL: SqlJsStatic,
    private readonly opts: DurableStoreOptions,
  ) {
    this.dir = opts.dataDir;
    this.retention = { ...DEFAULT_RETENTION_OPTIONS, ...opts.retention };
    this.snapshotOpts = { ...DEFAULT_SNAPSHOT_OPTIONS, ...opts.snapshot };
    this.ingestOpts = { ...DEFAULT_INGEST_OPTIONS, ...opts.ingest };
  }

  private now(): number {
    return this.opts.now ? this.opts.now() : Date.now();
  }

  static open(SQL: SqlJsStatic, opts: DurableStoreOptions): DurableStore {
    const s = new DurableStore(SQL, opts);
    s.openFiles();
    return s;
  }

  private openFiles(): void {
    const { log } = this.opts;
    mkdirSync(this.dir, { recursive: true, mode: 0o700 });
    chmodSync(this.dir, 0o700);
    this.lockPath = acquireLock(this.dir, log);
    try {
      const dbPath = path.join(this.dir, FILES.db);
      rmSync(path.join(this.dir, FILES.tmp), { force: true }); // a snapshot interrupted by a crash
      const recovered = recoverRedo(dbPath, path.join(this.dir, FILES.redo), this.dir);
      if (recovered) log('info', recovered);
      let loaded = false;
      if (existsSync(dbPath)) {
        const bytes = readDbFile(dbPath, {}); // loaded as SQLite reaches it (lazyFile.ts)
        try {
          this.db = LedgerDb.open(this.SQL, bytes, { priceOverrides: this.opts.priceOverrides }, this.opts.deferCheck ? 'deferred' : 'now');
          if (this.opts.deferCheck) this.checkQueue = this.db.checkSlices();
          loaded = true;
          if (this.db.migratedFrom !== LedgerDb.schemaVersion) {
            log('info', `migrated the database from schema ${this.db.migratedFrom} to ${LedgerDb.schemaVersion}`);
            this.dirty = true;
          }
        } catch (err) {
          if (err instanceof SchemaTooNewError) throw err;
          const aside = `${dbPath}.corrupt-${Date.now()}`;
          renameSync(dbPath, aside);
          log('error', `the snapshot ${dbPath} could not be opened (${(err as Error).message}); moved it to ${aside} and starting from the journal only`);
        }
      }
      // Loaded unchanged from ledger.db: the tracker's changes since the load are exactly what differs.
      this.diskMatches = loaded;
      if (!loaded) this.db = LedgerDb.open(this.SQL, undefined, { priceOverrides: this.opts.priceOverrides });
      this.snapshotVersion = loaded ? this.db.dataVersion : -1;
      const tracker = pageTrackerOf(this.SQL);
      if (!tracker?.active) log('warn', `snapshots copy the whole database: page tracking is unavailable (${tracker?.reason ?? 'sql.js not loaded by loadSqlJs'})`);
      if (!this.opts.forward) {
        const removed = removeForwardDir(this.dir);
        if (removed) log('info', `forwarding is off: removed the forward spool (${removed.segments} segment(s), ${removed.bytes} bytes not forwarded)`);
      }
      this.journal = new JournalFile(path.join(this.dir, FILES.journal), { spoolDir: this.opts.forward ? spoolDirOf(this.dir) : undefined });
      this.replay();
    } catch (err) {
      this.releaseLock();
      throw err;
    }
    this.pruneTimer = setInterval(() => this.pruneSoon(), this.retention.pruneIntervalMs);
    this.pruneTimer.unref?.();
  }

  private replay(): void {
    const frames = this.journal.readAll((level, msg) => this.opts.log(level, msg));
    if (frames.length === 0) return;
    let applied = 0;
    let dup = 0;
    for (const f of frames) {
      try {
        const batch = decodeAndNormalize(f.signal, f.encoding, f.payload, this.ingestOpts);
        const r = this.db.apply(batch.records);
        applied += r.applied;
        dup += r.duplicates;
      } catch (err) {
        // A frame that no longer decodes (or a bug in apply) must not block startup; say so.
        this.opts.log('error', `journal replay: skipped a ${f.signal} frame received ${new Date(f.receivedMs).toISOString()}: ${(err as Error).message}`);
      }
    }
    this.opts.log('info', `journal replay: ${frames.length} frames, ${applied} records applied, ${dup} already in the snapshot`);
  }

  get dataVersion(): number {
    return this.db.dataVersion;
  }

  sizeBytes(): number {
    return this.db.sizeBytes();
  }

  /** Where the worker's memory goes: the database file (sql.js MEMFS) and the wasm heap. */
  memoryFacts(): { dbFileBytes: number; wasmHeapBytes: number } {
    return { dbFileBytes: this.db.fileBytes(), wasmHeapBytes: pageTrackerOf(this.SQL)?.wasmHeapBytes ?? 0 };
  }

  get journalBytes(): number {
    return this.journal.bytes;
  }

  ingest(signal: Signal, encoding: Encoding, body: Uint8Array): IngestResult {
    const [r] = this.ingestMany([{ signal, encoding, body }]);
    if (r instanceof Error) throw r;
    return r;
  }

  /**
   * Group commit of several request bodies (the DB worker passes the ingests queued together):
   * decode each (a body that does not decode gets its OtlpDecodeError and nothing is journaled for it),
   * append the frames of all the others with one write and one fsync, apply them in one transaction,
   * and answer each. Every answer is returned after the fsync that covers its frame; an entry is an
   * Error when that request must not be acknowledged (decode error, journal write failed, apply failed).
   */
  ingestMany(reqs: readonly IngestRequest[]): (IngestResult | Error)[] {
    this.assertOpen('ingest');
    this.settle();
    const out: (IngestResult | Error)[] = new Array(reqs.length);
    const decoded: { at: number; records: NormRecord[] }[] = [];
    const frames: JournalFrame[] = [];
    const receivedMs = this.now();
    for (let i = 0; i < reqs.length; i++) {
      const { signal, encoding, body } = reqs[i];
      try {
        const batch = decodeAndNormalize(signal, encoding, body, this.ingestOpts);
        const reply: IngestResult = { accepted: batch.records.length, rejected: batch.rejected };
        if (batch.rejectMessage !== undefined) reply.rejectMessage = batch.rejectMessage;
        out[i] = reply;
        if (batch.records.length > 0) {
          decoded.push({ at: i, records: batch.records });
          frames.push({ signal, encoding, receivedMs, payload: body });
        }
      } catch (err) {
        out[i] = asError(err);
      }
    }
    if (frames.length > 0) {
      try {
        this.journal.appendMany(frames);
      } catch (err) {
        for (const d of decoded) out[d.at] = asError(err); // not on disk: none of them is acknowledged
        return out;
      }
      let applied = 0;
      try {
        applied = this.db.apply(decoded.length === 1 ? decoded[0].records : decoded.flatMap((d) => d.records)).applied;
      } catch {
        // The group's transaction rolled back: apply each on its own, so only a failing one is refused
        // (its frame is journaled; replay applies it, or says why not).
        applied = 0;
        for (const d of decoded) {
          try {
            applied += this.db.apply(d.records).applied;
          } catch (err) {
            out[d.at] = asError(err);
          }
        }
      }
      if (applied > 0) this.opts.onChanged?.(this.db.dataVersion);
    }
    this.scheduleIdleSnapshot();
    return out;
  }

  /** Call after replying to an ingest: snapshots (in steps) when the journal passed its size. */
  maybeSnapshot(): void {
    if (!this.closed && !this.snapshotting && this.journal.bytes > this.snapshotOpts.journalBytes) {
      this.snapshotInSteps().catch((err: Error) => this.opts.log('error', `snapshot failed: ${err.message} (the journal still holds the data)`));
    }
  }

  private scheduleIdleSnapshot(): void {
    if (this.idleTimer) clearTimeout(this.idleTimer);
    this.idleTimer = setTimeout(() => {
      this.idleTimer = undefined;
      if (this.closed || this.run?.kind === 'snapshot') return;
      if (this.needsSnapshot()) this.snapshotInSteps().catch((err: Error) => this.opts.log('error', `idle snapshot failed: ${err.message}`));
    }, this.snapshotOpts.idleMs);
    this.idleTimer.unref?.();
  }

  /** A snapshot now, all of it in this call (tests, clearAll, close). */
  snapshotNow(): void {
    this.assertOpen('snapshotNow');
    this.settle();
    this.stopCheckRun();
    const t0 = performance.now();
    runSteps(this.snapshotSteps());
    if (this.lastSnapshot) this.lastSnapshot.longestStepMs = this.lastSnapshot.ms = performance.now() - t0;
  }

  /**
   * A snapshot in steps on the event loop (pageSnapshot.ts Steps: the changed pages copied, the redo
   * record and ledger.db written, at most 1 MB per step; its fsyncs on the thread pool). Only reads may run before it is done (the DB
   * worker queues everything else); a write call on this object meanwhile first finishes it
   * synchronously (settle), so the journal is never marked covered past what the snapshot holds.
   */
  snapshotInSteps(): Promise<void> {
    this.assertOpen('snapshot');
    if (this.run?.kind === 'snapshot') return this.run.done;
    this.stopCheckRun(); // the snapshot's own steps run the rest of the check first
    return this.startRun('snapshot', this.snapshotSteps());
  }

  /** True while a snapshot runs in steps: the DB worker then answers reads only. */
  get snapshotting(): boolean {
    return this.run?.kind === 'snapshot';
  }

  /** Resolves when no snapshot runs in steps (never rejects). */
  snapshotSettled(): Promise<void> {
    return this.run?.kind === 'snapshot' ? this.run.done.then(() => this.snapshotSettled(), () => this.snapshotSettled()) : Promise.resolve();
  }

  /** Runs the deferred quick_check (deferCheck) in slices; ingests and queries run between them. */
  checkInBackground(): Promise<void> {
    if (this.closed || this.run || this.checkQueue.length === 0) return this.run?.done ?? Promise.resolve();
    return this.startRun('check', this.checkSteps());
  }

  /** Deferred check slices not run yet (0 when the file was checked at open or has passed). */
  get checkPending(): number {
    return this.checkQueue.length;
  }

  private startRun(kind: StepRun['kind'], steps: Steps): Promise<void> {
    let finish!: (err?: Error) => void;
    const done = new Promise<void>((resolve, reject) => (finish = (err) => (err ? reject(err) : resolve())));
    done.catch(() => undefined); // callers get the error; an unobserved one is not a crash
    const run: StepRun = { kind, steps, done, finish, fsyncing: undefined, longestMs: 0 };
    this.run = run;
    this.step(run);
    return done;
  }

  /** One step of a run; the next one after the fsync it asked for (thread pool) or after a turn of the event loop. */
  private step(run: StepRun, err?: Error | null): void {
    if (this.run !== run) return; // settled synchronously or stopped meanwhile
    run.fsyncing = undefined;
    const t = performance.now();
    let r: IteratorResult<number | undefined, void>;
    try {
      r = err ? run.steps.throw(err) : run.steps.next();
    } catch (e) {
      this.run = undefined;
      run.finish(asError(e));
      return;
    }
    run.longestMs = Math.max(run.longestMs, performance.now() - t);
    if (r.done) {
      this.run = undefined;
      if (run.kind === 'snapshot' && this.lastSnapshot) this.lastSnapshot.longestStepMs = run.longestMs;
      run.finish();
      return;
    }
    const fd = r.value;
    // A timer, not setImmediate: the worker's port delivers messages and the worker answers reads (its
    // drain runs from setImmediate) before the next step, never two steps in a row.
    if (fd === undefined) setTimeout(() => this.step(run), 0);
    else {
      run.fsyncing = fd;
      fsync(fd, (e) => this.step(run, e));
    }
  }

  /** Finishes a snapshot running in steps, synchronously (before any write to the database or journal). */
  private settle(): void {
    const run = this.run;
    if (!run || run.kind !== 'snapshot') return;
    this.run = undefined; // its pending fsync callback will find it is no longer current
    try {
      if (run.fsyncing !== undefined) fsyncSync(run.fsyncing);
      runSteps(run.steps);
      if (this.lastSnapshot) this.lastSnapshot.longestStepMs = Math.max(run.longestMs, this.lastSnapshot.longestStepMs);
      run.finish();
    } catch (err) {
      this.opts.log('error', `snapshot failed: ${(err as Error).message} (the journal still holds the data)`);
      run.finish(asError(err));
    }
  }

  /** Stops a background check run between slices (its remaining slices stay queued). */
  private stopCheckRun(): void {
    const run = this.run;
    if (!run || run.kind !== 'check') return;
    this.run = undefined;
    run.steps.return();
    run.finish();
  }

  private *checkSteps(): Steps {
    while (this.checkQueue.length > 0) {
      const problem = this.db.runCheck(this.checkQueue[0]);
      this.checkQueue.shift();
      if (problem) this.rebuildFromJournal(problem);
      yield undefined;
    }
  }

  /**
   * The deferred check found ledger.db corrupt: it is moved aside (never deleted) and the store is
   * rebuilt from the journal, which still holds every frame since that file was written (no snapshot
   * runs before the check passed), including the ones acknowledged since this start.
   */
  private rebuildFromJournal(problem: string): void {
    const dbPath = path.join(this.dir, FILES.db);
    const version = this.db.dataVersion;
    this.db.close();
    this.checkQueue = [];
    const aside = `${dbPath}.corrupt-${Date.now()}`;
    renameSync(dbPath, aside);
    this.opts.log('error', `the snapshot ${dbPath} could not be opened (${problem}); moved it to ${aside} and rebuilt the store from the journal only`);
    this.db = LedgerDb.open(this.SQL, undefined, { priceOverrides: this.opts.priceOverrides });
    this.diskMatches = false;
    this.snapshotVersion = -1;
    this.replay();
    // Every window refetches: the version moves past any version the corrupt file showed.
    this.db.dataVersion = Math.max(this.db.dataVersion, version);
    this.db.markChanged();
    this.opts.onChanged?.(this.db.dataVersion);
  }

  /** The snapshot's work (see pageSnapshot.ts): only reads may run between its steps. */
  private *snapshotSteps(): Steps {
    yield* this.checkSteps(); // a deferred check passes first: a corrupt file is never written back
    const t0 = performance.now();
    const version = this.db.dataVersion;
    const dbPath = path.join(this.dir, FILES.db);
    const chunks = this.db.takeChangedChunks();
    const matched = this.diskMatches;
    this.diskMatches = false; // until this snapshot is complete: a failure makes the next one full
    if (chunks === undefined) {
      this.writeExport(dbPath);
      this.lastSnapshot = { kind: 'export', bytes: this.db.fileBytes(), ms: performance.now() - t0, longestStepMs: 0 };
    } else if (matched) {
      const built: Parameters<typeof buildRedoSteps>[3] = [];
      yield* buildRedoSteps(this.db, chunks, this.db.fileBytes(), built);
      const { bytes, redo } = built[0];
      yield* writeRedoSteps(path.join(this.dir, FILES.redo), this.dir, bytes);
      failpoint('redo-written');
      yield* applyRedoSteps(dbPath, redo, () => failpoint('db-partly-written'));
      failpoint('db-written');
      this.lastSnapshot = { kind: 'pages', bytes: bytes.length, ms: 0, longestStepMs: 0 };
    } else {
      yield* writeFullSteps(this.db, dbPath, path.join(this.dir, FILES.tmp), this.dir, validateSnapshotBytes);
      failpoint('full-written');
      this.lastSnapshot = { kind: 'full', bytes: this.db.fileBytes(), ms: 0, longestStepMs: 0 };
    }
    // Every frame journaled so far is in ledger.db now (truncated, or rotated into the forward spool).
    this.journal.coveredBySnapshot();
    failpoint('journal-truncated');
    if (chunks !== undefined && matched) {
      rmSync(path.join(this.dir, FILES.redo), { force: true });
    }
    this.diskMatches = chunks !== undefined;
    this.snapshotVersion = version;
    this.dirty = false;
    this.lastSnapshot.ms = performance.now() - t0;
  }

  /** The old way (no page tracking): one export() copy, written to ledger.db.tmp and renamed. */
  private writeExport(dbPath: string): void {
    const bytes = this.db.export();
    const problem = validateSnapshotBytes(bytes);
    if (problem) throw new Error(`snapshot not written: the exported database is invalid (${problem}); the previous snapshot and the journal are kept`);
    const tmp = path.join(this.dir, FILES.tmp);
    const fd = openSync(tmp, 'w', 0o600);
    try {
      let off = 0;
      while (off < bytes.length) off += writeSync(fd, bytes, off, bytes.length - off);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, dbPath);
    fsyncDir(this.dir);
  }

  private needsSnapshot(): boolean {
    return this.dirty || this.journal.bytes > 0 || this.db.dataVersion !== this.snapshotVersion;
  }

  /**
   * One step of a transcript import: reads up to maxBytes of complete lines of one file from its stored
   * position, applies them and stores the new position in the same transaction. Not journaled: the
   * transcript file is its own journal (a crash before the next snapshot re-reads from the snapshot's
   * position, and the rows it re-reads are found again by request and message id).
   */
  importTranscriptChunk(req: ImportChunkRequest): ImportChunkResult {
    this.assertOpen('importTranscriptChunk');
    this.settle();
    const counts = emptyCounts();
    const file = req.file;
    const stored = this.db.transcriptPosition(file.path);
    const read = readTranscriptChunk(file.path, stored, req.maxBytes);
    if (!read) return { ...counts, position: stored?.position ?? 0, done: true, restarted: false, gone: true, skipSamples: [] };
    const base = file.path.split(/[\\/]/).pop() ?? '';
    const sessionFromName = base.replace(/\.jsonl$/, '');
    const parent = file.path.split(/[\\/]/).slice(-3, -2)[0];
    const ctx: ParseContext = {
      projectDir: file.projectDir,
      isSubagent: file.isSubagent,
      fileSessionId: file.isSubagent ? parent : sessionFromName,
      fileAgentId: file.isSubagent && sessionFromName.startsWith('agent-') ? sessionFromName.slice('agent-'.length) : undefined,
      storePromptText: this.ingestOpts.storePromptText,
      storeCommands: this.ingestOpts.storeCommands,
      maxCommandChars: this.ingestOpts.maxCommandChars,
      maxPromptChars: this.ingestOpts.maxPromptChars,
    };
    const items: TranscriptItem[] = [];
    const samples: string[] = [];
    const skip = (reason: keyof typeof counts.skipped | string, at: number, detail?: string) => {
      const k = reason as keyof typeof counts.skipped;
      counts.skipped[k] = (counts.skipped[k] ?? 0) + 1;
      if (samples.length < 5) samples.push(`${file.path} at byte ${at}: ${reason}${detail ? ` (${detail})` : ''}`);
    };
    for (const s of read.skipped) skip(s.reason, s.start);
    for (const line of read.lines) {
      const r = parseTranscriptLine(line.text, ctx);
      if (Array.isArray(r)) for (const it of r) items.push(it);
      else skip(r.skip, line.start, r.detail);
    }
    counts.lines = read.lines.length + read.skipped.length;
    counts.bytes = read.bytes;
    const collapsed = collapseChunk(items);
    counts.duplicates += collapsed.mergedRequests;
    this.db.applyTranscript(
      collapsed.items,
      { path: file.path, ino: read.ino, size: read.size, projectDir: file.projectDir, mtimeMs: read.mtimeMs },
      { offset: read.next.offset, skipping: read.next.skipping, lines: counts.lines },
      counts,
    );
    this.dirty = true;
    this.scheduleIdleSnapshot();
    if (counts.requestsAdded + counts.updated + counts.prompts + counts.toolUses > 0) this.opts.onChanged?.(this.db.dataVersion);
    return { ...counts, position: read.next.offset, done: read.done, restarted: read.restarted, skipSamples: samples };
  }

  /**
   * A status line call (POST /api/statusline): stores its rate-limit snapshot (not journaled, like
   * audit rows; the next status line call repeats it) and answers today's spend in the same step.
   */
  recordStatusline(post: StatuslinePostDto): StatuslineReplyDto {
    this.assertOpen('recordStatusline');
    this.settle();
    const now = this.now();
    const r = recordRateLimits(this.db.sql, post, now);
    if (r.stored) {
      this.dirty = true;
      this.scheduleIdleSnapshot();
    }
    if (r.changed) {
      this.db.markChanged();
      this.opts.onChanged?.(this.db.dataVersion);
    }
    const day = localDayBounds(now);
    return { todayUsd: costBetween(this.ctx(), day.fromMs, day.toMs), stored: r.stored };
  }

  query<M extends QueryName>(method: M, params: QueryMethods[M]['params']): QueryMethods[M]['result'] {
    this.assertOpen('query');
    return runQuery(this.ctx(), method, params);
  }

  rows(dataset: RowsDataset, range: RangeSpec, pageSize = ROWS_PAGE_DEFAULT, cursor?: number): RowsPage {
    this.assertOpen('rows');
    const size = Math.max(1, Math.min(ROWS_PAGE_MAX, Math.floor(pageSize)));
    return rowsPage(this.ctx(), dataset, range, size, cursor);
  }

  private ctx(): QueryContext {
    return { sql: this.db.sql, nowMs: this.now(), dataVersion: this.db.dataVersion, lastEventMs: this.db.lastEventMs, priceOverrides: this.opts.priceOverrides,
      learnedPrices: () => this.db.learnedPrices(), forward: this.forwardStatus };
  }

  /**
   * The forwarder's status (it runs in its own thread). Kept in memory only. Views refetch on a data
   * version change, so a change they must see (state, last error, drops, rejections, backlog emptied) bumps it.
   */
  setForwardStatus(s: ForwardStatusDto | null): void {
    this.settle();
    const before = this.forwardStatus;
    this.forwardStatus = s;
    const visible = (x: ForwardStatusDto | null) => (x ? [x.state, x.lastError, x.droppedRequests, x.rejectedRequests, x.backlogRequests === 0].join('|') : '');
    if (!this.closed && visible(before) !== visible(s)) {
      this.db.markChanged();
      this.opts.onChanged?.(this.db.dataVersion);
    }
  }

  exportReplica(): Uint8Array {
    this.assertOpen('exportReplica');
    this.settle();
    return this.db.export();
  }

  audit(e: AuditEntry): void {
    this.assertOpen('audit');
    this.settle();
    this.db.sql.run('INSERT INTO audit (ts_ms, tool, args_summary, rows, duration_ms, ok) VALUES (?, ?, ?, ?, ?, ?)', [
      this.now(), e.tool, e.args.slice(0, 1_000), e.rows, e.durationMs, e.ok ? 1 : 0,
    ]);
    // Audit rows are not journaled (they are not telemetry): the next idle snapshot keeps them.
    this.dirty = true;
    this.scheduleIdleSnapshot();
  }

  describeSchema(): SchemaDescription {
    this.assertOpen('describeSchema');
    return describeSchema(this.db.sql);
  }

  /** Deletes all data. Snapshots at once: otherwise a restart would replay the journal back in. */
  clearAll(): void {
    this.assertOpen('clearAll');
    this.settle();
    this.db.clearAll();
    this.snapshotNow();
    this.opts.onChanged?.(this.db.dataVersion);
  }

  /** Runs pruning steps until nothing is left, yielding between steps so queries interleave. */
  pruneSoon(): Promise<number> {
    if (this.pruning || this.closed) return Promise.resolve(0);
    this.pruning = true;
    let total = 0;
    return new Promise<number>((resolve) => {
      const step = () => {
        if (this.closed) {
          this.pruning = false;
          return resolve(total);
        }
        try {
          this.settle();
          const r = pruneStep(this.db, this.retention, this.now());
          total += r.deleted;
          if (r.deleted > 0) return void setImmediate(step);
        } catch (err) {
          this.opts.log('error', `retention: ${(err as Error).message}`);
        }
        this.pruning = false;
        if (total > 0) {
          this.db.markChanged();
          this.opts.log('info', `retention: pruned ${total} rows`);
          this.opts.onChanged?.(this.db.dataVersion);
        }
        resolve(total);
      };
      setImmediate(step);
    });
  }

  /** Final snapshot (when anything changed since the last one), then release everything. */
  close(): void {
    if (this.closed) return;
    try {
      this.settle();
      this.stopCheckRun();
      if (this.needsSnapshot()) this.snapshotNow();
    } finally {
      this.closed = true;
      if (this.idleTimer) clearTimeout(this.idleTimer);
      if (this.pruneTimer) clearInterval(this.pruneTimer);
      this.journal.close();
      this.db.close();
      this.releaseLock();
    }
  }

  private releaseLock(): void {
    try {
      const text = readFileSync(this.lockPath, 'utf8');
      if (Number.parseInt(text, 10) === process.pid) unlinkSync(this.lockPath);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
  }

  private assertOpen(what: string): void {
    if (this.closed) throw new StoreClosedError(what);
  }
}
