// The real Claude Code CLI (pinned @anthropic-ai/claude-code) as a test peer: each scenario of
// test/support/scenarios.ts runs the CLI offline against the scripted fake Messages API, with OTLP
// export pointed at our receiver path, and the decoded totals are checked against the truth.
//
// Truth, never our own decoder: tokens and request ids come from the fake API's usage log; cost is
// Claude Code's own (cost_usd on api_request must equal its cost.usage metric, two independent
// signals); session id from the x-claude-code-session-id header the fake saw; tool results and
// decisions from the scenario's expectations; line counts from Claude Code's lines_of_code metric.
//
// Receiver: our real HTTP server (src/server/httpServer.ts: Host/Origin checks, chunked bodies, gzip,
// content types) over loopback. Its store is a tee: every body goes to the real store (StoreClient and
// its DB worker, dist/dbWorker.js, one fresh data dir per scenario) AND through decodeAndNormalize, so
// each scenario checks both the decoded records and the store's named queries (summary, sessions,
// filesEdited, acceptance, toolStats, apiErrors, sessionTimeline) against the same truth (issue 3,
// section 7, "Cross-check"). Run `node esbuild.mjs` first (the worker bundle).
// One extra test sends two runs to a raw capture server to check what Claude Code put on the wire
// (content types, gzip). Nothing is mocked except the Anthropic API, which cannot be reached here.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { startFakeAnthropic, sumUsage, type FakeAnthropic } from '../support/fakeAnthropic';
import { startOtlpCapture, signalOf, type OtlpCapture } from '../support/otlpCapture';
import { SCENARIOS, executeScenario, scenarioByName, type Scenario, type ScenarioRun, type TokenTotals } from '../support/scenarios';
import { decodeAndNormalize } from '../../src/core/otlp/ingest';
import type { Encoding } from '../../src/core/otlp/decode';
import { startLedgerServer, type LedgerServer, type LedgerStore } from '../../src/server/httpServer';
import { StoreClient } from '../../src/server/storeClient';
import { memoryLogger } from '../../src/core/log';
import { REPO_ROOT } from '../support/claudeRunner';
import type { QueryMethods, QueryName, SummaryDto, TimelineRequestDto, TimelineToolDto } from '../../src/protocol/dto';
import {
  DEFAULT_INGEST_OPTIONS,
  type ApiRequestEvent,
  type MetricPoint,
  type NormRecord,
  type Signal,
  type SpanRecord,
  type ToolDecisionEvent,
  type ToolResultEvent,
  type UserPromptEvent,
  normalizeModel,
} from '../../src/core/otlp/records';

/** Per-run limit; a healthy run takes 0.5-5 s. */
const RUN_TIMEOUT_MS = 60_000;

const DB_WORKER = join(REPO_ROOT, 'dist', 'dbWorker.js');
/** The real store keeps prompt text only when the user opted in; these runs opt in (OTEL_LOG_USER_PROMPTS=1). */
const STORE_INGEST = { storePromptText: true } as const;

interface IngestCall {
  signal: Signal;
  encoding: Encoding;
  bytes: number;
  records: NormRecord[];
  /** What the real store acknowledged for the same body. */
  stored: { accepted: number; rejected: number };
}

/**
 * The server's store: the real StoreClient of the current scenario answers ingest and queries; the
 * same body is also decoded here and recorded for the decode assertions. The server subscribes to
 * onDidChange once, so listeners are kept here and fed by whichever real store is current.
 */
class TeeStore implements LedgerStore {
  current: StoreClient | undefined;
  readonly calls: IngestCall[] = [];
  private readonly listeners = new Set<(v: number) => void>();
  private unsubscribe: (() => void) | undefined;

  use(store: StoreClient | undefined): void {
    this.unsubscribe?.();
    this.unsubscribe = undefined;
    this.current = store;
    if (store) this.unsubscribe = store.onDidChange((v) => this.listeners.forEach((fn) => fn(v)));
  }

  private store(): StoreClient {
    if (!this.current) throw new Error('no real store is open (OTLP arrived outside a scenario)');
    return this.current;
  }

  async ingest(signal: Signal, encoding: Encoding, body: Uint8Array) {
    // The real store first: a body it refuses must fail the request exactly as in production.
    const stored = await this.store().ingest(signal, encoding, body);
    const batch = decodeAndNormalize(signal, encoding, body, { ...DEFAULT_INGEST_OPTIONS, ...STORE_INGEST });
    this.calls.push({ signal, encoding, bytes: body.length, records: batch.records, stored });
    return stored;
  }

  onDidChange(fn: (dataVersion: number) => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  query<M extends QueryName>(method: M, params: QueryMethods[M]['params']): Promise<QueryMethods[M]['result']> {
    return this.store().query(method, params);
  }

  // The MCP side of the store (unused here: mcp is disabled), forwarded so the tee is a complete store.
  exportReplica(): Promise<Uint8Array> {
    return this.store().exportReplica();
  }

  audit(entry: Parameters<StoreClient['audit']>[0]): Promise<void> {
    return this.store().audit(entry);
  }

  describeSchema(): ReturnType<StoreClient['describeSchema']> {
    return this.store().describeSchema();
  }
}

let fake: FakeAnthropic;
let server: LedgerServer;
const serverLog = memoryLogger();
const tee = new TeeStore();
const calls = tee.calls;
/** Metric totals of the long-session runs, compared across temporalities at the end. */
const metricTotalsByScenario = new Map<string, { cost: number; tokens: TokenTotals }>();
/** The real store's summary of each scenario, compared across temporalities at the end. */
const storeSummaryByScenario = new Map<string, SummaryDto>();

before(async () => {
  assert.ok(existsSync(DB_WORKER), `${DB_WORKER} is missing: run \`node esbuild.mjs\` first`);
  fake = await startFakeAnthropic({ turns: [] });
  server = await startLedgerServer({
    port: 0,
    token: 'test-token',
    store: tee,
    log: serverLog,
    mcp: { enabled: false },
  });
});

after(async () => {
  await fake?.close();
  await server?.close();
});

const isClaudeMetric = (r: NormRecord): r is MetricPoint => r.kind === 'metric' && r.isClaudeCode;

/**
 * Total of a metric over a run: delta points are summed; cumulative series (seriesKey +
 * startTimeUnixNano) contribute their latest value. The store does the real conversion; this is
 * the reference the test compares against.
 */
function metricTotal(points: readonly MetricPoint[], name: string, filter: (p: MetricPoint) => boolean = () => true): number {
  let total = 0;
  const latest = new Map<string, MetricPoint>();
  for (const p of points) {
    if (p.name !== name || !filter(p)) continue;
    if (p.temporality === 2) {
      const key = `${p.seriesKey}|${p.startTimeUnixNano}`;
      const prev = latest.get(key);
      if (!prev || BigInt(p.timeUnixNano) >= BigInt(prev.timeUnixNano)) latest.set(key, p);
    } else {
      total += p.value;
    }
  }
  for (const p of latest.values()) total += p.value;
  return total;
}

function tokensFromMetric(points: readonly MetricPoint[]): TokenTotals {
  const of = (type: string) => metricTotal(points, 'claude_code.token.usage', (p) => p.attrs.type === type);
  return { input: of('input'), output: of('output'), cacheRead: of('cacheRead'), cacheCreation: of('cacheCreation') };
}

function countBy<T>(items: readonly T[], key: (t: T) => string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const it of items) out[key(it)] = (out[key(it)] ?? 0) + 1;
  return out;
}

function assertScenario(scenario: Scenario, run: ScenarioRun, ingested: readonly IngestCall[]): void {
  const exp = scenario.expect;
  const { result } = run;
  const diag = `\n--- claude stderr:\n${result.stderr.slice(0, 2000)}`;
  assert.equal(result.timedOut, false, `timed out after ${RUN_TIMEOUT_MS} ms${diag}`);
  assert.equal(result.exitCode, exp.exitCode, `exit code${diag}`);
  assert.equal(run.unscripted, 0, 'a main-loop request found the script empty');
  assert.equal(run.remainingTurns, 0, 'the CLI did not consume the whole script');

  // --- truth from the fake API
  assert.equal(run.usageLog.length, exp.apiRequests, 'answered /v1/messages requests');
  const truth = sumUsage(run.usageLog);
  const truthTokens: TokenTotals = {
    input: truth.input_tokens,
    output: truth.output_tokens,
    cacheRead: truth.cache_read_input_tokens,
    cacheCreation: truth.cache_creation_input_tokens,
  };
  assert.deepEqual(truthTokens, exp.tokens, 'the fake API usage is deterministic');
  const sessionHeaders = new Set(
    run.requests.filter((r) => r.path === '/v1/messages').map((r) => r.headers['x-claude-code-session-id']),
  );
  assert.equal(sessionHeaders.size, 1, 'one Claude Code session id seen by the API');

  // --- what our server accepted
  const protocol = scenario.telemetry.protocol ?? 'http/protobuf';
  assert.deepEqual([...new Set(ingested.map((c) => c.signal))].sort(), ['logs', 'metrics', 'traces'], 'all three signals ingested');
  for (const c of ingested) assert.equal(c.encoding, protocol === 'http/json' ? 'json' : 'protobuf', c.signal);
  const refused = serverLog.lines.filter((l) => /^(warn|error) /.test(l));
  assert.deepEqual(refused, [], 'the server refused nothing');
  const records = ingested.flatMap((c) => c.records);
  const apiRequests = records.filter((r): r is ApiRequestEvent => r.kind === 'apiRequest');
  assert.equal(apiRequests.length, exp.apiRequests, 'api_request events');
  assert.deepEqual(
    apiRequests.map((r) => r.requestId).sort(),
    run.usageLog.map((u) => u.requestId).sort(),
    'api_request.request_id = the request-id our fake answered',
  );
  const sum = (f: (r: ApiRequestEvent) => number) => apiRequests.reduce((a, r) => a + f(r), 0);
  assert.deepEqual(
    {
      input: sum((r) => r.inputTokens),
      output: sum((r) => r.outputTokens),
      cacheRead: sum((r) => r.cacheReadTokens),
      cacheCreation: sum((r) => r.cacheCreationTokens),
    },
    truthTokens,
    'api_request tokens = fake usage',
  );
  const metrics = records.filter(isClaudeMetric);
  assert.deepEqual(tokensFromMetric(metrics), truthTokens, 'token.usage metric = fake usage');

  const costEvents = sum((r) => {
    assert.equal(typeof r.costUsd, 'number', 'api_request carries cost_usd');
    return r.costUsd as number;
  });
  const costMetric = metricTotal(metrics, 'claude_code.cost.usage');
  assert.ok(costEvents > 0, 'cost > 0');
  assert.ok(Math.abs(costEvents - costMetric) < 1e-9, `sum(cost_usd) ${costEvents} = cost.usage ${costMetric}`);
  for (const p of metrics) assert.equal(p.temporality, exp.temporality, `${p.name} temporality`);
  const metricPayloads = ingested.filter((c) => c.signal === 'metrics').length;
  if (exp.minMetricPayloads) assert.ok(metricPayloads >= exp.minMetricPayloads, `metric payloads ${metricPayloads}`);
  metricTotalsByScenario.set(scenario.name, { cost: costMetric, tokens: tokensFromMetric(metrics) });

  // --- sessions and prompts
  const claudeRecords = records.filter((r) => r.isClaudeCode);
  assert.equal(claudeRecords.length, records.length, 'every record is recognised as Claude Code');
  assert.deepEqual(
    [...new Set(claudeRecords.map((r) => r.sessionId))],
    [...sessionHeaders],
    'session.id on every record = the session id the API saw',
  );
  const prompts = records.filter((r): r is UserPromptEvent => r.kind === 'userPrompt');
  assert.equal(prompts.length, exp.prompts, 'user_prompt events');
  assert.deepEqual(prompts.map((p) => p.promptText).sort(), [...scenario.prompts].sort(), 'prompt text (capture enabled)');

  // --- tools, decisions, files
  const toolResults = records.filter((r): r is ToolResultEvent => r.kind === 'toolResult');
  const byTool: Record<string, { ok: number; failed: number }> = {};
  for (const t of toolResults) {
    const e = (byTool[t.toolName] ??= { ok: 0, failed: 0 });
    if (t.success) e.ok++;
    else e.failed++;
  }
  assert.deepEqual(byTool, exp.toolResults, 'tool results by tool and success');
  const decisions = records.filter((r): r is ToolDecisionEvent => r.kind === 'toolDecision');
  assert.deepEqual(countBy(decisions, (d) => `${d.decision}/${d.source}`), exp.decisions, 'decisions by decision/source');

  const linesMetric = {
    added: metricTotal(metrics, 'claude_code.lines_of_code.count', (p) => p.attrs.type === 'added'),
    removed: metricTotal(metrics, 'claude_code.lines_of_code.count', (p) => p.attrs.type === 'removed'),
  };
  const expAdded = exp.files.reduce((a, f) => a + f.linesAdded, 0);
  const expRemoved = exp.files.reduce((a, f) => a + f.linesRemoved, 0);
  assert.deepEqual(linesMetric, { added: expAdded, removed: expRemoved }, "Claude Code's lines_of_code metric");
  assert.equal(metricTotal(metrics, 'claude_code.commit.count'), exp.commits ?? 0, "Claude Code's commit.count");
  assert.equal(metricTotal(metrics, 'claude_code.pull_request.count'), exp.pullRequests ?? 0, "Claude Code's pull_request.count");
  const perFile: Record<string, { linesAdded: number; linesRemoved: number }> = {};
  for (const t of toolResults) {
    if (!t.filePath || !t.success) continue;
    const e = (perFile[relative(run.ctx.cwd, t.filePath)] ??= { linesAdded: 0, linesRemoved: 0 });
    e.linesAdded += t.linesAdded ?? 0;
    e.linesRemoved += t.linesRemoved ?? 0;
  }
  assert.deepEqual(
    perFile,
    Object.fromEntries(exp.files.map((f) => [f.path, { linesAdded: f.linesAdded, linesRemoved: f.linesRemoved }])),
    'files written: our per-file line counts agree with Claude Code',
  );
  for (const [path, content] of Object.entries(exp.fileContents ?? {})) {
    assert.equal(readFileSync(join(run.ctx.cwd, path), 'utf8'), content, `content of ${path}`);
  }
  for (const path of exp.filesKept ?? []) assert.ok(existsSync(join(run.ctx.cwd, path)), `${path} kept`);

  // --- spans
  const llmSpans = records.filter((r): r is SpanRecord => r.kind === 'span' && r.name === 'claude_code.llm_request');
  assert.equal(llmSpans.length, exp.apiRequests, 'one llm_request span per model call');
  if (exp.llmAttempts) {
    assert.equal(Math.max(...llmSpans.map((s) => s.attempt ?? 0)), exp.llmAttempts.maxAttempt, 'max attempt');
    const attemptEvents = llmSpans.flatMap((s) => s.events).filter((e) => e.name === 'gen_ai.request.attempt');
    assert.equal(attemptEvents.length, exp.llmAttempts.attemptEvents, 'gen_ai.request.attempt span events');
  }
  assert.ok(
    records.some((r) => r.kind === 'span' && r.name === 'claude_code.interaction' && !r.parentSpanId),
    'a root interaction span',
  );

  // --- MCP and tool results sent back to the model
  if (exp.mcpCalls) {
    assert.deepEqual(
      run.mcpCalls.map((c) => ({ tool: c.tool, result: c.result })),
      exp.mcpCalls,
      'the CLI really called the MCP server',
    );
  }
  const sentBack = run.requests.flatMap((r) => r.toolResults ?? []).map((t) => t.text).join('\n');
  for (const s of exp.toolResultContains ?? []) assert.ok(sentBack.includes(s), `tool_result sent to the API contains "${s}"`);
  if (exp.subagentRequests !== undefined) {
    assert.equal(
      apiRequests.filter((r) => r.querySource?.startsWith('agent:')).length,
      exp.subagentRequests,
      'subagent api requests',
    );
  }
}

// ---------------------------------------------------------------------------------------------
// The real store, per scenario.

/** Store-side truth the scenario implies beyond ScenarioExpect (tool names as the store shows them). */
interface StoreExpect {
  /** tool_decision events by display tool name (MCP: mcp__<server>__<tool>). */
  decisionsByTool: Record<string, { accepts: number; rejects: number }>;
  /** tool_result events by display tool name: calls and failures (a refused tool never ran: no call). */
  tools: Record<string, { calls: number; failures: number; mcpServer?: string }>;
  /** Edited files (relative to cwd): edit tool results and their accept/reject decisions. */
  fileEdits: Record<string, { edits: number; accepts: number; rejects: number }>;
  /** Refused tools that still have a claude_code.tool span (and so a waterfall bar) but never ran. */
  refusedToolSpans?: number;
}

const NO_TOOLS: StoreExpect = { decisionsByTool: {}, tools: {}, fileEdits: {} };
const WRITE_EDIT_BASH_STORE: StoreExpect = {
  decisionsByTool: { Write: { accepts: 1, rejects: 0 }, Edit: { accepts: 1, rejects: 0 }, Bash: { accepts: 1, rejects: 0 } },
  tools: { Write: { calls: 1, failures: 0 }, Edit: { calls: 1, failures: 0 }, Bash: { calls: 1, failures: 0 } },
  fileEdits: { 'hello.py': { edits: 2, accepts: 2, rejects: 0 } },
};
const LONG_SESSION_STORE: StoreExpect = {
  decisionsByTool: WRITE_EDIT_BASH_STORE.decisionsByTool,
  tools: WRITE_EDIT_BASH_STORE.tools,
  fileEdits: { 'counter.txt': { edits: 2, accepts: 2, rejects: 0 } },
};
const STORE_EXPECT: Record<string, StoreExpect> = {
  'plain-answer': NO_TOOLS,
  'write-edit-bash': WRITE_EDIT_BASH_STORE,
  'write-edit-bash-json': WRITE_EDIT_BASH_STORE,
  'write-edit-bash-gzip': WRITE_EDIT_BASH_STORE,
  // The rm is rejected by a config rule and never runs; the Write refused in print mode leaves no event.
  // Both refused tools still get a claude_code.tool span (c-denied-tool traces: Bash rm and Write).
  'denied-tool': { decisionsByTool: { Bash: { accepts: 0, rejects: 1 } }, tools: {}, fileEdits: {}, refusedToolSpans: 2 },
  'api-errors': NO_TOOLS,
  // Events say tool_name "mcp_tool"; the store names the tool from tool_parameters.
  'mcp-tool': {
    decisionsByTool: { mcp__fixture__add: { accepts: 1, rejects: 0 }, mcp__fixture__lookup_ticket: { accepts: 1, rejects: 0 } },
    tools: {
      mcp__fixture__add: { calls: 1, failures: 0, mcpServer: 'fixture' },
      mcp__fixture__lookup_ticket: { calls: 1, failures: 1, mcpServer: 'fixture' },
    },
    fileEdits: {},
  },
  'long-session-delta': LONG_SESSION_STORE,
  'long-session-cumulative': LONG_SESSION_STORE,
  // One Write, three Bash calls (git add, git commit, gh pr create), each allowed by a config rule.
  'git-commit-pr': {
    decisionsByTool: { Write: { accepts: 1, rejects: 0 }, Bash: { accepts: 3, rejects: 0 } },
    tools: { Write: { calls: 1, failures: 0 }, Bash: { calls: 3, failures: 0 } },
    fileEdits: { 'greeting.py': { edits: 1, accepts: 1, rejects: 0 } },
  },
  // The subagent's Bash runs in the same session: the store counts it with the main agent's tools.
  subagent: {
    decisionsByTool: { Agent: { accepts: 1, rejects: 0 }, Bash: { accepts: 1, rejects: 0 } },
    tools: { Agent: { calls: 1, failures: 0 }, Bash: { calls: 1, failures: 0 } },
    fileEdits: {},
  },
};

const COST_TOLERANCE = 1e-12;
const ALL = { range: { key: 'all' } } as const;

function assertCost(actual: number, expected: number, what: string): void {
  assert.ok(Math.abs(actual - expected) <= COST_TOLERANCE, `${what}: store ${actual} vs Claude Code ${expected} (diff ${actual - expected})`);
}

function byKey<T extends { key: string }, V>(rows: readonly T[], value: (r: T) => V): Record<string, V> {
  return Object.fromEntries(rows.map((r) => [r.key, value(r)]));
}

/**
 * The real store's named queries against the run's truth: the fake's usage log (tokens, request
 * ids, models), Claude Code's own cost_usd (sum of the api_request events it sent: the cross-check
 * of issue 3 section 7), the session id the API saw, and the scenario's expectations.
 */
async function assertStore(scenario: Scenario, run: ScenarioRun, ingested: readonly IngestCall[], store: StoreClient): Promise<void> {
  const exp = scenario.expect;
  const sx = STORE_EXPECT[scenario.name];
  assert.ok(sx, `no STORE_EXPECT entry for scenario ${scenario.name}`);
  for (const c of ingested) {
    assert.deepEqual(c.stored, { accepted: c.records.length, rejected: 0 }, `${c.signal}: the real store accepted every decoded record`);
  }

  const records = ingested.flatMap((c) => c.records);
  const apiRequests = records.filter((r): r is ApiRequestEvent => r.kind === 'apiRequest');
  const claudeCost = apiRequests.reduce((a, r) => a + (r.costUsd as number), 0);
  const truth = sumUsage(run.usageLog);
  const tokens = {
    input: truth.input_tokens,
    output: truth.output_tokens,
    cacheRead: truth.cache_read_input_tokens,
    cacheCreation: truth.cache_creation_input_tokens,
  };
  const sessionId = run.requests.find((r) => r.path === '/v1/messages')?.headers['x-claude-code-session-id'];
  const models = [...new Set(run.usageLog.map((u) => normalizeModel(u.model)))].sort();
  const linesAdded = exp.files.reduce((a, f) => a + f.linesAdded, 0);
  const linesRemoved = exp.files.reduce((a, f) => a + f.linesRemoved, 0);
  const accepts = Object.values(sx.decisionsByTool).reduce((a, d) => a + d.accepts, 0);
  const rejects = Object.values(sx.decisionsByTool).reduce((a, d) => a + d.rejects, 0);
  assert.equal(
    accepts + rejects,
    Object.values(exp.decisions).reduce((a, n) => a + n, 0),
    'STORE_EXPECT decisions agree with the scenario',
  );

  // --- productivity: commits, pull requests and lines as Claude Code counted them, CLI active time from its metric
  const prod = await store.query('productivity', ALL);
  assert.deepEqual(
    [prod.totals.commits, prod.totals.pullRequests, prod.totals.linesAdded, prod.totals.linesRemoved, prod.totals.sessions],
    [exp.commits ?? 0, exp.pullRequests ?? 0, linesAdded, linesRemoved, 1],
    'productivity totals',
  );
  const activeMetric = metricTotal(records.filter(isClaudeMetric), 'claude_code.active_time.total', (p) => p.attrs.type === 'cli');
  assert.ok(Math.abs(prod.totals.activeSecondsCli - activeMetric) < 1e-9, `productivity CLI active time ${prod.totals.activeSecondsCli} = metric ${activeMetric}`);

  // --- summary: the cross-check
  const summary = await store.query('summary', ALL);
  storeSummaryByScenario.set(scenario.name, summary);
  assertCost(summary.costUsd, claudeCost, 'summary.costUsd = sum of the cost_usd Claude Code sent');
  assert.equal(summary.costSource, 'reported', 'summary.costSource');
  assert.equal(summary.requests, run.usageLog.length, 'summary.requests = answered /v1/messages');
  assert.deepEqual(summary.tokens, tokens, 'summary.tokens = fake API usage');
  assert.equal(summary.sessions, 1, 'summary.sessions');
  assert.equal(summary.prompts, exp.prompts, 'summary.prompts');
  assert.deepEqual({ added: summary.linesAdded, removed: summary.linesRemoved }, { added: linesAdded, removed: linesRemoved }, 'summary lines');
  assert.deepEqual({ accepts: summary.accepts, rejects: summary.rejects }, { accepts, rejects }, 'summary decisions');
  assert.deepEqual(summary.unpricedModels, [], 'summary.unpricedModels');
  const usedModels = summary.byModel.filter((m) => m.requests > 0);
  assert.deepEqual(usedModels.map((m) => m.model).sort(), models, 'summary.byModel models = the models the API answered');
  for (const m of usedModels) {
    const log = run.usageLog.filter((u) => normalizeModel(u.model) === m.model);
    assert.equal(m.requests, log.length, `byModel ${m.model} requests`);
    assertCost(m.costUsd, apiRequests.filter((r) => r.modelNorm === m.model).reduce((a, r) => a + (r.costUsd as number), 0), `byModel ${m.model} cost`);
  }
  for (const m of summary.byModel.filter((x) => x.requests === 0)) {
    // A model seen only on metrics before the first api_request is retracted to zero, never counted.
    assertCost(m.costUsd, 0, `byModel ${m.model} without requests`);
    assert.deepEqual(m.tokens, { input: 0, output: 0, cacheRead: 0, cacheCreation: 0 }, `byModel ${m.model} tokens without requests`);
  }

  // --- sessions
  const sessions = await store.query('sessions', ALL);
  assert.equal(sessions.total, 1, 'sessions.total');
  const row = sessions.sessions[0];
  assert.equal(row.sessionId, sessionId, 'session id = x-claude-code-session-id');
  assertCost(row.costUsd, claudeCost, 'session cost');
  assert.deepEqual(
    {
      costSource: row.costSource, requests: row.requests, prompts: row.prompts, tokens: row.tokens, models: row.models, repo: row.repo,
      linesAdded: row.linesAdded, linesRemoved: row.linesRemoved, accepts: row.accepts, rejects: row.rejects,
    },
    {
      costSource: 'reported', requests: run.usageLog.length, prompts: exp.prompts, tokens, models, repo: 'demo',
      linesAdded, linesRemoved, accepts, rejects,
    },
    'session row',
  );
  assert.ok(row.durationMs >= 0, 'session duration');

  // --- files
  const files = await store.query('filesEdited', ALL);
  assert.deepEqual(
    Object.fromEntries(files.files.map((f) => [relative(run.ctx.cwd, f.path), f])),
    Object.fromEntries(
      exp.files.map((f) => {
        const e = sx.fileEdits[f.path];
        assert.ok(e, `STORE_EXPECT.fileEdits lacks ${f.path}`);
        const stored = files.files.find((x) => x.path === join(run.ctx.cwd, f.path));
        return [
          f.path,
          {
            path: join(run.ctx.cwd, f.path), edits: e.edits, accepts: e.accepts, rejects: e.rejects, linesAdded: f.linesAdded,
            linesRemoved: f.linesRemoved, sessions: 1, lastEdited: stored?.lastEdited ?? '(missing)',
          },
        ];
      }),
    ),
    'filesEdited: absolute path, edits, decisions, Claude Code line counts',
  );

  // --- acceptance: every decision of these print-mode runs is automatic (config rules)
  const acc = await store.query('acceptance', ALL);
  const rateOf = (a: number, r: number) => (a + r === 0 ? null : a / (a + r));
  assert.deepEqual(acc.overall, { accepts, rejects, rate: rateOf(accepts, rejects) }, 'acceptance.overall');
  assert.deepEqual(acc.auto, acc.overall, 'acceptance.auto = overall (config decisions)');
  assert.deepEqual(acc.user, { accepts: 0, rejects: 0, rate: null }, 'acceptance.user: nobody was asked');
  assert.deepEqual(
    byKey(acc.byTool, (r) => ({ accepts: r.accepts, rejects: r.rejects })),
    sx.decisionsByTool,
    'acceptance.byTool',
  );
  const sources: Record<string, { accepts: number; rejects: number; auto: boolean }> = {};
  for (const [key, n] of Object.entries(exp.decisions)) {
    const [decision, source] = key.split('/');
    const e = (sources[source] ??= { accepts: 0, rejects: 0, auto: true });
    if (decision === 'accept') e.accepts += n;
    else e.rejects += n;
  }
  assert.deepEqual(byKey(acc.bySource, (r) => ({ accepts: r.accepts, rejects: r.rejects, auto: r.auto })), sources, 'acceptance.bySource');

  // --- tools
  const ts = await store.query('toolStats', ALL);
  assert.deepEqual(
    Object.fromEntries(ts.tools.map((t) => [t.tool, { calls: t.calls, failures: t.failures, ...(t.mcpServer ? { mcpServer: t.mcpServer } : {}) }])),
    sx.tools,
    'toolStats: calls and failures per tool',
  );
  for (const t of ts.tools) {
    assert.equal(t.successRate, (t.calls - t.failures) / t.calls, `${t.tool} successRate`);
    assert.equal(typeof t.p50Ms, 'number', `${t.tool} p50 (tool_result carries duration_ms)`);
  }

  // --- API errors: retried errors that end in success emit no api_error (INVENTORY.md)
  const errs = await store.query('apiErrors', ALL);
  assert.deepEqual(
    { total: errs.total, byStatus: errs.byStatus, retriesExhausted: errs.retriesExhausted, refusals: errs.refusals, recent: errs.recent },
    { total: 0, byStatus: [], retriesExhausted: 0, refusals: 0, recent: [] },
    'apiErrors: none (every run ends in success)',
  );

  // --- status bar snapshot: only the time-independent parts (a run may straddle local midnight)
  const status = await store.query('status', {});
  assert.equal(status.currentSession?.sessionId, sessionId, 'status.currentSession');
  assertCost(status.currentSession?.costUsd ?? NaN, claudeCost, 'status.currentSession.costUsd');
  assert.ok(status.lastEventAt !== null && status.dataVersion > 0, 'status: data stored');

  await assertTimeline(scenario, run, store, { sessionId, claudeCost, tokens, sx });
}

/** sessionTimeline of the scenario's session: prompts -> requests and tools, and the span waterfall. */
async function assertTimeline(
  scenario: Scenario,
  run: ScenarioRun,
  store: StoreClient,
  t: { sessionId: string | undefined; claudeCost: number; tokens: TokenTotals; sx: StoreExpect },
): Promise<void> {
  const exp = scenario.expect;
  const tl = await store.query('sessionTimeline', { sessionId: 'current' });
  assert.equal(tl.found, true, 'timeline found');
  assert.equal(tl.sessionId, t.sessionId, "timeline 'current' = the run's session");
  const prompts = tl.prompts.filter((p) => p.promptId !== null);
  assert.equal(prompts.length, exp.prompts, 'timeline prompt groups');
  assert.deepEqual(tl.prompts.filter((p) => p.promptId === null), [], 'every record belongs to a prompt (no title request)');
  assert.deepEqual(prompts.map((p) => p.promptText), scenario.prompts, 'prompts in order, text kept (capture enabled)');
  for (const p of prompts) assert.equal(p.promptLength, p.promptText?.length, 'prompt length');

  const requests: TimelineRequestDto[] = prompts.flatMap((p) => p.requests);
  assert.deepEqual(requests.map((r) => r.requestId).sort(), run.usageLog.map((u) => u.requestId).sort(), 'timeline request ids');
  assert.deepEqual(
    requests.reduce(
      (a, r) => ({
        input: a.input + r.tokens.input, output: a.output + r.tokens.output, cacheRead: a.cacheRead + r.tokens.cacheRead,
        cacheCreation: a.cacheCreation + r.tokens.cacheCreation,
      }),
      { input: 0, output: 0, cacheRead: 0, cacheCreation: 0 },
    ),
    t.tokens,
    'timeline request tokens',
  );
  assertCost(prompts.reduce((a, p) => a + p.costUsd, 0), t.claudeCost, 'timeline prompt costs');
  for (const r of requests) {
    assert.equal(r.estimated, false, 'cost reported, not estimated');
    assert.ok(r.attempts !== null && r.attempts >= 1, `request ${r.requestId} attempts from its llm_request span`);
  }
  if (exp.llmAttempts) {
    assert.equal(Math.max(...requests.map((r) => r.attempts ?? 0)), exp.llmAttempts.maxAttempt, 'timeline attempts (retries before success)');
  }
  if (exp.subagentRequests !== undefined) {
    assert.equal(requests.filter((r) => r.querySource?.startsWith('agent:')).length, exp.subagentRequests, 'timeline subagent requests');
  }
  assert.deepEqual(prompts.flatMap((p) => p.errors), [], 'timeline errors');

  const tools: TimelineToolDto[] = prompts.flatMap((p) => p.tools);
  const ran: Record<string, { calls: number; failures: number }> = {};
  const decided: Record<string, { accepts: number; rejects: number }> = {};
  for (const x of tools) {
    if (x.success !== null) {
      const e = (ran[x.tool] ??= { calls: 0, failures: 0 });
      e.calls++;
      if (!x.success) e.failures++;
    }
    if (x.decision !== null) {
      const e = (decided[x.tool] ??= { accepts: 0, rejects: 0 });
      if (x.decision === 'accept') e.accepts++;
      else e.rejects++;
      assert.equal(x.decisionSource, 'config', `${x.tool} decision source`);
    }
  }
  assert.deepEqual(ran, Object.fromEntries(Object.entries(t.sx.tools).map(([k, v]) => [k, { calls: v.calls, failures: v.failures }])), 'timeline tool results');
  assert.deepEqual(decided, t.sx.decisionsByTool, 'timeline tool decisions');

  // Traces are on in every scenario: each prompt has its waterfall, rooted in its interaction span.
  for (const p of prompts) {
    assert.ok(p.waterfall.length > 0, `prompt ${p.promptId}: waterfall present`);
    const roots = p.waterfall.filter((w) => w.depth === 0);
    assert.deepEqual(roots.map((w) => w.type), ['interaction'], `prompt ${p.promptId}: one interaction root`);
    assert.ok(p.modelMs !== null && p.modelMs > 0, `prompt ${p.promptId}: model time from spans`);
  }
  const llm = prompts.flatMap((p) => p.waterfall).filter((w) => w.type === 'llm_request');
  assert.equal(llm.length, exp.apiRequests, 'one llm_request bar per model call');
  const toolBars = prompts.flatMap((p) => p.waterfall).filter((w) => w.type === 'tool');
  assert.equal(toolBars.length, Object.values(t.sx.tools).reduce((a, x) => a + x.calls, 0) + (t.sx.refusedToolSpans ?? 0), 'tool bars');

  if (scenario.name === 'mcp-tool') {
    const [p] = prompts;
    assert.deepEqual(
      p.tools.map((x) => ({ tool: x.tool, success: x.success, error: x.error })),
      [
        { tool: 'mcp__fixture__add', success: true, error: null },
        { tool: 'mcp__fixture__lookup_ticket', success: false, error: 'ticket missing not found' },
      ],
      'mcp-tool: MCP calls named by server and tool, the isError text kept',
    );
    assert.deepEqual(
      p.waterfall.filter((w) => w.error).map((w) => ({ type: w.type, label: w.label })),
      [{ type: 'tool.execution', label: 'mcp__fixture__lookup_ticket' }],
      'mcp-tool: the failed execution span is marked as an error',
    );
  }

  if (scenario.name === 'write-edit-bash') {
    // The detailed view of one scenario: what the dashboard's session page shows.
    const [p] = prompts;
    const file = join(run.ctx.cwd, 'hello.py');
    assert.equal(p.requests.length, 4, 'four model calls in the one prompt');
    assert.deepEqual(
      p.tools.map((x) => ({
        tool: x.tool, filePath: x.filePath, command: x.command, decision: x.decision, success: x.success,
        linesAdded: x.linesAdded, linesRemoved: x.linesRemoved, hasId: x.toolUseId !== null, timed: x.durationMs !== null,
      })),
      [
        // Claude Code counts the new file's 5 lines + trailing newline as 6 (INVENTORY.md / lines_of_code).
        { tool: 'Write', filePath: file, command: null, decision: 'accept', success: true, linesAdded: 6, linesRemoved: 0, hasId: true, timed: true },
        { tool: 'Edit', filePath: file, command: null, decision: 'accept', success: true, linesAdded: 3, linesRemoved: 1, hasId: true, timed: true },
        { tool: 'Bash', filePath: null, command: 'ls -la', decision: 'accept', success: true, linesAdded: null, linesRemoved: null, hasId: true, timed: true },
      ],
      'write-edit-bash: tools in order with decisions, files, lines and the command',
    );
    assert.deepEqual(
      [...new Set(p.waterfall.map((w) => w.type))].sort(),
      ['interaction', 'llm_request', 'tool', 'tool.blocked_on_user', 'tool.execution'],
      'waterfall span types',
    );
    for (const w of p.waterfall) assert.ok(w.endMs >= w.startMs, `${w.name} ends after it starts`);
    assert.ok(p.toolExecutionMs !== null && p.toolExecutionMs >= 0, 'tool execution time');
    assert.ok(p.blockedOnUserMs !== null, 'blocked-on-user time (0 or more: config decisions)');
  }
}

describe('real Claude Code CLI against the fake API, telemetry decoded by our ingest', () => {
  for (const scenario of SCENARIOS) {
    test(`${scenario.name}: ${scenario.description}`, async () => {
      calls.length = 0;
      serverLog.lines.length = 0;
      const dataDir = mkdtempSync(join(tmpdir(), `ccl-store-${scenario.name}-`));
      const store = await StoreClient.open({ dataDir, workerPath: DB_WORKER, ingest: STORE_INGEST });
      tee.use(store);
      let run: ScenarioRun | undefined;
      try {
        run = await executeScenario(scenario, { fake, otlpEndpoint: server.url, timeoutMs: RUN_TIMEOUT_MS });
        assertScenario(scenario, run, calls);
        await assertStore(scenario, run, calls, store);
      } finally {
        tee.use(undefined);
        run?.dispose();
        await store.close();
        rmSync(dataDir, { recursive: true, force: true });
      }
    });
  }

  test('on the wire: http/json and gzip are what Claude Code really sends (raw capture)', async () => {
    const capture: OtlpCapture = await startOtlpCapture();
    try {
      for (const [name, contentType, encoding] of [
        ['write-edit-bash-json', 'application/json', undefined],
        ['write-edit-bash-gzip', 'application/x-protobuf', 'gzip'],
      ] as const) {
        capture.reset();
        const run = await executeScenario(scenarioByName(name), { fake, otlpEndpoint: capture.endpoint, timeoutMs: RUN_TIMEOUT_MS });
        run.dispose();
        assert.equal(run.result.exitCode, 0, run.result.stderr);
        assert.deepEqual([...new Set(capture.requests.map((r) => signalOf(r.path)))].sort(), ['logs', 'metrics', 'traces']);
        for (const r of capture.requests) {
          assert.equal(r.method, 'POST');
          assert.equal(r.headers['content-type'], contentType, `${name} ${r.path}`);
          assert.equal(r.headers['content-encoding'], encoding, `${name} ${r.path}`);
          // Chunked, no content-length (INVENTORY.md): the receiver must read to the end.
          assert.equal(r.headers['content-length'], undefined);
        }
      }
    } finally {
      await capture.close();
    }
  });

  test('delta and cumulative temporality give the same cost and token totals', () => {
    const delta = metricTotalsByScenario.get('long-session-delta');
    const cumulative = metricTotalsByScenario.get('long-session-cumulative');
    assert.ok(delta && cumulative, 'both long-session scenarios ran');
    assert.deepEqual(cumulative.tokens, delta.tokens);
    assert.ok(Math.abs(cumulative.cost - delta.cost) < 1e-9, `${cumulative.cost} vs ${delta.cost}`);
  });

  test('delta and cumulative temporality give the same store summary totals', () => {
    const delta = storeSummaryByScenario.get('long-session-delta');
    const cumulative = storeSummaryByScenario.get('long-session-cumulative');
    assert.ok(delta && cumulative, 'both long-session scenarios reached the store assertions');
    const totals = (s: SummaryDto) => ({
      costSource: s.costSource, requests: s.requests, sessions: s.sessions, prompts: s.prompts, tokens: s.tokens,
      // Lines come from the lines_of_code metric: the cumulative series go through the store's delta conversion.
      linesAdded: s.linesAdded, linesRemoved: s.linesRemoved, accepts: s.accepts, rejects: s.rejects,
    });
    assert.deepEqual(totals(cumulative), totals(delta));
    assertCost(cumulative.costUsd, delta.costUsd, 'cumulative vs delta summary cost');
  });
});
