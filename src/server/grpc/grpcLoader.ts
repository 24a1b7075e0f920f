// Starts the OTLP/gRPC receiver without importing @grpc/grpc-js here: the module (dist/grpc.js, built
// from ./otlpService.ts) is required only when the gRPC port is on. A failure never stops the leader:
// OTLP/HTTP keeps working and the answer says why gRPC is not listening (the tooltip and log show it).
import * as path from 'node:path';
import type { Logger } from '../../core/log';
import type { GrpcListenState } from '../../core/statusText';
import type { IngestSink } from '../ingest';
import type { GrpcReceiver, GrpcReceiverOptions } from './otlpService';

export type GrpcModule = { startGrpcReceiver(o: GrpcReceiverOptions): Promise<GrpcReceiver> };

export interface StartGrpcOptions {
  /** 0 = off. */
  port: number;
  sink: IngestSink;
  log: Logger;
  limits: GrpcReceiverOptions['limits'];
  /** Folder holding grpc.js (dist/); or `load` for tests running the TypeScript sources. */
  distDir?: string;
  load?: () => Promise<GrpcModule>;
}

export interface GrpcStart {
  state: GrpcListenState;
  receiver?: GrpcReceiver;
}

export async function startGrpcIfEnabled(o: StartGrpcOptions): Promise<GrpcStart> {
  if (o.port === 0) return { state: { kind: 'off' } };
  try {
    const started = Date.now();
    const mod = o.load ? await o.load() : (require(path.join(o.distDir ?? __dirname, 'grpc.js')) as GrpcModule);
    const receiver = await mod.startGrpcReceiver({ port: o.port, sink: o.sink, log: o.log, limits: o.limits });
    o.log.debug(`[grpc] started in ${Date.now() - started} ms`);
    return { state: { kind: 'listening', port: receiver.port }, receiver };
  } catch (err) {
    const message = grpcStartProblem(o.port, err);
    o.log.error(`[grpc] OTLP/gRPC is not listening: ${message}; OTLP/HTTP keeps working`);
    return { state: { kind: 'failed', port: o.port, message } };
  }
}

/** A clear sentence for a failed bind (grpc-js words EADDRINUSE as "No address added out of total 1 resolved"). */
export function grpcStartProblem(port: number, err: unknown): string {
  const text = (err as Error)?.message ?? String(err);
  if (/EADDRINUSE|address already in use/i.test(text)) return `port ${port} on 127.0.0.1 is already in use (another OpenTelemetry Collector?); set claudeLedger.grpcPort to a free port or 0`;
  if (/EACCES/i.test(text)) return `port ${port} on 127.0.0.1 is not allowed (EACCES); set claudeLedger.grpcPort to a port above 1023 or 0`;
  return text;
}
