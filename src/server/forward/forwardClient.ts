// Main-thread side of forwarding: starts the forward worker, wakes it after each ingest, relays its log
// lines and its status (to the DB worker, where the `status` query picks it up for every window).
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import type { ForwardStatusDto } from '../../protocol/dto';
import type { ForwardLimits, ForwardSettings } from '../../core/forward/forwardOptions';

export interface ForwardWorkerData {
  dataDir: string;
  settings: ForwardSettings;
  limits?: Partial<ForwardLimits>;
  version: string;
}

export type ForwardMainToWorker = { type: 'wake' } | { type: 'stop' };
export type ForwardWorkerToMain =
  | { type: 'status'; status: ForwardStatusDto }
  | { type: 'log'; level: 'info' | 'warn' | 'error'; msg: string }
  | { type: 'stopped' };

export interface ForwardClientOptions extends ForwardWorkerData {
  /** Default: forwardWorker.js next to this bundle. */
  workerPath?: string;
  log(level: 'info' | 'warn' | 'error', msg: string): void;
  onStatus(status: ForwardStatusDto): void;
}

/** How long close() waits for the worker to stop by itself (it aborts its request at once). */
const STOP_GRACE_MS = 2_000;

export class ForwardClient {
  private readonly worker: Worker;
  private closing: Promise<void> | undefined;
  private wakePending = false;
  latest: ForwardStatusDto | undefined;

  constructor(private readonly o: ForwardClientOptions) {
    const data: ForwardWorkerData = { dataDir: o.dataDir, settings: o.settings, limits: o.limits, version: o.version };
    this.worker = new Worker(o.workerPath ?? path.join(__dirname, 'forwardWorker.js'), { workerData: data });
    this.worker.unref();
    this.worker.on('message', (m: ForwardWorkerToMain) => {
      if (m.type === 'log') o.log(m.level, m.msg);
      else if (m.type === 'status') {
        this.latest = m.status;
        o.onStatus(m.status);
      }
    });
    this.worker.on('error', (err) => o.log('error', `the forward worker crashed: ${err.message} (nothing is lost: the spool and cursor stay; Restart Receiver starts it again)`));
  }

  /** Frames were journaled. Coalesced: at most one message per tick, whatever the ingest rate. */
  wake(): void {
    if (this.wakePending || this.closing) return;
    this.wakePending = true;
    setImmediate(() => {
      this.wakePending = false;
      this.worker.postMessage({ type: 'wake' } satisfies ForwardMainToWorker);
    });
  }

  close(): Promise<void> {
    this.closing ??= new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(t);
        void this.worker.terminate().then(() => resolve());
      };
      const t = setTimeout(done, STOP_GRACE_MS);
      this.worker.on('message', (m: ForwardWorkerToMain) => m.type === 'stopped' && done());
      this.worker.on('exit', done);
      this.worker.postMessage({ type: 'stop' } satisfies ForwardMainToWorker);
    });
    return this.closing;
  }
}
