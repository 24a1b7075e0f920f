// A minimal OTLP/HTTP capture server on 127.0.0.1: records (path, headers, raw body) and answers
// 200 with an empty Export*ServiceResponse. It is a development and test aid, independent of our
// receiver, so the CLI runner can be checked (and payloads saved) without the product code.
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gunzipSync } from 'node:zlib';

export interface CapturedRequest {
  seq: number;
  method: string;
  path: string;
  headers: Record<string, string>;
  /** Raw body exactly as received (still gzip-compressed when content-encoding says so). */
  body: Buffer;
  receivedAtMs: number;
}

export interface OtlpCapture {
  /** Base endpoint for OTEL_EXPORTER_OTLP_ENDPOINT (the exporter appends /v1/<signal>). */
  endpoint: string;
  port: number;
  requests: CapturedRequest[];
  reset(): void;
  close(): Promise<void>;
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const parts: Buffer[] = [];
    req.on('data', (c: Buffer) => parts.push(c));
    req.on('end', () => resolve(Buffer.concat(parts)));
    req.on('error', reject);
  });
}

export async function startOtlpCapture(opts: { port?: number } = {}): Promise<OtlpCapture> {
  let requests: CapturedRequest[] = [];
  const server: Server = createServer((req, res) => {
    readBody(req).then(
      (body) => {
        const headers: Record<string, string> = {};
        for (const [k, v] of Object.entries(req.headers)) if (v !== undefined) headers[k] = Array.isArray(v) ? v.join(', ') : v;
        requests.push({
          seq: requests.length,
          method: req.method ?? '',
          path: (req.url ?? '/').split('?')[0],
          headers,
          body,
          receivedAtMs: Date.now(),
        });
        const json = (headers['content-type'] ?? '').includes('json');
        res.writeHead(200, { 'content-type': json ? 'application/json' : 'application/x-protobuf' });
        res.end(json ? '{}' : undefined);
      },
      (err: unknown) => {
        process.stderr.write(`[otlpCapture] read failed: ${String(err)}\n`);
        res.writeHead(400);
        res.end();
      },
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    port,
    get requests() {
      return requests;
    },
    reset() {
      requests = [];
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((err) => (err ? reject(err) : resolve()));
      }),
  };
}

/** The signal of a captured request from its path (`/v1/logs` -> logs), or undefined. */
export function signalOf(path: string): 'logs' | 'metrics' | 'traces' | undefined {
  const m = /\/v1\/(logs|metrics|traces)$/.exec(path);
  return m ? (m[1] as 'logs' | 'metrics' | 'traces') : undefined;
}

/** The body with content-encoding undone (gzip only; Claude Code's exporter knows no other). */
export function plainBody(r: CapturedRequest): Buffer {
  const enc = (r.headers['content-encoding'] ?? '').toLowerCase();
  if (enc === '' || enc === 'identity') return r.body;
  if (enc === 'gzip') return gunzipSync(r.body);
  throw new Error(`otlpCapture: unsupported content-encoding "${enc}" on ${r.path}`);
}
