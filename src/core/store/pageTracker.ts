// Which parts of a sql.js database file changed since the last snapshot, and their bytes.
//
// sql.js keeps each database as a file in Emscripten's in-memory file system (MEMFS) and does not
// export that file system. SQLite reaches the file only through a handful of WASI/syscall imports of
// the wasm module (open, seek, read, write, truncate, close). `loadSqlJs` hands those imports to
// `PageTracker.wrapImports` before the module is instantiated (Emscripten's `instantiateWasm` hook);
// the wrappers pass every call through unchanged and note, per file path, which 4 KB chunks were
// written. A snapshot then reads just those chunks back through the same imports (synchronously, in
// the worker, between transactions, so the copy is consistent) instead of copying the whole database.
//
// The imports have minified names, so they are recognised by the shape of their code. `selfTest`
// checks the result against sql.js's own export() on a scratch database; when anything does not
// match (another sql.js build), `active` stays false and the store falls back to full exports.
//
// The same wrappers load a lazily read database file (lazyFile.ts) before SQLite reads or writes a part
// of it that is not in memory yet.
import type { SqlJsStatic } from 'sql.js';
import type { LazyFile } from './lazyFile';

export const CHUNK_BYTES = 4096;

type Fn = (...args: never[]) => unknown;
type Imports = Record<string, Record<string, unknown>>;

interface Syscalls {
  openat: Fn;
  seek: Fn;
  read: Fn;
  write: Fn;
  truncate: Fn;
  close: Fn;
}

/** Recognises Emscripten's file syscalls among the (minified) imports by the shape of their code. */
function findSyscalls(mod: Record<string, unknown>): { [K in keyof Syscalls]?: string } {
  const found: { [K in keyof Syscalls]?: string } = {};
  for (const [key, f] of Object.entries(mod)) {
    if (typeof f !== 'function') continue;
    // Whitespace removed and names matched loosely: the same code minified or reprinted by a bundler.
    const src = String(f).replace(/\s+/g, '');
    const n = f.length;
    // __syscall_openat(dirfd, path, flags, varargs): returns FS.open(...).fd
    if (n === 4 && /\)\.fd;?\}catch/.test(src) && !/case0:/.test(src)) found.openat = key;
    // fd_seek(fd, offset, whence, newOffsetPtr): stores BigInt(stream.position)
    else if (n === 4 && /BigInt\([\w$]+\.position\)/.test(src)) found.seek = key;
    // fd_write(fd, iov, iovcnt, pnum): gathers the iovecs into one Uint8Array
    else if (n === 4 && /newUint8Array\(/.test(src) && /\+=8\)/.test(src) && !/\.read\)/.test(src)) found.write = key;
    // fd_read(fd, iov, iovcnt, pnum)
    else if (n === 4 && /\.read\)/.test(src) && /\+=8/.test(src)) found.read = key;
    // __syscall_ftruncate64(fd, length)
    else if (n === 2 && /Number\([\w$]+\)/.test(src) && /2097155\)===0/.test(src)) found.truncate = key;
    // fd_close(fd): stream = getStream(fd); close(stream); return 0
    else if (n === 1 && /^function\(([\w$]+)\)\{try\{var([\w$]+)=[\w$]+\(\1\);(return)?[\w$]+\(\2\)[,;](return)?0;?\}catch/.test(src)) found.close = key;
  }
  return found;
}

export class PageTracker {
  /** True once the wrapped imports passed the self-test: snapshots may use dirty chunks. */
  active = false;
  reason = 'not installed';
  private sys: Syscalls | undefined;
  private memory: WebAssembly.Memory | undefined;
  private malloc: ((n: number) => number) | undefined;
  private scratch = 0;
  private dv: DataView | undefined;
  private readonly fdPath = new Map<number, string>();
  private readonly fdPos = new Map<number, number>();
  /** path -> dirty chunk numbers since the last take(). */
  private readonly dirty = new Map<string, Set<number>>();
  private static readonly IO_BYTES = 1 << 20;
  /** path -> its file, while not all of it is loaded. */
  private readonly lazy = new Map<string, LazyFile>();
  /** The lazy file of the next database opened (LedgerDb.open). */
  private pendingLazy: LazyFile | undefined;

  /** Wraps the file syscalls in the wasm imports (before instantiation). */
  wrapImports(imports: Imports): void {
    const modName = Object.keys(imports).find((m) => Object.keys(findSyscalls(imports[m] as Record<string, unknown>)).length === 6);
    if (!modName) {
      this.reason = 'file syscalls not recognised in this sql.js build';
      return;
    }
    const mod = imports[modName] as Record<string, Fn>;
    const keys = findSyscalls(mod) as Required<ReturnType<typeof findSyscalls>>;
    const orig: Syscalls = { openat: mod[keys.openat], seek: mod[keys.seek], read: mod[keys.read], write: mod[keys.write], truncate: mod[keys.truncate], close: mod[keys.close] };
    this.sys = orig;
    const call = (f: Fn, args: unknown[]) => (f as (...a: unknown[]) => unknown)(...args);
    mod[keys.openat] = ((...a: unknown[]) => {
      const fd = call(orig.openat, a) as number;
      if (fd >= 0) {
        const p = this.cString(a[1] as number);
        this.fdPath.set(fd, p);
        this.fdPos.set(fd, 0);
        if (this.pendingLazy && !/-(journal|wal|shm)$/.test(p)) {
          this.lazy.set(p, this.pendingLazy);
          this.pendingLazy = undefined;
        }
      }
      return fd;
    }) as Fn;
    mod[keys.close] = ((...a: unknown[]) => {
      const p = this.fdPath.get(a[0] as number);
      if (p !== undefined && this.lazy.has(p)) {
        this.lazy.get(p)!.close();
        this.lazy.delete(p);
      }
      this.fdPath.delete(a[0] as number);
      this.fdPos.delete(a[0] as number);
      return call(orig.close, a);
    }) as Fn;
    mod[keys.seek] = ((...a: unknown[]) => {
      const r = call(orig.seek, a);
      if (r === 0) this.fdPos.set(a[0] as number, Number(this.heap64(a[3] as number)));
      return r;
    }) as Fn;
    mod[keys.read] = ((...a: unknown[]) => {
      this.lazyBefore(a[0] as number, a[1] as number, a[2] as number, false);
      const r = call(orig.read, a);
      if (r === 0) this.advance(a[0] as number, this.heap32(a[3] as number));
      return r;
    }) as Fn;
    mod[keys.write] = ((...a: unknown[]) => {
      const fd = a[0] as number;
      const pos = this.fdPos.get(fd);
      this.lazyBefore(fd, a[1] as number, a[2] as number, true);
      const r = call(orig.write, a);
      if (r === 0) {
        const n = this.heap32(a[3] as number);
        const p = this.fdPath.get(fd);
        if (p !== undefined && pos !== undefined && n > 0) this.mark(p, pos, n);
        this.advance(fd, n);
      }
      return r;
    }) as Fn;
    mod[keys.truncate] = ((...a: unknown[]) => {
      const p = this.fdPath.get(a[0] as number);
      if (p !== undefined) this.loadAll(p); // MEMFS may copy the file into a new buffer
      const r = call(orig.truncate, a);
      // A shrink needs no chunk (the snapshot truncates the file to the database's size); a growth
      // adds zero bytes, which the next snapshot must write as well.
      if (r === 0 && p !== undefined) this.mark(p, 0, 0);
      return r;
    }) as Fn;
    this.reason = 'not verified yet';
  }

  /** Called once the instance exists: finds its memory. */
  attach(exports: WebAssembly.Exports): void {
    this.memory = Object.values(exports).find((v): v is WebAssembly.Memory => v instanceof WebAssembly.Memory);
    if (!this.memory) {
      this.sys = undefined;
      this.reason = 'wasm memory not exported';
    }
  }

  /** Verifies the wrappers against sql.js's own export() on a scratch database. */
  selfTest(SQL: SqlJsStatic): void {
    if (!this.sys || !this.memory) return;
    const m = SQL as unknown as { _malloc?: (n: number) => number };
    if (typeof m._malloc !== 'function') {
      this.reason = '_malloc not exported';
      return;
    }
    this.malloc = m._malloc;
    const db = new SQL.Database();
    try {
      db.exec(`PRAGMA journal_mode = OFF; CREATE TABLE t (a, b); BEGIN; ${Array.from({ length: 300 }, (_, i) => `INSERT INTO t VALUES (${i}, '${'x'.repeat(i)}');`).join('')} COMMIT`);
      const file = `/${(db as unknown as { filename: string }).filename}`;
      const size = Number(db.exec('PRAGMA page_count')[0].values[0][0]) * Number(db.exec('PRAGMA page_size')[0].values[0][0]);
      const chunks = this.take(file);
      const expected = db.export();
      if (!chunks || chunks.length * CHUNK_BYTES < size) throw new Error(`tracked ${chunks?.length ?? 0} chunks for a ${size}-byte file`);
      const got = this.read(file, 0, size);
      // export() rewrites the file-format bytes 18-19 and the change counter; compare pages from 2 on.
      for (let i = CHUNK_BYTES; i < size; i++) if (got[i] !== expected[i]) throw new Error(`byte ${i} differs from export()`);
      this.active = true;
      this.reason = 'active';
    } catch (err) {
      this.reason = `self-test failed: ${(err as Error).message}`;
    } finally {
      db.close();
    }
  }

  /** Bytes of the wasm heap (SQLite's page cache, statements, sort space); it grows and never shrinks. */
  get wasmHeapBytes(): number {
    return this.memory?.buffer.byteLength ?? 0;
  }

  /** The next database opened is `file`'s (LedgerDb.open, before sql.js opens it); undefined cancels. */
  adoptNextOpen(file: LazyFile | undefined): void {
    this.pendingLazy = file;
  }

  /** Loads all of a lazily read file (before something reads it without the syscalls: export()). */
  loadAll(path: string): void {
    const l = this.lazy.get(path);
    if (!l) return;
    l.loadAll();
    this.lazy.delete(path);
  }

  /**
   * Before a read or write of fd at its position: loads the blocks of a lazy file it touches (all of the
   * file when a write goes past the buffer's capacity, where MEMFS would copy it).
   */
  private lazyBefore(fd: number, iov: number, iovcnt: number, write: boolean): void {
    if (this.lazy.size === 0) return;
    const p = this.fdPath.get(fd);
    const l = p === undefined ? undefined : this.lazy.get(p);
    const pos = this.fdPos.get(fd);
    if (!l || pos === undefined) return;
    let n = 0;
    for (let i = 0; i < iovcnt; i++) n += this.heap32(iov + 8 * i + 4);
    if (write && pos + n > l.capacity) l.loadAll();
    else l.ensure(pos, n);
    if (l.complete) this.lazy.delete(p!);
  }

  /** Dirty chunk numbers of a file since the last take() (sorted), and forgets them. */
  take(file: string): number[] | undefined {
    const s = this.dirty.get(file);
    this.dirty.delete(file);
    if (!s) return [];
    return [...s].sort((a, b) => a - b);
  }

  /** Forgets a file's dirty chunks (its database was closed). */
  forget(file: string): void {
    this.dirty.delete(file);
  }

  /** Reads `length` bytes at `offset` of an open file through the wasm's own read syscall. */
  read(file: string, offset: number, length: number): Uint8Array {
    const out = new Uint8Array(length);
    this.readInto(file, offset, out);
    return out;
  }

  /** Fills `dst` from the file at `offset` (zeros beyond its end); returns the bytes read. */
  readInto(file: string, offset: number, dst: Uint8Array): number {
    const sys = this.sys;
    if (!sys || !this.memory || !this.malloc) throw new Error(`page tracker unavailable (${this.reason})`);
    const fd = [...this.fdPath].find(([, p]) => p === file)?.[0];
    if (fd === undefined) throw new Error(`${file} is not open`);
    const l = this.lazy.get(file);
    if (l) {
      l.ensure(offset, dst.length);
      if (l.complete) this.lazy.delete(file);
    }
    if (this.scratch === 0) this.scratch = this.malloc(PageTracker.IO_BYTES + 32);
    const meta = this.scratch; // [iov.ptr, iov.len, nread, pad, newOffset(8)] then the buffer
    const buf = meta + 32;
    const savedPos = this.fdPos.get(fd);
    let done = 0;
    while (done < dst.length) {
      const want = Math.min(PageTracker.IO_BYTES, dst.length - done);
      if ((sys.seek as (...a: unknown[]) => number)(fd, offset + done, 0, meta + 16) !== 0) throw new Error(`seek failed in ${file}`);
      this.view().setUint32(meta, buf, true);
      this.view().setUint32(meta + 4, want, true);
      if ((sys.read as (...a: unknown[]) => number)(fd, meta, 1, meta + 8) !== 0) throw new Error(`read failed in ${file}`);
      const n = this.heap32(meta + 8);
      dst.set(new Uint8Array(this.memory.buffer, buf, n), done);
      done += n;
      if (n < want) break; // end of file
    }
    if (savedPos !== undefined) this.fdPos.set(fd, savedPos);
    dst.fill(0, done);
    return done;
  }

  private mark(file: string, pos: number, n: number): void {
    let s = this.dirty.get(file);
    if (!s) this.dirty.set(file, (s = new Set()));
    if (n === 0) return;
    const last = Math.floor((pos + n - 1) / CHUNK_BYTES);
    for (let c = Math.floor(pos / CHUNK_BYTES); c <= last; c++) s.add(c);
  }

  private advance(fd: number, n: number): void {
    const p = this.fdPos.get(fd);
    if (p !== undefined) this.fdPos.set(fd, p + n);
  }

  private view(): DataView {
    const b = this.memory!.buffer;
    if (this.dv?.buffer !== b) this.dv = new DataView(b); // the memory grew: a new buffer
    return this.dv;
  }

  private heap32(ptr: number): number {
    return this.view().getUint32(ptr, true);
  }

  private heap64(ptr: number): bigint {
    return this.view().getBigInt64(ptr, true);
  }

  private cString(ptr: number): string {
    const h = new Uint8Array(this.memory!.buffer);
    let end = ptr;
    while (h[end] !== 0) end++;
    return new TextDecoder().decode(h.subarray(ptr, end));
  }
}
