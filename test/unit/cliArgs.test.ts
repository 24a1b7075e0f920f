// The headless CLI's argument parsing (node:util parseArgs, strict).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join, resolve } from 'node:path';
import { parseServeArgs } from '../../src/server/serveCommand';
import { parseImportArgs } from '../../src/server/importCommand';
import { parseExportArgs } from '../../src/server/exportCommand';

test('serve: defaults, values, flags', () => {
  assert.deepEqual(parseServeArgs(['--data', 'd']), {
    port: 4318, grpcPort: 0, host: '127.0.0.1', dataDir: resolve('d'), token: undefined, capturePrompts: false, captureCommands: true, verbose: false,
    transcripts: [],
  });
  const a = parseServeArgs(['--port', '0', '--data', '/x', '--token', 't', '--capture-prompts', '--no-capture-commands', '--verbose']);
  assert.deepEqual([a.port, a.dataDir, a.token, a.capturePrompts, a.captureCommands, a.verbose], [0, '/x', 't', true, false, true]);
  assert.equal(parseServeArgs(['--data', 'd', '--grpc-port', '4317']).grpcPort, 4317, '--grpc-port turns OTLP/gRPC on');
});

test('serve --transcripts: folders resolved, "default" = the default roots; import: --from repeatable, --data required', () => {
  assert.deepEqual(parseServeArgs(['--data', 'd', '--transcripts', 'a', '--transcripts', '/b']).transcripts, [resolve('a'), '/b']);
  assert.ok(parseServeArgs(['--data', 'd', '--transcripts', 'default']).transcripts.some((r) => r.endsWith(join('.claude', 'projects'))));
  const i = parseImportArgs(['--data', 'd', '--from', '/p1', '--from', 'p2', '--json']);
  assert.deepEqual([i.dataDir, i.roots, i.json], [resolve('d'), ['/p1', resolve('p2')], true]);
  assert.deepEqual(parseImportArgs(['--data', 'd'], { CLAUDE_CONFIG_DIR: '/cfg' }).roots[0], '/cfg/projects');
  assert.throws(() => parseImportArgs([]), /--data DIR is required/);
  assert.throws(() => parseImportArgs(['--data', 'd', '--since', 'x']), /since/);
});

test('serve --forward: URL checked, content, backlog bound, headers from CLAUDE_LEDGER_FORWARD_HEADERS only', () => {
  const env = { CLAUDE_LEDGER_FORWARD_HEADERS: 'Authorization=Bearer%20abc, X-Org=a' };
  const a = parseServeArgs(['--data', 'd', '--forward', 'https://c.example.com:4318/', '--forward-content', 'without-content', '--forward-max-backlog-mb', '64', '--forward-timeout-ms', '5000', '--forward-backoff-ms', '100'], env);
  assert.deepEqual(a.forward, {
    settings: { endpoint: 'https://c.example.com:4318', headers: { Authorization: 'Bearer abc', 'X-Org': 'a' }, content: 'without-content', maxBacklogBytes: 64 * 1024 * 1024 },
    limits: { requestTimeoutMs: 5000, backoffBaseMs: 100, backoffMaxMs: 6000 },
  });
  assert.equal(parseServeArgs(['--data', 'd', '--forward', 'http://127.0.0.1:4319'], {}).forward?.settings.maxBacklogBytes, 512 * 1024 * 1024);
  assert.throws(() => parseServeArgs(['--data', 'd', '--forward', 'grpc://c:4317'], {}), /only http:\/\/ and https:\/\/ are supported/);
  assert.throws(() => parseServeArgs(['--data', 'd', '--forward', 'http://c', '--forward-content', 'all'], {}), /--forward-content must be one of as-received, without-content/);
  assert.throws(() => parseServeArgs(['--data', 'd', '--forward-content', 'as-received'], {}), /--forward-content needs --forward URL/);
  assert.throws(() => parseServeArgs(['--data', 'd', '--forward', 'http://c', '--forward-max-backlog-mb', '0'], {}), /--forward-max-backlog-mb must be a number from 1/);
  assert.throws(() => parseServeArgs(['--data', 'd', '--forward', 'http://c'], { CLAUDE_LEDGER_FORWARD_HEADERS: 'oops' }), /CLAUDE_LEDGER_FORWARD_HEADERS: "oops" is not Name=value/);
  assert.throws(() => parseServeArgs(['--data', 'd', '--forward', 'http://c', '--forward-headers', 'A=b'], {}), /forward-headers/, 'no argv option for headers');
});

test('serve: bad input says what is wrong', () => {
  assert.throws(() => parseServeArgs([]), /--data DIR is required/);
  assert.throws(() => parseServeArgs(['--data', 'd', '--port', '70000']), /--port must be/);
  assert.throws(() => parseServeArgs(['--data', 'd', '--grpc-port', 'x']), /--grpc-port must be 0..65535/);
  assert.throws(() => parseServeArgs(['--data', 'd', '--host', '0.0.0.0']), /loopback/);
  assert.throws(() => parseServeArgs(['--data', 'd', '--bogus']), /bogus/);
  assert.throws(() => parseServeArgs(['--data']), /data/);
});

test('export: dataset, range and output are checked', () => {
  const a = parseExportArgs(['--data', '/d', '--dataset', 'requests', '--range', '7d', '--out', '/o.csv']);
  assert.equal(a.dataDir, '/d');
  assert.equal(a.out, '/o.csv');
  assert.throws(() => parseExportArgs(['--data', '/d', '--dataset', 'nope', '--out', '/o.csv']), /--dataset must be one of/);
  assert.throws(() => parseExportArgs(['--data', '/d', '--dataset', 'requests']), /--out FILE is required/);
  assert.throws(() => parseExportArgs(['--data', '/d', '--dataset', 'requests', '--out', '/o', '--from', 'x', '--to', 'y']), /ISO-8601/);
  assert.throws(() => parseExportArgs(['--data', '/d', '--whatever']), /whatever/);
});
