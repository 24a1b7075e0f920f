// First start with an existing Claude Code history, in a real VS Code (code-server 4.139.1 = VS Code
// 1.139.1) with the packaged .vsix (issue 10, "e2e in VS Code"). The scratch HOME already holds
// ~/.claude/projects (a generated transcript corpus, bench/transcriptCorpus.ts) BEFORE VS Code starts;
// on the first start the leader window imports it with a progress notification, says how many requests
// it imported, and the status bar and the dashboard show the history.
//
// Truth is the generator's own ground truth (distinct requests, sessions, files; cost from the bundled
// price table the importer also prices with, plus Claude Code's $0.01 per web search), never our store.
// The corpus ends at the end of yesterday (UTC; code-server runs with TZ=UTC so the extension's local
// days are the truth's UTC days): "today" is $0.00, and every request falls in the last 7 days.
//
// Waits are on DOM conditions (a MutationObserver records every notification text the workbench
// shows, so a progress toast that closes quickly is still seen); nothing asserts timing.
// Screenshots: test-artifacts/e2e/history-*.png.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import * as h from './harness';
import { generateCorpus, type CorpusSummary, type TokenTotals } from '../../bench/transcriptCorpus';
import { WEB_SEARCH_USD_PER_REQUEST } from '../../src/core/pricing/priceRequest';

const EXT_ID = 'claude-code-ledger.claude-code-ledger';
const STATUS_ID = `${EXT_ID}.claudeLedger.status`;
const PROGRESS_TITLE = 'Claude Ledger: importing Claude Code history';
const DAY_MS = 86_400_000;
/**
 * The corpus: ~3 MB is 17 sessions / 318 requests with seed 7 (a resumed session with replayed lines,
 * subagents, synthetic and API-error lines included); 6 UTC days ending yesterday fit "Last 7 days"
 * whatever the time zone.
 */
const CORPUS = { mb: 3, days: 6, seed: 7 };

/** Dollar amounts in a text, with the number of decimals each was shown with. */
function dollars(text: string): { value: number; decimals: number }[] {
  return [...text.matchAll(/\$([0-9][0-9,]*)(?:\.([0-9]+))?/g)].map((m) => ({
    value: Number(`${m[1].replace(/,/g, '')}.${m[2] ?? '0'}`),
    decimals: (m[2] ?? '').length,
  }));
}

/** True when `shown` is `truth` rounded to the precision it is shown with (at least cents). */
function showsCost(shown: { value: number; decimals: number } | undefined, truth: number): boolean {
  if (!shown || shown.decimals < 2) return false;
  return Math.abs(shown.value - truth) <= 0.5 * 10 ** -shown.decimals + 1e-9;
}

/** What Claude Code would charge for `t`: the table's token cost plus its per-request web search price. */
function costOf(t: TokenTotals): number {
  return t.costUsd + t.webSearchRequests * WEB_SEARCH_USD_PER_REQUEST;
}

const count = (n: number) => n.toLocaleString('en-US');

describe('VS Code end to end: first start with an existing Claude Code history', { timeout: 15 * 60_000 }, () => {
  let home = '';
  let corpus: CorpusSummary;
  let server: h.CodeServer | undefined;
  let browser: Browser | undefined;
  let page: Page;
  /** Resolves with the screenshot path once the progress toast is visible (or rejects if it never is). */
  let progressShot: Promise<string>;
  let total = 0;
  let monthTruth = 0;

  before(async () => {
    h.ensureInstalled();
    const vsix = h.packageVsix();
    const root = h.makeTempDir('ledger-e2e-history-');
    home = join(root, 'home');
    const ws = join(root, 'acme-web');
    for (const d of [home, ws]) mkdirSync(d, { recursive: true });

    // The history, in ~/.claude/projects, before VS Code starts. Its last line is at the end of
    // yesterday (UTC), so nothing of it is "today".
    const now = Date.now();
    const end = new Date(Math.floor(now / DAY_MS) * DAY_MS - 1);
    corpus = generateCorpus({ outDir: join(home, '.claude'), end, ...CORPUS });
    total = costOf(corpus.truth.totals);
    const month = new Date(now).toISOString().slice(0, 7);
    monthTruth = Object.entries(corpus.truth.byDay).filter(([day]) => day.startsWith(month)).reduce((a, [, t]) => a + costOf(t), 0);
    console.log(
      `[history e2e] corpus: ${corpus.sessions} sessions, ${corpus.files} files, ${corpus.distinctRequests} requests, ` +
        `${Object.keys(corpus.truth.byDay).length} days to ${corpus.end}, $${total.toFixed(4)} (this month $${monthTruth.toFixed(4)})`,
    );
    assert.ok(corpus.sessions >= 10 && corpus.distinctRequests >= 100, 'corpus too small to mean anything');

    server = await h.startCodeServer({
      vsix,
      workspace: ws,
      userSettings: {
        // A free port, not the default 4318: other test runs on this machine may hold it.
        'claudeLedger.port': await h.freePort(),
        // "today" is $0.00 by construction; the month shows the part of the history in this month.
        'claudeLedger.statusBar.show': 'month',
      },
      env: { HOME: home, TZ: 'UTC' },
      // Short grace so closing the browser tab ends that window's extension host (step 6).
      extraArgs: ['--reconnection-grace-time', '5'],
    });
    browser = await h.launchBrowser();
    page = await h.newPage(browser);
    await h.recordNotifications(page);
    // Armed before the page loads: the import may start while openWorkbench still waits.
    progressShot = page
      .locator('.notification-toast', { hasText: 'importing Claude Code history' })
      .waitFor({ state: 'visible', timeout: h.DEFAULT_LIMITS.statusBarItemMs })
      .then(() => h.screenshot(page, 'history-01-import-progress'));
    progressShot.catch(() => undefined); // awaited (and reported) in step 1
    await h.openWorkbench(page, server);
  });

  after(async () => {
    await h.stopAll();
  });

  const step = (name: string, fn: () => Promise<void>) => h.screenshotOnFailure(() => page, name, fn);

  it('1. the first start shows the import progress notification', step('history-01', async () => {
    assert.ok(server?.installed.includes(EXT_ID), `installed: ${JSON.stringify(server?.installed)}`);
    const text = await h.waitForNotification(page, /importing Claude Code history/);
    // The toast may already be gone (a small history imports in well under a second): the screenshot is
    // taken when it was seen visible, and is missing only if it closed before playwright could look.
    const shot = await Promise.race([
      progressShot.catch((err: unknown) => `not taken (${(err as Error).message.split('\n')[0]})`),
      h.sleep(5_000).then(() => 'not taken (the toast closed before it could be captured)'),
    ]);
    console.log(`[history e2e] progress notification: "${text}" (screenshot: ${shot})`);
    assert.ok(text.includes(PROGRESS_TITLE), `notification text: ${text}`);
  }));

  it('2. "Imported N requests from M transcript files": N = the corpus\'s distinct requests', step('history-02', async () => {
    const text = await h.waitForNotification(page, /Imported [0-9,]+ requests from/);
    await page.locator('.notification-toast', { hasText: 'Imported' }).waitFor({ state: 'visible', timeout: 10_000 }).catch(() => undefined);
    await h.screenshot(page, 'history-02-imported-message');
    console.log(`[history e2e] import message: "${text}"`);
    const m = /Imported ([0-9,]+) requests from ([0-9,]+) transcript files/.exec(text);
    assert.ok(m, `message: ${text}`);
    assert.equal(m[1], count(corpus.distinctRequests), `requests imported vs the corpus's distinct requests (${text})`);
    assert.equal(m[2], count(corpus.files), `transcript files read vs the corpus's files (${text})`);
    assert.doesNotMatch(text, /already known from telemetry/, 'nothing was known from OTLP');
  }));

  it('3. the status bar shows this month\'s part of the history; today is $0.00', step('history-03', async () => {
    const text = await h.waitFor(`status bar "$${monthTruth.toFixed(2)} month"`, async () => {
      const t = await h.statusBarText(page, STATUS_ID);
      return /month/.test(t) && showsCost(dollars(t)[0], monthTruth) ? t : false;
    });
    const tooltip = await h.waitFor('the tooltip with Today and This month', async () => {
      const tip = await h.statusBarTooltip(page, STATUS_ID);
      return /This month/.test(tip) ? tip : false;
    });
    await h.screenshot(page, 'history-03-status-bar');
    console.log(`[history e2e] status bar: "${text}"`);
    const row = (label: string) => dollars(tooltip.split('\n').find((l) => l.trim().startsWith(label)) ?? '')[0];
    assert.ok(showsCost(row('Today'), 0), `tooltip Today row: ${tooltip}`);
    assert.ok(showsCost(row('This month'), monthTruth), `tooltip This month row vs $${monthTruth.toFixed(4)}: ${tooltip}`);
  }));

  it('4. dashboard overview: the last 7 and 30 days equal the history\'s cost, today $0.00', step('history-04', async () => {
    await h.runCommand(page, 'Claude Ledger: Open Dashboard');
    await page.locator('.tab', { hasText: /Ledger|Dashboard/ }).first().waitFor({ state: 'visible', timeout: 30_000 });
    const frame = h.webviewFrame(page);
    const tile = (id: string) => frame.locator(`[data-testid="tile-${id}"] .tile-value`);
    await tile('spend-30d').waitFor({ state: 'visible', timeout: 30_000 });
    const values = await h.waitFor('the overview tiles to show the imported history', async () => {
      const v = {
        today: await tile('spend-today').innerText(),
        d7: await tile('spend-7d').innerText(),
        d30: await tile('spend-30d').innerText(),
        sessions: await tile('sessions').innerText(),
        requests: await tile('requests').innerText(),
      };
      return showsCost(dollars(v.d30)[0], total) ? v : false;
    });
    await h.screenshot(page, 'history-04-dashboard-overview');
    console.log(`[history e2e] overview tiles: ${JSON.stringify(values)}`);
    assert.ok(showsCost(dollars(values.today)[0], 0), `Today tile: ${values.today}`);
    assert.ok(showsCost(dollars(values.d7)[0], total), `Last 7 days tile ${values.d7} vs $${total.toFixed(4)}`);
    assert.ok(showsCost(dollars(values.d30)[0], total), `Last 30 days tile ${values.d30} vs $${total.toFixed(4)}`);
    // The default range is the last 7 days, which holds the whole history.
    assert.equal(values.sessions, count(corpus.sessions), 'Sessions tile');
    assert.equal(values.requests, count(corpus.distinctRequests), 'Requests tile');
    const detail = await frame.locator('[data-testid="headline"] .tile-detail').innerText();
    assert.match(detail, /estimated/, 'the range cost (the headline) says it is estimated from tokens');
  }));

  it('5. dashboard sessions: every imported session is listed, badged as from its transcript, with its repository', step('history-05', async () => {
    const frame = h.webviewFrame(page);
    await frame.locator('#tab-sessions').click({ timeout: 30_000 });
    const rows = frame.locator('[data-testid="sessions-table"] tbody tr');
    await h.waitFor(`${corpus.sessions} session rows`, async () => (await rows.count()) === corpus.sessions || false);
    await h.screenshot(page, 'history-05-dashboard-sessions');
    assert.equal(await frame.locator('[data-testid="sessions-count"]').innerText(), `${corpus.sessions} sessions`);
    const col = (c: string) => frame.locator(`[data-testid="sessions-table"] tbody tr td[data-col="${c}"]`).allInnerTexts();
    const costs = await col('cost');
    const requests = await col('requests');
    // The session cell holds its headline, then the repository and branch ("acme-web · main").
    const repos = (await frame.locator('[data-testid="sessions-table"] tbody tr td[data-col="repo"] .session-where').allInnerTexts()).map((t) => t.split(' · ')[0].trim());
    const badges = await frame.locator('[data-testid="sessions-table"] tbody tr td[data-col="cost"] [data-testid="source-badge"]').allInnerTexts();
    assert.deepEqual(badges.map((b) => b.trim()), costs.map(() => 'transcript'), `every imported session's cost carries the transcript badge: ${JSON.stringify(costs)}`);
    const requestSum = requests.reduce((a, r) => a + Number(r.replace(/,/g, '')), 0);
    assert.equal(requestSum, corpus.distinctRequests, 'requests summed over the session rows');
    // Each row is rounded to its display precision; the sum stays within that rounding of the truth.
    const shown = costs.map((c) => dollars(c)[0]);
    const sum = shown.reduce((a, d) => a + d.value, 0);
    const slack = shown.reduce((a, d) => a + 0.5 * 10 ** -d.decimals, 0) + 1e-9;
    assert.ok(Math.abs(sum - total) <= slack, `session costs sum to $${sum.toFixed(4)}, truth $${total.toFixed(4)} (rounding slack ${slack.toFixed(4)})`);
    // Repository = the project folder's name (cwd /home/dev/projects/<name>).
    const projects = new Set(readdirSync(join(home, '.claude', 'projects')).map((d) => d.replace(/^-home-dev-projects-/, '')));
    assert.equal(new Set(repos).size, corpus.projects, `repositories shown: ${JSON.stringify([...new Set(repos)])}`);
    for (const r of repos) assert.ok(projects.has(r), `repository "${r}" is one of the corpus projects ${JSON.stringify([...projects])}`);
  }));

  it('6. a new window after the first one closed imports nothing again (the first import was kept)', step('history-06', async () => {
    assert.ok(server && browser);
    const hostsBefore = h.extensionHostPids(server);
    await page.context().close();
    // Closing the window ends its extension host: deactivate flushes the store and releases its lock.
    await h.waitFor('the first window\'s extension host to end', () => h.extensionHostPids(server!).every((pid) => !hostsBefore.includes(pid)));
    page = await h.newPage(browser);
    await h.recordNotifications(page);
    await h.openWorkbench(page, server);
    await h.waitFor('the new window to become the receiver', async () => /receiving on 127\.0\.0\.1/.test(await h.statusBarTooltip(page, STATUS_ID)) || false, 90_000);
    // Asked for explicitly, the import always reports; it runs after the window's own first pass.
    await h.runCommand(page, 'Claude Ledger: Import Claude Code History');
    const text = await h.waitForNotification(page, /Imported [0-9,]+ requests from/);
    await h.screenshot(page, 'history-06-second-window-import');
    const all = await h.notificationsSeen(page);
    console.log(`[history e2e] second window notifications: ${JSON.stringify(all)}`);
    assert.match(text, /Imported 0 requests/, `a pass in the new window imported requests again: ${text}`);
    assert.ok(!all.some((t) => /Imported [1-9][0-9,]* requests/.test(t)), `the new window imported the history again: ${JSON.stringify(all)}`);
    // Neither lost nor counted twice: the last 30 days still equal the history's cost.
    await h.runCommand(page, 'Claude Ledger: Open Dashboard');
    const d30 = h.webviewFrame(page).locator('[data-testid="tile-spend-30d"] .tile-value');
    await d30.waitFor({ state: 'visible', timeout: 30_000 });
    const shown = await d30.innerText();
    assert.ok(showsCost(dollars(shown)[0], total), `Last 30 days tile in the new window ${shown} vs $${total.toFixed(4)}`);
  }));
});
