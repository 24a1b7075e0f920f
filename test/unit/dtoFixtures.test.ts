// The webview's fixture DTOs (test/fixtures/dto/*.json, served by test/webview/fakeHost.ts and read by
// webviewModel.test.ts) are hand-shaped for the screenshots (a week of several sessions); this test
// holds them to the real query output: every fixture has exactly the fields, at every depth, that
// the named query returns on real Claude Code payloads (all fixture scenarios ingested into a real
// LedgerDb), with the same kinds of values. A renamed, added or dropped DTO field fails here instead
// of leaving the browser test green on a shape production no longer sends.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import type { QueryMethods, QueryName } from '../../src/protocol/dto';
import { runQuery } from '../../src/core/queries/runQuery';
import { LedgerDb } from '../../src/core/store/ledgerDb';
import type { Fixtures } from '../support/dtoFixtures';
import { nowOf, records, scenarios, sqlJs } from './storeTestSupport';

const DTO_DIR = join(__dirname, '../fixtures/dto');
const load = <K extends keyof Fixtures>(name: K): unknown => JSON.parse(readFileSync(join(DTO_DIR, `${name}.json`), 'utf8'));

type Kind = 'number' | 'string' | 'boolean' | 'null' | 'array' | 'object';
const kindOf = (v: unknown): Kind => (v === null ? 'null' : Array.isArray(v) ? 'array' : (typeof v as Kind));

/**
 * Field paths with the kinds of value seen there; array elements are merged under `[]`. Objects whose
 * keys are data (maps keyed by model, session id, ...) are named here so their keys are not fields.
 */
function shape(v: unknown, path = '$', out = new Map<string, Set<Kind>>(), dataKeyed: RegExp[] = []): Map<string, Set<Kind>> {
  const k = kindOf(v);
  if (!out.has(path)) out.set(path, new Set());
  out.get(path)!.add(k);
  if (k === 'array') for (const e of v as unknown[]) shape(e, `${path}[]`, out, dataKeyed);
  if (k === 'object') {
    const keyed = dataKeyed.some((re) => re.test(path));
    for (const [key, val] of Object.entries(v as Record<string, unknown>)) shape(val, keyed ? `${path}.*` : `${path}.${key}`, out, dataKeyed);
  }
  return out;
}

/** Same field paths; value kinds agree where both sides have a non-null value (nullable fields may be null on either side). */
function assertSameShape(name: string, fixture: unknown, real: unknown, dataKeyed: RegExp[] = []): void {
  const f = shape(fixture, '$', new Map(), dataKeyed);
  const r = shape(real, '$', new Map(), dataKeyed);
  // Paths below an array that is empty on one side cannot be compared; every other path must exist on both.
  const comparable = (p: string, other: Map<string, Set<Kind>>) => {
    const arrays = [...p.matchAll(/\[\]/g)].map((m) => p.slice(0, m.index));
    return arrays.every((a) => other.has(`${a}[]`));
  };
  const missing = [...r.keys()].filter((p) => !f.has(p) && comparable(p, f));
  const extra = [...f.keys()].filter((p) => !r.has(p) && comparable(p, r));
  assert.deepEqual({ missing, extra }, { missing: [], extra: [] }, `${name}: fixture fields differ from the real query output`);
  for (const [p, kinds] of f) {
    const real = r.get(p);
    if (!real) continue;
    const a = [...kinds].filter((x) => x !== 'null');
    const b = [...real].filter((x) => x !== 'null');
    if (a.length && b.length) assert.ok(a.some((x) => b.includes(x)), `${name} ${p}: fixture has ${a.join('|')}, real output ${b.join('|')}`);
  }
}

test('fixture DTOs have the shape of the real query output on the real fixture payloads', async () => {
  const db = LedgerDb.open(await sqlJs());
  const all = scenarios().flatMap((sc) => records(sc));
  for (const batch of all) db.apply(batch);
  const ctx = { sql: db.sql, nowMs: nowOf(all), dataVersion: db.dataVersion, lastEventMs: db.lastEventMs };
  const q = <M extends QueryName>(m: M, p: QueryMethods[M]['params']) => runQuery(ctx, m, p);
  const range = { key: 'all' } as const;
  try {
    assertSameShape('summary', load('summary'), q('summary', { range }));
    assertSameShape('summaryToday', load('summaryToday'), q('summary', { range: { key: 'today' } }));
    assertSameShape('costSeries', load('costSeries'), q('costSeries', { range, bucket: 'day' }));
    assertSameShape('sessions', load('sessions'), q('sessions', { range }));
    assertSameShape('filesEdited', load('filesEdited'), q('filesEdited', { range }));
    assertSameShape('acceptance', load('acceptance'), q('acceptance', { range }));
    assertSameShape('toolStats', load('toolStats'), q('toolStats', { range }));
    assertSameShape('apiErrors', load('apiErrors'), q('apiErrors', { range }));
    assertSameShape('burnRate', load('burnRate'), q('burnRate', { dailyBudgetUsd: 10, monthlyBudgetUsd: 100 }));
    assertSameShape('status', load('status'), q('status', {}));
    const timelines = load('sessionTimelines') as Record<string, unknown>;
    const ids = q('sessions', { range, limit: 50 }).sessions.map((s) => s.sessionId);
    assert.ok(Object.keys(timelines).length > 0 && ids.length > 0);
    for (const [id, t] of Object.entries(timelines)) {
      // Each fixture timeline against a real one (its own session when the payloads have it).
      assertSameShape(`sessionTimelines.${id}`, t, q('sessionTimeline', { sessionId: ids.includes(id) ? id : ids[0]! }));
    }
  } finally {
    db.close();
  }
});
