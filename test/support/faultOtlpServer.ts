// A fault-injecting OTLP/HTTP upstream for the forwarding tests: answers each request with the next
// scripted action (a status with Retry-After / body, a connection reset, a stall that never answers), then
// 200. It records every request (path, headers, gunzipped body) and lets a test wait for the n-th one,
// so tests wait on requests received, never on sleeps. Tests only.
import http from 'node:http';
import type net from 'node:net';
import { gunzipSync } from 'node:zlib';

export type FaultAction =
  | { status: number; retryAfter?: string; body?: Buffer | string; contentType?: string }
  | { reset: true }
  | { stall: true };

export interface ReceivedRequest {
  path: string;
  headers: http.IncomingHttpHeaders;
  /** The body after gunzip (what the forwarder sent before compression). */
  body: Buffer;
  /** Bytes on the wire. */
  wireBytes: number;
  /** How it was answered: `200`, `429`, `reset`, `stall`... */
  answer: string;
}

export class FaultOtlpServer {
  readonly received: ReceivedRequest[] = [];
  /** Actions for the next requests, in order; when empty every request gets 200 (empty protobuf). */
  script: FaultAction[] = [];
  private waiters: { n: number; resolve: () => void }[] = [];
  private sockets = new Set<net.Socket>();

  private constructor(
    private readonly server: http.Server,
    readonly port: number,
  ) {}

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  static start(port = 0): Promise<FaultOtlpServer> {
    return new Promise((resolve, reject) => {
      let self: FaultOtlpServer;
      const server = http.createServer((req, res) => self.handle(req, res));
      server.on('connection', (s) => {
        self.sockets.add(s);
        s.on('close', () => self.sockets.delete(s));
      });
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => {
        self = new FaultOtlpServer(server, (server.address() as net.AddressInfo).port);
        resolve(self);
      });
    });
  }

  /** Resolves once `n` requests in all have been received (now or later). */
  waitForRequests(n: number): Promise<void> {
    if (this.received.length >= n) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push({ n, resolve }));
  }

  private handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const wire = Buffer.concat(chunks);
      const body = req.headers['content-encoding'] === 'gzip' ? gunzipSync(wire) : wire;
      const action = this.script.shift() ?? { status: 200 };
      const answer = 'reset' in action ? 'reset' : 'stall' in action ? 'stall' : String(action.status);
      this.received.push({ path: req.url ?? '', headers: req.headers, body, wireBytes: wire.length, answer });
      if ('reset' in action) req.socket.resetAndDestroy();
      else if (!('stall' in action)) {
        const headers: http.OutgoingHttpHeaders = { 'Content-Type': action.contentType ?? 'application/x-protobuf' };
        if (action.retryAfter !== undefined) headers['Retry-After'] = action.retryAfter;
        res.writeHead(action.status, headers);
        res.end(action.body ?? '');
      }
      this.waiters = this.waiters.filter((w) => {
        if (this.received.length < w.n) return true;
        w.resolve();
        return false;
      });
    });
  }

  close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}
