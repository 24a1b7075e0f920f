// The one number formatting module (src/core/format/numbers.ts) that the status bar, the MCP text and
// the dashboard share (issue 14, finding 6). Edge values of the money rule first.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatCount, formatMs, formatPercent, formatUsd } from '../../src/core/format/numbers';

test('money: one rule, edge values', () => {
  const cases: [number, string][] = [
    [0, '$0.00'],
    [0.0004, '<$0.001'], // spend is never shown as $0.00
    [0.0005, '$0.001'],
    [0.005, '$0.005'], // was "$0.0050" (MCP), "$0.01" (status bar), "$0.005" (dashboard)
    [0.0049, '$0.005'],
    [0.075, '$0.075'],
    [0.1, '$0.10'],
    [0.4217, '$0.422'],
    [0.9996, '$1.00'], // the tier follows the rounded text
    [1, '$1.00'],
    [3.4159, '$3.42'],
    [99.995, '$100.00'], // half away from zero on the decimal form (toFixed gives 99.99)
    [999.99, '$999.99'],
    [999.996, '$1,000'],
    [1234.5, '$1,235'],
    [1_234_567.8, '$1,234,568'],
  ];
  assert.deepEqual(cases.map(([n]) => formatUsd(n)), cases.map(([, s]) => s));
});

test('money: negatives only as budget overruns; float noise below a tenth of a cent is $0.00; not finite is a dash', () => {
  assert.equal(formatUsd(-2), '-$2.00');
  assert.equal(formatUsd(-0.5), '-$0.50');
  assert.equal(formatUsd(-1234.5), '-$1,235');
  assert.equal(formatUsd(10 - 10.000000000001), '$0.00');
  assert.equal(formatUsd(-0.0004), '$0.00');
  for (const n of [NaN, Infinity, -Infinity]) assert.equal(formatUsd(n), '—');
});

test('counts', () => {
  const cases: [number, string][] = [
    [0, '0'],
    [705, '705'],
    [1234, '1,234'],
    [9999, '9,999'],
    [9999.6, '10.0k'],
    [45_678, '45.7k'],
    [48_160, '48.2k'],
    [999_949, '999.9k'],
    [999_950, '1.00M'],
    [2_500_000, '2.50M'],
    [9_400_220, '9.40M'],
    [999_995_000, '1.00B'],
    [1_234_000_000, '1.23B'],
  ];
  assert.deepEqual(cases.map(([n]) => formatCount(n)), cases.map(([, s]) => s));
  assert.equal(formatCount(NaN), '—');
});

test('percentages', () => {
  assert.deepEqual([formatPercent(null), formatPercent(undefined), formatPercent(NaN)], ['—', '—', '—']);
  assert.deepEqual([0, 0.0004, 0.8718, 0.823, 0.9996, 1].map(formatPercent), ['0.0%', '0.0%', '87.2%', '82.3%', '100.0%', '100.0%']);
});

test('durations', () => {
  const cases: [number, string][] = [
    [0, '0 ms'],
    [28, '28 ms'],
    [999.4, '999 ms'],
    [999.6, '1.0 s'],
    [5270, '5.3 s'],
    [59_940, '59.9 s'],
    [59_960, '1 m 0 s'],
    [96_000, '1 m 36 s'],
    [3_599_600, '1 h 0 m'],
    [5_400_000, '1 h 30 m'],
    [5_459_000, '1 h 30 m'],
  ];
  assert.deepEqual(cases.map(([n]) => formatMs(n)), cases.map(([, s]) => s));
  assert.deepEqual([formatMs(null), formatMs(undefined)], ['—', '—']);
});

test('the same text in the status bar, MCP and the dashboard', async () => {
  // Each surface formats through this module: the status bar text and an MCP tool's text for $0.005.
  const { statusView } = await import('../../src/core/statusText');
  const { TOOLS } = await import('../../src/server/mcp/tools');
  const snapshot = {
    todayUsd: 0.005, monthUsd: 0.005, currentSession: null, todayTokens: { input: 0, output: 0, cacheRead: 0, cacheCreation: 0 },
    cacheHitRateToday: 0, cacheSavingsTodayUsd: 0, lastHourUsdPerHour: 0.005, forecastTodayUsd: 0.005, forecastMonthUsd: 0.005,
    modelMixToday: [], sessionsToday: 1, requestsToday: 1, lastEventAt: null, estimatedToday: false, dataVersion: 1,
    asOfMs: Date.now(), recentBuckets: [], firstUsageTodayMs: null, firstUsageMonthMs: null, otlpReceived: true,
  };
  const bar = statusView({ state: { kind: 'listening', port: 1 }, snapshot, show: 'today', budgets: { dailyUsd: 0, monthlyUsd: 0 }, now: new Date() });
  assert.equal(bar.text, '$(pulse) $0.005');
  const listSessions = TOOLS.find((t) => t.name === 'list_sessions')!;
  const session = { sessionId: 's1', start: '2026-11-21T10:00:00.000+01:00', costUsd: 0.005, requests: 1, prompts: 1, repo: null, title: null, source: 'otlp' };
  const store = { query: async () => ({ range: { from: 'a', to: 'b' }, total: 1, sessions: [session] }) };
  const out = await listSessions.run({}, { store } as never);
  assert.match(out.text, /total shown \$0\.005\):\ns1 2026-11-21T10:00:00\.000\+01:00 \$0\.005 1 req/);
  // The dashboard's views import formatUsd from the same module (test/unit/importRules.test.ts).
});
