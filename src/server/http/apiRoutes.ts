// The internal API other VS Code windows and the CLI use: GET /api/health (no token: followers probe
// it to find the leader), POST /api/query (named queries), GET /api/changes (long poll on the data
// version), POST /api/rows (CSV export pages as NDJSON). Browsers are refused (any Origin -> 403);
// everything but health needs the bearer token.
import type * as http from 'node:http';
import { isQueryName, type QueryApi, type RangeSpec } from '../../protocol/dto';
import { checkBearer, checkMethod, checkOrigin, HttpError, parseJsonBody, readBody, textErrorBody, writeJson, type BodyCaps, type Route } from './edge';

/** The store as the API sees it (StoreClient satisfies it). */
export interface ApiStore extends QueryApi {
  rows?(dataset: string, range: RangeSpec, pageSize?: number): AsyncIterable<Record<string, string | number | null>[]>;
}

export interface ApiRouteOptions {
  store: ApiStore;
  feed: ChangeFeed;
  token: string;
  port(): number;
  /** JSON bodies: small by nature (ReceiverLimits.maxApiBodyBytes), never compressed. */
  caps: BodyCaps;
  /** ReceiverLimits.longPollMs and maxRowsPerPage. */
  longPollMs: number;
  maxRowsPerPage: number;
  /** Reported by /api/health. */
  version: string;
}

/**
 * The data version and the long polls parked on it. Invariant: a poll is parked (counted in `parked`)
 * exactly while it waits; publish() wakes every parked poll, close() too.
 */
export class ChangeFeed {
  private version = 0;
  private readonly waiters = new Set<() => void>();
  private readonly parkListeners = new Set<(parked: number) => void>();

  get dataVersion(): number {
    return this.version;
  }

  get parked(): number {
    return this.waiters.size;
  }

  publish(version: number): void {
    this.version = version;
    this.wakeAll();
  }

  /** Called after a poll parks, with the number parked (tests wait on it instead of sleeping). */
  onDidPark(fn: (parked: number) => void): () => void {
    this.parkListeners.add(fn);
    return () => this.parkListeners.delete(fn);
  }

  /** Resolves at the next publish, after `ms`, or when the client goes away. */
  wait(req: http.IncomingMessage, ms: number): Promise<void> {
    return new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.waiters.delete(done);
        req.off('close', done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.waiters.add(done);
      req.on('close', done);
      for (const fn of [...this.parkListeners]) fn(this.waiters.size);
    });
  }

  wakeAll(): void {
    for (const w of [...this.waiters]) w();
  }
}

export function apiRoutes(o: ApiRouteOptions): Record<string, Route> {
  const guarded = (handle: Route['handle'], needsToken = true): Route => ({
    errorBody: textErrorBody,
    async handle(req, res, url) {
      checkOrigin(req, o.port(), 'refuse', 'the internal API');
      if (needsToken) checkBearer(req, o.token);
      return handle(req, res, url);
    },
  });
  const readJson = async (req: http.IncomingMessage): Promise<Record<string, unknown>> => {
    const v = parseJsonBody(await readBody(req, o.caps), {});
    if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new HttpError(400, 'body must be a JSON object');
    return v as Record<string, unknown>;
  };

  return {
    '/api/health': guarded(async (_req, res) => {
      writeJson(res, 200, { app: 'claude-code-ledger', version: o.version, pid: process.pid, dataVersion: o.feed.dataVersion });
    }, false),

    '/api/query': guarded(async (req, res) => {
      checkMethod(req, 'POST');
      const { method, params } = await readJson(req);
      if (!isQueryName(method)) throw new HttpError(400, `unknown query method ${JSON.stringify(method)}`);
      // Params are checked by the query itself (the worker answers bad ones with an error).
      const result = await o.store.query(method, (params ?? {}) as never);
      writeJson(res, 200, { result });
    }),

    '/api/changes': guarded(async (req, res, url) => {
      const since = Number(url.searchParams.get('since') ?? '-1');
      if (!(o.feed.dataVersion > since)) await o.feed.wait(req, o.longPollMs);
      if (!res.destroyed) writeJson(res, 200, { dataVersion: o.feed.dataVersion });
    }),

    '/api/rows': guarded(async (req, res) => {
      checkMethod(req, 'POST');
      if (!o.store.rows) throw new HttpError(501, 'row export is not available');
      const { dataset, range } = (await readJson(req)) as { dataset?: unknown; range?: RangeSpec };
      // Streams NDJSON pages; the client writes them as it reads.
      res.writeHead(200, { 'Content-Type': 'application/x-ndjson' });
      for await (const page of o.store.rows(String(dataset), range ?? { key: 'all' }, o.maxRowsPerPage)) {
        if (res.destroyed) break;
        if (!res.write(`${JSON.stringify(page)}\n`)) await new Promise((r) => res.once('drain', r));
      }
      res.end();
    }),
  };
}
