// OTLP/gRPC receiver: unary Export for logs, metrics and traces on 127.0.0.1 (4317 by default), over
// the same transport-neutral ingest as OTLP/HTTP (../ingest.ts). Bundled apart (dist/grpc.js) and
// loaded only when the gRPC port is on (./grpcLoader.ts), so @grpc/grpc-js costs nothing at activation.
//
// The service definitions use identity (de)serializers: the protobuf bytes go to ingestBody unchanged
// (our decoder checks every field's wire type, so the wrong message is INVALID_ARGUMENT, not garbage),
// and the Export*ServiceResponse bytes come from the same encoder as HTTP's.
//
// Invariants: OK is sent only after the store journaled the message (fsync), exactly like HTTP's 200;
// an unknown method is UNIMPLEMENTED (grpc-js); the inflated cap is grpc.max_receive_message_length,
// which grpc-js applies to the wire message and while inflating (a gzip bomb is cut off, not inflated);
// the server binds a loopback address only and checks :authority (the same rule as HTTP's Host check).
import * as grpc from '@grpc/grpc-js';
import type { Logger } from '../../core/log';
import { tagged } from '../../core/log';
import type { Signal } from '../../core/otlp/records';
import { ingestBody, type IngestSink } from '../ingest';
import { checkGrpcRequest, grpcAnswer, OTLP_GRPC_METHODS } from './grpcAnswer';

export interface GrpcReceiverOptions {
  port: number;
  host?: string;
  sink: IngestSink;
  log: Logger;
  /** From ReceiverLimits: the inflated cap (also the wire cap on gRPC, see grpcAnswer.ts) and the time cap. */
  limits: { maxDecompressedBytes: number; bodyTimeoutMs: number };
}

export interface GrpcReceiver {
  readonly port: number;
  readonly url: string;
  /** Stops accepting, lets calls in flight finish (bounded), then closes. */
  close(): Promise<void>;
}

/** How long close() lets calls in flight finish (each waits at most for one journal fsync). */
const CLOSE_GRACE_MS = 5_000;

const identity = (b: Buffer): Buffer => b;

function exportService(signal: Signal): grpc.ServiceDefinition {
  return {
    Export: {
      path: OTLP_GRPC_METHODS[signal],
      requestStream: false,
      responseStream: false,
      requestSerialize: identity,
      requestDeserialize: identity,
      responseSerialize: identity,
      responseDeserialize: identity,
      originalName: 'export',
    },
  };
}

/**
 * The time cap of HTTP's body reader (ReceiverLimits.bodyTimeoutMs, slowloris), for gRPC: a call whose
 * request message has not fully arrived within it is answered DEADLINE_EXCEEDED, which ends the stream.
 * The clock stops when the message is in; the store's own time is not counted.
 */
function messageTimeCap(ms: number): grpc.ServerInterceptor {
  return (_method, call) => {
    let timer: NodeJS.Timeout | undefined;
    const stop = () => clearTimeout(timer);
    return new grpc.ServerInterceptingCall(
      call,
      new grpc.ResponderBuilder()
        .withStart((next) => {
          timer = setTimeout(() => call.sendStatus({ code: grpc.status.DEADLINE_EXCEEDED, details: `the request message did not arrive within ${ms} ms` }), ms);
          next(
            new grpc.ServerListenerBuilder()
              .withOnReceiveMessage((message, nextMessage) => {
                stop();
                nextMessage(message);
              })
              .withOnCancel(stop)
              .build(),
          );
        })
        .withSendStatus((status, nextStatus) => {
          stop();
          nextStatus(status);
        })
        .build(),
    );
  };
}

export async function startGrpcReceiver(o: GrpcReceiverOptions): Promise<GrpcReceiver> {
  const host = o.host ?? '127.0.0.1';
  if (!['127.0.0.1', '::1', 'localhost'].includes(host)) throw new Error(`refusing to listen on ${host}: loopback only`);
  const log = tagged(o.log, 'grpc');
  // grpc-js writes its own errors to console.error (the extension host's console): into our log instead.
  const say = (...a: unknown[]) => log.debug(`grpc-js: ${a.map(String).join(' ')}`);
  grpc.setLogger({ error: say, info: say, debug: say } as Partial<Console>);
  let port = o.port;
  const server = new grpc.Server({
    interceptors: [messageTimeCap(o.limits.bodyTimeoutMs)],
    // One number for the wire message and the inflated one (grpc-js checks both): the inflated cap.
    'grpc.max_receive_message_length': o.limits.maxDecompressedBytes,
    // Our answers are an empty message or a partial-success line.
    'grpc.max_send_message_length': 64 * 1024,
    // A connection is closed after this idle time; exporters reconnect on their next export.
    'grpc.max_connection_idle_ms': 5 * 60_000,
  });

  for (const signal of ['logs', 'metrics', 'traces'] as const) {
    const handler: grpc.handleUnaryCall<Buffer, Buffer> = (call, callback) => {
      log.trace(`${signal}: ${call.request.byteLength} bytes from ${call.getPeer()}`);
      const problem = checkGrpcRequest({ authority: call.getHost(), port });
      if (problem) {
        log.warn(`${signal}: refused (${grpc.status[problem.code]}): ${problem.details}`);
        callback({ code: problem.code, details: problem.details });
        return;
      }
      ingestBody(o.sink, signal, 'protobuf', call.request).then(
        (outcome) => {
          const a = grpcAnswer(signal, outcome);
          if (!a.ok) {
            if (outcome.kind === 'unavailable') log.error(`ingest failed, answering UNAVAILABLE: ${(outcome.error as Error)?.stack ?? outcome.message}`);
            else log.warn(`${signal}: INVALID_ARGUMENT: ${a.details}`);
            callback({ code: a.code, details: a.details });
            return;
          }
          if (outcome.kind === 'accepted' && outcome.rejected > 0) log.warn(`${signal}: rejected ${outcome.rejected} item(s): ${outcome.rejectMessage ?? ''}`);
          callback(null, a.response);
        },
        (err: unknown) => {
          // ingestBody answers with a value; this is a bug, never an acknowledgement.
          log.error(`${signal}: ${(err as Error)?.stack ?? String(err)}`);
          callback({ code: grpc.status.INTERNAL, details: 'internal error' });
        },
      );
    };
    server.addService(exportService(signal), { Export: handler });
  }

  port = await new Promise<number>((resolve, reject) => {
    server.bindAsync(`${host === '::1' ? '[::1]' : host}:${o.port}`, grpc.ServerCredentials.createInsecure(), (err, bound) => (err ? reject(err) : resolve(bound)));
  }).catch((err: unknown) => {
    server.forceShutdown();
    throw err;
  });
  log.info(`listening on 127.0.0.1:${port} (OTLP/gRPC)`);

  return {
    get port() {
      return port;
    },
    get url() {
      return `http://127.0.0.1:${port}`;
    },
    close: () =>
      new Promise<void>((resolve) => {
        const force = setTimeout(() => server.forceShutdown(), CLOSE_GRACE_MS);
        server.tryShutdown(() => {
          clearTimeout(force);
          resolve();
        });
      }),
  };
}
