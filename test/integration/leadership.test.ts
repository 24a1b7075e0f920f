// Leadership across "windows" with the real pieces: two (then three) Leadership instances in one
// process stand for the extension hosts of several VS Code windows. Each runs the same leader code as
// the extension (real StoreClient with its PID lock, real receiver on a real port); followers use the
// real /api. Only VS Code itself is absent (its part is covered by the e2e test in code-server).
// Needs `node esbuild.mjs` first (dist/dbWorker.js).
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import * as http from 'node:http';
import * as net from 'node:net';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { memoryLogger } from '../../src/core/log';
import { defaultSettings } from '../../src/core/settings';
import type { ReceiverState } from '../../src/core/statusText';
import { Leadership } from '../../src/server/leadership/leadership';
import { classifyLeadFailure, leaderStarter } from '../../src/server/leadership/leaderServices';
import { postOtlp } from '../support/postOtlp';

const root = join(__dirname, '..', '..');
const distDir = join(root, 'dist');
const fixture = join(root, 'test/fixtures/claude-code-otlp/b-write-edit-bash');
const truth = JSON.parse(readFileSync(join(fixture, 'ground-truth.json'), 'utf8'));
const dataDir = mkdtempSync(join(tmpdir(), 'ledger-lead-'));
const token = randomBytes(32).toString('hex');
const cleanups: (() => Promise<unknown>)[] = [];
after(async () => {
  for (const c of cleanups.reverse()) await c();
});

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const p = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(p));
    });
    s.on('error', reject);
  });
}

function window(name: string, onProblem?: (p: { kind: string; message: string }) => void) {
  const log = memoryLogger();
  const l = new Leadership({
    log,
    token,
    startLeader: leaderStarter({ dataDir, distDir, token, log, version: 'test', getSettings: defaultSettings }),
    classifyFailure: classifyLeadFailure,
    election: { retryDelayMs: 100 },
    onProblem,
  });
  cleanups.push(() => l.dispose());
  return { name, l, log };
}

function until(l: Leadership, kind: ReceiverState['kind'], timeoutMs = 20_000): Promise<void> {
  if (l.receiverState.kind === kind) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`state ${l.receiverState.kind}, wanted ${kind}`)), timeoutMs);
    const off = l.onDidChangeState((s) => {
      if (s.kind !== kind) return;
      clearTimeout(timer);
      off();
      resolve();
    });
  });
}

test('one leader, followers read its numbers, a follower takes over when the leader closes', async (t) => {
  assert.ok(existsSync(join(distDir, 'dbWorker.js')), 'run `node esbuild.mjs` first (dist/dbWorker.js)');
  const port = await freePort();
  const a = window('A');
  a.l.start(port);
  await until(a.l, 'listening');
  const b = window('B');
  b.l.start(port);
  await until(b.l, 'follower');
  assert.equal(a.l.role, 'leader');
  assert.equal(b.l.role, 'follower');

  // Data arrives at the leader; the follower hears of it through the long poll.
  const changed = new Promise<number>((resolve) => {
    const off = b.l.onDidChangeData((v) => {
      if (v > 0) {
        off();
        resolve(v);
      }
    });
  });
  for (const s of ['logs', 'metrics', 'traces']) {
    assert.equal(await postOtlp(port, `/v1/${s}`, readFileSync(join(fixture, `${s}-001.bin`))), 200, s);
  }
  assert.ok((await changed) > 0);
  const viaLeader = await a.l.query('summary', { range: { key: 'all' } });
  const viaFollower = await b.l.query('summary', { range: { key: 'all' } });
  assert.deepEqual(viaFollower, viaLeader);
  assert.equal(viaFollower.costUsd, truth.api_requests.cost_usd);
  assert.equal(viaFollower.requests, truth.api_requests.count);

  // CSV rows through the follower (leader's /api/rows).
  let rows = 0;
  for await (const page of b.l.rows('requests', { key: 'all' })) rows += page.length;
  assert.equal(rows, truth.api_requests.count);
  await assert.rejects(b.l.clearAll(), /window that receives/);

  // The leader window closes: B takes over, with the same data (lock released after the flush).
  const t0 = Date.now();
  await a.l.dispose();
  await until(b.l, 'listening');
  const takeoverMs = Date.now() - t0;
  t.diagnostic(`takeover after the leader closed: ${takeoverMs} ms (goal: within 2 s)`);
  assert.equal(b.l.role, 'leader');
  const after = await b.l.query('summary', { range: { key: 'all' } });
  assert.equal(after.costUsd, truth.api_requests.cost_usd);

  // A third window follows the new leader; exactly one leader at any time.
  const c = window('C');
  c.l.start(port);
  await until(c.l, 'follower');
  assert.equal((await c.l.query('summary', { range: { key: 'all' } })).requests, truth.api_requests.count);
  assert.match(b.log.lines.join('\n'), /follower -> probing \(leaderLost\)/);
});

test('a port held by another program: one conflict report, error state, no data-dir lock kept', async () => {
  const foreign = http.createServer((_req, res) => res.writeHead(404).end('not here'));
  await new Promise<void>((r) => foreign.listen(0, '127.0.0.1', r));
  cleanups.push(() => new Promise((r) => foreign.close(r)));
  const port = (foreign.address() as net.AddressInfo).port;
  const problems: { kind: string; message: string }[] = [];
  const d = window('D', (p) => problems.push(p));
  d.l.start(port);
  await until(d.l, 'error');
  assert.equal(problems.length, 1);
  assert.equal(problems[0]!.kind, 'conflict');
  assert.match(problems[0]!.message, new RegExp(`Port ${port} is used by another program \\(HTTP 404`));
  await assert.rejects(d.l.query('status', {}), /not ready \(error: Port/);
});

test('a leader killed with SIGKILL (crashed window): the follower takes over its stale lock and data', async (t) => {
  const { spawn } = await import('node:child_process');
  const dir = mkdtempSync(join(tmpdir(), 'ledger-kill-'));
  const port = await freePort();
  const child = spawn(process.execPath, [join(distDir, 'cli.js'), 'serve', '--port', String(port), '--data', dir, '--token', token], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  cleanups.push(async () => void child.kill('SIGKILL'));
  let stderr = '';
  child.stderr.on('data', (c) => (stderr += c));
  await new Promise<void>((resolve, reject) => {
    child.stdout.on('data', (c: Buffer) => c.toString().includes('listening') && resolve());
    child.on('exit', (code) => reject(new Error(`serve exited ${code}: ${stderr}`)));
  });
  for (const s of ['logs', 'metrics', 'traces']) assert.equal(await postOtlp(port, `/v1/${s}`, readFileSync(join(fixture, `${s}-001.bin`))), 200);

  const log = memoryLogger();
  const e = new Leadership({
    log,
    token,
    startLeader: leaderStarter({ dataDir: dir, distDir, token, log, version: 'test', getSettings: defaultSettings }),
    classifyFailure: classifyLeadFailure,
    election: { retryDelayMs: 100 },
  });
  cleanups.push(() => e.dispose());
  e.start(port);
  await until(e, 'follower');
  const t0 = Date.now();
  child.kill('SIGKILL');
  await until(e, 'listening');
  t.diagnostic(`takeover after SIGKILL of the leader: ${Date.now() - t0} ms (goal: within 2 s)`);
  const s = await e.query('summary', { range: { key: 'all' } });
  assert.equal(s.costUsd, truth.api_requests.cost_usd, 'every acknowledged batch is there after the takeover');
});
