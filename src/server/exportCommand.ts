// `node dist/cli.js export --data DIR --dataset D --range R --out F` (D: one of EXPORT_DATASETS):
// the same CSV writer as the VS Code command. If no process holds DIR, the store is opened here (and
// closed after); if a live leader holds its lock, the rows come from that leader's /api/rows instead,
// with the token from DIR/token (or the extension's layout: DIR/../token), or --token.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { writeCsvFile } from '../core/export/csv';
import { streamLogger } from '../core/log';
import { EXPORT_DATASETS, RANGE_KEYS, type ExportDataset, type RangeKey, type RangeSpec } from '../protocol/dto';
import { LeaderClient } from './leaderClient';
import { StoreClient } from './storeClient';

export interface ExportArgs {
  dataDir: string;
  dataset: ExportDataset;
  range: RangeSpec;
  out: string;
  /** Port of a running leader (only used when the data dir is locked). */
  port: number;
  token?: string;
}

export function parseExportArgs(argv: string[]): ExportArgs {
  // node:util parseArgs (strict): unknown options and missing values fail with a message naming them.
  const { values: v } = parseArgs({
    args: argv,
    strict: true,
    options: {
      data: { type: 'string' },
      dataset: { type: 'string' },
      range: { type: 'string' },
      from: { type: 'string' },
      to: { type: 'string' },
      out: { type: 'string' },
      port: { type: 'string' },
      token: { type: 'string' },
    },
  });
  const dataDir = v.data ? path.resolve(v.data) : '';
  const dataset = v.dataset;
  const rangeKey: string = v.range ?? 'all';
  const { from, to, token } = v;
  const out = v.out ? path.resolve(v.out) : '';
  const port = v.port === undefined ? 4318 : Number(v.port);
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new Error('--port must be 1..65535');
  if (!dataDir) throw new Error('--data DIR is required');
  if (!out) throw new Error('--out FILE is required');
  const ds = EXPORT_DATASETS.find((d) => d === dataset);
  if (ds === undefined) throw new Error(`--dataset must be one of ${EXPORT_DATASETS.join(', ')}`);
  let range: RangeSpec;
  if (from !== undefined || to !== undefined) {
    if (!from || !to || Number.isNaN(Date.parse(from)) || Number.isNaN(Date.parse(to))) throw new Error('--from and --to must both be ISO-8601 dates');
    range = { from: new Date(from).toISOString(), to: new Date(to).toISOString() };
  } else {
    if (!(RANGE_KEYS as readonly string[]).includes(rangeKey)) throw new Error(`--range must be one of ${RANGE_KEYS.join(', ')}`);
    range = { key: rangeKey as RangeKey };
  }
  return { dataDir, dataset: ds, range, out, port, token };
}

export async function runExportCommand(argv: string[]): Promise<number> {
  const args = parseExportArgs(argv);
  const log = streamLogger((l) => process.stderr.write(l));
  if (!fs.existsSync(args.dataDir)) throw new Error(`no data directory at ${args.dataDir}`);
  let store: StoreClient | undefined;
  try {
    store = await StoreClient.open({
      dataDir: args.dataDir,
      workerPath: path.join(__dirname, 'dbWorker.js'),
      log: (level, msg) => log[level](`[store] ${msg}`),
    });
  } catch (err) {
    if ((err as Error).name !== 'DataDirLockedError') throw err;
    log.info(`${(err as Error).message}; reading from the running leader on 127.0.0.1:${args.port}`);
  }
  let rows: number;
  if (store) {
    try {
      rows = await writeCsvFile(args.out, store.rows(args.dataset, args.range));
    } finally {
      await store.close();
    }
  } else {
    const token = args.token ?? readToken(args.dataDir);
    const leader = new LeaderClient({ port: args.port, token });
    rows = await writeCsvFile(args.out, leader.rows(args.dataset, args.range));
  }
  process.stdout.write(`${rows} rows written to ${args.out}\n`);
  return 0;
}

function readToken(dataDir: string): string {
  for (const f of [path.join(dataDir, 'token'), path.join(dataDir, '..', 'token')]) {
    try {
      const t = fs.readFileSync(f, 'utf8').trim();
      if (t) return t;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    }
  }
  throw new Error(`the data directory is in use by a running leader, but no token file was found (${path.join(dataDir, 'token')}); pass --token`);
}
