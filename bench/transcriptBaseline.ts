// The transcript import's bare baseline (bench/transcripts.ts prints it beside the import): the rows the
// import writes (requests, tool uses, prompts), taken from the same corpus by the ledger's own reader,
// parser and collapse (a sample of up to SAMPLE_MB, as the DB worker reads it: 1 MB chunks), inserted by
// bare sql.js (one table, prepared inserts, 1,000 per transaction, no index). Also the reading + parsing
// alone on that sample, so the import's time can be split.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { loadSqlJs } from '../src/core/store/ledgerDb';
import { collapseChunk } from '../src/core/transcripts/collapse';
import { parseTranscriptLine } from '../src/core/transcripts/parse';
import { readTranscriptChunk } from '../src/core/transcripts/readChunk';
import type { ParseContext, TranscriptItem } from '../src/core/transcripts/transcriptRecords';

const ROOT = path.resolve(__dirname, '..');
const SAMPLE_MB = 128;
const CHUNK_BYTES = 1024 * 1024;

function jsonlFiles(dir: string, out: string[] = []): string[] {
  for (const e of readdirSync(dir).sort()) {
    const p = path.join(dir, e);
    if (statSync(p).isDirectory()) jsonlFiles(p, out);
    else if (p.endsWith('.jsonl')) out.push(p);
  }
  return out;
}

export interface TranscriptBaseline {
  sampleMb: number;
  /** Rows (requests + tool uses + prompts) in the sample. */
  rows: number;
  /** Reading + splitting + parsing + collapsing the sample, MB/s and rows/s (one thread, no store). */
  parseMbPerS: number;
  parseRowsPerS: number;
  /** Bare sql.js inserts of those rows. */
  bareRowsPerS: number;
  /** JSON.parse alone of every line of the sample, as rows/s (the floor of any transcript reader). */
  jsonParseRowsPerS: number;
}

export async function transcriptBaseline(projectsDir: string): Promise<TranscriptBaseline> {
  const items: TranscriptItem[] = [];
  let bytes = 0;
  const t0 = performance.now();
  for (const file of jsonlFiles(projectsDir)) {
    if (bytes >= SAMPLE_MB * 1048576) break;
    const base = path.basename(file, '.jsonl');
    const isSubagent = file.split(path.sep).includes('subagents');
    const ctx: ParseContext = {
      projectDir: path.dirname(file),
      isSubagent,
      fileSessionId: isSubagent ? file.split(path.sep).slice(-3, -2)[0] : base,
      fileAgentId: isSubagent && base.startsWith('agent-') ? base.slice('agent-'.length) : undefined,
      storePromptText: false,
      storeCommands: false,
      maxCommandChars: 200,
      maxPromptChars: 10_000,
    };
    let pos: { ino: number; position: number; skipping: boolean } | undefined;
    for (;;) {
      const read = readTranscriptChunk(file, pos, CHUNK_BYTES);
      if (!read) break;
      bytes += read.bytes;
      const chunk: TranscriptItem[] = [];
      for (const line of read.lines) {
        const r = parseTranscriptLine(line.text, ctx);
        if (Array.isArray(r)) for (const it of r) chunk.push(it);
      }
      for (const it of collapseChunk(chunk).items) if (it.kind === 'request' || it.kind === 'toolUse' || it.kind === 'prompt') items.push(it);
      if (read.done) break;
      pos = { ino: read.ino, position: read.next.offset, skipping: read.next.skipping };
    }
  }
  const parseS = (performance.now() - t0) / 1000;
  const files = jsonlFiles(projectsDir);
  // The floor under any reader of this format: JSON.parse of every line of the same sample, nothing else.
  let jsonMs = 0;
  let jsonBytes = 0;
  for (const file of files) {
    if (jsonBytes >= bytes) break;
    const buf = readFileSync(file);
    jsonBytes += buf.length;
    const lines = buf.toString('utf8').split('\n');
    const j0 = performance.now();
    for (const l of lines) {
      if (l === '') continue;
      try {
        JSON.parse(l);
      } catch {
        // malformed lines are part of the corpus
      }
    }
    jsonMs += performance.now() - j0;
  }

  const SQL = await loadSqlJs(path.join(ROOT, 'dist/sql-wasm.wasm'));
  const db = new SQL.Database();
  db.exec(`CREATE TABLE tr (kind TEXT, session TEXT, time_ms REAL, request_id TEXT, message_id TEXT, model TEXT, input INT, output INT, cache_read INT,
    cache_creation INT, tool TEXT, tool_use_id TEXT, path TEXT, lines_added INT, lines_removed INT, prompt_id TEXT, length INT)`);
  const st = db.prepare('INSERT INTO tr VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)');
  // The sample's rows, passed over until >= 200,000 rows and >= 0.5 s, after one warm-up pass (sql.js's
  // wasm is compiled lazily: a short measurement would time its compiler, not the inserts).
  let n = 0;
  let t1 = 0;
  let measured = 0;
  for (let pass = 0; pass === 0 || measured < 200_000 || performance.now() - t1 < 500; pass++) {
    if (pass === 1) {
      t1 = performance.now();
      measured = 0;
    }
    n += insertAll(db, st, items);
    measured += items.length;
    if (items.length === 0) break;
  }
  void n;
  const bareS = (performance.now() - t1) / 1000;
  st.free();
  db.close();
  return {
    sampleMb: bytes / 1048576, rows: items.length, parseMbPerS: bytes / 1048576 / parseS, parseRowsPerS: items.length / parseS, bareRowsPerS: measured / bareS,
    jsonParseRowsPerS: (items.length * (jsonBytes / bytes)) / (jsonMs / 1000),
  };
}

type Db = InstanceType<Awaited<ReturnType<typeof loadSqlJs>>['Database']>;

function insertAll(db: Db, st: ReturnType<Db['prepare']>, items: TranscriptItem[]): number {
  db.exec('BEGIN');
  let n = 0;
  for (const it of items) {
    if (it.kind === 'request') {
      st.run([it.kind, it.sessionId, it.timeMs ?? null, it.requestId ?? null, it.messageId ?? null, it.modelNorm, it.usage.input, it.usage.output, it.usage.cacheRead,
        it.usage.cacheCreation, null, null, null, null, null, null, null]);
    } else if (it.kind === 'toolUse') {
      st.run([it.kind, it.sessionId, it.timeMs ?? null, it.requestId ?? null, it.messageId ?? null, null, null, null, null, null, it.toolName, it.toolUseId ?? null,
        it.filePath ?? null, it.linesAdded ?? null, it.linesRemoved ?? null, null, null]);
    } else if (it.kind === 'prompt') {
      st.run([it.kind, it.sessionId, it.timeMs ?? null, null, null, null, null, null, null, null, null, null, null, null, null, it.promptId ?? null, it.length]);
    }
    if (++n % 1000 === 0) {
      db.exec('COMMIT');
      db.exec('BEGIN');
    }
  }
  db.exec('COMMIT');
  return n;
}
