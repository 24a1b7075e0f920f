// Append-only journal of raw OTLP request bodies. A frame is written and fsynced before the receiver
// answers 200, so an acknowledged batch survives a crash; replay re-decodes the raw bodies (so fixes
// in normalization apply on replay too).
//
// Frame layout (little endian):
//   u32 magic 'CLJ1' | u32 bodyLength | u32 crc32(body) | body
//   body = u8 signal | u8 encoding | u16 reserved(0) | f64 receivedMs | payload bytes
// Only the tail can be torn (each append is fsynced before the next starts), so decoding stops at the
// first frame that is short or fails its checksum; everything after that offset is discarded.
import { closeSync, copyFileSync, fstatSync, fsyncSync, ftruncateSync, linkSync, mkdirSync, openSync, readFileSync, renameSync, rmSync, statSync, writeSync } from 'node:fs';
import path from 'node:path';
import type { Signal } from '../otlp/records';
import { crc32 } from './crc32';
import { listSegments, segmentName } from './forwardSpool';

export type Encoding = 'protobuf' | 'json';

export interface JournalFrame {
  signal: Signal;
  encoding: Encoding;
  receivedMs: number;
  payload: Uint8Array;
}

const MAGIC = 0x314a4c43; // 'CLJ1' read as little-endian u32
const HEADER = 12;
const BODY_HEADER = 12;
const SIGNALS: readonly Signal[] = ['logs', 'metrics', 'traces'];
const ENCODINGS: readonly Encoding[] = ['protobuf', 'json'];

export function encodeFrame(frame: JournalFrame): Uint8Array {
  const bodyLength = BODY_HEADER + frame.payload.length;
  const out = new Uint8Array(HEADER + bodyLength);
  const view = new DataView(out.buffer);
  view.setUint32(0, MAGIC, true);
  view.setUint32(4, bodyLength, true);
  view.setUint8(HEADER, SIGNALS.indexOf(frame.signal));
  view.setUint8(HEADER + 1, ENCODINGS.indexOf(frame.encoding));
  view.setUint16(HEADER + 2, 0, true);
  view.setFloat64(HEADER + 4, frame.receivedMs, true);
  out.set(frame.payload, HEADER + BODY_HEADER);
  view.setUint32(8, crc32(out, HEADER, out.length), true);
  return out;
}

export interface DecodedJournal {
  frames: JournalFrame[];
  /** Bytes of valid frames from the start; anything after this is torn or corrupt. */
  validBytes: number;
  /** Why decoding stopped early (undefined when the whole buffer was valid). */
  problem?: string;
}

export function decodeFrames(buf: Uint8Array): DecodedJournal {
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const frames: JournalFrame[] = [];
  let off = 0;
  while (off < buf.length) {
    if (buf.length - off < HEADER) return { frames, validBytes: off, problem: `torn frame header at byte ${off}` };
    if (view.getUint32(off, true) !== MAGIC) return { frames, validBytes: off, problem: `bad frame magic at byte ${off}` };
    const len = view.getUint32(off + 4, true);
    if (len < BODY_HEADER) return { frames, validBytes: off, problem: `bad frame length ${len} at byte ${off}` };
    if (buf.length - off - HEADER < len) return { frames, validBytes: off, problem: `torn frame at byte ${off} (${len} bytes announced, ${buf.length - off - HEADER} present)` };
    const start = off + HEADER;
    const end = start + len;
    if (crc32(buf, start, end) !== view.getUint32(off + 8, true)) return { frames, validBytes: off, problem: `checksum mismatch in frame at byte ${off}` };
    const signal = SIGNALS[view.getUint8(start)];
    const encoding = ENCODINGS[view.getUint8(start + 1)];
    if (!signal || !encoding) return { frames, validBytes: off, problem: `unknown signal/encoding in frame at byte ${off}` };
    frames.push({ signal, encoding, receivedMs: view.getFloat64(start + 4, true), payload: buf.subarray(start + BODY_HEADER, end) });
    off = end;
  }
  return { frames, validBytes: off };
}

export interface JournalFileOptions {
  /**
   * Forwarding on: the folder of forward segments (forwardSpool.ts). The live journal is hard-linked
   * there as the highest segment, and coveredBySnapshot() rotates it (a new journal.bin) instead of
   * truncating, so frames not yet forwarded outlive the snapshot. Undefined: truncate as always.
   */
  spoolDir?: string;
}

/** The journal file: append + fsync, read all, coveredBySnapshot. Owned by the DB worker only. */
export class JournalFile {
  private fd: number;
  private size: number;
  /** Segment number of the live journal in the spool (forwarding on only). */
  private liveSeq = 0;

  constructor(
    readonly path: string,
    private readonly opts: JournalFileOptions = {},
  ) {
    this.fd = openSync(path, 'a+', 0o600);
    this.size = fstatSync(this.fd).size;
    if (opts.spoolDir) this.linkIntoSpool(opts.spoolDir);
  }

  get bytes(): number {
    return this.size;
  }

  /**
   * Makes the live journal the highest spool segment (same inode) unless it already is. Covers a first
   * start with forwarding on and a crash between a rotation's rename and its link; a stray
   * `journal.bin.next` (crash before the rename) is removed: journal.bin is still the live segment.
   */
  private linkIntoSpool(spoolDir: string): void {
    mkdirSync(spoolDir, { recursive: true, mode: 0o700 });
    rmSync(`${this.path}.next`, { force: true });
    const segs = listSegments(spoolDir);
    const highest = segs[segs.length - 1];
    const ino = fstatSync(this.fd).ino;
    if (highest !== undefined && statSync(path.join(spoolDir, segmentName(highest))).ino === ino) {
      this.liveSeq = highest;
      return;
    }
    this.liveSeq = (highest ?? 0) + 1;
    linkSync(this.path, path.join(spoolDir, segmentName(this.liveSeq)));
  }

  /** Appends one frame and fsyncs: when this returns the frame is on disk. */
  append(frame: JournalFrame): void {
    const bytes = encodeFrame(frame);
    let written = 0;
    while (written < bytes.length) written += writeSync(this.fd, bytes, written, bytes.length - written);
    fsyncSync(this.fd);
    this.size += bytes.length;
  }

  /**
   * Group commit: appends several frames with one write and one fsync; when this returns all of them
   * are on disk. A crash mid-write can tear only the last frames of the group (none of them was
   * acknowledged yet); the valid ones before the tear are replayed like any frame.
   */
  appendMany(frames: readonly JournalFrame[]): void {
    if (frames.length === 0) return;
    const parts = frames.map(encodeFrame);
    const bytes = parts.length === 1 ? parts[0] : Buffer.concat(parts);
    let written = 0;
    while (written < bytes.length) written += writeSync(this.fd, bytes, written, bytes.length - written);
    fsyncSync(this.fd);
    this.size += bytes.length;
  }

  /**
   * Reads every valid frame. A torn or corrupt tail is cut off (after keeping a copy aside when
   * it is more than a short torn write, so nothing is destroyed without a trace).
   */
  readAll(log: (level: 'info' | 'warn', msg: string) => void): JournalFrame[] {
    const buf = readFileSync(this.path);
    const decoded = decodeFrames(buf);
    if (decoded.problem) {
      const dropped = buf.length - decoded.validBytes;
      // A torn last write is the expected result of a crash mid-append: that batch was never
      // acknowledged. Anything else (bad checksum, bad magic) is kept aside for inspection.
      let kept = '';
      if (!decoded.problem.startsWith('torn')) {
        const aside = `${this.path}.bad-${Date.now()}`;
        copyFileSync(this.path, aside);
        kept = ` (kept a copy at ${aside})`;
      }
      log('warn', `journal: ${decoded.problem}; ignoring the last ${dropped} bytes${kept}; ${decoded.frames.length} frames are valid`);
      ftruncateSync(this.fd, decoded.validBytes);
      fsyncSync(this.fd);
      this.size = decoded.validBytes;
    }
    return decoded.frames;
  }

  /**
   * Every frame so far is in a snapshot (the one call of the snapshot step). Without forwarding the
   * journal is truncated. With forwarding it is rotated: a new empty journal.bin replaces it and becomes
   * the next spool segment, while the old inode stays reachable as its segment until the forwarder's
   * cursor passes it. Crash-safe order: create journal.bin.next, rename it over journal.bin (the old
   * frames are still linked in the spool), link the new file as segment N+1 (a crash before the link is
   * repaired at open by linkIntoSpool), switch the descriptor. Segment N gets no append after N+1
   * exists, which is how the forwarder knows it is complete.
   */
  coveredBySnapshot(): void {
    const spoolDir = this.opts.spoolDir;
    if (!spoolDir) {
      ftruncateSync(this.fd, 0);
      fsyncSync(this.fd);
      this.size = 0;
      return;
    }
    if (this.size === 0) return; // nothing to rotate: the live segment stays empty
    const next = `${this.path}.next`;
    rmSync(next, { force: true });
    const fd = openSync(next, 'a+', 0o600);
    try {
      renameSync(next, this.path);
      const seq = this.liveSeq + 1;
      linkSync(this.path, path.join(spoolDir, segmentName(seq)));
      this.liveSeq = seq;
    } catch (err) {
      closeSync(fd);
      throw err;
    }
    closeSync(this.fd);
    this.fd = fd;
    this.size = 0;
  }

  close(): void {
    closeSync(this.fd);
  }
}
