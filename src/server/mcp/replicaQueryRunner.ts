// Main-thread side of query_sql: owns one disposable worker (sqlWorker.ts) holding a replica of the
// store's database. Queries run one at a time; a query that outlives the timeout gets its worker
// terminated (sql.js cannot be interrupted) and the next query starts a fresh worker and replica.
import { existsSync } from 'node:fs';
import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import type { Logger } from '../../core/log';
import type { FromSqlWorker, SqlQueryResult, SqlWorkerData, ToSqlWorker } from './sqlWorkerProtocol';

/** A refusal or failure the model should read (returned as a tool error, never an HTTP error). */
export class SqlToolError extends Error {
  constructor(
    message: string,
    readonly kind: 'refused' | 'sqlite' | 'timeout' | 'busy' | 'worker',
  ) {
    super(message);
    this.name = 'SqlToolError';
  }
}

export interface ReplicaQueryRunnerOptions {
  workerPath: string;
  /** Default: sql-wasm.wasm beside the worker, looked up when the worker starts. */
  wasmPath?: string;
  timeoutMs: number;
  /** Loading a replica of a large DB takes longer than a query; its own bound. */
  loadTimeoutMs: number;
  maxQueued: number;
  idleMs: number;
  redactColumnPatterns: string[];
  /** Current data version of the store: the replica is reloaded when it differs. */
  currentVersion(): Promise<number>;
  exportReplica(): Promise<Uint8Array>;
  log: Logger;
}

interface Live {
  worker: Worker;
  /** Resolvers waiting for the next message of the worker. */
  waiter?: { resolve(m: FromSqlWorker): void; reject(e: Error): void };
  version: number | undefined;
  dirty: boolean;
  exited: boolean;
}

/**
 * sql-wasm.wasm sits next to the worker bundle (esbuild.mjs copies it to dist/; the tests' build does
 * the same). The worker is always a bundle, so there is no node_modules fallback to go wrong.
 */
export function defaultWasmPath(workerDir: string): string {
  const beside = path.join(workerDir, 'sql-wasm.wasm');
  if (!existsSync(beside)) throw new Error(`sql-wasm.wasm not found next to the SQL worker (${beside})`);
  return beside;
}

export class ReplicaQueryRunner {
  private live: Live | undefined;
  private chain: Promise<unknown> = Promise.resolve();
  private queued = 0;
  private nextId = 1;
  private idleTimer: NodeJS.Timeout | undefined;
  private closed = false;

  constructor(private readonly o: ReplicaQueryRunnerOptions) {}

  /** Runs one read-only statement on the replica; throws SqlToolError. */
  run(sql: string, maxRows: number, maxChars: number): Promise<SqlQueryResult> {
    if (this.closed) return Promise.reject(new SqlToolError('the SQL runner is closed', 'worker'));
    if (this.queued >= this.o.maxQueued) {
      return Promise.reject(new SqlToolError(`too many queries waiting (${this.queued}); try again shortly`, 'busy'));
    }
    this.queued++;
    const p = this.chain.then(() => this.runNow(sql, maxRows, maxChars));
    // The chain continues whether this query succeeded or not; the caller gets the error.
    this.chain = p.then(
      () => undefined,
      () => undefined,
    );
    return p.finally(() => {
      this.queued--;
      this.armIdle();
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.idleTimer);
    await this.kill('closing');
  }

  private armIdle(): void {
    clearTimeout(this.idleTimer);
    if (this.queued > 0 || !this.live) return;
    this.idleTimer = setTimeout(() => {
      if (this.queued === 0) void this.kill(`idle for ${this.o.idleMs} ms`);
    }, this.o.idleMs);
    this.idleTimer.unref();
  }

  private async kill(why: string): Promise<void> {
    const live = this.live;
    this.live = undefined;
    if (!live || live.exited) return;
    this.o.log.debug(`sql worker ended: ${why}`);
    live.waiter?.reject(new SqlToolError(`the SQL worker was stopped (${why})`, 'worker'));
    live.waiter = undefined;
    await live.worker.terminate();
  }

  private spawn(): Live {
    const data: SqlWorkerData = { wasmPath: this.o.wasmPath ?? defaultWasmPath(path.dirname(this.o.workerPath)) };
    const worker = new Worker(this.o.workerPath, { workerData: data });
    const live: Live = { worker, version: undefined, dirty: false, exited: false };
    worker.on('message', (m: FromSqlWorker) => {
      // Progress, not an answer: the waiter keeps waiting for the result (or the timeout).
      if (m.type === 'started') {
        this.o.log.debug(`sql query #${m.id} started in the worker`);
        return;
      }
      const w = live.waiter;
      live.waiter = undefined;
      if (w) w.resolve(m);
      else this.o.log.warn(`sql worker sent an unexpected message: ${m.type}`);
    });
    worker.on('error', (err) => {
      this.o.log.error(`sql worker failed: ${err.message}`);
      live.waiter?.reject(new SqlToolError(`the SQL worker failed: ${err.message}`, 'worker'));
      live.waiter = undefined;
    });
    worker.on('exit', (code) => {
      live.exited = true;
      if (this.live === live) this.live = undefined;
      live.waiter?.reject(new SqlToolError(`the SQL worker exited (code ${code})`, 'worker'));
      live.waiter = undefined;
    });
    return live;
  }

  /** Waits for the worker's next message, terminating it after `ms`. */
  private next(live: Live, ms: number, onTimeout: () => SqlToolError): Promise<FromSqlWorker> {
    return new Promise<FromSqlWorker>((resolve, reject) => {
      const timer = setTimeout(() => {
        live.waiter = undefined;
        if (this.live === live) this.live = undefined;
        reject(onTimeout());
        // terminate() after rejecting: the caller's answer does not wait for the thread to die.
        live.worker.terminate().catch((err: unknown) => this.o.log.error(`sql worker terminate failed: ${String(err)}`));
      }, ms);
      live.waiter = {
        resolve: (m) => {
          clearTimeout(timer);
          resolve(m);
        },
        reject: (e) => {
          clearTimeout(timer);
          reject(e);
        },
      };
    });
  }

  private async ensureReplica(): Promise<Live> {
    const version = await this.o.currentVersion();
    let live = this.live;
    if (!live || live.exited) {
      live = this.spawn();
      this.live = live;
      const ready = await this.next(live, this.o.loadTimeoutMs, () => new SqlToolError('the SQL worker did not start', 'worker'));
      if (ready.type !== 'ready') throw new SqlToolError(`the SQL worker sent ${ready.type} before ready`, 'worker');
    }
    if (live.version !== version || live.dirty) {
      const started = Date.now();
      const bytes = await this.o.exportReplica();
      const msg: ToSqlWorker = { type: 'load', version, bytes, redactColumnPatterns: this.o.redactColumnPatterns };
      const loaded = this.next(live, this.o.loadTimeoutMs, () => new SqlToolError('loading the replica timed out', 'timeout'));
      // Cloned, never transferred: the store caches these bytes (StoreClient.exportReplica) and a
      // transfer would detach its cache.
      live.worker.postMessage(msg);
      const m = await loaded;
      if (m.type === 'loadError') throw new SqlToolError(`the replica could not be loaded: ${m.message}`, 'worker');
      if (m.type !== 'loaded') throw new SqlToolError(`the SQL worker sent ${m.type} while loading`, 'worker');
      live.version = version;
      live.dirty = false;
      this.o.log.debug(
        `sql replica v${version} loaded: ${(bytes.byteLength / 1024).toFixed(0)} KB, ${m.tables} tables, ` +
          `${Date.now() - started} ms${m.redacted.length ? `, redacted ${m.redacted.join(', ')}` : ''}`,
      );
    }
    return live;
  }

  private async runNow(sql: string, maxRows: number, maxChars: number): Promise<SqlQueryResult> {
    clearTimeout(this.idleTimer);
    const live = await this.ensureReplica();
    const id = this.nextId++;
    const answer = this.next(
      live,
      this.o.timeoutMs,
      () =>
        new SqlToolError(
          `the query did not finish within ${this.o.timeoutMs / 1000} s and was stopped; ` +
            'add a LIMIT, a WHERE on an indexed column, or aggregate over less data',
          'timeout',
        ),
    );
    live.worker.postMessage({ type: 'query', id, sql, maxRows, maxChars } satisfies ToSqlWorker);
    const m = await answer;
    if (m.type === 'error' && m.id === id) throw new SqlToolError(m.message, 'sqlite');
    if (m.type !== 'result' || m.id !== id) throw new SqlToolError(`the SQL worker answered ${m.type} out of turn`, 'worker');
    if (m.modifiedReplica) {
      live.dirty = true;
      this.o.log.warn('query_sql: a statement changed the replica; it will be reloaded before the next query');
    }
    return { columns: m.columns, rows: m.rows, truncated: m.truncated, modifiedReplica: m.modifiedReplica };
  }
}
