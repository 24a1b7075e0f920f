/// <reference lib="dom" />
// The Productivity view of the dashboard bundle (dist/webview/main.js + main.css, `node esbuild.mjs`)
// in real Debian Chromium, against the fake host of fakeHost.ts (the real protocol; a real VS Code
// cannot run inside this test). Its ProductivityDto answers are computed here, before the page loads,
// by the REAL `productivity` query on a real store: the real Claude Code capture with a git commit and
// a pull request (test/fixtures/claude-code-git: "today" is one active hour, "yesterday" is empty), and
// a generated 90-day history cloned from a genuine Claude Code export (test/support/productivityHistory.ts).
// Screenshots go to test-artifacts/webview/.
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
import type { ProductivityDto, RangeKey } from '../../src/protocol/dto';
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
const FIXTURES = join(ROOT, 'test/fixtures/dto');
const ARTIFACTS = join(ROOT, 'test-artifacts/webview');
const CHROMIUM = '/usr/bin/chromium';

let server: Server;
let origin = '';
let context: BrowserContext;
let page: Page;
let userDataDir = '';
const consoleErrors: string[] = [];
/** The real query's answers, by range key, as the fake host serves them. */
const answers: Partial<Record<RangeKey, ProductivityDto>> = {};

async function realAnswers(): Promise<void> {
  // The real Claude Code session with a commit and a pull request.
  const recs = records('k-git-commit-pr', GIT_FIXTURES);
  const k = LedgerDb.open(await sqlJs());
  for (const b of recs) k.apply(b);
  const kCtx = { sql: k.sql, nowMs: nowOf(recs), dataVersion: k.dataVersion, lastEventMs: k.lastEventMs };
  answers.today = runQuery(kCtx, 'productivity', { range: { key: 'today' } });
  answers.yesterday = runQuery(kCtx, 'productivity', { range: { key: 'yesterday' } });
  k.close();
  // Three people in two teams over 90 days, ending this evening.
  const now = new Date(2026, 10, 21, 20, 0, 0).getTime();
  const hist = generateProductivityHistory({ endMs: now, days: 90, seed: 3 });
  const db = LedgerDb.open(await sqlJs());
  for (const body of hist.bodies) db.apply(decodeAndNormalize('metrics', 'json', body, DEFAULT_INGEST_OPTIONS).records);
  const ctx = { sql: db.sql, nowMs: now, dataVersion: db.dataVersion, lastEventMs: db.lastEventMs };
  for (const key of ['7d', '30d', 'month', 'all'] as const) answers[key] = runQuery(ctx, 'productivity', { range: { key } });
  db.close();
}

before(async () => {
  assert.ok(existsSync(join(DIST, 'main.js')), 'dist/webview/main.js is missing: run `node esbuild.mjs` first');
  assert.ok(existsSync(CHROMIUM), 'Debian chromium is missing: run `bash test/support/installBrowserDeps.sh`');
  await realAnswers();
  const out = await build({ entryPoints: [join(__dirname, 'fakeHost.ts')], bundle: true, format: 'iife', globalName: 'FakeHost', platform: 'browser', target: 'es2022', write: false });
  const fakeScript = out.outputFiles[0].text;
  const names = ['summary', 'summaryToday', 'costSeries', 'sessions', 'burnRate', 'spend', 'acceptance', 'filesEdited', 'toolStats', 'apiErrors', 'status', 'sessionTimelines'];
  const fixtures = Object.fromEntries(names.map((n) => [n, JSON.parse(readFileSync(join(FIXTURES, `${n}.json`), 'utf8'))]));
  const fx = JSON.stringify(fixtures).replace(/</g, '\\u003c');
  const prod = JSON.stringify(answers).replace(/</g, '\\u003c');
  server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', origin);
    if (url.pathname === '/') {
      const nonce = randomBytes(16).toString('base64');
      const theme = THEMES[(url.searchParams.get('theme') as ThemeName) ?? 'dark'] ?? THEMES.dark;
      const inline =
        `<script nonce="${nonce}">${fakeScript}\n` +
        `FakeHost.installFakeHost({ empty: false, workspace: '/home/dev/projects/acme-web', missing: [], fixtures: ${fx}, productivity: ${prod} });\n` +
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
});

const RANGE_TEXT: Record<RangeKey, string> = { today: 'Today', yesterday: 'Yesterday', '7d': 'Last 7 days', '30d': 'Last 30 days', month: 'This month', all: 'All time' };

/** Opens the dashboard on the Productivity tab with a range (through the real range picker). */
async function openProductivity(range: RangeKey, theme: ThemeName = 'dark'): Promise<void> {
  await page.goto(`${origin}/?theme=${theme}`);
  await page.evaluate(() => sessionStorage.clear());
  await page.goto(`${origin}/?theme=${theme}`);
  await page.waitForSelector('[data-testid=view-overview]');
  await page.getByRole('tab', { name: 'Productivity' }).click();
  await page.waitForSelector('[data-testid=view-productivity]');
  await page.click('[data-testid=range]');
  await page.locator('[data-testid=range] li', { hasText: RANGE_TEXT[range] }).click();
  await page.waitForFunction(
    (r) => {
      const v = document.querySelector('[data-testid=view-productivity]');
      return !!v && document.querySelector('#view')?.getAttribute('aria-busy') === 'false' && (window as unknown as { __requests: string[] }).__requests.length > 0 && JSON.parse(sessionStorage.getItem('fake-vscode-state') ?? '{}').range === r;
    },
    range,
  );
  await page.waitForFunction(() => document.querySelector('#view')?.getAttribute('aria-busy') === 'false');
}

const text = (sel: string) => page.locator(sel).first().innerText();
const drawnCharts = () => page.locator('[data-testid=view-productivity] canvas').count();

test('one active hour (real Claude Code session with a commit and a PR): tiles, charts, per-repo and team tables', async () => {
  await openProductivity('today');
  const d = answers.today!;
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
  assert.equal(await text('[data-testid=productivity-empty]'), 'No Claude Code activity yesterday.');
  assert.equal(await drawnCharts(), 0);
  assert.equal(await page.locator('[data-testid=view-productivity] .tile').count(), 0);
  await page.screenshot({ path: join(ARTIFACTS, 'productivity-empty-dark.png') });
});

test('a 90-day history (three people, two teams): daily charts over 30 days, weekly over all time; light and dark', async () => {
  for (const theme of ['light', 'dark'] as const) {
    await openProductivity('30d', theme);
    const d = answers['30d']!;
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
  await openProductivity('all', 'dark');
  const all = answers.all!;
  assert.equal(all.bucket, 'day');
  await page.waitForFunction(() => !!document.querySelector('#chart-active')?.getAttribute('height'));
  assert.equal(await page.locator('[data-testid=chart-active] details table tbody tr').count(), all.series.length);
  assert.equal(await text('[data-testid=tile-prs] .tile-value'), formatCount(all.totals.pullRequests));
  await page.screenshot({ path: join(ARTIFACTS, 'productivity-all-dark.png'), fullPage: true });
});

test('300 px wide: no horizontal page overflow', async () => {
  await page.setViewportSize({ width: 300, height: 800 });
  await openProductivity('30d', 'dark');
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
