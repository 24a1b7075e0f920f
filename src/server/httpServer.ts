// The one HTTP server on 127.0.0.1: routing and lifetime only. What each path does lives in
// src/server/http/: otlpRoutes.ts (/v1/*), apiRoutes.ts (/api/*), mcpRoutes.ts (/mcp, loaded lazily), and
// the checks they share in edge.ts (Host, Origin, bearer, body caps, error answers: the only copy).
//
// Security invariants (every path): Host must be a loopback name with our port (421, checked here before
// any route); OTLP and /api refuse any Origin, /mcp accepts only a loopback Origin with our port (403);
// no CORS headers are ever sent; everything that reads data needs the bearer token. Ingest needs no
// token (Host/Origin checks protect it).
// Durability invariant: a 200 on /v1/* is written only after the store has journaled the body (fsync).
import * as http from 'node:http';
import * as path from 'node:path';
import type { Logger } from '../core/log';
import { tagged } from '../core/log';
import { apiRoutes, ChangeFeed, type ApiStore } from './http/apiRoutes';
import { asHttpError, checkHost, HttpError, textErrorBody, writeError, type Route } from './http/edge';
import { mcpRoutes } from './http/mcpRoutes';
import { otlpRoutes } from './http/otlpRoutes';
import { statuslineRoutes, type StatuslineStore } from './http/statuslineRoutes';
import type { IngestSink } from './ingest';
import type { McpModule, McpRuntimeOptions, McpStore } from './mcp/mcpTypes';

/** Every bound of the receiver, with its reason. */
export interface ReceiverLimits {
  /** Compressed (on the wire) body cap. Claude Code's largest export is well under 1 MiB. */
  maxBodyBytes: number;
  /** Decompressed body cap; a gzip bomb is cut off while inflating once it passes this. */
  maxDecompressedBytes: number;
  /** /api JSON bodies: small by nature. (/mcp has its own cap: McpRuntimeOptions.maxBodyBytes.) */
  maxApiBodyBytes: number;
  /** How long an /api/changes long poll is held before answering "no change". */
  longPollMs: number;
  /** A request whose body does not finish within this is answered 408 (slowloris); /mcp too. */
  bodyTimeoutMs: number;
  /** Rows per page of /api/rows (CSV export through a follower window). */
  maxRowsPerPage: number;
  /** POST /api/statusline bodies: a status line post is a few hundred bytes. */
  maxStatuslineBodyBytes: number;
}

export const DEFAULT_RECEIVER_LIMITS: ReceiverLimits = {
  maxBodyBytes: 16 * 1024 * 1024,
  maxDecompressedBytes: 64 * 1024 * 1024,
  maxApiBodyBytes: 1024 * 1024,
  longPollMs: 25_000,
  bodyTimeoutMs: 30_000,
  maxRowsPerPage: 5_000,
  maxStatuslineBodyBytes: 16 * 1024,
};

export type IngestResult = import('../core/store/ingestResult').IngestResult;

/** What the server needs from the store (StoreClient satisfies it). */
export interface LedgerStore extends IngestSink, ApiStore, McpStore, StatuslineStore {
  onDidChange(fn: (dataVersion: number) => void): () => void;
}

export interface LedgerServerOptions {
  port: number;
  host?: string;
  token: string;
  store: LedgerStore;
  log: Logger;
  limits?: Partial<ReceiverLimits>;
  /** Loads the MCP module on the first /mcp request; default requires dist/mcp.js next to this bundle. */
  loadMcp?: () => Promise<McpModule>;
  /** Passed through to createMcpHandler (privacy flags, rate limit, budgets, SQL worker path). */
  mcp?: Partial<McpRuntimeOptions> & { enabled?: boolean };
  /** Reported by /api/health. */
  version?: string;
}

export interface LedgerServer {
  readonly port: number;
  readonly url: string;
  readonly dataVersion: number;
  /** Long polls on /api/changes waiting right now (diagnostics; tests wait on onDidParkPoll). */
  readonly parkedPolls: number;
  /** Fires each time an /api/changes poll parks, with the number parked. */
  onDidParkPoll(fn: (parked: number) => void): () => void;
  close(): Promise<void>;
}

/** Thrown when the port is taken; `code` mirrors Node's listen error. */
export class PortInUseError extends Error {
  override name = 'PortInUseError';
  constructor(readonly port: number) {
    super(`port ${port} on 127.0.0.1 is already in use`);
  }
}

const NOT_FOUND: Route = {
  errorBody: textErrorBody,
  handle: async (_req, _res, url) => {
    throw new HttpError(404, `no route for ${url.pathname}`);
  },
};

export async function startLedgerServer(o: LedgerServerOptions): Promise<LedgerServer> {
  const limits: ReceiverLimits = { ...DEFAULT_RECEIVER_LIMITS, ...o.limits };
  const host = o.host ?? '127.0.0.1';
  if (!['127.0.0.1', '::1', 'localhost'].includes(host)) throw new Error(`refusing to listen on ${host}: loopback only`);
  const log = tagged(o.log, 'receiver');
  let port = o.port;
  const currentPort = () => port;
  const feed = new ChangeFeed();
  const unsubscribe = o.store.onDidChange((v) => feed.publish(v));

  const mcp = mcpRoutes({
    enabled: o.mcp?.enabled !== false,
    token: o.token,
    port: currentPort,
    log,
    load: async () => {
      const started = Date.now();
      const mod = o.loadMcp ? await o.loadMcp() : (require(path.join(__dirname, 'mcp.js')) as McpModule);
      log.info(`MCP module loaded in ${Date.now() - started} ms`);
      const { enabled: _enabled, ...runtime } = o.mcp ?? {};
      return mod.createMcpHandler({ store: o.store, token: o.token, port, log: o.log, runtime: { bodyTimeoutMs: limits.bodyTimeoutMs, ...runtime } });
    },
  });
  const routes: Record<string, Route> = {
    ...otlpRoutes({
      sink: o.store,
      port: currentPort,
      caps: { maxBytes: limits.maxBodyBytes, maxDecompressedBytes: limits.maxDecompressedBytes, timeoutMs: limits.bodyTimeoutMs, compression: true },
      log,
    }),
    ...apiRoutes({
      store: o.store,
      feed,
      token: o.token,
      port: currentPort,
      caps: { maxBytes: limits.maxApiBodyBytes, maxDecompressedBytes: limits.maxApiBodyBytes, timeoutMs: limits.bodyTimeoutMs, compression: false },
      longPollMs: limits.longPollMs,
      maxRowsPerPage: limits.maxRowsPerPage,
      version: o.version ?? '0',
    }),
    ...statuslineRoutes({
      store: o.store,
      token: o.token,
      port: currentPort,
      caps: { maxBytes: limits.maxStatuslineBodyBytes, maxDecompressedBytes: limits.maxStatuslineBodyBytes, timeoutMs: limits.bodyTimeoutMs, compression: false },
    }),
    ...mcp.routes,
  };

  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const route = Object.prototype.hasOwnProperty.call(routes, url.pathname) ? routes[url.pathname] : NOT_FOUND;
    (async () => {
      checkHost(req, port);
      await route.handle(req, res, url);
    })().catch((err: unknown) => {
      const e = asHttpError(err);
      if (e.status >= 500) log.error(`${req.method} ${req.url}: ${(err as Error)?.stack ?? err}`);
      else log.debug(`${e.status} ${req.method} ${req.url}: ${e.message}`);
      writeError(req, res, e, route.errorBody);
    });
  });
  server.headersTimeout = 20_000;
  server.requestTimeout = limits.longPollMs + 20_000;
  server.keepAliveTimeout = 5_000;

  await new Promise<void>((resolve, reject) => {
    const onError = (err: NodeJS.ErrnoException) => {
      server.off('listening', onListening);
      reject(err.code === 'EADDRINUSE' ? new PortInUseError(o.port) : err);
    };
    const onListening = () => {
      server.off('error', onError);
      resolve();
    };
    server.once('error', onError);
    server.once('listening', onListening);
    server.listen(o.port, host);
  });
  const addr = server.address();
  if (addr && typeof addr === 'object') port = addr.port;
  server.on('error', (err) => log.error(`server error: ${err.message}`));
  log.info(`listening on http://127.0.0.1:${port}`);

  return {
    get port() {
      return port;
    },
    get url() {
      return `http://127.0.0.1:${port}`;
    },
    get dataVersion() {
      return feed.dataVersion;
    },
    get parkedPolls() {
      return feed.parked;
    },
    onDidParkPoll: (fn) => feed.onDidPark(fn),
    async close() {
      unsubscribe();
      feed.wakeAll();
      await mcp.close();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
}
