// The status line's pure parts: Claude Code's JSON (documented shapes, missing fields, wrong types,
// garbage) -> the post and the one line; the server-side check of a post; the Set Up / Remove edits of
// ~/.claude/settings.json with chaining; the launcher's argument handling. The process-level tests
// (stdin caps, exit codes, a real ledger) are in test/integration/statusline.test.ts.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { checkStatuslinePost, formatStatusLine, parseStatuslineInput } from '../../src/core/statusline/statuslineInput';
import { isOurStatusLine, mergeStatusLine, removeStatusLine } from '../../src/core/claudeStatusLine';
import { parseStatuslineArgs, resolveLedger, runStatusline } from '../../src/server/statusline/statuslineCommand';
import { limitAlerts, limitsText, pendingLimitAlerts } from '../../src/core/limitsText';
import { statusView } from '../../src/core/statusText';
import type { StatusSnapshotDto } from '../../src/protocol/dto';
import type { RateLimitSnapshotDto } from '../../src/protocol/limitsDto';

const NOW = new Date(2026, 10, 21, 12, 0, 0);
const nowSec = Math.floor(NOW.getTime() / 1000);

/** The shape Claude Code 2.1.197 builds (its own source), with rate_limits as for a subscriber. */
export function subscriberJson(over: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    session_id: '2f1c9a7e-0b7e-4a53-9f0e-7a5e3c1d2b4a',
    transcript_path: '/home/u/.claude/projects/-home-u-demo/2f1c9a7e.jsonl',
    cwd: '/home/u/demo',
    model: { id: 'claude-opus-4-5-20251101', display_name: 'Opus 4.5' },
    workspace: { current_dir: '/home/u/demo', project_dir: '/home/u/demo', added_dirs: [] },
    version: '2.1.197',
    output_style: { name: 'default' },
    cost: { total_cost_usd: 0.4231, total_duration_ms: 120000, total_api_duration_ms: 30000, total_lines_added: 10, total_lines_removed: 2 },
    context_window: { total_input_tokens: 1000, total_output_tokens: 50, context_window_size: 200000, current_usage: null, used_percentage: 1, remaining_percentage: 99 },
    exceeds_200k_tokens: false,
    thinking: { enabled: true },
    rate_limits: { five_hour: { used_percentage: 43.2, resets_at: nowSec + 2 * 3600 + 20 * 60 }, seven_day: { used_percentage: 12, resets_at: nowSec + 4 * 86400 } },
    ...over,
  };
}

const line = (v: unknown, todayUsd?: number, color = false) => formatStatusLine(parseStatuslineInput(typeof v === 'string' ? v : JSON.stringify(v)).post, todayUsd, { color, now: NOW });

test('a subscriber: model, session cost, today, 5h with its reset time, 7d', () => {
  assert.equal(line(subscriberJson(), 3.1), 'Opus 4.5 · $0.423 session · $3.10 today · 5h 43% (resets 14:20) · 7d 12%');
  const p = parseStatuslineInput(JSON.stringify(subscriberJson())).post;
  assert.deepEqual(p, {
    sessionId: '2f1c9a7e-0b7e-4a53-9f0e-7a5e3c1d2b4a',
    model: 'Opus 4.5',
    sessionCostUsd: 0.4231,
    fiveHour: { usedPercent: 43.2, resetsAtSec: nowSec + 2 * 3600 + 20 * 60 },
    sevenDay: { usedPercent: 12, resetsAtSec: nowSec + 4 * 86400 },
  });
});

test('an API-key user (no rate_limits), and no ledger answering', () => {
  const { rate_limits: _r, ...apiKey } = subscriberJson();
  assert.equal(line(apiKey), 'Opus 4.5 · $0.423 session');
  assert.equal(line(apiKey, 0), 'Opus 4.5 · $0.423 session · $0.00 today');
});

test('missing and wrong-typed fields are left out, never fatal', () => {
  assert.equal(line({}), 'Claude Ledger');
  assert.equal(line({ model: { id: 'claude-sonnet-4-5' } }), 'claude-sonnet-4-5');
  assert.equal(line({ model: 'x', cost: { total_cost_usd: 'NaN' }, rate_limits: { five_hour: { used_percentage: null } } }), 'x');
  assert.equal(line({ rate_limits: { five_hour: { used_percentage: 96 } } }), '5h 96%');
  assert.equal(line({ rate_limits: { seven_day: { used_percentage: 80, resets_at: 'soon' } } }), '7d 80%');
  assert.equal(line({ rate_limits: [] , cost: [], model: 7, session_id: { a: 1 } }), 'Claude Ledger');
  assert.equal(line({ model: { display_name: 'Bad\u001b[31m\nName' } }), 'Bad[31mName', 'control characters cannot break the line');
  // A window whose reset time has passed belongs to the previous window: left out.
  assert.equal(line({ rate_limits: { five_hour: { used_percentage: 99, resets_at: nowSec - 10 }, seven_day: { used_percentage: 5, resets_at: nowSec + 10 } } }), '7d 5%');
  // Numbers outside the bounds (-1 %, 1e9 %, a reset in 1970) are not believed.
  assert.equal(line({ rate_limits: { five_hour: { used_percentage: -1 }, seven_day: { used_percentage: 1e9 } } }), 'Claude Ledger');
});

test('garbage and empty input still give a line', () => {
  for (const junk of ['', 'null', '[]', '42', '"text"', '{', '\u0000\u0001', 'x'.repeat(10_000)]) {
    assert.equal(parseStatuslineInput(junk).parsed, false, JSON.stringify(junk.slice(0, 10)));
    assert.equal(line(junk), 'Claude Ledger');
  }
});

test('colours at 80 and 95 %, none with color off (NO_COLOR)', () => {
  const at = (p: number) => line({ rate_limits: { five_hour: { used_percentage: p } } }, undefined, true);
  assert.equal(at(79.4), '5h 79%');
  assert.equal(at(80), '\u001b[33m5h 80%\u001b[0m');
  assert.equal(at(95), '\u001b[31m5h 95%\u001b[0m');
  assert.equal(line({ rate_limits: { five_hour: { used_percentage: 99 } } }, undefined, false), '5h 99%');
});

test('runStatusline honours NO_COLOR and never needs a ledger', async () => {
  const json = JSON.stringify(subscriberJson({ rate_limits: { five_hour: { used_percentage: 97, resets_at: nowSec + 60 } } }));
  // Port 1 on loopback: nothing listens; the token makes it try.
  const env = { CLAUDE_LEDGER_TOKEN: 'x'.repeat(32), NO_COLOR: '1' };
  const r = await runStatusline(['--port', '1'], json, env, NOW);
  assert.equal(r.posted, false);
  assert.equal(r.output, 'Opus 4.5 · $0.423 session · 5h 97% (resets 12:01)\n');
  const colored = await runStatusline(['--port', '1'], json, { CLAUDE_LEDGER_TOKEN: 'x'.repeat(32), NO_COLOR: '' }, NOW);
  assert.match(colored.output, /\u001b\[31m5h 97%/, 'an empty NO_COLOR does not count');
});

test('the server checks a post with the same bounds', () => {
  assert.deepEqual(checkStatuslinePost({ sessionId: 's', fiveHour: { usedPercent: 50, resetsAtSec: nowSec } }), { sessionId: 's', fiveHour: { usedPercent: 50, resetsAtSec: nowSec } });
  assert.deepEqual(checkStatuslinePost({}), {});
  assert.match(String(checkStatuslinePost([])), /JSON object/);
  assert.match(String(checkStatuslinePost({ fiveHour: { usedPercent: '50' } })), /usedPercent/);
  assert.match(String(checkStatuslinePost({ fiveHour: { usedPercent: 5, resetsAtSec: 5 } })), /resetsAtSec/);
  assert.match(String(checkStatuslinePost({ sessionId: 'x'.repeat(201) })), /sessionId/);
  assert.match(String(checkStatuslinePost({ sessionCostUsd: -1 })), /sessionCostUsd/);
});

test('arguments and where the ledger is', () => {
  assert.deepEqual(parseStatuslineArgs(['--data', '/d', '--port=5000', '--unknown', 'x']), { dataDir: '/d', port: 5000 });
  assert.deepEqual(parseStatuslineArgs(['--port', 'abc']), {});
  assert.equal(parseStatuslineArgs(['--chain-b64', Buffer.from('echo hi').toString('base64')]).chain, 'echo hi');
  assert.equal(resolveLedger({}, { CLAUDE_LEDGER_MCP_URL: 'http://127.0.0.1:4999/mcp', HOME: '/nonexistent' }).port, 4999);
  assert.equal(resolveLedger({}, { CLAUDE_LEDGER_PORT: '5001', CLAUDE_LEDGER_MCP_URL: 'http://127.0.0.1:4999/mcp' }).port, 5001);
  assert.equal(resolveLedger({ port: 6000 }, { CLAUDE_LEDGER_PORT: '5001' }).port, 6000);
  assert.equal(resolveLedger({ dataDir: '/nonexistent' }, { CLAUDE_LEDGER_TOKEN: 't'.repeat(20) }).token, 't'.repeat(20));
});

const OURS = { nodeCommand: 'node', launcherPath: '/home/u/.config/Code/User/globalStorage/x/claude-ledger-statusline.js' };

test('Set Up Status Line: adds ours; keeps and chains an existing one; idempotent; Remove restores it', () => {
  const fresh = mergeStatusLine(undefined, OURS);
  const set = JSON.parse(fresh.text);
  assert.deepEqual(set, { statusLine: { type: 'command', command: `node ${OURS.launcherPath}` } });
  assert.equal(fresh.changes[0].kind, 'add');
  assert.equal(mergeStatusLine(fresh.text, OURS).changes.length, 0, 'a second run changes nothing');
  assert.deepEqual(JSON.parse(removeStatusLine(fresh.text).text), {});

  const theirs = JSON.stringify({ model: 'opus', statusLine: { type: 'command', command: "~/bin/my-line.sh --x 'a b'", padding: 1 } });
  const chained = mergeStatusLine(theirs, OURS);
  const c = JSON.parse(chained.text);
  assert.equal(c.model, 'opus', 'other settings stay');
  assert.ok(isOurStatusLine(c.statusLine));
  assert.equal(c.statusLine.padding, 1);
  assert.equal(parseStatuslineArgs(c.statusLine.command.split(' ').slice(2)).chain, "~/bin/my-line.sh --x 'a b'");
  assert.equal(mergeStatusLine(chained.text, OURS).changes.length, 0);
  // Moving the launcher keeps the chain.
  const moved = JSON.parse(mergeStatusLine(chained.text, { ...OURS, nodeCommand: 'ELECTRON_RUN_AS_NODE=1 /opt/code' }).text);
  assert.match(moved.statusLine.command, /^ELECTRON_RUN_AS_NODE=1 \/opt\/code .*--chain-b64 /);
  assert.deepEqual(JSON.parse(removeStatusLine(chained.text).text), JSON.parse(theirs), 'Remove restores theirs exactly');
  assert.equal(removeStatusLine(theirs).changes.length, 0, 'a status line that is not ours is never removed');
  assert.throws(() => mergeStatusLine('{ not json', OURS), /not valid JSON/);
  // Paths with spaces (macOS "Application Support") are quoted.
  assert.match(JSON.parse(mergeStatusLine(undefined, { nodeCommand: 'node', launcherPath: '/Users/u/Library/Application Support/x/claude-ledger-statusline.js' }).text).statusLine.command, /^node "\/Users\/u\/Library\/Application Support\/x\/claude-ledger-statusline.js"$/);
});

const snap = (five: number | null, seven: number | null, resetIn = 3600_000): RateLimitSnapshotDto => ({
  account: null,
  sessionId: 's',
  model: null,
  firstSeen: new Date(NOW.getTime() - 60_000).toISOString(),
  lastSeen: new Date(NOW.getTime() - 60_000).toISOString(),
  ageMs: 60_000,
  fiveHour: five === null ? null : { usedPercent: five, resetsAt: new Date(NOW.getTime() + resetIn).toISOString() },
  sevenDay: seven === null ? null : { usedPercent: seven, resetsAt: new Date(NOW.getTime() + 3 * 86400_000).toISOString() },
});

const STATUS: StatusSnapshotDto = {
  todayUsd: 3.1, monthUsd: 40, currentSession: null, todayTokens: { input: 0, output: 0, cacheRead: 0, cacheCreation: 0 }, cacheHitRateToday: 0, cacheSavingsTodayUsd: 0,
  lastHourUsdPerHour: 0, forecastTodayUsd: 3.1, forecastMonthUsd: 40, modelMixToday: [], sessionsToday: 1, requestsToday: 1, lastEventAt: null, estimatedToday: false, dataVersion: 1,
  asOfMs: NOW.getTime(), recentBuckets: [], firstUsageTodayMs: null, firstUsageMonthMs: null, otlpReceived: true,
};

test('status bar in limits mode: text, colours at 80/95 %, tooltip with both reset times and the age', () => {
  const view = (limits: RateLimitSnapshotDto | null) =>
    statusView({ state: { kind: 'listening', port: 4318 }, snapshot: STATUS, show: 'limits', budgets: { dailyUsd: 0, monthlyUsd: 0 }, now: NOW, limits });
  assert.equal(view(null).text, '$(pulse) $3.10', 'no report yet: today\'s spend');
  assert.match(view(null).tooltip, /Set Up Status Line/);
  const v = view(snap(43.2, 12));
  assert.equal(v.text, '$(dashboard) 5h 43% · 7d 12%');
  assert.equal(v.background, undefined);
  assert.match(v.tooltip, /5-hour window \| 43% used, resets 13:00 \(in 1 h 0 min\)/);
  assert.match(v.tooltip, /Weekly window \| 12% used, resets \w{3} 12:00 \(in 3 days\)/);
  assert.match(v.tooltip, /status line 1 min ago/);
  assert.equal(view(snap(80, 12)).background, 'warning');
  assert.equal(view(snap(50, 95)).background, 'error');
  assert.equal(view(snap(99, null, -1000)).text, '$(dashboard) 5h —', 'a window that reset since reads —');
  assert.equal(view(snap(99, null, -1000)).background, undefined);
  // Other modes keep their text and colours, with the limits in the tooltip.
  const today = statusView({ state: { kind: 'listening', port: 4318 }, snapshot: STATUS, show: 'today', budgets: { dailyUsd: 0, monthlyUsd: 0 }, now: NOW, limits: snap(99, 1) });
  assert.equal(today.text, '$(pulse) $3.10');
  assert.equal(today.background, undefined);
  assert.match(today.tooltip, /99% used/);
  assert.equal(limitsText(snap(null, 7), NOW), '7d 7%');
});

test('limit notifications: once per window and threshold; 95 % first marks 80 % done', () => {
  const a80 = limitAlerts(snap(85, 10), NOW);
  assert.deepEqual(a80.map((a) => [a.window, a.percent]), [['fiveHour', 80]]);
  const first = pendingLimitAlerts(a80, new Set());
  assert.equal(first.notify.length, 1);
  assert.equal(pendingLimitAlerts(a80, new Set(first.remember)).notify.length, 0, 'not twice');
  const a95 = limitAlerts(snap(96, 96), NOW);
  const p95 = pendingLimitAlerts(a95, new Set(first.remember));
  assert.deepEqual(p95.notify.map((a) => [a.window, a.percent]), [['fiveHour', 95], ['sevenDay', 95]]);
  assert.ok(p95.remember.some((id) => id.startsWith('limit:sevenDay:') && id.endsWith(':80')));
  // The next 5-hour window (a new reset time) notifies again.
  const next = limitAlerts(snap(85, 10, 6 * 3600_000), NOW);
  assert.equal(pendingLimitAlerts(next, new Set([...first.remember, ...p95.remember])).notify.length, 1);
  assert.deepEqual(limitAlerts(snap(99, null, -1), NOW), [], 'a window that reset since does not alert');
});
