// Starts forwarding next to an open store (leader window or `cli.js serve`): the forward worker, woken after
// each journaled ingest, its status handed to the DB worker (the `status` query of every window shows it).
import path from 'node:path';
import type { Logger } from '../../core/log';
import type { ForwardLimits, ForwardSettings } from '../../core/forward/forwardOptions';
import type { StoreClient } from '../storeClient';
import type { ForwardStatusDto } from '../../protocol/dto';
import { ForwardClient } from './forwardClient';

export interface StartForwardingOptions {
  store: StoreClient;
  dataDir: string;
  /** Folder holding forwardWorker.js (dist/). */
  distDir: string;
  settings: ForwardSettings;
  limits?: Partial<ForwardLimits>;
  version: string;
  log: Logger;
}

/**
 * Status reports reach the DB worker at most this often (a state change goes at once): each is a worker op
 * queued with the ingests, so one per forwarded request would add to local ingest latency.
 */
const STATUS_INTERVAL_MS = 500;

export function startForwarding(o: StartForwardingOptions): { close(): Promise<void> } {
  let statusChain = Promise.resolve();
  let pending: ForwardStatusDto | undefined;
  let timer: NodeJS.Timeout | undefined;
  let lastState: string | undefined;
  const flush = () => {
    clearTimeout(timer);
    timer = undefined;
    const status = pending;
    pending = undefined;
    if (!status) return;
    lastState = status.state;
    // In order, one at a time; a closed store (shutdown) is not an error worth a line.
    statusChain = statusChain.then(() => o.store.setForwardStatus(status)).catch(() => undefined);
  };
  const client = new ForwardClient({
    dataDir: o.dataDir,
    settings: o.settings,
    limits: o.limits,
    version: o.version,
    workerPath: path.join(o.distDir, 'forwardWorker.js'),
    log: (level, msg) => o.log[level](`[forward] ${msg}`),
    onStatus: (status) => {
      pending = status;
      if (status.state !== lastState) flush();
      else timer ??= setTimeout(flush, STATUS_INTERVAL_MS);
    },
  });
  const unsubscribe = o.store.onDidJournal(() => client.wake());
  return {
    close: async () => {
      unsubscribe();
      await client.close();
      flush();
      await statusChain;
    },
  };
}
