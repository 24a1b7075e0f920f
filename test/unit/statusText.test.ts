import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { StatusSnapshotDto } from '../../src/protocol/dto';
import { formatUsd } from '../../src/core/format/numbers';
import { budgetMessage, pendingAlerts, statusView } from '../../src/core/statusText';

const snap: StatusSnapshotDto = {
  todayUsd: 3.4214,
  monthUsd: 41.2,
  currentSession: { sessionId: 's1', costUsd: 0.4217 },
  todayTokens: { input: 1234, output: 56789, cacheRead: 2_500_000, cacheCreation: 45_000 },
  cacheHitRateToday: 0.823,
  cacheSavingsTodayUsd: 4.12,
  lastHourUsdPerHour: 1.2,
  forecastTodayUsd: 8.1,
  forecastMonthUsd: 120,
  modelMixToday: [
    { model: 'claude-sonnet-4-5', costUsd: 1 },
    { model: 'claude-opus-4-8', costUsd: 3 },
  ],
  sessionsToday: 3,
  requestsToday: 42,
  lastEventAt: '2026-11-21T13:59:00.000Z',
  estimatedToday: false,
  dataVersion: 7,
  asOfMs: Date.parse('2026-11-21T14:01:00.000Z'),
  // $1.20 in the last hour (13:15 and 13:45 buckets); used since 09:00 and since the 1st.
  recentBuckets: [
    { startMs: Date.parse('2026-11-21T13:15:00.000Z'), costUsd: 0.6 },
    { startMs: Date.parse('2026-11-21T13:45:00.000Z'), costUsd: 0.6 },
  ],
  firstUsageTodayMs: Date.parse('2026-11-21T09:00:00.000Z'),
  firstUsageMonthMs: Date.parse('2026-11-01T09:00:00.000Z'),
  otlpReceived: true,
};
const now = new Date('2026-11-21T14:01:00.000Z');
const noBudget = { dailyUsd: 0, monthlyUsd: 0 };

test('text per setting: today / month / session', () => {
  const v = (show: 'today' | 'month' | 'session') => statusView({ state: { kind: 'listening', port: 4318 }, snapshot: snap, show, budgets: noBudget, now }).text;
  assert.equal(v('today'), '$(pulse) $3.42');
  assert.equal(v('month'), '$(pulse) $41.20 month');
  assert.equal(v('session'), '$(pulse) $0.422 session');
});

test('states without numbers: starting spins, error says so and colours red', () => {
  const starting = statusView({ state: { kind: 'starting' }, snapshot: undefined, show: 'today', budgets: noBudget, now });
  assert.equal(starting.text, '$(loading~spin) Ledger');
  assert.equal(starting.background, undefined);
  const err = statusView({ state: { kind: 'error', message: 'Port 4318 is used by another program.' }, snapshot: snap, show: 'today', budgets: noBudget, now });
  assert.equal(err.text, '$(error) Ledger');
  assert.equal(err.background, 'error');
  assert.match(err.tooltip, /receiver error: Port 4318 is used by another program\\\./);
});

test('tooltip: tokens by type, cache, burn, forecast, model mix, sessions, last event, state, links', () => {
  const t = statusView({ state: { kind: 'follower', port: 4318 }, snapshot: snap, show: 'today', budgets: { dailyUsd: 10, monthlyUsd: 0 }, now }).tooltip;
  assert.match(t, /another VS Code window receives on 127\.0\.0\.1:4318/);
  assert.match(t, /input 1,234 · output 56\.8k · cache read 2\.50M · cache write 45\.0k/);
  assert.match(t, /Cache hit rate 82\.3%, saved \$4\.12/);
  assert.match(t, /\| Burn rate \(last hour\) \| \$1\.20\/h \|/);
  assert.match(t, /\| Forecast today \| \$\d+\.\d\d \|/);
  assert.match(t, /\| Forecast month \| \$\d+\.\d\d \|/);
  assert.match(t, /Models today: claude\\-opus\\-4\\-8 75\.0%, claude\\-sonnet\\-4\\-5 25\.0%/);
  assert.match(t, /Sessions today: 3 · requests 42/);
  assert.match(t, /Last event: .*\(120 s ago\)|Last event: .*\(2 min ago\)/);
  assert.match(t, /Budget: daily \$3\.42 of \$10\.00 \(34\.2%\)/);
  assert.match(t, /\(command:claudeLedger\.openDashboard\)/);
  assert.match(t, /command:workbench\.action\.openSettings\?%5B%22claudeLedger%22%5D/);
});

test('budgets colour at 80% (warning) and 100% (error)', () => {
  const bg = (todayUsd: number, monthUsd: number, budgets = { dailyUsd: 4, monthlyUsd: 100 }) =>
    statusView({ state: { kind: 'listening', port: 1 }, snapshot: { ...snap, todayUsd, monthUsd }, show: 'today', budgets, now }).background;
  assert.equal(bg(3.19, 10), undefined);
  assert.equal(bg(3.2, 10), 'warning');
  assert.equal(bg(4, 10), 'error');
  assert.equal(bg(1, 80), 'warning');
  assert.equal(bg(1, 100), 'error');
  assert.equal(bg(1000, 1000, noBudget), undefined);
});

test('notify once per threshold per period', () => {
  const alertsAt = (todayUsd: number, at: Date) =>
    statusView({ state: { kind: 'listening', port: 1 }, snapshot: { ...snap, todayUsd, monthUsd: 0 }, show: 'today', budgets: { dailyUsd: 10, monthlyUsd: 0 }, now: at }).alerts;
  const notified = new Set<string>();
  const day1 = new Date(2026, 10, 21, 12);
  let p = pendingAlerts(alertsAt(8.5, day1), notified);
  assert.deepEqual(p.notify.map((a) => a.percent), [80]);
  p.remember.forEach((id) => notified.add(id));
  assert.equal(pendingAlerts(alertsAt(9, day1), notified).notify.length, 0);
  p = pendingAlerts(alertsAt(10, day1), notified);
  assert.deepEqual(p.notify.map((a) => a.percent), [100]);
  assert.match(budgetMessage(p.notify[0]!), /reached the daily budget of \$10\.00/);
  p.remember.forEach((id) => notified.add(id));
  assert.equal(pendingAlerts(alertsAt(12, day1), notified).notify.length, 0);
  // Next day: a new period notifies again.
  assert.deepEqual(pendingAlerts(alertsAt(8.5, new Date(2026, 10, 22, 9)), notified).notify.map((a) => a.percent), [80]);
  // Jumping straight to 100% marks 80% as done too.
  const fresh = pendingAlerts(alertsAt(11, day1), new Set());
  assert.deepEqual(fresh.remember.sort(), [`daily:2026-11-21:100`, `daily:2026-11-21:80`]);
});

test('usd formatting (the shared rule, src/core/format/numbers.ts)', () => {
  assert.equal(formatUsd(0), '$0.00');
  assert.equal(formatUsd(1234.5), '$1,235');
  assert.equal(formatUsd(0.004), '$0.004');
});

test('tooltip: forwarding shows the upstream, its state with the last error, the backlog and the drops; nothing when off', () => {
  const forward = {
    endpoint: 'https://collector.example.com:4318',
    content: 'as-received' as const,
    state: 'failing' as const,
    lastError: 'HTTP 503: overloaded',
    lastErrorAt: '2026-11-21T14:00:00.000Z',
    backlogRequests: 12,
    backlogBytes: 225_400,
    sentRequests: 80,
    rejectedRequests: 1,
    droppedRequests: 3,
    droppedBytes: 40_000,
    lastSentAt: null,
  };
  const tip = statusView({ state: { kind: 'listening', port: 4318 }, snapshot: { ...snap, forward }, show: 'today', budgets: noBudget, now }).tooltip;
  // Markdown-escaped in the tooltip; compared without the escapes.
  assert.match(tip.replace(/\\/g, ''), /\$\(warning\) Forwarding to https:\/\/collector\.example\.com:4318: failing \(HTTP 503: overloaded\) · backlog 12 requests \(220\.1 KB\) · 3 dropped \(backlog bound\) · 1 refused upstream/);
  const ok = statusView({ state: { kind: 'listening', port: 4318 }, snapshot: { ...snap, forward: { ...forward, state: 'ok', backlogRequests: 0, droppedRequests: 0, rejectedRequests: 0 } }, show: 'today', budgets: noBudget, now }).tooltip;
  assert.match(ok.replace(/\\/g, ''), /\$\(cloud-upload\) Forwarding to .*: ok · no backlog\n/);
  const off = statusView({ state: { kind: 'listening', port: 4318 }, snapshot: { ...snap, forward: null }, show: 'today', budgets: noBudget, now }).tooltip;
  assert.doesNotMatch(off, /Forwarding/);
});

test('tooltip names the OTLP/gRPC receiver: listening, off (nothing said), or why it is not listening', () => {
  const tip = (grpc?: Parameters<typeof statusView>[0]['state'] & { kind: 'listening' }) =>
    statusView({ state: grpc ?? { kind: 'listening', port: 4318 }, snapshot: snap, show: 'today', budgets: noBudget, now }).tooltip.split('\n')[0];
  assert.equal(tip({ kind: 'listening', port: 4318, grpc: { kind: 'listening', port: 4317 } }), '**Claude Code Ledger** — receiving on 127.0.0.1:4318 (OTLP/HTTP) and 127.0.0.1:4317 (OTLP/gRPC)');
  assert.equal(tip({ kind: 'listening', port: 4318, grpc: { kind: 'off' } }), '**Claude Code Ledger** — receiving on 127.0.0.1:4318');
  const failed = tip({ kind: 'listening', port: 4318, grpc: { kind: 'failed', port: 4317, message: 'port 4317 on 127.0.0.1 is already in use' } });
  assert.equal(failed, '**Claude Code Ledger** — receiving on 127.0.0.1:4318 (OTLP/HTTP); OTLP/gRPC not listening: port 4317 on 127\\.0\\.0\\.1 is already in use', 'the message is Markdown-escaped');
  // The spend stays normal: HTTP works, so no error colour.
  assert.equal(statusView({ state: { kind: 'listening', port: 4318, grpc: { kind: 'failed', port: 4317, message: 'x' } }, snapshot: snap, show: 'today', budgets: noBudget, now }).background, undefined);
});
