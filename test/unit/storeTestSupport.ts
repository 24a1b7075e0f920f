// Test support for the store tests (not a test file): fixture payloads in arrival order, decoded
// with the real ingest code, and a sql.js loader pointing at node_modules.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { DEFAULT_INGEST_OPTIONS, type NormRecord, type Signal } from '../../src/core/otlp/records';
import { decodeAndNormalize } from '../../src/core/otlp/ingest';
import { loadSqlJs } from '../../src/core/store/ledgerDb';

export const ROOT = path.resolve(__dirname, '../..');
export const FIXTURES = path.join(ROOT, 'test/fixtures/claude-code-otlp');
/** Captures kept apart from FIXTURES (no ground-truth.json): the git commit and pull request run. */
export const GIT_FIXTURES = path.join(ROOT, 'test/fixtures/claude-code-git');
export const WASM = path.join(ROOT, 'node_modules/sql.js/dist/sql-wasm.wasm');

export const sqlJs = () => loadSqlJs(WASM);

export interface Payload {
  signal: Signal;
  encoding: 'protobuf' | 'json';
  body: Uint8Array;
  file: string;
}

export function scenarios(): string[] {
  return readdirSync(FIXTURES, { withFileTypes: true })
    .filter((d) => d.isDirectory())
    .map((d) => d.name)
    .sort();
}

/** Payloads of a scenario in arrival order, decompressed as the receiver would. */
export function payloads(scenario: string, root = FIXTURES): Payload[] {
  const dir = path.join(root, scenario);
  return readFileSync(path.join(dir, 'index.jsonl'), 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as { file: string; signal: Signal; content_type: string; content_encoding: string | null })
    .map((e) => {
      let body: Uint8Array = readFileSync(path.join(dir, e.file));
      if (e.content_encoding === 'gzip') body = gunzipSync(body);
      return { signal: e.signal, encoding: e.content_type.includes('json') ? 'json' : 'protobuf', body, file: e.file } as Payload;
    });
}

export function records(scenario: string, root = FIXTURES): NormRecord[][] {
  return payloads(scenario, root).map((p) => decodeAndNormalize(p.signal, p.encoding, p.body, DEFAULT_INGEST_OPTIONS).records);
}

export interface GroundTruth {
  api_requests: { count: number; cost_usd: number; tokens: { input: number; output: number; cache_read: number; cache_creation: number } };
  metrics: {
    code_edit_tool_decision?: { decision: string; tool_name: string; language: string; value: number }[];
    cost_usage_usd: number; token_usage: { input: number; output: number; cache_read: number; cache_creation: number }; lines_of_code: { added?: number; removed?: number } };
  sessions: { count: number; ids: string[]; per_session: Record<string, { user_prompts: number; api_requests: number; cost_usd: number; cost_usd_metric: number }> };
  tool_results: { count: number; by_tool_name_and_success: Record<string, Record<string, number>> };
  tool_decisions: { count: number; by_decision_and_source: Record<string, Record<string, number>> };
  file_paths: { all: string[]; from_tool_result: Record<string, Record<string, number>> };
  log_events_by_name: Record<string, number>;
  spans: { count: number; by_name: Record<string, number> };
}

export function groundTruth(scenario: string): GroundTruth {
  return JSON.parse(readFileSync(path.join(FIXTURES, scenario, 'ground-truth.json'), 'utf8')) as GroundTruth;
}

/** A "now" inside the fixtures' capture day, so that "today" covers them. */
export function nowOf(recs: NormRecord[][]): number {
  let max = 0;
  for (const b of recs) for (const r of b) max = Math.max(max, r.kind === 'span' ? r.endMs : r.timeMs);
  return max + 1000;
}
