// The headless CLI's argument parsing (node:util parseArgs, strict).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { resolve } from 'node:path';
import { parseServeArgs } from '../../src/server/serveCommand';
import { parseExportArgs } from '../../src/server/exportCommand';

test('serve: defaults, values, flags', () => {
  assert.deepEqual(parseServeArgs(['--data', 'd']), {
    port: 4318, host: '127.0.0.1', dataDir: resolve('d'), token: undefined, capturePrompts: false, captureCommands: true, verbose: false,
  });
  const a = parseServeArgs(['--port', '0', '--data', '/x', '--token', 't', '--capture-prompts', '--no-capture-commands', '--verbose']);
  assert.deepEqual([a.port, a.dataDir, a.token, a.capturePrompts, a.captureCommands, a.verbose], [0, '/x', 't', true, false, true]);
});

test('serve: bad input says what is wrong', () => {
  assert.throws(() => parseServeArgs([]), /--data DIR is required/);
  assert.throws(() => parseServeArgs(['--data', 'd', '--port', '70000']), /--port must be/);
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
