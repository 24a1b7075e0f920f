// The one HTTP server on 127.0.0.1: OTLP/HTTP ingest (/v1/logs|metrics|traces), the MCP endpoint (/mcp,
// loaded lazily) and the internal API other windows and the CLI use (/api/*).
//
// Security invariants (every path): Host must be a loopback name with our port (DNS rebinding -> 421);
// OTLP and /api requests carrying an Origin are refused (403: a web page must not POST fake spend or read
// usage); /mcp accepts only a loopback Origin with our port; no CORS headers are ever sent; everything that
// reads data needs the bearer token. Ingest needs no token (Host/Origin checks protect it).
// Durability invariant: a 200 on /v1/* is written only after the store has journaled the body (fsync).
import * as http from 'node:http';
import * as path from 'node:path';
import { timingSafeEqual } from 'node:crypto';
import { createGunzip, createInflate, type Gunzip, type Inflate } from 'node:zlib';
import type { Logger } from '../core/log';
import { tagged } from '../core/log';
import type { Signal } from '../core/otlp/records';
import { encodeResponse, encodeStatus, OtlpDecodeError, type Encoding } from '../core/otlp/responses';
import type { QueryApi, QueryName, RangeSpec } from '../protocol/dto';
import type { McpHandler, McpModule, McpRuntimeOptions, McpStore } from './mcp/mcpTypes';

/** Every bound of the receiver, with its reason. */
export interface ReceiverLimits {
  /** Compressed (on the wire) body cap. Claude Code's largest export is well under 1 MiB. */
  maxBodyBytes: number;
  /** Decompressed body cap; a gzip bomb is cut off while inflating once it passes this. */
  maxDecompressedBytes: number;
  /** /api and /mcp JSON bodies: small by nature. */
  maxApiBodyBytes: number;
  /** How long an /api/changes long poll is held before answering "no change". */
  longPollMs: number;
  /** A request whose body does not finish within this is answered 408 (slowloris). */
  bodyTimeoutMs: number;
  /** Rows per page of /api/rows (CSV export through a follower window). */
  maxRowsPerPage: number;
}

export const DEFAULT_RECEIVER_LIMITS: ReceiverLimits = {
  maxBodyBytes: 16 * 1024 * 1024,
  maxDecompressedBytes: 64 * 1024 * 1024,
  maxApiBodyBytes: 1024 * 1024,
  longPollMs: 25_000,
  bodyTimeoutMs: 30_000,
  maxRowsPerPage: 5_000,
};

export type IngestResult = import('../core/store/ingestResult').IngestResult;

/** What the server needs from the store (StoreClient satisfies it). */
export interface LedgerStore extends QueryApi, McpStore {
  ingest(signal: Signal, encoding: Encoding, body: Uint8Array): Promise<IngestResult>;
  onDidChange(fn: (dataVersion: number) => void): () => void;
  rows?(dataset: string, range: RangeSpec, pageSize?: number): AsyncIterable<Record<string, string | number | null>[]>;
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
  close(): Promise<void>;
}

/** Thrown when the port is taken; `code` mirrors Node's listen error. */
export class PortInUseError extends Error {
  override name = 'PortInUseError';
  constructor(readonly port: number) {
    super(`port ${port} on 127.0.0.1 is already in use`);
  }
}

const SIGNALS: Record<string, Signal> = { '/v1/logs': 'logs', '/v1/metrics': 'metrics', '/v1/traces': 'traces' };
const LOOPBACK_HOSTS = new Set(['127.0.0.1', 'localhost', '[::1]']);

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

export async function startLedgerServer(o: LedgerServerOptions): Promise<LedgerServer> {
  const limits: ReceiverLimits = { ...DEFAULT_RECEIVER_LIMITS, ...o.limits };
  const host = o.host ?? '127.0.0.1';
  if (!['127.0.0.1', '::1', 'localhost'].includes(host)) throw new Error(`refusing to listen on ${host}: loopback only`);
  const log = tagged(o.log, 'receiver');
  const tokenBuf = Buffer.from(o.token);
  let dataVersion = 0;
  let port = o.port;
  let mcp: Promise<McpHandler> | undefined;
  const waiters = new Set<() => void>();
  const unsubscribe = o.store.onDidChange((v) => {
    dataVersion = v;
    for (const w of [...waiters]) w();
  });

  const authorized = (req: http.IncomingMessage): boolean => {
    const h = req.headers.authorization ?? '';
    const m = /^Bearer\s+(.+)$/i.exec(h);
    if (!m) return false;
    const got = Buffer.from(m[1].trim());
    return got.length === tokenBuf.length && timingSafeEqual(got, tokenBuf);
  };

  const checkHost = (req: http.IncomingMessage): void => {
    const hostHeader = req.headers.host;
    if (!hostHeader) throw new HttpError(421, 'missing Host header');
    const m = /^(\[[^\]]+\]|[^:]+)(?::(\d+))?$/.exec(hostHeader.toLowerCase());
    const name = m?.[1];
    const p = m?.[2] ? Number(m[2]) : 80;
    if (!name || !LOOPBACK_HOSTS.has(name) || p !== port) {
      throw new HttpError(421, `Host "${hostHeader}" is not this server (expected 127.0.0.1:${port} or localhost:${port})`);
    }
  };

  const handle = async (req: http.IncomingMessage, res: http.ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    checkHost(req);
    const origin = req.headers.origin;
    const signal = SIGNALS[url.pathname];
    if (signal) {
      if (origin !== undefined) throw new HttpError(403, 'OTLP requests from a browser (Origin header present) are refused');
      if (req.method !== 'POST') throw new HttpError(405, `use POST for ${url.pathname}`, { Allow: 'POST' });
      return ingest(signal, req, res);
    }
    if (url.pathname === '/mcp') {
      if (origin !== undefined && !isLoopbackOrigin(origin, port)) throw new HttpError(403, `Origin "${origin}" is not allowed`);
      if (o.mcp?.enabled === false) throw new HttpError(404, 'the MCP server is disabled (setting claudeLedger.mcp.enabled)');
      mcp ??= loadMcpHandler();
      const handler = await mcp.catch((err: unknown) => {
        mcp = undefined;
        throw new HttpError(500, `MCP server failed to load: ${(err as Error).message}`);
      });
      return handler.handle(req, res);
    }
    if (url.pathname.startsWith('/api/')) {
      if (origin !== undefined) throw new HttpError(403, 'the internal API does not serve browsers (Origin header present)');
      return api(url, req, res);
    }
    throw new HttpError(404, `no route for ${url.pathname}`);
  };

  const loadMcpHandler = async (): Promise<McpHandler> => {
    const started = Date.now();
    const mod = o.loadMcp ? await o.loadMcp() : (require(path.join(__dirname, 'mcp.js')) as McpModule);
    log.info(`MCP module loaded in ${Date.now() - started} ms`);
    const { enabled: _enabled, ...runtime } = o.mcp ?? {};
    return mod.createMcpHandler({ store: o.store, token: o.token, port, log: o.log, runtime });
  };

  const ingest = async (signal: Signal, req: http.IncomingMessage, res: http.ServerResponse): Promise<void> => {
    const encoding = encodingOf(req.headers['content-type']);
    const body = await readBody(req, limits, true);
    let result: IngestResult;
    try {
      result = await o.store.ingest(signal, encoding, body);
    } catch (err) {
      if (err instanceof OtlpDecodeError || (err as Error)?.name === 'OtlpDecodeError') {
        log.warn(`400 ${req.url}: ${(err as Error).message}`);
        const s = encodeStatus(encoding, 3, (err as Error).message);
        res.writeHead(400, { 'Content-Type': s.contentType });
        res.end(s.body);
        return;
      }
      // Not acknowledged: the exporter retries on 503 and nothing acknowledged is lost.
      log.error(`ingest failed, answering 503: ${(err as Error).stack ?? err}`);
      const s = encodeStatus(encoding, 14, `the store could not accept the data: ${(err as Error).message}`);
      res.writeHead(503, { 'Content-Type': s.contentType, 'Retry-After': '2' });
      res.end(s.body);
      return;
    }
    if (result.rejected > 0) log.warn(`${signal}: rejected ${result.rejected} item(s): ${result.rejectMessage ?? ''}`);
    const r = encodeResponse(signal, encoding, result.rejected, result.rejected > 0 ? result.rejectMessage : undefined);
    res.writeHead(200, { 'Content-Type': r.contentType });
    res.end(r.body);
  };

  const api = async (url: URL, req: http.IncomingMessage, res: http.ServerResponse): Promise<void> => {
    if (url.pathname === '/api/health') {
      return json(res, 200, { app: 'claude-code-ledger', version: o.version ?? '0', pid: process.pid, dataVersion });
    }
    if (!authorized(req)) throw new HttpError(401, 'missing or wrong bearer token', { 'WWW-Authenticate': 'Bearer' });
    switch (url.pathname) {
      case '/api/query': {
        if (req.method !== 'POST') throw new HttpError(405, 'use POST', { Allow: 'POST' });
        const { method, params } = parseJson(await readBody(req, { ...limits, maxBodyBytes: limits.maxApiBodyBytes }, false)) as {
          method?: unknown;
          params?: unknown;
        };
        if (typeof method !== 'string' || !QUERY_NAMES.has(method)) throw new HttpError(400, `unknown query method ${JSON.stringify(method)}`);
        const result = await o.store.query(method as QueryName, (params ?? {}) as never);
        return json(res, 200, { result });
      }
      case '/api/changes': {
        const since = Number(url.searchParams.get('since') ?? '-1');
        if (dataVersion > since) return json(res, 200, { dataVersion });
        await new Promise<void>((resolve) => {
          const done = () => {
            clearTimeout(timer);
            waiters.delete(done);
            resolve();
          };
          const timer = setTimeout(done, limits.longPollMs);
          waiters.add(done);
          req.on('close', done);
        });
        if (!res.destroyed) json(res, 200, { dataVersion });
        return;
      }
      case '/api/rows': {
        if (req.method !== 'POST') throw new HttpError(405, 'use POST', { Allow: 'POST' });
        if (!o.store.rows) throw new HttpError(501, 'row export is not available');
        const { dataset, range, offset } = parseJson(await readBody(req, { ...limits, maxBodyBytes: limits.maxApiBodyBytes }, false)) as {
          dataset?: string;
          range?: RangeSpec;
          offset?: number;
        };
        // Streams NDJSON pages; the client writes them as it reads.
        res.writeHead(200, { 'Content-Type': 'application/x-ndjson' });
        let skipped = 0;
        for await (const page of o.store.rows(String(dataset), range ?? { key: 'all' }, limits.maxRowsPerPage)) {
          if (res.destroyed) break;
          if (offset && skipped < offset) {
            skipped += page.length;
            continue;
          }
          if (!res.write(`${JSON.stringify(page)}\n`)) await new Promise((r) => res.once('drain', r));
        }
        res.end();
        return;
      }
      default:
        throw new HttpError(404, `no route for ${url.pathname}`);
    }
  };

  const server = http.createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      const e = err instanceof HttpError ? err : new HttpError(500, (err as Error)?.message ?? String(err));
      if (e.status >= 500) log.error(`${req.method} ${req.url}: ${(err as Error)?.stack ?? err}`);
      else log.debug(`${e.status} ${req.method} ${req.url}: ${e.message}`);
      if (res.headersSent) {
        res.destroy();
        return;
      }
      const enc = SIGNALS[(req.url ?? '').split('?')[0]] ? safeEncoding(req.headers['content-type']) : undefined;
      const body = enc ? encodeStatus(enc, e.status === 413 ? 8 : 3, e.message) : { body: Buffer.from(`${e.message}\n`), contentType: 'text/plain; charset=utf-8' };
      const closing = e.status === 413 || e.status === 408;
      res.writeHead(e.status, { 'Content-Type': body.contentType, ...e.headers, ...(closing ? { Connection: 'close' } : {}) });
      // For 413/408 the request body may still be arriving: answer first, then drop the connection so the
      // client reads the status instead of a reset.
      res.end(body.body, () => {
        if (closing) setTimeout(() => req.socket.destroy(), 100).unref();
      });
      if (closing) req.resume();
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
      return dataVersion;
    },
    async close() {
      unsubscribe();
      for (const w of [...waiters]) w();
      const handler = mcp ? await mcp.catch(() => undefined) : undefined;
      await handler?.close();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
}

const QUERY_NAMES = new Set<string>([
  'summary', 'costSeries', 'sessions', 'sessionTimeline', 'filesEdited', 'acceptance', 'toolStats', 'apiErrors', 'burnRate', 'status',
]);

function isLoopbackOrigin(origin: string, port: number): boolean {
  try {
    const u = new URL(origin);
    return u.protocol === 'http:' && LOOPBACK_HOSTS.has(u.hostname) && Number(u.port || 80) === port;
  } catch {
    return false;
  }
}

function safeEncoding(ct: string | undefined): Encoding | undefined {
  try {
    return encodingOf(ct);
  } catch {
    return undefined;
  }
}

function encodingOf(ct: string | undefined): Encoding {
  const type = (ct ?? '').split(';')[0].trim().toLowerCase();
  if (type === 'application/x-protobuf' || type === 'application/protobuf') return 'protobuf';
  if (type === 'application/json') return 'json';
  throw new HttpError(415, `unsupported Content-Type "${ct ?? ''}": use application/x-protobuf or application/json`);
}

function json(res: http.ServerResponse, status: number, value: unknown): void {
  const body = Buffer.from(JSON.stringify(value));
  res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': body.length, 'Cache-Control': 'no-store' });
  res.end(body);
}

function parseJson(buf: Buffer): unknown {
  try {
    return JSON.parse(buf.toString('utf8') || '{}');
  } catch (err) {
    throw new HttpError(400, `body is not valid JSON: ${(err as Error).message}`);
  }
}

/**
 * Reads a body with both caps enforced as bytes arrive (chunked bodies without Content-Length included).
 * gzip/deflate are inflated on the fly and cut off at maxDecompressedBytes.
 */
function readBody(req: http.IncomingMessage, limits: ReceiverLimits, allowCompression: boolean): Promise<Buffer> {
  const declared = Number(req.headers['content-length'] ?? NaN);
  if (Number.isFinite(declared) && declared > limits.maxBodyBytes) {
    return Promise.reject(new HttpError(413, `body of ${declared} bytes exceeds the ${limits.maxBodyBytes}-byte limit`));
  }
  const ce = (req.headers['content-encoding'] ?? 'identity').toLowerCase().trim();
  let inflater: Gunzip | Inflate | undefined;
  if (ce === 'gzip' || ce === 'x-gzip') inflater = createGunzip();
  else if (ce === 'deflate') inflater = createInflate();
  else if (ce !== 'identity' && ce !== '') return Promise.reject(new HttpError(415, `unsupported Content-Encoding "${ce}": use gzip, deflate or none`));
  if (inflater && !allowCompression) return Promise.reject(new HttpError(415, 'compressed bodies are not accepted here'));

  return new Promise<Buffer>((resolve, reject) => {
    const chunks: Buffer[] = [];
    let wire = 0;
    let size = 0;
    let settled = false;
    const timer = setTimeout(() => fail(new HttpError(408, `body not received within ${limits.bodyTimeoutMs} ms`)), limits.bodyTimeoutMs);
    const fail = (e: HttpError) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      req.unpipe();
      inflater?.destroy();
      reject(e);
    };
    const done = () => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(Buffer.concat(chunks, size));
    };
    const onData = (c: Buffer) => {
      if (settled) return;
      size += c.length;
      if (size > limits.maxDecompressedBytes) {
        fail(new HttpError(413, `decompressed body exceeds the ${limits.maxDecompressedBytes}-byte limit`));
        return;
      }
      chunks.push(c);
    };
    req.on('data', (c: Buffer) => {
      wire += c.length;
      if (wire > limits.maxBodyBytes) fail(new HttpError(413, `body exceeds the ${limits.maxBodyBytes}-byte limit`));
    });
    req.on('aborted', () => fail(new HttpError(400, 'the client aborted the request')));
    req.on('error', (err) => fail(new HttpError(400, `request error: ${err.message}`)));
    if (inflater) {
      inflater.on('data', onData);
      inflater.on('end', done);
      inflater.on('error', (err) => fail(new HttpError(400, `body is not valid ${ce}: ${err.message}`)));
      req.pipe(inflater);
    } else {
      req.on('data', onData);
      req.on('end', done);
    }
  });
}
