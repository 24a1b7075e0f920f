// The pure half of the OTLP/gRPC receiver: the :authority rule (the same function as HTTP's Host check),
// ingest outcomes -> gRPC status per the OTLP spec, partial success in the response bytes, and the
// wording of a failed bind.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { otlpTypes } from '../../src/core/otlp/otlpSchema';
import { checkGrpcRequest, grpcAnswer, GRPC_STATUS, OTLP_GRPC_METHODS } from '../../src/server/grpc/grpcAnswer';
import { grpcStartProblem } from '../../src/server/grpc/grpcLoader';

test(':authority must name a loopback host with our port (HTTP/2 twin of the Host check)', () => {
  for (const ok of ['127.0.0.1:4317', 'localhost:4317', '[::1]:4317', 'LOCALHOST:4317']) assert.equal(checkGrpcRequest({ authority: ok, port: 4317 }), undefined, ok);
  for (const bad of ['evil.example:4317', '127.0.0.1:4318', '127.0.0.1', undefined, '']) {
    const p = checkGrpcRequest({ authority: bad, port: 4317 });
    assert.equal(p?.code, GRPC_STATUS.PERMISSION_DENIED, String(bad));
    assert.match(p?.details ?? '', /:authority/);
  }
});

test('outcomes map to the OTLP spec statuses: OK (+ partial success), INVALID_ARGUMENT, UNAVAILABLE', () => {
  const ok = grpcAnswer('logs', { kind: 'accepted', accepted: 3, rejected: 0 });
  assert.deepEqual(ok, { ok: true, response: Buffer.alloc(0) }, 'an empty ExportLogsServiceResponse');
  const partial = grpcAnswer('metrics', { kind: 'accepted', accepted: 3, rejected: 2, rejectMessage: 'points without time' });
  assert.ok(partial.ok);
  const t = otlpTypes();
  assert.deepEqual(t.metricsResponse.toObject(t.metricsResponse.decode(partial.response), { longs: Number }), {
    partialSuccess: { rejectedDataPoints: 2, errorMessage: 'points without time' },
  });
  assert.deepEqual(grpcAnswer('traces', { kind: 'decodeError', message: 'truncated' }), { ok: false, code: GRPC_STATUS.INVALID_ARGUMENT, details: 'truncated' });
  const down = grpcAnswer('traces', { kind: 'unavailable', message: 'worker exited', error: new Error('worker exited') });
  assert.equal(down.ok, false);
  assert.equal(!down.ok && down.code, GRPC_STATUS.UNAVAILABLE);
  assert.match(!down.ok ? down.details : '', /could not accept the data: worker exited/);
});

test('the Export method paths are the opentelemetry-proto collector services', () => {
  assert.deepEqual(OTLP_GRPC_METHODS, {
    logs: '/opentelemetry.proto.collector.logs.v1.LogsService/Export',
    metrics: '/opentelemetry.proto.collector.metrics.v1.MetricsService/Export',
    traces: '/opentelemetry.proto.collector.trace.v1.TraceService/Export',
  });
});

test('a failed bind is worded for the user', () => {
  const inUse = new Error('No address added out of total 1 resolved errors: [listen EADDRINUSE: address already in use 127.0.0.1:4317]');
  assert.match(grpcStartProblem(4317, inUse), /^port 4317 on 127\.0\.0\.1 is already in use .*claudeLedger\.grpcPort/);
  assert.match(grpcStartProblem(80, new Error('listen EACCES: permission denied')), /not allowed/);
  assert.equal(grpcStartProblem(1, new Error('something else')), 'something else');
});
