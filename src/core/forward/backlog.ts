// The forwarder's queue over the journal segments, and its persisted cursor. Pure.
//
// A frame is addressed by (segment seq, byte offset). The cursor is the address of the next frame not yet
// accepted (or rejected, or dropped) upstream; it only moves forward, and only after the upstream's
// answer, so a crash re-sends from the cursor (at least once).

export interface FramePos {
  seq: number;
  offset: number;
}

export interface FrameRef extends FramePos {
  /** Whole frame bytes (12-byte header + body). */
  length: number;
}

export interface ForwardCounters {
  sent: number;
  rejected: number;
  dropped: number;
  droppedBytes: number;
}

export interface CursorFile extends FramePos, ForwardCounters {
  v: 1;
  endpoint: string;
}

export function zeroCounters(): ForwardCounters {
  return { sent: 0, rejected: 0, dropped: 0, droppedBytes: 0 };
}

/** A cursor file's text -> its content, or undefined when it is missing pieces or names another endpoint. */
export function parseCursor(text: string, endpoint: string): CursorFile | undefined {
  let o: unknown;
  try {
    o = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (!o || typeof o !== 'object') return undefined;
  const c = o as Record<string, unknown>;
  const nat = (v: unknown) => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
  if (c.v !== 1 || c.endpoint !== endpoint) return undefined;
  if (![c.seq, c.offset, c.sent, c.rejected, c.dropped, c.droppedBytes].every(nat)) return undefined;
  return c as unknown as CursorFile;
}

export function comparePos(a: FramePos, b: FramePos): number {
  return a.seq !== b.seq ? a.seq - b.seq : a.offset - b.offset;
}

/** Frames found in the spool and not yet done, oldest first, with their total bytes. */
export class Backlog {
  private items: FrameRef[] = [];
  private head = 0;
  private total = 0;

  get requests(): number {
    return this.items.length - this.head;
  }

  get bytes(): number {
    return this.total;
  }

  push(ref: FrameRef): void {
    this.items.push(ref);
    this.total += ref.length;
  }

  peek(): FrameRef | undefined {
    return this.items[this.head];
  }

  shift(): FrameRef | undefined {
    const r = this.items[this.head];
    if (!r) return undefined;
    this.head++;
    this.total -= r.length;
    if (this.head > 1024 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    return r;
  }

  /** Drops the oldest frames until the backlog fits `maxBytes`; what was dropped. */
  dropToFit(maxBytes: number): { requests: number; bytes: number } {
    let requests = 0;
    let bytes = 0;
    while (this.total > maxBytes && this.requests > 0) {
      const r = this.shift()!;
      requests++;
      bytes += r.length;
    }
    return { requests, bytes };
  }

  clear(): void {
    this.items = [];
    this.head = 0;
    this.total = 0;
  }
}
