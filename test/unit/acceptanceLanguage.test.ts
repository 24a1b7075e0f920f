// Acceptance by language (issue 15, item 7): Claude Code's code_edit_tool.decision metric names the
// language of every edit decision; without it (a metric export lost at exit, OTEL_METRICS without
// session ids) the decision events count by the language of the file, which redacted telemetry (no
// OTEL_LOG_TOOL_DETAILS, the extension's default) never names: the session's transcript does. Real
// payloads and transcripts of Claude Code 2.1.197, applied in both orders and twice (no double count).
import assert from 'node:assert/strict';
import { statSync } from 'node:fs';
import { test } from 'node:test';
import { runQuery } from '../../src/core/queries/runQuery';
import { LedgerDb } from '../../src/core/store/ledgerDb';
import { emptyCounts } from '../../src/core/transcripts/importSummary';
import type { NormRecord } from '../../src/core/otlp/records';
import { nowOf, records, sqlJs } from './storeTestSupport';
import { ctxFor, parseFile, transcriptFiles } from './transcriptFixtures';

function importTranscripts(db: LedgerDb, scenario: string): void {
  for (const f of transcriptFiles(scenario)) {
    const { items } = parseFile(f, { storePromptText: false });
    const size = statSync(f).size;
    db.applyTranscript(items, { path: f, ino: 1, size, projectDir: ctxFor(f).projectDir, mtimeMs: 0 }, { offset: size, skipping: false, lines: items.length }, emptyCounts());
  }
}

const withoutMetric = (all: NormRecord[][]) => all.map((b) => b.filter((r) => !('name' in r && r.name === 'claude_code.code_edit_tool.decision')));

async function byLanguage(scenario: string, order: 'otlp' | 'otlp-then-transcript' | 'transcript-then-otlp', dropMetric: boolean, transcriptTwice = false) {
  const db = LedgerDb.open(await sqlJs());
  try {
    const all = records(scenario);
    const otlp = dropMetric ? withoutMetric(all) : all;
    if (order === 'transcript-then-otlp') importTranscripts(db, scenario);
    for (const b of otlp) db.apply(b);
    if (order === 'otlp-then-transcript') {
      importTranscripts(db, scenario);
      if (transcriptTwice) importTranscripts(db, scenario);
    }
    const ctx = { sql: db.sql, nowMs: nowOf(all), dataVersion: db.dataVersion, lastEventMs: db.lastEventMs };
    return runQuery(ctx, 'acceptance', { range: { key: 'all' } }).byLanguage.map((r) => [r.key, r.accepts, r.rejects]);
  } finally {
    db.close();
  }
}

test('by language from the metric (redacted telemetry: l-defaults-redacted wrote README.md)', async () => {
  assert.deepEqual(await byLanguage('l-defaults-redacted', 'otlp', false), [['Markdown', 1, 0]]);
});

test('redacted telemetry without the metric: the transcript names the file, in either order, counted once', async () => {
  // OTLP alone cannot know (the events carry no path): the language is unknown, not guessed.
  assert.deepEqual(await byLanguage('l-defaults-redacted', 'otlp', true), []);
  assert.deepEqual(await byLanguage('l-defaults-redacted', 'transcript-then-otlp', true), [['Markdown', 1, 0]]);
  assert.deepEqual(await byLanguage('l-defaults-redacted', 'otlp-then-transcript', true), [['Markdown', 1, 0]]);
  assert.deepEqual(await byLanguage('l-defaults-redacted', 'otlp-then-transcript', true, true), [['Markdown', 1, 0]]);
});

test('with tool details (b-write-edit-bash edits hello.py): Python from the metric or from the events, never both', async () => {
  assert.deepEqual(await byLanguage('b-write-edit-bash', 'otlp', false), [['Python', 2, 0]]);
  assert.deepEqual(await byLanguage('b-write-edit-bash', 'otlp', true), [['Python', 2, 0]]);
  assert.deepEqual(await byLanguage('b-write-edit-bash', 'otlp-then-transcript', false, true), [['Python', 2, 0]]);
});
