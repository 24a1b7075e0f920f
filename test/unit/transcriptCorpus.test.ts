// The bench's transcript corpus generator (bench/transcriptCorpus.ts): reproducible byte for byte,
// every line in Claude Code 2.1.197's shapes, and its printed ground truth equal to an independent
// recount of the files it wrote.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { generateCorpus, type CorpusSummary, type TokenTotals } from '../../bench/transcriptCorpus';
import { priceFor } from '../../src/core/pricing/priceTable';

const MB = 2;
const SEED = 7;

function listFiles(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else out.push(p);
    }
  };
  walk(dir);
  return out;
}

function treeHash(dir: string): string {
  const h = createHash('sha256');
  for (const f of listFiles(dir)) h.update(path.relative(dir, f)).update('\0').update(readFileSync(f)).update('\0');
  return h.digest('hex');
}

function generate(): { dir: string; summary: CorpusSummary } {
  const dir = mkdtempSync(path.join(tmpdir(), 'ledger-corpus-test-'));
  return { dir, summary: generateCorpus({ outDir: dir, mb: MB, seed: SEED }) };
}

const a = generate();
const b = generate();
test.after(() => {
  rmSync(a.dir, { recursive: true, force: true });
  rmSync(b.dir, { recursive: true, force: true });
});

test('same seed and size: the same bytes and the same summary', () => {
  assert.equal(treeHash(a.dir), treeHash(b.dir));
  assert.deepEqual(a.summary, b.summary);
  assert.ok(a.summary.bytes >= MB * 1048576, 'at least the requested size');
  const c = mkdtempSync(path.join(tmpdir(), 'ledger-corpus-test-'));
  try {
    generateCorpus({ outDir: c, mb: MB, seed: SEED + 1 });
    assert.notEqual(treeHash(c), treeHash(a.dir), 'another seed, another corpus');
  } finally {
    rmSync(c, { recursive: true, force: true });
  }
});

// Key order of each line kind, as Claude Code 2.1.197 writes them (the fixture transcripts of
// test/fixtures/claude-code-otlp, captured with the real CLI). `promptSource` is only written for SDK
// prompts and `agentId` only in subagent files; both are removed before comparing.
const META = ['userType', 'entrypoint', 'cwd', 'sessionId', 'version', 'gitBranch'];
const SHAPES: Record<string, string[]> = {
  prompt: ['parentUuid', 'isSidechain', 'promptId', 'type', 'message', 'uuid', 'timestamp', 'permissionMode', ...META],
  toolResult: ['parentUuid', 'isSidechain', 'promptId', 'type', 'message', 'uuid', 'timestamp', 'toolUseResult', 'sourceToolAssistantUUID', ...META],
  attachment: ['parentUuid', 'isSidechain', 'attachment', 'type', 'uuid', 'timestamp', ...META],
  assistant: ['parentUuid', 'isSidechain', 'message', 'requestId', 'type', 'uuid', 'timestamp', ...META],
  enqueue: ['type', 'operation', 'timestamp', 'sessionId', 'content'],
  dequeue: ['type', 'operation', 'timestamp', 'sessionId'],
  lastPrompt: ['type', 'lastPrompt', 'leafUuid', 'sessionId'],
  // Not in the fixtures; from the 2.1.197 binary's writers (ai-title, summary, synthetic message).
  aiTitle: ['type', 'aiTitle', 'sessionId'],
  summary: ['type', 'summary', 'leafUuid'],
  synthetic: ['parentUuid', 'isSidechain', 'type', 'uuid', 'timestamp', 'message', 'isApiErrorMessage', ...META],
  apiError: ['parentUuid', 'isSidechain', 'type', 'uuid', 'timestamp', 'message', 'error', 'isApiErrorMessage', ...META],
};
const MESSAGE_KEYS = ['id', 'type', 'role', 'model', 'content', 'stop_reason', 'stop_sequence', 'usage', 'stop_details'];
const USAGE_KEYS = ['input_tokens', 'cache_creation_input_tokens', 'cache_read_input_tokens', 'output_tokens', 'server_tool_use', 'service_tier', 'cache_creation', 'inference_geo', 'iterations', 'speed'];

type Line = Record<string, any>;

function kind(o: Line): string {
  switch (o.type) {
    case 'user':
      return Array.isArray(o.message.content) ? 'toolResult' : 'prompt';
    case 'assistant':
      return o.message.model === '<synthetic>' ? (o.isApiErrorMessage ? 'apiError' : 'synthetic') : 'assistant';
    case 'queue-operation':
      return o.operation;
    case 'last-prompt':
      return 'lastPrompt';
    case 'ai-title':
      return 'aiTitle';
    default:
      return o.type;
  }
}

function fileLines(f: string): Line[] {
  const text = readFileSync(f, 'utf8');
  assert.ok(text.endsWith('\n'), `${f} ends with a newline`);
  return text.slice(0, -1).split('\n').map((l) => JSON.parse(l) as Line);
}

const readLines = (dir: string): Line[] => listFiles(dir).flatMap(fileLines);

test('every line is JSON in the shape Claude Code writes', () => {
  const seen = new Map<string, number>();
  const files = listFiles(path.join(a.dir, 'projects'));
  for (const f of files) {
    const rel = path.relative(path.join(a.dir, 'projects'), f).split(path.sep);
    assert.match(rel[0], /^-home-dev-projects-[a-z0-9-]+$/);
    const sub = rel.length === 4;
    if (sub) assert.ok(rel[2] === 'subagents' && /^agent-[0-9a-f]+\.jsonl$/.test(rel[3]), rel.join('/'));
    else assert.match(rel[1], /^[0-9a-f-]{36}\.jsonl$/);
    const sessionFromPath = sub ? rel[1] : rel[1].slice(0, -'.jsonl'.length);
    for (const o of fileLines(f)) {
      const k = kind(o);
      seen.set(k, (seen.get(k) ?? 0) + 1);
      assert.ok(SHAPES[k], `unexpected line kind ${k}`);
      const keys = Object.keys(o).filter((x) => x !== 'promptSource' && x !== 'agentId');
      assert.deepEqual(keys, SHAPES[k], `${k} key order`);
      if ('sessionId' in o) assert.equal(o.sessionId, sessionFromPath);
      if ('isSidechain' in o) {
        assert.equal(o.isSidechain, sub);
        assert.equal(typeof o.agentId === 'string', sub);
      }
      if (k === 'assistant') {
        assert.deepEqual(Object.keys(o.message), MESSAGE_KEYS);
        assert.deepEqual(Object.keys(o.message.usage), USAGE_KEYS);
        assert.equal(o.message.content.length, 1, 'one content block per line');
        const u = o.message.usage;
        assert.equal(u.cache_creation.ephemeral_5m_input_tokens + u.cache_creation.ephemeral_1h_input_tokens, u.cache_creation_input_tokens);
        assert.match(o.message.id, /^msg_01[A-Za-z0-9]{22}$/);
        assert.match(o.requestId, /^req_011C[A-Za-z0-9]{20}$/);
      }
      if (k === 'synthetic' || k === 'apiError') assert.equal(o.message.usage.output_tokens, 0);
      if (k === 'toolResult') assert.equal(o.message.content[0].type, 'tool_result');
      if ('timestamp' in o) assert.ok(!Number.isNaN(Date.parse(o.timestamp)) && o.timestamp <= a.summary.end);
    }
  }
  assert.equal(files.length, a.summary.files);
  // A 2 MB corpus already holds every kind (the generator's mix is seeded; this seed has them all).
  for (const k of Object.keys(SHAPES)) assert.ok((seen.get(k) ?? 0) > 0, `corpus has ${k} lines`);
  assert.ok(a.summary.subagentFiles > 0 && a.summary.resumedSessions > 0 && a.summary.replayedNewRequestId > 0);
});

test('the ground truth equals an independent recount of the files', () => {
  // Requests: assistant lines that are not <synthetic> and not API errors, one per message.id, with
  // the largest usage seen; its day is the UTC day of its lines' timestamps.
  const byId = new Map<string, { usage: Line; model: string; days: Set<string> }>();
  const byPair = new Map<string, { usage: Line; model: string; day: string }>();
  const total = (u: Line) => u.input_tokens + u.output_tokens + u.cache_creation_input_tokens + u.cache_read_input_tokens;
  let lines = 0;
  let bytes = 0;
  for (const f of listFiles(a.dir)) bytes += readFileSync(f).length;
  for (const o of readLines(a.dir)) {
    lines++;
    if (o.type !== 'assistant' || o.isApiErrorMessage || o.message?.model === '<synthetic>') continue;
    const day = (o.timestamp as string).slice(0, 10);
    const r = byId.get(o.message.id) ?? { usage: o.message.usage, model: o.message.model, days: new Set<string>() };
    if (total(o.message.usage) > total(r.usage)) r.usage = o.message.usage;
    r.days.add(day);
    byId.set(o.message.id, r);
    const key = `${o.message.id}/${o.requestId}`;
    const p = byPair.get(key);
    if (!p || total(o.message.usage) > total(p.usage)) byPair.set(key, { usage: o.message.usage, model: o.message.model, day });
  }
  type Tokens = Omit<TokenTotals, 'costUsd'>;
  const zero = (): Tokens => ({ requests: 0, input: 0, output: 0, cacheCreation: 0, cacheCreation5m: 0, cacheCreation1h: 0, cacheRead: 0, webSearchRequests: 0 });
  const add = (t: Tokens, u: Line) => {
    t.requests++;
    t.input += u.input_tokens;
    t.output += u.output_tokens;
    t.cacheCreation += u.cache_creation_input_tokens;
    t.cacheCreation5m += u.cache_creation.ephemeral_5m_input_tokens;
    t.cacheCreation1h += u.cache_creation.ephemeral_1h_input_tokens;
    t.cacheRead += u.cache_read_input_tokens;
    t.webSearchRequests += u.server_tool_use.web_search_requests;
  };
  // Cost: each request priced with the bundled table (5-minute and 1-hour cache writes apart).
  const cost = (u: Line, model: string) => {
    const p = priceFor(model)!;
    const c = u.cache_creation;
    return (u.input_tokens * p.input + u.output_tokens * p.output + c.ephemeral_5m_input_tokens * p.cacheWrite5m + c.ephemeral_1h_input_tokens * p.cacheWrite1h + u.cache_read_input_tokens * p.cacheRead) / 1e6;
  };
  interface Bucket {
    tokens: Tokens;
    cost: number;
  }
  const bucket = (m: Record<string, Bucket>, k: string) => (m[k] ??= { tokens: zero(), cost: 0 });
  const put = (b: Bucket, u: Line, model: string) => {
    add(b.tokens, u);
    b.cost += cost(u, model);
  };
  const totals: Bucket = { tokens: zero(), cost: 0 };
  const byDay: Record<string, Bucket> = {};
  const byModel: Record<string, Bucket> = {};
  for (const r of byId.values()) {
    assert.equal(r.days.size, 1, 'a message never straddles midnight');
    const [day] = r.days;
    put(totals, r.usage, r.model);
    put(bucket(byDay, day), r.usage, r.model);
    put(bucket(byModel, r.model), r.usage, r.model);
  }
  const peer: Bucket = { tokens: zero(), cost: 0 };
  const peerByDay: Record<string, Bucket> = {};
  const peerByModel: Record<string, Bucket> = {};
  for (const p of byPair.values()) {
    put(peer, p.usage, p.model);
    put(bucket(peerByDay, p.day), p.usage, p.model);
    put(bucket(peerByModel, p.model), p.usage, p.model);
  }
  const same = (got: TokenTotals, want: Bucket, what: string) => {
    const { costUsd, ...tokens } = got;
    assert.deepEqual(tokens, want.tokens, what);
    assert.ok(Math.abs(costUsd - want.cost) <= 1e-9 * Math.max(1, want.cost), `${what}: cost ${costUsd} vs ${want.cost}`);
  };
  const sameMap = (got: Record<string, TokenTotals>, want: Record<string, Bucket>, what: string) => {
    assert.deepEqual(Object.keys(got), Object.keys(want).sort(), `${what} keys`);
    for (const k of Object.keys(want)) same(got[k], want[k], `${what} ${k}`);
  };
  const s = a.summary;
  assert.equal(s.lines, lines);
  assert.equal(s.bytes, bytes);
  assert.equal(s.distinctRequests, byId.size);
  same(s.truth.totals, totals, 'truth totals');
  sameMap(s.truth.byDay, byDay, 'truth by day');
  sameMap(s.truth.byModel, byModel, 'truth by model');
  same(s.ccusageStyle.totals, peer, 'ccusage-style totals');
  sameMap(s.ccusageStyle.byDay, peerByDay, 'ccusage-style by day');
  sameMap(s.ccusageStyle.byModel, peerByModel, 'ccusage-style by model');
  const tokens = totals.tokens;
  const peerTokens = peer.tokens;
  // The corpus exercises what the rules are about.
  assert.ok(s.assistantLines > byId.size * 1.5, 'several lines per response');
  assert.ok(peerTokens.requests > tokens.requests, 'replays under a new requestId exist');
  assert.ok(s.syntheticLines + s.apiErrorLines > 0);
  assert.ok(tokens.cacheCreation1h > 0 && tokens.cacheCreation5m > tokens.cacheCreation1h);
  assert.ok(existsSync(path.join(a.dir, 'projects')));
});
