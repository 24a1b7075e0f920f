// Imports Claude Code's transcript history and follows it live (leader window or `cli.js serve`;
// `cli.js import` runs one pass). The runner only lists files and asks the store, chunk by chunk, to
// read and apply them: the reading, parsing and applying happen in the DB worker, where the position of
// each file is stored in the same transaction as the rows it produced. So a crash (kill -9) anywhere
// loses nothing and doubles nothing: the next start reads on from the position in the last snapshot,
// and rows after it are found again and deduplicated by request id and message id.
//
// Chunks are bounded (maxChunkBytes) so OTLP requests, which the worker serves in arrival order, are
// answered between two chunks of a large import.
import * as fs from 'node:fs';
import type { Logger } from '../../core/log';
import {
  addCounts,
  emptySummary,
  type ImportChunkRequest,
  type ImportChunkResult,
  type ImportSummary,
  type TranscriptFileRef,
} from '../../core/transcripts/importSummary';
import { DEFAULT_SCAN_LIMITS, scanTranscriptRoots, type TranscriptScanLimits } from './transcriptFiles';

/** What the importer needs from the store (StoreClient implements it). */
export interface TranscriptStore {
  importTranscriptChunk(req: ImportChunkRequest): Promise<ImportChunkResult>;
  /** Makes what was imported so far durable (a snapshot), so a long import resumes from here after a crash. */
  snapshotNow(): Promise<void>;
}

export interface ImportProgress {
  filesDone: number;
  files: number;
  requestsAdded: number;
  bytes: number;
  elapsedMs: number;
}

export interface TranscriptImporterOptions {
  store: TranscriptStore;
  roots: () => readonly string[];
  log: Logger;
  limits?: Partial<TranscriptImportLimits>;
  /** Clock (tests). */
  now?: () => number;
}

export interface TranscriptImportLimits extends TranscriptScanLimits {
  /** Bytes one worker step reads: bounds how long an OTLP request can wait behind an import. */
  maxChunkBytes: number;
  /** Following: a full rescan this often, in case a watch event was missed. */
  rescanMs: number;
  /** Following: changes seen by the watcher are read after this quiet time (Claude Code writes bursts). */
  debounceMs: number;
  /** A long pass snapshots (checkpoints) after this many bytes or this much time, and at its end. */
  checkpointBytes: number;
  checkpointMs: number;
  /** Tests: also after this many files (0 = off). */
  checkpointFiles: number;
}

export const DEFAULT_IMPORT_LIMITS: TranscriptImportLimits = {
  ...DEFAULT_SCAN_LIMITS,
  // 4 MiB parses and applies in roughly 50-150 ms in the worker: an OTLP request waits at most that.
  maxChunkBytes: 4 * 1024 * 1024,
  rescanMs: 10_000,
  debounceMs: 500,
  // A snapshot copies the whole database: every 256 MB of transcripts or 60 s bounds both the work a
  // crash can cost and the time spent snapshotting (a first import of 1 GB takes a handful).
  checkpointBytes: 256 * 1024 * 1024,
  checkpointMs: 60_000,
  checkpointFiles: Number(process.env.LEDGER_TEST_IMPORT_SNAPSHOT_FILES ?? 0) || 0,
};

interface KnownFile {
  size: number;
  mtimeMs: number;
  ino: number;
  /** Set once a read reached the end of the file at this size. */
  done: boolean;
}

export class TranscriptImporter {
  private readonly limits: TranscriptImportLimits;
  private readonly known = new Map<string, KnownFile>();
  private running: Promise<ImportSummary> | undefined;
  private watchers: fs.FSWatcher[] = [];
  private rescanTimer: NodeJS.Timeout | undefined;
  private debounceTimer: NodeJS.Timeout | undefined;
  private disposed = false;
  private readonly listeners = new Set<(s: ImportSummary) => void>();

  constructor(private readonly o: TranscriptImporterOptions) {
    this.limits = { ...DEFAULT_IMPORT_LIMITS, ...o.limits };
  }

  private now(): number {
    return this.o.now ? this.o.now() : Date.now();
  }

  /** Called after every pass that added or changed something (status bar, coverage hint). */
  onDidImport(fn: (s: ImportSummary) => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  /**
   * One pass over every root: new files and the new part of known files. Passes never overlap: a call
   * while one runs waits for it and then runs once more (a change seen meanwhile is not lost).
   */
  importNow(opts: { onProgress?: (p: ImportProgress) => void; isCancelled?: () => boolean } = {}): Promise<ImportSummary> {
    if (this.running) {
      return this.running.then(() => this.importNow(opts));
    }
    this.running = this.pass(opts).finally(() => {
      this.running = undefined;
    });
    return this.running;
  }

  private async pass(opts: { onProgress?: (p: ImportProgress) => void; isCancelled?: () => boolean }): Promise<ImportSummary> {
    const started = this.now();
    const summary = emptySummary();
    const scan = await scanTranscriptRoots(this.o.roots(), this.limits);
    summary.files = scan.files.length;
    summary.problems.push(...scan.problems);
    summary.missingRoots.push(...scan.missingRoots);
    const todo = scan.files.filter((f) => this.changed(f));
    let filesDone = scan.files.length - todo.length;
    const progress = () =>
      opts.onProgress?.({ filesDone, files: scan.files.length, requestsAdded: summary.requestsAdded, bytes: summary.bytes, elapsedMs: this.now() - started });
    progress();
    let sinceCheckpoint = { bytes: 0, files: 0, at: this.now() };
    const checkpoint = async (why: string) => {
      await this.o.store.snapshotNow();
      this.o.log.info(`import checkpoint (${why}): ${filesDone}/${scan.files.length} files, ${summary.requestsAdded} requests so far`);
      sinceCheckpoint = { bytes: 0, files: 0, at: this.now() };
    };
    for (const file of todo) {
      if (this.disposed || opts.isCancelled?.()) {
        summary.cancelled = true;
        break;
      }
      const before = summary.bytes;
      const ok = await this.importFile(file, summary, opts);
      if (ok) summary.filesRead++;
      filesDone++;
      progress();
      sinceCheckpoint.bytes += summary.bytes - before;
      if (ok) sinceCheckpoint.files++;
      const l = this.limits;
      if (sinceCheckpoint.bytes >= l.checkpointBytes || (l.checkpointFiles > 0 && sinceCheckpoint.files >= l.checkpointFiles)) await checkpoint('size');
      else if (sinceCheckpoint.bytes > 0 && this.now() - sinceCheckpoint.at >= l.checkpointMs) await checkpoint('time');
    }
    if (sinceCheckpoint.bytes > 0 && summary.bytes >= this.limits.checkpointBytes / 4) await checkpoint('end of pass');
    summary.seconds = (this.now() - started) / 1000;
    if (summary.requestsAdded > 0 || summary.updated > 0 || summary.prompts > 0 || summary.problems.length > 0) {
      for (const fn of this.listeners) fn(summary);
    }
    return summary;
  }

  private changed(f: TranscriptFileRef): boolean {
    const k = this.known.get(f.path);
    return !k || !k.done || k.size !== f.size || k.mtimeMs !== f.mtimeMs || k.ino !== f.ino;
  }

  /** Reads one file to its end (chunk by chunk); false when it had nothing new or failed. */
  private async importFile(file: TranscriptFileRef, summary: ImportSummary, opts: { isCancelled?: () => boolean }): Promise<boolean> {
    let any = false;
    for (let step = 0; ; step++) {
      let r: ImportChunkResult;
      try {
        r = await this.o.store.importTranscriptChunk({ file, maxBytes: this.limits.maxChunkBytes });
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        // Deleted while being read: what was imported stays; nothing to report but a debug line.
        if (code === 'ENOENT') this.o.log.debug(`transcript ${file.path} disappeared while being read`);
        else summary.problems.push(`${file.path}: ${(err as Error).message}`);
        this.known.delete(file.path);
        return any;
      }
      if (r.gone) {
        this.known.delete(file.path);
        return any;
      }
      addCounts(summary, r);
      if (r.restarted) this.o.log.info(`transcript ${file.path} shrank or was replaced; read again from the start (duplicates are not counted twice)`);
      for (const s of r.skipSamples) this.o.log.warn(`transcript line skipped: ${s}`);
      if (r.lines > 0) any = true;
      if (r.done) {
        this.known.set(file.path, { size: file.size, mtimeMs: file.mtimeMs, ino: file.ino, done: true });
        return any;
      }
      if (this.disposed || opts.isCancelled?.()) return any;
      // The file grew while being read: take its new size for the next step.
      if (step > 0 && step % 16 === 0) {
        try {
          const st = await fs.promises.stat(file.path);
          file = { ...file, size: st.size, mtimeMs: st.mtimeMs, ino: st.ino };
        } catch {
          return any;
        }
      }
    }
  }

  /**
   * Follows the roots: fs.watch (recursive where the platform has it) plus a periodic rescan, so new
   * lines are read within about a second, and within rescanMs even when a watch event is lost.
   */
  follow(): void {
    if (this.disposed) return;
    this.stopWatching();
    for (const root of this.o.roots()) {
      try {
        const w = fs.watch(root, { recursive: true, persistent: false }, () => this.soon());
        w.on('error', (err) => this.o.log.debug(`watching ${root} stopped: ${err.message}; the periodic rescan continues`));
        this.watchers.push(w);
      } catch (err) {
        // A missing root is normal (no Claude Code yet): the periodic rescan notices it when it appears.
        this.o.log.debug(`not watching ${root}: ${(err as Error).message}`);
      }
    }
    const tick = () => {
      this.rescanTimer = setTimeout(() => {
        this.soon(0);
        tick();
      }, this.limits.rescanMs);
      this.rescanTimer.unref?.();
    };
    tick();
  }

  private soon(delay = this.limits.debounceMs): void {
    if (this.disposed) return;
    if (this.debounceTimer) clearTimeout(this.debounceTimer);
    this.debounceTimer = setTimeout(() => {
      this.debounceTimer = undefined;
      this.importNow().then(
        (s) => {
          if (s.requestsAdded > 0 || s.updated > 0) this.o.log.info(`transcripts: ${s.requestsAdded} new request(s), ${s.updated} updated, ${s.knownFromOtlp} already known from OTLP`);
          for (const p of s.problems) this.o.log.warn(`transcripts: ${p}`);
        },
        (err: unknown) => this.o.log.error(`transcript follow failed: ${(err as Error).message}`),
      );
    }, delay);
    this.debounceTimer.unref?.();
  }

  private stopWatching(): void {
    for (const w of this.watchers) w.close();
    this.watchers = [];
    if (this.rescanTimer) clearTimeout(this.rescanTimer);
    this.rescanTimer = undefined;
  }

  /** Stops following; a pass in progress ends after its current chunk (its position is stored). */
  async dispose(): Promise<void> {
    this.disposed = true;
    this.stopWatching();
    if (this.debounceTimer) clearTimeout(this.debounceTimer);
    await this.running?.catch(() => undefined);
  }
}
