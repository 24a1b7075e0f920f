// Plan limits in a real VS Code (code-server 4.139.1 = VS Code 1.139.1) with the packaged extension
// (issue 13): with `claudeLedger.statusBar.show: limits`, one status line call carrying `rate_limits`
// (through the launcher the extension itself wrote into its global storage, as Claude Code would run
// it) turns the status bar into `5h 86% · 7d 12%` with the warning colour, the tooltip shows both reset
// times, and one warning notification names the 5-hour window.
// The status line JSON is the shape real Claude Code 2.1.197 sends (test/integration/statusline.test.ts
// checks that shape against the real CLI in tmux); no Claude Code runs here.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import * as h from './harness';

const EXT_ID = 'claude-code-ledger.claude-code-ledger';
const STATUS_ID = `${EXT_ID}.claudeLedger.status`;

describe('plan limits in the VS Code status bar', { timeout: 10 * 60_000 }, () => {
  let server: h.CodeServer | undefined;
  let browser: Browser | undefined;
  let page: Page;

  before(async () => {
    h.ensureInstalled();
    const vsix = h.packageVsix();
    const root = h.makeTempDir('ledger-e2e-limits-');
    const ws = join(root, 'acme-web');
    const home = join(root, 'home');
    for (const d of [ws, home]) mkdirSync(d, { recursive: true });
    server = await h.startCodeServer({
      vsix,
      workspace: ws,
      userSettings: { 'claudeLedger.port': await h.freePort(), 'claudeLedger.statusBar.show': 'limits' },
      env: { HOME: home },
    });
    browser = await h.launchBrowser();
    page = await h.newPage(browser);
    await h.openWorkbench(page, server);
  });

  after(async () => {
    await h.stopAll();
  });

  it('a status line call with rate_limits shows 5h/7d, the warning colour, both reset times and one notification', async () => {
    try {
      // Before any report: today's spend.
      await h.waitFor('the status bar item', async () => /\$0\.00/.test(await h.statusBarText(page, STATUS_ID)), 60_000);
      const launcher = join(server!.userDataDir, 'User', 'globalStorage', EXT_ID, 'claude-ledger-statusline.js');
      await h.waitFor(`the launcher ${launcher}`, () => existsSync(launcher), 60_000);
      const now = Math.floor(Date.now() / 1000);
      const input = JSON.stringify({
        session_id: 'e2e-limits-session',
        model: { id: 'claude-opus-4-5', display_name: 'Opus 4.5' },
        cost: { total_cost_usd: 0.42 },
        rate_limits: { five_hour: { used_percentage: 86, resets_at: now + 2 * 3600 }, seven_day: { used_percentage: 12, resets_at: now + 3 * 86400 } },
      });
      // As Claude Code runs it: the command from Set Up Status Line, JSON on stdin, one line back.
      const r = spawnSync(process.execPath, [launcher], { input, env: { PATH: process.env.PATH ?? '', HOME: '/nonexistent', NO_COLOR: '1' }, encoding: 'utf8' });
      assert.equal(r.status, 0);
      assert.match(r.stdout, /^Opus 4\.5 · \$0\.42 session · \$0\.00 today · 5h 86% \(resets \d\d:\d\d\) · 7d 12%\n$/, 'the line shows today from the ledger, so the post reached it');

      const text = await h.waitFor('the status bar to show the plan windows', async () => {
        const t = await h.statusBarText(page, STATUS_ID);
        return /5h 86% · 7d 12%/.test(t) && t;
      }, 60_000);
      assert.equal(text, '5h 86% · 7d 12%');
      const item = h.statusBarItem(page, STATUS_ID);
      // VS Code marks an item with statusBarItem.warningBackground by the class `warning-kind`.
      assert.match((await item.getAttribute('class')) ?? '', /warning-kind/, 'warning colour at 86 %');
      const tip = await h.statusBarTooltip(page, STATUS_ID);
      assert.match(tip, /5-hour window\s+86% used, resets (\w{3} )?\d\d:\d\d \(in (1 h 59 min|2 h 0 min)\)/);
      assert.match(tip, /Weekly window\s+12% used, resets \w{3} \d\d:\d\d \(in 3 days\)/);
      assert.match(tip, /Limits reported by Claude Code's status line \d+ s ago/);
      // The notification (a toast may have hidden by now: read the notification center).
      await h.runCommand(page, 'Notifications: Show Notifications');
      const ours = page.locator('.notifications-center .notification-list-item').filter({ hasText: 'of the 5-hour limit used' });
      await ours.first().waitFor({ state: 'visible', timeout: 30_000 });
      assert.match(await ours.first().innerText(), /Claude plan: 86% of the 5-hour limit used; it resets/);
      await h.screenshot(page, 'limits-status-bar');
      // A second identical call does not notify again. Calls are handled in order, so once a third call
      // that crosses 95 % has shown its own notification, the repeat has been handled too (no sleep).
      const env = { PATH: process.env.PATH ?? '', HOME: '/nonexistent' };
      spawnSync(process.execPath, [launcher], { input, env });
      const crossing = input.replace('"used_percentage":86', '"used_percentage":96');
      assert.notEqual(crossing, input);
      spawnSync(process.execPath, [launcher], { input: crossing, env });
      const at95 = page.locator('.notifications-center .notification-list-item').filter({ hasText: '96% of the 5-hour limit used' });
      await at95.first().waitFor({ state: 'visible', timeout: 30_000 });
      const at80 = page.locator('.notifications-center .notification-list-item').filter({ hasText: '86% of the 5-hour limit used' });
      assert.equal(await at80.count(), 1, 'one notification per window and threshold');
    } catch (err) {
      if (page && !page.isClosed()) await h.screenshot(page, 'limits-FAILED').catch(() => undefined);
      throw err;
    }
  });
});
