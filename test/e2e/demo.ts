// The one-command demo (npm run demo -> test/e2e/demo.sh -> here). Uses the e2e harness: the same
// .vsix a user installs, a real VS Code (code-server), the real Claude Code CLI in a VS Code terminal,
// and the scripted fake Messages API (no network, no API key, deterministic numbers). Before VS Code
// starts, the scratch HOME gets a generated multi-week Claude Code history (~/.claude/projects, from
// bench/transcriptCorpus.ts, ending at the end of yesterday), so the first start imports it with its
// progress notification and the dashboard's 7/30-day views show a real history; "today" stays the
// scripted live session's figure.
//
// Options (environment): LEDGER_DEMO_PORT (default: a free port) for the VS Code URL.
import { chmodSync, copyFileSync, mkdirSync, rmSync, writeFileSync, existsSync, readFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import * as h from './harness';
import { startFakeAnthropic, type FakeAnthropic, type ScriptedTurn } from '../support/fakeAnthropic';
import { FAKE_GH_DIR, initGitRepo, scenarioByName } from '../support/scenarios';
import { generateCorpus } from '../../bench/transcriptCorpus';
import { WEB_SEARCH_USD_PER_REQUEST } from '../../src/core/pricing/priceRequest';

/** The demo's limits, each with its reason. */
const DEMO = {
  /** A user's browser tab may drop its connection briefly (sleep, Wi-Fi); 30 s keeps its window alive. */
  reconnectionGraceSec: 30,
  /** A scripted claude run takes 0.5–5 s; generous for a busy 2-core machine. */
  runTimeoutMs: 120_000,
  /** The generated history: about 6 weeks of a busy user's sessions (generation takes ~1-2 s). */
  history: { mb: 7, days: 42, seed: 1 },
};

const demoDir = join(h.E2E_CACHE, 'demo');
const workspace = join(h.E2E_CACHE, 'demo-workspace');

function shq(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

let fake: FakeAnthropic | undefined;
let stopping = false;

async function stop(code: number): Promise<never> {
  if (!stopping) {
    stopping = true;
    console.log('\nStopping VS Code, the browser and the fake API (by PID)…');
    try {
      await h.stopAll();
    } finally {
      await fake?.close();
    }
  }
  process.exit(code);
}

interface DemoRun {
  name: string;
  prompt: string;
  args: string[];
  turns: ScriptedTurn[];
}

/**
 * Types ONE command into the active terminal: a script that runs claude once per run, in order, with
 * the demo env, each writing its JSON result and exit file. One typed line, because a second or third
 * click into a terminal full of output was taken by VS Code's sticky scroll overlay and the keys were
 * lost. The fake API gets every run's script at once: the runs are sequential, and each consumes exactly
 * its own main-loop turns (side requests without tools take no turn). Returns the total cost Claude
 * Code computed (total_cost_usd of every run).
 */
async function runInTerminal(page: import('playwright-core').Page, runs: DemoRun[]): Promise<number> {
  fake!.reset(runs.flatMap((r) => r.turns));
  const script = join(demoDir, 'sessions.sh');
  const base = (r: DemoRun) => join(demoDir, r.name);
  for (const r of runs) rmSync(`${base(r)}.exit`, { force: true });
  writeFileSync(
    script,
    [
      `cd ${shq(workspace)}`,
      // demo-claude adds only ANTHROPIC_BASE_URL/ANTHROPIC_API_KEY; telemetry comes from the extension.
      ...runs.flatMap((r) => [
        `demo-claude -p ${shq(r.prompt)} ${r.args.map(shq).join(' ')} --output-format json < /dev/null | tee ${shq(`${base(r)}.json`)}`,
        `echo "\${PIPESTATUS[0]}" > ${shq(`${base(r)}.exit`)}`,
      ]),
      '',
    ].join('\n'),
  );
  await h.typeInTerminal(page, `bash ${script}`);
  let cost = 0;
  for (const r of runs) {
    const exit = await h.waitFor(`claude run ${r.name}`, () => existsSync(`${base(r)}.exit`) && readFileSync(`${base(r)}.exit`, 'utf8').trim(), DEMO.runTimeoutMs);
    if (exit !== '0') throw new Error(`claude run ${r.name} exited ${exit}; see the VS Code terminal`);
    cost += (JSON.parse(readFileSync(`${base(r)}.json`, 'utf8')) as { total_cost_usd: number }).total_cost_usd;
  }
  return cost;
}

async function main(): Promise<void> {
  process.on('SIGINT', () => void stop(0));
  process.on('SIGTERM', () => void stop(0));

  console.log('Building and packaging the extension…');
  const vsix = h.packageVsix();
  console.log(`  ${vsix}`);

  // A fresh sample workspace each time: the scripted session writes hello.py from scratch.
  rmSync(workspace, { recursive: true, force: true });
  rmSync(demoDir, { recursive: true, force: true });
  mkdirSync(workspace, { recursive: true });
  mkdirSync(join(demoDir, 'bin'), { recursive: true });
  mkdirSync(join(demoDir, 'home'), { recursive: true });
  writeFileSync(join(workspace, 'README.md'), '# Demo workspace\n\nClaude Code sessions run here against a scripted fake model.\n');
  // A git repository, and GitHub's `gh` stand-in on the terminal's PATH: the scripted session commits
  // and opens a pull request, so the Productivity view shows Claude Code's commit and PR counters.
  initGitRepo(workspace);
  copyFileSync(join(FAKE_GH_DIR, 'gh'), join(demoDir, 'bin', 'gh'));
  chmodSync(join(demoDir, 'bin', 'gh'), 0o755);

  // The history a new user already has: ~/.claude/projects of the scratch HOME, before VS Code starts.
  // It ends at the end of yesterday, local time, so the status bar's "today" is the live session alone.
  const now = new Date();
  const endOfYesterday = new Date(new Date(now.getFullYear(), now.getMonth(), now.getDate()).getTime() - 1);
  const history = generateCorpus({ outDir: join(demoDir, 'home', '.claude'), end: endOfYesterday, ...DEMO.history });
  const days = Object.keys(history.truth.byDay).sort();
  const historyUsd = history.truth.totals.costUsd + history.truth.totals.webSearchRequests * WEB_SEARCH_USD_PER_REQUEST;
  console.log(
    `Generated a Claude Code history in ${join(demoDir, 'home', '.claude', 'projects')}:\n` +
      `  ${history.sessions} sessions in ${history.projects} projects (${history.subagentFiles} subagent files), ` +
      `${history.distinctRequests.toLocaleString('en-US')} requests, ${history.mb} MB of transcripts,\n` +
      `  ${days.length} active days from ${days[0]} to ${days[days.length - 1]} (UTC), $${historyUsd.toFixed(2)} at the bundled list prices`,
  );

  fake = await startFakeAnthropic({ turns: [] });
  // `demo-claude` = the real Claude Code CLI pointed at the fake API. Once the script is used up the
  // fake answers with plain text, so you can run `demo-claude -p "anything"` yourself in the terminal.
  const wrapper = join(demoDir, 'bin', 'demo-claude');
  writeFileSync(wrapper, `#!/usr/bin/env sh\nANTHROPIC_BASE_URL=${fake.url} ANTHROPIC_API_KEY=sk-ant-fake exec ${shq(join(h.REPO_ROOT, 'node_modules', '.bin', 'claude'))} "$@"\n`);
  chmodSync(wrapper, 0o755);

  h.writeShellProfile(join(demoDir, 'home'), [join(demoDir, 'bin'), join(h.REPO_ROOT, 'node_modules', '.bin')]);
  const port = process.env.LEDGER_DEMO_PORT ? Number(process.env.LEDGER_DEMO_PORT) : undefined;
  const server = await h.startCodeServer({
    vsix,
    workspace,
    port,
    env: {
      HOME: join(demoDir, 'home'),
      PATH: `${join(demoDir, 'bin')}:${join(h.REPO_ROOT, 'node_modules', '.bin')}:${process.env.PATH ?? '/usr/bin:/bin'}`,
    },
    extraArgs: ['--reconnection-grace-time', String(DEMO.reconnectionGraceSec)],
  });

  console.log('Running a scripted Claude Code session in a VS Code terminal…');
  const browser = await h.launchBrowser();
  const page = await h.newPage(browser);
  await h.recordNotifications(page);
  // Armed before the page loads: the screenshot is taken the moment the progress toast is visible.
  const progressShot = page
    .locator('.notification-toast', { hasText: 'importing Claude Code history' })
    .waitFor({ state: 'visible', timeout: DEMO.runTimeoutMs })
    .then(() => h.screenshot(page, 'demo-import-progress'));
  progressShot.catch(() => undefined); // awaited below
  await h.openWorkbench(page, server);
  await h.statusBarText(page, 'claude-code-ledger.claude-code-ledger.claudeLedger.status');
  // First start: the leader window imports the history with a progress notification, then says so.
  await h.waitForNotification(page, /importing Claude Code history/);
  const progressPng = await progressShot;
  const imported = await h.waitForNotification(page, /Imported [0-9,]+ requests from/, DEMO.runTimeoutMs);
  const importedN = /Imported ([0-9,]+) requests/.exec(imported)![1];
  if (importedN !== history.distinctRequests.toLocaleString('en-US')) {
    throw new Error(`the first start imported ${importedN} requests, the generated history has ${history.distinctRequests}: ${imported}`);
  }
  await h.screenshot(page, 'demo-imported');
  console.log(`First start imported the history: "${imported}"`);
  await h.openTerminal(page);
  const ctx = { cwd: workspace, home: join(demoDir, 'home'), mcpCallLog: join(demoDir, 'mcp-calls.jsonl') };
  const web = scenarioByName('write-edit-bash');
  const git = scenarioByName('git-commit-pr');
  const plain = scenarioByName('plain-answer');
  const cost = await runInTerminal(page, [
    { name: 'session-1', prompt: web.prompts[0], args: web.args, turns: web.turns(ctx) },
    { name: 'session-git', prompt: git.prompts[0], args: git.args, turns: git.turns(ctx) },
    { name: 'session-2', prompt: plain.prompts[0], args: plain.args, turns: plain.turns(ctx) },
  ]);
  // Every session counted: the status bar shows what Claude Code computed (today only: the imported
  // history ends yesterday), at its display precision (cents, or mills under $1: "$0.075").
  const expected = `$${cost.toFixed(4)}`;
  const showsCost = (text: string) => {
    const m = /^\$([0-9][0-9,]*)\.([0-9]{2,})$/.exec(text);
    return m !== null && Math.abs(Number(`${m[1].replace(/,/g, '')}.${m[2]}`) - cost) <= 0.5 * 10 ** -m[2].length + 1e-9;
  };
  let shown = '';
  const status = await h
    .waitFor(`the status bar to show ${expected}`, async () => {
      shown = await h.statusBarText(page, 'claude-code-ledger.claude-code-ledger.claudeLedger.status');
      return showsCost(shown) ? shown : false;
    })
    .catch(async (err: unknown) => {
      const png = await h.screenshot(page, 'demo-FAILED');
      throw new Error(`${(err as Error).message}; it shows "${shown}" (screenshot ${png})`);
    });
  // Plan limits: Claude Code hands its 5-hour and weekly windows to its status line command (Pro/Max
  // logins). Run the extension's own launcher once with such a report, as "Set Up Status Line" would
  // have Claude Code do, so the tooltip and the dashboard's limits tile show them.
  const launcher = join(server.userDataDir, 'User', 'globalStorage', 'claude-code-ledger.claude-code-ledger', 'claude-ledger-statusline.js');
  await h.waitFor(`the status line launcher ${launcher}`, () => existsSync(launcher));
  const nowSec = Math.floor(Date.now() / 1000);
  const statusLine = spawnSync(process.execPath, [launcher], {
    input: JSON.stringify({
      session_id: 'demo-status-line',
      model: { id: 'claude-opus-4-5', display_name: 'Opus 4.5' },
      cost: { total_cost_usd: cost },
      rate_limits: { five_hour: { used_percentage: 43, resets_at: nowSec + 3 * 3600 }, seven_day: { used_percentage: 12, resets_at: nowSec + 4 * 86400 } },
    }),
    env: { PATH: process.env.PATH ?? '', HOME: '/nonexistent', NO_COLOR: '1' },
    encoding: 'utf8',
  });
  const statusLineText = statusLine.stdout.trim();
  if (statusLine.status !== 0 || !/5h 43%/.test(statusLineText)) throw new Error(`the status line launcher printed "${statusLineText}" (${statusLine.stderr})`);
  console.log(`Claude Code's status line would show: ${statusLineText}`);
  await h.screenshot(page, 'demo-ready');
  // The Productivity view with today's scripted sessions: Claude Code's commit and pull request counters.
  await h.runCommand(page, 'Claude Ledger: Open Dashboard');
  const frame = h.webviewFrame(page);
  await frame.locator('#tab-productivity').click({ timeout: DEMO.runTimeoutMs });
  const commits = frame.locator('[data-testid="tile-commits"] .tile-value');
  await h.waitFor('the Productivity view to show the commit', async () => (await commits.innerText().catch(() => '')) === '1', DEMO.runTimeoutMs);
  const productivityPng = await h.screenshot(page, 'demo-productivity');
  console.log(`Productivity view (Last 7 days): ${productivityPng}`);
  // The scripted window steps aside (its extension host ends after the grace time); yours takes over.
  await page.context().close();

  const url = `${server.url}/?folder=${encodeURIComponent(workspace)}`;
  console.log(`
Claude Code Ledger demo is running (status bar after the scripted session: ${status}).

  Open in your browser:  ${url}

  - the status bar (bottom right) shows today's Claude Code spend; hover it for details
  - F1 -> "Claude Ledger: Open Dashboard": the Productivity tab shows today's session (active time, lines, the
    commit and pull request it made); pick "Last 30 days" or "All time" for the imported history
    (${history.sessions} sessions over ${days.length} days; its costs are estimates, marked *)
  - plan limits (as Claude Code's status line reports them for Pro/Max): in the status bar tooltip and the
    dashboard's limits tile; F1 -> "Claude Ledger: Set Up Status Line" does this for your own Claude Code
  - F1 -> "Claude Ledger: Show Prices Used": where each estimate's price came from
  - F1 -> "Claude Ledger: Export Usage CSV…", "Claude Ledger: Import Claude Code History"
  - the first start's import notification: ${progressPng}
  - in a VS Code terminal: demo-claude -p "hello"   (real Claude Code against the fake model)

Press Ctrl+C to stop everything.`);
  // Stay up until Ctrl+C; fail loudly if VS Code dies underneath us.
  server.child.on('exit', (code, sig) => {
    if (stopping) return;
    console.error(`code-server exited (${code ?? sig}); log: ${server.logPath}`);
    void stop(1);
  });
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.stack ?? err.message : String(err));
  void stop(1);
});
