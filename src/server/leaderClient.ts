// A follower window's view of the leader: the same QueryApi the store offers, over the leader's
// token-protected /api on 127.0.0.1, plus the health probe used by the election and a long-poll loop
// for "data changed". Plain node:http: no vscode, usable by the CLI export too.
import * as http from 'node:http';
import type { ProbeResult } from '../core/leader';
import type { QueryApi, QueryMethods, QueryName, RangeSpec } from '../protocol/dto';

export interface LeaderClientOptions {
  port: number;
  token: string;
  /** A query that takes longer than this fails (the leader answers from rollups in ms). */
  requestTimeoutMs: number;
  /** The leader holds /api/changes up to 25 s; no answer after this many ms means it is gone. */
  longPollTimeoutMs: number;
  /** Health probe budget: an answer slower than this counts as "unknown" (re-probed), not "foreign". */
  probeTimeoutMs: number;
}

export const DEFAULT_LEADER_CLIENT_OPTIONS: Omit<LeaderClientOptions, 'port' | 'token'> = {
  requestTimeoutMs: 30_000,
  longPollTimeoutMs: 40_000,
  probeTimeoutMs: 1_500,
};

export interface HealthDto {
  app: string;
  version: string;
  pid: number;
  dataVersion: number;
}

export class LeaderApiError extends Error {
  override name = 'LeaderApiError';
  constructor(
    readonly status: number | undefined,
    message: string,
    /** true when the connection itself failed (refused/reset): the leader is gone. */
    readonly connectionLost = false,
  ) {
    super(message);
  }
}

const HOST = '127.0.0.1';

/** Asks /api/health on the port: ours (a Ledger answers), free (refused), foreign (something else), unknown. */
export async function probePort(port: number, timeoutMs = DEFAULT_LEADER_CLIENT_OPTIONS.probeTimeoutMs): Promise<{ result: ProbeResult; detail?: string; health?: HealthDto }> {
  try {
    const r = await request({ port, path: '/api/health', method: 'GET', timeoutMs });
    if (r.status !== 200) return { result: 'foreign', detail: `HTTP ${r.status} on /api/health` };
    let body: unknown;
    try {
      body = JSON.parse(r.body.toString('utf8'));
    } catch {
      return { result: 'foreign', detail: 'not a Claude Code Ledger health answer' };
    }
    const h = body as Partial<HealthDto>;
    if (h.app === 'claude-code-ledger') return { result: 'ours', health: h as HealthDto };
    return { result: 'foreign', detail: 'not a Claude Code Ledger health answer' };
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ECONNREFUSED') return { result: 'free' };
    return { result: 'unknown', detail: (e as Error).message };
  }
}

export class LeaderClient implements QueryApi {
  private readonly o: LeaderClientOptions;
  constructor(o: Pick<LeaderClientOptions, 'port' | 'token'> & Partial<LeaderClientOptions>) {
    this.o = { ...DEFAULT_LEADER_CLIENT_OPTIONS, ...o };
  }

  get port(): number {
    return this.o.port;
  }

  async query<M extends QueryName>(method: M, params: QueryMethods[M]['params']): Promise<QueryMethods[M]['result']> {
    const r = await this.call('POST', '/api/query', { method, params }, this.o.requestTimeoutMs);
    return (JSON.parse(r.toString('utf8')) as { result: QueryMethods[M]['result'] }).result;
  }

  /**
   * Pages of export rows, streamed from the leader's POST /api/rows (NDJSON, one JSON array per line).
   * Pages are yielded as they arrive; the HTTP response is paused while the consumer writes.
   */
  async *rows(dataset: string, range: RangeSpec): AsyncIterable<Record<string, string | number | null>[]> {
    const res = await this.open('POST', '/api/rows', { dataset, range }, this.o.requestTimeoutMs);
    if (res.statusCode !== 200) {
      const text = await readAll(res);
      throw new LeaderApiError(res.statusCode, `leader /api/rows: HTTP ${res.statusCode} ${text.toString('utf8').trim()}`);
    }
    let buf = '';
    res.setEncoding('utf8');
    try {
      for await (const chunk of res as AsyncIterable<string>) {
        buf += chunk;
        let nl: number;
        while ((nl = buf.indexOf('\n')) >= 0) {
          const line = buf.slice(0, nl);
          buf = buf.slice(nl + 1);
          if (line.trim() !== '') yield JSON.parse(line) as Record<string, string | number | null>[];
        }
      }
    } finally {
      res.destroy();
    }
    if (!res.complete) throw new LeaderApiError(undefined, 'leader closed the row stream early', true);
    if (buf.trim() !== '') yield JSON.parse(buf) as Record<string, string | number | null>[];
  }

  /**
   * Long-polls /api/changes. onChange fires for every new dataVersion; onLost once when the leader
   * stops answering (connection refused/reset, timeout); then the loop ends. Returns a stop function.
   */
  watch(since: number, onChange: (dataVersion: number) => void, onLost: (why: Error) => void): () => void {
    let stopped = false;
    let current: http.ClientRequest | undefined;
    const loop = async () => {
      let v = since;
      while (!stopped) {
        try {
          const body = await this.call('GET', `/api/changes?since=${v}`, undefined, this.o.longPollTimeoutMs, (r) => (current = r));
          if (stopped) return;
          const next = (JSON.parse(body.toString('utf8')) as { dataVersion: number }).dataVersion;
          if (next !== v) {
            v = next;
            onChange(next);
          }
        } catch (e) {
          if (stopped) return;
          // Any failure of the long poll (refused, reset, timeout, 5xx) sends the window back to the
          // election; if the leader is still there the probe says "ours" and we simply follow again.
          onLost(e as Error);
          return;
        }
      }
    };
    void loop();
    return () => {
      stopped = true;
      current?.destroy();
    };
  }

  private async call(
    method: 'GET' | 'POST',
    path: string,
    body: unknown,
    timeoutMs: number,
    onRequest?: (r: http.ClientRequest) => void,
  ): Promise<Buffer> {
    const r = await request({ port: this.o.port, path, method, body, token: this.o.token, timeoutMs, onRequest });
    if (r.status !== 200) throw new LeaderApiError(r.status, `leader ${path.split('?')[0]}: HTTP ${r.status} ${r.body.toString('utf8').trim()}`);
    return r.body;
  }

  private open(method: 'GET' | 'POST', path: string, body: unknown, timeoutMs: number): Promise<http.IncomingMessage> {
    return new Promise((resolve, reject) => {
      const req = http.request(requestOptions(this.o.port, path, method, body, this.o.token), resolve);
      req.setTimeout(timeoutMs, () => req.destroy(new LeaderApiError(undefined, `leader ${path}: no answer in ${timeoutMs} ms`, true)));
      req.on('error', (e) => reject(asLeaderError(e, path)));
      req.end(body === undefined ? undefined : JSON.stringify(body));
    });
  }
}

function requestOptions(port: number, path: string, method: string, body: unknown, token?: string): http.RequestOptions {
  return {
    host: HOST,
    port,
    path,
    method,
    // A fresh connection per call: the long poll must not share a socket with queries, and a
    // vanished leader must surface as ECONNREFUSED at once rather than as a stale keep-alive socket.
    agent: false,
    headers: {
      ...(token ? { Authorization: `Bearer ${token}` } : {}),
      ...(body !== undefined ? { 'Content-Type': 'application/json' } : {}),
    },
  };
}

async function request(o: {
  port: number;
  path: string;
  method: 'GET' | 'POST';
  body?: unknown;
  token?: string;
  timeoutMs: number;
  onRequest?: (r: http.ClientRequest) => void;
}): Promise<{ status: number; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const req = http.request(requestOptions(o.port, o.path, o.method, o.body, o.token), (res) => {
      readAll(res).then((body) => resolve({ status: res.statusCode ?? 0, body }), (e: Error) => reject(asLeaderError(e, o.path)));
    });
    o.onRequest?.(req);
    req.setTimeout(o.timeoutMs, () => req.destroy(Object.assign(new Error(`no answer in ${o.timeoutMs} ms`), { code: 'ETIMEDOUT' })));
    req.on('error', (e) => reject(e));
    req.end(o.body === undefined ? undefined : JSON.stringify(o.body));
  });
}

function asLeaderError(e: Error, path: string): LeaderApiError {
  if (e instanceof LeaderApiError) return e;
  return new LeaderApiError(undefined, `leader ${path}: ${e.message}`, true);
}

function readAll(res: http.IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    res.on('data', (c: Buffer) => chunks.push(c));
    res.on('end', () => resolve(Buffer.concat(chunks)));
    res.on('error', reject);
    res.on('aborted', () => reject(new Error('response aborted')));
  });
}
