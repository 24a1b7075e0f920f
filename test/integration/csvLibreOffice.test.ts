// Opens our CSV export in a real spreadsheet (LibreOffice Calc, headless, Debian package) to prove it
// loads as intended and that no formula executes. A control file with the same cells NOT neutralized
// shows that LibreOffice does evaluate formulas on CSV import, so the check can fail.
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { writeCsvFile, type CsvRow } from '../../src/core/export/csv';

const root = join(__dirname, '..', '..');
const work = mkdtempSync(join(tmpdir(), 'csv-lo-'));

const injections = ['=1+1', '+2+3', '-4+5', '@SUM(1;2)', '=HYPERLINK("http://example.invalid";"x")', "=cmd|' /C calc'!A0", '\t=1+1', '\r=1+1'];

const rows: CsvRow[] = [
  ...injections.map((text, i) => ({ requestId: `r${i}`, time: Date.UTC(2026, 10, 21, 12, i), model: 'claude-opus-4-8', costUsd: 0.01 * (i + 1), prompt: text, filePath: `/p/${i}.ts` })),
  { requestId: 'q', time: Date.UTC(2026, 10, 21, 13), model: 'é ü 日本', costUsd: 0.123456, prompt: 'comma, "quote"\nnew line', filePath: null },
];

function soffice(args: string[]): void {
  const r = spawnSync('soffice', [`-env:UserInstallation=file://${join(work, 'profile')}`, '--headless', '--norestore', ...args], {
    cwd: work,
    encoding: 'utf8',
    timeout: 120_000,
  });
  if (r.status !== 0) throw new Error(`soffice ${args.join(' ')} failed (${r.status}): ${r.stderr}`);
}

/** CSV -> xlsx with the UTF-8, comma, double-quote import filter; returns sheet XML and shared strings. */
function toXlsx(csv: string): { sheet: string; strings: string[] } {
  soffice(['--infilter=CSV:44,34,76,1', '--convert-to', 'xlsx', '--outdir', join(work, 'out'), csv]);
  const xlsx = join(work, 'out', csv.split('/').pop()!.replace(/\.csv$/, '.xlsx'));
  const sheet = execFileSync('unzip', ['-p', xlsx, 'xl/worksheets/sheet1.xml'], { encoding: 'utf8' });
  const sst = execFileSync('unzip', ['-p', xlsx, 'xl/sharedStrings.xml'], { encoding: 'utf8' });
  const strings = [...sst.matchAll(/<si>(.*?)<\/si>/gs)].map((m) =>
    [...m[1]!.matchAll(/<t[^>]*>(.*?)<\/t>/gs)]
      .map((t) => t[1]!)
      .join('')
      .replace(/&apos;/g, "'")
      .replace(/&quot;/g, '"')
      .replace(/&lt;/g, '<')
      .replace(/&gt;/g, '>')
      .replace(/&#(\d+);/g, (_, n: string) => String.fromCharCode(Number(n)))
      .replace(/&amp;/g, '&'),
  );
  return { sheet, strings };
}

before(() => {
  const r = spawnSync('bash', [join(root, 'test/support/installLibreOffice.sh')], { encoding: 'utf8', stdio: 'inherit', timeout: 900_000 });
  assert.equal(r.status, 0, 'installing LibreOffice failed (see output above)');
});

test('control: LibreOffice evaluates a formula in an un-neutralized CSV', () => {
  const control = join(work, 'control.csv');
  writeFileSync(control, 'a,b\r\n=1+1,x\r\n');
  const { sheet } = toXlsx(control);
  assert.match(sheet, /<f[ >]/, 'expected a formula cell in the control file');
});

test('our export loads in LibreOffice with no formula and every value kept', async () => {
  async function* pages() {
    yield rows;
  }
  const file = join(work, 'export.csv');
  assert.equal(await writeCsvFile(file, pages()), rows.length);
  const { sheet, strings } = toXlsx(file);
  assert.doesNotMatch(sheet, /<f[ >]/, 'a formula cell was created from our CSV');
  // Calc stores a CR inside a cell as LF; compare with line ends normalized.
  const cells = new Set(strings.map((t) => t.replace(/\r/g, '\n')));
  for (const text of injections) {
    assert.ok(cells.has(`'${text}`.replace(/\r/g, '\n')), `cell ${JSON.stringify(text)} kept as text with a leading apostrophe`);
  }
  assert.ok(strings.includes('é ü 日本'), 'UTF-8 text read correctly');
  assert.ok(strings.includes('comma, "quote"\nnew line'), 'quoted comma, quote and newline kept in one cell');
  assert.ok(strings.includes('cost_usd'), 'header with units');
  // Row count and numbers survive a round trip through Calc's own CSV export.
  soffice(['--infilter=CSV:44,34,76,1', '--convert-to', 'csv:Text - txt - csv (StarCalc):44,34,76,1', '--outdir', join(work, 'round'), file]);
  const back: string[][] = parse(readFileSync(join(work, 'round', 'export.csv'), 'utf8'), { bom: true });
  assert.equal(back.length, rows.length + 1);
  const header = back[0]!;
  const cost = header.indexOf('cost_usd');
  assert.ok(cost >= 0);
  assert.deepEqual(back.slice(1).map((r) => Number(r[cost])), rows.map((r) => r.costUsd));
});
