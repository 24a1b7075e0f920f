// Snapshots that write only the changed pages (see pageTracker.ts for how they are known).
//
//   1. the changed 4 KB chunks are copied out of the in-memory database (synchronous, between
//      transactions: consistent) into one buffer: the page-redo record
//        "LDGREDO1" | u32 chunk bytes | u32 count | f64 database size | count x u32 chunk number |
//        count x chunk bytes | u32 CRC-32 of everything before
//   2. the record is written to ledger.db.redo, fsynced, and the directory fsynced;
//   3. the chunks are written in place into ledger.db, which is truncated to the database size and fsynced;
//   4. (the caller) the journal is marked covered; 5. ledger.db.redo is deleted.
// open() first replays a complete redo record into ledger.db (the same bytes again: idempotent); a torn
// or corrupt one is deleted, because ledger.db was not touched before the record was on disk, and the
// journal still holds every frame since the previous snapshot.
//
// The file steps are generators (`Steps`): they yield a descriptor to fsync, or undefined between
// pieces of work. `runSteps` does everything at once (fsyncSync); the DB worker's runner
// (durableStore.ts) fsyncs on the thread pool and answers reads between steps. Same code, same order,
// same failpoints either way.
import { closeSync, existsSync, fsyncSync, ftruncateSync, openSync, readFileSync, renameSync, rmSync, writeSync } from 'node:fs';
import { crc32, crc32Update } from './crc32';
import type { LedgerDb } from './ledgerDb';
import { CHUNK_BYTES } from './pageTracker';

const MAGIC = 'LDGREDO1';
const HEADER = 8 + 4 + 4 + 8;

export type FailpointFn = (name: string) => void;

/**
 * Test hook (storeCrash tests): CLAUDE_LEDGER_TEST_FAILPOINT=<name> SIGKILLs this process at that step
 * of a snapshot, like a power cut. Inert unless the variable is set.
 */
export const FAILPOINT_ENV = 'CLAUDE_LEDGER_TEST_FAILPOINT';
export function failpoint(name: string): void {
  if (process.env[FAILPOINT_ENV] === name) process.kill(process.pid, 'SIGKILL');
}

/** Contiguous runs [first, count] of sorted chunk numbers. */
function runs(chunks: readonly number[]): [number, number][] {
  const out: [number, number][] = [];
  for (const c of chunks) {
    const last = out[out.length - 1];
    if (last && last[0] + last[1] === c) last[1]++;
    else out.push([c, 1]);
  }
  return out;
}

/**
 * Steps of a snapshot's file work: each yielded number is a descriptor that must be fsynced before
 * the next step (the runner does it synchronously or on the thread pool); undefined is a pause only.
 */
export type Steps = Generator<number | undefined, void, void>;

/** Runs steps to the end in this thread (fsyncSync). */
export function runSteps(steps: Steps): void {
  for (let r = steps.next(); !r.done; r = steps.next()) if (r.value !== undefined) fsyncSync(r.value);
}

/** Bytes copied or written between two pauses of the steps (a few ms; more on a machine slow to fault in memory). */
const PIECE_BYTES = 1 << 20;

function writeAll(fd: number, bytes: Uint8Array, position?: number): void {
  let off = 0;
  while (off < bytes.length) off += writeSync(fd, bytes, off, bytes.length - off, position === undefined ? null : position + off);
}

export function fsyncDir(dir: string): void {
  runSteps(fsyncDirSteps(dir));
}

function* fsyncDirSteps(dir: string): Steps {
  const dfd = openSync(dir, 'r');
  try {
    yield dfd;
  } finally {
    closeSync(dfd);
  }
}

/**
 * Builds the redo record of the given chunks (read from the live database) in steps (a pause after each
 * PIECE_BYTES copied and checksummed): the caller must not
 * change the database until the steps are done (the DB worker answers only reads meanwhile). The
 * result is pushed to `out` at the end.
 */
export function* buildRedoSteps(db: LedgerDb, chunks: readonly number[], dbBytes: number, out: { bytes: Uint8Array; redo: Redo }[]): Steps {
  const cb = CHUNK_BYTES;
  const dataStart = HEADER + 4 * chunks.length;
  const bytes = new Uint8Array(dataStart + cb * chunks.length + 4);
  const view = new DataView(bytes.buffer);
  for (let i = 0; i < MAGIC.length; i++) bytes[i] = MAGIC.charCodeAt(i);
  view.setUint32(8, cb, true);
  view.setUint32(12, chunks.length, true);
  view.setFloat64(16, dbBytes, true);
  chunks.forEach((c, i) => view.setUint32(HEADER + 4 * i, c, true));
  let crc = crc32Update(0, bytes, 0, dataStart);
  let at = dataStart;
  const perPiece = PIECE_BYTES / cb;
  for (const [first, count] of runs(chunks)) {
    for (let done = 0; done < count; done += perPiece) {
      const n = Math.min(perPiece, count - done) * cb;
      db.readFile((first + done) * cb, bytes.subarray(at, at + n));
      crc = crc32Update(crc, bytes, at, at + n);
      at += n;
      yield undefined;
    }
  }
  view.setUint32(at, crc, true);
  out.push({ bytes, redo: { chunkBytes: cb, dbBytes, chunks: [...chunks], data: bytes.subarray(dataStart, at) } });
}

export interface Redo {
  chunkBytes: number;
  dbBytes: number;
  chunks: number[];
  data: Uint8Array;
}

/** Parses a redo record; undefined when torn or corrupt. */
export function parseRedo(buf: Uint8Array): Redo | undefined {
  if (buf.length < HEADER + 4) return undefined;
  for (let i = 0; i < MAGIC.length; i++) if (buf[i] !== MAGIC.charCodeAt(i)) return undefined;
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const chunkBytes = view.getUint32(8, true);
  const count = view.getUint32(12, true);
  const dbBytes = view.getFloat64(16, true);
  const dataStart = HEADER + 4 * count;
  const end = dataStart + chunkBytes * count;
  if (chunkBytes === 0 || buf.length !== end + 4) return undefined;
  if (view.getUint32(end, true) !== crc32(buf, 0, end)) return undefined;
  const chunks: number[] = [];
  for (let i = 0; i < count; i++) chunks.push(view.getUint32(HEADER + 4 * i, true));
  return { chunkBytes, dbBytes, chunks, data: buf.subarray(dataStart, end) };
}

/** Writes the redo's chunks into the file in place, truncates it to the database size, fsyncs. */
export function applyRedo(dbPath: string, redo: Redo, afterWrite?: () => void): void {
  runSteps(applyRedoSteps(dbPath, redo, afterWrite));
}

export function* applyRedoSteps(dbPath: string, redo: Redo, afterWrite?: () => void): Steps {
  const fd = openSync(dbPath, 'r+');
  try {
    let at = 0;
    let sincePause = 0;
    for (const [first, count] of runs(redo.chunks)) {
      const n = count * redo.chunkBytes;
      writeAll(fd, redo.data.subarray(at, at + n), first * redo.chunkBytes);
      at += n;
      afterWrite?.();
      sincePause += n;
      if (sincePause >= PIECE_BYTES) {
        sincePause = 0;
        yield undefined;
      }
    }
    ftruncateSync(fd, redo.dbBytes);
    yield fd;
  } finally {
    closeSync(fd);
  }
}

/** Writes the redo record durably (file and directory entry) before ledger.db is touched. */
export function* writeRedoSteps(redoPath: string, dir: string, bytes: Uint8Array): Steps {
  const fd = openSync(redoPath, 'w', 0o600);
  try {
    if (process.env[FAILPOINT_ENV] === 'redo-torn') {
      writeAll(fd, bytes.subarray(0, bytes.length >> 1));
      fsyncSync(fd);
      failpoint('redo-torn');
    }
    for (let off = 0; off < bytes.length; off += PIECE_BYTES) {
      writeAll(fd, bytes.subarray(off, Math.min(bytes.length, off + PIECE_BYTES)));
      yield undefined;
    }
    yield fd;
  } finally {
    closeSync(fd);
  }
  yield* fsyncDirSteps(dir);
}

export function writeRedo(redoPath: string, dir: string, bytes: Uint8Array): void {
  runSteps(writeRedoSteps(redoPath, dir, bytes));
}

/**
 * At open, before ledger.db is read: a complete redo record is written into ledger.db (finishing a
 * snapshot a crash interrupted); a torn one is dropped. Returns what happened, for the log.
 */
export function recoverRedo(dbPath: string, redoPath: string, dir: string): string | undefined {
  if (!existsSync(redoPath)) return undefined;
  const redo = parseRedo(readFileSync(redoPath));
  let what: string;
  if (!redo) what = 'an incomplete page-redo record (a snapshot interrupted before it was on disk) was dropped; the journal covers it';
  else if (!existsSync(dbPath)) what = 'a page-redo record without its ledger.db was dropped';
  else {
    applyRedo(dbPath, redo);
    what = `finished an interrupted snapshot: ${redo.chunks.length} pages from the page-redo record written into ledger.db`;
  }
  rmSync(redoPath, { force: true });
  fsyncDir(dir);
  return what;
}

/**
 * A full snapshot without a second copy of the database: the live file is streamed in 1 MB pieces
 * into ledger.db.tmp, fsynced and renamed over ledger.db. Used when ledger.db does not hold the
 * previous state (first snapshot, after a corrupt file was moved aside, after a failed snapshot).
 */
export function writeFull(db: LedgerDb, dbPath: string, tmpPath: string, dir: string, validate: (head: Uint8Array, size: number) => string | undefined): void {
  runSteps(writeFullSteps(db, dbPath, tmpPath, dir, validate));
}

/** writeFull in steps: the caller must not change the database until the steps are done. */
export function* writeFullSteps(db: LedgerDb, dbPath: string, tmpPath: string, dir: string, validate: (head: Uint8Array, size: number) => string | undefined): Steps {
  const size = db.fileBytes();
  const head = new Uint8Array(Math.min(100, size));
  db.readFile(0, head);
  const problem = validate(head, size);
  if (problem) throw new Error(`snapshot not written: the database is invalid (${problem}); the previous snapshot and the journal are kept`);
  const piece = new Uint8Array(1 << 20);
  const fd = openSync(tmpPath, 'w', 0o600);
  try {
    for (let off = 0; off < size; off += piece.length) {
      const n = Math.min(piece.length, size - off);
      db.readFile(off, piece.subarray(0, n));
      writeAll(fd, piece.subarray(0, n));
      if ((off + n) % PIECE_BYTES === 0) yield undefined;
    }
    yield fd;
  } finally {
    closeSync(fd);
  }
  renameSync(tmpPath, dbPath);
  yield* fsyncDirSteps(dir);
}
