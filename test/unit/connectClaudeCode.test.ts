import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  claudeMcpConfig,
  commandLine,
  connectArgv,
  isNotRegisteredMessage,
  registrationState,
} from '../../src/core/connectClaudeCode';

test('the registration holds variable references, never a token', () => {
  const c = claudeMcpConfig(4318);
  assert.deepEqual(c, {
    type: 'http',
    url: '${CLAUDE_LEDGER_MCP_URL:-http://127.0.0.1:4318/mcp}',
    headers: { Authorization: 'Bearer ${CLAUDE_LEDGER_TOKEN}' },
  });
  assert.deepEqual(connectArgv(4318), [
    'mcp', 'add', '--scope', 'user', '--transport', 'http', 'claude-ledger',
    '${CLAUDE_LEDGER_MCP_URL:-http://127.0.0.1:4318/mcp}', '--header', 'Authorization: Bearer ${CLAUDE_LEDGER_TOKEN}',
  ]);
});

test('registrationState tells absent, current and outdated apart', () => {
  assert.equal(registrationState({}, 4318), 'absent');
  assert.equal(registrationState(null, 4318), 'absent');
  assert.equal(registrationState({ mcpServers: { 'claude-ledger': claudeMcpConfig(4318) } }, 4318), 'current');
  assert.equal(registrationState({ mcpServers: { 'claude-ledger': claudeMcpConfig(4318) } }, 5000), 'outdated');
  const literal = { type: 'http', url: 'http://127.0.0.1:4318/mcp', headers: { Authorization: 'Bearer abc' } };
  assert.equal(registrationState({ mcpServers: { 'claude-ledger': literal } }, 4318), 'outdated');
});

test('command lines keep ${...} literal in each shell', () => {
  const argv = connectArgv(4318);
  assert.equal(
    commandLine(argv, 'posix'),
    "claude mcp add --scope user --transport http claude-ledger '${CLAUDE_LEDGER_MCP_URL:-http://127.0.0.1:4318/mcp}' --header 'Authorization: Bearer ${CLAUDE_LEDGER_TOKEN}'",
  );
  assert.match(commandLine(argv, 'powershell'), / '\$\{CLAUDE_LEDGER_MCP_URL:-http:\/\/127\.0\.0\.1:4318\/mcp\}' /);
  assert.match(commandLine(argv, 'cmd'), / "Authorization: Bearer \$\{CLAUDE_LEDGER_TOKEN\}"$/);
  assert.equal(commandLine(["it's"], 'posix', 'x'), `x 'it'\\''s'`);
});

test('recognises the CLI message for a missing registration', () => {
  assert.equal(isNotRegisteredMessage('No MCP server named "claude-ledger" in user scope'), true);
  assert.equal(isNotRegisteredMessage('permission denied'), false);
});

test('connectPlan: nothing when current, add when absent, remove then add when outdated', async () => {
  const { connectPlan, removeArgv, shellKindOf, planCommandLine } = await import('../../src/core/connectClaudeCode');
  assert.deepEqual(connectPlan('current', 4318), []);
  assert.deepEqual(connectPlan('absent', 4318), [connectArgv(4318)]);
  assert.deepEqual(connectPlan('outdated', 4318), [removeArgv(), connectArgv(4318)]);
  assert.equal(shellKindOf('/bin/bash'), 'posix');
  assert.equal(shellKindOf('C:\\Program Files\\PowerShell\\7\\pwsh.exe'), 'powershell');
  assert.equal(shellKindOf('C:\\Windows\\System32\\cmd.exe'), 'cmd');
  assert.match(planCommandLine(connectPlan('outdated', 1), 'posix'), /^claude mcp remove claude-ledger --scope user; claude mcp add /);
  assert.match(planCommandLine(connectPlan('outdated', 1), 'cmd'), / & claude mcp add /);
});
