// Forwarding (issue 12 section 1) with real peers: the local ledger is the real `dist/cli.js serve`
// with --forward; upstream is either a second real `cli.js serve` (a real OTLP receiver that dedupes) or
// the project's fault-injecting OTLP server (test/support/faultOtlpServer.ts). Waits are on requests
// received and on the status the ledger reports (polled), never on sleeps.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import type { ForwardStatusDto, StatusSnapshotDto, SummaryDto } from '../../src/protocol/dto';
import { decodeRequest } from '../../src/core/otlp/decode';
import { encodeResponse } from '../../src/core/otlp/responses';
import { FaultOtlpServer } from '../support/faultOtlpServer';
import { apiCall, CLI, freePort, REPO_ROOT, startServe, stopServe, summaryOf, TEST_TOKEN } from '../support/ledgerCli';
import { postOtlp } from '../support/postOtlp';

const FIX = path.join(REPO_ROOT, 'test/fixtures/claude-code-otlp');
const JSON_LOGS = readFileSync(path.join(FIX, 'f-write-edit-bash-json/logs-001.json'), 'utf8');
const SESSION = '4781e320-d350-4937-a649-b56fa707eee7';
const REQUESTS_PER_BATCH = 4;
const COST_PER_BATCH = 0.05504;

/** Claude Code's OTLP/JSON logs with ids made unique per batch (so every batch is new records). */
function batch(k: number): Buffer {
  return Buffer.from(JSON_LOGS.split(SESSION).join(`fwd-session-${String(k).padStart(4, '0')}`).split('req_fake').join(`req_f${k}_`));
}

const children = new Set<ChildProcess>();
after(() => {
  for (const c of children) c.kill('SIGKILL');
});

interface Ledger {
  child: ChildProcess;
  port: number;
  /** Everything it wrote to stderr so far (the log). */
  log(): string;
}

/** `cli.js serve` with forwarding; resolves once it listens. Headers go through the environment only. */
function startForwarder(port: number, dataDir: string, args: string[], env: NodeJS.ProcessEnv = {}): Promise<Ledger> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, 'serve', '--port', String(port), '--data', dataDir, '--token', TEST_TOKEN, ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, ...env },
    });
    children.add(child);
    let out = '';
    let err = '';
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('listening on')) resolve({ child, port, log: () => err });
    });
    child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
    child.on('exit', (code) => {
      children.delete(child);
      reject(new Error(`serve exited early (${code}): ${err}`));
    });
  });
}

async function kill9(child: ChildProcess): Promise<void> {
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGKILL');
  await exited;
  children.delete(child);
}

/** The forwarder's status as every window's `status` query shows it (null until its worker first reports). */
async function forwardStatus(port: number): Promise<ForwardStatusDto | null | undefined> {
  return (await apiCall<{ result: StatusSnapshotDto }>(port, 'POST', '/api/query', { method: 'status', params: {} })).result.forward;
}

/** Polls the ledger's forward status until `ok(status)` (bounded: a broken forwarder fails the test). */
async function waitForStatus(port: number, what: string, ok: (s: ForwardStatusDto) => boolean, timeoutMs = 60_000): Promise<ForwardStatusDto> {
  const until = Date.now() + timeoutMs;
  let last: ForwardStatusDto | null | undefined;
  while (Date.now() < until) {
    last = await forwardStatus(port);
    if (last && ok(last)) return last;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`timed out waiting for ${what}; last status ${JSON.stringify(last)}`);
}

async function postBatches(port: number, from: number, to: number): Promise<void> {
  for (let k = from; k <= to; k++) assert.equal(await postOtlp(port, '/v1/logs', batch(k), 'application/json'), 200, `batch ${k} acknowledged`);
}

function tmp(name: string): string {
  return mkdtempSync(path.join(tmpdir(), `ledger-fwd-${name}-`));
}

test('a second ledger upstream ends with every acknowledged record exactly once, across a snapshot, a kill -9 and an outage', { timeout: 180_000 }, async () => {
  const [localPort, upPort] = [await freePort(), await freePort()];
  const localDir = tmp('local');
  const upDir = tmp('up');
  const fwd = ['--forward', `http://127.0.0.1:${upPort}`, '--forward-backoff-ms', '20'];

  // Upstream down (nothing listens on upPort): 5 batches acknowledged locally, the backlog grows.
  let local = await startForwarder(localPort, localDir, fwd);
  await postBatches(localPort, 1, 5);
  await waitForStatus(localPort, 'retrying with a backlog of 5', (s) => s.backlogRequests === 5 && s.state !== 'ok' && /ECONNREFUSED/.test(s.lastError ?? ''));
  // SIGTERM: the final snapshot rotates the journal; the unsent frames must stay in the spool.
  await stopServe(local.child);
  children.delete(local.child);
  const spool = path.join(localDir, 'forward/spool');
  assert.ok(readdirSync(spool).length >= 2, `the snapshot rotated the journal into the spool: ${readdirSync(spool).join(', ')}`);
  local = await startForwarder(localPort, localDir, fwd);
  await postBatches(localPort, 6, 10);
  await waitForStatus(localPort, 'a backlog of 10', (s) => s.backlogRequests === 10);
  // kill -9 with the backlog, restart, then the upstream comes up.
  await kill9(local.child);
  local = await startForwarder(localPort, localDir, fwd);
  const up = await startServe(upPort, upDir);
  children.add(up);
  const done = await waitForStatus(localPort, 'the backlog sent', (s) => s.backlogRequests === 0 && s.sentRequests >= 10);
  assert.equal(done.state, 'ok');
  assert.equal(done.droppedRequests, 0);
  assert.equal(done.rejectedRequests, 0);

  const [mine, theirs] = [await summaryOf(localPort), await summaryOf(upPort)];
  assert.equal(mine.requests, 10 * REQUESTS_PER_BATCH);
  assert.equal(theirs.requests, 10 * REQUESTS_PER_BATCH, 'upstream has every acknowledged request once');
  assert.ok(Math.abs(theirs.costUsd - 10 * COST_PER_BATCH) < 1e-9, `upstream cost ${theirs.costUsd}`);
  assert.deepEqual(pick(theirs), pick(mine), 'upstream totals equal the local ones');
  // The passed segments are deleted: only the live journal (and at most one rotated segment) remain.
  assert.ok(readdirSync(spool).length <= 2, `spool after the drain: ${readdirSync(spool).join(', ')}`);
  assert.match(local.log(), /forward: (retrying|failing) -> ok|forwarding to/);
  await stopServe(local.child);
  await stopServe(up);
  children.delete(up);
});

function pick(s: SummaryDto) {
  return { requests: s.requests, cost: Math.round(s.costUsd * 1e9), sessions: s.sessions, prompts: s.prompts, input: s.tokens.input, output: s.tokens.output, linesAdded: s.linesAdded };
}

test('OTLP failure rules against the fault server: 429 + Retry-After, 503, reset and stall retried; 400 skipped and counted; partial success logged; headers from the environment', { timeout: 180_000 }, async () => {
  const fault = await FaultOtlpServer.start();
  const port = await freePort();
  const partial = encodeResponse('logs', 'protobuf', 2, 'two log records were too old').body;
  fault.script = [
    { status: 429, retryAfter: '1' },
    { status: 503 },
    { reset: true },
    { stall: true },
    { status: 200 }, // batch 1 accepted on its 5th attempt
    { status: 400, body: JSON.stringify({ code: 3, message: 'field resource_logs is bogus' }), contentType: 'application/json' }, // batch 2 refused
    { status: 200, body: partial }, // batch 3: partial success
  ];
  const local = await startForwarder(port, tmp('fault'), ['--forward', fault.url, '--forward-timeout-ms', '400', '--forward-backoff-ms', '20'], {
    CLAUDE_LEDGER_FORWARD_HEADERS: 'Authorization=Bearer%20team-secret,X-Scope-OrgID=team-a',
  });
  await postBatches(port, 1, 3);
  await fault.waitForRequests(7);
  const st = await waitForStatus(port, 'three frames done', (s) => s.backlogRequests === 0 && s.sentRequests === 2 && s.rejectedRequests === 1);
  assert.equal(st.state, 'ok');
  assert.match(st.lastError ?? '', /partial success: 2 item\(s\) rejected upstream: two log records were too old/);

  const r = fault.received;
  assert.deepEqual(r.map((x) => x.answer), ['429', '503', 'reset', 'stall', '200', '400', '200']);
  // The first five are the same frame (batch 1) sent again; then batch 2 once (refused, not retried), then batch 3.
  for (let i = 1; i < 5; i++) assert.ok(r[i].body.equals(r[0].body), `attempt ${i + 1} re-sends the same bytes`);
  assert.ok(r[0].body.equals(batch(1)), 'as-received: the bytes Claude Code sent, unchanged');
  assert.ok(r[5].body.equals(batch(2)));
  assert.ok(r[6].body.equals(batch(3)));
  for (const x of r) {
    assert.equal(x.path, '/v1/logs');
    assert.equal(x.headers['content-type'], 'application/json', 'the encoding Claude Code used');
    assert.equal(x.headers['content-encoding'], 'gzip');
    assert.ok(x.wireBytes < x.body.length, 'gzip on the wire');
    assert.equal(x.headers.authorization, 'Bearer team-secret', 'header values are URL-decoded');
    assert.equal(x.headers['x-scope-orgid'], 'team-a');
  }
  const log = local.log();
  assert.match(log, /retrying in 1\.0 s \(Retry-After\)/);
  assert.match(log, /HTTP 503/);
  assert.match(log, /ECONNRESET|socket hang up/);
  assert.match(log, /no answer within 400 ms/);
  assert.match(log, /refused a logs request .* HTTP 400: field resource_logs is bogus; not retried/);
  assert.match(log, /accepted a logs request partially: 2 item\(s\) rejected \(two log records were too old\)/);
  assert.match(log, /forward: ok -> retrying/);
  assert.match(log, /forward: retrying -> failing/, 'four failures in a row: failing');
  assert.match(log, /forward: failing -> ok/);
  assert.doesNotMatch(log, /team-secret/, 'header values are never logged');
  await stopServe(local.child);
  children.delete(local.child);
  await fault.close();
});

test('without-content never sends a prompt, a tool input, a command or a response (asserted on the bytes upstream received), protobuf and JSON', { timeout: 180_000 }, async () => {
  const fault = await FaultOtlpServer.start();
  const port = await freePort();
  const local = await startForwarder(port, tmp('strip'), ['--forward', fault.url, '--forward-content', 'without-content', '--forward-backoff-ms', '20']);
  const b = path.join(FIX, 'b-write-edit-bash');
  const posts: [string, string, string][] = [
    ['/v1/logs', path.join(b, 'logs-001.bin'), 'application/x-protobuf'],
    ['/v1/traces', path.join(b, 'traces-001.bin'), 'application/x-protobuf'],
    ['/v1/metrics', path.join(b, 'metrics-001.bin'), 'application/x-protobuf'],
    ['/v1/logs', path.join(FIX, 'f-write-edit-bash-json/logs-001.json'), 'application/json'],
    ['/v1/traces', path.join(FIX, 'f-write-edit-bash-json/traces-001.json'), 'application/json'],
  ];
  const secrets = ['Create hello.py, then improve it', 'I will create the file first', 'return \\"hi\\"', 'return "hi"', 'greet politely', 'ls -la', 'List files in the working directory'];
  // The fixtures do carry the content (else this test could not fail).
  for (const [, file] of posts.slice(0, 2)) assert.ok(secrets.some((s) => readFileSync(file).includes(s)), `${file} has content`);
  for (const [p, file, type] of posts) assert.equal(await postOtlp(port, p, readFileSync(file), type), 200);
  await fault.waitForRequests(posts.length);
  await waitForStatus(port, 'all sent', (s) => s.backlogRequests === 0 && s.sentRequests === posts.length);
  for (const [i, x] of fault.received.entries()) {
    for (const s of secrets) assert.ok(!x.body.includes(s), `request ${i} (${x.path}) contains "${s}"`);
    assert.equal(x.headers['content-type'], posts[i][2], 'same encoding as received');
    // Still valid OTLP with the numbers the ledger needs.
    const signal = x.path.slice('/v1/'.length) as 'logs' | 'traces' | 'metrics';
    decodeRequest(signal, x.headers['content-type'] === 'application/json' ? 'json' : 'protobuf', x.body);
  }
  assert.ok(fault.received[0].body.includes('req_fake'), 'request ids kept');
  assert.ok(fault.received[0].body.includes('cost_usd'), 'costs kept');
  assert.ok(fault.received[0].body.includes('claude_code.user_prompt'), 'the event-name body is kept');
  assert.ok(fault.received[3].body.includes('"timeUnixNano"'), 'JSON stays JSON');
  await stopServe(local.child);
  children.delete(local.child);
  await fault.close();
});

test('past forward.maxBacklogMB the oldest requests are dropped, counted, logged and shown; the rest is sent', { timeout: 180_000 }, async () => {
  const fault = await FaultOtlpServer.start();
  const port = await freePort();
  const dir = tmp('bound');
  // Upstream answers 503 until told otherwise.
  fault.script = Array.from({ length: 1000 }, () => ({ status: 503 }));
  const local = await startForwarder(port, dir, ['--forward', fault.url, '--forward-max-backlog-mb', '1', '--forward-backoff-ms', '20']);
  const n = 80; // 80 x ~18 KB = ~1.45 MB > 1 MB
  await postBatches(port, 1, n);
  const st = await waitForStatus(port, 'drops', (s) => s.droppedRequests > 0 && s.backlogRequests + s.droppedRequests === n);
  assert.ok(st.backlogBytes <= 1024 * 1024, `backlog ${st.backlogBytes} fits the bound`);
  // Shown: the dropped count is in the status every window reads (lastError is the latest failure, a 503 again by now).
  assert.ok(st.droppedBytes > 0);
  assert.match(local.log(), /the backlog passed forward\.maxBacklogMB .* dropped the \d+ oldest request\(s\)/);
  // Upstream recovers: every request not dropped arrives, the newest included, nothing dropped twice.
  fault.script = [];
  const done = await waitForStatus(port, 'drained', (s) => s.backlogRequests === 0);
  assert.equal(done.sentRequests + done.droppedRequests, n);
  const accepted = fault.received.filter((x) => x.answer === '200').map((x) => x.body);
  assert.equal(accepted.length, n - done.droppedRequests);
  assert.ok(accepted[accepted.length - 1].equals(batch(n)), 'the newest was kept');
  assert.ok(accepted[0].equals(batch(done.droppedRequests + 1)), 'the oldest were dropped, in order');
  await stopServe(local.child);
  children.delete(local.child);
  // The counters survive a restart (persisted with the cursor).
  const again = await startForwarder(port, dir, ['--forward', fault.url, '--forward-max-backlog-mb', '1']);
  assert.equal((await waitForStatus(port, 'status after restart', (s) => s.droppedRequests > 0)).droppedRequests, done.droppedRequests);
  await stopServe(again.child);
  children.delete(again.child);
  await fault.close();
});

test('forwarding off removes the spool (disk use as without forwarding); bad --forward values fail with a clear message', { timeout: 180_000 }, async () => {
  const port = await freePort();
  const dir = tmp('off');
  const fault = await FaultOtlpServer.start();
  const on = await startForwarder(port, dir, ['--forward', fault.url]);
  await postBatches(port, 1, 1);
  await fault.waitForRequests(1);
  await stopServe(on.child);
  children.delete(on.child);
  assert.ok(existsSync(path.join(dir, 'forward')));
  const off = await startServe(port, dir);
  children.add(off);
  assert.ok(!existsSync(path.join(dir, 'forward')), 'the forward folder is gone');
  await stopServe(off);
  children.delete(off);
  await fault.close();
  const { runCli } = await import('../support/ledgerCli');
  const bad = await runCli(['serve', '--port', '0', '--data', dir, '--forward', 'ftp://collector:4318']);
  assert.notEqual(bad.code, 0);
  assert.match(bad.stderr, /only http:\/\/ and https:\/\/ are supported/);
  const badHeaders = await runCli(['serve', '--port', '0', '--data', dir, '--forward', 'http://127.0.0.1:9'], { ...process.env, CLAUDE_LEDGER_FORWARD_HEADERS: 'Content-Type=text/plain' });
  assert.match(badHeaders.stderr, /CLAUDE_LEDGER_FORWARD_HEADERS: Content-Type is set by the forwarder/);
});

test('a leader window forwards: the leader services (no vscode) with forward settings and header values from the host', { timeout: 120_000 }, async () => {
  const { leaderStarter } = await import('../../src/server/leadership/leaderServices');
  const { defaultSettings } = await import('../../src/core/settings');
  const { memoryLogger } = await import('../../src/core/log');
  const fault = await FaultOtlpServer.start();
  const port = await freePort();
  const log = memoryLogger();
  const asked: string[][] = [];
  const start = leaderStarter({
    dataDir: tmp('leader'),
    distDir: path.join(REPO_ROOT, 'dist'),
    token: TEST_TOKEN,
    log,
    version: 'test',
    getSettings: () => ({ ...defaultSettings(), forwardEndpoint: fault.url, forwardHeaders: ['Authorization'], forwardContent: 'without-content' }),
    // What src/host/forwardHeaders.ts reads from VS Code's SecretStorage.
    forwardHeaders: async (names) => {
      asked.push([...names]);
      return { Authorization: 'Bearer from-secret-storage' };
    },
  });
  const svc = await start(port);
  try {
    assert.equal(await postOtlp(port, '/v1/logs', readFileSync(path.join(FIX, 'b-write-edit-bash/logs-001.bin'))), 200);
    await fault.waitForRequests(1);
    assert.deepEqual(asked, [['Authorization']]);
    const r = fault.received[0];
    assert.equal(r.headers.authorization, 'Bearer from-secret-storage');
    assert.ok(!r.body.includes('Create hello.py'), 'without-content from the setting');
    const until = Date.now() + 30_000;
    let st: ForwardStatusDto | null | undefined;
    while (Date.now() < until && !(st && st.sentRequests === 1)) st = (await svc.query('status', {})).forward;
    assert.equal(st?.sentRequests, 1, 'the leader window\'s status query shows the forwarder');
    assert.equal(st?.endpoint, fault.url);
  } finally {
    await svc.close();
    await fault.close();
  }
  assert.doesNotMatch(log.lines.join('\n'), /from-secret-storage/);
});
