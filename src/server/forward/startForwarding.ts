// Starts forwarding next to an open store (leader window or `cli.js serve`): the forward worker, woken after
// each journaled ingest, its status handed to the DB worker (the `status` query of every window shows it).
import path from 'node:path';
import type { Logger } from '../../core/log';
import type { ForwardLimits, ForwardSettings } from '../../core/forward/forwardOptions';
import type { StoreClient } from '../storeClient';
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

export function startForwarding(o: StartForwardingOptions): { close(): Promise<void> } {
  let statusChain = Promise.resolve();
  const client = new ForwardClient({
    dataDir: o.dataDir,
    settings: o.settings,
    limits: o.limits,
    version: o.version,
    workerPath: path.join(o.distDir, 'forwardWorker.js'),
    log: (level, msg) => o.log[level](`[forward] ${msg}`),
    // In order, one at a time; a closed store (shutdown) is not an error worth a line.
    onStatus: (status) => {
      statusChain = statusChain.then(() => o.store.setForwardStatus(status)).catch(() => undefined);
    },
  });
  const unsubscribe = o.store.onDidJournal(() => client.wake());
  return {
    close: async () => {
      unsubscribe();
      await client.close();
      await statusChain;
    },
  };
}
