// OTLP/HTTP response bodies, encoded by hand so that the extension host's thread (which answers the
// exporter) never parses the protobuf schema: that happens only in the DB worker, which decodes.
import { Writer } from 'protobufjs/minimal';
import type { Signal } from './records';

export type Encoding = 'protobuf' | 'json';

/** The body could not be decoded; the message says what is wrong (sent back with HTTP 400). */
export class OtlpDecodeError extends Error {
  override name = 'OtlpDecodeError';
}

const COUNT_KEY: Record<Signal, string> = { logs: 'rejectedLogRecords', metrics: 'rejectedDataPoints', traces: 'rejectedSpans' };

/**
 * Export{Logs,Metrics,Trace}ServiceResponse: empty, or with partial_success (field 1) holding
 * rejected_* (field 1, int64) and error_message (field 2). The three messages share that layout.
 */
export function encodeResponse(signal: Signal, encoding: Encoding, rejected: number, message?: string): { body: Buffer; contentType: string } {
  const partial = rejected > 0 || !!message;
  if (encoding === 'json') {
    // proto3 JSON mapping: int64 as a string.
    const json = partial ? { partialSuccess: { [COUNT_KEY[signal]]: String(rejected), errorMessage: message ?? '' } } : {};
    return { body: Buffer.from(JSON.stringify(json)), contentType: 'application/json' };
  }
  if (!partial) return { body: Buffer.alloc(0), contentType: 'application/x-protobuf' };
  const w = Writer.create();
  w.uint32((1 << 3) | 2).fork();
  if (rejected > 0) w.uint32((1 << 3) | 0).int64(rejected);
  if (message) w.uint32((2 << 3) | 2).string(message);
  w.ldelim();
  return { body: Buffer.from(w.finish()), contentType: 'application/x-protobuf' };
}

/** google.rpc.Status { code = 1; message = 2 } for OTLP/HTTP error responses (3 = INVALID_ARGUMENT). */
export function encodeStatus(encoding: Encoding, code: number, message: string): { body: Buffer; contentType: string } {
  if (encoding === 'json') return { body: Buffer.from(JSON.stringify({ code, message })), contentType: 'application/json' };
  const w = Writer.create();
  w.uint32((1 << 3) | 0).int32(code);
  w.uint32((2 << 3) | 2).string(message);
  return { body: Buffer.from(w.finish()), contentType: 'application/x-protobuf' };
}
