/// <reference lib="dom" />
// The dashboard bundle (dist/webview/main.js + main.css, built by `node esbuild.mjs`) in real Debian
// Chromium via playwright-core, against a fake host that speaks the real protocol (fakeHost.ts) and
// answers every request with the real named queries over stores of real Claude Code payloads
// (test/support/dashboardData.ts: one capture day, and 90 days of history before it). The page and
// its CSP header come from src/host/dashboardHtml.ts, as in VS Code. Screenshots of every view (an empty
// range, one day, 90 days; light and dark) go to test-artifacts/webview/.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { DATASETS, openDataset, type Dataset, type DatasetName } from '../support/dashboardData';
import type { RequestMethod } from '../../src/protocol/messages';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { randomBytes } from 'node:crypto';
import { build } from 'esbuild';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { dashboardCsp, dashboardHtml } from '../../src/host/dashboardHtml';
import { THEMES, type ThemeName } from './themes';

const ROOT = resolve(__dirname, '../..');
const DIST = join(ROOT, 'dist/webview');
const ARTIFACTS = join(ROOT, 'test-artifacts/webview');
const CHROMIUM = '/usr/bin/chromium';
const WORKSPACE = '/home/dev/projects/acme-web';
const MISSING = ['/home/dev/projects/acme-web/counter.txt'];

let server: Server;
let origin = '';
let fakeScript = '';
let context: BrowserContext;
let page: Page;
let userDataDir = '';
const consoleErrors: string[] = [];
const data = new Map<DatasetName, Dataset>();

before(async () => {
  assert.ok(existsSync(join(DIST, 'main.js')), 'dist/webview/main.js is missing: run `node esbuild.mjs` first');
  assert.ok(existsSync(CHROMIUM), 'Debian chromium is missing: run `bash test/support/installBrowserDeps.sh`');
  for (const d of DATASETS) data.set(d, await openDataset(d, WORKSPACE, MISSING));
  const out = await build({
    entryPoints: [join(__dirname, 'fakeHost.ts')],
    bundle: true,
    format: 'iife',
    globalName: 'FakeHost',
    platform: 'browser',
    target: 'es2022',
    write: false,
  });
  fakeScript = out.outputFiles[0].text;
  server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', origin);
    if (url.pathname === '/') {
      const nonce = randomBytes(16).toString('base64');
      const theme = THEMES[(url.searchParams.get('theme') as ThemeName) ?? 'dark'] ?? THEMES.dark;
      const cfg = JSON.stringify({ empty: url.searchParams.get('empty') === '1', dataset: url.searchParams.get('data') ?? 'day', forward: url.searchParams.get('forward') === '1' }).replace(/</g, '\\u003c');
      const inline =
        `<script nonce="${nonce}">${fakeScript}\n` +
        `FakeHost.installFakeHost(${cfg});\n` +
        `window.__themes = ${JSON.stringify(THEMES)};\nFakeHost.applyTheme(${JSON.stringify(theme)});\n` +
        `window.__setTheme = (n) => FakeHost.applyTheme(window.__themes[n]);</script>\n`;
      const html = dashboardHtml({ cspSource: origin, nonce, scriptUri: `${origin}/dist/webview/main.js`, styleUri: `${origin}/dist/webview/main.css` }).replace(
        '<script type="module"',
        `${inline}<script type="module"`,
      );
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
  userDataDir = mkdtempSync(join(tmpdir(), 'ledger-webview-'));
  context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: CHROMIUM,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    viewport: { width: 1100, height: 900 },
  });
  // The page's requests reach the real queries through a binding (the host's role), not the network.
  await context.exposeFunction('__ledgerRequest', (dataset: DatasetName, method: RequestMethod, params: never) => {
    const d = data.get(dataset);
    if (!d) throw new Error(`no dataset ${dataset}`);
    return d.request(method, params);
  });
  // Nothing outside our loopback origin may be fetched.
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
  for (const d of data.values()) d.close();
});

async function open(query = 'theme=dark'): Promise<void> {
  await page.goto(`${origin}/?${query}`);
  await page.evaluate(() => sessionStorage.clear());
  await page.goto(`${origin}/?${query}`);
  await page.waitForSelector('[data-testid=view-overview] [data-testid=tile-spend-today]');
}

async function tab(name: string): Promise<void> {
  await page.getByRole('tab', { name }).click();
}

const text = (sel: string) => page.locator(sel).first().innerText();
const rowCount = (sel: string) => page.locator(`${sel} tbody tr`).count();

/** Colours (rrggbb) covering at least `min` opaque pixels of a chart's canvas. */
async function chartColours(id: string, min = 40): Promise<string[]> {
  return page.evaluate(
    ({ id, min }) => {
      const c = document.getElementById(`chart-${id}`) as HTMLCanvasElement;
      const d = c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data;
      const n = new Map<string, number>();
      for (let i = 0; i < d.length; i += 4) {
        if (d[i + 3] !== 255) continue;
        const k = [d[i], d[i + 1], d[i + 2]].map((x) => x.toString(16).padStart(2, '0')).join('');
        n.set(k, (n.get(k) ?? 0) + 1);
      }
      return [...n].filter(([, v]) => v >= min).map(([k]) => k);
    },
    { id, min },
  );
}

async function posted(): Promise<{ type: string; [k: string]: unknown }[]> {
  return page.evaluate(() => (window as unknown as { __posted: { type: string }[] }).__posted);
}

async function assertNoPageOverflow(label: string): Promise<void> {
  const o = await page.evaluate(() => ({ sw: document.documentElement.scrollWidth, cw: document.documentElement.clientWidth }));
  assert.ok(o.sw <= o.cw, `${label}: page scrolls horizontally (${o.sw} > ${o.cw})`);
}

async function setRange(label: string): Promise<void> {
  await page.click('[data-testid=range]');
  await page.locator('[data-testid=range] li', { hasText: label }).first().click();
  await page.waitForFunction((l) => document.querySelector('#group-range')?.textContent?.endsWith(l) ?? true, label);
}

/** Tick labels of a drawn chart's value axis (charts.ts writes them on the canvas: a canvas has no text). */
async function ticks(id: string): Promise<string[]> {
  await page.waitForFunction((id) => !!document.querySelector(`#chart-${id}`)?.getAttribute('data-value-ticks'), id);
  return ((await page.locator(`#chart-${id}`).getAttribute('data-value-ticks')) ?? '').split('|');
}

/** Every tick of an axis in one format: same unit suffix and the same number of decimals. */
function assertOneFormat(label: string, t: string[]): void {
  const shape = (x: string) => x.replace(/^-?\$?/, '').replace(/[\d,]+/, 'N').replace(/\.(\d+)/, (_m, d: string) => `.${d.length}`);
  const shapes = new Set(t.filter((x) => x !== '0').map(shape));
  assert.ok(shapes.size <= 1, `${label}: ticks in more than one format: ${t.join(' ')}`);
}

async function shot(name: string): Promise<void> {
  await page.screenshot({ path: join(ARTIFACTS, `${name}.png`), fullPage: true });
}

test('one day ("Last 7 days" over the capture day): headline, grouped tiles, filled series, one-slice charts as sentences', async () => {
  await open('theme=dark&data=day');
  const d = data.get('day')!;
  const o = await d.request('overview/get', { range: { key: '7d' } });
  assert.equal(await text('[data-testid=headline-value]'), '$0.356');
  assert.equal(await text('[data-testid=headline-change]'), 'nothing the previous 7 days');
  assert.match((await page.locator('[data-testid=headline] svg.spark').getAttribute('aria-label')) ?? '', /^Cost per day, 7 days; highest \$0\.356 \(Nov 21\)$/);
  // The range's figures and the fixed periods are apart, each group titled.
  assert.equal(await page.locator('#group-range').textContent(), 'In this range · Last 7 days');
  assert.equal(await page.locator('#group-fixed').textContent(), 'Up to now · these do not follow the range');
  assert.deepEqual(await page.locator('[data-testid=group-fixed] .tile-label').allInnerTexts(), ['TODAY', 'LAST 7 DAYS', 'LAST 30 DAYS', 'THIS MONTH', 'LAST HOUR']);
  assert.equal(await page.locator('[data-testid=group-range] [data-testid=tile-spend-today]').count(), 0);
  assert.equal(await text('[data-testid=tile-requests] .tile-value'), String(o.summary.requests));
  assert.equal(await text('[data-testid=tile-sessions] .tile-value'), '7');
  // The acceptance tile in words (no "Mixes both").
  // The captures ran with permission rules (acceptEdits, allowedTools): Claude Code asked the user nothing.
  assert.equal(await text('[data-testid=tile-acceptance] .tile-value'), '—');
  assert.equal(await text('[data-testid=tile-acceptance] .tile-detail'), 'Claude Code asked you about no tool use: 11 approved and 1 refused automatically by your settings or hooks.');
  // Filled: seven day buckets on the axis although one day has data.
  await page.waitForFunction(() => !!document.querySelector('#chart-cost')?.getAttribute('data-categories'));
  assert.equal(await page.locator('#chart-cost').getAttribute('data-categories'), '7');
  assert.equal(await page.locator('#chart-tokens').getAttribute('data-categories'), '7');
  assertOneFormat('cost axis', await ticks('cost'));
  assertOneFormat('token axis', await ticks('tokens'));
  // One model, one repository: a sentence each, no ring and no single bar.
  assert.equal(await text('[data-testid=chart-models] [data-testid=statement]'), 'All cost from claude-opus-4-8: $0.356 over 24 requests.');
  assert.equal(await text('[data-testid=chart-repos] [data-testid=statement]'), 'All cost in demo: $0.356.');
  assert.equal(await page.locator('#chart-models, #chart-repos').count(), 0);
  await shot('overview-1day-dark');
  await page.evaluate(() => (window as unknown as { __setTheme(n: string): void }).__setTheme('light'));
  await page.waitForFunction(() => document.body.dataset.chartPalette?.startsWith('#1a85ff'));
  await shot('overview-1day-light');
});

test('an empty range ("Yesterday" with nothing yesterday): sentences, no chart, no rate from nothing, fixed periods apart', async () => {
  await open('theme=dark&data=day');
  await setRange('Yesterday');
  await page.waitForSelector('[data-testid=statement].no-activity');
  assert.equal(await text('[data-testid=headline-value]'), '$0.00');
  assert.equal(await text('[data-testid=headline-change]'), 'no cost the day before either');
  assert.deepEqual(await page.locator('[data-testid=statement]').allInnerTexts(), ['No activity yesterday.']);
  assert.equal(await page.locator('[data-testid=headline] svg').count(), 0, 'no flat sparkline');
  assert.equal(await page.locator('canvas').count(), 0, 'no chart is drawn with no data');
  assert.equal(await text('[data-testid=tile-cache] .tile-value'), '—');
  assert.equal(await text('[data-testid=tile-cache] .tile-detail'), 'no input tokens in this range, so no rate');
  assert.equal(await text('[data-testid=tile-acceptance] .tile-value'), '—');
  // Today's burn rate is not a figure of yesterday: it sits with the fixed periods, under their title.
  assert.equal(await page.locator('[data-testid=group-range] [data-testid=tile-burn]').count(), 0);
  assert.equal(await page.locator('[data-testid=group-fixed] [data-testid=tile-burn]').count(), 1);
  await shot('overview-empty-dark');
  await page.evaluate(() => (window as unknown as { __setTheme(n: string): void }).__setTheme('light'));
  await shot('overview-empty-light');
});

test('90 days: every day a bucket, one number format per axis, the doughnut and repository bars drawn', async () => {
  await open('theme=dark&data=days90');
  await setRange('All time');
  await page.waitForFunction(() => document.querySelector('#chart-cost')?.getAttribute('data-categories') === '91');
  const o = await data.get('days90')!.request('overview/get', { range: { key: 'all' } });
  assert.equal(o.costSeries.bucket, 'day');
  assert.equal(await text('[data-testid=headline-value]'), `$${o.summary.costUsd.toFixed(2)}`);
  assert.equal(await page.locator('[data-testid=headline-change]').count(), 0, 'all time has no previous period');
  for (const id of ['cost', 'tokens', 'repos']) assertOneFormat(id, await ticks(id));
  assert.ok((await ticks('tokens')).some((t) => t.endsWith('k')), 'token axis in thousands');
  await page.waitForFunction(() => !!document.querySelector('#chart-models')?.getAttribute('height'));
  assert.equal(await page.locator('#chart-models').getAttribute('data-categories'), '3');
  assert.equal(await page.locator('#chart-repos').getAttribute('data-categories'), '4');
  assert.equal(await page.locator('[data-testid=statement]').count(), 0);
  await shot('overview-90days-dark');

  // Last 7 days of the history: the change against the 7 days before.
  await setRange('Last 7 days');
  await page.waitForFunction(() => /vs the previous 7 days \(\$\d/.test(document.querySelector('[data-testid=headline-change]')?.textContent ?? ''));
  await setRange('Yesterday');
  await page.waitForFunction(() => document.querySelector('#chart-cost')?.getAttribute('data-categories') === '24');
  assertOneFormat('hourly cost axis', await ticks('cost'));
});

test('theme switch recolours the charts from the --vscode-charts-* variables; output tokens have their own colour', async () => {
  await open('theme=dark&data=days90');
  await page.waitForFunction(() => !!document.querySelector('#chart-tokens')?.getAttribute('data-value-ticks'));
  const dark = await chartColours('cost');
  assert.ok(dark.includes('3794ff'), `dark chart uses charts-blue #3794ff: ${dark.join(',')}`);
  // Output tokens: purple, at the bottom of each stack, visible next to cache reads.
  assert.ok((await chartColours('tokens', 20)).includes('b180d7'), 'output tokens drawn in charts-purple (dark)');
  await page.evaluate(() => (window as unknown as { __setTheme(n: string): void }).__setTheme('light'));
  await page.waitForFunction(() => document.body.dataset.chartPalette?.startsWith('#1a85ff'));
  const light = await chartColours('cost');
  assert.ok(light.includes('1a85ff'), `light chart uses #1a85ff: ${light.join(',')}`);
  assert.ok(!light.includes('3794ff'), 'no dark blue left after switching to light');
  assert.ok((await chartColours('tokens', 20)).includes('652d90'), 'output tokens drawn in charts-purple (light)');
  await shot('overview-90days-light');
  await page.evaluate(() => (window as unknown as { __setTheme(n: string): void }).__setTheme('hc'));
  await page.waitForFunction(() => document.body.dataset.chartPalette?.startsWith('#75beff'));
  assert.ok((await chartColours('cost')).includes('75beff'), 'high contrast chart uses #75beff');
  await shot('overview-90days-high-contrast');
});

test('sessions: headline per row, rows that open, grouped filters, totals; timeline: title request, legend, axis, one row per tool, relative paths', async () => {
  await open('theme=dark&data=day');
  await setRange('All time');
  await tab('Sessions');
  const table = '[data-testid=sessions-table]';
  await page.waitForSelector(table);
  assert.equal(await rowCount(table), 7);
  const d = await data.get('day')!.request('sessions/list', { range: { key: 'all' }, limit: 200 });
  // Every row says what the session was about.
  const heads = await page.locator(`${table} [data-testid=session-title]`).allInnerTexts();
  assert.equal(heads.length, 7);
  assert.ok(heads.includes('Add a greeting and count words in notes'), 'the ai-title of the transcript');
  assert.ok(heads.includes('Say hello despite the flaky API.'), 'a first prompt (captured)');
  assert.equal(new Set(heads).size, 7, `rows differ by more than time and cost: ${heads.join(' | ')}`);
  // Rows look and act like links: pointer, chevron, focusable.
  assert.equal(await page.locator(`${table} tbody tr`).first().evaluate((e) => getComputedStyle(e).cursor), 'pointer');
  assert.equal(await page.locator(`${table} tbody tr td.chev`).first().innerText(), '›');
  assert.equal(await page.locator(`${table} tbody tr`).first().getAttribute('tabindex'), '0');
  // Totals row from the query.
  const totals = page.locator(`[data-testid=sessions-table-totals]`);
  assert.match(await totals.locator('th').innerText(), /^Total \(7 sessions\)$/);
  assert.equal(await totals.locator('td[data-col=cost]').innerText(), '$0.356');
  assert.equal(await totals.locator('td[data-col=requests]').innerText(), String(d.totals.requests));
  // Filters in one group with the count.
  const group = page.locator('[role=group][aria-label="Filter sessions"]');
  assert.equal(await group.locator('[data-testid=filter-repo], [data-testid=filter-model], [data-testid=sessions-count]').count(), 3);
  await shot('sessions-1day-dark');

  // Sort by cost, then open scenario b's session with the keyboard.
  await page.click(`${table} button[data-sort=cost]`);
  await page.waitForSelector(`${table} th[aria-sort=descending] button[data-sort=cost]`);
  const row = page.locator(`${table} tbody tr`, { hasText: 'Create hello.py' });
  await row.focus();
  await page.keyboard.press('Enter');
  await page.waitForSelector('[data-testid=timeline]');
  assert.match(await text('[data-testid=timeline] h2'), /^Create hello\.py/);
  assert.match(await text('[data-testid=timeline] p.muted:nth-of-type(2)'), /· 1 prompt ·/);
  const heads2 = await page.locator('[data-testid=prompt] h3').allInnerTexts();
  assert.equal(heads2.length, 2);
  assert.match(heads2[0], /^Prompt 1 · 19:46:28 · \$0\.055 · 4 requests$/);
  assert.match(heads2[1], /^Session title \(Claude Code's own request, not a prompt\) · \d\d:\d\d:\d\d · \$0\.002 · 1 request$/);
  assert.equal(await page.locator('[data-testid=prompt][data-kind=sessionTitle] blockquote').count(), 0);
  // Legend and time axis.
  assert.deepEqual(await page.locator('[data-testid=wf-legend] li').first().locator('xpath=..').locator('li').allInnerTexts(), [
    'Whole prompt', 'Model request', 'Tool call', 'Waiting for you', 'Tool running', 'Failed',
  ]);
  const axis = await page.locator('[data-testid=wf-axis] .wf-tick').allInnerTexts();
  assert.ok(axis.length >= 3 && axis[0] === '0' && axis.slice(1).every((t) => /\d+ ms|\d\.\d s/.test(t)), `time axis: ${axis.join(' ')}`);
  // One row per tool call: Write, Edit, Bash once each (the execution spans are segments of their rows).
  const labels = await page.locator('[data-testid=prompt] [data-testid=waterfall] .wf-row:not(.wf-axis) .wf-label').allInnerTexts();
  for (const tool of ['Write', 'Edit', 'Bash']) assert.equal(labels.filter((l) => l === tool).length, 1, `${tool} once: ${labels.join(' | ')}`);
  assert.equal(labels.filter((l) => l === 'waiting for permission').length, 0);
  assert.ok((await page.locator('[data-testid=prompt] .wf-seg.wf-execution').count()) >= 3, 'execution drawn inside the tool rows');
  // Times that differ per row; paths relative to the session's folder, the link opens the absolute path.
  const offsets = await page.locator('[data-testid=prompt]').first().locator('.item-time').allInnerTexts();
  assert.equal(new Set(offsets).size, offsets.length, `times differ per row: ${offsets.join(' ')}`);
  assert.deepEqual(await page.locator('[data-testid=prompt] .item-tool button[data-path]').allInnerTexts(), ['hello.py', 'hello.py']);
  await page.locator('[data-testid=prompt] .item-tool button[data-path]').first().click();
  assert.deepEqual((await posted()).at(-1), { type: 'openFile', path: '/home/dev/projects/acme-web/hello.py' });
  await shot('timeline-1day-dark');
  await page.evaluate(() => (window as unknown as { __setTheme(n: string): void }).__setTheme('light'));
  await shot('timeline-1day-light');

  // Subagent-free h-long-session: four prompts, each numbered.
  await page.click('[data-testid=timeline-back]');
  await page.waitForSelector(table);
  await page.locator(`${table} tbody tr`, { hasText: 'Add a greeting' }).click();
  await page.waitForSelector('[data-testid=timeline]');
  assert.deepEqual((await page.locator('[data-testid=prompt] h3').allInnerTexts()).map((h) => h.split(' · ')[0]), ['Prompt 1', 'Prompt 2', 'Prompt 3', 'Prompt 4']);
});

test('sessions filter by repository and model over 90 days; an empty range says so', async () => {
  await open('theme=dark&data=days90');
  await setRange('Last 30 days');
  await tab('Sessions');
  const table = '[data-testid=sessions-table]';
  await page.waitForSelector(table);
  const all = await rowCount(table);
  assert.ok(all > 20, `30 days of sessions: ${all}`);
  await page.click('[data-testid=filter-repo]');
  await page.locator('[data-testid=filter-repo] li', { hasText: 'billing-api' }).click();
  await page.waitForSelector('[data-testid=filter-clear]');
  const repos = await page.locator(`${table} .session-where`).allInnerTexts();
  assert.deepEqual([...new Set(repos)], ['billing-api']);
  assert.match(await text('[data-testid=sessions-table-totals] th'), new RegExp(`^Total \\(${repos.length} sessions?\\)$`));
  await page.click('[data-testid=filter-clear]');
  await page.waitForFunction((n) => document.querySelectorAll('[data-testid=sessions-table] tbody tr').length === n, all);
  await shot('sessions-90days-dark');
  await page.evaluate(() => (window as unknown as { __setTheme(n: string): void }).__setTheme('light'));
  await shot('sessions-90days-light');

  await open('theme=dark&data=day');
  await setRange('Yesterday');
  await tab('Sessions');
  await page.waitForSelector(table);
  assert.equal(await text(`${table} td.none`), 'Nothing in this range.');
  assert.equal(await page.locator('[data-testid=sessions-table-totals]').count(), 0);
  await shot('sessions-empty-dark');
});

test('forwarding: the overview shows the upstream, its state with the last error, the backlog and the drops; nothing when off', async () => {
  await open('theme=dark&forward=1');
  await page.waitForSelector('[data-testid=forward-line]');
  assert.equal(
    await text('[data-testid=forward-line]'),
    'Forwarding to https://collector.example.com:4318: failing (HTTP 503: upstream overloaded) · backlog 42 requests (793.0 KB) · 3 dropped (backlog bound)',
  );
  assert.match((await page.getAttribute('[data-testid=forward-line]', 'class')) ?? '', /forward-failing/);
  await page.screenshot({ path: join(ARTIFACTS, 'overview-forwarding-dark.png') });
  await open('theme=dark');
  assert.equal(await page.$('[data-testid=forward-line]'), null);
});

test('files edited: workspace-relative paths, missing files marked, click posts openFile', async () => {
  await open('theme=light&data=day');
  await setRange('All time');
  await tab('Files edited');
  const table = '[data-testid=files-table]';
  await page.waitForSelector(table);
  const paths = await page.locator(`${table} button.link`).allInnerTexts();
  assert.ok(paths.includes('hello.py'), paths.join(','));
  const missingRow = page.locator(`${table} tr.is-missing`);
  assert.equal(await missingRow.count(), 1);
  assert.match(await missingRow.innerText(), /counter\.txt\s+missing/);
  await page.locator(`${table} button.link`, { hasText: 'hello.py' }).click();
  assert.deepEqual((await posted()).at(-1), { type: 'openFile', path: '/home/dev/projects/acme-web/hello.py' });
  await shot('files-1day-light');
});

test('acceptance: words instead of "Mixes both", by language from the decision metric; tools and errors', async () => {
  await open('theme=light&data=day');
  await setRange('All time');
  await tab('Acceptance');
  await page.waitForSelector('[data-testid=tile-accept-user]');
  assert.doesNotMatch(await text('[data-testid=view-acceptance]'), /read with care|Mixes both/);
  assert.match(await text('[data-testid=tile-accept-overall] .tile-detail'), /Yours and the automatic ones together\./);
  // b-write-edit-bash edited hello.py (Python), h-long-session notes (plain text), l README.md (Markdown).
  assert.match(await text('[data-testid=accept-language]'), /Python\s+2\s+0\s+100\.0%/);
  assert.match(await text('[data-testid=accept-language]'), /Markdown\s+1\s+0\s+100\.0%/);
  await shot('acceptance-1day-light');
  await tab('Tools & errors');
  await page.waitForSelector('[data-testid=tools-table]');
  assert.match(await text('[data-testid=tools-table]'), /Write\s+\d+/);
  // d-api-errors retried through 529/500/429, but Claude Code 2.1.197 sent no api_error event for them (its ground truth).
  assert.equal(await text('[data-testid=tile-errors-total] .tile-value'), '0');
  await shot('tools-1day-light');
});

test('every view at 1 day, 90 days and an empty range, light and dark (screenshots)', async () => {
  const views: [string, string, string][] = [
    ['Files edited', '[data-testid=files-table]', 'files'],
    ['Acceptance', '[data-testid=accept-tool]', 'acceptance'],
    ['Tools & errors', '[data-testid=tools-table]', 'tools'],
  ];
  for (const [ds, range, tag] of [['day', 'Today', '1day'], ['days90', 'All time', '90days'], ['day', 'Yesterday', 'empty']] as const) {
    for (const theme of ['dark', 'light']) {
      await open(`theme=${theme}&data=${ds}`);
      await setRange(range);
      for (const [name, sel, file] of views) {
        await tab(name);
        await page.waitForSelector(sel);
        await shot(`${file}-${tag}-${theme}`);
      }
    }
  }
});

test('state survives a reload; "changed" refetches', async () => {
  await open('theme=dark&data=day');
  await tab('Files edited');
  await page.waitForSelector('[data-testid=files-table]');
  await page.reload();
  await page.waitForSelector('[data-testid=files-table]');
  assert.equal(await page.getByRole('tab', { name: 'Files edited' }).getAttribute('aria-selected'), 'true');
  const before = await page.evaluate(() => (window as unknown as { __requests: string[] }).__requests.length);
  await page.evaluate(() => (window as unknown as { __fakeHost: { changed(): void } }).__fakeHost.changed());
  await page.waitForFunction((n) => (window as unknown as { __requests: string[] }).__requests.length >= n + 2, before);
  const reqs = await page.evaluate(() => (window as unknown as { __requests: string[] }).__requests.slice(-2));
  assert.deepEqual(reqs, ['status/get', 'files/list']);
});

test('empty state explains and offers the two actions', async () => {
  await page.goto(`${origin}/?theme=dark&empty=1`);
  await page.waitForSelector('[data-testid=empty]');
  assert.match(await text('[data-testid=empty]'), /No Claude Code activity yet/);
  await page.click('[data-testid=empty-terminal]');
  await page.click('[data-testid=empty-setup]');
  const acts = (await posted()).filter((m) => m.type === 'action');
  assert.deepEqual(acts, [{ type: 'action', action: 'openReportingTerminal' }, { type: 'action', action: 'setupEverywhere' }]);
  await shot('empty-dark');
});

test('300 px wide: no horizontal page overflow in any view', async () => {
  await page.setViewportSize({ width: 300, height: 800 });
  await open('theme=dark&data=days90');
  await assertNoPageOverflow('overview');
  await shot('narrow-overview');
  for (const [name, sel] of [
    ['Sessions', '[data-testid=sessions-table]'],
    ['Files edited', '[data-testid=files-table]'],
    ['Acceptance', '[data-testid=accept-tool]'],
    ['Tools & errors', '[data-testid=tools-table]'],
  ] as const) {
    await tab(name);
    await page.waitForSelector(sel);
    await assertNoPageOverflow(name);
  }
  await tab('Sessions');
  await page.locator('[data-testid=sessions-table] tbody tr').first().click();
  await page.waitForSelector('[data-testid=timeline]');
  await assertNoPageOverflow('timeline');
  await shot('narrow-timeline');
  await page.setViewportSize({ width: 1100, height: 900 });
});

test('no CSP violation and no page error during the whole run', async () => {
  const v = await page.evaluate(() => (window as unknown as { __cspViolations: string[] }).__cspViolations);
  assert.deepEqual(v, []);
  assert.deepEqual(consoleErrors.filter((e) => /Content Security Policy|Refused/.test(e)), []);
  assert.deepEqual(consoleErrors, []);
});
