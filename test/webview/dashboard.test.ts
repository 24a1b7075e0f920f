/// <reference lib="dom" />
// The dashboard bundle (dist/webview/main.js + main.css, built by `node esbuild.mjs`) in real Debian
// Chromium via playwright-core, against a fake host that speaks the real protocol (fakeHost.ts) with
// fixture DTOs. The page and its CSP header come from src/host/dashboardHtml.ts, as in VS Code.
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
import { THEMES, type ThemeName } from './themes';

const ROOT = resolve(__dirname, '../..');
const DIST = join(ROOT, 'dist/webview');
const FIXTURES = join(ROOT, 'test/fixtures/dto');
const ARTIFACTS = join(ROOT, 'test-artifacts/webview');
const CHROMIUM = '/usr/bin/chromium';
const WORKSPACE = '/home/dev/projects/acme-web';
const MISSING = ['/home/dev/projects/acme-web/src/legacy/oldCheckout.js'];

function fixtures(): Record<string, unknown> {
  const names = ['summary', 'summaryToday', 'costSeries', 'sessions', 'burnRate', 'spend', 'acceptance', 'filesEdited', 'toolStats', 'apiErrors', 'status', 'sessionTimelines'];
  return Object.fromEntries(names.map((n) => [n, JSON.parse(readFileSync(join(FIXTURES, `${n}.json`), 'utf8'))]));
}

let server: Server;
let origin = '';
let fakeScript = '';
let context: BrowserContext;
let page: Page;
let userDataDir = '';
const consoleErrors: string[] = [];

before(async () => {
  assert.ok(existsSync(join(DIST, 'main.js')), 'dist/webview/main.js is missing: run `node esbuild.mjs` first');
  assert.ok(existsSync(CHROMIUM), 'Debian chromium is missing: run `bash test/support/installBrowserDeps.sh`');
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
  const fx = JSON.stringify(fixtures());
  server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', origin);
    if (url.pathname === '/') {
      const nonce = randomBytes(16).toString('base64');
      const theme = THEMES[(url.searchParams.get('theme') as ThemeName) ?? 'dark'] ?? THEMES.dark;
      const cfg = JSON.stringify({ empty: url.searchParams.get('empty') === '1', workspace: WORKSPACE, missing: MISSING, forward: url.searchParams.get('forward') === '1' }).replace(/</g, '\\u003c');
      const inline =
        `<script nonce="${nonce}">${fakeScript}\n` +
        `FakeHost.installFakeHost(Object.assign(${cfg}, { fixtures: ${fx.replace(/</g, '\\u003c')} }));\n` +
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

test('overview renders the fixture numbers and four charts with table alternatives', async () => {
  await open('theme=dark');
  assert.equal(await text('[data-testid=tile-spend-today] .tile-value'), '$2.63');
  assert.equal(await text('[data-testid=tile-spend-7d] .tile-value'), '$18.17');
  assert.equal(await text('[data-testid=tile-spend-month] .tile-value'), '$60.04');
  assert.equal(await text('[data-testid=tile-sessions] .tile-value'), '13');
  assert.equal(await text('[data-testid=tile-requests] .tile-value'), '363');
  assert.equal(await text('[data-testid=tile-cache] .tile-value'), '85.9%');
  assert.equal(await text('[data-testid=tile-acceptance] .tile-value'), '85.5%');
  assert.match(await text('[data-testid=tile-burn] .tile-value'), /^\$0\.225\/h$/);
  // Plan limits (issue 13): the windows with the snapshot's age, the warning colour at 86 %, the block in progress.
  assert.equal(await text('[data-testid=tile-limit-5h] .tile-value'), '86%');
  assert.match(await text('[data-testid=tile-limit-5h] .tile-detail'), /^resets \w{3} \d\d:\d\d · reported 3 min ago$/);
  assert.equal(await page.locator('[data-testid=tile-limit-5h].tile-warning').count(), 1);
  assert.equal(await text('[data-testid=tile-limit-7d] .tile-value'), '12%');
  assert.equal(await text('[data-testid=tile-block-current] .tile-value'), '$3.50');
  assert.match(await text('[data-testid=tile-block-current] .tile-detail'), /42 requests since .*projected \$18\.25/);
  for (const id of ['cost', 'tokens', 'models', 'repos']) {
    await page.waitForFunction((id) => !!document.querySelector(`#chart-${id}`)?.getAttribute('height'), id);
    assert.match((await page.locator(`#chart-${id}`).getAttribute('aria-label')) ?? '', /table below/);
    assert.ok((await page.locator(`[data-testid=chart-${id}] details table tbody tr`).count()) > 0, `chart ${id} has a table alternative`);
  }
  // Cost by day: 7 days (Nov 15..21), opus first (highest cost).
  assert.equal(await rowCount('[data-testid=chart-cost] details table'), 7);
  assert.deepEqual(await page.locator('[data-testid=chart-cost] details thead th').allTextContents(), ['Day', 'claude-opus-4-8', 'claude-sonnet-4-6', 'claude-haiku-4-5']);
  const repos = await page.locator('[data-testid=chart-repos] details tbody th').allTextContents();
  assert.deepEqual(repos, ['acme-web', 'billing-api', '(no repo)', 'demo']);
  await page.screenshot({ path: join(ARTIFACTS, 'overview-dark.png'), fullPage: true });
});

test('theme switch recolours the charts from the --vscode-charts-* variables', async () => {
  const dark = await chartColours('cost');
  assert.ok(dark.includes('3794ff'), `dark chart uses charts-blue #3794ff: ${dark.join(',')}`);
  await page.evaluate(() => (window as unknown as { __setTheme(n: string): void }).__setTheme('light'));
  await page.waitForFunction(() => document.body.dataset.chartPalette?.startsWith('#1a85ff'));
  const light = await chartColours('cost');
  assert.ok(light.includes('1a85ff'), `light chart uses #1a85ff: ${light.join(',')}`);
  assert.ok(!light.includes('3794ff'), 'no dark blue left after switching to light');
  await page.screenshot({ path: join(ARTIFACTS, 'overview-light.png'), fullPage: true });
  await page.evaluate(() => (window as unknown as { __setTheme(n: string): void }).__setTheme('hc'));
  await page.waitForFunction(() => document.body.dataset.chartPalette?.startsWith('#75beff'));
  assert.ok((await chartColours('cost')).includes('75beff'), 'high contrast chart uses #75beff');
  await page.screenshot({ path: join(ARTIFACTS, 'overview-high-contrast.png'), fullPage: true });
});

test('sessions: sorting, filtering by repository and model, timeline with waterfall', async () => {
  await open('theme=dark');
  await tab('Sessions');
  const table = '[data-testid=sessions-table]';
  await page.waitForSelector(table);
  assert.equal(await rowCount(table), 13);
  assert.equal(await text('[data-testid=sessions-count]'), '13 sessions');
  // Default: newest first.
  assert.match(await text(`${table} tbody tr th`), /^Nov 21 19:46$/);
  await page.click(`${table} button[data-sort=cost]`);
  await page.waitForSelector(`${table} th[aria-sort=descending] button[data-sort=cost]`);
  assert.equal(await text(`${table} tbody tr td[data-col=cost]`), '$4.65');
  await page.click(`${table} button[data-sort=cost]`);
  await page.waitForSelector(`${table} th[aria-sort=ascending] button[data-sort=cost]`);
  assert.equal(await text(`${table} tbody tr td[data-col=cost]`), '$0.042');
  // Filter by repository, then by model (the host filters; the table shows what it answers).
  await page.click('[data-testid=filter-repo]');
  await page.locator('[data-testid=filter-repo] li', { hasText: 'billing-api' }).click();
  await page.waitForFunction(() => document.querySelectorAll('[data-testid=sessions-table] tbody tr').length === 4);
  const repos = await page.locator(`${table} td[data-col=repo]`).allInnerTexts();
  assert.deepEqual([...new Set(repos)], ['billing-api']);
  await page.click('[data-testid=filter-model]');
  await page.locator('[data-testid=filter-model] li', { hasText: 'claude-opus-4-8' }).click();
  await page.waitForFunction(() => document.querySelectorAll('[data-testid=sessions-table] tbody tr').length === 1);
  assert.equal(await text(`${table} td[data-col=cost]`), '$2.37');
  await page.click('[data-testid=filter-repo]');
  await page.locator('[data-testid=filter-repo] li', { hasText: 'All repositories' }).click();
  await page.click('[data-testid=filter-model]');
  await page.locator('[data-testid=filter-model] li', { hasText: 'All models' }).click();
  await page.waitForFunction(() => document.querySelectorAll('[data-testid=sessions-table] tbody tr').length === 13);

  // Keyboard: focus the row of scenario b (4 requests, $0.055) and press Enter.
  const row = page.locator(`${table} tbody tr`, { hasText: '$0.055' });
  await row.focus();
  await page.keyboard.press('Enter');
  await page.waitForSelector('[data-testid=timeline]');
  assert.match(await text('[data-testid=timeline] h2'), /demo · Nov 21 19:46 · 4781e320/);
  assert.equal(await page.locator('[data-testid=prompt]').count(), 1);
  assert.match(await text('[data-testid=prompt] h3'), /Prompt 1 · 19:46:28 · \$0\.055 · 4 requests/);
  assert.match(await text('[data-testid=prompt] blockquote'), /Create hello\.py/);
  assert.equal(await page.locator('[data-testid=prompt] .item-request').count(), 4);
  assert.deepEqual(await page.locator('[data-testid=prompt] .item-tool .item-title').allInnerTexts(), ['Write', 'Edit', 'Bash']);
  assert.equal(await page.locator('[data-testid=waterfall] .wf-row').count(), 14);
  assert.match(await text('dl.split'), /Waiting for you\s*:?\s*10 ms/);
  // A file in the timeline posts openFile.
  await page.locator('[data-testid=prompt] .item-tool button[data-path]').first().click();
  const last = (await posted()).at(-1);
  assert.deepEqual(last, { type: 'openFile', path: '/home/dev/projects/acme-web/hello.py' });
  await page.screenshot({ path: join(ARTIFACTS, 'timeline-dark.png'), fullPage: true });

  // Subagent session: spans under the Task tool's execution are nested deeper.
  await page.click('[data-testid=timeline-back]');
  await page.waitForSelector(table);
  await page.locator(`${table} tbody tr`, { hasText: '$0.124' }).click();
  await page.waitForSelector('[data-testid=timeline]');
  const nested = await page.locator('.wf-label.depth-3').allInnerTexts();
  assert.ok(nested.some((t) => /subagent/.test(t)), `subagent requests nested at depth 3: ${nested.join(' | ')}`);
  assert.equal(await page.locator('.item-error').count(), 2);
  assert.equal(await page.locator('.item.st-rejected').count(), 1);
});

test('estimates: the overview says which requests are estimated; transcript sessions carry a badge, title and a timeline note', async () => {
  await open('theme=dark');
  assert.equal(
    await text('[data-testid=estimates-note] span'),
    '7 of 363 requests are estimated from transcripts (prices: 6 learned from Claude Code, 1 bundled table).',
  );
  await page.click('[data-testid=show-prices]');
  assert.deepEqual((await posted()).at(-1), { type: 'action', action: 'showPrices' });
  await page.screenshot({ path: join(ARTIFACTS, 'overview-estimates-dark.png') });
  // Today's summary has no estimate: no note.
  await page.click('[data-testid=range]');
  await page.locator('[data-testid=range] li', { hasText: 'Today' }).click();
  await page.waitForFunction(() => !document.querySelector('[data-testid=estimates-note]') && !!document.querySelector('[data-testid=tile-spend-today]'));

  await open('theme=dark');
  await tab('Sessions');
  const table = '[data-testid=sessions-table]';
  await page.waitForSelector(table);
  const badges = page.locator(`${table} [data-testid=source-badge]`);
  assert.deepEqual(await badges.allInnerTexts(), ['transcript', 'partly transcript']);
  assert.equal(await badges.nth(0).getAttribute('title'), 'Cost estimated from the transcript; prices: 3 learned from Claude Code, 1 bundled table');
  assert.equal(await badges.nth(1).getAttribute('title'), 'Cost of 3 of 9 requests estimated from the transcript; prices: 3 learned from Claude Code');
  const row = page.locator(`${table} tbody tr`, { has: page.locator('[data-testid=session-title]') });
  assert.equal(await row.count(), 1);
  assert.match(await row.locator('td[data-col=repo]').innerText(), /^acme-web · fix\/login-redirect\s+Fix the login redirect loop$/);
  assert.match(await row.locator('td[data-col=cost]').innerText(), /^transcript \$0\.124 \*$/);
  assert.match((await row.getAttribute('aria-label')) ?? '', /^Fix the login redirect loop, acme-web · .* Cost estimated from the transcript; prices: 3 learned from Claude Code, 1 bundled table$/);
  await page.screenshot({ path: join(ARTIFACTS, 'sessions-transcript-dark.png'), fullPage: true });
  await row.click();
  await page.waitForSelector('[data-testid=timeline]');
  assert.equal(await text('[data-testid=timeline] h2'), 'Fix the login redirect loop');
  assert.equal(await text('[data-testid=timeline-source]'), 'transcript Cost estimated from the transcript; prices: 3 learned from Claude Code, 1 bundled table.');
  await page.screenshot({ path: join(ARTIFACTS, 'timeline-transcript-dark.png') });
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
  await open('theme=light');
  await tab('Files edited');
  const table = '[data-testid=files-table]';
  await page.waitForSelector(table);
  assert.equal(await rowCount(table), 9);
  const paths = await page.locator(`${table} button.link`).allInnerTexts();
  assert.ok(paths.includes('src/components/CheckoutForm.tsx'), paths.join(','));
  assert.ok(paths.includes('/home/dev/.claude/settings.json'), 'outside the workspace stays absolute');
  const missingRow = page.locator(`${table} tr.is-missing`);
  assert.equal(await missingRow.count(), 1);
  assert.match(await missingRow.innerText(), /src\/legacy\/oldCheckout\.js\s+missing/);
  await page.locator(`${table} button.link`, { hasText: 'src/components/CheckoutForm.tsx' }).click();
  assert.deepEqual((await posted()).at(-1), { type: 'openFile', path: '/home/dev/projects/acme-web/src/components/CheckoutForm.tsx' });
  await page.click(`${table} button[data-sort=edits]`);
  await page.waitForSelector(`${table} th[aria-sort=descending] button[data-sort=edits]`);
  assert.equal(await text(`${table} td[data-col=edits]`), '9');
  await page.screenshot({ path: join(ARTIFACTS, 'files-light.png'), fullPage: true });
});

test('acceptance keeps your decisions apart from auto-approvals; tools and errors', async () => {
  await tab('Acceptance');
  await page.waitForSelector('[data-testid=tile-accept-user]');
  assert.equal(await text('[data-testid=tile-accept-user] .tile-value'), '85.5%');
  assert.equal(await text('[data-testid=tile-accept-auto] .tile-value'), '93.8%');
  assert.equal(await text('[data-testid=tile-accept-overall] .tile-value'), '87.2%');
  assert.match(await text('[data-testid=accept-source]'), /hook \(auto\)\s+auto\s+2\s+0\s+100\.0%/);
  assert.match(await text('[data-testid=accept-tool]'), /Edit\s+26\s+9\s+74\.3%/);
  assert.match(await text('[data-testid=accept-language]'), /TypeScript\s+30\s+8\s+79\.0%/);
  await tab('Tools & errors');
  await page.waitForSelector('[data-testid=tools-table]');
  assert.match(await text('[data-testid=tools-table]'), /github › get_pull_request\s+12\s+2\s+83\.3%\s+640 ms\s+2\.2 s/);
  assert.equal(await text('[data-testid=tile-errors-total] .tile-value'), '17');
  assert.equal(await text('[data-testid=tile-errors-exhausted] .tile-value'), '1');
  assert.match(await text('[data-testid=errors-status]'), /529\s+8/);
  await page.screenshot({ path: join(ARTIFACTS, 'tools-light.png'), fullPage: true });
});

test('state survives a reload; "changed" refetches', async () => {
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
  await page.screenshot({ path: join(ARTIFACTS, 'empty-dark.png') });
});

test('300 px wide: no horizontal page overflow in any view', async () => {
  await page.setViewportSize({ width: 300, height: 800 });
  await open('theme=dark');
  await assertNoPageOverflow('overview');
  await page.screenshot({ path: join(ARTIFACTS, 'narrow-overview.png'), fullPage: true });
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
  await page.locator('[data-testid=sessions-table] tbody tr', { hasText: '$0.124' }).click();
  await page.waitForSelector('[data-testid=timeline]');
  await assertNoPageOverflow('timeline');
  await page.screenshot({ path: join(ARTIFACTS, 'narrow-timeline.png'), fullPage: true });
  await page.setViewportSize({ width: 1100, height: 900 });
});

test('no CSP violation and no page error during the whole run', async () => {
  const v = await page.evaluate(() => (window as unknown as { __cspViolations: string[] }).__cspViolations);
  assert.deepEqual(v, []);
  assert.deepEqual(consoleErrors.filter((e) => /Content Security Policy|Refused/.test(e)), []);
  assert.deepEqual(consoleErrors, []);
});
