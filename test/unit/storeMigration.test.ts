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
