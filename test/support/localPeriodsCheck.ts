// Run by test/unit/localPeriods.test.ts in a child process with a TZ set (the time zone of a Node
// process is fixed at its start). Fills effective_usage with one row per 15-minute bucket over two
// DST changes, then checks that the day and hour groups of costSeries, summary(groupBy day) and the
// daily CSV equal a reference grouping made in JS with localPeriodStart. Prints "ok <n>" or throws.
import assert from 'node:assert/strict';
import path from 'node:path';
import { runQuery } from '../../src/core/queries/runQuery';
import { rowsPage } from '../../src/core/queries/rows';
import { LedgerDb, loadSqlJs } from '../../src/core/store/ledgerDb';
import { BUCKET_MS, localPeriodStart, toLocalDate, toLocalIso } from '../../src/core/time/range';

(async () => {
  const SQL = await loadSqlJs(path.join(__dirname, '../../node_modules/sql.js/dist/sql-wasm.wasm'));
  const db = LedgerDb.open(SQL);
  const from = Date.UTC(2026, 2, 1); // March 1 .. April 15 and Oct 20 .. Nov 10 2026: both DST changes of NA/EU/AU zones
  const spans = [[from, Date.UTC(2026, 3, 15)], [Date.UTC(2026, 9, 20), Date.UTC(2026, 10, 10)]];
  db.sql.run(`INSERT INTO dict (id, value) VALUES (1, 'm1')`);
  const buckets: number[] = [];
  for (const [a, b] of spans) for (let t = a; t < b; t += BUCKET_MS) buckets.push(t / BUCKET_MS);
  for (const bk of buckets) db.sql.run('INSERT INTO effective_usage (bucket, model_id, cost_usd, requests) VALUES (?, 1, 1, 1)', [bk]);
  const ref = (period: 'day' | 'hour') => {
    const m = new Map<number, number>();
    for (const bk of buckets) {
      const s = localPeriodStart(bk, period);
      m.set(s, (m.get(s) ?? 0) + 1);
    }
    return [...m.entries()].sort((x, y) => x[0] - y[0]);
  };
  const ctx = { sql: db.sql, nowMs: Date.UTC(2026, 11, 1), dataVersion: 1, lastEventMs: 0 } as Parameters<typeof runQuery>[0];
  const range = { from: new Date(from).toISOString(), to: new Date(Date.UTC(2026, 11, 1)).toISOString() };
  const daily = runQuery(ctx, 'costSeries', { range, bucket: 'day' });
  assert.deepEqual(daily.points.map((p) => [p.bucket, p.costUsd]), ref('day').map(([s, n]) => [toLocalIso(s), n]));
  const hourly = runQuery(ctx, 'costSeries', { range, bucket: 'hour' });
  assert.deepEqual(hourly.points.map((p) => [p.bucket, p.costUsd]), ref('hour').map(([s, n]) => [toLocalIso(s), n]));
  const byDay = runQuery(ctx, 'summary', { range, groupBy: 'day' }).groups ?? [];
  assert.deepEqual(byDay.map((g) => [g.key, g.costUsd]), ref('day').map(([s, n]) => [toLocalDate(s), n]));
  const csv = rowsPage(ctx, 'daily', range, 10_000).rows;
  assert.deepEqual(csv.map((r) => [r.date, r.cost_usd]), ref('day').map(([s, n]) => [toLocalDate(s), n]));
  process.stdout.write(`ok ${daily.points.length} days ${hourly.points.length} hours\n`);
  db.close();
})().catch((err: unknown) => {
  process.stderr.write(`${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
