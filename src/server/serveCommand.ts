// `node dist/cli.js serve --port P --data DIR [--token T]`: the same receiver, store and MCP as the
// extension, without VS Code (remote boxes, CI, tests). Exits cleanly on SIGINT/SIGTERM (final snapshot);
// after a SIGKILL it starts again on the same port and data directory (the store takes over a stale lock).
import * as fs from 'node:fs';
import * as path from 'node:path';
import { randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';
import { streamLogger } from '../core/log';
import { startGrpcIfEnabled } from './grpc/grpcLoader';
import { DEFAULT_RECEIVER_LIMITS, startLedgerServer } from './httpServer';
import { StoreClient } from './storeClient';
import { defaultTranscriptRoots, expandHome } from './transcripts/transcriptFiles';
import { TranscriptImporter } from './transcripts/transcriptImporter';
import { FORWARD_CONTENT, type ForwardContent } from '../protocol/dto';
import { parseEndpoint, parseHeaderList } from '../core/forward/endpoint';
import { DEFAULT_MAX_BACKLOG_MB, type ForwardLimits, type ForwardSettings } from '../core/forward/forwardOptions';
import { startForwarding } from './forward/startForwarding';

export interface ServeArgs {
  port: number;
  /** OTLP/gRPC port (`--grpc-port P`); 0 = off, the default headless (a Collector may hold 4317). */
  grpcPort: number;
  host: string;
  dataDir: string;
  token?: string;
  capturePrompts: boolean;
  captureCommands: boolean;
  verbose: boolean;
  /** Transcript roots to import and follow (`--transcripts DIR`, or `default`); none unless asked. */
  transcripts: string[];
  /** `--forward URL`: forwarding to the team's upstream (headers from CLAUDE_LEDGER_FORWARD_HEADERS). */
  forward?: { settings: ForwardSettings; limits: Partial<ForwardLimits> };
}

/** Forwarding headers for `serve`, in OTEL_EXPORTER_OTLP_HEADERS format; never taken from argv (ps shows argv). */
export const FORWARD_HEADERS_ENV = 'CLAUDE_LEDGER_FORWARD_HEADERS';

/** Grace period for the final flush after SIGINT/SIGTERM before the process exits anyway. */
const SHUTDOWN_DEADLINE_MS = 8_000;

export function parseServeArgs(argv: string[], env: NodeJS.ProcessEnv = process.env): ServeArgs {
  // node:util parseArgs (strict): unknown options and missing values fail with a message naming them.
  const { values: v } = parseArgs({
    args: argv,
    strict: true,
    options: {
      port: { type: 'string' },
      'grpc-port': { type: 'string' },
      host: { type: 'string' },
      data: { type: 'string' },
      token: { type: 'string' },
      'capture-prompts': { type: 'boolean' },
      'no-capture-commands': { type: 'boolean' },
      verbose: { type: 'boolean' },
      transcripts: { type: 'string', multiple: true },
      forward: { type: 'string' },
      'forward-content': { type: 'string' },
      'forward-max-backlog-mb': { type: 'string' },
      'forward-timeout-ms': { type: 'string' },
      'forward-backoff-ms': { type: 'string' },
    },
  });
  const port = v.port === undefined ? 4318 : Number(v.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`--port must be 0..65535`);
  const grpcPort = v['grpc-port'] === undefined ? 0 : Number(v['grpc-port']);
  if (!Number.isInteger(grpcPort) || grpcPort < 0 || grpcPort > 65535) throw new Error(`--grpc-port must be 0..65535`);
  if (!v.data) throw new Error('--data DIR is required');
  const host = v.host ?? '127.0.0.1';
  if (!['127.0.0.1', 'localhost', '::1'].includes(host)) throw new Error(`--host must be a loopback address (got ${host})`);
  const forward = parseForwardArgs(v, env);
  return {
    port,
    grpcPort,
    host,
    dataDir: path.resolve(v.data),
    token: v.token,
    capturePrompts: v['capture-prompts'] ?? false,
    captureCommands: !(v['no-capture-commands'] ?? false),
    verbose: v.verbose ?? false,
    transcripts: (v.transcripts ?? []).flatMap((t) => (t === 'default' ? defaultTranscriptRoots() : [path.resolve(expandHome(t))])),
    ...(forward ? { forward } : {}),
  };
}

function parseForwardArgs(v: Record<string, string | boolean | string[] | undefined>, env: NodeJS.ProcessEnv): ServeArgs['forward'] {
  const str = (k: string) => (typeof v[k] === 'string' ? (v[k] as string) : undefined);
  const url = str('forward');
  const others = ['forward-content', 'forward-max-backlog-mb', 'forward-timeout-ms', 'forward-backoff-ms'].filter((k) => v[k] !== undefined);
  if (url === undefined) {
    if (others.length > 0) throw new Error(`--${others[0]} needs --forward URL`);
    return undefined;
  }
  const endpoint = parseEndpoint(url);
  const content = str('forward-content') ?? 'as-received';
  if (!(FORWARD_CONTENT as readonly string[]).includes(content)) throw new Error(`--forward-content must be one of ${FORWARD_CONTENT.join(', ')} (got ${content})`);
  const num = (k: string, min: number, max: number, def: number) => {
    const s = str(k);
    if (s === undefined) return def;
    const n = Number(s);
    if (!Number.isFinite(n) || n < min || n > max) throw new Error(`--${k} must be a number from ${min} to ${max} (got ${s})`);
    return n;
  };
  const maxMb = num('forward-max-backlog-mb', 1, 1024 * 1024, DEFAULT_MAX_BACKLOG_MB);
  const limits: Partial<ForwardLimits> = {};
  if (str('forward-timeout-ms') !== undefined) limits.requestTimeoutMs = num('forward-timeout-ms', 10, 600_000, 0);
  if (str('forward-backoff-ms') !== undefined) {
    // Base of the exponential backoff; the cap is 60 x the base (the defaults: 1 s and 60 s).
    limits.backoffBaseMs = num('forward-backoff-ms', 1, 60_000, 0);
    limits.backoffMaxMs = limits.backoffBaseMs * 60;
  }
  const raw = env[FORWARD_HEADERS_ENV];
  const { headers, problems } = parseHeaderList(raw ?? '');
  if (problems.length > 0) throw new Error(`${FORWARD_HEADERS_ENV}: ${problems.join('; ')}`);
  return { settings: { endpoint, headers, content: content as ForwardContent, maxBacklogBytes: Math.round(maxMb * 1024 * 1024) }, limits };
}

/** Reads DIR/token or creates it (0600) with a random token. */
export function ensureTokenFile(file: string): string {
  try {
    const t = fs.readFileSync(file, 'utf8').trim();
    if (t.length >= 16) return t;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  const token = randomBytes(32).toString('hex');
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, `${token}\n`, { mode: 0o600 });
  fs.renameSync(tmp, file);
  return token;
}

export async function runServeCommand(argv: string[]): Promise<number> {
  const args = parseServeArgs(argv);
  const log = streamLogger((l) => process.stderr.write(l), args.verbose ? 'debug' : 'info');
  fs.mkdirSync(args.dataDir, { recursive: true, mode: 0o700 });
  fs.chmodSync(args.dataDir, 0o700);
  const tokenFile = path.join(args.dataDir, 'token');
  let token: string;
  if (args.token) {
    token = args.token;
  } else {
    token = ensureTokenFile(tokenFile);
    log.info(`bearer token for /mcp and /api is in ${tokenFile}`);
  }

  const store = await StoreClient.open({
    dataDir: args.dataDir,
    workerPath: path.join(__dirname, 'dbWorker.js'),
    ingest: { storePromptText: args.capturePrompts, storeCommands: args.captureCommands },
    forward: args.forward !== undefined,
    log: (level, msg) => log[level](`[store] ${msg}`),
  });
  const holdMatch = process.env[HOLD_ACK_ENV];
  if (holdMatch) holdAckAfterJournal(store, holdMatch);
  let server;
  try {
    server = await startLedgerServer({
      port: args.port,
      host: args.host,
      token,
      store,
      log,
      version: VERSION,
      mcp: {
        capturePrompts: args.capturePrompts,
        captureCommands: args.captureCommands,
        sqlWorkerPath: path.join(__dirname, 'sqlWorker.js'),
      },
    });
  } catch (err) {
    await store.close();
    throw err;
  }
  // OTLP/gRPC (only with --grpc-port): a failure is logged and HTTP keeps working.
  const L = DEFAULT_RECEIVER_LIMITS;
  const grpc = await startGrpcIfEnabled({
    port: args.grpcPort,
    sink: store,
    log,
    limits: { maxDecompressedBytes: L.maxDecompressedBytes, bodyTimeoutMs: L.bodyTimeoutMs },
    distDir: __dirname,
  });
  let importer: TranscriptImporter | undefined;
  if (args.transcripts.length > 0) {
    const roots = args.transcripts;
    importer = new TranscriptImporter({ store, roots: () => roots, log });
    const first = importer.importNow();
    first.then(
      (s) => log.info(`transcripts: imported ${s.requestsAdded} request(s) from ${s.files} file(s) in ${s.seconds.toFixed(1)} s; following ${roots.join(', ')}`),
      (err: unknown) => log.error(`transcript import failed: ${(err as Error).message}`),
    );
    importer.follow();
  }
  const forwarding = args.forward
    ? startForwarding({ store, dataDir: args.dataDir, distDir: __dirname, settings: args.forward.settings, limits: args.forward.limits, version: VERSION, log })
    : undefined;
  if (args.forward) {
    const names = Object.keys(args.forward.settings.headers);
    log.info(`forwarding to ${args.forward.settings.endpoint} (${args.forward.settings.content}${names.length > 0 ? `, headers ${names.join(', ')}` : ''})`);
  }
  process.stdout.write(`Claude Code Ledger listening on ${server.url} (data: ${args.dataDir})\n`);
  process.stdout.write(`OTEL_EXPORTER_OTLP_ENDPOINT=${server.url}\n`);
  if (grpc.receiver) process.stdout.write(`OTLP/gRPC listening on ${grpc.receiver.url} (OTEL_EXPORTER_OTLP_PROTOCOL=grpc OTEL_EXPORTER_OTLP_ENDPOINT=${grpc.receiver.url})\n`);

  await new Promise<void>((resolve) => {
    let stopping = false;
    const stop = (sig: string) => {
      if (stopping) return;
      stopping = true;
      log.info(`${sig}: closing (final snapshot)`);
      const deadline = setTimeout(() => {
        log.error(`shutdown took longer than ${SHUTDOWN_DEADLINE_MS} ms; exiting (the journal keeps what was acknowledged)`);
        process.exit(1);
      }, SHUTDOWN_DEADLINE_MS);
      deadline.unref();
      Promise.resolve(importer?.dispose())
        .then(() => forwarding?.close())
        .then(() => grpc.receiver?.close())
        .then(() => server.close())
        .then(() => store.close())
        .catch((err: unknown) => log.error(`shutdown: ${(err as Error).message}`))
        .finally(resolve);
    };
    process.once('SIGINT', () => stop('SIGINT'));
    process.once('SIGTERM', () => stop('SIGTERM'));
  });
  return 0;
}

/**
 * Test hook (test/integration/storeCrash.test.ts): an ingest whose body contains this string is
 * journaled (the worker's reply means fsync + apply are done), then its reply is held forever and
 * HOLD_ACK_MARKER is printed, so the test can SIGKILL the process knowing the kill landed between the
 * fsync and the 200. Unset in normal use.
 */
export const HOLD_ACK_ENV = 'CLAUDE_LEDGER_TEST_HOLD_ACK';
export const HOLD_ACK_MARKER = 'test hook: journaled, reply held:';

function holdAckAfterJournal(store: StoreClient, match: string): void {
  const ingest = store.ingest.bind(store);
  const needle = Buffer.from(match);
  store.ingest = async (signal, encoding, body) => {
    const result = await ingest(signal, encoding, body);
    if (!Buffer.from(body.buffer, body.byteOffset, body.byteLength).includes(needle)) return result;
    process.stdout.write(`${HOLD_ACK_MARKER} ${match}\n`);
    return new Promise<never>(() => {});
  };
}

declare const __LEDGER_VERSION__: string | undefined;
const VERSION = typeof __LEDGER_VERSION__ === 'string' ? __LEDGER_VERSION__ : '0.1.0';
