// The queries behind the dashboard (issue 15) on real Claude Code payloads (test/support/dashboardData.ts):
// series filled over the whole range at a bucket chosen from it, the previous period of the same
// length, session headlines and totals, the timeline's title request and relative paths; and the one
// scale format of a chart (src/core/format/numbers.ts).
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { scaleFormatter } from '../../src/core/format/numbers';
import { relativePath, sessionFolder } from '../../src/core/queries/sessionRow';
import { seriesBucketFor } from '../../src/core/time/buckets';
import { previousRange, resolveRange } from '../../src/core/time/range';
import { openDataset, type Dataset } from '../support/dashboardData';

let day: Dataset;
let days90: Dataset;
before(async () => {
  day = await openDataset('day', '/home/dev/projects/acme-web', []);
  days90 = await openDataset('days90', '/home/dev/projects/acme-web', []);
});
after(() => {
  day?.close();
  days90?.close();
});

const B = '4781e320-d350-4937-a649-b56fa707eee7'; // b-write-edit-bash

test('costSeries fills every bucket of the range, the bucket chosen from the range', async () => {
  const q = (key: 'today' | 'yesterday' | '7d' | '30d' | 'all', d = day) => d.api.query('costSeries', { range: { key } });
  const today = await q('today');
  assert.equal(today.bucket, 'hour');
  assert.equal(today.buckets.length, 24);
  assert.equal(today.buckets[0], '2026-11-21T00:00:00.000+00:00');
  assert.deepEqual([...new Set(today.points.map((p) => p.bucket))], ['2026-11-21T19:00:00.000+00:00']);
  const yesterday = await q('yesterday');
  assert.deepEqual([yesterday.bucket, yesterday.buckets.length, yesterday.points.length], ['hour', 24, 0]);
  const week = await q('7d');
  assert.deepEqual([week.bucket, week.buckets.length], ['day', 7]);
  assert.equal(week.buckets[6], '2026-11-21T00:00:00.000+00:00');
  assert.deepEqual([(await q('30d')).bucket, (await q('30d')).buckets.length], ['day', 30]);
  // "All time" starts at the first data, not in 1970: the capture day alone is a few hours.
  const all = await q('all');
  assert.equal(all.bucket, 'hour');
  assert.equal(all.buckets[0], '2026-11-21T19:00:00.000+00:00');
  // 90 days of history: one bucket a day from the first copy's day, the points within the buckets.
  const all90 = await q('all', days90);
  assert.equal(all90.bucket, 'day');
  assert.equal(all90.buckets.length, 91);
  assert.equal(all90.buckets[0], '2026-08-23T00:00:00.000+00:00');
  const kept = new Set(all90.buckets);
  assert.ok(all90.points.every((p) => kept.has(p.bucket)));
  const s = await days90.api.query('summary', { range: { key: 'all' } });
  const drawn = all90.points.reduce((n, p) => n + p.costUsd, 0);
  assert.ok(Math.abs(drawn - s.costUsd) < 1e-9, `${drawn} vs ${s.costUsd}`);
  // Weeks (Monday starts) for an explicit range of half a year; the bucket can still be asked for.
  const half = await days90.api.query('costSeries', { range: { from: '2026-06-01T00:00:00.000+00:00', to: '2026-11-22T00:00:00.000+00:00' } });
  assert.equal(half.bucket, 'week');
  assert.equal(half.buckets[0], '2026-06-01T00:00:00.000+00:00', 'June 1 2026 is a Monday');
  assert.equal(half.buckets.length, 25);
  assert.ok(Math.abs(half.points.reduce((n, p) => n + p.costUsd, 0) - s.costUsd) < 1e-9);
  assert.equal((await days90.api.query('costSeries', { range: { key: '7d' }, bucket: 'hour' })).buckets.length, 7 * 24);
  assert.equal(seriesBucketFor(0, 86_400_000), 'hour');
});

test('previous period of the same length; the overview carries its cost', async () => {
  const now = day.nowMs;
  assert.deepEqual(previousRange({ key: 'today' }, now), { from: '2026-11-20T00:00:00.000+00:00', to: '2026-11-21T00:00:00.000+00:00' });
  assert.deepEqual(previousRange({ key: '7d' }, now), { from: '2026-11-08T00:00:00.000+00:00', to: '2026-11-15T00:00:00.000+00:00' });
  assert.equal(previousRange({ key: 'all' }, now), null);
  const r = resolveRange({ key: 'month' }, now);
  const p = previousRange({ key: 'month' }, now)!;
  assert.equal(Date.parse(p.to!) - Date.parse(p.from!), r.toMs - r.fromMs);
  const o = await days90.request('overview/get', { range: { key: '7d' } });
  const prev = await days90.api.query('summary', { range: { from: '2026-11-08T00:00:00.000+00:00', to: '2026-11-15T00:00:00.000+00:00' } });
  assert.ok(o.previous && prev.costUsd > 0);
  assert.equal(o.previous.costUsd, prev.costUsd);
  assert.equal((await days90.request('overview/get', { range: { key: 'all' } })).previous, null);
});

test('sessions: a headline for each (title, else first prompt, else first file, else first tool) and totals over all listed', async () => {
  const s = await day.api.query('sessions', { range: { key: 'all' }, limit: 50 });
  const by = new Map(s.sessions.map((x) => [x.sessionId.slice(0, 8), x.headline]));
  assert.deepEqual(by.get('42d5777a'), { text: 'Add a greeting and count words in notes', from: 'title' });
  assert.deepEqual(by.get('4781e320'), { text: 'Create hello.py, then improve it, then list the directory.', from: 'prompt' });
  // l-defaults-redacted: no prompt text, no tool details (no path): its first tool.
  assert.equal([...by.values()].filter((h) => h?.from === 'tool').length, 1);
  const sum = <K extends 'costUsd' | 'requests' | 'prompts' | 'accepts' | 'rejects' | 'linesAdded'>(k: K) => s.sessions.reduce((n, x) => n + x[k], 0);
  assert.equal(s.total, 7);
  assert.ok(Math.abs(s.totals.costUsd - sum('costUsd')) < 1e-12);
  for (const k of ['requests', 'prompts', 'accepts', 'rejects', 'linesAdded'] as const) assert.equal(s.totals[k], sum(k), k);
  // Totals cover every matching session, not only the page asked for.
  const page = await day.api.query('sessions', { range: { key: 'all' }, limit: 2 });
  assert.deepEqual(page.totals, s.totals);
  const filtered = await days90.api.query('sessions', { range: { key: '30d' }, repo: 'billing-api', limit: 500 });
  assert.ok(filtered.total > 0 && filtered.sessions.every((x) => x.repo === 'billing-api'));
  assert.equal(filtered.totals.requests, filtered.sessions.reduce((n, x) => n + x.requests, 0));
});

test('timeline: the session-title request is its own group, not a prompt; paths relative to the session folder', async () => {
  const t = await day.api.query('sessionTimeline', { sessionId: B });
  assert.deepEqual(t.prompts.map((p) => [p.kind, p.requests.length]), [['prompt', 4], ['sessionTitle', 1]]);
  assert.equal(t.session?.prompts, 1);
  assert.deepEqual(t.prompts[0].tools.map((x) => [x.tool, x.filePath, x.displayPath]), [
    ['Write', '/home/dev/projects/acme-web/hello.py', 'hello.py'],
    ['Edit', '/home/dev/projects/acme-web/hello.py', 'hello.py'],
    ['Bash', null, null],
  ]);
  const h = await day.api.query('sessionTimeline', { sessionId: '42d5777a-6d09-4974-9b92-53f158b9fbba' });
  assert.deepEqual(h.prompts.map((p) => p.kind), ['prompt', 'prompt', 'prompt', 'prompt']);
});

test('relative paths: the transcript folder, else the folder holding all of the session files', () => {
  assert.equal(relativePath('/home/dev/projects/acme-web/src/a.ts', '/home/dev/projects/acme-web'), 'src/a.ts');
  assert.equal(relativePath('/home/dev/projects/acme-webapp/a.ts', '/home/dev/projects/acme-web'), '/home/dev/projects/acme-webapp/a.ts');
  assert.equal(relativePath('C:\\work\\app\\a.ts', 'C:\\work\\app\\'), 'a.ts');
  assert.equal(sessionFolder(null, ['/home/dev/p/web/src/a.ts', '/home/dev/p/web/test/b.ts']), '/home/dev/p/web');
  assert.equal(sessionFolder('/cwd', ['/x/y/z.ts']), '/cwd');
  assert.equal(sessionFolder(null, ['/a.ts', '/b/c.ts']), null, 'the root is no project folder');
  assert.equal(sessionFolder(null, ['relative/a.ts']), null);
});

test('one number format per chart scale: never "$0.00" next to "$0.080", nor "5,000" next to "10.0k"', () => {
  const usd = (max: number, xs: number[]) => xs.map(scaleFormatter('usd', max));
  assert.deepEqual(usd(0.08, [0, 0.02, 0.08]), ['$0.000', '$0.020', '$0.080']);
  assert.deepEqual(usd(0.4, [0, 0.05, 0.4]), ['$0.00', '$0.05', '$0.40']);
  assert.deepEqual(usd(1250, [0, 250, 1250]), ['$0', '$250', '$1,250']);
  const n = (max: number, xs: number[]) => xs.map(scaleFormatter('count', max));
  assert.deepEqual(n(9_000, [0, 4864, 9000]), ['0', '4,864', '9,000']);
  assert.deepEqual(n(16_000, [0, 4864, 5000, 10_000, 15_400]), ['0', '4.9k', '5.0k', '10.0k', '15.4k']);
  assert.deepEqual(n(2_500_000, [500_000, 2_500_000]), ['0.50M', '2.50M']);
  assert.equal(scaleFormatter('usd', 1)(Number.NaN), '—');
});

test('MCP: a headline taken from the first prompt leaves the store only while prompt capture is on', async () => {
  const { TOOLS } = await import('../../src/server/mcp/tools');
  const tool = (n: string) => TOOLS.find((t) => t.name === n)!;
  const run = (n: string, args: Record<string, unknown>, capturePrompts: boolean) =>
    tool(n).run(args, { store: day.api as never, runtime: { capturePrompts, captureCommands: true } as never, sql: undefined as never });
  type Row = { sessionId: string; headline: { from: string; text: string } | null };
  const on = (await run('list_sessions', { range: 'all', limit: 50 }, true)).structured.sessions as Row[];
  const off = (await run('list_sessions', { range: 'all', limit: 50 }, false)).structured.sessions as Row[];
  assert.ok(on.some((r) => r.headline?.from === 'prompt'));
  assert.ok(off.every((r) => r.headline?.from !== 'prompt'));
  assert.deepEqual(off.find((r) => r.sessionId.startsWith('42d5777a'))?.headline?.from, 'title');
  const t = await run('session_timeline', { sessionId: B }, false);
  assert.equal((t.structured.session as Row).headline, null);
  assert.match(t.text, /: 1 prompts, 5 API requests/);
  assert.match(t.text, /\nsession title request \(not a prompt\) /);
});
