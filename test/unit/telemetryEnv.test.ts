import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mergeResourceAttributes, OUR_ENV_KEYS, shellExportLines, telemetryEnv } from '../../src/core/telemetryEnv';

const base = { port: 4318, token: 'a'.repeat(64), toolDetails: true, prompts: false };

test('env block: telemetry on, three OTLP exporters, protobuf, loopback endpoint with the port, short intervals', () => {
  const env = telemetryEnv({ ...base, port: 5123, repoName: 'acme-web' });
  assert.deepEqual(env, {
    CLAUDE_CODE_ENABLE_TELEMETRY: '1',
    CLAUDE_CODE_ENHANCED_TELEMETRY_BETA: '1',
    OTEL_METRICS_EXPORTER: 'otlp',
    OTEL_LOGS_EXPORTER: 'otlp',
    OTEL_TRACES_EXPORTER: 'otlp',
    OTEL_EXPORTER_OTLP_PROTOCOL: 'http/protobuf',
    OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:5123',
    OTEL_METRIC_EXPORT_INTERVAL: '5000',
    OTEL_LOGS_EXPORT_INTERVAL: '1000',
    OTEL_TRACES_EXPORT_INTERVAL: '1000',
    OTEL_LOG_TOOL_DETAILS: '1',
    OTEL_RESOURCE_ATTRIBUTES: 'repo.name=acme-web',
    CLAUDE_LEDGER_TOKEN: 'a'.repeat(64),
    CLAUDE_LEDGER_MCP_URL: 'http://127.0.0.1:5123/mcp',
  });
});

test('prompts only when opted in; tool details follow the setting', () => {
  assert.equal(telemetryEnv(base).OTEL_LOG_USER_PROMPTS, undefined);
  assert.equal(telemetryEnv({ ...base, prompts: true }).OTEL_LOG_USER_PROMPTS, '1');
  assert.equal(telemetryEnv({ ...base, toolDetails: false }).OTEL_LOG_TOOL_DETAILS, undefined);
});

test('every key we set is in OUR_ENV_KEYS (what Remove takes out)', () => {
  const env = telemetryEnv({ ...base, prompts: true, repoName: 'x' });
  for (const k of Object.keys(env)) assert.ok((OUR_ENV_KEYS as readonly string[]).includes(k), k);
});

test('resource attributes: user value kept, repo.name merged and percent-encoded', () => {
  assert.equal(mergeResourceAttributes('team.id=platform', 'acme web'), 'team.id=platform,repo.name=acme%20web');
  assert.equal(mergeResourceAttributes('repo.name=old, team.id=x ,', 'new,one'), 'team.id=x,repo.name=new%2Cone');
  assert.equal(mergeResourceAttributes(undefined, undefined), undefined);
  assert.equal(mergeResourceAttributes('team.id=p', undefined), 'team.id=p');
  // No workspace: no attribute at all (not an empty value).
  assert.equal(telemetryEnv(base).OTEL_RESOURCE_ATTRIBUTES, undefined);
});

test('shell export lines are single-quoted where needed', () => {
  const text = shellExportLines({ A: '1', B: "it's a b", C: undefined });
  assert.equal(text, "export A=1\nexport B='it'\\''s a b'\n");
});
