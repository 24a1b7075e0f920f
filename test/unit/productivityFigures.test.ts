// Schema v10 keeps the productivity figures with their per-session rules at ingest
// (src/core/store/productivityFigures.ts); the query reads groups per first bucket x identity plus the
// sessions crossing the range's edges. Proved against the v9 query (test/support/productivityV9.ts:
// the rules applied to the rollups at every request) on the same store, for many ranges, after:
// - generated sessions whose rules flip mid-way (event lines then a lines metric; tool_decision events
//   then a decision metric; a cost metric then api_requests), records arriving out of order (a session's
//   first bucket moves earlier), identities learned late (repository, e-mail, team), sessions lasting
//   days, batches that roll back, and retention cutting sessions at the cutoff;
// - every fixture scenario with its transcripts, imported before and after the OTLP records (transcript
//   requests replaced by OTLP ones).
// Acceptance by language (edit_language_rollup, the same rule) and the summary's sessions, prompts,
// decisions and lines (productivity_buckets, rangeSessions.ts) are compared with the v9 SQL the same way.
// Also: the stored tables equal their definition (session rows = sums of the rollup, groups = sums of
// their sessions), and the migration from v9 computes the same as ingest.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ApiRequestEvent, Identity, MetricPoint, NormRecord, ToolDecisionEvent, ToolResultEvent, UserPromptEvent } from '../../src/core/otlp/records';
import type { QueryContext } from '../../src/core/queries/common';
import { productivityQuery } from '../../src/core/queries/productivity';
import { acceptanceQuery } from '../../src/core/queries/acceptance';
import { runQuery } from '../../src/core/queries/runQuery';
import { rangeBuckets } from '../../src/core/queries/common';
import { FIGURE_COLUMNS } from '../../src/core/store/productivityFigures';
import { LedgerDb } from '../../src/core/store/ledgerDb';
import { DEFAULT_RETENTION_OPTIONS } from '../../src/core/store/options';
import { pruneStep } from '../../src/core/store/retention';
import { migrate } from '../../src/core/store/schema';
import { BUCKET_MS } from '../../src/core/time/range';
import { emptyCounts } from '../../src/core/transcripts/importSummary';
import type { RangeSpec } from '../../src/protocol/dto';
import { assertSame, rng } from '../support/compare';
import { productivityQuery as productivityV9 } from '../support/productivityV9';
import { records, sqlJs } from './storeTestSupport';
import { ctxFor, parseFile, scenarios as transcriptScenarios, transcriptFiles } from './transcriptFixtures';

const DAY = 86_400_000;
const HOUR = 3_600_000;



/** Ranges around the data: the keyed ones, and custom ones whose edges fall inside sessions. */
function ranges(nowMs: number, startMs: number, rand: () => number): RangeSpec[] {
  const out: RangeSpec[] = [{ key: 'all' }, { key: 'today' }, { key: 'yesterday' }, { key: '7d' }, { key: '30d' }];
  for (let i = 0; i < 14; i++) {
    const a = startMs + rand() * (nowMs - startMs);
    const b = a + rand() * (nowMs - a) * (i % 3 === 0 ? 0.1 : 1);
    out.push({ from: new Date(a).toISOString(), to: new Date(b).toISOString() });
  }
  // Short ranges (15 minutes to 2 hours): some fall inside a long session's quiet hours (it crosses both
  // edges without activity inside: not counted).
  for (let i = 0; i < 12; i++) {
    const a = startMs + rand() * (nowMs - startMs);
    out.push({ from: new Date(a).toISOString(), to: new Date(a + (0.25 + rand() * 1.75) * HOUR).toISOString() });
  }
  return out;
}

/** The v9 acceptance query's by-language SQL, verbatim: the rule applied per rollup row. */
function languagesV9(ctx: QueryContext, range: RangeSpec): Record<string, [number, number]> {
  const r = rangeBuckets(range, ctx.nowMs);
  const rows = ctx.sql.all<{ lang: string; accepts: number; rejects: number }>(
    `SELECT ld.value AS lang, g.accepts, g.rejects
     FROM (SELECT x.language_id, sum(x.accepts) AS accepts, sum(x.rejects) AS rejects
           FROM edit_decision_rollup x JOIN sessions s ON s.id = x.session_id
           WHERE x.bucket >= ? AND x.bucket < ? AND x.from_metrics = s.has_edit_decision_metric GROUP BY x.language_id) g
     JOIN dict ld ON ld.id = g.language_id`,
    [r.b0, r.b1],
  );
  return Object.fromEntries(rows.filter((x) => x.accepts || x.rejects).map((x) => [x.lang, [x.accepts, x.rejects]]));
}

/** The v9 summary's activity SQL, verbatim: sessions with activity, prompts, decisions, lines by the rule per row. */
function summaryActivityV9(ctx: QueryContext, range: RangeSpec) {
  const r = rangeBuckets(range, ctx.nowMs);
  return ctx.sql.get<{ sessions: number; prompts: number; accepts: number; rejects: number; la: number; lr: number }>(
    `SELECT count(DISTINCT a.session_id) AS sessions, coalesce(sum(a.prompts), 0) AS prompts, coalesce(sum(a.accepts), 0) AS accepts,
       coalesce(sum(a.rejects), 0) AS rejects,
       coalesce(sum(CASE WHEN s.has_lines_metric THEN a.lines_added_metrics ELSE a.lines_added_events END), 0) AS la,
       coalesce(sum(CASE WHEN s.has_lines_metric THEN a.lines_removed_metrics ELSE a.lines_removed_events END), 0) AS lr
     FROM activity_rollup a JOIN sessions s ON s.id = a.session_id WHERE a.bucket >= ? AND a.bucket < ?`,
    [r.b0, r.b1],
  )!;
}

/** v10 against v9 for every range (productivity, acceptance by language, summary's activity); returns the v10 productivity answers. */
function compare(db: LedgerDb, nowMs: number, rs: RangeSpec[], what: string) {
  const ctx: QueryContext = { sql: db.sql, nowMs, dataVersion: db.dataVersion, lastEventMs: db.lastEventMs };
  return rs.map((range) => {
    const now = productivityQuery(ctx, { range });
    assertSame(now, productivityV9(ctx, { range }), `${what} ${JSON.stringify(range)}`);
    const byLanguage = Object.fromEntries(acceptanceQuery(ctx, { range }).byLanguage.filter((x) => x.accepts || x.rejects).map((x) => [x.key, [x.accepts, x.rejects]]));
    assertSame(byLanguage, languagesV9(ctx, range), `${what} ${JSON.stringify(range)} acceptance by language`);
    const sum = runQuery(ctx, 'summary', { range });
    const old = summaryActivityV9(ctx, range);
    assertSame({ sessions: sum.sessions, prompts: sum.prompts, accepts: sum.accepts, rejects: sum.rejects, la: sum.linesAdded, lr: sum.linesRemoved }, old, `${what} ${JSON.stringify(range)} summary`);
    return now;
  });
}

/** The stored tables equal their definitions (no drift between rollup, sessions and groups). */
function assertTablesConsistent(db: LedgerDb, what: string): void {
  const sums = FIGURE_COLUMNS.map((c) => `total(${c}) AS ${c}`).join(', ');
  const bySession = db.sql.all<Record<string, number>>(`SELECT session_id, ${sums} FROM productivity_rollup WHERE session_id <> 0 GROUP BY session_id ORDER BY session_id`);
  const stored = db.sql.all<Record<string, number>>(`SELECT session_id, ${FIGURE_COLUMNS.join(', ')} FROM session_productivity ORDER BY session_id`);
  const nonZero = bySession.filter((r) => FIGURE_COLUMNS.some((c) => Math.abs(r[c]) > 1e-9));
  for (const r of nonZero) {
    const s = stored.find((x) => x.session_id === r.session_id);
    assert.ok(s, `${what}: session ${r.session_id} has figures but no session_productivity row`);
    assertSame({ ...s }, { ...r }, `${what}: session ${r.session_id}`);
  }
  const spans = db.sql.all(`SELECT session_id, min(bucket) AS first_bucket, max(bucket) AS last_bucket FROM activity_rollup GROUP BY session_id ORDER BY session_id`);
  assert.deepEqual(db.sql.all('SELECT session_id, first_bucket, last_bucket FROM session_productivity ORDER BY session_id'), spans, `${what}: activity spans`);
  const key = 'first_bucket, repo_id, user_id, email, team';
  const groups = db.sql.all(`SELECT ${key}, count(*) AS sessions, ${sums} FROM session_productivity GROUP BY ${key} ORDER BY ${key}`);
  assertSame(db.sql.all(`SELECT ${key}, sessions, ${FIGURE_COLUMNS.join(', ')} FROM productivity_groups ORDER BY ${key}`), groups, `${what}: groups`);
  const buckets = db.sql.all(`SELECT bucket, ${sums} FROM productivity_rollup GROUP BY bucket HAVING ${FIGURE_COLUMNS.map((c) => `total(${c}) <> 0`).join(' OR ')} ORDER BY bucket`);
  assertSame(db.sql.all(`SELECT bucket, ${FIGURE_COLUMNS.join(', ')} FROM productivity_buckets WHERE ${FIGURE_COLUMNS.map((c) => `abs(${c}) > 1e-9`).join(' OR ')} ORDER BY bucket`), buckets, `${what}: buckets`);
}

// ---- generated sessions

const PEOPLE = [
  { userId: 'u-ana', userEmail: 'ana@acme.dev', teamId: 'platform' },
  { userId: 'u-ben', userEmail: 'ben@acme.dev', teamId: 'platform' },
  { userId: 'u-chloe', userEmail: undefined, teamId: 'payments' },
  { userId: 'u-dan', userEmail: undefined, teamId: undefined },
];
const REPOS = ['acme-web', 'billing-api', undefined];
const SOURCES = ['config', 'hook', 'user_permanent', 'user_temporary'];
const LANGUAGES = ['TypeScript', 'Python', 'Markdown', undefined];

function identity(sessionId: string, person: (typeof PEOPLE)[number], repo: string | undefined, withEmail: boolean): Identity {
  return {
    sessionId, userId: person.userId, userEmail: withEmail ? person.userEmail : undefined, teamId: withEmail ? person.teamId : undefined,
    repo, serviceName: 'claude-code', serviceVersion: '2.1.0', isClaudeCode: true,
  };
}

let seq = 0;
function metric(id: Identity, name: string, timeMs: number, value: number, attrs: Record<string, string> = {}): MetricPoint {
  const ns = `${BigInt(Math.round(timeMs)) * 1_000_000n + BigInt(seq++ % 1000)}`;
  return {
    ...id, kind: 'metric', name, metricKind: 'sum', temporality: 1, monotonic: true, startTimeUnixNano: ns, timeUnixNano: ns, startMs: timeMs, timeMs, value,
    attrs: { ...attrs }, modelNorm: attrs.model, seriesKey: `${name}|${id.sessionId}|${JSON.stringify(attrs)}|${id.userEmail ?? ''}|${id.teamId ?? ''}|${id.repo ?? ''}`,
  };
}
const event = (id: Identity, name: string, timeMs: number) => ({ ...id, name, timeMs, sequence: seq++, extra: {} });

/** One session's records over `hours`, in time order; its rules flip when the generator says so. */
function sessionRecords(rand: () => number, n: number, startMs: number): NormRecord[] {
  const sid = `gen-${n}`;
  const person = PEOPLE[n % PEOPLE.length];
  const repo = REPOS[Math.floor(rand() * REPOS.length)];
  const hours = rand() < 0.2 ? 24 + rand() * 60 : 0.2 + rand() * 4;
  const count = 8 + Math.floor(rand() * 30);
  // The moment each rule flips (Infinity = never): lines metric, decision metric, api_request events.
  const linesMetricAt = rand() < 0.6 ? rand() : Infinity;
  const decisionMetricAt = rand() < 0.6 ? rand() : Infinity;
  const requestsAt = rand() < 0.7 ? rand() : Infinity;
  const emailAt = rand(); // the e-mail and team come with metric series from here on
  const out: NormRecord[] = [];
  for (let i = 0; i < count; i++) {
    const f = i / count;
    const t = startMs + f * hours * HOUR + rand() * 60_000;
    const id = identity(sid, person, f > 0.3 || n % 2 ? repo : undefined, f >= emailAt);
    const kind = Math.floor(rand() * 8);
    const language = LANGUAGES[Math.floor(rand() * LANGUAGES.length)];
    const tool = { toolName: rand() < 0.8 ? 'Edit' : 'Write', toolUseId: `${sid}-t${i}`, language };
    if (kind === 0) out.push({ ...event(id, 'user_prompt', t), kind: 'userPrompt', promptLength: 10 } as UserPromptEvent);
    if (kind === 1) {
      out.push({ ...event(id, 'tool_decision', t), ...tool, kind: 'toolDecision', decision: rand() < 0.8 ? 'accept' : 'reject', source: SOURCES[Math.floor(rand() * 4)] } as ToolDecisionEvent);
      out.push({ ...event(id, 'tool_result', t + 500), ...tool, kind: 'toolResult', success: true, linesAdded: Math.floor(rand() * 40), linesRemoved: Math.floor(rand() * 9) } as ToolResultEvent);
    }
    if (kind === 2 && f >= linesMetricAt) out.push(metric(id, 'claude_code.lines_of_code.count', t, 1 + Math.floor(rand() * 30), { type: rand() < 0.7 ? 'added' : 'removed' }));
    if (kind === 3 && f >= decisionMetricAt) {
      out.push(metric(id, 'claude_code.code_edit_tool.decision', t, 1, { decision: rand() < 0.75 ? 'accept' : 'reject', source: SOURCES[Math.floor(rand() * 4)], tool_name: 'Edit', language: LANGUAGES[Math.floor(rand() * 3)]! }));
    }
    if (kind === 4 && f >= requestsAt) {
      out.push({ ...event(id, 'api_request', t), kind: 'apiRequest', requestId: `${sid}-r${i}`, model: 'claude-sonnet-4-5', modelNorm: 'claude-sonnet-4-5',
        costUsd: Math.round(rand() * 1e6) / 1e7, inputTokens: 100, outputTokens: 50, cacheReadTokens: 0, cacheCreationTokens: 0 } as ApiRequestEvent);
    }
    if (kind === 5) out.push(metric(id, 'claude_code.cost.usage', t, Math.round(rand() * 1e6) / 1e7, { model: 'claude-sonnet-4-5' }));
    if (kind === 6) out.push(metric(id, 'claude_code.active_time.total', t, rand() * 120, { type: rand() < 0.5 ? 'user' : 'cli' }));
    if (kind === 7) out.push(metric(id, rand() < 0.7 ? 'claude_code.commit.count' : 'claude_code.pull_request.count', t, 1));
  }
  return out;
}

/** Sessions over `days`, shuffled within windows (late and early records), cut into batches of 1-15 records. */
function generated(seed: number, endMs: number, days: number): NormRecord[][] {
  const rand = rng(seed);
  const all: NormRecord[] = [];
  for (let n = 0; n < 60; n++) all.push(...sessionRecords(rand, n, endMs - days * DAY + rand() * (days - 1) * DAY));
  const timeOf = (r: NormRecord) => (r.kind === 'span' ? r.startMs : r.timeMs);
  all.sort((a, b) => timeOf(a) - timeOf(b));
  // Out of order: swap records within a window of 30 (a session's later record may come first).
  for (let i = 0; i < all.length; i++) {
    const j = Math.min(all.length - 1, i + Math.floor(rand() * 30));
    [all[i], all[j]] = [all[j], all[i]];
  }
  const batches: NormRecord[][] = [];
  for (let i = 0; i < all.length; ) {
    const k = 1 + Math.floor(rand() * 15);
    batches.push(all.slice(i, i + k));
    i += k;
  }
  return batches;
}

const END = Date.parse('2026-12-01T20:00:00Z');

test('generated sessions: flips, late records, late identities, long sessions, rollbacks: v10 answers as v9 for every range', async () => {
  const db = LedgerDb.open(await sqlJs());
  const rand = rng(7);
  const rs = ranges(END, END - 20 * DAY, rand);
  const batches = generated(11, END, 20);
  let failed = 0;
  for (const [i, b] of batches.entries()) {
    if (i % 13 === 5) {
      // A batch that fails half-way rolls back: nothing of it stays, also not in the figures' pending rows.
      const broken = [...b.slice(0, Math.ceil(b.length / 2)), { kind: 'metric', bogus: true } as unknown as NormRecord];
      assert.throws(() => db.apply(broken));
      failed++;
    }
    db.apply(b);
    if (i % 25 === 24) {
      compare(db, END, rs.slice(0, 8), `after batch ${i}`);
      assertTablesConsistent(db, `after batch ${i}`);
    }
  }
  assert.ok(failed > 3, `${failed} batches rolled back`);
  const answers = compare(db, END, rs, 'at the end');
  assertTablesConsistent(db, 'at the end');
  // The data has what the rules are about (the comparison would be vacuous otherwise).
  const flags = db.sql.get<{ lines: number; decisions: number; both: number; multi: number; edges: number }>(
    `SELECT total(has_lines_metric) AS lines, total(has_edit_decision_metric) AS decisions,
       total(api_request_events > 0 AND cost_usd_metrics <> 0) AS both,
       (SELECT count(*) FROM session_productivity WHERE last_bucket - first_bucket > 96) AS multi,
       0 AS edges FROM sessions`,
  )!;
  assert.ok(flags.lines >= 10 && flags.decisions >= 10 && flags.both >= 5 && flags.multi >= 3, JSON.stringify(flags));
  const all = answers[0];
  assert.ok(all.totals.linesAdded > 0 && all.totals.editAccepts > 0 && all.totals.userEditAccepts < all.totals.editAccepts && all.totals.costUsd > 0, JSON.stringify(all.totals));
  assert.ok(all.byUser.length >= 4 && all.byRepo.length >= 3, `${all.byUser.length} users, ${all.byRepo.length} repos`);
  const ctx: QueryContext = { sql: db.sql, nowMs: END, dataVersion: db.dataVersion, lastEventMs: db.lastEventMs };
  assert.equal(Object.keys(languagesV9(ctx, { key: 'all' })).length, 3, 'three languages decided on');

  // Retention at 12 days cuts the sessions that started before it; the figures follow the rollups.
  const opts = { ...DEFAULT_RETENTION_OPTIONS, rawDays: 12, rollupDays: 12 };
  while (pruneStep(db, opts, END).deleted > 0);
  const cut = db.sql.get<{ n: number }>('SELECT count(*) AS n FROM session_productivity WHERE first_bucket < ?', [Math.floor((END - 12 * DAY) / BUCKET_MS)])!.n;
  assert.equal(cut, 0, 'no session starts before the cutoff');
  compare(db, END, rs, 'after retention');
  assertTablesConsistent(db, 'after retention');
  db.close();
});

test('the migration from v9 computes the figures ingest keeps', async () => {
  const SQL = await sqlJs();
  const db = LedgerDb.open(SQL);
  for (const b of generated(23, END, 10)) db.apply(b);
  const ingested = db.export();
  const v9 = new SQL.Database(ingested);
  // Back to v9: the v10 tables and columns dropped (what a v9 store holds), then migrated forward.
  v9.exec(`DROP TABLE session_productivity; DROP TABLE productivity_groups; DROP TABLE productivity_buckets; DROP TABLE edit_language_rollup;
    ${FIGURE_COLUMNS.slice(4).map((c) => `ALTER TABLE productivity_rollup DROP COLUMN ${c};`).join('\n')}
    UPDATE meta SET value = 9 WHERE key = 'schema_version';`);
  assert.deepEqual(migrate(v9), { from: 9, to: 10 });
  const migrated = LedgerDb.open(SQL, v9.export());
  v9.close();
  const rs = ranges(END, END - 10 * DAY, rng(3));
  const ctx = (d: LedgerDb): QueryContext => ({ sql: d.sql, nowMs: END, dataVersion: d.dataVersion, lastEventMs: d.lastEventMs });
  for (const range of rs) assertSame(productivityQuery(ctx(migrated), { range }), productivityQuery(ctx(db), { range }), `migrated ${JSON.stringify(range)}`);
  assertTablesConsistent(migrated, 'migrated');
  migrated.close();
  db.close();
});

test('fixtures with their transcripts, imported before and after OTLP: v10 answers as v9', async () => {
  for (const order of ['transcripts first', 'otlp first'] as const) {
    const db = LedgerDb.open(await sqlJs());
    const importAll = () => {
      for (const sc of transcriptScenarios) {
        for (const f of transcriptFiles(sc)) {
          const { items } = parseFile(f);
          db.applyTranscript(items, { path: f, ino: 1, size: 1, projectDir: ctxFor(f).projectDir, mtimeMs: 0 }, { offset: 1, skipping: false, lines: items.length }, emptyCounts());
        }
      }
    };
    const transcriptRows = () => db.sql.get<{ n: number }>(`SELECT count(*) AS n FROM api_requests WHERE source = 1`)!.n;
    if (order === 'transcripts first') {
      importAll();
      assert.ok(transcriptRows() > 0, 'the transcripts were imported (their requests, replaced by OTLP below)');
    }
    let now = 0;
    for (const sc of transcriptScenarios) {
      for (const b of records(sc)) {
        db.apply(b);
        for (const r of b) now = Math.max(now, r.kind === 'span' ? r.endMs : r.timeMs);
      }
    }
    if (order === 'otlp first') importAll();
    const tools = db.sql.get<{ n: number }>(`SELECT count(*) AS n FROM tool_calls WHERE source = 1`)!.n;
    assert.ok(order === 'otlp first' || tools > 0, `${order}: tool uses known from transcripts first (${tools})`);
    const answers = compare(db, now + HOUR, ranges(now + HOUR, now - 2 * DAY, rng(5)), order);
    assert.ok(answers[0].totals.sessions > 5 && answers[0].totals.costUsd > 0, JSON.stringify(answers[0].totals));
    assertTablesConsistent(db, order);
    db.close();
  }
});
