// The status line command as Claude Code runs it, end to end:
//  - the built bundles (dist/statusline.js, `dist/cli.js statusline`, the launcher) fed the documented
//    JSON shapes, missing fields, garbage, empty, huge and never-closed stdin: one line, exit 0, no
//    stack trace, nothing on stderr;
//  - against a real `cli.js serve`: the snapshot and session id reach the ledger, today's spend comes
//    back in the same round trip; a wrong token or no ledger still prints the line, quickly;
//  - the real Claude Code 2.1.197, INTERACTIVE in tmux (its status line exists only in the interactive
//    UI), with our launcher as `statusLine` in the scratch HOME's settings, against the fake API that
//    sends the plan-limit headers the real API sends to subscribers: the status line shows our line with
//    5h/7d, and the ledger stored the snapshot under Claude Code's session id.
// Needs `node esbuild.mjs` first (test/run.sh builds) and tmux (test/support/installTmux.sh).
import assert from 'node:assert/strict';
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { launcherScript } from '../../src/core/claudeStatusLine';
import { baseEnv, CLAUDE_BIN, makeScratch, REPO_ROOT, telemetryEnv } from '../support/claudeRunner';
import { startFakeAnthropic, type FakeAnthropic } from '../support/fakeAnthropic';

const DIST = join(REPO_ROOT, 'dist');
const STATUSLINE_JS = join(DIST, 'statusline.js');
const CLI_JS = join(DIST, 'cli.js');
const nowSec = () => Math.floor(Date.now() / 1000);

function subscriber(sessionId = 'sl-test-session-1'): string {
  return JSON.stringify({
    session_id: sessionId,
    model: { id: 'claude-opus-4-5', display_name: 'Opus 4.5' },
    cost: { total_cost_usd: 0.4231 },
    rate_limits: { five_hour: { used_percentage: 43, resets_at: nowSec() + 7200 }, seven_day: { used_percentage: 12, resets_at: nowSec() + 400_000 } },
  });
}

interface Run {
  status: number | null;
  stdout: string;
  stderr: string;
  ms: number;
}

function run(args: string[], input: string | Buffer | undefined, env: Record<string, string> = {}, keepStdinOpen = false): Promise<Run> {
  return new Promise((resolve) => {
    const started = performance.now();
    const child = spawn(process.execPath, args, { env: { PATH: process.env.PATH ?? '', HOME: '/nonexistent', ...env }, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.stdin.on('error', () => undefined); // the command may stop reading past its cap
    child.on('close', (status) => resolve({ status, stdout, stderr, ms: performance.now() - started }));
    if (input !== undefined) child.stdin.write(input);
    if (!keepStdinOpen) child.stdin.end();
  });
}

function assertOneLine(r: Run, what: string): string {
  assert.equal(r.status, 0, `${what}: exit code`);
  assert.equal(r.stderr, '', `${what}: stderr`);
  assert.doesNotMatch(r.stdout, /\n\s+at /, `${what}: no stack trace`);
  assert.match(r.stdout, /^[^\n]+\n$/, `${what}: exactly one line: ${JSON.stringify(r.stdout)}`);
  return r.stdout.trimEnd();
}

before(() => {
  for (const f of [STATUSLINE_JS, CLI_JS]) assert.ok(existsSync(f), `${f} missing: run node esbuild.mjs`);
});

describe('the command alone (no ledger)', () => {
  const entries: [string, string[]][] = [
    ['dist/statusline.js', [STATUSLINE_JS]],
    ['cli.js statusline', [CLI_JS, 'statusline']],
  ];
  for (const [name, argv] of entries) {
    test(`${name}: documented shapes, missing fields, garbage, empty and huge stdin`, async () => {
      const env = { NO_COLOR: '1', CLAUDE_LEDGER_PORT: '1' };
      assert.match(assertOneLine(await run(argv, subscriber(), env), 'subscriber'), /^Opus 4\.5 · \$0\.423 session · 5h 43% \(resets \d\d:\d\d\) · 7d 12%$/);
      const apiKey = JSON.stringify({ session_id: 'x', model: { display_name: 'Sonnet 4.5' }, cost: { total_cost_usd: 1.5 } });
      assert.equal(assertOneLine(await run(argv, apiKey, env), 'api key'), 'Sonnet 4.5 · $1.50 session');
      assert.equal(assertOneLine(await run(argv, '{"rate_limits":{"five_hour":{}}}', env), 'missing fields'), 'Claude Ledger');
      assert.equal(assertOneLine(await run(argv, 'garbage {{{', env), 'garbage'), 'Claude Ledger');
      assert.equal(assertOneLine(await run(argv, '', env), 'empty'), 'Claude Ledger');
      assert.equal(assertOneLine(await run(argv, Buffer.from([0xff, 0xfe, 0, 1, 2]), env), 'binary'), 'Claude Ledger');
      // 8 MiB: past the 1 MiB cap the command stops reading and answers at once.
      const huge = `{"model":{"display_name":"${'x'.repeat(8 * 1024 * 1024)}"}}`;
      const h = await run(argv, huge, env);
      assert.equal(assertOneLine(h, 'huge'), 'Claude Ledger');
      // A caller that never closes stdin: the line comes after the 1 s stdin cap.
      const open = await run(argv, subscriber().slice(0, 20), env, true);
      assert.equal(assertOneLine(open, 'stdin left open'), 'Claude Ledger');
      assert.ok(open.ms < 5_000, `stdin left open took ${open.ms} ms`);
    });
  }

  test('colours unless NO_COLOR; no ledger listening costs a few hundred ms at most', async () => {
    const hot = JSON.stringify({ rate_limits: { five_hour: { used_percentage: 96 } } });
    assert.equal((await run([STATUSLINE_JS], hot, { CLAUDE_LEDGER_PORT: '1' })).stdout, '\u001b[31m5h 96%\u001b[0m\n');
    // A token and a port where nothing listens: connection refused, the line from stdin alone.
    const r = await run([STATUSLINE_JS, '--port', '1'], subscriber(), { NO_COLOR: '1', CLAUDE_LEDGER_TOKEN: 'z'.repeat(40) });
    assertOneLine(r, 'no ledger');
    assert.ok(r.ms < 1_500, `no ledger: ${r.ms} ms (wall, process start included)`);
  });
});

describe('against a running ledger (cli.js serve)', () => {
  let scratch: ReturnType<typeof makeScratch>;
  let serve: ReturnType<typeof spawn>;
  let port = 0;
  let token = '';
  let dataDir = '';

  before(async () => {
    scratch = makeScratch('ccl-statusline-');
    dataDir = join(scratch.root, 'data');
    serve = spawn(process.execPath, [CLI_JS, 'serve', '--port', '0', '--data', dataDir], { stdio: ['ignore', 'pipe', 'pipe'] });
    port = await new Promise<number>((resolve, reject) => {
      let out = '';
      serve.stdout!.on('data', (d) => {
        out += d;
        const m = /listening on http:\/\/127\.0\.0\.1:(\d+)/.exec(out);
        if (m) resolve(Number(m[1]));
      });
      serve.on('exit', (c) => reject(new Error(`serve exited ${c}`)));
    });
    token = readFileSync(join(dataDir, 'token'), 'utf8').trim();
  });

  after(async () => {
    serve.kill('SIGTERM');
    await new Promise((r) => serve.once('exit', r));
    scratch.dispose();
  });

  const query = async (method: string) => {
    const res = await fetch(`http://127.0.0.1:${port}/api/query`, { method: 'POST', headers: { Authorization: `Bearer ${token}` }, body: JSON.stringify({ method, params: {} }) });
    return ((await res.json()) as { result: Record<string, any> }).result;
  };

  test('the snapshot and session id reach the ledger; today comes back in the same round trip', async () => {
    const r = await run([STATUSLINE_JS, '--data', dataDir, '--port', String(port)], subscriber('sess-ledger-1'), { NO_COLOR: '1' });
    assert.match(assertOneLine(r, 'with ledger'), /^Opus 4\.5 · \$0\.423 session · \$0\.00 today · 5h 43% \(resets \d\d:\d\d\) · 7d 12%$/);
    const pl = await query('planLimits');
    assert.equal(pl.latest.sessionId, 'sess-ledger-1');
    assert.equal(pl.latest.fiveHour.usedPercent, 43);
    assert.equal(pl.latest.sevenDay.usedPercent, 12);
    // cli.js statusline and the token from $CLAUDE_LEDGER_TOKEN + port from $CLAUDE_LEDGER_MCP_URL (our terminals' env).
    const viaEnv = await run([CLI_JS, 'statusline'], subscriber('sess-ledger-2'), { NO_COLOR: '1', CLAUDE_LEDGER_TOKEN: token, CLAUDE_LEDGER_MCP_URL: `http://127.0.0.1:${port}/mcp` });
    assert.match(assertOneLine(viaEnv, 'env'), /\$0\.00 today/);
    assert.equal((await query('planLimits')).latest.sessionId, 'sess-ledger-2');
  });

  test('the launcher in the data folder (stable path) runs the bundle in-process', async () => {
    const launcher = join(dataDir, 'claude-ledger-statusline.js');
    writeFileSync(launcher, launcherScript({ statuslineJs: STATUSLINE_JS, port }));
    const r = await run([launcher], subscriber('sess-launcher'), { NO_COLOR: '1' });
    assert.match(assertOneLine(r, 'launcher'), /\$0\.00 today/);
    assert.equal((await query('planLimits')).latest.sessionId, 'sess-launcher');
    // The install it names is gone (extension updated): it finds the newest sibling install.
    const ext = join(scratch.root, 'extensions');
    const newer = join(ext, 'claude-code-ledger.claude-code-ledger-0.2.0', 'dist');
    mkdirSync(newer, { recursive: true });
    writeFileSync(join(newer, 'statusline.js'), readFileSync(STATUSLINE_JS));
    writeFileSync(launcher, launcherScript({ statuslineJs: join(ext, 'claude-code-ledger.claude-code-ledger-0.1.0', 'dist', 'statusline.js'), port }));
    assert.match(assertOneLine(await run([launcher], subscriber('sess-moved'), { NO_COLOR: '1' }), 'moved'), /today/);
    assert.equal((await query('planLimits')).latest.sessionId, 'sess-moved');
  });

  test('a wrong token or a garbage post: the line still prints; the ledger refuses the post', async () => {
    const r = await run([STATUSLINE_JS, '--port', String(port)], subscriber('sess-wrong'), { NO_COLOR: '1', CLAUDE_LEDGER_TOKEN: 'w'.repeat(40) });
    assert.doesNotMatch(assertOneLine(r, 'wrong token'), /today/);
    assert.notEqual((await query('planLimits')).latest.sessionId, 'sess-wrong');
    const bad = await fetch(`http://127.0.0.1:${port}/api/statusline`, { method: 'POST', headers: { Authorization: `Bearer ${token}` }, body: '{"fiveHour":{"usedPercent":-5}}' });
    assert.equal(bad.status, 400);
    const browser = await fetch(`http://127.0.0.1:${port}/api/statusline`, { method: 'POST', headers: { Authorization: `Bearer ${token}`, Origin: 'http://evil.example' }, body: '{}' });
    assert.equal(browser.status, 403);
    const big = await fetch(`http://127.0.0.1:${port}/api/statusline`, { method: 'POST', headers: { Authorization: `Bearer ${token}` }, body: JSON.stringify({ model: 'x'.repeat(64 * 1024) }) });
    assert.equal(big.status, 413);
  });

  test('real Claude Code 2.1.197, interactive in tmux: our status line shows, the ledger gets the session', { timeout: 120_000 }, async () => {
    const tmux = spawnSync('tmux', ['-V']);
    assert.equal(tmux.status, 0, 'tmux is required (bash test/support/installTmux.sh)');
    const resets5h = nowSec() + 2 * 3600 + 600;
    const fake: FakeAnthropic = await startFakeAnthropic({
      turns: [{ kind: 'text', text: 'Hello from the fake model.' }],
      rateLimits: { fiveHour: { utilization: 0.43, resetSec: resets5h }, sevenDay: { utilization: 0.12, resetSec: nowSec() + 400_000 } },
    });
    const home = join(scratch.root, 'home');
    const cwd = scratch.cwd;
    const socket = `ccl-sl-${process.pid}`;
    try {
      mkdirSync(join(home, '.claude'), { recursive: true });
      const launcher = join(dataDir, 'claude-ledger-statusline.js');
      writeFileSync(launcher, launcherScript({ statuslineJs: STATUSLINE_JS, port }));
      writeFileSync(join(home, '.claude', 'settings.json'), JSON.stringify({ statusLine: { type: 'command', command: `${process.execPath} ${launcher}` } }));
      // Onboarding done and the folder trusted: the status line only runs in a trusted workspace.
      writeFileSync(join(home, '.claude.json'), JSON.stringify({ hasCompletedOnboarding: true, projects: { [cwd]: { hasTrustDialogAccepted: true } } }));
      // claude.ai OAuth (not an API key): Claude Code reads the plan-limit headers only then.
      const env: Record<string, string> = {
        ...baseEnv(),
        HOME: home,
        ANTHROPIC_BASE_URL: fake.url,
        CLAUDE_CODE_OAUTH_TOKEN: 'sk-ant-oat01-fake-token-for-tests',
        CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '1',
        NO_COLOR: '1',
        ...telemetryEnv(`http://127.0.0.1:${port}`),
      };
      const envArgs = Object.entries(env).map(([k, v]) => `${k}=${v}`);
      execFileSync('tmux', ['-L', socket, 'new-session', '-d', '-s', 'cc', '-x', '160', '-y', '40', '-c', cwd, 'env', '-i', ...envArgs, CLAUDE_BIN]);
      const screen = () => execFileSync('tmux', ['-L', socket, 'capture-pane', '-p', '-t', 'cc'], { encoding: 'utf8' });
      const waitFor = async (re: RegExp, ms: number) => {
        const end = Date.now() + ms;
        let s = '';
        while (Date.now() < end) {
          s = screen();
          if (re.test(s)) return s;
          await new Promise((r) => setTimeout(r, 250));
        }
        assert.fail(`timed out waiting for ${re} on screen:\n${s}`);
      };
      // Before any message: our line from the session's first status line call.
      await waitFor(/\$0\.00 session · \$\d+\.\d\d today/, 30_000);
      execFileSync('tmux', ['-L', socket, 'send-keys', '-t', 'cc', 'Say hello', 'Enter']);
      await waitFor(/Hello from the fake model/, 30_000);
      const shown = await waitFor(/5h 43% \(resets \d\d:\d\d\) · 7d 12%/, 30_000);
      const ourLine = shown.split('\n').find((l) => l.includes('5h 43%'))!.trim().split(/\s{3,}/)[0];
      const sessionFile = readdirSync(join(home, '.claude', 'projects'), { recursive: true, encoding: 'utf8' }).find((f) => f.endsWith('.jsonl') && !f.includes('subagents'))!;
      const sessionId = sessionFile.split(/[\\/]/).pop()!.replace(/\.jsonl$/, '');
      const pl = await query('planLimits');
      assert.equal(pl.latest.sessionId, sessionId, 'the ledger received the session id Claude Code used');
      assert.equal(pl.latest.fiveHour.usedPercent, 43);
      assert.equal(Date.parse(pl.latest.fiveHour.resetsAt), resets5h * 1000);
      assert.equal(pl.latest.sevenDay.usedPercent, 12);
      process.stdout.write(`# real Claude Code status line: ${ourLine}\n`);
    } finally {
      // Claude Code still writes to ~/.claude as it exits: wait for its process to be gone before the scratch
      // folder is removed (tmux kill-server only signals it). Not our child, so its exit is polled.
      const panePid = Number(spawnSync('tmux', ['-L', socket, 'display-message', '-p', '-t', 'cc', '#{pane_pid}'], { encoding: 'utf8' }).stdout.trim());
      spawnSync('tmux', ['-L', socket, 'kill-server']);
      if (Number.isInteger(panePid) && panePid > 0) await waitForExit(panePid, 15_000);
      await fake.close();
    }
  });
});

/** Resolves when process `pid` no longer exists (kill(pid, 0) fails), or after `timeoutMs`. */
async function waitForExit(pid: number, timeoutMs: number): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    try {
      process.kill(pid, 0);
    } catch {
      return;
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}
