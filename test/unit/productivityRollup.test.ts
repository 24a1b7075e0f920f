// productivity_rollup and session_identity (schema v9) against what the productivity query read before
// them (and the v10 query, figures kept at ingest, against the v9 query: test/support/productivityV9.ts): the old SQL over raw metric_points / metric_series (copied below from the v8 query) and the new
// rollup run through the same productivityQuery on the same store, for every range, over real captures,
// a generated 90-day history (deltas, three people and teams) across a DST change, and cumulative
// counters from several sessions with a counter reset, a late point, a replayed payload and points without
// session.id. Then retention: raw points go after rawDays while the rollup keeps the figures until
// rollupDays.
process.env.TZ = 'America/New_York';
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ProductivityDto, RangeSpec } from '../../src/protocol/dto';
import { localPeriodStart, BUCKET_MS } from '../../src/core/time/range';
import type { QueryContext } from '../../src/core/queries/common';
import { PRODUCTIVITY_METRICS, productivityQuery } from '../../src/core/queries/productivity';
import { productivityQuery as productivityV9, type MetricFigures, type ProductivityMetricSource } from '../support/productivityV9';
import { LedgerDb } from '../../src/core/store/ledgerDb';
import { pruneStep } from '../../src/core/store/retention';
import { DEFAULT_RETENTION_OPTIONS } from '../../src/core/store/options';
import { decodeAndNormalize } from '../../src/core/otlp/ingest';
import { DEFAULT_INGEST_OPTIONS, type NormRecord } from '../../src/core/otlp/records';
import { GIT_FIXTURES, records, scenarios, sqlJs } from './storeTestSupport';
import { generateProductivityHistory } from '../support/productivityHistory';
import { assertSame } from '../support/compare';

const DAY = 86_400_000;

// ---- the v8 query's metric part, verbatim SQL: raw points per 15-minute bucket and series
interface MetricRow { b: number; sid: number; name: string; type: string | null; v: number }
function oldMetricRows(ctx: QueryContext, b0: number, b1: number): MetricRow[] {
  const names = Object.values(PRODUCTIVITY_METRICS);
  return ctx.sql.all<MetricRow>(
    `SELECT CAST(p.time_ms / ${BUCKET_MS} AS INTEGER) AS b, ms.session_id AS sid, nd.value AS name, td.value AS type, sum(p.delta) AS v
     FROM dict nd JOIN metric_series ms ON ms.name_id = nd.id JOIN metric_points p ON p.series_id = ms.id LEFT JOIN dict td ON td.id = ms.type_id
     WHERE nd.value IN (${names.map(() => '?').join(', ')}) AND p.time_ns >= ? AND p.time_ns < ? AND p.time_ms >= ? AND p.time_ms < ?
     GROUP BY b, ms.id`,
    [...names, (b0 * BUCKET_MS - 1_000) * 1e6, (b1 * BUCKET_MS + 1_000) * 1e6, b0 * BUCKET_MS, b1 * BUCKET_MS],
  );
}
const zero = (): MetricFigures => ({ activeSecondsUser: 0, activeSecondsCli: 0, commits: 0, pullRequests: 0 });
function addOld(into: MetricFigures, m: MetricRow): void {
  const v = m.v ?? 0;
  if (m.name === PRODUCTIVITY_METRICS.commits) into.commits += v;
  else if (m.name === PRODUCTIVITY_METRICS.pullRequests) into.pullRequests += v;
  else if (m.type === 'user') into.activeSecondsUser += v;
  else if (m.type === 'cli') into.activeSecondsCli += v;
}
const RAW_METRICS: ProductivityMetricSource = {
  bySession(ctx, b0, b1) {
    const m = new Map<number, MetricFigures>();
    for (const r of oldMetricRows(ctx, b0, b1)) addOld(m.get(r.sid) ?? m.set(r.sid, zero()).get(r.sid)!, r);
    return [...m].map(([sid, f]) => ({ sid, f }));
  },
  byPeriod(ctx, b0, b1, bucket) {
    const m = new Map<number, MetricFigures>();
    for (const r of oldMetricRows(ctx, b0, b1)) {
      const start = localPeriodStart(r.b, bucket);
      addOld(m.get(start) ?? m.set(start, zero()).get(start)!, r);
    }
    return [...m].map(([start, f]) => ({ start, f }));
  },
};
/** The v8 query's team / e-mail per session (sessions with a metric series). */
const OLD_IDENTITY = `SELECT session_id AS sid, max(json_extract(attrs, '$."team.id"')) AS team, max(json_extract(attrs, '$."user.email"')) AS email
  FROM metric_series WHERE session_id <> 0 AND (attrs IS NULL OR json_valid(attrs)) GROUP BY session_id ORDER BY session_id`;


function metricsBody(points: { name: string; sid?: string; attrs?: Record<string, string>; start: number; time: number; value: number; temporality: 1 | 2 }[]): NormRecord[] {
  const kv = (o: Record<string, string>) => Object.entries(o).map(([key, s]) => ({ key, value: { stringValue: s } }));
  const metrics = points.map((p) => ({
    name: p.name,
    unit: 's',
    sum: {
      aggregationTemporality: p.temporality, isMonotonic: true,
      dataPoints: [{
        attributes: kv({ ...(p.sid ? { 'session.id': p.sid } : {}), 'user.id': 'u-1', ...(p.attrs ?? {}) }),
        startTimeUnixNano: `${BigInt(p.start) * 1_000_000n}`, timeUnixNano: `${BigInt(p.time) * 1_000_000n}`, asDouble: p.value,
      }],
    },
  }));
  const body = { resourceMetrics: [{ resource: { attributes: kv({ 'service.name': 'claude-code', 'team.id': 'core', 'repo.name': 'ledger' }) }, scopeMetrics: [{ scope: { name: 'com.anthropic.claude_code' }, metrics }] }] };
  return decodeAndNormalize('metrics', 'json', Buffer.from(JSON.stringify(body)), DEFAULT_INGEST_OPTIONS).records;
}

/** Cumulative counters of three sessions (one restarts its exporter: a reset), a late point, deltas without session.id. */
function cumulativeBatches(endMs: number): NormRecord[][] {
  const out: NormRecord[][] = [];
  const t0 = endMs - 40 * DAY;
  for (const [i, sid] of ['cum-a', 'cum-b', 'cum-c'].entries()) {
    const start = t0 + i * 9 * DAY + 3_600_000 * (i + 1);
    let user = 0;
    let commits = 0;
    for (let k = 1; k <= 8; k++) {
      const time = start + k * 11 * 60_000;
      user += 7.25 * k;
      commits += k % 3 === 0 ? 1 : 0;
      // The 6th point of cum-b follows an exporter restart: a new start time and a lower value.
      const restarted = sid === 'cum-b' && k >= 6;
      const s = restarted ? start + 5 * 11 * 60_000 + 1 : start;
      const u = restarted ? user - 100 : user;
      out.push(metricsBody([
        { name: PRODUCTIVITY_METRICS.activeTime, sid, attrs: { type: 'user' }, start: s, time, value: Math.max(u, 1.5), temporality: 2 },
        { name: PRODUCTIVITY_METRICS.activeTime, sid, attrs: { type: 'cli' }, start: s, time, value: 3.5 * k, temporality: 2 },
        { name: PRODUCTIVITY_METRICS.commits, sid, start: s, time, value: commits, temporality: 2 },
        { name: PRODUCTIVITY_METRICS.pullRequests, sid, start: s, time, value: k > 4 ? 1 : 0, temporality: 2 },
      ]));
    }
    // A late point (older time, same start) after the later ones: delta 0.
    out.push(metricsBody([{ name: PRODUCTIVITY_METRICS.commits, sid, start, time: start + 2 * 11 * 60_000 + 5, value: 0, temporality: 2 }]));
  }
  // Deltas without session.id (OTEL_METRICS_INCLUDE_SESSION_ID=false): totals and series only.
  out.push(metricsBody([
    { name: PRODUCTIVITY_METRICS.activeTime, attrs: { type: 'user' }, start: t0, time: t0 + 30 * 60_000, value: 12.5, temporality: 1 },
    { name: PRODUCTIVITY_METRICS.commits, start: t0, time: t0 + 30 * 60_000, value: 2, temporality: 1 },
  ]));
  out.push(out[3]); // a replayed payload: duplicates are not counted twice
  return out;
}

const ninety = (nowMs: number): RangeSpec => ({ from: new Date(nowMs - 90 * DAY).toISOString(), to: new Date(nowMs).toISOString() });
const RANGES = (nowMs: number): RangeSpec[] => [{ key: 'all' }, { key: 'today' }, { key: 'yesterday' }, { key: '7d' }, { key: '30d' }, { key: 'month' }, ninety(nowMs)];

async function filledStore(endMs: number) {
  const db = LedgerDb.open(await sqlJs());
  const gen = generateProductivityHistory({ endMs, days: 90 });
  for (const b of gen.bodies) db.apply(decodeAndNormalize('metrics', 'json', Buffer.from(b), DEFAULT_INGEST_OPTIONS).records);
  for (const b of cumulativeBatches(endMs)) db.apply(b);
  for (const sc of scenarios()) for (const b of records(sc)) db.apply(b);
  for (const b of records('k-git-commit-pr', GIT_FIXTURES)) db.apply(b);
  return db;
}

function compare(db: LedgerDb, nowMs: number, what: string): ProductivityDto[] {
  const ctx: QueryContext = { sql: db.sql, nowMs, dataVersion: db.dataVersion, lastEventMs: db.lastEventMs };
  const answers: ProductivityDto[] = [];
  for (const range of [...RANGES(nowMs), { from: new Date(nowMs - 45 * DAY).toISOString(), to: new Date(nowMs - 20 * DAY).toISOString() }]) {
    const rolled = productivityQuery(ctx, { range });
    assertSame(rolled, productivityV9(ctx, { range }, RAW_METRICS), `${what} ${JSON.stringify(range)}`);
    assertSame(rolled, productivityV9(ctx, { range }), `${what} ${JSON.stringify(range)} (v9 query)`);
    answers.push(rolled);
  }
  return answers;
}

// 2026-12-01: the 90 days before it hold the end of daylight saving time in New York (2026-11-01).
const END = Date.parse('2026-12-01T20:00:00Z');

test('the rollup answers as the raw metric points did: every range, deltas and cumulative counters, DST, no session.id', async () => {
  const db = await filledStore(END);
  const answers = compare(db, END, 'filled');
  const all = answers[0];
  assert.ok(all.totals.commits > 50 && all.totals.activeSecondsCli > 0 && all.totals.pullRequests > 10, JSON.stringify(all.totals));
  assert.ok(all.series.length > 10 && all.byUser.some((u) => u.team === 'platform'), 'series and teams present');
  const ninetyDays = answers[6];
  assert.equal(ninetyDays.bucket, 'day');
  // Local days on both sides of the change (UTC-4, then UTC-5): the period keys used two offset segments.
  const offsets = new Set(ninetyDays.series.filter((p) => p.commits + p.activeSecondsUser > 0).map((p) => p.bucket.slice(-6)));
  assert.deepEqual([...offsets].sort(), ['-04:00', '-05:00'], JSON.stringify(ninetyDays.series.slice(0, 2)));
  // The session identities equal the old per-query scan of metric_series.
  const ids = db.sql.all<{ sid: number; team: unknown; email: unknown }>('SELECT session_id AS sid, team, email FROM session_identity ORDER BY session_id');
  assert.deepEqual(ids, db.sql.all(OLD_IDENTITY));
  assert.ok(ids.some((x) => x.email === 'ana@acme.dev'));
  // The cumulative sessions: a counter reset counts the new value, the late point adds nothing.
  const cum = db.sql.get<{ u: number; k: number }>(
    `SELECT total(active_seconds_user) AS u, total(commits) AS k FROM productivity_rollup WHERE session_id IN (SELECT id FROM dict WHERE value IN ('cum-a', 'cum-c'))`,
  );
  assert.deepEqual(cum, { u: 2 * 7.25 * 36, k: 2 * 2 });
  // Points without session.id are in session 0 of the rollup: in the totals, in no session row.
  assert.deepEqual(db.sql.get('SELECT total(active_seconds_user) AS u, total(commits) AS k FROM productivity_rollup WHERE session_id = 0'), { u: 12.5, k: 2 });
  db.close();
});

test('retention: raw points go after rawDays, the rollup keeps the figures until rollupDays', async () => {
  const db = await filledStore(END);
  const before = compare(db, END, 'before pruning');
  const opts = { ...DEFAULT_RETENTION_OPTIONS, rawDays: 30, rollupDays: 60 };
  const prune = (now: number) => {
    let n = 0;
    while (pruneStep(db, opts, now).deleted > 0) n++;
    return n;
  };
  assert.ok(prune(END) > 0);
  const ctx: QueryContext = { sql: db.sql, nowMs: END, dataVersion: db.dataVersion, lastEventMs: db.lastEventMs };
  // Raw points older than 30 days are gone: the raw query loses them, the rollup does not.
  const raw90 = productivityV9(ctx, { range: ninety(END) }, RAW_METRICS);
  const rolled90 = productivityQuery(ctx, { range: ninety(END) });
  assert.ok(raw90.totals.commits < rolled90.totals.commits, `${raw90.totals.commits} < ${rolled90.totals.commits}`);
  // Within rawDays both still agree; beyond rollupDays (60) the rollup dropped its buckets too.
  assertSame(productivityQuery(ctx, { range: { key: '7d' } }), productivityV9(ctx, { range: { key: '7d' } }, RAW_METRICS), '7d after pruning');
  for (const range of RANGES(END)) assertSame(productivityQuery(ctx, { range }), productivityV9(ctx, { range }), `after pruning ${JSON.stringify(range)}`);
  const oldest = db.sql.get<{ b: number }>('SELECT min(bucket) AS b FROM productivity_rollup')!.b;
  assert.ok(oldest * BUCKET_MS >= END - 60 * DAY - BUCKET_MS, 'rollup buckets older than rollupDays were pruned');
  const sixty = before[6].series.filter((p) => Date.parse(p.bucket) >= END - 59 * DAY).reduce((n, p) => n + p.commits, 0);
  const kept = rolled90.series.filter((p) => Date.parse(p.bucket) >= END - 59 * DAY).reduce((n, p) => n + p.commits, 0);
  assert.equal(kept, sixty, 'the last 59 days of commits are unchanged by pruning');
  db.close();
});
