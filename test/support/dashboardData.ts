// Stores the dashboard's browser test and screenshots read, built from real Claude Code payloads
// (test/fixtures/claude-code-otlp) with the real decoder and LedgerDb, answered by the real named
// queries: nothing here shapes a DTO by hand.
// - `day`: every fixture scenario (one capture day, 2026-11-21), decoded with prompt capture on, plus
//   one session-title request (Claude Code's `generate_session_title`, which the print-mode captures
//   lack: a copy of a real api_request with that query source and no prompt) and the h-long-session
//   transcript with an `ai-title` line (a session with a title).
// - `days90`: `day` plus 90 days of history before it: copies of h-long-session (OTLP/JSON, as
//   bench/store.ts synthesizes them) shifted day by day, each copy its own session, request, trace and
//   repository, quiet weekends and busier days, so the charts show weeks of real-shaped data.
// "now" is one second after the last record, so "today" is the capture day.
import { readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { overviewOf } from '../../src/core/dashboard/overview';
import { decodeAndNormalize } from '../../src/core/otlp/ingest';
import { DEFAULT_INGEST_OPTIONS, type ApiRequestEvent, type NormRecord, type Signal } from '../../src/core/otlp/records';
import { runQuery } from '../../src/core/queries/runQuery';
import { LedgerDb, loadSqlJs } from '../../src/core/store/ledgerDb';
import { emptyCounts } from '../../src/core/transcripts/importSummary';
import { splitLines } from '../../src/core/transcripts/lineSplitter';
import { parseTranscriptLine } from '../../src/core/transcripts/parse';
import type { ParseContext, TranscriptItem } from '../../src/core/transcripts/transcriptRecords';
import { SESSION_TITLE_QUERY_SOURCE, type QueryApi, type QueryMethods, type QueryName } from '../../src/protocol/dto';
import type { DashboardFileDto, ParamsOf, RequestMethod, ResultOf } from '../../src/protocol/messages';

const ROOT = resolve(__dirname, '../..');
const FIXTURES = join(ROOT, 'test/fixtures/claude-code-otlp');
const DAY_NS = 86_400_000_000_000n;
const OPTS = { ...DEFAULT_INGEST_OPTIONS, storePromptText: true };
/** h-long-session's session (ground truth) and the transcript session with a title. */
const H_SESSION = '42d5777a-6d09-4974-9b92-53f158b9fbba';
const REPOS = ['acme-web', 'billing-api', 'acme-web', 'docs-site', 'acme-web'];

export const DATASETS = ['day', 'days90'] as const;
export type DatasetName = (typeof DATASETS)[number];

interface Entry {
  file: string;
  signal: Signal;
  content_type: string;
  content_encoding: string | null;
}
const index = (scenario: string): Entry[] =>
  readFileSync(join(FIXTURES, scenario, 'index.jsonl'), 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as Entry);

function scenarioRecords(scenario: string): NormRecord[][] {
  return index(scenario).map((e) => {
    let body: Uint8Array = readFileSync(join(FIXTURES, scenario, e.file));
    if (e.content_encoding === 'gzip') body = gunzipSync(body);
    return decodeAndNormalize(e.signal, e.content_type.includes('json') ? 'json' : 'protobuf', body, OPTS).records;
  });
}

function lastMs(batches: NormRecord[][]): number {
  let max = 0;
  for (const b of batches) for (const r of b) max = Math.max(max, r.kind === 'span' ? r.endMs : r.timeMs);
  return max;
}

/** A copy of a real api_request as Claude Code's session-title request: own request id, no prompt, the title query source. */
function titleRequest(batches: NormRecord[][]): NormRecord[] {
  const src = batches.flat().find((r): r is ApiRequestEvent => r.kind === 'apiRequest' && r.sessionId === '4781e320-d350-4937-a649-b56fa707eee7');
  const any = src ?? batches.flat().find((r): r is ApiRequestEvent => r.kind === 'apiRequest')!;
  return [
    {
      ...any,
      requestId: `${any.requestId ?? 'req'}_title`,
      promptId: undefined,
      traceId: undefined,
      spanId: undefined,
      sequence: 9_000,
      timeMs: any.timeMs + 900,
      querySource: SESSION_TITLE_QUERY_SOURCE,
      inputTokens: 412,
      outputTokens: 9,
      cacheReadTokens: 0,
      cacheCreationTokens: 0,
      costUsd: 0.002285,
      durationMs: 640,
    },
  ];
}

function importTitle(db: LedgerDb): void {
  const dir = join(FIXTURES, 'h-long-session', 'transcripts', '-home-dev-projects-acme-web');
  const f = join(dir, `${H_SESSION}.jsonl`);
  const text = readFileSync(f, 'utf8') + `${JSON.stringify({ type: 'ai-title', aiTitle: 'Add a greeting and count words in notes', sessionId: H_SESSION })}\n`;
  const ctx: ParseContext = {
    projectDir: '-home-dev-projects-acme-web', fileSessionId: H_SESSION, isSubagent: false, storePromptText: true, storeCommands: true, maxCommandChars: 500,
  };
  const items: TranscriptItem[] = [];
  for (const l of splitLines(Buffer.from(text), 0).lines) {
    const r = parseTranscriptLine(l.text, ctx);
    if (Array.isArray(r)) items.push(...r);
  }
  const size = statSync(f).size;
  db.applyTranscript(items, { path: f, ino: 1, size, projectDir: ctx.projectDir, mtimeMs: 0 }, { offset: size, skipping: false, lines: items.length }, emptyCounts());
}

/** Payloads of one shifted copy of h-long-session (OTLP/JSON, ids made unique per copy). */
function shiftedCopy(copy: number, shiftNs: bigint, repo: string): { signal: Signal; body: Buffer }[] {
  return index('h-long-session').map((e) => {
    const json = readFileSync(join(FIXTURES, 'h-long-session', e.file.replace(/\.bin$/, '.decoded.json')), 'utf8')
      .split(H_SESSION).join(`hist${String(copy).padStart(4, '0')}-0000-4000-8000-000000000000`)
      .split('req_fake').join(`req_h${copy.toString(36)}_`)
      .replace(/"traceId": "([0-9a-f]{8})/g, (_m, p: string) => `"traceId": "${(parseInt(p, 16) ^ (copy + 1)).toString(16).padStart(8, '0')}`)
      .replace(/("key": "repo\.name",\s*"value": \{\s*"stringValue": )"demo"/g, `$1"${repo}"`)
      // Some days on other models (Claude Code reports each request's cost itself, so prices need not be known).
      .split('claude-opus-4-8').join(copy % 3 === 1 ? 'claude-sonnet-4-6' : copy % 5 === 2 ? 'claude-haiku-4-5' : 'claude-opus-4-8')
      .replace(/"(\w*[Tt]imeUnixNano)": "(\d+)"/g, (_m, k: string, v: string) => `"${k}": "${BigInt(v) - shiftNs}"`);
    return { signal: e.signal, body: Buffer.from(json) };
  });
}

export interface Dataset {
  db: LedgerDb;
  nowMs: number;
  api: QueryApi;
  /** The dashboard's requests answered as the host answers them (src/host/dashboardPanel.ts), over the real queries. */
  request<M extends RequestMethod>(method: M, params: ParamsOf<M>): Promise<ResultOf<M>>;
  close(): void;
}

export async function openDataset(name: DatasetName, workspace: string, missing: readonly string[]): Promise<Dataset> {
  const db = LedgerDb.open(await loadSqlJs(join(ROOT, 'node_modules/sql.js/dist/sql-wasm.wasm')));
  const dirs = ['a-plain-text', 'b-write-edit-bash', 'c-denied-tool', 'd-api-errors', 'e-mcp-tool', 'h-long-session', 'l-defaults-redacted'];
  const day = dirs.flatMap(scenarioRecords);
  if (name === 'days90') {
    // Before the capture day: day d (1..90) back, one copy on weekdays, two on every third, none on Sundays.
    let copy = 0;
    for (let d = 90; d >= 1; d--) {
      const n = d % 7 === 0 ? 0 : d % 3 === 0 ? 2 : 1;
      for (let k = 0; k < n; k++) {
        const shift = BigInt(d) * DAY_NS - BigInt(k) * 3_600_000_000_000n;
        for (const p of shiftedCopy(copy, shift, REPOS[copy % REPOS.length])) db.apply(decodeAndNormalize(p.signal, 'json', p.body, OPTS).records);
        copy++;
      }
    }
  }
  for (const b of day) db.apply(b);
  db.apply(titleRequest(day));
  importTitle(db);
  const nowMs = lastMs(day) + 1000;
  const ctx = () => ({ sql: db.sql, nowMs, dataVersion: db.dataVersion, lastEventMs: db.lastEventMs });
  const q = <M extends QueryName>(m: M, p: QueryMethods[M]['params']) => runQuery(ctx(), m, p);
  const api: QueryApi = { query: async (m, p) => q(m, p) };
  const handlers: { [M in RequestMethod]: (p: ParamsOf<M>) => Promise<ResultOf<M>> } = {
    'overview/get': (p) => overviewOf(api, p.range, { dailyUsd: null, monthlyUsd: null }, nowMs),
    'sessions/list': async (p) => q('sessions', p),
    'sessions/timeline': async (p) => q('sessionTimeline', p),
    'files/list': async (p) => {
      const dto = q('filesEdited', p);
      return {
        range: dto.range,
        files: dto.files.map((x): DashboardFileDto => {
          // As relativeToWorkspace in the host: inside the (one) workspace folder, relative.
          const inside = x.path.startsWith(workspace + '/');
          return { ...x, displayPath: inside ? x.path.slice(workspace.length + 1) : x.path, workspaceFolder: inside ? 'acme-web' : null, exists: !missing.includes(x.path) };
        }),
      };
    },
    'acceptance/get': async (p) => q('acceptance', p),
    'tools/get': async (p) => ({ tools: q('toolStats', p), errors: q('apiErrors', p) }),
    'status/get': async () => q('status', {}),
    'limits/get': async () => q('planLimits', {}),
    'productivity/get': async (p) => q('productivity', p),
  };
  return {
    db,
    nowMs,
    api,
    request: (m, p) => (handlers[m] as (p: unknown) => Promise<never>)(p),
    close: () => db.close(),
  };
}
