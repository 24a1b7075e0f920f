// The whole product path in a real VS Code (code-server 4.139.1 = VS Code 1.139.1) with the real
// Claude Code CLI in its integrated terminal (issue 7). The extension is the packaged .vsix a user
// installs. The only mock is the Anthropic Messages API (test/support/fakeAnthropic.ts): the real one
// is not reachable here and would not give deterministic token counts.
//
// Truth for every cost is what Claude Code computed itself (`total_cost_usd` of its JSON result,
// cross-checked against the fake API's usage log), never our own store. The terminal command sets only
// HOME, ANTHROPIC_BASE_URL and ANTHROPIC_API_KEY; every telemetry variable must come from our
// extension's terminal environment (the harness strips OTEL_*/CLAUDE_CODE_* from code-server's env).
//
// Steps share one VS Code and run in order; a step whose piece is missing fails with a message saying
// what is missing. Nothing is skipped. Screenshots: test-artifacts/e2e/<step>.png.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import type { Browser, Page } from 'playwright-core';
import * as h from './harness';
import { startFakeAnthropic, sumUsage, type FakeAnthropic, type ScriptedTurn } from '../support/fakeAnthropic';
import { scenarioByName } from '../support/scenarios';

const EXT_ID = 'claude-code-ledger.claude-code-ledger';
const STATUS_ID = `${EXT_ID}.claudeLedger.status`;
const CMD = {
  dashboard: 'Claude Ledger: Open Dashboard',
  exportCsv: 'Claude Ledger: Export Usage CSV…',
  connect: 'Claude Ledger: Connect Claude Code to MCP',
  mcpList: 'MCP: List Servers',
};
/** Claude Code's name for our MCP server (src/core/connectClaudeCode.ts). */
const MCP_SERVER = 'claude-ledger';

/** One real `claude -p` run in a VS Code terminal and what Claude Code said it cost. */
interface ClaudeRun {
  name: string;
  exitCode: number;
  totalCostUsd: number;
  sessionId: string;
  /** Terminal env as Claude Code saw it (OTEL_*, CLAUDE_CODE_*, CLAUDE_LEDGER_* names and values). */
  env: Map<string, string>;
  requests: FakeAnthropic['requests'];
  /** Successful /v1/messages answers (= api_request events Claude Code emits), side requests included. */
  apiRequests: number;
}

/** Dollar amounts in a text, with the number of decimals each was shown with. */
function dollars(text: string): { value: number; decimals: number }[] {
  return [...text.matchAll(/\$([0-9][0-9,]*)(?:\.([0-9]+))?/g)].map((m) => ({
    value: Number(`${m[1].replace(/,/g, '')}.${m[2] ?? '0'}`),
    decimals: (m[2] ?? '').length,
  }));
}

/** True when `shown` is `truth` rounded to the precision it is shown with (at least cents). */
function showsCost(shown: { value: number; decimals: number }, truth: number): boolean {
  if (shown.decimals < 2) return false;
  return Math.abs(shown.value - truth) <= 0.5 * 10 ** -shown.decimals + 1e-9;
}

function shq(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

describe('VS Code end to end: real VS Code, real Claude Code, packaged extension', { timeout: 20 * 60_000 }, () => {
  let root = '';
  let ws = '';
  let ws2 = '';
  let home = '';
  let outDir = '';
  let fake: FakeAnthropic | undefined;
  let server: h.CodeServer | undefined;
  let browser: Browser | undefined;
  let page: Page;
  let receiverPort = 0;
  let grpcPort = 0;
  const runs: ClaudeRun[] = [];
  const spent = () => runs.reduce((a, r) => a + r.totalCostUsd, 0);

  before(async () => {
    h.ensureInstalled();
    const vsix = h.packageVsix();
    root = h.makeTempDir('ledger-e2e-');
    ws = join(root, 'acme-web');
    ws2 = join(root, 'second-window');
    home = join(root, 'home');
    outDir = join(root, 'out');
    for (const d of [ws, ws2, home, outDir]) mkdirSync(d, { recursive: true });
    fake = await startFakeAnthropic({ turns: [] });
    // claude on PATH as for a user who installed it with npm (terminals and the Connect command).
    h.writeShellProfile(home, [join(h.REPO_ROOT, 'node_modules', '.bin')]);
    // A free port, not the default 4318: other test runs on this machine may hold it.
    receiverPort = await h.freePort();
    grpcPort = await h.freePort();
    server = await h.startCodeServer({
      vsix,
      workspace: ws,
      userSettings: { 'claudeLedger.port': receiverPort, 'claudeLedger.grpcPort': grpcPort },
      env: {
        // Scratch HOME for VS Code, its terminals and claude; the repo's claude on PATH so both the
        // terminal and the extension's "Connect" command find it, as on a user's machine.
        HOME: home,
        PATH: `${join(h.REPO_ROOT, 'node_modules', '.bin')}:${process.env.PATH ?? '/usr/bin:/bin'}`,
      },
      // Short grace so closing a browser tab ends that window's extension host (step 7).
      extraArgs: ['--reconnection-grace-time', '5'],
    });
    browser = await h.launchBrowser();
    page = await h.newPage(browser);
    await h.openWorkbench(page, server);
  });

  after(async () => {
    try {
      await h.stopAll();
    } finally {
      await fake?.close();
    }
  });

  const step = (name: string, fn: () => Promise<void>) => h.screenshotOnFailure(() => page, name, fn);

  /** Runs `claude -p` in the active terminal of `p` through a small script (its stdout shows there). */
  async function claudeInTerminal(p: Page, name: string, cwd: string, prompt: string, args: string[], turns: ScriptedTurn[]): Promise<ClaudeRun> {
    assert.ok(fake, 'fake Anthropic API not started');
    fake.reset(turns);
    const base = join(outDir, name);
    const script = [
      'set -u',
      `cd ${shq(cwd)}`,
      // Only names that could carry telemetry settings are recorded, to check where they came from.
      `env | grep -E '^(OTEL_|CLAUDE_CODE_|CLAUDE_LEDGER_)' | sort > ${shq(`${base}.env`)} || true`,
      `HOME=${shq(home)} ANTHROPIC_BASE_URL=${shq(fake.url)} ANTHROPIC_API_KEY=sk-ant-fake \\`,
      `  claude -p ${shq(prompt)} ${args.map(shq).join(' ')} --output-format json < /dev/null 2> ${shq(`${base}.err`)} | tee ${shq(`${base}.json`)}`,
      `echo "\${PIPESTATUS[0]}" > ${shq(`${base}.exit`)}`,
    ].join('\n');
    writeFileSync(`${base}.sh`, `${script}\n`);
    await h.typeInTerminal(p, `bash ${base}.sh`);
    const exitText = await h.waitFor(`claude run "${name}" to finish (${base}.exit)`, () => existsSync(`${base}.exit`) && readFileSync(`${base}.exit`, 'utf8').trim(), 120_000);
    const exitCode = Number(exitText);
    const err = existsSync(`${base}.err`) ? readFileSync(`${base}.err`, 'utf8') : '';
    assert.equal(exitCode, 0, `claude exited ${exitText}; stderr:\n${err.slice(-2000)}`);
    const result = JSON.parse(readFileSync(`${base}.json`, 'utf8')) as {
      total_cost_usd: number;
      session_id: string;
      modelUsage: Record<string, { inputTokens: number; outputTokens: number; cacheReadInputTokens: number; cacheCreationInputTokens: number }>;
    };
    // The cost truth must be about this fake API's answers: Claude Code's token totals equal the fake's.
    const fakeUsage = sumUsage(fake.usageLog);
    const cc = Object.values(result.modelUsage).reduce(
      (a, m) => ({ input: a.input + m.inputTokens, output: a.output + m.outputTokens, cacheRead: a.cacheRead + m.cacheReadInputTokens, cacheCreation: a.cacheCreation + m.cacheCreationInputTokens }),
      { input: 0, output: 0, cacheRead: 0, cacheCreation: 0 },
    );
    assert.deepEqual(cc, { input: fakeUsage.input_tokens, output: fakeUsage.output_tokens, cacheRead: fakeUsage.cache_read_input_tokens, cacheCreation: fakeUsage.cache_creation_input_tokens }, 'Claude Code token totals vs the fake API usage log');
    assert.ok(result.total_cost_usd > 0, `total_cost_usd ${result.total_cost_usd}`);
    const env = new Map(
      readFileSync(`${base}.env`, 'utf8').split('\n').filter((l) => l.includes('=')).map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)] as [string, string]),
    );
    const run: ClaudeRun = { name, exitCode, totalCostUsd: result.total_cost_usd, sessionId: result.session_id, env, requests: [...fake.requests], apiRequests: fake.usageLog.length };
    runs.push(run);
    return run;
  }

  /** Waits until the status bar of `p` shows `truth` (at its display precision); returns the text. */
  async function statusShows(p: Page, truth: number, what: string): Promise<string> {
    return h.waitFor(`status bar to show ${what} = $${truth.toFixed(4)} (Claude Code's own cost)`, async () => {
      const text = await h.statusBarText(p, STATUS_ID);
      const shown = dollars(text);
      return shown.length === 1 && showsCost(shown[0], truth) ? text : false;
    });
  }

  it('smoke: the workbench loads, our .vsix is installed, its status bar item appears', step('00-smoke', async () => {
    assert.ok(server, 'code-server did not start');
    assert.ok(server.installed.includes(EXT_ID), `code-server --list-extensions shows ${JSON.stringify(server.installed)}, not ${EXT_ID}`);
    await page.locator('.monaco-workbench').waitFor({ state: 'visible' });
    const text = await h.statusBarText(page, STATUS_ID);
    await h.screenshot(page, '00-smoke-workbench');
    assert.match(text, /\$|Ledger/, `status bar item ${STATUS_ID} text: ${text}`);
  }));

  it('1. status bar shows $0.00 and the receiver listening on our port', step('01', async () => {
    const text = await h.waitFor('status bar $0.00', async () => {
      const t = await h.statusBarText(page, STATUS_ID);
      return t === '$0.00' ? t : false;
    });
    const tooltip = await h.statusBarTooltip(page, STATUS_ID);
    await h.screenshot(page, '01-status-zero-listening');
    assert.equal(text, '$0.00');
    assert.match(tooltip, new RegExp(`receiving on 127\\.0\\.0\\.1:${receiverPort}`), `tooltip: ${tooltip}`);
    // The OTLP/gRPC receiver (dist/grpc.js from the packaged VSIX) listens beside it.
    assert.match(tooltip, new RegExp(`127\\.0\\.0\\.1:${grpcPort} \\(OTLP/gRPC\\)`), `tooltip: ${tooltip}`);
  }));

  it('2. a terminal gets our telemetry env; real claude -p runs Write + Edit + Bash in it', step('02', async () => {
    await h.openTerminal(page);
    const sc = scenarioByName('write-edit-bash');
    const run = await claudeInTerminal(page, 'run1-write-edit-bash', ws, sc.prompts[0], sc.args, sc.turns({ cwd: ws, home, mcpCallLog: join(outDir, 'mcp-calls.jsonl') }));
    await h.screenshot(page, '02-terminal-claude-run');
    const expectEnv: Record<string, string | RegExp> = {
      CLAUDE_CODE_ENABLE_TELEMETRY: '1',
      OTEL_METRICS_EXPORTER: 'otlp',
      OTEL_LOGS_EXPORTER: 'otlp',
      OTEL_TRACES_EXPORTER: 'otlp',
      OTEL_EXPORTER_OTLP_ENDPOINT: new RegExp(`^http://127\\.0\\.0\\.1:${receiverPort}/?$`),
      OTEL_LOG_TOOL_DETAILS: '1',
    };
    for (const [k, v] of Object.entries(expectEnv)) {
      const got = run.env.get(k);
      assert.ok(got !== undefined, `terminal env lacks ${k} (names present: ${[...run.env.keys()].join(', ') || 'none'})`);
      if (typeof v === 'string') assert.equal(got, v, k);
      else assert.match(got, v, k);
    }
    assert.match(run.env.get('OTEL_RESOURCE_ATTRIBUTES') ?? '', /repo\.name=acme-web/, 'OTEL_RESOURCE_ATTRIBUTES names the workspace folder');
    assert.equal(readFileSync(join(ws, 'hello.py'), 'utf8'), sc.expect.fileContents!['hello.py'], 'hello.py written and edited by Claude Code');
  }));

  it('3. the status bar shows exactly the cost Claude Code computed', step('03', async () => {
    assert.equal(runs.length, 1, 'step 2 did not complete a claude run');
    const text = await statusShows(page, spent(), 'run 1');
    await h.screenshot(page, '03-status-after-run');
    assert.ok(showsCost(dollars(text)[0], runs[0].totalCostUsd));
  }));

  it('4. dashboard: session row has that cost, Files edited opens hello.py, Acceptance shows the decisions', step('04', async () => {
    assert.equal(runs.length, 1, 'step 2 did not complete a claude run');
    await h.runCommand(page, CMD.dashboard);
    await page.locator('.tab', { hasText: /Ledger|Dashboard/ }).first().waitFor({ state: 'visible', timeout: 30_000 });
    const frame = h.webviewFrame(page);

    await frame.locator('#tab-sessions').click({ timeout: 30_000 });
    const costCells = frame.locator('[data-testid="sessions-table"] tbody tr td[data-col="cost"]');
    await h.waitFor('a session row whose cost is Claude Code\'s', async () => {
      const cells = await costCells.allInnerTexts();
      return cells.some((c) => dollars(c).some((d) => showsCost(d, runs[0].totalCostUsd))) || false;
    });
    await h.screenshot(page, '04a-dashboard-sessions');

    await frame.locator('#tab-files').click();
    const link = frame.locator('[data-testid="files-table"] button.link', { hasText: 'hello.py' });
    await link.waitFor({ state: 'visible', timeout: 30_000 });
    await h.screenshot(page, '04b-dashboard-files');
    await link.click();
    await page.locator('.tab', { hasText: 'hello.py' }).waitFor({ state: 'visible', timeout: 30_000 });
    await h.screenshot(page, '04c-file-opened');

    // Back to the dashboard tab (opening the file took the editor group's focus).
    await page.locator('.tab', { hasText: /Ledger|Dashboard/ }).first().click();
    await frame.locator('#tab-acceptance').click({ timeout: 30_000 });
    const overall = frame.locator('[data-testid="tile-accept-overall"]');
    await overall.waitFor({ state: 'visible', timeout: 30_000 });
    // write-edit-bash: three tool decisions, all accepted by config (acceptEdits + allowedTools).
    await h.waitFor('Acceptance: 3 accepted, 0 rejected', async () => /3 accepted · 0 rejected/.test(await overall.innerText()) || false);
    await h.screenshot(page, '04d-dashboard-acceptance');
  }));

  it('5. "Export Usage CSV…" from the palette writes a file whose rows match', step('05', async () => {
    assert.equal(runs.length, 1, 'step 2 did not complete a claude run');
    const target = join(outDir, 'requests-today.csv');
    await h.runCommand(page, CMD.exportCsv);
    await h.pickQuickInput(page, 'API requests');
    await h.pickQuickInput(page, 'Today');
    await h.acceptSaveDialog(page, target);
    const text = await h.waitFor(`CSV written to ${target}`, () => existsSync(target) && readFileSync(target, 'utf8'));
    await h.screenshot(page, '05-csv-exported');
    const rows = parse(text, { columns: true, skip_empty_lines: true, bom: true }) as Record<string, string>[];
    // One row per successful API request Claude Code made against the fake API (incl. side requests).
    assert.equal(rows.length, runs[0].apiRequests, 'one CSV row per API request Claude Code made');
    assert.ok('cost_usd' in rows[0], `CSV header: ${Object.keys(rows[0]).join(',')}`);
    const total = rows.reduce((a, r) => a + Number(r.cost_usd), 0);
    assert.ok(Math.abs(total - runs[0].totalCostUsd) < 1e-9, `sum(cost_usd) ${total} vs Claude Code ${runs[0].totalCostUsd}`);
  }));

  it('6. MCP: VS Code lists our server; Claude Code in the terminal calls usage_summary and gets our numbers', step('06', async () => {
    assert.equal(runs.length, 1, 'step 2 did not complete a claude run');
    await h.runCommand(page, CMD.mcpList);
    const rows = page.locator('.quick-input-widget .monaco-list-row');
    await h.waitFor('our server in "MCP: List Servers"', async () => (await rows.allInnerTexts()).some((t) => /ledger/i.test(t)) || false, 30_000);
    await h.screenshot(page, '06a-mcp-list-servers');
    await page.keyboard.press('Escape');

    await h.runCommand(page, CMD.connect);
    await h.waitFor('Claude Code user-scope registration in ~/.claude.json', () => existsSync(join(home, '.claude.json')) && readFileSync(join(home, '.claude.json'), 'utf8').includes(MCP_SERVER));
    await h.screenshot(page, '06b-connected');
    // A fresh terminal: the command may have used one of its own, and this is what its message advises.
    await h.openTerminal(page);
    const before = spent();
    const tool = `mcp__${MCP_SERVER}__usage_summary`;
    const run = await claudeInTerminal(page, 'run2-mcp', ws, 'What did I spend today?', ['--allowedTools', tool], [
      { kind: 'tool_use', name: tool, input: { range: 'today' } },
      { kind: 'text', text: 'You spent what the ledger says.' },
    ]);
    await h.screenshot(page, '06c-claude-called-mcp');
    const results = run.requests.flatMap((r) => r.toolResults ?? []);
    assert.equal(results.length, 1, `tool results sent back to the model: ${JSON.stringify(results).slice(0, 500)}`);
    assert.equal(results[0].isError, false, `usage_summary returned an error: ${results[0].text.slice(0, 500)}`);
    // The ledger may already hold the first request of this very run when the tool runs, so the
    // figure is between the spend before the run and the spend after it.
    const numbers = [...results[0].text.matchAll(/"costUsd"\s*:\s*([0-9.eE+-]+)|\$([0-9]+\.[0-9]+)/g)].map((m) => Number(m[1] ?? m[2]));
    assert.ok(
      numbers.some((n) => n >= before - 0.005 && n <= before + run.totalCostUsd + 0.005),
      `usage_summary result has no cost between ${before} and ${before + run.totalCostUsd}: ${results[0].text.slice(0, 500)}`,
    );
    await statusShows(page, spent(), 'runs 1-2');
  }));

  it('7. a second window shows the same spend; when the first closes it takes over and counts a new run', step('07', async () => {
    assert.ok(server && browser);
    const page2 = await h.newPage(browser);
    await h.openWorkbench(page2, server, ws2);
    await statusShows(page2, spent(), 'runs so far, in the second window');
    const followerTip = await h.statusBarTooltip(page2, STATUS_ID);
    await h.screenshot(page2, '07a-second-window-follower');
    assert.match(followerTip, /another VS Code window receives/, `second window tooltip: ${followerTip}`);

    const hostsBefore = h.extensionHostPids(server);
    await page.context().close();
    page = page2;
    // The first window's extension host ends after the reconnection grace; the second takes over.
    await h.waitFor('the second window to become the receiver', async () => /receiving on 127\.0\.0\.1/.test(await h.statusBarTooltip(page, STATUS_ID)) || false, 90_000);
    await h.screenshot(page, '07b-second-window-leader');
    assert.ok(h.extensionHostPids(server).length < hostsBefore.length, 'the first window\'s extension host is gone');

    await h.openTerminal(page);
    const sc = scenarioByName('write-edit-bash');
    await claudeInTerminal(page, 'run3-second-window', ws2, sc.prompts[0], sc.args, sc.turns({ cwd: ws2, home, mcpCallLog: join(outDir, 'mcp-calls.jsonl') }));
    await statusShows(page, spent(), 'runs 1-3 after takeover');
    await h.screenshot(page, '07c-second-window-counted');
  }));

  it('8. SIGKILL of the extension host right after a run loses nothing acknowledged', step('08', async () => {
    assert.ok(server);
    const sc = scenarioByName('plain-answer');
    await claudeInTerminal(page, 'run4-before-kill', ws2, sc.prompts[0], sc.args, sc.turns({ cwd: ws2, home, mcpCallLog: join(outDir, 'mcp-calls.jsonl') }));
    // Claude Code exited: its exports were answered (acknowledged) by our receiver. Kill at once.
    const oldItem = await h.statusBarItem(page, STATUS_ID).elementHandle();
    assert.ok(oldItem, 'status bar item missing before the kill');
    const hosts = h.extensionHostPids(server);
    assert.ok(hosts.length >= 1, 'no extension host process found');
    for (const pid of hosts) process.kill(pid, 'SIGKILL');
    await h.waitFor('the extension host to be gone', () => hosts.every((pid) => !h.descendants(server!.pid).some((p) => p.pid === pid)));
    await h.screenshot(page, '08a-extension-host-killed');
    // VS Code restarts a crashed extension host by itself ("terminated unexpectedly. Restarting...").
    await h.waitFor('VS Code to restart the extension host', () => h.extensionHostPids(server!).some((pid) => !hosts.includes(pid)));
    // The dead host's item is removed with it, so the figure below comes from the new host's store.
    await h.waitFor('the old status bar item to be removed', async () => !(await oldItem.evaluate((e) => e.isConnected)));
    await statusShows(page, spent(), 'runs 1-4 after the extension host restart');
    await h.screenshot(page, '08b-after-restart');
  }));
});
