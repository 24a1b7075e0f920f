import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { columnsFromRow, csvCell, CsvExportCancelled, defaultCsvName, isoLocal, writeCsv, writeCsvFile, type CsvRow } from '../../src/core/export/csv';

async function* pagesOf(...pages: CsvRow[][]) {
  for (const p of pages) yield p;
}

const nasty: CsvRow[] = [
  { requestId: 'r1', time: Date.UTC(2026, 10, 21, 13, 0, 0, 5), model: 'claude-opus-4-8', costUsd: 0.123456789, prompt: '=1+1', filePath: '/a,b/"c".ts' },
  { requestId: 'r2', time: '2026-11-21T13:00:01.000Z', model: '+cmd', costUsd: -0.5, prompt: 'line1\nline2\r\nline3', filePath: null },
  { requestId: 'r3', time: null, model: '@SUM(A1)', costUsd: 0, prompt: '\tx', filePath: "-2+3" },
  { requestId: 'r4', time: null, model: 'é ü 日本', costUsd: 1e-9, prompt: '\rcr', filePath: "=cmd|' /C calc'!A0" },
];

async function toText(pages: AsyncIterable<CsvRow[]>) {
  let text = '';
  const n = await writeCsv(pages, { write: async (c) => void (text += c) });
  return { text, n };
}

test('parses back with csv-parse: header with units, values kept, formulas neutralized', async () => {
  const { text, n } = await toText(pagesOf(nasty.slice(0, 2), [], nasty.slice(2)));
  assert.equal(n, 4);
  assert.ok(text.startsWith('\uFEFF'));
  const rows: string[][] = parse(text, { bom: true, relax_column_count: false });
  assert.deepEqual(rows[0], ['request_id', 'time', 'model', 'cost_usd', 'prompt', 'file_path']);
  assert.equal(rows.length, 5);
  const [r1, r2, r3, r4] = rows.slice(1) as [string[], string[], string[], string[]];
  assert.equal(r1[1], isoLocal(Date.UTC(2026, 10, 21, 13, 0, 0, 5)));
  assert.match(r1[1]!, /^2026-11-2\dT\d\d:\d\d:00\.005[+-]\d\d:\d\d$/);
  assert.equal(Number(r1[3]), 0.123456789);
  assert.equal(r1[4], "'=1+1");
  assert.equal(r1[5], '/a,b/"c".ts');
  assert.equal(r2[2], "'+cmd");
  assert.equal(r2[3], '-0.5'); // numbers are not text: never neutralized
  assert.equal(r2[4], 'line1\nline2\r\nline3');
  assert.equal(r2[5], '');
  assert.equal(r3[2], "'@SUM(A1)");
  assert.equal(r3[4], "'\tx");
  assert.equal(r3[5], "'-2+3");
  assert.equal(r4[2], 'é ü 日本');
  assert.equal(Number(r4[3]), 1e-9);
  assert.equal(r4[4], "'\rcr");
  assert.equal(r4[5], "'=cmd|' /C calc'!A0");
  // RFC 4180: CRLF record separators.
  assert.ok(text.includes('\r\nr2,'));
});

test('cells: quoting rules', () => {
  assert.equal(csvCell('plain'), 'plain');
  assert.equal(csvCell('a,b'), '"a,b"');
  assert.equal(csvCell('say "hi"'), '"say ""hi"""');
  assert.equal(csvCell('a\nb'), '"a\nb"');
  assert.equal(csvCell(null), '');
  assert.equal(csvCell(Number.NaN), '');
  assert.equal(csvCell(true), 'true');
  assert.equal(csvCell('2026-11-21', 'time'), '2026-11-21');
});

test('time columns are recognised by name', () => {
  const kinds = columnsFromRow({ startedAt: 1, day: '2026-11-21', lastEdited: 1, costUsd: 1, durationMs: 1, start: 1, sessionId: 'x' }).map((c) => `${c.header}:${c.kind}`);
  assert.deepEqual(kinds, ['started_at:time', 'day:time', 'last_edited:time', 'cost_usd:text', 'duration_ms:text', 'start:time', 'session_id:text']);
});

test('file: streamed, 0600, cancel removes the partial file', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'csv-'));
  const path = join(dir, 'a.csv');
  async function* many() {
    for (let p = 0; p < 50; p++) yield Array.from({ length: 1000 }, (_, i) => ({ id: p * 1000 + i, costUsd: 0.01, note: 'x'.repeat(50) }));
  }
  let last = 0;
  const n = await writeCsvFile(path, many(), { onProgress: (r) => (last = r) });
  assert.equal(n, 50_000);
  assert.equal(last, 50_000);
  const rows: string[][] = parse(readFileSync(path, 'utf8'), { bom: true });
  assert.equal(rows.length, 50_001);
  assert.equal((await import('node:fs')).statSync(path).mode & 0o777, 0o600);

  const ac = new AbortController();
  const path2 = join(dir, 'b.csv');
  await assert.rejects(
    writeCsvFile(path2, many(), { signal: ac.signal, onProgress: (r) => r >= 3000 && ac.abort() }),
    CsvExportCancelled,
  );
  assert.equal(existsSync(path2), false);
});

test('empty export still has a header when columns are known', async () => {
  let text = '';
  await writeCsv(pagesOf(), { write: async (c) => void (text += c) }, { columns: [{ key: 'a', header: 'cost_usd', kind: 'text' }] });
  assert.equal(text, '\uFEFFcost_usd\r\n');
});

test('default file name is dated', () => {
  assert.equal(defaultCsvName('requests', '7d', new Date(2026, 10, 21, 10)), 'claude-usage-requests-7d-2026-11-21.csv');
});
