// Forward worker entry (dist/forwardWorker.js): runs one Forwarder in its own thread of the leader process.
// Messages: main -> worker `wake` (new frames journaled), `stop`; worker -> main `status`, `log`, `stopped`.
import { parentPort, workerData } from 'node:worker_threads';
import { Forwarder } from './forwarder';
import type { ForwardMainToWorker, ForwardWorkerData, ForwardWorkerToMain } from './forwardClient';

if (!parentPort) throw new Error('forwardWorker.js must run as a worker thread');
const port = parentPort;
const post = (m: ForwardWorkerToMain) => port.postMessage(m);
const data = workerData as ForwardWorkerData;

const forwarder = new Forwarder({
  ...data.settings,
  dataDir: data.dataDir,
  limits: data.limits,
  version: data.version,
  log: (level, msg) => post({ type: 'log', level, msg }),
  onStatus: (status) => post({ type: 'status', status }),
});
void forwarder.start();

port.on('message', (m: ForwardMainToWorker) => {
  if (m.type === 'wake') forwarder.wake();
  else if (m.type === 'stop') void forwarder.stop().then(() => post({ type: 'stopped' }));
});
