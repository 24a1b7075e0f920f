// History imported before Claude Code's prices for its model were known: a model no table knows is
// imported unpriced (flagged, cost 0, never a silent $0 figure), then OTLP api_requests of that model
// (other requests, Claude Code's own cost_usd) teach the ledger the prices, and the imported requests
// are priced again with them: the total becomes what Claude Code would have reported.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import type { ApiRequestEvent, NormRecord } from '../../src/core/otlp/records';
import { runQuery } from '../../src/core/queries/runQuery';
import { emptyCounts } from '../../src/core/transcripts/importSummary';
import { parseTranscriptLine } from '../../src/core/transcripts/parse';
import type { TranscriptItem } from '../../src/core/transcripts/transcriptRecords';
import { LedgerDb } from '../../src/core/store/ledgerDb';
import { FIXTURES, groundTruth, nowOf, records, sqlJs } from './storeTestSupport';

const MODEL = 'claude-zeta-9'; // unknown to the bundled table
const SCENARIO = 'h-long-session';

function transcriptItems(scenario: string): TranscriptItem[] {
  const dir = path.join(FIXTURES, scenario, 'transcripts');
  const project = readdirSync(dir)[0];
  const file = readdirSync(path.join(dir, project)).find((f) => f.endsWith('.jsonl'))!;
  const items: TranscriptItem[] = [];
  for (const line of readFileSync(path.join(dir, project, file), 'utf8').split('\n')) {
    if (!line) continue;
    const r = parseTranscriptLine(line.replaceAll('claude-opus-4-8', MODEL), { projectDir: project, isSubagent: false, storePromptText: false, storeCommands: true, maxCommandChars: 500 });
    if (Array.isArray(r)) items.push(...r);
  }
  return items;
}

/** The same run's OTLP, renamed to the unknown model, with other request ids (so none replaces an imported row). */
function otlpOfOtherRequests(scenario: string): NormRecord[] {
  const out: NormRecord[] = [];
  for (const batch of records(scenario)) {
    for (const r of batch) {
      if (r.kind !== 'apiRequest') continue;
      const a: ApiRequestEvent = { ...r, model: MODEL, modelNorm: MODEL, requestId: `${r.requestId}-other`, sessionId: 'otlp-session' };
      out.push(a);
    }
  }
  return out;
}

test('imported unpriced, then priced with what Claude Code charged once its api_requests determine the prices', async () => {
  const SQL = await sqlJs();
  const db = LedgerDb.open(SQL);
  const now = nowOf(records(SCENARIO));
  const ctx = () => ({ sql: db.sql, nowMs: now, dataVersion: db.dataVersion, lastEventMs: db.lastEventMs });
  const items = transcriptItems(SCENARIO);
  const counts = emptyCounts();
  db.applyTranscript(items, { path: '/t/h.jsonl', ino: 1, size: 1, projectDir: '-p', mtimeMs: now }, { offset: 1, skipping: false, lines: 1 }, counts);
  const g = groundTruth(SCENARIO);
  assert.equal(counts.requestsAdded, g.api_requests.count);
  const before = runQuery(ctx(), 'summary', { range: { key: 'all' } });
  assert.deepEqual(before.unpricedModels, [MODEL], 'an unknown model is flagged, not priced at $0 silently');
  assert.equal(before.costUsd, 0);

  db.apply(otlpOfOtherRequests(SCENARIO));
  const after = runQuery(ctx(), 'summary', { range: { key: 'all' } });
  // The imported half now costs what Claude Code charged for the same tokens (its OTLP half is the same runs' cost).
  assert.ok(Math.abs(after.costUsd - 2 * g.api_requests.cost_usd) < 1e-9, `${after.costUsd} vs ${2 * g.api_requests.cost_usd}`);
  assert.deepEqual(after.unpricedModels, []);
  const sources = db.sql.all<{ price_source: string; n: number }>(`SELECT price_source, count(*) AS n FROM v_api_requests GROUP BY price_source ORDER BY price_source`);
  assert.deepEqual(sources, [{ price_source: 'learned', n: g.api_requests.count }, { price_source: 'reported', n: g.api_requests.count }]);
  db.close();
});
