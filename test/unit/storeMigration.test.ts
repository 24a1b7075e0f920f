// Schema v2 -> v3 (readable column names, edit_decision_rollup): a database written by the v2 code
// (test/fixtures/store/schema-v2.db, see its README) is migrated forward and must answer every named
// query exactly as a fresh v3 store that ingested the same payloads. Also through DurableStore, as an
// existing data directory.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import type { QueryMethods, QueryName } from '../../src/protocol/dto';
import { rowsPage } from '../../src/core/queries/rows';
import { EXPORT_DATASETS } from '../../src/protocol/dto';
import { runQuery } from '../../src/core/queries/runQuery';
import { DurableStore, FILES } from '../../src/core/store/durableStore';
import { LedgerDb } from '../../src/core/store/ledgerDb';
import { migrate, SCHEMA_VERSION, TABLE_MEANINGS, V3_RENAMES } from '../../src/core/store/schema';
import type { StatementCache } from '../../src/core/store/statementCache';
import { nowOf, records, ROOT, scenarios, sqlJs } from './storeTestSupport';

const V2_DB = path.join(ROOT, 'test/fixtures/store/schema-v2.db');
const ALL = { key: 'all' } as const;

function allRecords() {
  return scenarios().flatMap((sc) => records(sc));
}

/** Every named query with the parameter variants the UI, CSV and MCP use. */
function calls(sessionIds: string[]): { [M in QueryName]: QueryMethods[M]['params'][] } {
  const ranges = [ALL, { key: 'today' as const }, { key: '7d' as const }];
  return {
    summary: [...ranges.map((range) => ({ range })), ...(['model', 'day', 'session', 'repo', 'user', 'querySource'] as const).map((groupBy) => ({ range: ALL, groupBy }))],
    costSeries: [{ range: ALL, bucket: 'hour' }, { range: ALL, bucket: 'day' }],
    sessions: (['start', 'cost', 'requests', 'duration'] as const).map((sort) => ({ range: ALL, sort, limit: 500 })),
    sessionTimeline: [{ sessionId: 'current' }, ...sessionIds.map((sessionId) => ({ sessionId }))],
    filesEdited: [{ range: ALL }],
    acceptance: ranges.map((range) => ({ range })),
    toolStats: [{ range: ALL }],
    apiErrors: [{ range: ALL }],
    burnRate: [{ dailyBudgetUsd: 1, monthlyBudgetUsd: 10 }],
    status: [{}],
    prices: [{}, { model: 'opus' }],
    planLimits: [{}],
    activityBlocks: [{ range: ALL }, { range: { key: '7d' as const } }],
    productivity: ranges.map((range) => ({ range })),
  };
}

/**
 * The team of a metric series is kept since the productivity query (metric_series.attrs `team.id`,
 * written at ingest, no migration): a database written before it has no team, so teams are left out
 * of the comparison; every other figure of the productivity answer must match.
 */
function comparable(answer: unknown): unknown {
  const a = answer as { byUser?: { team: string | null }[] };
  return Array.isArray(a.byUser) ? { ...a, byUser: a.byUser.map((u) => ({ ...u, team: null })) } : answer;
}

function sameAnswers(a: StatementCache, b: StatementCache, ctxOf: (sql: StatementCache) => Parameters<typeof runQuery>[0]) {
  const ids = runQuery(ctxOf(a), 'sessions', { range: ALL, limit: 500 }).sessions.map((s) => s.sessionId);
  assert.ok(ids.length >= 9, 'the fixture holds every scenario session');
  let n = 0;
  for (const [method, list] of Object.entries(calls(ids)) as [QueryName, never[]][]) {
    for (const params of list) {
      assert.deepEqual(comparable(runQuery(ctxOf(a), method, params)), comparable(runQuery(ctxOf(b), method, params)), `${method} ${JSON.stringify(params)}`);
      n++;
    }
  }
  for (const ds of EXPORT_DATASETS) assert.deepEqual(rowsPage(ctxOf(a), ds, ALL, 10_000), rowsPage(ctxOf(b), ds, ALL, 10_000), ds);
  return n;
}

function columnsOf(sql: StatementCache): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const { name } of sql.all<{ name: string }>(`SELECT name FROM sqlite_master WHERE type IN ('table', 'view') AND name NOT LIKE 'sqlite_%' ORDER BY name`)) {
    out[name] = sql.all<{ name: string; type: string; pk: number }>('SELECT name, type, pk FROM pragma_table_info(?)', [name]).map((c) => `${c.name} ${c.type} ${c.pk}`);
  }
  return out;
}

test('a schema v2 database migrates to v3 and every named query answers as a fresh v3 store', async () => {
  const SQL = await sqlJs();
  const recs = allRecords();
  const old = LedgerDb.open(SQL, readFileSync(V2_DB));
  assert.equal(old.migratedFrom, 2);
  const fresh = LedgerDb.open(SQL);
  for (const b of recs) fresh.apply(b);
  assert.equal(fresh.dataVersion, old.dataVersion, 'same number of batches as the fixture');
  assert.equal(fresh.lastEventMs, old.lastEventMs);

  assert.deepEqual(columnsOf(old.sql), columnsOf(fresh.sql), 'same tables, views, columns and keys');
  for (const [table, renames] of Object.entries(V3_RENAMES)) {
    const cols = old.sql.all<{ name: string }>('SELECT name FROM pragma_table_info(?)', [table]).map((c) => c.name);
    for (const [from, to] of renames) {
      assert.ok(!cols.includes(from), `${table}.${from} is gone`);
      assert.ok(cols.includes(to), `${table}.${to} exists`);
    }
  }
  assert.ok(!('eff_usage' in columnsOf(old.sql)));
  for (const name of Object.keys(columnsOf(fresh.sql))) assert.ok(TABLE_MEANINGS[name], `${name} has a meaning for describe_schema`);

  const now = nowOf(recs);
  const ctxOf = (sql: StatementCache) => ({ sql, nowMs: now, dataVersion: fresh.dataVersion, lastEventMs: fresh.lastEventMs });
  const n = sameAnswers(old.sql, fresh.sql, ctxOf);
  assert.ok(n > 30);
  // The backfill from v2's raw metric points: acceptance by language is no longer empty.
  const byLang = runQuery(ctxOf(old.sql), 'acceptance', { range: ALL }).byLanguage;
  assert.ok(byLang.length > 0 && byLang.every((l) => l.accepts + l.rejects > 0), JSON.stringify(byLang));
  // The migrated database keeps working: a replayed payload is still a duplicate, new data counts.
  const again = old.apply(recs[0]);
  assert.equal(again.applied, 0, 'idempotency keys survived the renames');
  old.close();
  fresh.close();
});

test('a v1 database goes through v2 and v3 in one transaction', async () => {
  const SQL = await sqlJs();
  const raw = new SQL.Database();
  migrate(raw, 1);
  raw.run(`INSERT INTO dict (id, value) VALUES (1, 'sess-1'), (2, 'claude-opus-4-8')`);
  raw.run(`INSERT INTO sessions (id, first_ms, last_ms, api_events, cost_ev, in_ev) VALUES (1, 1000, 2000, 1, 0.5, 7)`);
  assert.deepEqual(migrate(raw), { from: 1, to: SCHEMA_VERSION });
  const r = raw.exec('SELECT api_request_events, cost_usd_events, input_tokens_events, has_edit_decision_metric FROM sessions')[0].values[0];
  assert.deepEqual(r, [1, 0.5, 7, 0]);
  raw.close();
});

test('an existing v2 data directory migrates forward through DurableStore', async () => {
  const SQL = await sqlJs();
  const recs = allRecords();
  const now = nowOf(recs);
  const dir = mkdtempSync(path.join(tmpdir(), 'ledger-migrate-'));
  writeFileSync(path.join(dir, FILES.db), readFileSync(V2_DB));
  const logs: string[] = [];
  const s = await DurableStore.open(SQL, { dataDir: dir, log: (l, m) => logs.push(`${l} ${m}`), now: () => now });
  assert.match(logs.join('\n'), new RegExp(`migrated the database from schema 2 to ${SCHEMA_VERSION}`));
  const fresh = LedgerDb.open(SQL);
  for (const b of recs) fresh.apply(b);
  const ctx = { sql: fresh.sql, nowMs: now, dataVersion: fresh.dataVersion, lastEventMs: fresh.lastEventMs };
  for (const m of ['summary', 'acceptance', 'filesEdited', 'toolStats', 'apiErrors'] as const) {
    assert.deepEqual(s.query(m, { range: ALL }), runQuery(ctx, m, { range: ALL }), m);
  }
  const names = s.describeSchema().tables.flatMap((t) => t.columns.map((c) => `${t.name}.${c.name}`));
  for (const cryptic of ['sessions.cr_ev', 'sessions.cc_m', 'api_requests.qs_id', 'tool_hist.hb', 'usage_rollup.src', 'api_requests.dkey']) {
    assert.ok(!names.includes(cryptic), cryptic);
  }
  s.close();
  const reopened = LedgerDb.open(SQL, readFileSync(path.join(dir, FILES.db)));
  assert.equal(reopened.migratedFrom, SCHEMA_VERSION, 'the snapshot was written at the new version');
  reopened.close();
  fresh.close();
});

const V7_DB = path.join(ROOT, 'test/fixtures/store/schema-v7.db');

test('a schema v7 database (written by the v7 code) migrates to v8: same answers, same metric points, idempotency kept', async () => {
  const SQL = await sqlJs();
  const recs = allRecords();
  const v7 = new SQL.Database(readFileSync(V7_DB));
  const v7Points = v7.exec('SELECT series_id, start_ns, time_ns, time_ms, value, delta, temporality FROM metric_points ORDER BY series_id, start_ns, time_ns')[0].values;
  v7.close();
  assert.ok(v7Points.length > 50, 'the fixture holds metric points');
  const old = LedgerDb.open(SQL, readFileSync(V7_DB));
  assert.equal(old.migratedFrom, 7);
  const fresh = LedgerDb.open(SQL);
  for (const b of recs) fresh.apply(b);
  assert.deepEqual(columnsOf(old.sql), columnsOf(fresh.sql), 'same tables, views, columns and keys');
  const indexes = (sql: StatementCache) => sql.all<{ name: string; sql: string | null }>(`SELECT name, sql FROM sqlite_master WHERE type = 'index' ORDER BY name`);
  assert.deepEqual(indexes(old.sql), indexes(fresh.sql), 'same indexes');
  const now = nowOf(recs);
  const ctxOf = (sql: StatementCache) => ({ sql, nowMs: now, dataVersion: fresh.dataVersion, lastEventMs: fresh.lastEventMs });
  assert.ok(sameAnswers(old.sql, fresh.sql, ctxOf) > 30);
  // Every point kept, the nanosecond times exact (integers now; compared as decimal strings).
  const points = (sql: StatementCache) =>
    sql.all<Record<string, unknown>>(
      'SELECT series_id, CAST(start_ns AS TEXT) AS start_ns, CAST(time_ns AS TEXT) AS time_ns, typeof(time_ns) AS t, time_ms, value, delta, temporality FROM metric_points ORDER BY series_id, start_ns, time_ns',
    );
  const migrated = points(old.sql);
  assert.deepEqual(migrated, points(fresh.sql));
  assert.deepEqual(
    migrated.map((p) => [p.series_id, p.start_ns, p.time_ns, p.time_ms, p.value, p.delta, p.temporality]),
    v7Points,
    'the v7 rows, unchanged',
  );
  assert.ok(migrated.every((p) => p.t === 'integer'));
  // Replaying every payload into the migrated store adds nothing (the new key still deduplicates).
  for (const b of recs) assert.equal(old.apply(b).applied, 0);
  old.close();
  fresh.close();
});

test('an existing v7 data directory migrates forward through DurableStore and reopens at the new version', async () => {
  const SQL = await sqlJs();
  const dir = mkdtempSync(path.join(tmpdir(), 'ledger-migrate7-'));
  writeFileSync(path.join(dir, FILES.db), readFileSync(V7_DB));
  const logs: string[] = [];
  const recs = allRecords();
  const s = await DurableStore.open(SQL, { dataDir: dir, log: (l, m) => logs.push(`${l} ${m}`), now: () => nowOf(recs) });
  assert.match(logs.join('\n'), new RegExp(`migrated the database from schema 7 to ${SCHEMA_VERSION}`));
  const before = s.query('summary', { range: ALL });
  s.close();
  const reopened = LedgerDb.open(SQL, readFileSync(path.join(dir, FILES.db)));
  assert.equal(reopened.migratedFrom, SCHEMA_VERSION, 'the snapshot was written at the new version');
  const after = runQuery({ sql: reopened.sql, nowMs: nowOf(recs), dataVersion: reopened.dataVersion, lastEventMs: reopened.lastEventMs }, 'summary', { range: ALL });
  assert.deepEqual(after, before);
  reopened.close();
});

/**
 * A fixture database written by an older version, opened (migrated) beside a fresh store that ingested the
 * same payloads: same tables, columns, keys and indexes. `finish` checks every named query and export
 * dataset answer alike and a replay adds nothing, then closes both.
 */
async function migratedBesideFresh(file: string, version: number) {
  const SQL = await sqlJs();
  const recs = allRecords();
  const old = LedgerDb.open(SQL, readFileSync(file));
  assert.equal(old.migratedFrom, version);
  const fresh = LedgerDb.open(SQL);
  for (const b of recs) fresh.apply(b);
  assert.deepEqual(columnsOf(old.sql), columnsOf(fresh.sql), 'same tables, views, columns and keys');
  const indexes = (sql: StatementCache) => sql.all<{ name: string; sql: string | null }>(`SELECT name, sql FROM sqlite_master WHERE type = 'index' ORDER BY name`);
  assert.deepEqual(indexes(old.sql), indexes(fresh.sql), 'same indexes');
  const finish = () => {
    const now = nowOf(recs);
    const ctxOf = (sql: StatementCache) => ({ sql, nowMs: now, dataVersion: fresh.dataVersion, lastEventMs: fresh.lastEventMs });
    assert.ok(sameAnswers(old.sql, fresh.sql, ctxOf) > 30);
    for (const b of recs) assert.equal(old.apply(b).applied, 0);
    old.close();
    fresh.close();
  };
  return { old, fresh, finish, indexes };
}

const V8_DB = path.join(ROOT, 'test/fixtures/store/schema-v8.db');

test('a schema v8 database (written by the v8 code) migrates to v9: backfilled productivity rollup and identities, same answers, same indexes', async () => {
  const { old, fresh, finish, indexes } = await migratedBesideFresh(V8_DB, 8);
  assert.ok(indexes(old.sql).some((i) => i.name === 'api_requests_hour') && !indexes(old.sql).some((i) => i.name === 'api_requests_time'));
  // The backfill from the v8 metric points and series equals what apply maintains on a fresh store.
  const rollup = (sql: StatementCache) => sql.all<Record<string, number>>('SELECT * FROM productivity_rollup ORDER BY bucket, session_id');
  const migrated = rollup(old.sql);
  assert.ok(migrated.length > 5 && migrated.some((r) => r.active_seconds_cli > 0), 'the fixture has active time');
  assert.equal(migrated.length, rollup(fresh.sql).length);
  migrated.forEach((r, i) => {
    const f = rollup(fresh.sql)[i];
    for (const k of Object.keys(f)) assert.ok(Math.abs(r[k] - f[k]) <= 1e-9 * Math.abs(f[k]), `${k}: ${r[k]} vs ${f[k]}`);
  });
  const identity = (sql: StatementCache) => sql.all('SELECT * FROM session_identity ORDER BY session_id');
  assert.deepEqual(identity(old.sql), identity(fresh.sql));
  finish();
});

const V9_DB = path.join(ROOT, 'test/fixtures/store/schema-v9.db');

test('a schema v9 database (written by the v9 code) migrates to v10: backfilled productivity figures, sessions, groups and decisions by language, same answers', async () => {
  const { old, fresh, finish, indexes } = await migratedBesideFresh(V9_DB, 9);
  assert.ok(['session_productivity_span', 'session_productivity_first'].every((n) => indexes(old.sql).some((i) => i.name === n)), 'the v10 indexes');
  // The backfill (the v9 query's rules over the v9 rollups) equals what ingest maintains on a fresh store.
  const tables = {
    productivity_rollup: 'bucket, session_id',
    productivity_buckets: 'bucket',
    session_productivity: 'session_id',
    productivity_groups: 'first_bucket, repo_id, user_id, email, team',
    edit_language_rollup: 'bucket, language_id',
  };
  for (const [table, order] of Object.entries(tables)) {
    const rows = (sql: StatementCache) => sql.all<Record<string, number | string>>(`SELECT * FROM ${table} ORDER BY ${order}`);
    const migrated = rows(old.sql);
    const expected = rows(fresh.sql).filter((r) => (table !== 'productivity_buckets' && table !== 'edit_language_rollup') || Object.entries(r).some(([k, v]) => k !== 'bucket' && v !== 0));
    assert.equal(migrated.length, expected.length, `${table}: rows`);
    assert.ok(migrated.length > 0, `${table}: the fixture fills it`);
    migrated.forEach((r, i) => {
      for (const [k, v] of Object.entries(expected[i])) {
        if (typeof v === 'number') assert.ok(Math.abs(Number(r[k]) - v) <= 1e-9 * Math.max(1, Math.abs(v)), `${table}.${k}: ${r[k]} vs ${v}`);
        else assert.equal(r[k], v, `${table}.${k}`);
      }
    });
  }
  assert.ok(old.sql.get<{ n: number }>('SELECT count(*) AS n FROM productivity_rollup WHERE lines_added <> 0 AND edit_accepts <> 0 AND cost_usd <> 0')!.n > 0, 'lines, decisions and cost backfilled');
  finish();
});
