// Leadership across "windows" with the real pieces: two (then three) Leadership instances in one
// process stand for the extension hosts of several VS Code windows. Each runs the same leader code as
// the extension (real StoreClient with its PID lock, real receiver on a real port); followers use the
// real /api. Only VS Code itself is absent (its part is covered by the e2e test in code-server).
// Needs `node esbuild.mjs` first (dist/dbWorker.js).
//
// "Takeover within 2 s" is checked as the properties that make it hold, not as a stopwatch (timing
// asserts are flaky on a loaded machine): (1) the follower learns of the loss from the event of the
// leader's connection failing, not from its long-poll timeout (30 s, far beyond the goal); (2) once the
// old leader has released the port and the data-dir lock, the follower's next lead attempt succeeds: no
// attempt that began after the release fails, so no retry timer runs after it. Takeover time is then
// the old leader's own close plus at most one retry delay. The measured time is printed, not asserted.
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
import type { LeadFailure } from '../../src/server/leadership/leadership';
import { classifyLeadFailure, leaderStarter } from '../../src/server/leadership/leaderServices';
import { postOtlp } from '../support/postOtlp';
import { grpcRaw } from '../support/grpcRaw';
import { OTLP_GRPC_METHODS } from '../../src/server/grpc/grpcAnswer';

const root = join(__dirname, '..', '..');
const distDir = join(root, 'dist');
const fixture = join(root, 'test/fixtures/claude-code-otlp/b-write-edit-bash');
const truth = JSON.parse(readFileSync(join(fixture, 'ground-truth.json'), 'utf8'));
const dataDir = mkdtempSync(join(tmpdir(), 'ledger-lead-'));
const token = randomBytes(32).toString('hex');
const cleanups: (() => Promise<unknown>)[] = [];
/** claudeLedger.grpcPort for the leaders: off unless a test turns it on (dist/grpc.js is then loaded). */
let grpcPort = 0;
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

/** One lead attempt: did it begin after the old leader had released everything, and how did it end. */
interface Attempt {
  afterRelease: boolean;
  outcome?: 'led' | LeadFailure;
}

/** `released()` says whether the old leader is gone (port and lock free); attempts are recorded against it. */
function starter(dir: string, log: ReturnType<typeof memoryLogger>, attempts: Attempt[], released: () => boolean) {
  const start = leaderStarter({ dataDir: dir, distDir, token, log, version: 'test', getSettings: () => ({ ...defaultSettings(), grpcPort }) });
  return async (port: number) => {
    const a: Attempt = { afterRelease: released() };
    attempts.push(a);
    try {
      const svc = await start(port);
      a.outcome = 'led';
      return svc;
    } catch (err) {
      a.outcome = classifyLeadFailure(err);
      throw err;
    }
  };
}

function window(name: string, onProblem?: (p: { kind: string; message: string }) => void, released: () => boolean = () => false) {
  const log = memoryLogger();
  const attempts: Attempt[] = [];
  const l = new Leadership({
    log,
    token,
    startLeader: starter(dataDir, log, attempts, released),
    classifyFailure: classifyLeadFailure,
    election: { retryDelayMs: 100 },
    onProblem,
  });
  cleanups.push(() => l.dispose());
  return { name, l, log, attempts };
}

/** The takeover properties (see the top of the file). */
function assertEventDrivenTakeover(log: string[], attempts: Attempt[]): string {
  const lost = log.find((line) => / lost \(/.test(line));
  assert.ok(lost, `the follower logged the loss of the leader:\n${log.join('\n')}`);
  assert.doesNotMatch(lost, /no answer in/, 'the loss was seen as the connection failing, not as a long-poll timeout');
  assert.ok(log.indexOf(lost) < log.findIndex((line) => /probing -> leading/.test(line)), 'loss seen before the takeover began');
  assert.equal(attempts.at(-1)?.outcome, 'led', 'the last attempt leads');
  const failedAfterRelease = attempts.filter((a) => a.afterRelease && a.outcome !== 'led');
  assert.deepEqual(failedAfterRelease, [], `no lead attempt that began after the old leader released everything failed (attempts: ${JSON.stringify(attempts)})`);
  assert.equal(attempts.filter((a) => a.afterRelease).length <= 1, true, 'at most one attempt after the release');
  return lost;
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
  grpcPort = await freePort();
  t.after(() => void (grpcPort = 0));
  const a = window('A');
  a.l.start(port);
  await until(a.l, 'listening');
  // The leader runs OTLP/gRPC beside HTTP (the bundle dist/grpc.js, loaded on demand).
  assert.deepEqual(a.l.receiverState, { kind: 'listening', port, grpc: { kind: 'listening', port: grpcPort } });
  let aReleased = false;
  const b = window('B', undefined, () => aReleased);
  b.l.start(port);
  await until(b.l, 'follower');
  assert.deepEqual(b.attempts, [], 'B found a leader: it never tried to lead');
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
  const bLeads = until(b.l, 'listening');
  await a.l.dispose(); // resolves after A's server closed, its store flushed and its lock was released
  aReleased = true;
  await bLeads;
  const takeoverMs = Date.now() - t0;
  t.diagnostic(`takeover after the leader closed: ${takeoverMs} ms (goal: within 2 s); attempts: ${JSON.stringify(b.attempts)}`);
  assert.equal(b.l.role, 'leader');
  t.diagnostic(assertEventDrivenTakeover(b.log.lines, b.attempts));
  const after = await b.l.query('summary', { range: { key: 'all' } });
  assert.equal(after.costUsd, truth.api_requests.cost_usd);
  // A closed its gRPC receiver with the rest: B binds the same gRPC port, and it ingests.
  assert.deepEqual(b.l.receiverState, { kind: 'listening', port, grpc: { kind: 'listening', port: grpcPort } });
  const viaGrpc = await grpcRaw(grpcPort, OTLP_GRPC_METHODS.logs, readFileSync(join(root, 'test/fixtures/claude-code-otlp/a-plain-text/logs-001.bin')));
  assert.equal(viaGrpc.code, 0, viaGrpc.message);
  assert.ok((await b.l.query('summary', { range: { key: 'all' } })).requests > truth.api_requests.count, 'the gRPC export reached the new leader\'s store');

  // A third window follows the new leader; exactly one leader at any time.
  const c = window('C');
  c.l.start(port);
  await until(c.l, 'follower');
  assert.equal((await c.l.query('summary', { range: { key: 'all' } })).requests, (await b.l.query('summary', { range: { key: 'all' } })).requests);
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
  const attempts: Attempt[] = [];
  // Released = the killed process was reaped ('exit'); until then its PID still looks alive to the lock.
  let childGone = false;
  child.once('exit', () => (childGone = true));
  const e = new Leadership({
    log,
    token,
    startLeader: starter(dir, log, attempts, () => childGone),
    classifyFailure: classifyLeadFailure,
    election: { retryDelayMs: 100 },
  });
  cleanups.push(() => e.dispose());
  e.start(port);
  await until(e, 'follower');
  assert.deepEqual(attempts, [], 'E found a leader: it never tried to lead');
  const t0 = Date.now();
  const eLeads = until(e, 'listening');
  child.kill('SIGKILL');
  await eLeads;
  t.diagnostic(`takeover after SIGKILL of the leader: ${Date.now() - t0} ms (goal: within 2 s); attempts: ${JSON.stringify(attempts)}`);
  t.diagnostic(assertEventDrivenTakeover(log.lines, attempts));
  const s = await e.query('summary', { range: { key: 'all' } });
  assert.equal(s.costUsd, truth.api_requests.cost_usd, 'every acknowledged batch is there after the takeover');
});
