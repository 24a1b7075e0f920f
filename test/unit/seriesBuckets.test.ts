// Filled series buckets (src/core/time/buckets.ts) in the process's time zone and across a DST change.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fillSeries, nextPeriodStart, periodStarts, seriesBucketFor } from '../../src/core/time/buckets';
import { localPeriodStartOfMs } from '../../src/core/time/range';

const local = (y: number, m: number, d: number, h = 0) => new Date(y, m - 1, d, h).getTime();

test('bucket size follows the range: hours for a day, days for a month, weeks for a year', () => {
  assert.equal(seriesBucketFor(local(2026, 11, 30), local(2026, 12, 1)), 'hour');
  assert.equal(seriesBucketFor(local(2026, 11, 24), local(2026, 12, 1)), 'day');
  assert.equal(seriesBucketFor(local(2026, 11, 1), local(2026, 12, 1)), 'day');
  assert.equal(seriesBucketFor(local(2025, 12, 1), local(2026, 12, 1)), 'week');
});

test('a day has 24 hourly periods, a week 7 days, weeks start on Monday', () => {
  assert.equal(periodStarts(local(2026, 11, 30), local(2026, 12, 1), 'hour').length, 24);
  const days = periodStarts(local(2026, 11, 24), local(2026, 12, 1), 'day');
  assert.deepEqual(days.map((t) => new Date(t).getDate()), [24, 25, 26, 27, 28, 29, 30]);
  const weeks = periodStarts(local(2026, 11, 4), local(2026, 12, 1), 'week');
  for (const w of weeks) assert.equal(new Date(w).getDay(), 1, 'Monday');
  assert.equal(new Date(weeks[0]).getDate(), 2, 'the week holding Wed Nov 4 starts Mon Nov 2');
  assert.equal(weeks.length, 5);
});

test('fillSeries puts zeros where the data has none and keeps the data', () => {
  const from = local(2026, 11, 24);
  const data = new Map([[local(2026, 11, 26), 5]]);
  assert.deepEqual(fillSeries(from, local(2026, 12, 1), 'day', data, () => 0), [0, 0, 5, 0, 0, 0, 0]);
  assert.deepEqual(fillSeries(from, from, 'day', data, () => 0), []);
});

test('periods stay local across a DST change (TZ=Europe/Berlin)', { skip: process.env.TZ === 'Europe/Berlin' ? false : 'runs in the TZ=Europe/Berlin child below' }, () => {
  const hours = periodStarts(local(2026, 10, 25), local(2026, 10, 26), 'hour');
  // Wall-clock hours, as the SQL groups them (localPeriodKey): the repeated hour is one period.
  assert.equal(hours.length, 24, 'the day clocks go back has 24 wall-clock hours');
  assert.equal(new Set(hours.map((t) => new Date(t).getHours())).size, 24);
  assert.equal(periodStarts(local(2026, 3, 29), local(2026, 3, 30), 'hour').length, 23, 'the day clocks go forward has 23');
  const days = periodStarts(local(2026, 10, 20), local(2026, 10, 30), 'day');
  for (const d of days) assert.equal(new Date(d).getHours(), 0);
  assert.equal(nextPeriodStart(local(2026, 3, 29), 'day'), local(2026, 3, 30));
  assert.equal(localPeriodStartOfMs(local(2026, 3, 29, 12), 'week'), local(2026, 3, 23));
});

test('the DST case runs in a child process with TZ=Europe/Berlin', { skip: process.env.TZ === 'Europe/Berlin' ? 'this is the child' : false }, async () => {
  const { spawnSync } = await import('node:child_process');
  const r = spawnSync(process.execPath, ['--import', 'tsx', '--test', '--test-name-pattern=DST change', __filename], { env: { ...process.env, TZ: 'Europe/Berlin', NODE_TEST_CONTEXT: undefined }, encoding: 'utf8' });
  assert.equal(r.status, 0, r.stdout + r.stderr);
  assert.match(r.stdout, /# pass 1\b/);
});
