// Deterministic generator of a Claude Code transcript history (a `projects/` tree like ~/.claude/projects),
// for the transcript bench, the importer's tests and the demo. Not a test itself.
//
//   node --import tsx bench/transcriptCorpus.ts --out DIR --mb 1024 --seed 1 [--days 60 --end ISO|now]
//
// writes DIR/projects/-home-dev-projects-<name>/<session>.jsonl (+ <session>/subagents/agent-<id>.jsonl)
// and prints a JSON summary with the ground truth an importer must reproduce.
//
// Line shapes (field names and order) are those of Claude Code 2.1.197's own transcripts in
// test/fixtures/claude-code-otlp/*/transcripts; `<synthetic>` / API-error lines follow the shape of
// the same binary's synthetic assistant message. What the corpus contains, on purpose:
// - one API response written as several lines (one per content block) sharing message.id and
//   requestId; the early lines carry a placeholder output_tokens, the last one the real usage;
// - subagent files (isSidechain, agentId, the parent's sessionId), tool uses with realistic inputs
//   and tool_result lines, queue-operation / attachment / last-prompt / ai-title / summary lines;
// - `<synthetic>` lines and API-error lines (not requests, zero usage);
// - replays: a resumed session's file starts with a copy of the end of the earlier session of the
//   same project (same uuid, message.id, timestamps; sessionId rewritten); for some copied messages
//   the requestId is new (the `/btw` / continue case, ccusage #913): still not a new request.
// Ground truth: every request counted once, keyed by message.id, with its largest usage, on the UTC
// day of its lines (a message's lines never straddle midnight). `ccusageStyle` is the same count
// keyed by (message.id, requestId) — what a peer deduping on that pair reports — so a difference to
// the truth can be explained exactly.
//
// Memory is bounded: files are written one at a time through a 1 MB buffer; only a short tail of
// each project's last session is kept (for replays).
import { closeSync, mkdirSync, openSync, writeSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { priceFor } from '../src/core/pricing/priceTable';

export interface CorpusOptions {
  /** The corpus goes to `<outDir>/projects/...` (so `CLAUDE_CONFIG_DIR=<outDir>` reads it). */
  outDir: string;
  /** Target size in MB (1 MB = 2^20 bytes); generation stops at the first session that reaches it. */
  mb: number;
  seed?: number;
  /** Length of the history, in days, ending on `end`'s UTC day. */
  days?: number;
  /** Last instant of the history (no line after it). Default: a fixed date, so output is reproducible. */
  end?: Date | string;
}

export interface TokenTotals {
  requests: number;
  input: number;
  output: number;
  cacheCreation: number;
  cacheCreation5m: number;
  cacheCreation1h: number;
  cacheRead: number;
  webSearchRequests: number;
  /**
   * Tokens priced with the bundled table (src/core/pricing/priceTable.ts): input, output, 5-minute and
   * 1-hour cache writes, cache reads; web search not included. Computed from the integer token sums
   * per model, models in sorted order, so it does not depend on the order requests are counted in.
   */
  costUsd: number;
}

/** Per-token prices of `model` in the bundled table (USD per million tokens). */
export function tableCostUsd(t: Omit<TokenTotals, 'costUsd'>, model: string): number {
  const p = priceFor(model);
  if (!p) throw new Error(`the bundled price table does not know ${model}`);
  return (t.input * p.input + t.output * p.output + t.cacheCreation5m * p.cacheWrite5m + t.cacheCreation1h * p.cacheWrite1h + t.cacheRead * p.cacheRead) / 1e6;
}

export interface CorpusSummary {
  seed: number;
  days: number;
  end: string;
  projects: number;
  sessions: number;
  files: number;
  subagentFiles: number;
  lines: number;
  bytes: number;
  mb: number;
  /** Distinct API requests (message.id) = truth.totals.requests. */
  distinctRequests: number;
  assistantLines: number;
  syntheticLines: number;
  apiErrorLines: number;
  resumedSessions: number;
  replayedLines: number;
  /** Replayed messages whose copy carries a new requestId (counted twice by a (message.id, requestId) dedupe). */
  replayedNewRequestId: number;
  models: string[];
  truth: { totals: TokenTotals; byDay: Record<string, TokenTotals>; byModel: Record<string, TokenTotals> };
  ccusageStyle: { totals: TokenTotals; byDay: Record<string, TokenTotals>; byModel: Record<string, TokenTotals> };
}

export const DEFAULT_END = '2026-11-21T20:00:00.000Z';
export const CORPUS_VERSION = '2.1.197';

/** Models known to both the bundled price table and ccusage 20.0.24's offline prices, with weights. */
export const CORPUS_MODELS: readonly [string, number][] = [
  ['claude-sonnet-4-5-20250929', 50],
  ['claude-opus-4-1-20250805', 12],
  ['claude-opus-4-5-20251101', 13],
  ['claude-haiku-4-5-20251001', 15],
  ['claude-sonnet-4-20250514', 10],
];
const SUBAGENT_MODEL = 'claude-haiku-4-5-20251001';

const DAY_MS = 86_400_000;
const FLUSH_BYTES = 1 << 20;
const REPLAY_TAIL_LINES = 40;

// ---------------------------------------------------------------- PRNG and ids

/** sfc32: small, fast, good enough for synthetic data, and identical on every platform. */
class Rng {
  private a: number;
  private b: number;
  private c: number;
  private d: number;
  constructor(seed: number) {
    this.a = 0x9e3779b9;
    this.b = 0x243f6a88;
    this.c = 0xb7e15162;
    this.d = seed >>> 0;
    for (let i = 0; i < 16; i++) this.u32();
  }
  u32(): number {
    const t = (((this.a + this.b) | 0) + this.d) | 0;
    this.d = (this.d + 1) | 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) | 0;
    this.c = (this.c << 21) | (this.c >>> 11);
    this.c = (this.c + t) | 0;
    return t >>> 0;
  }
  next(): number {
    return this.u32() / 4294967296;
  }
  int(lo: number, hi: number): number {
    return lo + Math.floor(this.next() * (hi - lo + 1));
  }
  chance(p: number): boolean {
    return this.next() < p;
  }
  pick<T>(xs: readonly T[]): T {
    return xs[Math.floor(this.next() * xs.length)];
  }
  weighted<T>(xs: readonly (readonly [T, number])[]): T {
    let total = 0;
    for (const [, w] of xs) total += w;
    let r = this.next() * total;
    for (const [x, w] of xs) if ((r -= w) < 0) return x;
    return xs[xs.length - 1][0];
  }
  /** Log-normal-ish positive integer around `median`. */
  around(median: number, spread = 0.8): number {
    const g = (this.next() + this.next() + this.next() - 1.5) * 2;
    return Math.max(1, Math.round(median * Math.exp(g * spread)));
  }
  hex(n: number): string {
    let s = '';
    while (s.length < n) s += this.u32().toString(16).padStart(8, '0');
    return s.slice(0, n);
  }
  b62(n: number): string {
    const A = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
    let s = '';
    for (let i = 0; i < n; i++) s += A[this.u32() % 62];
    return s;
  }
  uuid(): string {
    const h = this.hex(32);
    return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-${'89ab'[this.u32() & 3]}${h.slice(17, 20)}-${h.slice(20, 32)}`;
  }
}

// ---------------------------------------------------------------- text material

const PROJECT_NAMES = [
  'acme-web', 'billing-api', 'infra-terraform', 'mobile-app', 'data-pipeline', 'design-system', 'auth-service',
  'search-indexer', 'docs-site', 'cli-tools', 'ml-experiments', 'payments-gateway', 'notification-worker',
  'admin-dashboard', 'graphql-gateway', 'etl-jobs', 'chat-widget', 'feature-flags', 'image-resizer', 'analytics-sdk',
  'legacy-monolith', 'k8s-operators', 'video-transcoder', 'edge-functions', 'crm-sync', 'inventory-service',
  'pdf-renderer', 'rate-limiter', 'scheduler', 'audit-log',
];
const BRANCHES = ['main', 'main', 'main', 'develop', 'feature/login-flow', 'fix/null-deref', 'feat/export-csv', 'chore/deps', 'HEAD'];
const EXTS = ['ts', 'ts', 'tsx', 'py', 'go', 'rs', 'md', 'json', 'sql', 'yaml'];
const DIRS = ['src', 'src/lib', 'src/api', 'src/components', 'test', 'scripts', 'internal/store', 'pkg/server', 'docs', 'config'];
const STEMS = ['index', 'server', 'client', 'utils', 'handler', 'models', 'routes', 'config', 'auth', 'cache', 'worker', 'parser', 'schema', 'queue', 'metrics', 'session', 'billing', 'README'];
const VERBS = ['Fix', 'Add', 'Refactor', 'Explain', 'Review', 'Speed up', 'Document', 'Test', 'Rename', 'Remove', 'Debug', 'Migrate'];
const OBJECTS = ['the login redirect', 'the CSV export', 'retry logic in the HTTP client', 'the flaky integration test', 'pagination on the orders endpoint', 'the cache invalidation', 'error handling in the worker', 'the date parsing bug', 'type errors after the upgrade', 'the Dockerfile', 'the rate limiter', 'memory growth in the queue consumer', 'the settings page layout'];
const TAILS = ['', ' please', ', keep the public API unchanged', ' and add a test', '. Run the tests after.', ' — it fails on CI only', ', see the stack trace below'];
const CMDS = ['npm test', 'npm run build', 'git status', 'git diff --stat', 'ls -la', 'pytest -q', 'go test ./...', 'cargo test', 'npx tsc --noEmit', 'rg -n "TODO" src', 'docker compose ps', 'make lint', 'git log --oneline -n 10'];
const SAY = ['I will look at the relevant files first.', 'Let me check how this is wired.', 'The failure comes from a missing null check.', 'I have updated the handler and added a regression test.', 'All tests pass now.', 'Here is what changed and why:', 'The root cause is a race between the two writers.', 'Let me run the test suite to confirm.', 'I found the place where the timestamp is parsed in local time.', 'This needs a small refactor so the retry is idempotent.'];
const WORDS = 'const let return if else for while await async function import export from type interface class new this null undefined true false value result error items config options request response user data index count total map filter reduce push length string number boolean Promise resolve reject throw catch try finally'.split(' ');

/** A pool of code-like lines, built once per generator from the seed, reused by every file body. */
function codePool(rng: Rng, n: number): string[] {
  const pool: string[] = [];
  for (let i = 0; i < n; i++) {
    const indent = '  '.repeat(rng.int(0, 3));
    const k = rng.int(2, 9);
    const ws: string[] = [];
    for (let j = 0; j < k; j++) ws.push(rng.pick(WORDS));
    const end = rng.pick([';', ' {', '', ')', ',', ' }']);
    pool.push(rng.chance(0.08) ? '' : `${indent}${ws.join(' ')}${end}`);
  }
  return pool;
}

const AGENT_LISTING = {
  type: 'agent_listing_delta',
  addedTypes: ['claude', 'Explore', 'general-purpose', 'Plan', 'statusline-setup'],
  addedLines: [
    "- claude: Catch-all for any task that doesn't fit a more specific agent. (Tools: *)",
    '- Explore: Read-only search agent for broad fan-out searches. (Tools: All tools except Agent, Artifact, ExitPlanMode, Edit, Write, NotebookEdit)',
    '- general-purpose: General-purpose agent for researching complex questions, searching for code, and executing multi-step tasks. (Tools: *)',
    '- Plan: Software architect agent for designing implementation plans. (Tools: All tools except Agent, Artifact, ExitPlanMode, Edit, Write, NotebookEdit)',
    "- statusline-setup: Use this agent to configure the user's Claude Code status line setting. (Tools: Read, Edit)",
  ],
  removedTypes: [],
  isInitial: true,
  showConcurrencyNote: true,
};
const SKILL_LISTING = {
  type: 'skill_listing',
  content: [
    '- update-config: Use this skill to configure the Claude Code harness via settings.json.',
    '- keybindings-help: Use when the user wants to customize keyboard shortcuts.',
    '- verify: Verify that a code change actually does what it is supposed to by running the app.',
    '- code-review: Review the current diff for correctness bugs and cleanups.',
    '- simplify: Review the changed code for reuse, simplification and efficiency, then apply the fixes.',
    '- loop: Run a prompt or slash command on a recurring interval.',
  ].join('\n'),
  isInitial: true,
};

// ---------------------------------------------------------------- totals

const zero = (): TokenTotals => ({ requests: 0, input: 0, output: 0, cacheCreation: 0, cacheCreation5m: 0, cacheCreation1h: 0, cacheRead: 0, webSearchRequests: 0, costUsd: 0 });

interface Usage {
  input_tokens: number;
  cache_creation_input_tokens: number;
  cache_read_input_tokens: number;
  output_tokens: number;
  server_tool_use: { web_search_requests: number; web_fetch_requests: number };
  service_tier: string;
  cache_creation: { ephemeral_1h_input_tokens: number; ephemeral_5m_input_tokens: number };
  inference_geo: string;
  iterations: never[];
  speed: string;
}

function addUsage(t: TokenTotals, u: Usage): void {
  t.requests++;
  t.input += u.input_tokens;
  t.output += u.output_tokens;
  t.cacheCreation += u.cache_creation_input_tokens;
  t.cacheCreation5m += u.cache_creation.ephemeral_5m_input_tokens;
  t.cacheCreation1h += u.cache_creation.ephemeral_1h_input_tokens;
  t.cacheRead += u.cache_read_input_tokens;
  t.webSearchRequests += u.server_tool_use.web_search_requests;
}

function addTotals(t: TokenTotals, x: TokenTotals): void {
  t.requests += x.requests;
  t.input += x.input;
  t.output += x.output;
  t.cacheCreation += x.cacheCreation;
  t.cacheCreation5m += x.cacheCreation5m;
  t.cacheCreation1h += x.cacheCreation1h;
  t.cacheRead += x.cacheRead;
  t.webSearchRequests += x.webSearchRequests;
  t.costUsd += x.costUsd;
}

/** Integer token sums per day and model -> totals, by day and by model, each with its table cost. */
type DayModel = Map<string, Map<string, TokenTotals>>;
function rollUp(dm: DayModel): { totals: TokenTotals; byDay: Record<string, TokenTotals>; byModel: Record<string, TokenTotals> } {
  const byDay: Record<string, TokenTotals> = {};
  const tokensByModel: Record<string, TokenTotals> = {};
  for (const day of [...dm.keys()].sort()) {
    const d = (byDay[day] = zero());
    const models = dm.get(day)!;
    for (const model of [...models.keys()].sort()) {
      const t = { ...models.get(model)! };
      t.costUsd = tableCostUsd(t, model);
      addTotals(d, t);
      addTotals((tokensByModel[model] ??= zero()), { ...t, costUsd: 0 });
    }
  }
  const byModel: Record<string, TokenTotals> = {};
  const totals = zero();
  for (const model of Object.keys(tokensByModel).sort()) {
    const t = (byModel[model] = { ...tokensByModel[model] });
    t.costUsd = tableCostUsd(t, model);
    addTotals(totals, t);
  }
  return { totals, byDay, byModel };
}

const dayOf = (ms: number) => new Date(ms).toISOString().slice(0, 10);

// ---------------------------------------------------------------- writer

class JsonlFile {
  private fd: number;
  private buf: string[] = [];
  private pending = 0;
  bytes = 0;
  lines = 0;
  constructor(file: string) {
    mkdirSync(path.dirname(file), { recursive: true });
    this.fd = openSync(file, 'w');
  }
  write(line: string): void {
    this.buf.push(line, '\n');
    this.pending += line.length + 1;
    this.lines++;
    if (this.pending >= FLUSH_BYTES) this.flush();
  }
  private flush(): void {
    if (this.buf.length === 0) return;
    this.bytes += writeSync(this.fd, this.buf.join(''));
    this.buf = [];
    this.pending = 0;
  }
  close(): void {
    this.flush();
    closeSync(this.fd);
  }
}

// ---------------------------------------------------------------- generator

interface TailEntry {
  line: string;
  sessionId: string;
  msgId?: string;
  requestId?: string;
  final?: { usage: Usage; model: string; day: string };
}

interface Ctx {
  sessionId: string;
  cwd: string;
  branch: string;
  entrypoint: string;
  agentId?: string;
  model: string;
  oneHour: boolean;
}

/** Generates the corpus synchronously and returns its summary with the ground truth. */
export function generateCorpus(opts: CorpusOptions): CorpusSummary {
  const seed = opts.seed ?? 1;
  const days = Math.max(1, Math.floor(opts.days ?? 60));
  const endMs = new Date(opts.end ?? DEFAULT_END).getTime();
  if (!Number.isFinite(endMs)) throw new Error(`bad end date: ${String(opts.end)}`);
  const target = Math.max(1, opts.mb) * 1048576;
  const rng = new Rng(seed);
  const pool = codePool(rng, 4000);
  const root = path.join(opts.outDir, 'projects');
  mkdirSync(root, { recursive: true });

  const truthDM: DayModel = new Map();
  const peerDM: DayModel = new Map();
  let requests = 0;
  const tally = (dm: DayModel, u: Usage, model: string, day: string) => {
    let m = dm.get(day);
    if (!m) dm.set(day, (m = new Map()));
    let t = m.get(model);
    if (!t) m.set(model, (t = zero()));
    addUsage(t, u);
  };
  const s = {
    sessions: 0, files: 0, subagentFiles: 0, lines: 0, bytes: 0, assistantLines: 0, syntheticLines: 0, apiErrorLines: 0,
    resumedSessions: 0, replayedLines: 0, replayedNewRequestId: 0,
  };
  const models = new Set<string>();
  const projects = new Set<string>();
  const projectWeights = PROJECT_NAMES.map((n, i) => [n, 1 / (i + 1)] as const);
  const lastTail = new Map<string, { entries: TailEntry[]; endMs: number }>();
  const firstDayMs = Math.floor(endMs / DAY_MS) * DAY_MS - (days - 1) * DAY_MS;

  const count = (u: Usage, model: string, day: string) => {
    requests++;
    tally(truthDM, u, model, day);
    tally(peerDM, u, model, day);
    models.add(model);
  };

  const codeBlock = (lines: number) => {
    const out: string[] = [];
    let i = rng.int(0, pool.length - 1);
    for (let k = 0; k < lines; k++) out.push(pool[(i += 1 + (rng.u32() & 7)) % pool.length]);
    return `${out.join('\n')}\n`;
  };
  const filePath = (cwd: string) => `${cwd}/${rng.pick(DIRS)}/${rng.pick(STEMS)}.${rng.pick(EXTS)}`;

  /** Writes one session (or subagent) conversation into `f`; returns its last uuid and end time. */
  const conversation = (
    f: JsonlFile, c: Ctx, startMs: number, prompts: number, tail: TailEntry[] | undefined, projectDir: string, firstParent: string | null, firstPrompt?: string,
  ): { leaf: string; t: number; lastPrompt: string } => {
    let t = startMs;
    let parent: string | null = firstParent;
    let lastPrompt = '';
    let context = rng.int(12_000, 24_000); // system prompt + tools, grows with the conversation
    let firstRequest = true;
    const sc = c.agentId !== undefined;
    const head = (p: string | null) => (sc ? { parentUuid: p, isSidechain: true, agentId: c.agentId } : { parentUuid: p, isSidechain: false });
    const meta = { userType: 'external', entrypoint: c.entrypoint, cwd: c.cwd, sessionId: c.sessionId, version: CORPUS_VERSION, gitBranch: c.branch };
    const emit = (obj: unknown, entry?: Omit<TailEntry, 'line' | 'sessionId'>) => {
      const line = JSON.stringify(obj);
      f.write(line);
      if (tail) {
        tail.push({ line, sessionId: c.sessionId, ...entry });
        if (tail.length > REPLAY_TAIL_LINES) tail.shift();
      }
    };
    const step = (lo: number, hi: number) => {
      t = Math.min(endMs, t + rng.int(lo, hi));
      return new Date(t).toISOString();
    };

    for (let p = 0; p < prompts; p++) {
      const promptId = rng.uuid();
      const text = p === 0 && firstPrompt !== undefined ? firstPrompt : `${rng.pick(VERBS)} ${rng.pick(OBJECTS)}${rng.pick(TAILS)}`;
      lastPrompt = text;
      if (!sc) {
        const ts = step(20_000, 240_000);
        if (rng.chance(0.5)) {
          f.write(JSON.stringify({ type: 'queue-operation', operation: 'enqueue', timestamp: ts, sessionId: c.sessionId, content: text }));
          f.write(JSON.stringify({ type: 'queue-operation', operation: 'dequeue', timestamp: ts, sessionId: c.sessionId }));
        }
      }
      const uUser = rng.uuid();
      emit({
        ...head(parent), promptId, type: 'user', message: { role: 'user', content: text }, uuid: uUser, timestamp: step(5, 60),
        permissionMode: rng.pick(['default', 'default', 'acceptEdits', 'plan']), ...(c.entrypoint === 'sdk-cli' ? { promptSource: 'sdk' } : {}), ...meta,
      });
      parent = uUser;
      if (p === 0 && !sc) {
        for (const att of [AGENT_LISTING, SKILL_LISTING]) {
          const u = rng.uuid();
          emit({ ...head(parent), attachment: att, type: 'attachment', uuid: u, timestamp: step(1, 5), ...meta });
          parent = u;
        }
      }
      // The model's turn: requests until one ends without a tool use.
      const requests = sc ? rng.int(2, 8) : Math.min(25, rng.around(4, 0.9));
      for (let r = 0; r < requests; r++) {
        if (rng.chance(0.01)) {
          // An API error before the retry: Claude Code's synthetic assistant message, not a request.
          s.apiErrorLines++;
          const u = rng.uuid();
          const code = rng.pick([['overloaded_error', 529, 'Overloaded'], ['rate_limit_error', 429, 'Rate limited'], ['api_error', 500, 'Internal server error']] as const);
          emit({
            ...head(parent), type: 'assistant', uuid: u, timestamp: step(500, 30_000),
            message: syntheticMessage(rng.uuid(), `API Error: ${code[1]} {"type":"error","error":{"type":"${code[0]}","message":"${code[2]}"}}`),
            error: code[0] === 'rate_limit_error' ? 'rate_limit' : 'unknown', isApiErrorMessage: true, ...meta,
          });
          parent = u;
        }
        const last = r === requests - 1;
        const msgId = `msg_01${rng.b62(22)}`;
        const requestId = `req_011C${rng.b62(20)}`;
        // Content blocks: optional thinking, optional text, then tool uses (or a final text).
        const blocks: Record<string, unknown>[] = [];
        const tools: { id: string; name: string; input: Record<string, unknown>; result: () => { content: unknown; toolUseResult: unknown } }[] = [];
        if (rng.chance(0.25)) blocks.push({ type: 'thinking', thinking: `${rng.pick(SAY)} ${rng.pick(SAY)}`, signature: rng.b62(rng.int(200, 600)) });
        if (last || rng.chance(0.6)) blocks.push({ type: 'text', text: last ? `${rng.pick(SAY)}\n\n${rng.pick(SAY)} ${rng.pick(SAY)}` : rng.pick(SAY) });
        if (!last) {
          const nTools = rng.chance(0.2) ? 2 : 1;
          for (let k = 0; k < nTools; k++) tools.push(toolUse(c, !sc && k === 0 && rng.chance(0.06)));
        }
        for (const tu of tools) blocks.push({ type: 'tool_use', id: tu.id, name: tu.name, input: tu.input });
        if (blocks.length === 0) blocks.push({ type: 'text', text: rng.pick(SAY) });

        // Usage: the conversation so far is read from the cache, the new part is written to it.
        const created = firstRequest ? context : rng.around(1500, 1.0);
        const read = firstRequest ? 0 : context;
        const oneH = c.oneHour ? created : rng.chance(0.03) ? Math.floor(created / 2) : 0;
        const output = rng.around(last ? 500 : 180, 0.9);
        const web = rng.chance(0.015) ? rng.int(1, 3) : 0;
        const usage = (out: number): Usage => ({
          input_tokens: rng.chance(0.1) ? rng.around(2000) : rng.int(1, 12),
          cache_creation_input_tokens: created,
          cache_read_input_tokens: read,
          output_tokens: out,
          server_tool_use: { web_search_requests: web, web_fetch_requests: 0 },
          service_tier: 'standard',
          cache_creation: { ephemeral_1h_input_tokens: oneH, ephemeral_5m_input_tokens: created - oneH },
          inference_geo: '',
          iterations: [],
          speed: 'standard',
        });
        const finalUsage = usage(output);
        const placeholder = { ...finalUsage, output_tokens: Math.min(output, rng.int(1, 30)) };
        context += created + output;
        // Auto-compaction keeps the context under ~160k (so no request reaches long-context pricing).
        if (context > 160_000) context = rng.int(20_000, 40_000);
        firstRequest = false;
        const stop = tools.length > 0 ? 'tool_use' : 'end_turn';
        const lineUuids: string[] = [];
        step(1500, 25_000);
        // A message's lines span under 5 s: start it after midnight when it would straddle one, so its
        // UTC day is the same whichever of its lines a reader keeps.
        if (DAY_MS - (t % DAY_MS) < 60_000 && t + 60_000 < endMs) t += DAY_MS - (t % DAY_MS) + 1000;
        const day = dayOf(t);
        for (let b = 0; b < blocks.length; b++) {
          const isLast = b === blocks.length - 1;
          const u = rng.uuid();
          lineUuids.push(u);
          s.assistantLines++;
          emit({
            ...head(parent),
            message: {
              id: msgId, type: 'message', role: 'assistant', model: c.model, content: [blocks[b]], stop_reason: isLast ? stop : null, stop_sequence: null,
              usage: isLast ? finalUsage : placeholder, stop_details: null,
            },
            requestId, type: 'assistant', uuid: u, timestamp: step(20, 900), ...meta,
          }, { msgId, requestId, final: isLast ? { usage: finalUsage, model: c.model, day } : undefined });
          parent = u;
        }
        count(finalUsage, c.model, day);
        // Tool results, one user line each; a Task tool use runs a subagent in its own file first.
        for (const tu of tools) {
          const res: { content: unknown; toolUseResult: unknown; endMs?: number } = tu.name === 'Task' ? subagent(c, projectDir, t, tu.input.prompt as string) : tu.result();
          if (res.endMs !== undefined) t = Math.max(t, res.endMs);
          const u = rng.uuid();
          emit({
            ...head(parent), promptId, type: 'user', message: { role: 'user', content: [{ tool_use_id: tu.id, type: 'tool_result', content: res.content }] },
            uuid: u, timestamp: step(30, 8000), toolUseResult: res.toolUseResult, sourceToolAssistantUUID: lineUuids[lineUuids.length - 1], ...meta,
          });
          parent = u;
        }
        if (!last && rng.chance(0.01)) {
          // The user interrupted; Claude Code writes a synthetic "No response requested." line.
          s.syntheticLines++;
          const u = rng.uuid();
          emit({ ...head(parent), type: 'assistant', uuid: u, timestamp: step(100, 3000), message: syntheticMessage(rng.uuid(), 'No response requested.'), isApiErrorMessage: false, ...meta });
          parent = u;
          break;
        }
      }
    }
    return { leaf: parent!, t, lastPrompt };
  };

  const toolUse = (c: Ctx, task: boolean) => {
    const id = `toolu_01${rng.b62(22)}`;
    if (task) {
      const prompt = `Find where ${rng.pick(OBJECTS)} is implemented and list the call sites.`;
      return { id, name: 'Task', input: { description: 'Explore the code', prompt, subagent_type: 'Explore' }, result: () => ({ content: '', toolUseResult: '' }) };
    }
    const kind = rng.weighted([['Read', 35], ['Edit', 25], ['Bash', 25], ['Write', 10], ['Grep', 5]] as const);
    const fp = filePath(c.cwd);
    switch (kind) {
      case 'Read': {
        const n = rng.around(120, 0.7);
        const body = codeBlock(n);
        const numbered = body.split('\n').slice(0, n).map((l, i) => `${String(i + 1).padStart(6)}\t${l}`).join('\n');
        return { id, name: 'Read', input: { file_path: fp }, result: () => ({ content: numbered, toolUseResult: { type: 'text', file: { filePath: fp, content: body, numLines: n, startLine: 1, totalLines: n } } }) };
      }
      case 'Write': {
        const content = codeBlock(rng.around(60, 0.7));
        return {
          id, name: 'Write', input: { file_path: fp, content },
          result: () => ({ content: `File created successfully at: ${fp} (file state is current in your context — no need to Read it back)`, toolUseResult: { type: 'create', filePath: fp, content, structuredPatch: [], originalFile: null, userModified: false } }),
        };
      }
      case 'Edit': {
        const oldString = codeBlock(rng.int(1, 6));
        const newString = codeBlock(rng.int(1, 9));
        const original = codeBlock(rng.around(80, 0.6)) + oldString + codeBlock(rng.int(5, 40));
        const o = oldString.split('\n').slice(0, -1);
        const nn = newString.split('\n').slice(0, -1);
        const start = rng.int(1, 200);
        return {
          id, name: 'Edit', input: { replace_all: false, file_path: fp, old_string: oldString, new_string: newString },
          result: () => ({
            content: `The file ${fp} has been updated successfully. (file state is current in your context — no need to Read it back)`,
            toolUseResult: {
              filePath: fp, oldString, newString, originalFile: original,
              structuredPatch: [{ oldStart: start, oldLines: o.length, newStart: start, newLines: nn.length, lines: [...o.map((l) => `-${l}`), ...nn.map((l) => `+${l}`)] }],
              userModified: false, replaceAll: false,
            },
          }),
        };
      }
      case 'Grep': {
        const pattern = rng.pick(WORDS);
        const files = Array.from({ length: rng.int(1, 12) }, () => filePath(c.cwd));
        return { id, name: 'Grep', input: { pattern, path: c.cwd, output_mode: 'files_with_matches' }, result: () => ({ content: `Found ${files.length} files\n${files.join('\n')}`, toolUseResult: { mode: 'files_with_matches', filenames: files, numFiles: files.length } }) };
      }
      default: {
        const command = rng.pick(CMDS);
        const stdout = codeBlock(rng.around(25, 1.0)).trimEnd();
        return {
          id, name: 'Bash', input: { command, description: `Run ${command.split(' ')[0]}` },
          result: () => ({ content: stdout, toolUseResult: { stdout, stderr: '', interrupted: false, isImage: false, noOutputExpected: false } }),
        };
      }
    }
  };

  const subagent = (c: Ctx, projectDir: string, t0: number, prompt: string) => {
    const agentId = rng.hex(17);
    const f = new JsonlFile(path.join(projectDir, c.sessionId, 'subagents', `agent-${agentId}.jsonl`));
    const sub: Ctx = { ...c, agentId, model: rng.chance(0.7) ? SUBAGENT_MODEL : c.model, oneHour: false };
    const r = conversation(f, sub, t0, 1, undefined, projectDir, null, prompt);
    f.close();
    s.files++;
    s.subagentFiles++;
    s.lines += f.lines;
    s.bytes += f.bytes;
    const text = `Found the implementation in ${filePath(c.cwd)} and ${rng.int(2, 9)} call sites.`;
    return { content: [{ type: 'text', text }], toolUseResult: { status: 'completed', prompt, agentId, content: [{ type: 'text', text }], totalDurationMs: r.t - t0, totalTokens: rng.around(20_000), totalToolUseCount: rng.int(2, 12) }, endMs: r.t };
  };

  while (s.bytes < target) {
    const project = rng.weighted(projectWeights);
    projects.add(project);
    const projectDir = path.join(root, `-home-dev-projects-${project}`);
    const cwd = `/home/dev/projects/${project}`;
    const sessionId = rng.uuid();
    const prev = lastTail.get(project);
    // A resumed session: 15% when the project has an earlier session that ended at least a day before the end.
    const resume = prev !== undefined && prev.endMs + DAY_MS < endMs && rng.chance(0.15);
    let startMs: number;
    if (resume) {
      startMs = Math.floor(prev.endMs / DAY_MS) * DAY_MS + DAY_MS + rng.int(7, 19) * 3_600_000 + rng.int(0, 3_599_999);
      if (startMs > endMs - 3 * 3_600_000) startMs = prev.endMs + rng.int(60_000, 3_600_000);
    } else {
      const day = firstDayMs + rng.int(0, days - 1) * DAY_MS;
      const weekend = [0, 6].includes(new Date(day).getUTCDay());
      startMs = day + (weekend && rng.chance(0.5) ? 10 : 7) * 3_600_000 + rng.int(0, 12 * 3_600_000);
      if (startMs > endMs - 3 * 3_600_000) startMs = Math.max(firstDayMs, endMs - rng.int(3, 8) * 3_600_000);
    }
    const c: Ctx = {
      sessionId, cwd, branch: rng.pick(BRANCHES), entrypoint: rng.weighted([['cli', 70], ['claude-vscode', 25], ['sdk-cli', 5]] as const),
      model: rng.weighted(CORPUS_MODELS), oneHour: rng.chance(0.1),
    };
    const f = new JsonlFile(path.join(projectDir, `${sessionId}.jsonl`));
    let firstParent: string | null = null;
    if (resume && prev) {
      s.resumedSessions++;
      const renamed = new Map<string, string>();
      for (const e of prev.entries) {
        let line = e.line.split(`"sessionId":"${e.sessionId}"`).join(`"sessionId":"${sessionId}"`);
        if (e.msgId && e.requestId) {
          let rid = renamed.get(e.msgId);
          if (rid === undefined) {
            rid = rng.chance(0.3) ? `req_011C${rng.b62(20)}` : e.requestId;
            renamed.set(e.msgId, rid);
            if (rid !== e.requestId) s.replayedNewRequestId++;
          }
          if (rid !== e.requestId) {
            line = line.split(`"requestId":"${e.requestId}"`).join(`"requestId":"${rid}"`);
            if (e.final) {
              // A peer keying on (message.id, requestId) counts this copy as another request.
              tally(peerDM, e.final.usage, e.final.model, e.final.day);
            }
          }
        }
        f.write(line);
        s.replayedLines++;
      }
      firstParent = (JSON.parse(prev.entries[prev.entries.length - 1].line) as { uuid?: string }).uuid ?? null;
    }
    const tail: TailEntry[] = [];
    const r = conversation(f, c, startMs, Math.min(15, rng.around(3, 0.8)), tail, projectDir, firstParent);
    const leaf = r.leaf;
    f.write(JSON.stringify({ type: 'last-prompt', lastPrompt: r.lastPrompt, leafUuid: leaf, sessionId }));
    if (rng.chance(0.6)) f.write(JSON.stringify({ type: 'ai-title', aiTitle: `${rng.pick(VERBS)} ${rng.pick(OBJECTS)}`, sessionId }));
    if (rng.chance(0.2)) f.write(JSON.stringify({ type: 'summary', summary: `${rng.pick(VERBS)} ${rng.pick(OBJECTS)}`, leafUuid: leaf }));
    f.close();
    // Only conversation lines that carry a uuid are replayed (not queue-operation or last-prompt lines).
    const entries = tail.filter((e) => e.line.includes('"uuid":'));
    if (entries.length > 0) lastTail.set(project, { entries, endMs: r.t });
    s.sessions++;
    s.files++;
    s.lines += f.lines;
    s.bytes += f.bytes;
  }

  return {
    seed, days, end: new Date(endMs).toISOString(), projects: projects.size, sessions: s.sessions, files: s.files, subagentFiles: s.subagentFiles,
    lines: s.lines, bytes: s.bytes, mb: Math.round((s.bytes / 1048576) * 10) / 10, distinctRequests: requests, assistantLines: s.assistantLines,
    syntheticLines: s.syntheticLines, apiErrorLines: s.apiErrorLines, resumedSessions: s.resumedSessions, replayedLines: s.replayedLines,
    replayedNewRequestId: s.replayedNewRequestId, models: [...models].sort(), truth: rollUp(truthDM), ccusageStyle: rollUp(peerDM),
  };
}

/** Claude Code's synthetic assistant message (model `<synthetic>`, zero usage), as its 2.1.197 binary builds it. */
function syntheticMessage(id: string, text: string) {
  return {
    id, container: null, model: '<synthetic>', role: 'assistant', stop_details: null, stop_reason: 'stop_sequence', stop_sequence: '', type: 'message',
    usage: {
      input_tokens: 0, output_tokens: 0, cache_creation_input_tokens: 0, cache_read_input_tokens: 0, server_tool_use: { web_search_requests: 0, web_fetch_requests: 0 },
      service_tier: null, cache_creation: { ephemeral_1h_input_tokens: 0, ephemeral_5m_input_tokens: 0 }, inference_geo: null, iterations: null, speed: null,
    },
    content: [{ type: 'text', text }],
    context_management: null,
  };
}

if (require.main === module) {
  const { values: v } = parseArgs({
    strict: true,
    options: { out: { type: 'string' }, mb: { type: 'string' }, seed: { type: 'string' }, days: { type: 'string' }, end: { type: 'string' } },
  });
  if (!v.out) {
    process.stderr.write('usage: node --import tsx bench/transcriptCorpus.ts --out DIR [--mb 1024] [--seed 1] [--days 60] [--end ISO|now]\n');
    process.exit(2);
  }
  const t0 = performance.now();
  const end = v.end === 'now' ? new Date() : v.end;
  const summary = generateCorpus({ outDir: v.out, mb: Number(v.mb ?? 1024), seed: Number(v.seed ?? 1), days: v.days ? Number(v.days) : undefined, end });
  process.stderr.write(`generated ${summary.mb} MB in ${((performance.now() - t0) / 1000).toFixed(1)} s\n`);
  process.stdout.write(`${JSON.stringify(summary, null, 2)}\n`);
}
