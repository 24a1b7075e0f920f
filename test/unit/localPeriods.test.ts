// Local days and hours are computed in SQL (queries/common.ts localPeriodKey) instead of a JS function
// per row. Checked against a plain JS grouping in real time zones with DST changes (a child process per
// TZ: a process's zone is fixed at start), and offsetSegments against a fake offset function.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { test } from 'node:test';
import { BUCKET_MS, offsetSegments } from '../../src/core/time/range';

const CHECK = path.join(__dirname, '../support/localPeriodsCheck.ts');

for (const tz of ['UTC', 'America/New_York', 'Europe/Berlin', 'Australia/Lord_Howe', 'Asia/Kolkata', 'America/St_Johns']) {
  test(`local days and hours equal a JS grouping across DST changes (TZ=${tz})`, () => {
    const out = execFileSync(process.execPath, ['--import', 'tsx', CHECK], { env: { ...process.env, TZ: tz }, encoding: 'utf8' });
    assert.match(out, /^ok \d+ days \d+ hours/);
  });
}

test('offsetSegments finds each change at its bucket', () => {
  const change1 = 1_000_050; // buckets
  const change2 = 1_003_333;
  const offsetAt = (ms: number) => (ms < change1 * BUCKET_MS ? 0 : ms < change2 * BUCKET_MS ? 3_600_000 : 1_800_000);
  assert.deepEqual(offsetSegments(999_000, 1_010_000, offsetAt), [
    { fromBucket: 999_000, offsetMs: 0 },
    { fromBucket: change1, offsetMs: 3_600_000 },
    { fromBucket: change2, offsetMs: 1_800_000 },
  ]);
  assert.deepEqual(offsetSegments(5, 5, offsetAt), [{ fromBucket: 5, offsetMs: 0 }]);
});
