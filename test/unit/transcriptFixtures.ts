// Shared by the transcript tests: the fixture transcripts (copied from the captured runs into
// test/fixtures/claude-code-otlp/<scenario>/transcripts/) and the OTLP api_request / tool_result
// records of the same runs, decoded with the project's own decoder.
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { decodeAndNormalize } from '../../src/core/otlp/ingest';
import { DEFAULT_INGEST_OPTIONS, type NormRecord } from '../../src/core/otlp/records';
import { splitLines } from '../../src/core/transcripts/lineSplitter';
import { parseTranscriptLine } from '../../src/core/transcripts/parse';
import type { ParseContext, ParseSkip, TranscriptItem } from '../../src/core/transcripts/transcriptRecords';

export const FIXTURES = join(__dirname, '..', 'fixtures', 'claude-code-otlp');
export const scenarios = readdirSync(FIXTURES).filter((d) => !d.endsWith('.md'));

function walk(dir: string): string[] {
  const out: string[] = [];
  for (const n of readdirSync(dir)) {
    const p = join(dir, n);
    if (statSync(p).isDirectory()) out.push(...walk(p));
    else if (n.endsWith('.jsonl')) out.push(p);
  }
  return out;
}

export function transcriptFiles(scenario: string): string[] {
  return walk(join(FIXTURES, scenario, 'transcripts'));
}

export function otlpRecords(scenario: string): NormRecord[] {
  const dir = join(FIXTURES, scenario);
  const out: NormRecord[] = [];
  for (const l of readFileSync(join(dir, 'index.jsonl'), 'utf8').trim().split('\n')) {
    const e = JSON.parse(l) as { file: string; signal: 'logs' | 'metrics' | 'traces'; content_encoding: string | null };
    if (e.signal !== 'logs') continue;
    let body: Buffer = readFileSync(join(dir, e.file));
    if (e.content_encoding === 'gzip') body = gunzipSync(body);
    const opts = { ...DEFAULT_INGEST_OPTIONS, storePromptText: true };
    out.push(...decodeAndNormalize('logs', e.file.endsWith('.json') ? 'json' : 'protobuf', body, opts).records);
  }
  return out;
}

export function ctxFor(file: string, over: Partial<ParseContext> = {}): ParseContext {
  const isSubagent = basename(dirname(file)) === 'subagents';
  return {
    projectDir: basename(isSubagent ? dirname(dirname(dirname(file))) : dirname(file)),
    fileSessionId: isSubagent ? basename(dirname(dirname(file))) : basename(file, '.jsonl'),
    isSubagent,
    storePromptText: false,
    storeCommands: true,
    maxCommandChars: 500,
    ...over,
  };
}

export function parseFile(file: string, over: Partial<ParseContext> = {}): { items: TranscriptItem[]; skips: ParseSkip[] } {
  const buf = readFileSync(file);
  const r = splitLines(buf, 0);
  const items: TranscriptItem[] = [];
  const skips: ParseSkip[] = [];
  for (const l of r.lines) {
    const p = parseTranscriptLine(l.text, ctxFor(file, over));
    if (Array.isArray(p)) items.push(...p);
    else skips.push(p);
  }
  return { items, skips };
}
