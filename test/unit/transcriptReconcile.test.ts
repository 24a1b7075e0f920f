// Reconciliation rules of the transcript import, on a real LedgerDb (sql.js), proved with numbers read
// back through the store's own queries (summary, sessions, filesEdited, toolStats) and v_api_requests:
// - content-block lines of one response are one request (every fixture: requests, tokens = ground truth,
//   and the bundled table's estimate of each request = Claude Code's own cost_usd within 1e-6);
// - streaming snapshots: the larger usage is kept whichever order, also across two applyTranscript calls;
// - a replay of a message under a new request id (another file) counts once, in both orders;
// - a replay imported before its original, whose request id OTLP already knows, is retracted when the
//   original line arrives;
// - an OTLP api_request after its transcript row replaces it (exact cost, same request and session
//   counts, the session's metric usage retracted once);
// - prompts joined by prompt id and tool uses by tool_use_id with OTLP, in both orders;
// - prices learned from OTLP observations of a model no table knows price transcript-only requests
//   (price_source learned, Claude Code's cost to 1e-9); before enough observations: unpriced, flagged.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import type { ApiRequestEvent, NormRecord } from '../../src/core/otlp/records';
import { priceTranscriptRequest } from '../../src/core/pricing/priceRequest';
import { runQuery } from '../../src/core/queries/runQuery';
import { LedgerDb } from '../../src/core/store/ledgerDb';
import { emptyCounts, type ImportCounts } from '../../src/core/transcripts/importSummary';
import { parseTranscriptLine } from '../../src/core/transcripts/parse';
import type { TranscriptItem, TranscriptRequest } from '../../src/core/transcripts/transcriptRecords';
import type { QueryMethods, QueryName } from '../../src/protocol/dto';
import { groundTruth, records, sqlJs } from './storeTestSupport';
import { ctxFor, parseFile, scenarios, transcriptFiles } from './transcriptFixtures';

const NOW = Date.UTC(2027, 0, 1); // after every fixture and crafted timestamp: range 'all' covers them
const ALL = { key: 'all' } as const;
const PROJECT = '-home-dev-projects-acme-web';

const open = async () => LedgerDb.open(await sqlJs());

function q<M extends QueryName>(db: LedgerDb, m: M, p: QueryMethods[M]['params']): QueryMethods[M]['result'] {
  return runQuery({ sql: db.sql, nowMs: NOW, dataVersion: db.dataVersion, lastEventMs: db.lastEventMs }, m, p);
}
const summary = (db: LedgerDb) => q(db, 'summary', { range: ALL });
const sessionRow = (db: LedgerDb, id: string) => q(db, 'sessions', { range: ALL, limit: 500 }).sessions.find((s) => s.sessionId === id);

/** Imports items as one chunk of `path` (one applyTranscript call = one transaction). */
function imp(db: LedgerDb, items: readonly TranscriptItem[], path = `/t/${PROJECT}/file.jsonl`): ImportCounts {
  const counts = emptyCounts();
  db.applyTranscript(items, { path, ino: 1, size: 0, projectDir: PROJECT, mtimeMs: NOW - 1000 }, { offset: 0, skipping: false, lines: items.length }, counts);
  return counts;
}

function parse(text: string, file = `/t/${PROJECT}/crafted.jsonl`): TranscriptItem[] {
  const r = parseTranscriptLine(text, ctxFor(file));
  assert.ok(Array.isArray(r), `crafted line parses: ${JSON.stringify(r)}`);
  return r;
}

interface AsstLine {
  sessionId: string;
  requestId?: string;
  messageId: string;
  output: number;
  input?: number;
  cacheRead?: number;
  cacheCreation?: number;
  model?: string;
  ts?: string;
  content?: unknown[];
}
/** An assistant line shaped like Claude Code 2.1.197 writes them (fixture b), with our numbers. */
function asst(a: AsstLine): string {
  return JSON.stringify({
    parentUuid: null, isSidechain: false, type: 'assistant', uuid: `u-${a.messageId}-${a.output}`, timestamp: a.ts ?? '2026-11-22T10:00:00.000Z',
    sessionId: a.sessionId, requestId: a.requestId, cwd: '/home/dev/projects/acme-web', version: '2.1.197', gitBranch: 'main', entrypoint: 'cli',
    message: {
      id: a.messageId, type: 'message', role: 'assistant', model: a.model ?? 'claude-opus-4-8', content: a.content ?? [{ type: 'text', text: 'x' }],
      usage: {
        input_tokens: a.input ?? 100, output_tokens: a.output, cache_read_input_tokens: a.cacheRead ?? 0, cache_creation_input_tokens: a.cacheCreation ?? 0,
        cache_creation: { ephemeral_5m_input_tokens: a.cacheCreation ?? 0, ephemeral_1h_input_tokens: 0 }, service_tier: 'standard', inference_geo: '',
        server_tool_use: { web_search_requests: 0, web_fetch_requests: 0 },
      },
    },
  });
}

/** All items of a fixture's transcripts, file by file in name order. */
const fixtureItems = (s: string) => transcriptFiles(s).flatMap((f) => parseFile(f).items);
const allRecords = (s: string): NormRecord[] => records(s).flat();
const logRecords = (s: string) => allRecords(s).filter((r) => r.kind !== 'metric' && r.kind !== 'span');
const apiRequests = (s: string) => allRecords(s).filter((r): r is ApiRequestEvent => r.kind === 'apiRequest');

interface ApiRow {
  request_id: string | null;
  session_id: string;
  model: string;
  cost_usd: number;
  source: string;
  price_source: string;
  input_tokens: number;
  output_tokens: number;
  cache_read_tokens: number;
  cache_creation_tokens: number;
}
const apiRows = (db: LedgerDb) => db.sql.all<ApiRow>('SELECT * FROM v_api_requests ORDER BY time_ms, request_id');

function tokensOfTruth(s: string) {
  const t = groundTruth(s).api_requests.tokens;
  return { input: t.input, output: t.output, cacheRead: t.cache_read, cacheCreation: t.cache_creation };
}

// ---- content-block lines, the bundled table ----

for (const s of scenarios) {
  test(`${s}: content-block lines are one request each; the table's estimate of every request is Claude Code's cost_usd (1e-6)`, async () => {
    const g = groundTruth(s);
    const items = fixtureItems(s);
    const lines = items.filter((i) => i.kind === 'request').length;
    const db = await open();
    const c = imp(db, items);
    assert.equal(c.requestsAdded, g.api_requests.count, 'one request per request id');
    assert.equal(c.requestsAdded + c.duplicates + c.updated, lines, 'every request line is accounted for');
    const sum = summary(db);
    assert.equal(sum.requests, g.api_requests.count);
    assert.deepEqual(sum.tokens, tokensOfTruth(s));
    assert.ok(Math.abs(sum.costUsd - g.api_requests.cost_usd) < 1e-6, `${sum.costUsd} vs ${g.api_requests.cost_usd}`);
    assert.equal(sum.costSource, 'estimated');
    assert.deepEqual(sum.unpricedModels, []);
    const otlp = new Map(apiRequests(s).map((r) => [r.requestId!, r]));
    const rows = apiRows(db);
    assert.equal(rows.length, otlp.size);
    for (const r of rows) {
      const o = otlp.get(r.request_id!);
      assert.ok(o, `${r.request_id} is an OTLP request of the same run`);
      assert.equal(r.source, 'transcript');
      assert.equal(r.price_source, 'table');
      assert.deepEqual([r.input_tokens, r.output_tokens, r.cache_read_tokens, r.cache_creation_tokens],
        [o.inputTokens, o.outputTokens, o.cacheReadTokens, o.cacheCreationTokens], r.request_id!);
      assert.ok(Math.abs(r.cost_usd - o.costUsd!) < 1e-6, `${r.request_id}: ${r.cost_usd} vs ${o.costUsd}`);
    }
    // Each session's request count from the sessions query too.
    for (const [id, per] of Object.entries(g.sessions.per_session)) assert.equal(sessionRow(db, id)?.requests, per.api_requests, id);

    // Line by line (one transaction per line) gives the same; importing everything again adds nothing.
    const db2 = await open();
    for (const it of items) imp(db2, [it]);
    assert.deepEqual(summary(db2), sum);
    const again = imp(db2, items);
    assert.equal(again.requestsAdded + again.updated, 0);
    assert.deepEqual(summary(db2), sum);
    db.close();
    db2.close();
  });
}

// ---- streaming snapshots ----

test('a streaming snapshot with a placeholder output_tokens then the real one: the larger is kept, in either order, one call or two', async () => {
  const placeholder = asst({ sessionId: 'sess-stream', requestId: 'req_stream', messageId: 'msg_stream', output: 1, input: 100 });
  const real = asst({ sessionId: 'sess-stream', requestId: 'req_stream', messageId: 'msg_stream', output: 300, input: 100 });
  const realItems = parse(real);
  const want = priceTranscriptRequest('claude-opus-4-8', (realItems.find((i) => i.kind === 'request') as TranscriptRequest).usage, {}).costUsd!;
  assert.ok(Math.abs(want - (100 * 5 + 300 * 25) / 1e6) < 1e-15, 'claude-opus-4-8 at 5 / 25 per MTok');
  const orders: { name: string; chunks: string[][]; outcome: Partial<ImportCounts> }[] = [
    { name: 'placeholder then real, one call', chunks: [[placeholder, real]], outcome: { requestsAdded: 1, updated: 1, duplicates: 0 } },
    { name: 'real then placeholder, one call', chunks: [[real, placeholder]], outcome: { requestsAdded: 1, updated: 0, duplicates: 1 } },
    { name: 'placeholder then real, two calls', chunks: [[placeholder], [real]], outcome: { requestsAdded: 1, updated: 1, duplicates: 0 } },
    { name: 'real then placeholder, two calls', chunks: [[real], [placeholder]], outcome: { requestsAdded: 1, updated: 0, duplicates: 1 } },
  ];
  for (const o of orders) {
    const db = await open();
    const total = emptyCounts();
    for (const ch of o.chunks) {
      const c = imp(db, ch.flatMap((l) => parse(l)));
      total.requestsAdded += c.requestsAdded;
      total.updated += c.updated;
      total.duplicates += c.duplicates;
    }
    assert.deepEqual({ requestsAdded: total.requestsAdded, updated: total.updated, duplicates: total.duplicates }, o.outcome, o.name);
    const s = summary(db);
    assert.equal(s.requests, 1, o.name);
    assert.deepEqual(s.tokens, { input: 100, output: 300, cacheRead: 0, cacheCreation: 0 }, o.name);
    assert.ok(Math.abs(s.costUsd - want) < 1e-12, `${o.name}: ${s.costUsd}`);
    const row = sessionRow(db, 'sess-stream')!;
    assert.equal(row.requests, 1, o.name);
    assert.equal(row.tokens.output, 300, o.name);
    assert.equal(apiRows(db).length, 1);
    db.close();
  }
});

// ---- replays under a new request id ----

/** Fixture b's assistant lines as another session's file would carry them: new request ids, same message ids. */
function replayOf(s: string, sessionId: string, tag = 'replay'): { items: TranscriptItem[]; path: string } {
  const path = `/t/${PROJECT}/${sessionId}.jsonl`;
  const items: TranscriptItem[] = [];
  for (const f of transcriptFiles(s)) {
    for (const l of readFileSync(f, 'utf8').split('\n')) {
      if (!l.includes('"type":"assistant"')) continue;
      const o = JSON.parse(l);
      o.sessionId = sessionId;
      o.requestId = `req_${tag}_${o.requestId}`;
      items.push(...parse(JSON.stringify(o), path));
    }
  }
  return { items, path };
}

test('a replay of a message under a new request id (another session file) counts once, in both orders', async () => {
  const s = 'b-write-edit-bash';
  const g = groundTruth(s);
  const original = fixtureItems(s);
  const replay = replayOf(s, 'sess-resumed');
  const replayLines = replay.items.filter((i) => i.kind === 'request').length;
  for (const order of ['original first', 'replay first'] as const) {
    const db = await open();
    const first = order === 'original first' ? imp(db, original) : imp(db, replay.items, replay.path);
    const second = order === 'original first' ? imp(db, replay.items, replay.path) : imp(db, original);
    assert.equal(first.requestsAdded, g.api_requests.count, order);
    assert.equal(second.requestsAdded + second.updated, 0, `${order}: the second file adds nothing`);
    if (order === 'original first') assert.equal(second.duplicates, replayLines);
    const sum = summary(db);
    assert.equal(sum.requests, g.api_requests.count, order);
    assert.deepEqual(sum.tokens, tokensOfTruth(s), order);
    assert.ok(Math.abs(sum.costUsd - g.api_requests.cost_usd) < 1e-6, order);
    db.close();
  }
});

test('a replay imported before its original whose request id OTLP knows is retracted when the original line arrives', async () => {
  const s = 'b-write-edit-bash';
  const g = groundTruth(s);
  const db = await open();
  db.apply(logRecords(s));
  const exact = summary(db);
  assert.equal(exact.requests, g.api_requests.count);
  assert.equal(exact.costSource, 'reported');
  // The replay's request ids are unknown to OTLP and OTLP rows carry no message id: for now it is counted.
  const replay = replayOf(s, 'sess-btw');
  const rc = imp(db, replay.items, replay.path);
  assert.equal(rc.requestsAdded, g.api_requests.count);
  assert.equal(summary(db).requests, 2 * g.api_requests.count);
  assert.equal(sessionRow(db, 'sess-btw')?.requests, g.api_requests.count);
  // The original lines: each request is known from OTLP (once), and the replay of its message goes.
  const oc = imp(db, fixtureItems(s));
  assert.equal(oc.knownFromOtlp, g.api_requests.count);
  assert.equal(oc.requestsAdded + oc.updated, 0);
  const after = summary(db);
  assert.equal(after.requests, g.api_requests.count);
  assert.deepEqual(after.tokens, tokensOfTruth(s));
  assert.ok(Math.abs(after.costUsd - g.api_requests.cost_usd) < 1e-12, `${after.costUsd} vs ${g.api_requests.cost_usd}`);
  assert.equal(after.costSource, 'reported');
  assert.equal(sessionRow(db, 'sess-btw')?.requests ?? 0, 0, 'the replay session keeps no request');
  assert.equal(sessionRow(db, g.sessions.ids[0])?.requests, g.api_requests.count);
  assert.ok(apiRows(db).every((r) => r.source === 'otlp' && r.price_source === 'reported'));
  // The replay again (e.g. the file is re-read after being replaced): still nothing new.
  const rc2 = imp(db, replay.items, replay.path);
  assert.equal(rc2.requestsAdded + rc2.updated, 0);
  assert.equal(summary(db).requests, g.api_requests.count);
  db.close();
});

test('replay, then its original, then OTLP (import before Claude Code\'s telemetry is replayed): each request counted once', async () => {
  const s = 'b-write-edit-bash';
  const g = groundTruth(s);
  const db = await open();
  const replay = replayOf(s, 'sess-btw');
  imp(db, replay.items, replay.path);
  imp(db, fixtureItems(s));
  assert.equal(summary(db).requests, g.api_requests.count);
  db.apply(logRecords(s));
  const after = summary(db);
  assert.equal(after.requests, g.api_requests.count, 'the OTLP request replaces the row its message was imported under');
  assert.deepEqual(after.tokens, tokensOfTruth(s));
  assert.ok(Math.abs(after.costUsd - g.api_requests.cost_usd) < 1e-12, `${after.costUsd} vs ${g.api_requests.cost_usd}`);
  db.close();
});

// ---- OTLP after transcript ----

for (const s of ['b-write-edit-bash', 'h-long-session']) {
  test(`${s}: OTLP api_requests after the transcript replace its rows (exact cost, counts unchanged, metrics retracted once)`, async () => {
    const g = groundTruth(s);
    const sid = g.sessions.ids[0];
    const recs = allRecords(s);
    const metrics = recs.filter((r) => r.kind === 'metric');
    const rest = recs.filter((r) => r.kind !== 'metric');
    // Orders: transcript then all OTLP; metrics, transcript, then the events; transcript, events, metrics.
    const orders: { name: string; steps: (db: LedgerDb) => void }[] = [
      { name: 'transcript, OTLP', steps: (db) => { imp(db, fixtureItems(s)); db.apply(recs); } },
      { name: 'metrics, transcript, events', steps: () => undefined }, // run below with checks between the steps
      { name: 'transcript, events, metrics', steps: (db) => { imp(db, fixtureItems(s)); db.apply(rest); db.apply(metrics); } },
    ];
    for (const o of orders) {
      const db = await open();
      if (o.name === 'metrics, transcript, events') {
        db.apply(metrics);
        const m = summary(db);
        assert.ok(Math.abs(m.costUsd - g.metrics.cost_usage_usd) < 1e-12, 'metrics alone: the session\'s cost.usage');
        imp(db, fixtureItems(s));
        const t = summary(db);
        assert.equal(t.requests, g.api_requests.count, `${o.name}: the transcript took over from the metrics`);
        assert.ok(Math.abs(t.costUsd - g.api_requests.cost_usd) < 1e-6, `${o.name}: metrics retracted, not added: ${t.costUsd}`);
        assert.equal(sessionRow(db, sid)?.requests, g.api_requests.count);
        assert.equal(sessionRow(db, sid)?.costSource, 'estimated');
        db.apply(rest);
      } else o.steps(db);
      const sum = summary(db);
      assert.equal(sum.requests, g.api_requests.count, o.name);
      assert.deepEqual(sum.tokens, tokensOfTruth(s), o.name);
      assert.ok(Math.abs(sum.costUsd - g.api_requests.cost_usd) < 1e-12, `${o.name}: ${sum.costUsd} vs ${g.api_requests.cost_usd}`);
      assert.equal(sum.costSource, 'reported', o.name);
      const row = sessionRow(db, sid)!;
      assert.equal(row.requests, g.api_requests.count, `${o.name}: session request count`);
      assert.equal(row.costSource, 'reported', o.name);
      assert.ok(Math.abs(row.costUsd - g.sessions.per_session[sid].cost_usd) < 1e-12, o.name);
      const otlp = new Map(apiRequests(s).map((r) => [r.requestId!, r]));
      for (const r of apiRows(db)) {
        assert.equal(r.source, 'otlp', `${o.name} ${r.request_id}`);
        assert.equal(r.price_source, 'reported');
        assert.equal(r.cost_usd, otlp.get(r.request_id!)!.costUsd, 'Claude Code\'s cost_usd kept exactly');
      }
      const raw = db.sql.get<{ n: number; tr: number; ev: number }>(
        'SELECT count(*) AS n, (SELECT sum(transcript_requests) FROM sessions) AS tr, (SELECT sum(api_request_events) FROM sessions) AS ev FROM api_requests');
      assert.deepEqual(raw, { n: g.api_requests.count, tr: 0, ev: g.api_requests.count }, o.name);
      // Effective totals per 15-minute bucket equal the api_request sums (nothing of the metrics left in).
      const eff = db.sql.get<{ cost: number; req: number; input: number }>('SELECT sum(cost_usd) AS cost, sum(requests) AS req, sum(input_tokens) AS input FROM effective_usage')!;
      assert.equal(eff.req, g.api_requests.count);
      assert.equal(eff.input, g.api_requests.tokens.input);
      assert.ok(Math.abs(eff.cost - g.api_requests.cost_usd) < 1e-12);
      // Same answer as OTLP alone, whatever the order.
      const alone = await open();
      alone.apply(recs);
      const strip = (x: ReturnType<typeof summary>) => ({ ...x, costUsd: x.costUsd.toFixed(12), cacheSavingsUsd: x.cacheSavingsUsd.toFixed(12), byModel: x.byModel.map((m) => ({ ...m, costUsd: m.costUsd.toFixed(12) })) });
      assert.deepEqual(strip(sum), strip(summary(alone)), `${o.name}: equals OTLP alone`);
      // Replaying both sources again changes nothing.
      imp(db, fixtureItems(s));
      db.apply(recs);
      assert.deepEqual(summary(db), sum, `${o.name}: replay of both sources`);
      alone.close();
      db.close();
    }
  });
}

// ---- prompts and tool uses joined with OTLP ----

test('transcript prompts are joined with OTLP user_prompt by prompt id: counted once in both orders', async () => {
  const s = 'h-long-session';
  const g = groundTruth(s);
  const sid = g.sessions.ids[0];
  const prompts = fixtureItems(s).filter((i) => i.kind === 'prompt');
  assert.equal(prompts.length, g.sessions.per_session[sid].user_prompts);
  for (const order of ['transcript first', 'OTLP first'] as const) {
    const db = await open();
    if (order === 'transcript first') {
      const c = imp(db, fixtureItems(s));
      assert.equal(c.prompts, prompts.length);
      assert.equal(summary(db).prompts, prompts.length);
      db.apply(logRecords(s));
    } else {
      db.apply(logRecords(s));
      const c = imp(db, fixtureItems(s));
      assert.equal(c.prompts, 0, 'every prompt already known from OTLP');
    }
    assert.equal(summary(db).prompts, prompts.length, order);
    assert.equal(sessionRow(db, sid)?.prompts, prompts.length, order);
    assert.equal(db.sql.get<{ n: number }>('SELECT count(*) AS n FROM prompts')?.n, prompts.length, order);
    db.close();
  }
});

test('transcript tool uses are joined with OTLP tool_result by tool_use_id: calls, files edited and lines counted once in both orders', async () => {
  const s = 'b-write-edit-bash';
  // Logs only: the lines come from tool events (the lines_of_code metric would take precedence in summary).
  const logs = logRecords(s);
  const want = { Write: 1, Edit: 1, Bash: 1 };
  let transcriptOnly: unknown;
  for (const order of ['transcript only', 'transcript first', 'OTLP first'] as const) {
    const db = await open();
    if (order === 'OTLP first') db.apply(logs);
    const c = imp(db, fixtureItems(s));
    assert.equal(c.toolUses, order === 'OTLP first' ? 0 : 3, order);
    if (order === 'transcript first') db.apply(logs);
    const tools = Object.fromEntries(q(db, 'toolStats', { range: ALL }).tools.map((t) => [t.tool, t.calls]));
    assert.deepEqual(tools, want, order);
    const files = q(db, 'filesEdited', { range: ALL }).files;
    assert.equal(files.length, 1, order);
    assert.deepEqual({ path: files[0].path, edits: files[0].edits, la: files[0].linesAdded, lr: files[0].linesRemoved },
      { path: '/home/dev/projects/acme-web/hello.py', edits: 2, la: 9, lr: 1 }, order);
    const sum = summary(db);
    assert.deepEqual([sum.linesAdded, sum.linesRemoved], [9, 1], order);
    const row = sessionRow(db, groundTruth(s).sessions.ids[0])!;
    assert.deepEqual([row.linesAdded, row.linesRemoved], [9, 1], order);
    assert.equal(db.sql.get<{ n: number }>('SELECT count(*) AS n FROM tool_calls')?.n, 3, order);
    if (order === 'transcript only') transcriptOnly = { tools, la: sum.linesAdded, lr: sum.linesRemoved };
    else {
      // With OTLP the decisions (accepts) are added, never a second call or edit.
      assert.equal(files[0].accepts, 2, order);
      // Replaying both changes nothing.
      imp(db, fixtureItems(s));
      db.apply(logs);
      assert.deepEqual(q(db, 'filesEdited', { range: ALL }).files, files, order);
    }
    db.close();
  }
  assert.deepEqual(transcriptOnly, { tools: want, la: 9, lr: 1 });
});

// ---- learned prices for a model no table knows ----

const ZETA = 'claude-zeta-9';
function renameOtlp(recs: NormRecord[]): NormRecord[] {
  return recs.map((r) => (r.kind === 'apiRequest' ? { ...r, model: ZETA, modelNorm: ZETA } : r));
}
function renameItems(items: TranscriptItem[]): TranscriptItem[] {
  return items.map((i) => (i.kind === 'request' ? { ...i, model: ZETA, modelNorm: ZETA } : i));
}

test(`prices learned from OTLP price transcript-only requests of ${ZETA} (learned, Claude Code's cost to 1e-9); before enough observations: unpriced, flagged`, async () => {
  const learnFrom = 'h-long-session';
  const priceOf = 'b-write-edit-bash';
  const obs = renameOtlp(apiRequests(learnFrom)) as ApiRequestEvent[];
  const bItems = renameItems(fixtureItems(priceOf));
  const bCost = new Map(apiRequests(priceOf).map((r) => [r.requestId!, r.costUsd!]));
  const gb = groundTruth(priceOf);

  // 1. No observation: a transcript-only request of an unknown model is unpriced, flagged, not a silent $0.
  const db0 = await open();
  imp(db0, bItems);
  const s0 = summary(db0);
  assert.equal(s0.requests, gb.api_requests.count);
  assert.deepEqual(s0.unpricedModels, [ZETA]);
  assert.equal(s0.byModel.find((m) => m.model === ZETA)?.unpriced, true);
  assert.ok(apiRows(db0).every((r) => r.price_source === 'none'));
  assert.equal(db0.sql.get<{ n: number }>('SELECT sum(unpriced_requests) AS n FROM sessions')?.n, gb.api_requests.count);
  db0.close();

  // 2. One observation determines no price: still unpriced (the table does not know the model either).
  const db1 = await open();
  db1.apply([obs[0]]);
  imp(db1, bItems);
  const s1 = summary(db1);
  assert.deepEqual(s1.unpricedModels, [ZETA]);
  const r1 = apiRows(db1).filter((r) => r.source === 'transcript');
  assert.equal(r1.length, gb.api_requests.count);
  assert.ok(r1.every((r) => r.price_source === 'none' && r.cost_usd === 0), JSON.stringify(r1.map((r) => r.price_source)));
  db1.close();

  // 3. All observations of h: input, output, cache read and 5-minute write prices are determined.
  const db = await open();
  db.apply(obs);
  const learned = db.learnedPrices().filter((e) => e.key.includes(ZETA));
  assert.equal(learned.length, 1, JSON.stringify(db.learnedPrices().map((e) => e.key)));
  assert.deepEqual(learned[0].price.perMTok, { input: 5, output: 25, cacheRead: 0.5, cacheWrite5m: 6.25 });
  const c = imp(db, bItems);
  assert.equal(c.requestsAdded, gb.api_requests.count);
  const rows = apiRows(db).filter((r) => r.source === 'transcript');
  assert.equal(rows.length, gb.api_requests.count);
  for (const r of rows) {
    assert.equal(r.model, ZETA);
    assert.equal(r.price_source, 'learned', r.request_id!);
    const want = bCost.get(r.request_id!)!;
    assert.ok(Math.abs(r.cost_usd - want) <= 1e-9 * want, `${r.request_id}: ${r.cost_usd} vs Claude Code's ${want}`);
  }
  const s = summary(db);
  assert.deepEqual(s.unpricedModels, []);
  const expected = obs.reduce((a, o) => a + o.costUsd!, 0) + gb.api_requests.cost_usd;
  assert.ok(Math.abs(s.costUsd - expected) < 1e-9, `${s.costUsd} vs ${expected}`);
  assert.equal(s.costSource, 'mixed');
  // The learned state survives a reopen of the same bytes.
  const reopened = LedgerDb.open(await sqlJs(), db.export());
  assert.deepEqual(reopened.learnedPrices(), db.learnedPrices());
  reopened.close();
  db.close();
});
