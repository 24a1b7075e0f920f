// Where the numbers come from, on Claude Code's own payloads: OTLP of some runs, transcripts of others
// (test/fixtures/claude-code-otlp/*/transcripts), applied to a real LedgerDb. Sessions say otlp /
// transcript / both with their price sources and title; the summary's estimates and the prices query's
// counts equal the raw api_requests rows counted independently (estimate_rollup, schema v5, stays in
// step through inserts and OTLP replacing a transcript row); the requests CSV names source and price
// source; the note and the prices report read right.
import assert from 'node:assert/strict';
import { statSync } from 'node:fs';
import { test } from 'node:test';
import type { ApiRequestEvent, NormRecord } from '../../src/core/otlp/records';
import { formatEstimatesNote, formatPriceSources } from '../../src/core/format/numbers';
import { pricesMarkdown, pricesText } from '../../src/core/pricing/pricesReport';
import { PRICE_TABLE_DATE, PRICES } from '../../src/core/pricing/priceTable';
import type { QueryContext } from '../../src/core/queries/common';
import { rowsPage } from '../../src/core/queries/rows';
import { runQuery } from '../../src/core/queries/runQuery';
import { LedgerDb } from '../../src/core/store/ledgerDb';
import { emptyCounts } from '../../src/core/transcripts/importSummary';
import { parseTranscriptLine } from '../../src/core/transcripts/parse';
import type { QueryMethods, QueryName } from '../../src/protocol/dto';
import { nowOf, records, sqlJs } from './storeTestSupport';
import { ctxFor, parseFile, transcriptFiles } from './transcriptFixtures';

const ALL = { key: 'all' } as const;
const A = '832c43a9-c901-41cd-bc82-ca69226253a6'; // a-plain-text: transcript only
const B = '4781e320-d350-4937-a649-b56fa707eee7'; // b-write-edit-bash: OTLP without one api_request, + transcript

function importTranscripts(db: LedgerDb, scenario: string, extraLines: string[] = []): void {
  for (const f of transcriptFiles(scenario)) {
    const { items } = parseFile(f, { storePromptText: true });
    for (const l of extraLines) {
      const r = parseTranscriptLine(l, ctxFor(f, { storePromptText: true }));
      assert.ok(Array.isArray(r), JSON.stringify(r));
      items.push(...r);
    }
    const size = statSync(f).size;
    const projectDir = ctxFor(f).projectDir;
    db.applyTranscript(items, { path: f, ino: 1, size, projectDir, mtimeMs: 0 }, { offset: size, skipping: false, lines: items.length }, emptyCounts());
  }
}

/** The same counts straight from the raw rows (an implementation independent of estimate_rollup). */
function rawCounts(db: LedgerDb): { transcript: number; byCode: Record<number, number>; byModel: Record<string, Record<number, number>> } {
  const t = db.sql.get<{ n: number }>('SELECT count(*) AS n FROM api_requests WHERE source = 1')!.n;
  const byCode: Record<number, number> = {};
  const byModel: Record<string, Record<number, number>> = {};
  for (const r of db.sql.all<{ model: string; ps: number; n: number }>(
    'SELECT d.value AS model, price_source AS ps, count(*) AS n FROM api_requests r JOIN dict d ON d.id = r.model_id WHERE price_source <> 0 GROUP BY model, ps',
  )) {
    byCode[r.ps] = (byCode[r.ps] ?? 0) + r.n;
    (byModel[r.model] ??= {})[r.ps] = r.n;
  }
  return { transcript: t, byCode, byModel };
}
const asNames = (c: Record<number, number>) => ({ learned: c[1] ?? 0, override: c[2] ?? 0, table: c[3] ?? 0, none: c[4] ?? 0 });

test('sessions, summary estimates, prices and the requests CSV say where each figure came from', async () => {
  const db = LedgerDb.open(await sqlJs());
  try {
    const h = records('h-long-session');
    for (const b of h) db.apply(b);
    // b-write-edit-bash's OTLP, without one api_request: its transcript brings that request alone.
    const bRecs = records('b-write-edit-bash');
    const dropped = bRecs.flat().find((r): r is ApiRequestEvent => r.kind === 'apiRequest')!;
    for (const b of bRecs) db.apply(b.filter((r) => r !== dropped));
    importTranscripts(db, 'h-long-session'); // all known from OTLP: nothing estimated
    importTranscripts(db, 'b-write-edit-bash');
    importTranscripts(db, 'a-plain-text', [JSON.stringify({ type: 'custom-title', customTitle: 'Explain the build', sessionId: A })]);

    const all: NormRecord[][] = [...h, ...bRecs];
    const ctx: QueryContext = {
      sql: db.sql, nowMs: nowOf(all) + 86_400_000, dataVersion: db.dataVersion, lastEventMs: db.lastEventMs,
      learnedPrices: () => db.learnedPrices(), priceOverrides: { 'claude-opus-4-8': { family: 'mine', input: 4, output: 20, cacheRead: 0.4, cacheWrite5m: 5, cacheWrite1h: 8 } },
    };
    const q = <M extends QueryName>(m: M, p: QueryMethods[M]['params']) => runQuery(ctx, m, p);

    // Sessions.
    const sessions = q('sessions', { range: ALL, limit: 50 }).sessions;
    const by = new Map(sessions.map((s) => [s.sessionId, s]));
    const a = by.get(A)!;
    assert.equal(a.source, 'transcript');
    assert.equal(a.transcriptRequests, a.requests);
    assert.equal(a.transcriptRequests, 1);
    assert.equal(a.costSource, 'estimated');
    assert.equal(a.title, 'Explain the build');
    assert.equal(a.branch, 'HEAD'); // the fixture runs were on a detached HEAD
    assert.deepEqual(a.estimatesByPriceSource, { learned: 1, override: 0, table: 0, none: 0 }, 'priced with what h-long-session taught');
    const b = by.get(B)!;
    assert.equal(b.source, 'both');
    assert.equal(b.transcriptRequests, 1);
    assert.equal(b.costSource, 'mixed');
    assert.equal(b.estimatesByPriceSource.learned + b.estimatesByPriceSource.table, 1);
    assert.equal(b.title, null);
    const others = sessions.filter((s) => s.sessionId !== A && s.sessionId !== B);
    assert.ok(others.length > 0);
    for (const s of others) {
      assert.equal(s.source, 'otlp', s.sessionId);
      assert.equal(s.transcriptRequests, 0);
      assert.deepEqual(s.estimatesByPriceSource, { learned: 0, override: 0, table: 0, none: 0 });
    }
    // The timeline header row is the same row.
    assert.deepEqual(q('sessionTimeline', { sessionId: A }).session, a);

    // Summary estimates = the raw rows, and per range.
    const raw = rawCounts(db);
    const s = q('summary', { range: ALL });
    assert.deepEqual(s.estimates, { transcriptRequests: 2, byPriceSource: asNames(raw.byCode) });
    assert.equal(raw.transcript, 2);
    const far = q('summary', { range: { from: '2001-01-01', to: '2001-01-02' } });
    assert.deepEqual(far.estimates, { transcriptRequests: 0, byPriceSource: { learned: 0, override: 0, table: 0, none: 0 } });
    assert.equal(
      formatEstimatesNote(s.requests, s.estimates),
      `2 of ${s.requests} requests are estimated from transcripts (prices: ${formatPriceSources(s.estimates.byPriceSource)}).`,
    );

    // Prices.
    const p = q('prices', {});
    const opus = p.learned.find((l) => l.model === 'claude-opus-4-8' && !l.longContext && l.speed === 'normal' && l.geo === null)!;
    assert.ok(opus, JSON.stringify(p.learned));
    assert.deepEqual(opus.perMTok, { input: 5, output: 25, cacheRead: 0.5, cacheWrite5m: 6.25 });
    assert.deepEqual(opus.determined, ['input', 'output', 'cacheRead', 'cacheWrite5m']);
    assert.ok(opus.observations >= 7);
    assert.equal(p.table.date, PRICE_TABLE_DATE);
    assert.deepEqual(p.table.families.map((f) => f.family), Object.values(PRICES).map((f) => f.family));
    assert.deepEqual(p.overrides, [{ prefix: 'claude-opus-4-8', input: 4, output: 20, cacheRead: 0.4, cacheWrite5m: 5, cacheWrite1h: 8 }]);
    assert.deepEqual(p.estimatesByModel, Object.entries(raw.byModel).map(([model, c]) => ({ model, estimates: asNames(c) })));
    const sonnet = q('prices', { model: 'Sonnet' });
    assert.deepEqual(sonnet.learned, []);
    assert.deepEqual(sonnet.estimatesByModel, []);
    assert.deepEqual(sonnet.overrides, []);
    assert.ok(sonnet.table.families.length > 0 && sonnet.table.families.every((f) => f.family.includes('Sonnet')));
    const opusOnly = q('prices', { model: 'opus-4-8' });
    assert.deepEqual(opusOnly.table.families.map((f) => f.family), ['Opus 4.5+ / 5'], 'the family that prices the model named');
    assert.equal(opusOnly.overrides.length, 1);
    const md = pricesMarkdown(p);
    assert.match(md, /\| claude-opus-4-8 \| standard \| \$5 \| \$25 \| \$0\.5 \| \$6\.25 \| — \| — \| \d+ \|/);
    assert.match(md, new RegExp(`Bundled table \\(Anthropic list prices as of ${PRICE_TABLE_DATE}\\)`));
    assert.match(md, /\| Opus 4\.5\+ \/ 5 \| \$5 \| \$25 \| \$0\.5 \| \$6\.25 \| \$10 \|/);
    assert.match(pricesText(p), /claude-opus-4-8: 2 learned from Claude Code|claude-opus-4-8: 1 learned from Claude Code, 1 bundled table/);

    // Requests CSV: source and price source per request, request ids kept.
    const rows = rowsPage(ctx, 'requests', ALL, 10_000).rows;
    const transcriptRows = rows.filter((r) => r.source === 'transcript');
    assert.equal(transcriptRows.length, 2);
    for (const r of transcriptRows) assert.ok(['learned', 'table'].includes(String(r.price_source)) && r.estimated === 1 && typeof r.request_id === 'string');
    for (const r of rows.filter((x) => x.source === 'otlp')) assert.equal(r.price_source, 'reported');
    assert.ok(transcriptRows.some((r) => r.request_id === dropped.requestId));

    // The OTLP api_request arrives late: it replaces the transcript row, the estimate goes away.
    db.apply([dropped]);
    const after = runQuery({ ...ctx, dataVersion: db.dataVersion }, 'sessions', { range: ALL, limit: 50 }).sessions.find((x) => x.sessionId === B)!;
    assert.equal(after.source, 'otlp');
    assert.equal(after.costSource, 'reported');
    const raw2 = rawCounts(db);
    const s2 = q('summary', { range: ALL });
    assert.deepEqual(s2.estimates, { transcriptRequests: 1, byPriceSource: asNames(raw2.byCode) });
    assert.equal(s2.requests, s.requests, 'the request counts once whichever source saw it');
    assert.deepEqual(q('prices', {}).estimatesByModel, Object.entries(raw2.byModel).map(([model, c]) => ({ model, estimates: asNames(c) })));

    // The v5 backfill (from raw rows) gives what the rollup holds.
    const backfill = db.sql.all<{ b: number; m: number; s: number; p: number; n: number }>(
      `SELECT CAST(time_ms / 900000 AS INTEGER) AS b, model_id AS m, source AS s, price_source AS p, count(*) AS n FROM api_requests
       WHERE source <> 0 OR price_source <> 0 GROUP BY b, m, s, p ORDER BY b, m, s, p`,
    );
    const rollup = db.sql.all<{ b: number; m: number; s: number; p: number; n: number }>(
      'SELECT bucket AS b, model_id AS m, source AS s, price_source AS p, requests AS n FROM estimate_rollup WHERE requests <> 0 ORDER BY b, m, s, p',
    );
    assert.deepEqual(rollup, backfill);
  } finally {
    db.close();
  }
});

test('the estimates note: transcripts, OTLP requests without a cost, nothing estimated', () => {
  const z = { learned: 0, override: 0, table: 0, none: 0 };
  assert.equal(formatEstimatesNote(340, { transcriptRequests: 0, byPriceSource: z }), null);
  assert.equal(
    formatEstimatesNote(340, { transcriptRequests: 12, byPriceSource: { ...z, learned: 10, table: 2 } }),
    '12 of 340 requests are estimated from transcripts (prices: 10 learned from Claude Code, 2 bundled table).',
  );
  assert.equal(
    formatEstimatesNote(340, { transcriptRequests: 1, byPriceSource: { ...z, table: 3, none: 1 } }),
    '1 of 340 requests is estimated from transcripts, 3 more had no cost from Claude Code (prices: 3 bundled table, 1 unpriced).',
  );
  assert.equal(
    formatEstimatesNote(1200, { transcriptRequests: 0, byPriceSource: { ...z, override: 15 } }),
    '15 of 1,200 requests had no cost from Claude Code and are estimated (prices: 15 your price override).',
  );
});
