// The `productivity` query on real Claude Code payloads: the git commit + pull request capture
// (test/fixtures/claude-code-git, real CLI 2.1.197 through the offline harness), every capture of
// test/fixtures/claude-code-otlp against its ground-truth.json, and a generated 90-day history
// (cloned from a genuine export) against the generator's own truth. Also the CSV `daily` columns.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ProductivityDto, ProductivityFiguresDto, QueryMethods, QueryName } from '../../src/protocol/dto';
import { runQuery } from '../../src/core/queries/runQuery';
import { rowsPage } from '../../src/core/queries/rows';
import { LedgerDb } from '../../src/core/store/ledgerDb';
import { decodeAndNormalize } from '../../src/core/otlp/ingest';
import { DEFAULT_INGEST_OPTIONS, type NormRecord } from '../../src/core/otlp/records';
import { toLocalDate } from '../../src/core/time/range';
import { GIT_FIXTURES, groundTruth, nowOf, records, scenarios, sqlJs } from './storeTestSupport';
import { generateProductivityHistory, HISTORY_REPOS } from '../support/productivityHistory';
import { productivityText } from '../../src/server/mcp/productivityTool';
import { formatUsd } from '../../src/core/format/numbers';

async function store(batches: NormRecord[][], nowMs = nowOf(batches)) {
  const db = LedgerDb.open(await sqlJs());
  for (const b of batches) db.apply(b);
  const ctx = { sql: db.sql, nowMs, dataVersion: db.dataVersion, lastEventMs: db.lastEventMs };
  const q = <M extends QueryName>(m: M, p: QueryMethods[M]['params']) => runQuery(ctx, m, p);
  return { db, q, ctx };
}

const FIGURES: (keyof ProductivityFiguresDto)[] = [
  'activeSecondsUser', 'activeSecondsCli', 'commits', 'pullRequests', 'linesAdded', 'linesRemoved', 'editAccepts', 'editRejects', 'userEditAccepts', 'userEditRejects',
];
const close = (a: number, b: number, what: string) => assert.ok(Math.abs(a - b) < 1e-6, `${what}: ${a} vs ${b}`);

/** Every figure of the series sums to the totals; every group table too. */
function assertConsistent(d: ProductivityDto, what: string): void {
  for (const k of FIGURES) {
    close(d.series.reduce((n, p) => n + p[k], 0), d.totals[k], `${what}: series sum of ${k}`);
    close(d.byRepo.reduce((n, g) => n + g[k], 0), d.totals[k], `${what}: byRepo sum of ${k}`);
    close(d.byUser.reduce((n, g) => n + g[k], 0), d.totals[k], `${what}: byUser sum of ${k}`);
  }
  close(d.byRepo.reduce((n, g) => n + g.costUsd, 0), d.totals.costUsd, `${what}: byRepo cost`);
  assert.equal(d.byRepo.reduce((n, g) => n + g.sessions, 0), d.totals.sessions, `${what}: byRepo sessions`);
  const starts = d.series.map((p) => Date.parse(p.bucket));
  assert.deepEqual([...starts].sort((a, b) => a - b), starts, `${what}: periods in order`);
  assert.equal(new Set(starts).size, starts.length, `${what}: no period twice`);
}

test('git commit + pull request capture: commits, PRs, active time, lines, acceptance, team; today is 24 hourly periods', async () => {
  const recs = records('k-git-commit-pr', GIT_FIXTURES);
  const { db, q } = await store(recs);
  const d = q('productivity', { range: { key: 'today' } });
  // What the scripted session did (one commit, one PR, a 3-line Write accepted by a config rule) and the
  // active time Claude Code put in the payload (claude_code.active_time.total{type=cli} = 1.475 s).
  assert.equal(d.totals.commits, 1);
  assert.equal(d.totals.pullRequests, 1);
  close(d.totals.activeSecondsCli, 1.475, 'CLI active seconds');
  assert.equal(d.totals.activeSecondsUser, 0, 'print mode: nobody typed');
  assert.deepEqual([d.totals.linesAdded, d.totals.linesRemoved], [3, 0]);
  assert.deepEqual([d.totals.editAccepts, d.totals.editRejects, d.totals.userEditAccepts, d.totals.userEditRejects], [1, 0, 0, 0]);
  assert.equal(d.totals.editAcceptRate, 1);
  assert.deepEqual([d.totals.sessions, d.totals.metricSessions], [1, 1]);
  // Cost is Claude Code's own (its api_request cost_usd, equal to its cost.usage metric).
  const summary = q('summary', { range: { key: 'today' } });
  close(d.totals.costUsd, summary.costUsd, 'cost = summary cost');
  assert.ok(d.totals.costUsd > 0);
  close(d.totals.costPerActiveHourUsd!, d.totals.costUsd / (1.475 / 3600), 'cost per active hour');
  close(d.totals.costPerLineChangedUsd!, d.totals.costUsd / 3, 'cost per line changed');
  assert.equal(d.bucket, 'hour');
  assert.equal(d.series.length, 24, 'a day in local hours');
  assert.equal(d.series.filter((p) => p.commits > 0).length, 1, 'the commit lands in one hour');
  assert.deepEqual(d.byRepo.map((g) => [g.repo, g.sessions, g.commits, g.pullRequests]), [['demo', 1, 1, 1]]);
  assert.equal(d.byUser.length, 1);
  assert.equal(d.byUser[0].team, 'platform', 'team.id from OTEL_RESOURCE_ATTRIBUTES');
  assert.equal(d.byUser[0].userIsEmail, false, 'API-key login: no user.email, the user.id stands in');
  assert.match(d.byUser[0].user ?? '', /^[0-9a-f]{64}$/);
  assertConsistent(d, 'k today');
  // The summary and the productivity view count the same lines.
  assert.deepEqual([summary.linesAdded, summary.linesRemoved], [d.totals.linesAdded, d.totals.linesRemoved]);
  // MCP text: the shared number format, what each ratio is made of.
  const txt = productivityText(d);
  assert.match(txt, /active time 1\.5 s \(you 0 ms, Claude Code 1\.5 s\), 1 commits, 1 pull requests, lines \+3\/-0, cost \$0\.07 USD\./);
  assert.ok(txt.includes(`Cost per active hour: ${formatUsd(d.totals.costPerActiveHourUsd!)}/hour (sessions that reported active time)`), txt);
  assert.match(txt, /Edit decisions: 100\.0% accepted \(1 accepted, 0 rejected\); decided by you — \(0\/0\)/);
  assert.match(txt, /By repository: demo: 1 sessions, 1\.5 s active, 1 commits, 1 PRs, \+3\/-0 lines, \$0\.07\./);
  assert.match(txt, /By user\/team: [0-9a-f]{64} \[team platform\]: 1 sessions/);
  // Yesterday: nothing, but still a whole day of zero periods (the view says so in one line).
  const y = q('productivity', { range: { key: 'yesterday' } });
  assert.equal(y.series.length, 24);
  assert.ok(y.series.every((p) => FIGURES.every((k) => p[k] === 0)));
  assert.deepEqual([y.totals.sessions, y.totals.costUsd, y.totals.costPerActiveHourUsd, y.totals.costPerLineChangedUsd, y.totals.editAcceptRate], [0, 0, null, null, null]);
  assert.deepEqual([y.byRepo, y.byUser], [[], []]);
  db.close();
});

test('every Claude Code capture: totals equal ground-truth.json (active time, lines, commits, PRs, cost)', async () => {
  for (const sc of scenarios()) {
    const gt = groundTruth(sc) as ReturnType<typeof groundTruth> & { metrics: { active_time_total_s: number; commit_count: number; pull_request_count: number } };
    const { db, q } = await store(records(sc));
    const d = q('productivity', { range: { key: 'all' } });
    close(d.totals.activeSecondsCli + d.totals.activeSecondsUser, gt.metrics.active_time_total_s, `${sc} active time`);
    assert.equal(d.totals.commits, gt.metrics.commit_count, `${sc} commits`);
    assert.equal(d.totals.pullRequests, gt.metrics.pull_request_count, `${sc} PRs`);
    assert.equal(d.totals.linesAdded, gt.metrics.lines_of_code.added ?? 0, `${sc} lines added`);
    assert.equal(d.totals.linesRemoved, gt.metrics.lines_of_code.removed ?? 0, `${sc} lines removed`);
    close(d.totals.costUsd, gt.api_requests.cost_usd, `${sc} cost`);
    assert.ok(d.byUser.every((u) => u.team === 'platform'), `${sc} team`);
    assertConsistent(d, sc);
    db.close();
  }
});

test('a generated 90-day history: days for a month, weeks for 90 days, zero-filled; groups by repo and team', async () => {
  const now = new Date(2026, 10, 21, 20, 0, 0).getTime();
  const h = generateProductivityHistory({ endMs: now, days: 90, seed: 3 });
  const batches = h.bodies.map((b) => decodeAndNormalize('metrics', 'json', b, DEFAULT_INGEST_OPTIONS).records);
  const { db, q, ctx } = await store(batches, now);
  const all = q('productivity', { range: { key: 'all' } });
  const t = h.truth;
  for (const k of FIGURES) close(all.totals[k], t[k], `all: ${k}`);
  close(all.totals.costUsd, t.costUsd, 'cost');
  assert.equal(all.totals.sessions, t.sessions);
  assert.equal(all.totals.metricSessions, t.sessions);
  assert.equal(all.bucket, 'day', '"all" starts at the first activity (89 days back): days');
  assertConsistent(all, 'all');
  assert.deepEqual(all.byRepo.map((g) => g.repo).sort(), [...HISTORY_REPOS].sort());
  for (const g of all.byRepo) assert.deepEqual([g.sessions, g.commits, g.linesAdded], [t.byRepo[g.repo!].sessions, t.byRepo[g.repo!].commits, t.byRepo[g.repo!].linesAdded], `repo ${g.repo}`);
  const teams: Record<string, { sessions: number; commits: number }> = {};
  for (const u of all.byUser) {
    assert.equal(u.userIsEmail, true);
    const e = (teams[u.team!] ??= { sessions: 0, commits: 0 });
    e.sessions += u.sessions;
    e.commits += u.commits;
  }
  assert.deepEqual(teams, t.byTeam);
  assert.equal(all.byUser.length, 3, 'three people');

  const month = q('productivity', { range: { key: '30d' } });
  assert.equal(month.bucket, 'day');
  assert.equal(month.series.length, 30);
  assertConsistent(month, '30d');
  const days = new Set(month.series.filter((p) => p.activeSecondsUser > 0).map((p) => p.bucket.slice(0, 10)));
  assert.deepEqual([...days], t.days.filter((d) => d >= month.series[0].bucket.slice(0, 10)), 'active days = the days with sessions');

  const quarter = q('productivity', { range: { from: new Date(2026, 7, 1).toISOString(), to: new Date(2026, 10, 22).toISOString() } });
  assert.equal(quarter.bucket, 'week', 'more than 92 days: weeks');
  assert.ok(quarter.series.every((p) => new Date(p.bucket).getDay() === 1), 'weeks start on Monday');
  assertConsistent(quarter, 'quarter');
  for (const k of FIGURES) close(quarter.totals[k], t[k], `quarter: ${k}`);

  // CSV `daily`: the day's productivity figures on a row of their own (model empty), never repeated per model.
  const daily = rowsPage(ctx, 'daily', { key: 'all' }, 10_000).rows;
  const prod = daily.filter((x) => x.model === '');
  assert.equal(prod.length, t.days.length, 'one productivity row per active day');
  const sum = (k: string) => daily.reduce((n, x) => n + (typeof x[k] === 'number' ? (x[k] as number) : 0), 0);
  close(sum('active_user_seconds'), t.activeSecondsUser, 'csv active user seconds');
  close(sum('active_cli_seconds'), t.activeSecondsCli, 'csv active cli seconds');
  assert.equal(sum('commits'), t.commits);
  assert.equal(sum('pull_requests'), t.pullRequests);
  assert.equal(sum('lines_added'), t.linesAdded);
  assert.equal(sum('lines_removed'), t.linesRemoved);
  close(sum('cost_usd'), t.costUsd, 'csv cost is not repeated on productivity rows');
  assert.deepEqual(Object.keys(daily[0]), Object.keys(prod[0]), 'every row has the same columns');
  assert.deepEqual(prod.map((x) => x.date), t.days);
  assert.equal(toLocalDate(now).length, 10);
  db.close();
});

test('view model: tiles, a statement instead of an empty chart, week labels, the user/team table only when reported', async () => {
  const { isEmptyProductivity, productivityCharts, productivityTiles, periodLabel, hasUserBreakdown, userLabel, sourcesNote } = await import('../../webview/productivityModel');
  const recs = records('k-git-commit-pr', GIT_FIXTURES);
  const { db, q } = await store(recs);
  const d = q('productivity', { range: { key: 'today' } });
  assert.equal(isEmptyProductivity(d), false);
  const tiles = Object.fromEntries(productivityTiles(d).map((t) => [t.id, t]));
  assert.equal(tiles.commits.value, '1');
  assert.equal(tiles.lines.value, '+3 / −0');
  assert.equal(tiles.active.detail, 'You none · Claude Code 1.5 s');
  assert.equal(tiles['cost-line'].value, formatUsd(d.totals.costUsd / 3));
  assert.equal(tiles.edits.value, '—', 'nobody decided: no rate of "your" decisions');
  const charts = productivityCharts(d);
  assert.deepEqual(charts.map((c) => [c.id, c.model.statement]), [['active', null], ['lines', null], ['commits', null], ['acceptance', null]]);
  assert.equal(charts[0].model.labels[0], '00:00');
  assert.equal(sourcesNote(d), null);
  assert.equal(hasUserBreakdown(d), true, 'team.id is reported');
  assert.match(userLabel(d.byUser[0]), /^user [0-9a-f]{8}…$/);
  const y = q('productivity', { range: { key: 'yesterday' } });
  assert.equal(isEmptyProductivity(y), true);
  assert.deepEqual(productivityCharts(y).map((c) => c.model.statement), [
    'No active time reported in this range.', 'No lines changed in this range.', 'No commits or pull requests in this range.', 'No edit decisions in this range.',
  ]);
  assert.equal(periodLabel('2026-11-16T00:00:00.000+01:00', 'week'), 'Nov 16');
  // Lines but no telemetry metrics (a session imported from a transcript): the note says where figures come from.
  assert.match(sourcesNote({ ...d, totals: { ...d.totals, sessions: 3, metricSessions: 1 } }) ?? '', /^Active time, commits and pull requests come from Claude Code's telemetry: 1 of 3 sessions/);
  assert.equal(hasUserBreakdown({ ...d, byUser: d.byUser.map((u) => ({ ...u, team: null })) }), false, 'one anonymous user.id says nothing');
  db.close();
});
