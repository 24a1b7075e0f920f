// The real Claude Code CLI (pinned 2.1.197) offline against the fake Messages API, then our transcript
// import of what it wrote under $HOME/.claude/projects. Truth never comes from our own code: the cost
// and the session id are Claude Code's own (`--output-format json`: total_cost_usd, session_id), the
// request count and tokens are the fake API's usage log, the line counts are the scenario's (Claude
// Code's lines_of_code metric in the OTLP test of the same scenario).
// 1. A run WITHOUT the telemetry environment: the session appears from its transcript alone.
// 2. A run WITH telemetry to `cli.js serve`, then the import of its transcripts: every request is
//    already known from OTLP, the totals (Claude Code's exact cost_usd) do not move.
// Run `node esbuild.mjs` first (dist/cli.js, dist/dbWorker.js).
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { DurableStore } from '../../src/core/store/durableStore';
import { LedgerDb, loadSqlJs } from '../../src/core/store/ledgerDb';
import { makeScratch, REPO_ROOT, runClaude } from '../support/claudeRunner';
import { apiCall, CLI, freePort, importJson, startServe, stopServe as stop, summaryOf } from '../support/ledgerCli';
import { startFakeAnthropic, sumUsage, type FakeAnthropic } from '../support/fakeAnthropic';
import { scenarioByName, type ScenarioContext } from '../support/scenarios';

const ALL = { key: 'all' } as const;
const SCENARIO = scenarioByName('write-edit-bash'); // Write + Edit + Bash, 4 API answers

let fake: FakeAnthropic;
before(async () => {
  assert.ok(fs.existsSync(CLI), 'dist/cli.js is missing: run `node esbuild.mjs` first');
  fake = await startFakeAnthropic({ turns: [] });
});
after(async () => {
  await fake?.close();
});

interface ClaudeResult {
  type: string;
  is_error: boolean;
  total_cost_usd: number;
  session_id: string;
}

/** Runs the scenario once with `--output-format json`; returns Claude Code's own result and the fake's log. */
async function runScenario(otlpEndpoint?: string) {
  const scratch = makeScratch('ccl-transcripts-');
  const ctx: ScenarioContext = { cwd: scratch.cwd, home: scratch.home, mcpCallLog: path.join(scratch.root, 'mcp-calls.jsonl') };
  SCENARIO.setup?.(ctx);
  fake.reset(SCENARIO.turns(ctx));
  const run = await runClaude({
    cwd: ctx.cwd,
    home: ctx.home,
    prompt: SCENARIO.prompts[0],
    args: [...SCENARIO.args, '--output-format', 'json'],
    fakeApiUrl: fake.url,
    otlpEndpoint,
    timeoutMs: 60_000,
  });
  assert.equal(run.timedOut, false, `claude timed out: ${run.stderr}`);
  assert.equal(run.exitCode, 0, `claude failed: ${run.stderr}\n${run.stdout}`);
  if (!otlpEndpoint) assert.ok(!Object.keys(run.env).some((k) => k.startsWith('OTEL_') || k === 'CLAUDE_CODE_ENABLE_TELEMETRY'), 'no telemetry env');
  const json = run.stdout.split('\n').filter((l) => l.trim().startsWith('{')).pop();
  assert.ok(json, `no JSON result on stdout: ${run.stdout}`);
  const result = JSON.parse(json) as ClaudeResult;
  assert.equal(result.type, 'result');
  assert.equal(result.is_error, false);
  assert.ok(result.total_cost_usd > 0);
  const usageLog = [...fake.usageLog];
  assert.equal(usageLog.length, SCENARIO.expect.apiRequests, 'the scripted answers were all used');
  assert.ok(usageLog.every((u) => u.kind === 'main'), 'no side requests (nonessential traffic is off)');
  const projects = path.join(ctx.home, '.claude', 'projects');
  assert.ok(fs.existsSync(projects), 'Claude Code wrote its transcripts');
  return { ctx, scratch, result, usageLog, projects };
}

test('a session run WITHOUT telemetry appears from its transcript alone, at the cost Claude Code computed', { timeout: 180_000 }, async () => {
  const { ctx, scratch, result, usageLog, projects } = await runScenario();
  const dataDir = fs.mkdtempSync(path.join(tmpdir(), 'ledger-cc-transcripts-'));
  try {
    const imp = await importJson(dataDir, projects);
    assert.equal(imp.requestsAdded, usageLog.length);
    assert.equal(imp.knownFromOtlp, 0);
    assert.equal(imp.prompts, 1);
    assert.equal(imp.toolUses, 3);
    const sum = sumUsage(usageLog);
    const SQL = await loadSqlJs(path.join(REPO_ROOT, 'dist/sql-wasm.wasm'));
    const store = DurableStore.open(SQL, { dataDir, log: () => undefined });
    try {
      const sessions = store.query('sessions', { range: ALL, limit: 50 }).sessions;
      assert.deepEqual(sessions.map((s) => s.sessionId), [result.session_id], 'the session, under Claude Code\'s session id');
      const s = sessions[0];
      assert.ok(Math.abs(s.costUsd - result.total_cost_usd) < 1e-6, `cost ${s.costUsd} vs Claude Code's total_cost_usd ${result.total_cost_usd}`);
      assert.equal(s.costSource, 'estimated');
      assert.equal(s.requests, usageLog.length);
      assert.deepEqual(s.tokens, { input: sum.input_tokens, output: sum.output_tokens, cacheRead: sum.cache_read_input_tokens, cacheCreation: sum.cache_creation_input_tokens });
      assert.equal(s.prompts, 1);
      const summary = store.query('summary', { range: ALL });
      assert.equal(summary.requests, usageLog.length);
      assert.ok(Math.abs(summary.costUsd - result.total_cost_usd) < 1e-6);
      assert.equal(summary.costSource, 'estimated');
      // Every request of the fake's log, by its request id, priced from the bundled table.
      const replica = LedgerDb.open(SQL, store.exportReplica());
      const rows = replica.sql.all<{ request_id: string; source: string; price_source: string }>('SELECT request_id, source, price_source FROM v_api_requests ORDER BY request_id');
      replica.close();
      assert.deepEqual(rows.map((r) => r.request_id), usageLog.map((u) => u.requestId).sort());
      assert.ok(rows.every((r) => r.source === 'transcript' && r.price_source === 'table'), JSON.stringify(rows));
      // Files edited: the Write and the Edit of hello.py, with Claude Code's line counts.
      const files = store.query('filesEdited', { range: ALL }).files;
      const want = SCENARIO.expect.files.map((f) => ({ path: path.join(ctx.cwd, f.path), linesAdded: f.linesAdded, linesRemoved: f.linesRemoved, edits: 2 }));
      assert.deepEqual(files.map((f) => ({ path: f.path, linesAdded: f.linesAdded, linesRemoved: f.linesRemoved, edits: f.edits })), want);
      const tools = Object.fromEntries(store.query('toolStats', { range: ALL }).tools.map((t) => [t.tool, t.calls]));
      assert.deepEqual(tools, { Write: 1, Edit: 1, Bash: 1 });
    } finally {
      store.close();
    }
    // Importing again reads nothing new.
    const again = await importJson(dataDir, projects);
    assert.equal(again.lines, 0);
    assert.equal(again.requestsAdded, 0);
  } finally {
    fs.rmSync(dataDir, { recursive: true, force: true });
    scratch.dispose();
  }
});

test('a session run WITH telemetry to `cli.js serve`, then its transcripts imported: every request known from OTLP, totals unchanged', { timeout: 180_000 }, async () => {
  const dataDir = fs.mkdtempSync(path.join(tmpdir(), 'ledger-cc-otlp-'));
  const port = await freePort();
  const serve = await startServe(port, dataDir);
  let scratch: { dispose(): void } | undefined;
  try {
    const run = await runScenario(`http://127.0.0.1:${port}`);
    scratch = run.scratch;
    const { result, usageLog, projects } = run;
    // Claude Code flushes its exporters at exit; wait on the ledger's change feed (no sleeps) until the
    // api_requests are in.
    let version = -1;
    let before = await summaryOf(port);
    while (before.requests < usageLog.length) {
      version = (await apiCall<{ dataVersion: number }>(port, 'GET', `/api/changes?since=${version}`)).dataVersion;
      before = await summaryOf(port);
    }
    assert.equal(before.requests, usageLog.length);
    assert.equal(before.costSource, 'reported');
    assert.ok(Math.abs(before.costUsd - result.total_cost_usd) < 1e-9, `OTLP cost ${before.costUsd} vs total_cost_usd ${result.total_cost_usd}`);
    await stop(serve);

    const imp = await importJson(dataDir, projects);
    assert.equal(imp.knownFromOtlp, usageLog.length, 'every transcript request is known from OTLP');
    assert.equal(imp.requestsAdded, 0);
    assert.equal(imp.updated, 0);
    assert.equal(imp.toolUses, 0, 'tool uses known from OTLP tool_result');
    assert.equal(imp.prompts, 0, 'the prompt known from OTLP user_prompt');

    const SQL = await loadSqlJs(path.join(REPO_ROOT, 'dist/sql-wasm.wasm'));
    const store = DurableStore.open(SQL, { dataDir, log: () => undefined });
    try {
      const afterImport = store.query('summary', { range: ALL });
      assert.deepEqual({ ...afterImport, range: null }, { ...before, range: null }, 'the import changed no total');
      assert.equal(afterImport.costUsd, before.costUsd, 'Claude Code\'s exact cost_usd is kept');
      const sessions = store.query('sessions', { range: ALL, limit: 50 }).sessions;
      assert.deepEqual(sessions.map((s) => s.sessionId), [result.session_id]);
      assert.equal(sessions[0].requests, usageLog.length);
      assert.equal(sessions[0].costSource, 'reported');
      const files = store.query('filesEdited', { range: ALL }).files;
      assert.equal(files.length, 1);
      assert.equal(files[0].edits, 2, 'each edit counted once');
    } finally {
      store.close();
    }
  } finally {
    if (serve.exitCode === null && serve.signalCode === null) await stop(serve);
    fs.rmSync(dataDir, { recursive: true, force: true });
    scratch?.dispose();
  }
});
