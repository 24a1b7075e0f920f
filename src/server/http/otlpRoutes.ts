// OTLP/HTTP ingest: POST /v1/logs, /v1/metrics, /v1/traces (protobuf or JSON, plain/gzip/deflate).
// No token (Claude Code's exporter sends none); the edge's Host check and "no Origin" policy keep web
// pages out. The transport-neutral step is ingestBody (../ingest.ts); this file only maps HTTP to it.
import type * as http from 'node:http';
import type { Logger } from '../../core/log';
import type { Signal } from '../../core/otlp/records';
import { encodeResponse, encodeStatus, type Encoding } from '../../core/otlp/responses';
import { ingestBody, type IngestSink } from '../ingest';
import { checkMethod, checkOrigin, HttpError, readBody, textErrorBody, type BodyCaps, type ErrorBody, type Route } from './edge';

export interface OtlpRouteOptions {
  sink: IngestSink;
  /** Our port (known after listen). */
  port(): number;
  caps: BodyCaps;
  log: Logger;
}

/** OTLP errors are a google.rpc.Status in the request's encoding (8 = RESOURCE_EXHAUSTED, 3 = INVALID_ARGUMENT). */
const otlpErrorBody: ErrorBody = (e, req) => {
  const enc = encodingOrUndefined(req.headers['content-type']);
  return enc ? encodeStatus(enc, e.status === 413 ? 8 : 3, e.message) : textErrorBody(e, req);
};

export function otlpRoutes(o: OtlpRouteOptions): Record<string, Route> {
  const route = (signal: Signal): Route => ({
    errorBody: otlpErrorBody,
    async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
      checkOrigin(req, o.port(), 'refuse', 'OTLP ingest');
      checkMethod(req, 'POST');
      const encoding = encodingOf(req.headers['content-type']);
      const outcome = await ingestBody(o.sink, signal, encoding, await readBody(req, o.caps));
      if (outcome.kind === 'decodeError') {
        o.log.warn(`400 ${req.url}: ${outcome.message}`);
        const s = encodeStatus(encoding, 3, outcome.message);
        res.writeHead(400, { 'Content-Type': s.contentType });
        res.end(s.body);
        return;
      }
      if (outcome.kind === 'unavailable') {
        // Not acknowledged: the exporter retries on 503 and nothing acknowledged is lost.
        o.log.error(`ingest failed, answering 503: ${(outcome.error as Error)?.stack ?? outcome.message}`);
        const s = encodeStatus(encoding, 14, `the store could not accept the data: ${outcome.message}`);
        res.writeHead(503, { 'Content-Type': s.contentType, 'Retry-After': '2' });
        res.end(s.body);
        return;
      }
      if (outcome.rejected > 0) o.log.warn(`${signal}: rejected ${outcome.rejected} item(s): ${outcome.rejectMessage ?? ''}`);
      const r = encodeResponse(signal, encoding, outcome.rejected, outcome.rejected > 0 ? outcome.rejectMessage : undefined);
      res.writeHead(200, { 'Content-Type': r.contentType });
      res.end(r.body);
    },
  });
  return { '/v1/logs': route('logs'), '/v1/metrics': route('metrics'), '/v1/traces': route('traces') };
}

function encodingOrUndefined(ct: string | undefined): Encoding | undefined {
  const type = (ct ?? '').split(';')[0].trim().toLowerCase();
  if (type === 'application/x-protobuf' || type === 'application/protobuf') return 'protobuf';
  if (type === 'application/json') return 'json';
  return undefined;
}

function encodingOf(ct: string | undefined): Encoding {
  const enc = encodingOrUndefined(ct);
  if (!enc) throw new HttpError(415, `unsupported Content-Type "${ct ?? ''}": use application/x-protobuf or application/json`);
  return enc;
}
