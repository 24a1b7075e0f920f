// Golden tests of the webview's pure helpers: DTO -> chart datasets and table rows (webview/model.ts,
// webview/format.ts), on the fixture DTOs the browser test also serves (test/fixtures/dto).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Fixtures } from '../support/dtoFixtures';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { AcceptanceDto, CostSeriesDto, SessionsDto, SessionTimelineDto, SummaryDto, ToolStatsDto } from '../../src/protocol/dto';
import { formatCount, formatMs, formatPercent, formatUsd } from '../../src/core/format/numbers';
import { formatBucket, shortModel, toolLabel } from '../../webview/format';
import {
  acceptanceTables,
  costByRepoChart,
  costPerBucketChart,
  modelMixChart,
  SESSION_COLUMNS,
  sortRows,
  timelineHeadings,
  timelineItems,
  tokensPerBucketChart,
  waterfallAxis,
  toolTable,
  waterfallBars,
} from '../../webview/model';

// Typed by the one name -> DTO map (fakeHost.ts Fixtures); dtoFixtures.test.ts holds each file to the
// shape of the real query output, which is what makes this parse trustworthy.
const fx = <K extends keyof Fixtures>(n: K): Fixtures[K] => JSON.parse(readFileSync(join(__dirname, '../fixtures/dto', `${n}.json`), 'utf8'));
const costSeries = fx('costSeries') satisfies CostSeriesDto;
const summary = fx('summary') satisfies SummaryDto;
const timelines = fx('sessionTimelines') satisfies Record<string, SessionTimelineDto>;
const B = '4781e320-d350-4937-a649-b56fa707eee7'; // scenario b-write-edit-bash

test('formatters', () => {
  assert.deepEqual(
    [formatUsd(0), formatUsd(0.05504), formatUsd(2.633471), formatUsd(1234.5), formatUsd(-0.5)],
    ['$0.00', '$0.055', '$2.63', '$1,235', '-$0.50'],
  );
  assert.deepEqual([formatCount(705), formatCount(48160), formatCount(9400220)], ['705', '48.2k', '9.40M']);
  assert.deepEqual([formatPercent(null), formatPercent(0.8718)], ['—', '87.2%']);
  assert.deepEqual([formatMs(28), formatMs(5270), formatMs(96_000), formatMs(5_400_000), formatMs(null)], ['28 ms', '5.3 s', '1 m 36 s', '1 h 30 m', '—']);
  assert.equal(formatBucket('2026-11-21T00:00:00.000+01:00', 'day'), 'Nov 21', 'the local date is read, not converted');
  assert.equal(formatBucket('2026-11-21T14:00:00.000-05:00', 'hour'), '14:00');
  assert.deepEqual([shortModel('claude-opus-4-8[1m]'), shortModel('claude-haiku-4-5-20251001')], ['claude-opus-4-8', 'claude-haiku-4-5']);
  assert.equal(toolLabel('mcp__github__get_pull_request', 'github'), 'github › get_pull_request');
});

test('cost per day stacked by model (golden)', () => {
  const c = costPerBucketChart(costSeries);
  assert.deepEqual(c.labels, ['Nov 15', 'Nov 16', 'Nov 17', 'Nov 18', 'Nov 19', 'Nov 20', 'Nov 21']);
  assert.deepEqual(
    c.series.map((s) => [s.label, s.colorIndex, s.values]),
    [
      ['claude-opus-4-8', 0, [2.568647, 0, 3.544708, 0, 2.344194, 4.693213, 2.294754]],
      ['claude-sonnet-4-6', 1, [0, 1.044729, 0, 0.295327, 0, 0.815946, 0.310004]],
      ['claude-haiku-4-5', 2, [0.039033, 0.023498, 0.052169, 0, 0.030804, 0.084132, 0.028713]],
    ],
  );
  assert.deepEqual(c.table.rows[6], ['Nov 21', '$2.29', '$0.31', '$0.029']);
  // Drawing never changes totals: the stacked bars add up to the summary's cost.
  const drawn = c.series.flatMap((s) => s.values).reduce((a, b) => a + b, 0);
  assert.ok(Math.abs(drawn - summary.costUsd) < 1e-6, `${drawn} vs ${summary.costUsd}`);
});

test('tokens per day by type (golden) add up to the summary tokens', () => {
  const c = tokensPerBucketChart(costSeries);
  // Output first (the bottom of each stack) and in its own colour (purple, index 3), not a sliver on top.
  assert.deepEqual(
    c.series.map((s) => [s.label, s.colorIndex, s.values]),
    [
      ['Output', 3, [14780, 12624, 20689, 4897, 15780, 49165, 19542]],
      ['Input', 0, [116158, 65271, 155344, 18287, 90696, 247325, 117553]],
      ['Cache write', 1, [156082, 110302, 225801, 23068, 158007, 334882, 164651]],
      ['Cache read', 2, [1676019, 1054731, 2200700, 268354, 1325382, 3830040, 1699220]],
    ],
  );
  const sum = (i: number) => c.series[i].values.reduce((a, b) => a + b, 0);
  assert.deepEqual([sum(0), sum(1), sum(2), sum(3)], [summary.tokens.output, summary.tokens.input, summary.tokens.cacheCreation, summary.tokens.cacheRead]);
  assert.equal(c.statement, null);
});

test('model mix and cost by repo tables (golden)', () => {
  assert.deepEqual(modelMixChart(summary).table.rows, [
    ['claude-opus-4-8', '$15.45', '85.0%', '230'],
    ['claude-sonnet-4-6', '$2.47', '13.6%', '66'],
    ['claude-haiku-4-5', '$0.258', '1.4%', '67'],
  ]);
  assert.deepEqual(costByRepoChart(costSeries).table.rows, [
    ['acme-web', '$13.08'],
    ['billing-api', '$4.57'],
    ['(no repo)', '$0.295'],
    ['demo', '$0.225'],
  ]);
});

test('session rows: text per column and stable sorting', () => {
  const rows = fx('sessions').sessions;
  const h = rows.find((r) => r.sessionId.startsWith('42d5777a'))!; // scenario h-long-session
  assert.deepEqual(
    SESSION_COLUMNS.map((c) => c.text(h)),
    ['Nov 21 19:46', '4.8 s', 'demo', 'claude-opus-4-8', '4', '7', '$0.128', '+3 −0', '3/0'],
  );
  const cost = SESSION_COLUMNS.find((c) => c.key === 'cost')!;
  assert.deepEqual(sortRows(rows, cost, 'desc').slice(0, 3).map((r) => r.costUsd), [4.653712, 3.596877, 2.60768]);
  assert.deepEqual(sortRows(rows, cost, 'asc').slice(0, 2).map((r) => r.costUsd), [0.041744, 0.05504]);
  const repo = SESSION_COLUMNS.find((c) => c.key === 'repo')!;
  const byRepo = sortRows(rows, repo, 'asc');
  assert.equal(byRepo[0].repo, null, 'no repo sorts first ascending');
  // Ties keep the host's order (three "demo" sessions in their original order).
  const demos = rows.filter((r) => r.repo === 'demo').map((r) => r.sessionId);
  assert.deepEqual(byRepo.filter((r) => r.repo === 'demo').map((r) => r.sessionId), demos);
});

test('timeline items of scenario b (golden)', () => {
  const items = timelineItems(timelines[B].prompts[0]);
  assert.deepEqual(
    items.map((i) => [i.kind, i.title, i.status, i.filePath, i.detail]),
    [
      ['request', 'claude-opus-4-8', 'ok', null, '1,000 in · 40 out · 0 cache read · 2,048 cache write · $0.019 · took 28 ms · first token 18 ms'],
      ['tool', 'Write', 'ok', '/home/dev/projects/acme-web/hello.py', 'accept by settings rule (auto) · 6 ms · +8 −0'],
      ['request', 'claude-opus-4-8', 'ok', null, '1,137 in · 51 out · 4,608 cache read · 256 cache write · $0.011 · took 13 ms · first token 9 ms'],
      ['tool', 'Edit', 'ok', '/home/dev/projects/acme-web/hello.py', 'accept by settings rule (auto) · 7 ms · +1 −1'],
      ['tool', 'Bash', 'ok', null, 'ls -la · accept by settings rule (auto) · 44 ms'],
      ['request', 'claude-opus-4-8', 'ok', null, '1,274 in · 62 out · 5,120 cache read · 256 cache write · $0.012 · took 24 ms · first token 9 ms'],
      ['request', 'claude-opus-4-8', 'ok', null, '1,411 in · 73 out · 5,632 cache read · 256 cache write · $0.013 · took 11 ms · first token 9 ms'],
    ],
  );
  // Paths relative to the session's folder; times as offsets from the prompt's start, different per row.
  assert.deepEqual(items.filter((i) => i.filePath).map((i) => i.displayPath), ['hello.py', 'hello.py']);
  assert.deepEqual(items.map((i) => i.offset), ['+72 ms', '+76 ms', '+110 ms', '+112 ms', '+148 ms', '+152 ms', '+212 ms']);
  const c = timelines['a1b2c0b5-afec-4e82-83ee-2e09a6ca5d8c'].prompts[0]; // scenario c: Bash rm denied
  assert.deepEqual(timelineItems(c).filter((i) => i.kind === 'tool').map((i) => [i.title, i.status, i.detail]), [['Bash', 'rejected', 'rm notes.txt · reject by settings rule (auto)']]);
});

test('waterfall bars: one row per tool call (waiting and execution are its segments), scaled, nesting kept', () => {
  const bars = waterfallBars(timelines[B].prompts[0].waterfall);
  assert.equal(bars.length, 8, 'interaction, 4 model requests, 3 tools (not 14 spans)');
  assert.deepEqual(bars.slice(0, 3).map((b) => [b.type, b.label, b.depth, b.leftPct, b.widthPct, b.durationText]), [
    ['interaction', 'Whole prompt', 0, 0, 100, '253 ms'],
    ['llm_request', 'claude-opus-4-8 · 1000→40 tok', 1, 30.04, 13.68, '35 ms'],
    ['tool', 'Write', 1, 44.27, 3.72, '9 ms'],
  ]);
  assert.deepEqual(bars[2].segments.map((x) => [x.type, x.leftPct, x.widthPct, x.durationText]), [
    ['blocked', 44.27, 1.46, '4 ms'],
    ['execution', 45.45, 2.13, '5 ms'],
  ]);
  assert.deepEqual(bars.filter((b) => b.type === 'tool').map((b) => b.label), ['Write', 'Edit', 'Bash']);
  for (const b of bars) assert.ok(b.leftPct >= 0 && b.leftPct + b.widthPct <= 100.5, `${b.label} inside the track`);
  // A subagent's spans under the Task tool's execution: one level under the Task row (the execution is merged).
  const sub = waterfallBars(timelines['9e0c1d2b-3a4f-4e5d-8c6b-7a8f9e0d1c2b'].prompts[0].waterfall);
  assert.deepEqual(sub.filter((b) => b.depth === 2).map((b) => b.label), [
    'claude-haiku-4-5 · 880→141 tok (subagent)',
    'Bash',
    'claude-haiku-4-5 · 1020→212 tok (subagent)',
  ]);
  assert.deepEqual(waterfallBars([]), []);
  const axis = waterfallAxis(timelines[B].prompts[0].waterfall);
  assert.deepEqual(axis.map((t) => t.text), ['0', '100 ms', '200 ms']);
});

test('timeline headings: prompts numbered, the title request named', () => {
  const p = timelines[B].prompts[0];
  const title = { ...p, kind: 'sessionTitle' as const, promptId: null, requests: p.requests.slice(0, 1), tools: [], costUsd: 0.0023 };
  assert.deepEqual(timelineHeadings([p, title, { ...p, kind: 'prompt' as const }]), [
    'Prompt 1 · 19:46:28 · $0.055 · 4 requests',
    "Session title (Claude Code's own request, not a prompt) · 19:46:28 · $0.002 · 1 request",
    'Prompt 2 · 19:46:28 · $0.055 · 4 requests',
  ]);
});

test('charts with nothing to say are sentences: empty range, one model, one repository', () => {
  const empty = { ...costSeries, points: [], byRepo: [] };
  assert.equal(costPerBucketChart(empty, 'yesterday').statement, 'No activity yesterday.');
  assert.equal(costPerBucketChart(empty, 'yesterday').labels.length, 7, 'the range is still filled');
  assert.equal(tokensPerBucketChart(empty, '7d').statement, 'No tokens in the last 7 days.');
  assert.equal(costByRepoChart(empty, 'month').statement, 'No cost this month.');
  const one = { ...summary, byModel: summary.byModel.slice(0, 1), costUsd: summary.byModel[0].costUsd };
  assert.match(modelMixChart(one, '7d').statement ?? '', /^All cost from claude-opus-4-8: \$15\.45 over 230 requests\.$/);
  assert.equal(modelMixChart(summary, '7d').statement, null);
  assert.equal(costByRepoChart({ ...costSeries, byRepo: [{ repo: 'acme-web', costUsd: 1.5 }] }).statement, 'All cost in acme-web: $1.50.');
});

test('acceptance keeps user and auto sources apart; tool table (golden)', () => {
  const [byTool, byLang, bySource] = acceptanceTables(fx('acceptance'));
  assert.deepEqual(byTool.rows[0], ['Edit', '26', '9', '74.3%']);
  assert.deepEqual(byLang.rows[0], ['TypeScript', '30', '8', '79.0%']);
  assert.deepEqual(bySource.rows, [
    ['you, once', 'user', '29', '0', '100.0%'],
    ['you, always', 'user', '24', '0', '100.0%'],
    ['settings rule (auto)', 'auto', '13', '1', '92.9%'],
    ['you, rejected', 'user', '0', '9', '0.0%'],
    ['hook (auto)', 'auto', '2', '0', '100.0%'],
  ]);
  assert.deepEqual(toolTable(fx('toolStats').tools).rows.slice(5), [
    ['Task', '9', '1', '88.9%', '48.2 s', '2 m 12 s'],
    ['github › get_pull_request', '12', '2', '83.3%', '640 ms', '2.2 s'],
    ['fixture › lookup_ticket', '4', '1', '75.0%', '44 ms', '51 ms'],
  ]);
});
