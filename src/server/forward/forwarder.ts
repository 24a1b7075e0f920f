// The forwarder: sends the journal's frames to the team's OTLP/HTTP upstream, at least once, in order.
// Runs in its own worker thread (forwardWorker.ts) in the leader process, so neither the extension host's
// event loop nor the DB worker (local ingest) does its reading, stripping, gzip or waiting.
//
// It reads the forward spool (src/core/store/forwardSpool.ts): segments written by the DB worker's journal,
// the highest being the live journal. A segment is complete once a higher one exists (checked before
// reading it). The cursor (next frame to send) is persisted after every answer from upstream; segments
// below it are deleted. A crash re-sends from the cursor; an upstream that dedupes (the ledger does)
// ends with every record once.
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import type { ForwardState, ForwardStatusDto } from '../../protocol/dto';
import { Backlog, parseCursor, zeroCounters, type ForwardCounters, type FramePos, type FrameRef } from '../../core/forward/backlog';
import { signalUrl } from '../../core/forward/endpoint';
import { DEFAULT_FORWARD_LIMITS, type ForwardLimits, type ForwardSettings } from '../../core/forward/forwardOptions';
import { retryDelayMs } from '../../core/forward/retryPolicy';
import { stripContent } from '../../core/forward/stripContent';
import { decodeFrames } from '../../core/store/journal';
import { cursorFileOf, segmentName, spoolDirOf } from '../../core/store/forwardSpool';
import { sendToUpstream } from './upstream';

export type ForwardLog = (level: 'info' | 'warn' | 'error', msg: string) => void;

export interface ForwarderOptions extends ForwardSettings {
  dataDir: string;
  limits?: Partial<ForwardLimits>;
  log: ForwardLog;
  onStatus(status: ForwardStatusDto): void;
  version: string;
  /** Random source for the backoff jitter (tests). */
  random?: () => number;
}

const HEADER = 12;
const MAGIC = 0x314a4c43;

export class Forwarder {
  private readonly limits: ForwardLimits;
  private readonly spool: string;
  private readonly cursorFile: string;
  private readonly backlog = new Backlog();
  /** Where scanning for new frames continues. */
  private scanPos: FramePos = { seq: 0, offset: 0 };
  private counters: ForwardCounters = zeroCounters();
  private state: ForwardState = 'ok';
  private lastError: string | null = null;
  private lastErrorAt: string | null = null;
  private lastSentAt: string | null = null;
  private attempt = 0;
  private stopped = false;
  private readonly abort = new AbortController();
  private wakeUp: (() => void) | undefined;
  private woken = false;
  private running: Promise<void> | undefined;
  private lastPosted = '';
  private lastCursorWrite = 0;
  /** Segments below this were deleted already (no directory listing per request). */
  private deletedBelow = 0;

  constructor(private readonly o: ForwarderOptions) {
    this.limits = { ...DEFAULT_FORWARD_LIMITS, ...o.limits };
    this.spool = spoolDirOf(o.dataDir);
    this.cursorFile = cursorFileOf(o.dataDir, o.endpoint);
  }

  start(): Promise<void> {
    this.running ??= this.run().catch((err: unknown) => {
      this.o.log('error', `forwarder stopped by an unexpected error: ${(err as Error)?.stack ?? String(err)}`);
    });
    return this.running;
  }

  /** New frames were journaled: look now instead of at the next poll. */
  wake(): void {
    this.woken = true;
    this.wakeUp?.();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.abort.abort();
    this.wakeUp?.();
    await this.running;
  }

  status(): ForwardStatusDto {
    return {
      endpoint: this.o.endpoint,
      content: this.o.content,
      state: this.state,
      lastError: this.lastError,
      lastErrorAt: this.lastErrorAt,
      backlogRequests: this.backlog.requests,
      backlogBytes: this.backlog.bytes,
      sentRequests: this.counters.sent,
      rejectedRequests: this.counters.rejected,
      droppedRequests: this.counters.dropped,
      droppedBytes: this.counters.droppedBytes,
      lastSentAt: this.lastSentAt,
    };
  }

  private postStatus(): void {
    const s = this.status();
    const key = JSON.stringify(s);
    if (key === this.lastPosted) return;
    this.lastPosted = key;
    this.o.onStatus(s);
  }

  private async run(): Promise<void> {
    await this.loadCursor();
    this.o.log('info', `forwarding to ${this.o.endpoint} (${this.o.content}) from segment ${this.scanPos.seq} offset ${this.scanPos.offset}`);
    while (!this.stopped) {
      await this.scan();
      await this.enforceBound();
      this.postStatus();
      const ref = this.backlog.peek();
      if (!ref) {
        if (this.state !== 'ok') this.setState('ok', 'backlog empty');
        await this.idle(this.limits.idlePollMs);
        continue;
      }
      await this.sendOne(ref);
    }
    await this.advance(true); // the last answers' position (the cursor may lag by cursorWriteMs until now)
  }

  /** One frame: read, (strip), send; on a retryable failure wait (scanning and bounding meanwhile). */
  private async sendOne(ref: FrameRef): Promise<void> {
    const frame = await this.readFrame(ref);
    if (!frame) {
      // Unreadable (checksum): not something upstream can fix. Counted as rejected, logged.
      this.backlog.shift();
      this.counters.rejected++;
      await this.advance();
      return;
    }
    let payload = frame.payload;
    if (this.o.content === 'without-content') {
      try {
        payload = stripContent(frame.signal, frame.encoding, frame.payload);
      } catch (err) {
        this.o.log('error', `forward: a ${frame.signal} frame could not be stripped of content (${(err as Error).message}); not sent`);
        this.backlog.shift();
        this.counters.rejected++;
        await this.advance();
        return;
      }
    }
    const r = await sendToUpstream({
      url: signalUrl(this.o.endpoint, frame.signal),
      signal: frame.signal,
      encoding: frame.encoding,
      payload,
      headers: this.o.headers,
      userAgent: `claude-code-ledger/${this.o.version}`,
      timeoutMs: this.limits.requestTimeoutMs,
      maxResponseBytes: this.limits.maxResponseBytes,
      retry: this.limits,
      abort: this.abort.signal,
    });
    if (this.stopped) return; // the answer to an aborted request: the cursor stays, the frame is sent again
    const now = new Date().toISOString();
    switch (r.outcome.kind) {
      case 'accepted':
        if (this.backlog.peek() === ref) this.backlog.shift();
        this.counters.sent++;
        this.lastSentAt = now;
        this.attempt = 0;
        if (r.partial) {
          this.noteError(`partial success: ${r.partial.rejected} item(s) rejected upstream${r.partial.message ? `: ${r.partial.message}` : ''}`);
          this.o.log('warn', `forward: upstream accepted a ${frame.signal} request partially: ${r.partial.rejected} item(s) rejected${r.partial.message ? ` (${r.partial.message})` : ''}`);
        }
        if (this.state !== 'ok') this.setState('ok', `upstream accepts again`);
        await this.advance();
        return;
      case 'reject':
        if (this.backlog.peek() === ref) this.backlog.shift();
        this.counters.rejected++;
        this.attempt = 0;
        this.lastCursorWrite = 0; // a refusal is written at once
        this.noteError(`rejected: ${r.outcome.why}`);
        this.o.log('error', `forward: upstream refused a ${frame.signal} request (${ref.length} bytes) with ${r.outcome.why}; not retried (OTLP: only 429/502/503/504 are), skipped`);
        if (this.state !== 'ok') this.setState('ok', 'upstream answers');
        await this.advance();
        return;
      case 'retry': {
        this.attempt++;
        const delay = retryDelayMs(this.attempt, this.limits, this.o.random ?? Math.random, r.outcome.retryAfterMs);
        this.noteError(r.outcome.why);
        const next = this.attempt >= this.limits.failingAfterAttempts ? 'failing' : 'retrying';
        const how = r.outcome.retryAfterMs !== undefined ? `${(delay / 1000).toFixed(1)} s (Retry-After)` : `${(delay / 1000).toFixed(1)} s`;
        this.o.log('warn', `forward: ${frame.signal} request failed (${r.outcome.why}), attempt ${this.attempt}; retrying in ${how}`);
        if (this.state !== next) this.setState(next, r.outcome.why);
        this.postStatus();
        await this.waitBounded(delay);
        return;
      }
    }
  }

  /** Waits out a backoff while still finding new frames and dropping the oldest past the bound. */
  private async waitBounded(ms: number): Promise<void> {
    const until = Date.now() + ms;
    while (!this.stopped) {
      const left = until - Date.now();
      if (left <= 0) return;
      await this.idle(Math.min(left, this.limits.idlePollMs));
      await this.scan();
      await this.enforceBound();
      this.postStatus();
    }
  }

  private setState(next: ForwardState, why: string): void {
    this.o.log(next === 'ok' ? 'info' : 'warn', `forward: ${this.state} -> ${next} (${why})`);
    this.state = next;
  }

  private noteError(msg: string): void {
    this.lastError = msg;
    this.lastErrorAt = new Date().toISOString();
  }

  private idle(ms: number): Promise<void> {
    if (this.woken || this.stopped) {
      this.woken = false;
      return Promise.resolve();
    }
    return new Promise<void>((resolve) => {
      const t = setTimeout(done, ms);
      function done(): void {
        clearTimeout(t);
        resolve();
      }
      this.wakeUp = () => {
        this.wakeUp = undefined;
        this.woken = false;
        clearTimeout(t);
        // Linger: let the rest of the export burst be journaled first (stop() does not wait for it).
        if (this.stopped) done();
        else setTimeout(done, this.limits.lingerMs);
      };
    });
  }

  private async enforceBound(): Promise<void> {
    const d = this.backlog.dropToFit(this.o.maxBacklogBytes);
    if (d.requests === 0) return;
    this.counters.dropped += d.requests;
    this.counters.droppedBytes += d.bytes;
    this.attempt = 0;
    this.noteError(`backlog over ${this.o.maxBacklogBytes} bytes: dropped ${d.requests} oldest request(s)`);
    this.o.log('error', `forward: the backlog passed forward.maxBacklogMB (${this.o.maxBacklogBytes} bytes); dropped the ${d.requests} oldest request(s) (${d.bytes} bytes), ${this.counters.dropped} dropped in all`);
    await this.advance(true);
  }

  /** Persists the cursor (the next frame not done) and deletes the segments below it. */
  private async advance(force = false): Promise<void> {
    const head = this.backlog.peek();
    const cursor: FramePos = head ? { seq: head.seq, offset: head.offset } : this.scanPos;
    // While a backlog drains, the cursor is written at most every cursorWriteMs (a crash re-sends a little
    // more, never less); always when the backlog empties, after a drop or a refusal, and at stop.
    const now = Date.now();
    if (!force && head && now - this.lastCursorWrite < this.limits.cursorWriteMs) return;
    this.lastCursorWrite = now;
    const text = JSON.stringify({ v: 1, endpoint: this.o.endpoint, seq: cursor.seq, offset: cursor.offset, ...this.counters });
    const tmp = `${this.cursorFile}.tmp`;
    await fsp.writeFile(tmp, text, { mode: 0o600 });
    await fsp.rename(tmp, this.cursorFile);
    if (cursor.seq <= this.deletedBelow) return;
    for (const seq of await this.segments()) {
      if (seq >= cursor.seq) break;
      await fsp.rm(path.join(this.spool, segmentName(seq)), { force: true });
    }
    this.deletedBelow = cursor.seq;
  }

  private async segments(): Promise<number[]> {
    let names: string[];
    try {
      names = await fsp.readdir(this.spool);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw err;
    }
    return names.filter((n) => /^\d{12}\.seg$/.test(n)).map((n) => Number(n.slice(0, 12))).sort((a, b) => a - b);
  }

  private async loadCursor(): Promise<void> {
    const segs = await this.segments();
    const oldest = segs[0] ?? 0;
    let text: string | undefined;
    try {
      text = await fsp.readFile(this.cursorFile, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
    const c = text === undefined ? undefined : parseCursor(text, this.o.endpoint);
    if (text !== undefined && !c) this.o.log('warn', `forward: the cursor file ${this.cursorFile} is unreadable; starting from the oldest kept segment (some requests may be sent twice)`);
    if (c) this.counters = { sent: c.sent, rejected: c.rejected, dropped: c.dropped, droppedBytes: c.droppedBytes };
    if (c && segs.includes(c.seq)) this.scanPos = { seq: c.seq, offset: c.offset };
    else {
      if (c) this.o.log('warn', `forward: the cursor's segment ${c.seq} is gone; starting from the oldest kept segment ${oldest}`);
      this.scanPos = { seq: oldest, offset: 0 };
    }
  }

  /** Finds frames after scanPos (headers only) and queues them. */
  private async scan(): Promise<void> {
    for (;;) {
      const segs = await this.segments();
      if (segs.length === 0) return;
      if (!segs.includes(this.scanPos.seq)) {
        const next = segs.find((s) => s > this.scanPos.seq);
        if (next === undefined) return;
        this.scanPos = { seq: next, offset: 0 };
      }
      // Decided BEFORE reading: once a higher segment exists this one gets no more appends.
      const sealed = segs[segs.length - 1] > this.scanPos.seq;
      const file = path.join(this.spool, segmentName(this.scanPos.seq));
      let fh: fsp.FileHandle;
      try {
        fh = await fsp.open(file, 'r');
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') continue;
        throw err;
      }
      try {
        const size = (await fh.stat()).size;
        const header = Buffer.alloc(HEADER);
        let off = this.scanPos.offset;
        while (size - off >= HEADER) {
          await fh.read(header, 0, HEADER, off);
          const len = header.readUInt32LE(4);
          if (header.readUInt32LE(0) !== MAGIC || len < HEADER) {
            this.o.log('error', `forward: segment ${this.scanPos.seq} has a damaged frame at byte ${off}; the rest of it (${size - off} bytes) is skipped`);
            off = size;
            break;
          }
          if (size - off - HEADER < len) break; // being written
          this.backlog.push({ seq: this.scanPos.seq, offset: off, length: HEADER + len });
          off += HEADER + len;
        }
        this.scanPos = { seq: this.scanPos.seq, offset: off };
        if (!sealed) return;
        if (off < size) this.o.log('error', `forward: segment ${this.scanPos.seq} ends with ${size - off} bytes of a torn frame; skipped`);
      } finally {
        await fh.close();
      }
      const next = segs.find((s) => s > this.scanPos.seq)!;
      this.scanPos = { seq: next, offset: 0 };
    }
  }

  private async readFrame(ref: FrameRef): Promise<ReturnType<typeof decodeFrames>['frames'][number] | undefined> {
    const buf = Buffer.alloc(ref.length);
    const fh = await fsp.open(path.join(this.spool, segmentName(ref.seq)), 'r');
    try {
      await fh.read(buf, 0, ref.length, ref.offset);
    } finally {
      await fh.close();
    }
    const d = decodeFrames(buf);
    if (d.frames.length !== 1) {
      this.o.log('error', `forward: the frame at segment ${ref.seq} byte ${ref.offset} is damaged (${d.problem ?? 'unreadable'}); skipped`);
      return undefined;
    }
    return d.frames[0];
  }
}

