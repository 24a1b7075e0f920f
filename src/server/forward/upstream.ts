// One OTLP/HTTP request to the upstream, bounded: gzip on the wire, a timeout for the whole exchange,
// the answer read up to a cap, redirects not followed. Returns what the retry policy needs.
import http from 'node:http';
import https from 'node:https';
import { promisify } from 'node:util';
import { gzip } from 'node:zlib';
import { otlpTypes } from '../../core/otlp/otlpSchema';
import type { Signal } from '../../core/otlp/records';
import type { Encoding } from '../../core/otlp/responses';
import { classifyStatus, parseRetryAfter, type Outcome, type RetryOptions } from '../../core/forward/retryPolicy';

const gzipAsync = promisify(gzip);

export interface SendOptions {
  url: string;
  signal: Signal;
  encoding: Encoding;
  payload: Uint8Array;
  headers: Record<string, string>;
  userAgent: string;
  timeoutMs: number;
  maxResponseBytes: number;
  retry: RetryOptions;
  /** Aborts the request (the forwarder is stopping). */
  abort?: AbortSignal;
}

export interface SendResult {
  outcome: Outcome;
  /** partial_success of an accepted request: rejected items and the upstream's message. */
  partial?: { rejected: number; message: string };
}

export async function sendToUpstream(o: SendOptions): Promise<SendResult> {
  // zlib runs on libuv's thread pool: this thread only waits.
  const body = await gzipAsync(o.payload);
  const u = new URL(o.url);
  const mod = u.protocol === 'https:' ? https : http;
  return new Promise<SendResult>((resolve) => {
    let done = false;
    const finish = (r: SendResult) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      o.abort?.removeEventListener('abort', onAbort);
      resolve(r);
    };
    const req = mod.request(u, {
      method: 'POST',
      headers: {
        ...o.headers,
        'Content-Type': o.encoding === 'json' ? 'application/json' : 'application/x-protobuf',
        'Content-Encoding': 'gzip',
        'Content-Length': String(body.length),
        'User-Agent': o.userAgent,
      },
    });
    const timer = setTimeout(() => {
      req.destroy(new Error(`no answer within ${o.timeoutMs} ms`));
    }, o.timeoutMs);
    const onAbort = () => req.destroy(new Error('forwarder stopping'));
    o.abort?.addEventListener('abort', onAbort);
    req.on('error', (err) => finish({ outcome: { kind: 'retry', why: networkError(err) } }));
    req.on('response', (res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      let cut = false;
      res.on('data', (c: Buffer) => {
        if (cut) return;
        if (size + c.length > o.maxResponseBytes) {
          chunks.push(c.subarray(0, o.maxResponseBytes - size));
          size = o.maxResponseBytes;
          cut = true;
          res.destroy(); // the rest is not read; the answer so far is enough
          settle();
          return;
        }
        chunks.push(c);
        size += c.length;
      });
      res.on('end', settle);
      res.on('error', () => settle());
      function settle(): void {
        const status = res.statusCode ?? 0;
        const text = Buffer.concat(chunks);
        const type = String(res.headers['content-type'] ?? '');
        const kind = classifyStatus(status);
        if (kind === 'accepted') {
          finish({ outcome: { kind: 'accepted' }, partial: partialSuccess(o.signal, type, text) });
          return;
        }
        const where = status >= 300 && status < 400 ? `redirect to ${String(res.headers.location ?? '?')} not followed` : errorMessage(type, text);
        const why = `HTTP ${status}${where ? `: ${where}` : ''}`;
        if (kind === 'retry') {
          const header = res.headers['retry-after'];
          finish({ outcome: { kind: 'retry', why, retryAfterMs: parseRetryAfter(Array.isArray(header) ? header[0] : header, Date.now(), o.retry.maxRetryAfterMs) } });
        } else finish({ outcome: { kind: 'reject', why } });
      }
    });
    req.end(body);
  });
}

function networkError(err: Error): string {
  const code = (err as NodeJS.ErrnoException).code;
  return code ? `${code}: ${err.message}` : err.message;
}

/** The upstream's message from a google.rpc.Status (protobuf or JSON) or a text body; bounded. */
export function errorMessage(contentType: string, body: Buffer): string {
  if (body.length === 0) return '';
  try {
    if (contentType.includes('protobuf')) {
      const s = otlpTypes().rpcStatus.decode(body) as unknown as { message?: string };
      if (s.message) return clip(s.message);
    } else if (contentType.includes('json')) {
      const s = JSON.parse(body.toString('utf8')) as { message?: unknown };
      if (typeof s.message === 'string') return clip(s.message);
    }
  } catch {
    // not what it said it was: show it as text
  }
  return clip(body.toString('utf8'));
}

/** partial_success of an Export*ServiceResponse (protobuf or JSON); undefined when there is none. */
export function partialSuccess(signal: Signal, contentType: string, body: Buffer): { rejected: number; message: string } | undefined {
  if (body.length === 0) return undefined;
  try {
    let p: Record<string, unknown> | undefined;
    if (contentType.includes('json')) p = (JSON.parse(body.toString('utf8')) as { partialSuccess?: Record<string, unknown>; partial_success?: Record<string, unknown> }).partialSuccess ?? undefined;
    else {
      const t = otlpTypes();
      const type = signal === 'logs' ? t.logsResponse : signal === 'metrics' ? t.metricsResponse : t.traceResponse;
      p = (type.toObject(type.decode(body), { longs: Number }) as { partialSuccess?: Record<string, unknown> }).partialSuccess;
    }
    if (!p) return undefined;
    const count = Number(p.rejectedLogRecords ?? p.rejectedDataPoints ?? p.rejectedSpans ?? 0);
    const message = typeof p.errorMessage === 'string' ? p.errorMessage : '';
    if (!(count > 0) && message === '') return undefined;
    return { rejected: Number.isFinite(count) ? count : 0, message: clip(message) };
  } catch {
    return undefined;
  }
}

function clip(s: string): string {
  // eslint-disable-next-line no-control-regex
  const one = s.replace(/[\u0000-\u001f\u007f]+/g, ' ').trim();
  return one.length > 300 ? `${one.slice(0, 297)}...` : one;
}
