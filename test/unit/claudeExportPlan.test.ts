// Which protocol Claude Code will use per signal (its settings' env beats the env we inject) and where
// our injected env must therefore point it: HTTP port, gRPC port, or per-signal endpoints for a mix.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { managedSettingsPath, planExport, settingsEnv } from '../../src/core/claudeExportPlan';
import { OUR_ENV_KEYS, telemetryEnv } from '../../src/core/telemetryEnv';

const ports = { http: 4318, grpc: 4317 };

test('nothing set anywhere: OTLP/HTTP protobuf on the HTTP port, no per-signal endpoints, nothing to say', () => {
  const p = planExport({}, ports);
  assert.deepEqual(p, {
    protocols: { logs: 'http/protobuf', metrics: 'http/protobuf', traces: 'http/protobuf' },
    protocol: 'http/protobuf',
    endpoint: 'http://127.0.0.1:4318',
    signalEndpoints: {},
    notes: [],
  });
  // The inherited general protocol does not count: our injected value replaces it in terminals.
  assert.equal(planExport({ inherited: { OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc' } }, ports).endpoint, 'http://127.0.0.1:4318');
});

test('grpc in the user settings or managed settings: every signal to the gRPC port', () => {
  for (const layer of ['user', 'managed'] as const) {
    const p = planExport({ [layer]: { OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc' } }, ports);
    assert.equal(p.protocol, 'grpc');
    assert.equal(p.endpoint, 'http://127.0.0.1:4317');
    assert.deepEqual(p.signalEndpoints, {});
    assert.match(p.notes.join('\n'), new RegExp(`logs grpc, metrics grpc, traces grpc \\(from ${layer === 'user' ? 'Claude Code user settings' : 'managed settings'}\\)`));
  }
  // Managed beats user (Claude Code's precedence).
  assert.equal(planExport({ managed: { OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json' }, user: { OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc' } }, ports).protocol, 'http/json');
});

test('a mix of protocols per signal gets per-signal endpoints (HTTP ones with their /v1 path)', () => {
  // logs over gRPC (per-signal protocol, even from the inherited environment), the rest over HTTP.
  const p = planExport({ inherited: { OTEL_EXPORTER_OTLP_LOGS_PROTOCOL: 'grpc' } }, ports);
  assert.deepEqual(p.protocols, { logs: 'grpc', metrics: 'http/protobuf', traces: 'http/protobuf' });
  assert.equal(p.endpoint, 'http://127.0.0.1:4318');
  assert.deepEqual(p.signalEndpoints, { logs: 'http://127.0.0.1:4317' });
  // general grpc in settings, metrics over HTTP: the general endpoint must serve HTTP, gRPC signals get theirs.
  const q = planExport({ user: { OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc', OTEL_EXPORTER_OTLP_METRICS_PROTOCOL: 'http/protobuf' } }, ports);
  assert.deepEqual(q.protocols, { logs: 'grpc', metrics: 'http/protobuf', traces: 'grpc' });
  assert.equal(q.endpoint, 'http://127.0.0.1:4318');
  assert.deepEqual(q.signalEndpoints, { logs: 'http://127.0.0.1:4317', traces: 'http://127.0.0.1:4317' });
  // And the env block carries them (all keys are ones Remove takes out).
  const env = telemetryEnv({ port: 4318, token: 't'.repeat(64), toolDetails: true, prompts: false, plan: q });
  assert.equal(env.OTEL_EXPORTER_OTLP_LOGS_ENDPOINT, 'http://127.0.0.1:4317');
  assert.equal(env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT, 'http://127.0.0.1:4317');
  assert.equal(env.OTEL_EXPORTER_OTLP_METRICS_ENDPOINT, undefined);
  for (const k of Object.keys(env)) assert.ok((OUR_ENV_KEYS as readonly string[]).includes(k), k);
});

test('gRPC asked for while claudeLedger.grpcPort is 0: said in a note, HTTP endpoint kept', () => {
  const p = planExport({ user: { OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc' } }, { http: 4318, grpc: 0 });
  assert.equal(p.endpoint, 'http://127.0.0.1:4318');
  assert.match(p.notes.join('\n'), /send logs over OTLP\/gRPC, but claudeLedger.grpcPort is 0/);
});

test('endpoints fixed by settings (an organisation\'s collector) are named in a note; ours are not', () => {
  const p = planExport({ managed: { OTEL_EXPORTER_OTLP_ENDPOINT: 'https://otel.example.com:4317', OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc' } }, ports);
  assert.match(p.notes.join('\n'), /OTEL_EXPORTER_OTLP_ENDPOINT is fixed to https:\/\/otel.example.com:4317 by managed settings: Claude Code sends there, not to this ledger/);
  const ours = planExport({ user: { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:4318' } }, ports);
  assert.deepEqual(ours.notes, [], 'Set Up Everywhere\'s own endpoint is not a problem');
  const sig = planExport({ inherited: { OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'https://tempo.example/v1/traces' } }, ports);
  assert.match(sig.notes.join('\n'), /OTEL_EXPORTER_OTLP_TRACES_ENDPOINT is set to https:\/\/tempo.example\/v1\/traces by the environment/);
  assert.match(planExport({ user: { OTEL_EXPORTER_OTLP_PROTOCOL: 'carrier-pigeon' } }, ports).notes.join('\n'), /not grpc, http\/protobuf or http\/json/);
});

test('settings files: env read leniently (missing, broken, odd -> none), managed path per platform', () => {
  assert.deepEqual(settingsEnv('{"env":{"OTEL_EXPORTER_OTLP_PROTOCOL":"grpc"},"model":"x"}'), { OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc' });
  for (const t of [undefined, '', '{', '[]', '{"env":[1]}', '{"env":"x"}', 'null']) assert.equal(settingsEnv(t), undefined, String(t));
  assert.equal(managedSettingsPath('linux'), '/etc/claude-code/managed-settings.json');
  assert.equal(managedSettingsPath('darwin'), '/Library/Application Support/ClaudeCode/managed-settings.json');
  assert.match(managedSettingsPath('win32'), /ClaudeCode\\managed-settings\.json$/);
});
