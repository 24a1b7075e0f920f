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
// content types) over loopback, with a recording store whose ingest is our decodeAndNormalize: the
// store itself is replaced because its tests are elsewhere and this file checks the decoded truth.
// One extra test sends two runs to a raw capture server to check what Claude Code put on the wire
// (content types, gzip). Nothing is mocked except the Anthropic API, which cannot be reached here.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { startFakeAnthropic, sumUsage, type FakeAnthropic } from '../support/fakeAnthropic';
import { startOtlpCapture, signalOf, type OtlpCapture } from '../support/otlpCapture';
import { SCENARIOS, executeScenario, scenarioByName, type Scenario, type ScenarioRun, type TokenTotals } from '../support/scenarios';
import { decodeAndNormalize } from '../../src/core/otlp/ingest';
import type { Encoding } from '../../src/core/otlp/decode';
import { startLedgerServer, type LedgerServer, type LedgerStore } from '../../src/server/httpServer';
import { memoryLogger } from '../../src/core/log';
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
} from '../../src/core/otlp/records';

/** Per-run limit; a healthy run takes 0.5-5 s. */
const RUN_TIMEOUT_MS = 60_000;

interface IngestCall {
  signal: Signal;
  encoding: Encoding;
  bytes: number;
  records: NormRecord[];
}

/** A store that only decodes and records: what the server acknowledged is what the test sees. */
function recordingStore(calls: IngestCall[]): LedgerStore {
  return {
    async ingest(signal, encoding, body) {
      const batch = decodeAndNormalize(signal, encoding, body, { ...DEFAULT_INGEST_OPTIONS, storePromptText: true });
      calls.push({ signal, encoding, bytes: body.length, records: batch.records });
      return { accepted: batch.records.length, rejected: batch.rejected, rejectMessage: batch.rejectMessage };
    },
    onDidChange: () => () => undefined,
    query: () => Promise.reject(new Error('queries are not part of this test')),
  };
}

let fake: FakeAnthropic;
let server: LedgerServer;
const serverLog = memoryLogger();
const calls: IngestCall[] = [];
/** Metric totals of the long-session runs, compared across temporalities at the end. */
const metricTotalsByScenario = new Map<string, { cost: number; tokens: TokenTotals }>();

before(async () => {
  fake = await startFakeAnthropic({ turns: [] });
  server = await startLedgerServer({
    port: 0,
    token: 'test-token',
    store: recordingStore(calls),
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

describe('real Claude Code CLI against the fake API, telemetry decoded by our ingest', () => {
  for (const scenario of SCENARIOS) {
    test(`${scenario.name}: ${scenario.description}`, async () => {
      calls.length = 0;
      serverLog.lines.length = 0;
      const run = await executeScenario(scenario, { fake, otlpEndpoint: server.url, timeoutMs: RUN_TIMEOUT_MS });
      try {
        assertScenario(scenario, run, calls);
      } finally {
        run.dispose();
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
});
