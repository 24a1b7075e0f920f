// Splits bytes read from a JSONL transcript into complete lines, with file byte offsets, so the importer
// can store "read up to here" in the same transaction as the rows of those lines.
//
// Invariants:
// - Only lines terminated by '\n' are returned ('\r\n' tolerated). A half-written last line is never
//   returned: `next` points at its first byte and it is read again, complete, later. (Claude Code
//   ends every line with '\n'; a final line without one is in flight.)
// - A line longer than maxLineBytes is reported once as 'too_long' and then discarded up to its newline,
//   even across calls: the caller keeps `skipping` with the position (the state is {next, skipping}).
//   Memory per file is therefore bounded by maxLineBytes + one read chunk.
// - Invalid UTF-8 (node:buffer isUtf8) -> 'invalid_utf8'; NUL bytes -> 'binary' (raw NUL can never occur
//   in JSON text). A run of NULs at the start of a line is dropped first: filesystems can leave a
//   zero-filled block after a crash, and the line appended after it is still good.
// - Empty lines (and '\r' alone) are consumed silently.
import { isUtf8 } from 'node:buffer';
import { DEFAULT_TRANSCRIPT_LIMITS } from './transcriptRecords';

export type SplitSkipReason = 'too_long' | 'invalid_utf8' | 'binary';

export interface SplitLine {
  /** File offset of the line's first byte. */
  start: number;
  /** File offset just past its '\n' (where reading resumes once this line is stored). */
  end: number;
  /** Decoded text without '\n' / '\r\n' (a leading BOM is dropped by the decoder). */
  text: string;
}

export interface SplitSkipped {
  start: number;
  /** Past the '\n' when known; for a too_long line still in progress, the end of the bytes seen so far. */
  end: number;
  reason: SplitSkipReason;
}

export interface SplitResult {
  lines: SplitLine[];
  skipped: SplitSkipped[];
  /** File offset to resume from: start of the first incomplete line (or end of buffer when skipping). */
  next: number;
  /** true: the bytes from `next` on belong to an over-long line already reported; drop them up to '\n'. */
  skipping: boolean;
}

const NL = 0x0a;
const CR = 0x0d;

/**
 * Decodes one line's bytes (without '\n'). Validity is checked with node:buffer's isUtf8 (native) and the
 * text made with Buffer#toString: together ~5x faster than a fatal TextDecoder (measured on a 100 MB
 * generated corpus: 180 ms vs 880 ms), with the same verdicts. A leading BOM is dropped like the decoder did.
 */
function decodeLine(bytes: Uint8Array): { text: string } | { reason: SplitSkipReason } | undefined {
  let len = bytes.length;
  if (len > 0 && bytes[len - 1] === CR) len--;
  let from = 0;
  while (from < len && bytes[from] === 0) from++;
  if (from === len) return from === 0 ? undefined : { reason: 'binary' };
  const body = bytes.subarray(from, len);
  if (body.indexOf(0) !== -1) return { reason: 'binary' };
  if (!isUtf8(body)) return { reason: 'invalid_utf8' };
  const text = Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString('utf8');
  return { text: text.charCodeAt(0) === 0xfeff ? text.slice(1) : text };
}

function emit(bytes: Uint8Array, start: number, end: number, maxLineBytes: number, out: SplitResult): void {
  // `bytes` excludes the '\n'; end is past it.
  if (bytes.length > maxLineBytes) {
    out.skipped.push({ start, end, reason: 'too_long' });
    return;
  }
  const r = decodeLine(bytes);
  if (!r) return;
  if ('reason' in r) out.skipped.push({ start, end, reason: r.reason });
  else out.lines.push({ start, end, text: r.text });
}

/**
 * Splits `buf`, read from a file at byte `offset`. `skipping` is the state returned by the previous
 * call for this file (false at a line start). Pure: the caller reads, calls, and stores {next, skipping}.
 *
 * When no line is complete and the incomplete tail is shorter than maxLineBytes, `next === offset` and
 * the caller must read a longer buffer next time (or use LineSplitter, which carries the tail).
 */
export function splitLines(
  buf: Uint8Array,
  offset: number,
  skipping = false,
  maxLineBytes = DEFAULT_TRANSCRIPT_LIMITS.maxLineBytes,
): SplitResult {
  const out: SplitResult = { lines: [], skipped: [], next: offset, skipping: false };
  let pos = 0;
  if (skipping) {
    const nl = buf.indexOf(NL);
    if (nl === -1) {
      out.next = offset + buf.length;
      out.skipping = true;
      return out;
    }
    pos = nl + 1;
  }
  for (;;) {
    const nl = buf.indexOf(NL, pos);
    if (nl === -1) break;
    emit(buf.subarray(pos, nl), offset + pos, offset + nl + 1, maxLineBytes, out);
    pos = nl + 1;
  }
  const tail = buf.length - pos;
  if (tail > maxLineBytes) {
    out.skipped.push({ start: offset + pos, end: offset + buf.length, reason: 'too_long' });
    out.next = offset + buf.length;
    out.skipping = true;
  } else {
    out.next = offset + pos;
  }
  return out;
}

/**
 * Streaming form over splitLines: push chunks of any size in file order; the incomplete tail is carried
 * between pushes (never more than maxLineBytes; chunks of one long line are joined once, when its
 * newline arrives, not on every push).
 */
export class LineSplitter {
  private pending: Uint8Array[] = [];
  private pendingLen = 0;
  /** File offset of the first pending byte (or of the next byte when nothing is pending). */
  private at: number;
  private skipping: boolean;

  constructor(
    offset: number,
    skipping = false,
    private readonly maxLineBytes = DEFAULT_TRANSCRIPT_LIMITS.maxLineBytes,
  ) {
    this.at = offset;
    this.skipping = skipping;
  }

  /** Where to resume after the lines returned so far are stored: {offset, skipping}. */
  get position(): { offset: number; skipping: boolean } {
    return { offset: this.at, skipping: this.skipping && this.pendingLen === 0 };
  }

  /** Bytes of an incomplete line held (they are re-read from `position.offset` after a restart). */
  get pendingBytes(): number {
    return this.pendingLen;
  }

  push(chunk: Uint8Array): SplitResult {
    const base = this.at + this.pendingLen;
    const out: SplitResult = { lines: [], skipped: [], next: this.at, skipping: false };
    const nl = chunk.indexOf(NL);
    if (nl === -1) {
      this.absorbTail(chunk, base, out);
      return this.finish(out);
    }
    let restFrom = 0;
    if (this.skipping) {
      restFrom = nl + 1;
      this.skipping = false;
      this.at = base + restFrom;
    } else if (this.pendingLen > 0) {
      // Complete the carried line with the head of this chunk: one join per line.
      const head = chunk.subarray(0, nl);
      const lineLen = this.pendingLen + head.length;
      const start = this.at;
      const end = base + nl + 1;
      if (lineLen > this.maxLineBytes) out.skipped.push({ start, end, reason: 'too_long' });
      else {
        const line = new Uint8Array(lineLen);
        let o = 0;
        for (const p of this.pending) {
          line.set(p, o);
          o += p.length;
        }
        line.set(head, o);
        emit(line, start, end, this.maxLineBytes, out);
      }
      this.pending = [];
      this.pendingLen = 0;
      restFrom = nl + 1;
      this.at = end;
    }
    const r = splitLines(chunk.subarray(restFrom), base + restFrom, false, this.maxLineBytes);
    // A loop, not push(...r.lines): a 1 MB piece of tiny lines would pass too many arguments.
    for (const l of r.lines) out.lines.push(l);
    for (const k of r.skipped) out.skipped.push(k);
    this.at = r.next;
    this.skipping = r.skipping;
    if (!r.skipping) {
      const tailFrom = r.next - base;
      if (tailFrom < chunk.length) {
        // Copy: the caller may reuse its read buffer.
        this.pending.push(chunk.slice(tailFrom));
        this.pendingLen = chunk.length - tailFrom;
      }
    }
    return this.finish(out);
  }

  private absorbTail(chunk: Uint8Array, base: number, out: SplitResult): void {
    if (this.skipping) {
      this.at = base + chunk.length;
      return;
    }
    if (this.pendingLen + chunk.length > this.maxLineBytes) {
      out.skipped.push({ start: this.at, end: base + chunk.length, reason: 'too_long' });
      this.pending = [];
      this.pendingLen = 0;
      this.at = base + chunk.length;
      this.skipping = true;
      return;
    }
    if (chunk.length > 0) {
      this.pending.push(chunk.slice());
      this.pendingLen += chunk.length;
    }
  }

  private finish(out: SplitResult): SplitResult {
    out.next = this.at;
    out.skipping = this.skipping && this.pendingLen === 0;
    return out;
  }
}
