// Golden outputs of every named query on fixture data. Expected values come from ground-truth.json
// and the fixture content (file paths, tool names, decision sources, durations on the wire), not
// from a previous run of these queries.
import { lastHourRate } from '../../src/core/statusForecast';
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { QueryMethods, QueryName } from '../../src/protocol/dto';
import { runQuery, UnknownQueryError } from '../../src/core/queries/runQuery';
import { histBucket, histValue } from '../../src/core/store/apply';
import { LedgerDb } from '../../src/core/store/ledgerDb';
import { groundTruth, nowOf, records, scenarios, sqlJs } from './storeTestSupport';

async function loaded(sc: string) {
  const db = LedgerDb.open(await sqlJs());
  const recs = records(sc);
  for (const b of recs) db.apply(b);
  const ctx = { sql: db.sql, nowMs: nowOf(recs), dataVersion: db.dataVersion, lastEventMs: db.lastEventMs };
  const q = <M extends QueryName>(m: M, p: QueryMethods[M]['params']) => runQuery(ctx, m, p);
  return { db, q, recs, ctx };
}
const ALL = { key: 'all' } as const;

test('filesEdited: paths, edits and accepts from the Write/Edit tool results and decisions', async () => {
  for (const sc of ['b-write-edit-bash', 'h-long-session', 'l-defaults-redacted']) {
    const gt = groundTruth(sc);
    const { db, q } = await loaded(sc);
    const files = q('filesEdited', { range: ALL }).files;
    assert.deepEqual(files.map((f) => f.path).sort(), Object.keys(gt.file_paths.from_tool_result).sort(), sc);
    for (const f of files) {
      const edits = Object.values(gt.file_paths.from_tool_result[f.path]).reduce((a, b) => a + b, 0);
      assert.equal(f.edits, edits, `${sc} ${f.path} edits`);
      assert.equal(f.accepts, edits, `${sc}: every edit was accepted by a config rule`);
      assert.equal(f.sessions, 1);
    }
    // Per-file lines come from tool_input, which a default (redacted) setup does not send.
    const expectLines = sc === 'l-defaults-redacted' ? 0 : (gt.metrics.lines_of_code.added ?? 0);
    assert.equal(files.reduce((n, f) => n + f.linesAdded, 0), expectLines, `${sc} lines added`);
    db.close();
  }
});

test('acceptance: decisions by tool and source; config/hook decisions are auto, not user', async () => {
  for (const sc of ['b-write-edit-bash', 'c-denied-tool', 'e-mcp-tool']) {
    const gt = groundTruth(sc);
    const { db, q } = await loaded(sc);
    const a = q('acceptance', { range: ALL });
    const bySrc = gt.tool_decisions.by_decision_and_source;
    const accepts = Object.values(bySrc.accept ?? {}).reduce((x, y) => x + y, 0);
    const rejects = Object.values(bySrc.reject ?? {}).reduce((x, y) => x + y, 0);
    assert.deepEqual(a.overall, { accepts, rejects, rate: accepts / (accepts + rejects) }, sc);
    assert.deepEqual(a.user, { accepts: 0, rejects: 0, rate: null }, `${sc}: no person decided anything in print mode`);
    assert.deepEqual(a.auto, a.overall);
    assert.deepEqual(a.bySource.map((s) => [s.key, s.accepts, s.rejects, s.auto]), Object.keys({ ...bySrc.accept, ...bySrc.reject }).map((k) => [k, bySrc.accept?.[k] ?? 0, bySrc.reject?.[k] ?? 0, true]));
    db.close();
  }
});

test('acceptance by language equals the code_edit_tool.decision metric on every fixture (events are not added on top)', async () => {
  for (const sc of scenarios()) {
    const gt = groundTruth(sc);
    const want = new Map<string, { accepts: number; rejects: number }>();
    for (const d of gt.metrics.code_edit_tool_decision ?? []) {
      const t = want.get(d.language) ?? { accepts: 0, rejects: 0 };
      if (d.decision === 'accept') t.accepts += d.value;
      if (d.decision === 'reject') t.rejects += d.value;
      want.set(d.language, t);
    }
    // Arrival order must not matter: metrics are exported after the events, or before them.
    for (const order of ['as captured', 'metrics first'] as const) {
      const db = LedgerDb.open(await sqlJs());
      const recs = records(sc);
      const batches = order === 'as captured' ? recs : [...recs.map((b) => b.filter((r) => r.kind === 'metric')), ...recs.map((b) => b.filter((r) => r.kind !== 'metric'))];
      for (const b of batches) db.apply(b);
      const a = runQuery({ sql: db.sql, nowMs: nowOf(recs), dataVersion: 0, lastEventMs: 0 }, 'acceptance', { range: ALL });
      assert.deepEqual(
        Object.fromEntries(a.byLanguage.map((l) => [l.key, { accepts: l.accepts, rejects: l.rejects }])),
        Object.fromEntries(want),
        `${sc} (${order})`,
      );
      db.close();
    }
  }
});

test('acceptance by language falls back to the file extension of decided edits when a session sent no decision metric', async () => {
  const recs = records('b-write-edit-bash');
  for (const order of ['decision first', 'result first'] as const) {
    const db = LedgerDb.open(await sqlJs());
    for (const b of recs) {
      const events = b.filter((r) => r.kind !== 'metric');
      db.apply(order === 'decision first' ? events : [...events].sort((x, y) => (x.kind === 'toolResult' ? -1 : 0) - (y.kind === 'toolResult' ? -1 : 0)));
    }
    const a = runQuery({ sql: db.sql, nowMs: nowOf(recs), dataVersion: 0, lastEventMs: 0 }, 'acceptance', { range: ALL });
    // hello.py was written, then edited: both accepted (by a config rule); Bash has no language.
    assert.deepEqual(a.byLanguage.map((l) => [l.key, l.accepts, l.rejects]), [['Python', 2, 0]], order);
    db.close();
  }
});

test('toolStats: calls, failures and histogram percentiles per tool (MCP tools named mcp__server__tool)', async () => {
  const gt = groundTruth('e-mcp-tool');
  const { db, q } = await loaded('e-mcp-tool');
  const tools = q('toolStats', { range: ALL }).tools;
  assert.deepEqual(tools.map((t) => t.tool).sort(), ['mcp__fixture__add', 'mcp__fixture__lookup_ticket']);
  assert.equal(tools.reduce((n, t) => n + t.calls, 0), gt.tool_results.count);
  const lookup = tools.find((t) => t.tool === 'mcp__fixture__lookup_ticket')!;
  assert.equal(lookup.failures, 1, 'lookup_ticket returned isError');
  assert.equal(lookup.successRate, 0);
  assert.equal(lookup.mcpServer, 'fixture');
  db.close();
  // Durations on the wire (tool_result duration_ms) of b-write-edit-bash: Write 6, Edit 7, Bash 44 ms.
  const b = await loaded('b-write-edit-bash');
  const stats = Object.fromEntries(b.q('toolStats', { range: ALL }).tools.map((t) => [t.tool, t]));
  const durations = Object.fromEntries(
    b.recs.flat().flatMap((r) => (r.kind === 'toolResult' ? [[r.toolName, r.durationMs!]] : [])),
  ) as Record<string, number>;
  for (const [tool, ms] of Object.entries(durations)) {
    assert.equal(stats[tool].p50Ms, histValue(histBucket(ms)), tool);
    assert.ok(Math.abs(stats[tool].p50Ms! - ms) / ms < 0.1, `${tool}: p50 ${stats[tool].p50Ms} within 10% of ${ms}`);
  }
  b.db.close();
});

test('apiErrors: retried-then-successful requests emit no api_error (d-api-errors)', async () => {
  const { db, q } = await loaded('d-api-errors');
  const e = q('apiErrors', { range: ALL });
  assert.deepEqual({ total: e.total, byStatus: e.byStatus, retriesExhausted: e.retriesExhausted, refusals: e.refusals, recent: e.recent }, {
    total: 0, byStatus: [], retriesExhausted: 0, refusals: 0, recent: [],
  });
  // ...but the llm_request span shows the 4 attempts on the timeline.
  const t = q('sessionTimeline', { sessionId: 'current' });
  const reqs = t.prompts.flatMap((p) => p.requests);
  assert.equal(reqs.length, 1);
  assert.equal(reqs[0].attempts, 4);
  db.close();
});

test('apiErrors: hand-made api_error and retries_exhausted events are counted by status', async () => {
  const { db, recs } = await loaded('a-plain-text');
  const base = recs.flat().find((r) => r.kind === 'apiRequest')!;
  const idn = { ...base, extra: {} } as Record<string, unknown>;
  db.apply([
    { ...idn, kind: 'apiError', name: 'api_error', sequence: 901, model: 'claude-opus-4-8', modelNorm: 'claude-opus-4-8', statusCode: 500, attempt: 3, error: 'Internal server error' },
    { ...idn, kind: 'apiRetriesExhausted', name: 'api_retries_exhausted', sequence: 902, model: 'claude-opus-4-8', modelNorm: 'claude-opus-4-8', statusCode: 500, totalAttempts: 3 },
  ] as never);
  const ctx = { sql: db.sql, nowMs: base.timeMs + 1000, dataVersion: db.dataVersion, lastEventMs: db.lastEventMs };
  const e = runQuery(ctx, 'apiErrors', { range: ALL });
  assert.equal(e.total, 1);
  assert.deepEqual(e.byStatus, [{ statusCode: 500, count: 1 }]);
  assert.equal(e.retriesExhausted, 1);
  assert.deepEqual(e.recent.map((r) => [r.kind, r.statusCode, r.attempt]).sort(), [['api_error', 500, 3], ['retries_exhausted', 500, 3]]);
  db.close();
});

test('sessionTimeline: prompts -> requests -> tools with the span waterfall (h-long-session)', async () => {
  const gt = groundTruth('h-long-session');
  const { db, q } = await loaded('h-long-session');
  const t = q('sessionTimeline', { sessionId: gt.sessions.ids[0] });
  assert.equal(t.found, true);
  assert.equal(t.session?.costUsd.toFixed(9), gt.api_requests.cost_usd.toFixed(9));
  assert.equal(t.prompts.length, gt.sessions.per_session[gt.sessions.ids[0]].user_prompts);
  assert.equal(t.prompts.flatMap((p) => p.requests).length, gt.api_requests.count);
  assert.equal(t.prompts.flatMap((p) => p.tools).length, gt.tool_results.count);
  assert.equal(t.prompts.flatMap((p) => p.waterfall).length, gt.spans.count, 'one trace per prompt, all spans placed');
  assert.equal(t.prompts.reduce((s, p) => s + p.costUsd, 0).toFixed(9), gt.api_requests.cost_usd.toFixed(9));
  for (const p of t.prompts) {
    const root = p.waterfall.filter((w) => w.depth === 0);
    assert.deepEqual(root.map((w) => w.type), ['interaction']);
    assert.ok(p.modelMs! > 0);
    for (const w of p.waterfall.filter((x) => x.type === 'tool.blocked_on_user' || x.type === 'tool.execution')) assert.equal(w.depth, 2);
  }
  const write = t.prompts.flatMap((p) => p.tools).find((x) => x.tool === 'Write')!;
  assert.deepEqual([write.decision, write.decisionSource, write.success, write.filePath], ['accept', 'config', true, '/home/dev/projects/acme-web/counter.txt']);
  assert.deepEqual(q('sessionTimeline', { sessionId: 'nope' }), { sessionId: 'nope', found: false, session: null, prompts: [] });
  db.close();
});

test('sessions, costSeries, burnRate and status agree with the totals', async () => {
  const gt = groundTruth('h-long-session');
  const { db, q, ctx } = await loaded('h-long-session');
  const cost = gt.api_requests.cost_usd.toFixed(9);
  const s = q('sessions', { range: { key: 'today' }, sort: 'cost' });
  assert.equal(s.total, 1);
  assert.deepEqual(s.sessions[0].models, ['claude-opus-4-8']);
  assert.equal(s.sessions[0].repo, 'demo');
  assert.equal(q('sessions', { range: ALL, repo: 'other' }).total, 0);
  assert.equal(q('sessions', { range: ALL, model: 'claude-opus-4-8' }).total, 1);
  for (const bucket of ['hour', 'day'] as const) {
    const cs = q('costSeries', { range: ALL, bucket });
    assert.equal(cs.points.reduce((a, p) => a + p.costUsd, 0).toFixed(9), cost, bucket);
    assert.equal(cs.points.reduce((a, p) => a + p.requests, 0), gt.api_requests.count);
    assert.deepEqual(cs.byRepo.map((r) => [r.repo, r.costUsd.toFixed(9)]), [['demo', cost]]);
  }
  const b = q('burnRate', { dailyBudgetUsd: 1, monthlyBudgetUsd: null });
  assert.equal(b.todayUsd.toFixed(9), cost);
  assert.equal(b.monthUsd.toFixed(9), cost);
  assert.equal(b.lastHourUsdPerHour.toFixed(9), cost, 'the whole 5-second session is inside the last hour');
  assert.equal(b.dailyBudgetRemainingUsd!.toFixed(9), (1 - gt.api_requests.cost_usd).toFixed(9));
  assert.equal(b.monthlyBudgetRemainingUsd, null);
  // A few seconds of use today and this month: no forecast yet, and why (the status bar's rules).
  assert.equal(b.forecastTodayUsd, null);
  assert.equal(b.forecastTodayWhyNot, 'after 1 h of use today');
  assert.equal(b.forecastMonthUsd, null);
  assert.match(b.forecastMonthWhyNot ?? '', /^after 3 days of use this month \(day 1 of 3\)$/);
  // Two hours later (nothing new), the day's forecast is given: spent + the last hour's rate (now 0) for the rest of the day.
  const later = runQuery({ ...ctx, nowMs: ctx.nowMs + 2 * 3_600_000 }, 'burnRate', {});
  if (later.forecastTodayUsd !== null) assert.equal(later.forecastTodayUsd.toFixed(9), later.todayUsd.toFixed(9));
  else assert.match(later.forecastTodayWhyNot ?? '', /no use today yet/, 'only when the two hours crossed midnight');
  const st = q('status', {});
  assert.equal(st.todayUsd.toFixed(9), cost);
  assert.equal(st.currentSession?.sessionId, gt.sessions.ids[0]);
  assert.equal(st.requestsToday, gt.api_requests.count);
  assert.equal(st.sessionsToday, 1);
  assert.equal(st.dataVersion, db.dataVersion);
  assert.equal(st.estimatedToday, false);
  // The time-relative inputs reproduce the query's own rate, and name today's first usage.
  assert.equal(lastHourRate(st.recentBuckets, st.asOfMs).toFixed(9), b.lastHourUsdPerHour.toFixed(9));
  assert.ok(st.firstUsageTodayMs !== null && st.firstUsageTodayMs <= st.asOfMs && st.asOfMs - st.firstUsageTodayMs < 3_600_000, String(st.firstUsageTodayMs));
  assert.equal(st.firstUsageMonthMs, st.firstUsageTodayMs);
  assert.equal(st.otlpReceived, true, 'h-long-session is OTLP');
  const t = st.todayTokens;
  assert.equal(st.cacheHitRateToday, t.cacheRead / (t.input + t.cacheRead + t.cacheCreation));
  assert.equal(st.cacheSavingsTodayUsd.toFixed(9), ((gt.api_requests.tokens.cache_read * (5 - 0.5)) / 1e6).toFixed(9));
  const sum = q('summary', { range: ALL, groupBy: 'day' });
  assert.equal(sum.groups?.length, 1);
  assert.equal(q('summary', { range: { key: 'yesterday' } }).costUsd, 0);
  db.close();
});

test('unknown query names are refused', async () => {
  const { db } = await loaded('a-plain-text');
  assert.throws(() => runQuery({ sql: db.sql, nowMs: 0, dataVersion: 0, lastEventMs: 0 }, 'dropTables' as never, {} as never), UnknownQueryError);
  db.close();
});
