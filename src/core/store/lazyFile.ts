// A database file loaded on demand: the buffer sql.js's MEMFS keeps for it is allocated at open (the
// operating system hands out untouched pages lazily, so this costs no memory yet) and filled from disk
// block by block the first time SQLite reads or writes a block (pageTracker.ts calls ensure() from its
// wrapped file syscalls). Opening a 600 MB database and answering the status query then reads a few
// blocks instead of the whole file; the deferred quick_check reads the rest afterwards.
//
// What could reach the file's bytes without those syscalls loads it all first: a truncate (MEMFS may
// copy the file into a new buffer), a write past the buffer's capacity (MEMFS grows by copying), and
// LedgerDb.export() (older sql.js versions read the file with FS.readFile).
import { closeSync, readSync } from 'node:fs';

export class LazyFile {
  /** Per block: 1 once its bytes are in the buffer. */
  private readonly loaded: Uint8Array;
  private missing: number;
  private fd: number | undefined;

  constructor(
    fd: number,
    /** The file's size on disk (blocks past it have nothing to load). */
    readonly size: number,
    /** The whole buffer MEMFS keeps (its capacity). */
    private readonly room: Uint8Array,
    readonly blockBytes = 1 << 20,
  ) {
    this.fd = fd;
    this.loaded = new Uint8Array(Math.ceil(size / blockBytes));
    this.missing = this.loaded.length;
    if (this.missing === 0) this.close();
  }

  /** Bytes MEMFS can hold in place; a write past them makes it copy the file. */
  get capacity(): number {
    return this.room.length;
  }

  get complete(): boolean {
    return this.missing === 0;
  }

  /** Blocks read from disk so far, of all (tests and logs). */
  get progress(): { loaded: number; blocks: number } {
    return { loaded: this.loaded.length - this.missing, blocks: this.loaded.length };
  }

  /** Loads every block that [pos, pos + length) touches. */
  ensure(pos: number, length: number): void {
    if (this.missing === 0 || length <= 0) return;
    const first = Math.floor(pos / this.blockBytes);
    const last = Math.min(this.loaded.length - 1, Math.floor((pos + length - 1) / this.blockBytes));
    for (let b = first; b <= last; b++) if (!this.loaded[b]) this.load(b);
  }

  loadAll(): void {
    this.ensure(0, this.size);
  }

  private load(block: number): void {
    if (this.fd === undefined) throw new Error('the database file was closed before it was loaded');
    const start = block * this.blockBytes;
    const end = Math.min(this.size, start + this.blockBytes);
    for (let at = start; at < end; ) {
      const n = readSync(this.fd, this.room, at, end - at, at);
      if (n === 0) throw new Error(`the database file shrank while it was loaded (block ${block}, byte ${at} of ${this.size})`);
      at += n;
    }
    this.loaded[block] = 1;
    if (--this.missing === 0) this.close();
  }

  /** Lets go of the file (loaded, or the database closed). */
  close(): void {
    if (this.fd === undefined) return;
    closeSync(this.fd);
    this.fd = undefined;
  }
}
