// `node dist/cli.js export` end to end: data ingested by the real `serve`, then exported (a) with the
// store opened by the CLI itself (no server running) and (b) through the running leader's /api/rows
// while it holds the data-dir lock. Both files parse with csv-parse and match the fixture's truth.
// Needs `node esbuild.mjs` first.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import * as net from 'node:net';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { postOtlp } from '../support/postOtlp';

const root = join(__dirname, '..', '..');
const cli = join(root, 'dist', 'cli.js');
const fixture = join(root, 'test/fixtures/claude-code-otlp/b-write-edit-bash');
const truth = JSON.parse(readFileSync(join(fixture, 'ground-truth.json'), 'utf8'));
const dir = mkdtempSync(join(tmpdir(), 'ledger-export-'));
const children: ChildProcess[] = [];
after(() => children.forEach((c) => c.kill('SIGKILL')));

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const p = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(p));
    });
  });
}

async function serve(port: number): Promise<ChildProcess> {
  const child = spawn(process.execPath, [cli, 'serve', '--port', String(port), '--data', join(dir, 'data')], { stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  let err = '';
  child.stderr!.on('data', (c) => (err += c));
  await new Promise<void>((resolve, reject) => {
    child.stdout!.on('data', (c: Buffer) => c.toString().includes('listening') && resolve());
    child.on('exit', (code) => reject(new Error(`serve exited ${code}: ${err}`)));
  });
  return child;
}

function exportCsv(args: string[]): { rows: string[][]; stdout: string } {
  const out = join(dir, `out-${Math.random().toString(36).slice(2)}.csv`);
  const r = spawnSync(process.execPath, [cli, 'export', '--data', join(dir, 'data'), '--out', out, ...args], { encoding: 'utf8', timeout: 60_000 });
  assert.equal(r.status, 0, `export failed: ${r.stderr}`);
  return { rows: parse(readFileSync(out, 'utf8'), { bom: true }), stdout: r.stdout };
}

test('CLI export: store opened directly, then through a running leader', async () => {
  assert.ok(existsSync(cli), 'run `node esbuild.mjs` first (dist/cli.js)');
  const port = await freePort();
  const server = await serve(port);
  for (const s of ['logs', 'metrics', 'traces']) assert.equal(await postOtlp(port, `/v1/${s}`, readFileSync(join(fixture, `${s}-001.bin`))), 200);

  // (b) lock held by the live server: rows come over /api/rows with the token from DIR/token.
  const viaLeader = exportCsv(['--dataset', 'requests', '--range', 'all', '--port', String(port)]);
  assert.match(viaLeader.stdout, new RegExp(`^${truth.api_requests.count} rows written`));

  server.kill('SIGTERM');
  await new Promise((r) => server.once('exit', r));

  // (a) no server: the CLI opens the store itself.
  const direct = exportCsv(['--dataset', 'requests', '--range', 'all']);
  assert.deepEqual(direct.rows, viaLeader.rows);
  const [header, ...rows] = direct.rows as [string[], ...string[][]];
  assert.equal(rows.length, truth.api_requests.count);
  const cost = header.indexOf('cost_usd');
  assert.ok(cost >= 0, `header has cost_usd: ${header.join(',')}`);
  const total = rows.reduce((a, r) => a + Number(r[cost]), 0);
  assert.ok(Math.abs(total - truth.api_requests.cost_usd) < 1e-12, `sum ${total} vs ${truth.api_requests.cost_usd}`);
  const time = header.indexOf('time');
  for (const r of rows) assert.match(r[time]!, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?[+-]\d\d:\d\d$/, 'ISO-8601 with offset');

  // Every request says where it came from: all OTLP so far, Claude Code's own cost.
  const [source, priceSource, requestId] = ['source', 'price_source', 'request_id'].map((c) => header.indexOf(c));
  assert.ok(source >= 0 && priceSource >= 0 && requestId >= 0, header.join(','));
  for (const r of rows) assert.deepEqual([r[source], r[priceSource], r[requestId]!.startsWith('req_')], ['otlp', 'reported', true]);
  // Another run known only from its transcript: one more row, source transcript, priced from what the
  // OTLP costs taught (learned) or the bundled table, with its request id.
  const imp = spawnSync(process.execPath, [cli, 'import', '--data', join(dir, 'data'), '--from', join(root, 'test/fixtures/claude-code-otlp/a-plain-text/transcripts')], {
    encoding: 'utf8',
    timeout: 60_000,
  });
  assert.equal(imp.status, 0, imp.stderr);
  const [header2, ...rows2] = exportCsv(['--dataset', 'requests', '--range', 'all']).rows as [string[], ...string[][]];
  assert.deepEqual(header2, header);
  assert.equal(rows2.length, truth.api_requests.count + 1);
  const fromTranscript = rows2.filter((r) => r[source] === 'transcript');
  assert.equal(fromTranscript.length, 1);
  assert.ok(['learned', 'table'].includes(fromTranscript[0]![priceSource]!), fromTranscript[0]![priceSource]);
  assert.match(fromTranscript[0]![requestId]!, /^req_/);
  assert.equal(fromTranscript[0]![header.indexOf('estimated')], '1');

  for (const dataset of ['sessions', 'daily', 'files', 'tools']) {
    const r = exportCsv(['--dataset', dataset, '--range', 'all']);
    assert.ok(r.rows.length >= 2, `${dataset}: header + rows`);
  }
  const bad = spawnSync(process.execPath, [cli, 'export', '--data', join(dir, 'data'), '--out', join(dir, 'x.csv'), '--dataset', 'nope'], { encoding: 'utf8' });
  assert.notEqual(bad.status, 0);
  assert.match(bad.stderr, /--dataset must be one of requests, sessions, daily, files, tools/);
});
