import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ClaudeSettingsError, describeChanges, mergeEnvIntoSettings, removeEnvFromSettings } from '../../src/core/claudeSettings';
import { OUR_ENV_KEYS } from '../../src/core/telemetryEnv';

const ours = { CLAUDE_CODE_ENABLE_TELEMETRY: '1', OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:4318', CLAUDE_LEDGER_TOKEN: 'abcdef0123456789' };
const user = {
  model: 'opus',
  permissions: { allow: ['Bash(ls:*)'], deny: [] },
  env: { FOO: 'bar', OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318' },
  hooks: { PreToolUse: [{ matcher: 'Bash', hooks: [{ type: 'command', command: 'x' }] }] },
};

test('merge keeps every other key and reports add/change', () => {
  const edit = mergeEnvIntoSettings(JSON.stringify(user), ours);
  const out = JSON.parse(edit.text);
  assert.deepEqual(out.permissions, user.permissions);
  assert.deepEqual(out.hooks, user.hooks);
  assert.equal(out.model, 'opus');
  assert.deepEqual(out.env, { FOO: 'bar', OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:4318', CLAUDE_CODE_ENABLE_TELEMETRY: '1', CLAUDE_LEDGER_TOKEN: 'abcdef0123456789' });
  assert.deepEqual(
    edit.changes.map((c) => `${c.kind}:${c.key}`),
    ['add:CLAUDE_CODE_ENABLE_TELEMETRY', 'change:OTEL_EXPORTER_OTLP_ENDPOINT', 'add:CLAUDE_LEDGER_TOKEN'],
  );
  assert.ok(edit.text.endsWith('}\n'));
});

test('merge is idempotent', () => {
  const once = mergeEnvIntoSettings(JSON.stringify(user), ours);
  const twice = mergeEnvIntoSettings(once.text, ours);
  assert.equal(twice.changes.length, 0);
  assert.equal(twice.text, once.text);
});

test('missing or empty file -> a file with only env', () => {
  for (const text of [undefined, '', '  \n']) {
    const edit = mergeEnvIntoSettings(text, ours);
    assert.deepEqual(JSON.parse(edit.text), { env: ours });
  }
});

test('remove takes out only our keys; env dropped only when we emptied it', () => {
  const merged = mergeEnvIntoSettings(JSON.stringify(user), ours).text;
  const removed = removeEnvFromSettings(merged, OUR_ENV_KEYS);
  const out = JSON.parse(removed.text);
  assert.deepEqual(out.env, { FOO: 'bar' });
  assert.deepEqual(out.permissions, user.permissions);
  assert.equal(removed.changes.length, 3);
  const again = removeEnvFromSettings(removed.text, OUR_ENV_KEYS);
  assert.equal(again.changes.length, 0);
  assert.equal(again.text, removed.text);
  const onlyOurs = mergeEnvIntoSettings('{"model":"x"}', ours).text;
  assert.deepEqual(JSON.parse(removeEnvFromSettings(onlyOurs, OUR_ENV_KEYS).text), { model: 'x' });
  assert.deepEqual(JSON.parse(removeEnvFromSettings('{"env":{}}', OUR_ENV_KEYS).text), { env: {} });
});

test('unreadable files are refused, never overwritten', () => {
  assert.throws(() => mergeEnvIntoSettings('{"model": "x",', ours), ClaudeSettingsError);
  assert.throws(() => mergeEnvIntoSettings('[1]', ours), ClaudeSettingsError);
  assert.throws(() => mergeEnvIntoSettings('{"env": "x"}', ours), ClaudeSettingsError);
  assert.throws(() => removeEnvFromSettings('nope', OUR_ENV_KEYS), ClaudeSettingsError);
});

test('preview lines mask the token', () => {
  const text = describeChanges(mergeEnvIntoSettings(JSON.stringify(user), ours).changes);
  assert.match(text, /^\+ env\.CLAUDE_CODE_ENABLE_TELEMETRY = 1$/m);
  assert.match(text, /^~ env\.OTEL_EXPORTER_OTLP_ENDPOINT: http:\/\/collector:4318 -> http:\/\/127\.0\.0\.1:4318$/m);
  assert.match(text, /CLAUDE_LEDGER_TOKEN = abcd…\(16 chars\)/);
  assert.doesNotMatch(text, /abcdef0123456789/);
});
