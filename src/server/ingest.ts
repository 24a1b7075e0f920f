// The transport-neutral ingest step: bytes of one OTLP export request (already decompressed) -> the
// store, with the answer as a value. OTLP/HTTP (http/otlpRoutes.ts) maps it to 200/400/503; an OTLP/gRPC
// service or the transcript importer map the same three outcomes to their own answers.
//
// Durability invariant: 'accepted' is returned only after the store has journaled the body (fsync), so
// a transport may acknowledge it; 'unavailable' must not be acknowledged (the sender retries).
import type { Signal } from '../core/otlp/records';
import { OtlpDecodeError, type Encoding } from '../core/otlp/responses';

export interface IngestResult {
  accepted: number;
  rejected: number;
  rejectMessage?: string;
}

/** What ingest needs from the store (StoreClient satisfies it). */
export interface IngestSink {
  ingest(signal: Signal, encoding: Encoding, body: Uint8Array): Promise<IngestResult>;
}

export type IngestOutcome =
  /** Journaled; `rejected` items were invalid and are reported back as partial success. */
  | ({ kind: 'accepted' } & IngestResult)
  /** The body is not an OTLP request of this signal: the sender must not retry it. */
  | { kind: 'decodeError'; message: string }
  /** The store could not take it (worker gone, disk full): nothing was acknowledged, retry later. */
  | { kind: 'unavailable'; message: string; error: unknown };

export async function ingestBody(store: IngestSink, signal: Signal, encoding: Encoding, bytes: Uint8Array): Promise<IngestOutcome> {
  try {
    return { kind: 'accepted', ...(await store.ingest(signal, encoding, bytes)) };
  } catch (err) {
    // The worker boundary loses the class; the name survives it.
    if (err instanceof OtlpDecodeError || (err as Error)?.name === 'OtlpDecodeError') return { kind: 'decodeError', message: (err as Error).message };
    return { kind: 'unavailable', message: (err as Error)?.message ?? String(err), error: err };
  }
}
