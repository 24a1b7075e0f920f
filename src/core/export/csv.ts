// CSV writer shared by the "Export Usage CSV…" command and `node dist/cli.js export`. RFC 4180 (CRLF
// line ends, fields with comma / quote / CR / LF quoted, quotes doubled), UTF-8 with a BOM so Excel
// picks the right encoding, a header row whose names carry units (cost_usd, duration_ms), timestamps
// as ISO-8601 with the local offset, and text cells neutralized against formula injection.
import { createWriteStream } from 'node:fs';
import { rm } from 'node:fs/promises';
import type { ExportDataset } from '../../protocol/dto';

export type CsvValue = string | number | boolean | null | undefined;
export type CsvRow = Record<string, CsvValue>;

/** What can be exported: EXPORT_DATASETS in src/protocol/dto.ts (the one list). */
export type CsvDataset = ExportDataset;

export interface CsvColumn {
  key: string;
  header: string;
  /** time: epoch ms or an ISO string -> ISO-8601 with the local offset. */
  kind: 'text' | 'number' | 'time';
}

/**
 * Cells that spreadsheet programs read as a formula (or DDE) start with one of these. Neutralized
 * by a leading apostrophe (OWASP "CSV injection"); the value itself is kept, never dropped.
 */
const FORMULA_START = /^[=+\-@\t\r]/;

export const UTF8_BOM = '\uFEFF';

/** The text of one cell, quoted if needed. Numbers are written as numbers (never neutralized). */
export function csvCell(v: CsvValue, kind: CsvColumn['kind'] = 'text'): string {
  if (v === null || v === undefined) return '';
  if (kind === 'time') return quote(isoLocal(v));
  if (typeof v === 'number') return Number.isFinite(v) ? String(v) : '';
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  return quote(FORMULA_START.test(v) ? `'${v}` : v);
}

function quote(s: string): string {
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export function csvLine(cells: readonly string[]): string {
  return `${cells.join(',')}\r\n`;
}

/** `2026-11-21T14:03:12.345+01:00` in the machine's time zone (what a spreadsheet user expects). */
export function isoLocal(v: string | number | boolean): string {
  // A calendar day ("2026-11-21", the daily dataset) has no instant: converting it would shift it
  // to the previous day west of UTC.
  if (typeof v === 'string' && /^\d{4}-\d{2}-\d{2}$/.test(v)) return v;
  const d = typeof v === 'number' ? new Date(v) : typeof v === 'string' ? new Date(v) : undefined;
  if (d === undefined || Number.isNaN(d.getTime())) return String(v);
  const off = -d.getTimezoneOffset();
  const sign = off >= 0 ? '+' : '-';
  const p = (n: number, w = 2) => String(Math.abs(n)).padStart(w, '0');
  return (
    `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}T${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}.${p(d.getMilliseconds(), 3)}` +
    `${sign}${p(Math.trunc(off / 60))}:${p(off % 60)}`
  );
}

/**
 * Columns from the first row's keys. Header names are snake_case (costUsd -> cost_usd), so units
 * named by the store (Usd, Ms, Tokens) stay in the header. Time columns are recognised by name.
 */
export function columnsFromRow(row: CsvRow): CsvColumn[] {
  return Object.keys(row).map((key) => {
    const header = snake(key);
    const kind: CsvColumn['kind'] = /(^|_)(time|timestamp|start|end|at|day|date|first_seen|last_seen|last_edited)$|_at$/.test(header)
      ? 'time'
      : 'text';
    return { key, header, kind };
  });
}

function snake(key: string): string {
  return key
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .replace(/[\s-]+/g, '_')
    .toLowerCase();
}

export interface CsvWriteOptions {
  /** Fixed columns; default: from the first row (an empty export then has only the BOM). */
  columns?: CsvColumn[];
  signal?: AbortSignal;
  /** Called after each page with the rows written so far (progress UI). */
  onProgress?: (rows: number) => void;
}

/** Where chunks go; `write` resolves when the sink can take more (backpressure). */
export interface CsvSink {
  write(chunk: string): Promise<void>;
}

export class CsvExportCancelled extends Error {
  override name = 'CsvExportCancelled';
}

/** Streams pages of rows to a sink; returns the number of data rows written. */
export async function writeCsv(pages: AsyncIterable<readonly CsvRow[]>, sink: CsvSink, o: CsvWriteOptions = {}): Promise<number> {
  let columns = o.columns;
  let rows = 0;
  await sink.write(UTF8_BOM);
  if (columns) await sink.write(csvLine(columns.map((c) => quote(c.header))));
  for await (const page of pages) {
    if (o.signal?.aborted) throw new CsvExportCancelled('export cancelled');
    if (page.length === 0) continue;
    if (!columns) {
      columns = columnsFromRow(page[0]!);
      await sink.write(csvLine(columns.map((c) => quote(c.header))));
    }
    const cols = columns;
    let chunk = '';
    for (const row of page) chunk += csvLine(cols.map((c) => csvCell(row[c.key], c.kind)));
    await sink.write(chunk);
    rows += page.length;
    o.onProgress?.(rows);
  }
  if (o.signal?.aborted) throw new CsvExportCancelled('export cancelled');
  return rows;
}

/**
 * Writes to a file via a stream (never the whole export in memory). On failure or cancel the partial
 * file is removed, so a half-written CSV is never mistaken for a complete one.
 */
export async function writeCsvFile(path: string, pages: AsyncIterable<readonly CsvRow[]>, o: CsvWriteOptions = {}): Promise<number> {
  const out = createWriteStream(path, { encoding: 'utf8', mode: 0o600 });
  let streamError: Error | undefined;
  out.on('error', (e) => (streamError = e));
  const sink: CsvSink = {
    write: (chunk) =>
      new Promise<void>((resolve, reject) => {
        if (streamError) return reject(streamError);
        if (out.write(chunk)) return resolve();
        const onDrain = () => {
          out.off('error', onError);
          resolve();
        };
        const onError = (e: Error) => {
          out.off('drain', onDrain);
          reject(e);
        };
        out.once('drain', onDrain);
        out.once('error', onError);
      }),
  };
  try {
    const rows = await writeCsv(pages, sink, o);
    await new Promise<void>((resolve, reject) => {
      if (streamError) return reject(streamError);
      out.end(() => (streamError ? reject(streamError) : resolve()));
    });
    return rows;
  } catch (e) {
    out.destroy();
    await rm(path, { force: true });
    throw e;
  }
}

/** Default file name: `claude-usage-requests-7d-2026-11-21.csv`. */
export function defaultCsvName(dataset: CsvDataset, rangeLabel: string, now: Date): string {
  const day = isoLocal(now.getTime()).slice(0, 10);
  return `claude-usage-${dataset}-${rangeLabel.replace(/[^A-Za-z0-9_-]+/g, '-')}-${day}.csv`;
}
