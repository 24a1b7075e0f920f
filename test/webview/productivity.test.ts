/// <reference lib="dom" />
// The Productivity view of the dashboard bundle (dist/webview/main.js + main.css, `node esbuild.mjs`)
// in real Debian Chromium, against the fake host of fakeHost.ts (the real protocol; a real VS Code
// cannot run inside this test). Every request is answered in the test process by the REAL named
// queries on a real store: `k` = the real Claude Code capture with a git commit and a pull request
// (test/fixtures/claude-code-git; "today" is one active hour, "yesterday" is empty), `history` = a
// generated 90-day history of three people in two teams, cloned from a genuine Claude Code export
// (test/support/productivityHistory.ts). Screenshots go to test-artifacts/webview/.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { randomBytes } from 'node:crypto';
import { build } from 'esbuild';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { dashboardCsp, dashboardHtml } from '../../src/host/dashboardHtml';
import type { ProductivityDto, QueryApi, QueryMethods, QueryName, RangeKey, RangeSpec } from '../../src/protocol/dto';
import type { DashboardState, RequestMethod } from '../../src/protocol/messages';
import { overviewOf } from '../../src/core/dashboard/overview';
import { runQuery } from '../../src/core/queries/runQuery';
import { LedgerDb } from '../../src/core/store/ledgerDb';
import { decodeAndNormalize } from '../../src/core/otlp/ingest';
import { DEFAULT_INGEST_OPTIONS } from '../../src/core/otlp/records';
import { formatCount, formatMs, formatUsd } from '../../src/core/format/numbers';
import { GIT_FIXTURES, nowOf, records, sqlJs } from '../unit/storeTestSupport';
import { generateProductivityHistory } from '../support/productivityHistory';
import { THEMES, type ThemeName } from './themes';

const ROOT = resolve(__dirname, '../..');
const DIST = join(ROOT, 'dist/webview');
const ARTIFACTS = join(ROOT, 'test-artifacts/webview');
const CHROMIUM = '/usr/bin/chromium';

type DataName = 'k' | 'history';
let server: Server;
let origin = '';
let context: BrowserContext;
let page: Page;
let userDataDir = '';
const consoleErrors: string[] = [];
const stores = new Map<DataName, { db: LedgerDb; q: <M extends QueryName>(m: M, p: QueryMethods[M]['params']) => QueryMethods[M]['result']; api: QueryApi; nowMs: number }>();

async function openStores(): Promise<void> {
  const add = (name: DataName, db: LedgerDb, nowMs: number) => {
    const q = <M extends QueryName>(m: M, p: QueryMethods[M]['params']) => runQuery({ sql: db.sql, nowMs, dataVersion: db.dataVersion, lastEventMs: db.lastEventMs }, m, p);
    stores.set(name, { db, q, api: { query: async (m, p) => q(m, p) }, nowMs });
  };
  // The real Claude Code session with a commit and a pull request.
  const recs = records('k-git-commit-pr', GIT_FIXTURES);
  const k = LedgerDb.open(await sqlJs());
  for (const b of recs) k.apply(b);
  add('k', k, nowOf(recs));
  // Three people in two teams over 90 days, ending this evening.
  const now = new Date(2026, 10, 21, 20, 0, 0).getTime();
  const hist = generateProductivityHistory({ endMs: now, days: 90, seed: 3 });
  const db = LedgerDb.open(await sqlJs());
  for (const body of hist.bodies) db.apply(decodeAndNormalize('metrics', 'json', body, DEFAULT_INGEST_OPTIONS).records);
  add('history', db, now);
}

/** The answer the real query gives for a range of a store (what the page must show). */
const answer = (data: DataName, key: RangeKey): ProductivityDto => stores.get(data)!.q('productivity', { range: { key } });

/** The dashboard's requests as the host answers them (src/host/dashboardPanel.ts), over the real queries. */
async function hostAnswer(data: DataName, method: RequestMethod, params: { range: RangeSpec }): Promise<unknown> {
  const s = stores.get(data);
  if (!s) throw new Error(`no store ${data}`);
  if (method === 'status/get') return s.q('status', {});
  if (method === 'productivity/get') return s.q('productivity', { range: params.range });
  if (method === 'overview/get') return overviewOf(s.api, params.range, { dailyUsd: null, monthlyUsd: null }, s.nowMs);
  throw new Error(`${method} is not used by this test`);
}

before(async () => {
  assert.ok(existsSync(join(DIST, 'main.js')), 'dist/webview/main.js is missing: run `node esbuild.mjs` first');
  assert.ok(existsSync(CHROMIUM), 'Debian chromium is missing: run `bash test/support/installBrowserDeps.sh`');
  await openStores();
  const out = await build({ entryPoints: [join(__dirname, 'fakeHost.ts')], bundle: true, format: 'iife', globalName: 'FakeHost', platform: 'browser', target: 'es2022', write: false });
  const fakeScript = out.outputFiles[0].text;
  server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', origin);
    if (url.pathname === '/') {
      const nonce = randomBytes(16).toString('base64');
      const theme = THEMES[(url.searchParams.get('theme') as ThemeName) ?? 'dark'] ?? THEMES.dark;
      const cfg = JSON.stringify({ empty: false, dataset: url.searchParams.get('data') ?? 'k' }).replace(/</g, '\\u003c');
      const inline =
        `<script nonce="${nonce}">${fakeScript}\n` +
        `FakeHost.installFakeHost(${cfg});\n` +
        `window.__themes = ${JSON.stringify(THEMES)};\nFakeHost.applyTheme(${JSON.stringify(theme)});\n` +
        `window.__setTheme = (n) => FakeHost.applyTheme(window.__themes[n]);</script>\n`;
      const html = dashboardHtml({ cspSource: origin, nonce, scriptUri: `${origin}/dist/webview/main.js`, styleUri: `${origin}/dist/webview/main.css` }).replace('<script type="module"', `${inline}<script type="module"`);
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'content-security-policy': dashboardCsp(origin, nonce) });
      res.end(html);
      return;
    }
    const m = /^\/dist\/webview\/([\w.-]+)$/.exec(url.pathname);
    if (m && existsSync(join(DIST, m[1]))) {
      const type = m[1].endsWith('.js') ? 'text/javascript' : m[1].endsWith('.css') ? 'text/css' : m[1].endsWith('.ttf') ? 'font/ttf' : 'application/octet-stream';
      res.writeHead(200, { 'content-type': type });
      res.end(readFileSync(join(DIST, m[1])));
      return;
    }
    res.writeHead(404).end();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const addr = server.address();
  assert.ok(addr && typeof addr === 'object');
  origin = `http://127.0.0.1:${addr.port}`;
  userDataDir = mkdtempSync(join(tmpdir(), 'ledger-webview-prod-'));
  context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: CHROMIUM,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    viewport: { width: 1100, height: 900 },
  });
  await context.route('**/*', (route) => (route.request().url().startsWith(origin) ? route.continue() : route.abort()));
  await context.exposeFunction('__ledgerRequest', (data: DataName, method: RequestMethod, params: { range: RangeSpec }) => hostAnswer(data, method, params));
  page = context.pages()[0] ?? (await context.newPage());
  page.on('console', (m) => {
    if (m.type() === 'error') consoleErrors.push(m.text());
  });
  page.on('pageerror', (e) => consoleErrors.push(String(e)));
  mkdirSync(ARTIFACTS, { recursive: true });
});

after(async () => {
  await context?.close();
  await new Promise<void>((r) => (server ? server.close(() => r()) : r()));
  if (userDataDir) rmSync(userDataDir, { recursive: true, force: true });
  for (const s of stores.values()) s.db.close();
});

/** Opens the dashboard on the Productivity tab with a range, as a saved state restores it. */
async function openProductivity(range: RangeKey, theme: ThemeName = 'dark', data: DataName = 'k'): Promise<void> {
  const url = `${origin}/?theme=${theme}&data=${data}`;
  await page.goto(url);
  const state: DashboardState = { version: 1, view: 'productivity', range, sessions: { sortKey: 'start', sortDir: 'desc', repo: null, model: null }, openSessionId: null };
  await page.evaluate((s) => sessionStorage.setItem('fake-vscode-state', JSON.stringify(s)), state);
  await page.goto(url);
  await page.waitForSelector('[data-testid=view-productivity]');
  await page.waitForFunction(() => document.querySelector('#view')?.getAttribute('aria-busy') === 'false');
  assert.equal(await page.getByRole('tab', { name: 'Productivity' }).getAttribute('aria-selected'), 'true');
}

const text = (sel: string) => page.locator(sel).first().innerText();
const drawnCharts = () => page.locator('[data-testid=view-productivity] canvas').count();

test('one active hour (real Claude Code session with a commit and a PR): tiles, charts, per-repo and team tables', async () => {
  await openProductivity('today');
  const d = answer('k', 'today');
  await page.waitForSelector('[data-testid=tile-commits]');
  assert.equal(await text('[data-testid=tile-commits] .tile-value'), '1');
  assert.equal(await text('[data-testid=tile-prs] .tile-value'), '1');
  assert.equal(await text('[data-testid=tile-active] .tile-value'), formatMs(d.totals.activeSecondsCli * 1000));
  assert.equal(await text('[data-testid=tile-active] .tile-detail'), `You none · Claude Code ${formatMs(d.totals.activeSecondsCli * 1000)}`);
  assert.equal(await text('[data-testid=tile-lines] .tile-value'), '+3 / −0');
  assert.equal(await text('[data-testid=tile-cost-hour] .tile-value'), formatUsd(d.totals.costPerActiveHourUsd!));
  assert.equal(await text('[data-testid=tile-cost-line] .tile-value'), formatUsd(d.totals.costPerLineChangedUsd!));
  // Print mode: the one Write was accepted by a config rule, nobody decided.
  assert.equal(await text('[data-testid=tile-edits] .tile-value'), '—');
  assert.equal(await text('[data-testid=tile-edits] .tile-detail'), '0 of 0 you decided; 1 of 1 more decided by your settings or hooks');
  // Three charts draw (24 hourly periods); the acceptance chart has only auto decisions: still a chart of "All edit decisions".
  for (const id of ['active', 'lines', 'commits', 'acceptance']) {
    await page.waitForFunction((id) => !!document.querySelector(`#chart-${id}`)?.getAttribute('height'), id);
    assert.equal(await page.locator(`[data-testid=chart-${id}] details table tbody tr`).count(), 24, `${id}: 24 hours`);
  }
  assert.match(await text('[data-testid=chart-commits] figcaption'), /Commits and pull requests per hour/);
  // The hour of the commit in the table alternative.
  const rows = await page.$$eval('[data-testid=chart-commits] details table tbody tr', (trs) => trs.map((tr) => Array.from(tr.children).map((c) => c.textContent)));
  assert.deepEqual(rows.filter((r) => r[1] !== '0' || r[2] !== '0').map((r) => r.slice(1)), [['1', '1']], 'one hour with the commit and the PR');
  const repoRows = await page.$$eval('[data-testid=productivity-repos] tbody tr', (trs) => trs.map((tr) => Array.from(tr.children).map((c) => c.textContent)));
  assert.deepEqual(repoRows, [['demo', '1', formatMs(d.totals.activeSecondsCli * 1000), '1', '1', '+3 / −0', formatUsd(d.totals.costUsd)]]);
  // team.id=platform is reported: the user/team table shows, the API-key user as a short user.id.
  assert.match(await text('[data-testid=productivity-users]'), /user [0-9a-f]{8}…\s+platform\s+1/);
  assert.equal(await page.locator('[data-testid=productivity-sources]').count(), 0, 'every session sent metrics');
  await page.screenshot({ path: join(ARTIFACTS, 'productivity-today-dark.png'), fullPage: true });
});

test('an empty range says so in one line and draws no chart', async () => {
  await openProductivity('yesterday');
  await page.waitForSelector('[data-testid=productivity-empty]');
  assert.equal(await text('[data-testid=productivity-empty]'), 'No activity yesterday.');
  assert.equal(await drawnCharts(), 0);
  assert.equal(await page.locator('[data-testid=view-productivity] .tile').count(), 0);
  await page.screenshot({ path: join(ARTIFACTS, 'productivity-empty-dark.png') });
});

test('a 90-day history (three people, two teams): daily charts over 30 days, weekly over all time; light and dark', async () => {
  for (const theme of ['light', 'dark'] as const) {
    await openProductivity('30d', theme, 'history');
    const d = answer('history', '30d');
    await page.waitForSelector('[data-testid=tile-commits]');
    assert.equal(await text('[data-testid=tile-commits] .tile-value'), formatCount(d.totals.commits));
    assert.equal(await text('[data-testid=tile-lines] .tile-value'), `+${formatCount(d.totals.linesAdded)} / −${formatCount(d.totals.linesRemoved)}`);
    assert.equal(await text('[data-testid=tile-active] .tile-value'), formatMs((d.totals.activeSecondsUser + d.totals.activeSecondsCli) * 1000));
    for (const id of ['active', 'lines', 'commits', 'acceptance']) {
      await page.waitForFunction((id) => !!document.querySelector(`#chart-${id}`)?.getAttribute('height'), id);
      assert.equal(await page.locator(`[data-testid=chart-${id}] details table tbody tr`).count(), 30, `${id}: 30 days, zero days included`);
    }
    assert.equal(await page.locator('[data-testid=productivity-repos] tbody tr').count(), 3);
    const users = await page.locator('[data-testid=productivity-users] tbody th').allInnerTexts();
    assert.deepEqual([...users].sort(), ['ana@acme.dev', 'ben@acme.dev', 'chloe@acme.dev']);
    assert.match(await text('[data-testid=productivity-users]'), /chloe@acme\.dev\s+payments/);
    await page.screenshot({ path: join(ARTIFACTS, `productivity-30d-${theme}.png`), fullPage: true });
  }
  await openProductivity('all', 'dark', 'history');
  const all = answer('history', 'all');
  assert.equal(all.bucket, 'day');
  await page.waitForFunction(() => !!document.querySelector('#chart-active')?.getAttribute('height'));
  assert.equal(await page.locator('[data-testid=chart-active] details table tbody tr').count(), all.series.length);
  assert.equal(await text('[data-testid=tile-prs] .tile-value'), formatCount(all.totals.pullRequests));
  await page.screenshot({ path: join(ARTIFACTS, 'productivity-all-dark.png'), fullPage: true });
});

test('300 px wide: no horizontal page overflow', async () => {
  await page.setViewportSize({ width: 300, height: 800 });
  await openProductivity('30d', 'dark', 'history');
  await page.waitForFunction(() => !!document.querySelector('#chart-active')?.getAttribute('height'));
  const o = await page.evaluate(() => ({ sw: document.documentElement.scrollWidth, cw: document.documentElement.clientWidth }));
  assert.ok(o.sw <= o.cw, `page scrolls horizontally (${o.sw} > ${o.cw})`);
  await page.screenshot({ path: join(ARTIFACTS, 'productivity-narrow-dark.png'), fullPage: true });
  await page.setViewportSize({ width: 1100, height: 900 });
});

test('no CSP violation and no page error', async () => {
  const v = await page.evaluate(() => (window as unknown as { __cspViolations: string[] }).__cspViolations);
  assert.deepEqual(v, []);
  assert.deepEqual(consoleErrors, []);
});
