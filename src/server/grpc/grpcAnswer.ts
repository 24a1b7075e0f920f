// The pure half of the OTLP/gRPC receiver (no @grpc/grpc-js import, so it is unit-tested as is and the
// host bundle never pulls grpc-js in): the checks before ingest and the mapping of ingestBody's outcome
// to a gRPC answer, per the OTLP spec (INVALID_ARGUMENT is permanent, UNAVAILABLE is retried,
// RESOURCE_EXHAUSTED for a message over the caps, partial success inside the Export*ServiceResponse).
import type { Signal } from '../../core/otlp/records';
import { encodeResponse } from '../../core/otlp/responses';
import type { IngestOutcome } from '../ingest';
import { hostProblem } from '../http/edge';

/** The gRPC status codes we answer with (grpc/doc/statuscodes.md). */
export const GRPC_STATUS = {
  OK: 0,
  INVALID_ARGUMENT: 3,
  RESOURCE_EXHAUSTED: 8,
  PERMISSION_DENIED: 7,
  UNIMPLEMENTED: 12,
  UNAVAILABLE: 14,
} as const;

/** The OTLP/gRPC Export method of each signal (opentelemetry-proto collector/*\/v1). */
export const OTLP_GRPC_METHODS: Record<Signal, string> = {
  logs: '/opentelemetry.proto.collector.logs.v1.LogsService/Export',
  metrics: '/opentelemetry.proto.collector.metrics.v1.MetricsService/Export',
  traces: '/opentelemetry.proto.collector.trace.v1.TraceService/Export',
};

export type GrpcAnswer =
  | { ok: true; response: Buffer }
  | { ok: false; code: number; details: string };

export interface GrpcCheckInput {
  /** The HTTP/2 :authority (grpc-js call.getHost()). */
  authority: string | undefined;
  /** Our port (known after bind). */
  port: number;
}

/**
 * A refusal before ingest, or undefined. Sizes are not checked here: grpc-js applies
 * grpc.max_receive_message_length (set to ReceiverLimits.maxDecompressedBytes) to the message on the
 * wire and again while inflating it, destroying the inflater past the cap (a gzip bomb is cut off).
 * It strips grpc-encoding before a handler sees the call, so a separate, smaller wire cap for
 * compressed messages (HTTP's maxBodyBytes) cannot be applied: on gRPC the wire cap is the inflated cap.
 */
export function checkGrpcRequest(i: GrpcCheckInput): { code: number; details: string } | undefined {
  const host = hostProblem(i.authority, i.port);
  if (host !== undefined) return { code: GRPC_STATUS.PERMISSION_DENIED, details: `:authority ${host.replace(/^Host /, '')}` };
  return undefined;
}

/** ingestBody's outcome -> the gRPC answer (OK only for 'accepted', i.e. after the journal fsync). */
export function grpcAnswer(signal: Signal, outcome: IngestOutcome): GrpcAnswer {
  switch (outcome.kind) {
    case 'accepted': {
      const r = encodeResponse(signal, 'protobuf', outcome.rejected, outcome.rejected > 0 ? outcome.rejectMessage : undefined);
      return { ok: true, response: r.body };
    }
    case 'decodeError':
      return { ok: false, code: GRPC_STATUS.INVALID_ARGUMENT, details: outcome.message };
    case 'unavailable':
      // Not acknowledged: the exporter retries UNAVAILABLE, and nothing acknowledged is lost.
      return { ok: false, code: GRPC_STATUS.UNAVAILABLE, details: `the store could not accept the data: ${outcome.message}` };
  }
}
