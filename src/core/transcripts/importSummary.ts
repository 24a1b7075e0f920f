// What one import step and one whole import did: the contract between the import runner
// (src/server/transcripts/transcriptImporter.ts), the DB worker that applies a file chunk, the CLI's
// `import` summary and the progress notification. Pure: types, an accumulator and the text form.

import type { SkipReason } from './transcriptRecords';

/** Why a transcript line was not used, in words (every SkipReason has one: a missing one does not compile). */
export const SKIP_REASON_TEXT: Record<SkipReason, string> = {
  malformed_json: 'not valid JSON',
  not_an_object: 'JSON that is not an object',
  too_long: 'longer than the 16 MiB line bound',
  invalid_utf8: 'not valid UTF-8',
  binary: 'binary data (NUL bytes)',
  out_of_range: 'a number outside its bound',
  synthetic: 'a <synthetic> message (not an API request)',
  api_error_message: 'an API error message (not a billed request)',
};

/** A file found under a transcript root (what the runner asks the worker to read). */
export interface TranscriptFileRef {
  /** Absolute path. */
  path: string;
  /** The project folder name (`-home-dev-projects-acme-web`), for the repo when lines carry no cwd. */
  projectDir: string;
  isSubagent: boolean;
  size: number;
  mtimeMs: number;
  /** Inode: a replaced file (same path, new inode) is read again from the start. */
  ino: number;
}

/** One worker step: read at most maxBytes of one file from its stored position and apply it. */
export interface ImportChunkRequest {
  file: TranscriptFileRef;
  maxBytes: number;
}

export interface ImportCounts {
  /** Complete lines read (a half-written last line is not counted until it is complete). */
  lines: number;
  bytes: number;
  /** Requests new to the ledger. */
  requestsAdded: number;
  /** Requests already imported (content-block lines, streaming snapshots, replays, file copies). */
  duplicates: number;
  /** Requests skipped because Claude Code's OTLP api_request for the same request id is already here. */
  knownFromOtlp: number;
  /** Imported rows whose usage grew (a later streaming snapshot of the same message). */
  updated: number;
  prompts: number;
  toolUses: number;
  skipped: Partial<Record<SkipReason, number>>;
}

export interface ImportChunkResult extends ImportCounts {
  /** Byte position stored for the file after this step. */
  position: number;
  /** true when the file has no complete line left to read (at its current size). */
  done: boolean;
  /** true when the file was read again from the start (it shrank or was replaced). */
  restarted: boolean;
  /** Examples of skipped lines for the log (bounded): "path at byte N: reason". */
  skipSamples: string[];
  /** The file was deleted before it could be read (what was imported from it stays). */
  gone?: boolean;
}

export interface ImportSummary extends ImportCounts {
  files: number;
  /** Files that had something new. */
  filesRead: number;
  /** Roots or files that could not be read, with why. */
  problems: string[];
  /** Roots that do not exist (normal before Claude Code's first run). */
  missingRoots: string[];
  seconds: number;
  cancelled: boolean;
}

export function emptyCounts(): ImportCounts {
  return { lines: 0, bytes: 0, requestsAdded: 0, duplicates: 0, knownFromOtlp: 0, updated: 0, prompts: 0, toolUses: 0, skipped: {} };
}

export function emptySummary(): ImportSummary {
  return { ...emptyCounts(), files: 0, filesRead: 0, problems: [], missingRoots: [], seconds: 0, cancelled: false };
}

/** Adds b's counts into a (in place). */
export function addCounts(a: ImportCounts, b: ImportCounts): void {
  a.lines += b.lines;
  a.bytes += b.bytes;
  a.requestsAdded += b.requestsAdded;
  a.duplicates += b.duplicates;
  a.knownFromOtlp += b.knownFromOtlp;
  a.updated += b.updated;
  a.prompts += b.prompts;
  a.toolUses += b.toolUses;
  for (const [k, n] of Object.entries(b.skipped) as [SkipReason, number][]) a.skipped[k] = (a.skipped[k] ?? 0) + n;
}

export function skippedTotal(c: ImportCounts): number {
  let n = 0;
  for (const v of Object.values(c.skipped)) n += v ?? 0;
  return n;
}

/** Lines Claude Code writes that are not billed requests (skipped by design, not damage). */
const NOT_REQUESTS: ReadonlySet<SkipReason> = new Set(['synthetic', 'api_error_message']);

/** Skipped lines that could not be read (damaged, too long, not JSON...): what a user may want to look at. */
export function unreadableTotal(c: ImportCounts): number {
  let n = 0;
  for (const [k, v] of Object.entries(c.skipped) as [SkipReason, number][]) if (!NOT_REQUESTS.has(k)) n += v;
  return n;
}

/** The human summary `cli.js import` prints and the log keeps. */
export function formatSummary(s: ImportSummary): string {
  const lines = [
    `${s.cancelled ? 'Import cancelled' : 'Import finished'} in ${s.seconds.toFixed(1)} s: ${s.files} transcript file(s), ${s.filesRead} with new lines, ${s.lines} line(s) read (${(s.bytes / 1e6).toFixed(1)} MB)`,
    `  requests added: ${s.requestsAdded}`,
    `  duplicates (same request or message already imported): ${s.duplicates}`,
    `  already known from OTLP (Claude Code's own cost kept): ${s.knownFromOtlp}`,
    `  updated to a larger streaming snapshot: ${s.updated}`,
    `  prompts: ${s.prompts}, tool uses: ${s.toolUses}`,
  ];
  const skipped = Object.entries(s.skipped) as [SkipReason, number][];
  if (skipped.length === 0) lines.push('  lines skipped: 0');
  else {
    lines.push(`  lines skipped: ${skippedTotal(s)}`);
    for (const [k, n] of skipped) lines.push(`    ${n} x ${SKIP_REASON_TEXT[k]} (${k})`);
  }
  for (const r of s.missingRoots) lines.push(`  not found (nothing to import there): ${r}`);
  for (const p of s.problems) lines.push(`  problem: ${p}`);
  return `${lines.join('\n')}\n`;
}
