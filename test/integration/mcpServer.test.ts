// The MCP server end to end over loopback: the real receiver (startLedgerServer) routing /mcp to our
// lazily loaded module, the real StoreClient (DB worker + journal) fed with every fixture payload, the
// official MCP SDK client, and the real query_sql worker. Nothing is mocked.
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import * as http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { memoryLogger } from '../../src/core/log';
import { formatCount, formatMs, formatUsd } from '../../src/core/format/numbers';
import { startLedgerServer, type LedgerServer } from '../../src/server/httpServer';
import type { McpModule as ServerMcpModule } from '../../src/server/mcp/mcpTypes';
import * as mcpModule from '../../src/server/mcp/mcpHandler';
import { StoreClient } from '../../src/server/storeClient';
import {
  buildWorkers,
  connectClient,
  fixturePayloads,
  initializeBody,
  MCP_ACCEPT,
  rawRequest,
  toolCallBody,
  toolsListBody,
  type Bundles,
} from './mcpHarness';

const TOKEN = 'mcp-test-token-0123456789abcdef0123456789abcdef';
const SQL_TIMEOUT_MS = 2_000;
const ALL = { range: 'all' };
const EXPECTED_TOOLS = [
  'acceptance_rates',
  'api_errors',
  'burn_rate',
  'describe_schema',
  'files_edited',
  'list_sessions',
  'plan_limits',
  'pricing',
  'productivity',
  'query_sql',
  'session_timeline',
  'tool_stats',
  'usage_summary',
];

let bundles: Bundles;
let dataDir: string;
let store: StoreClient;
let server: LedgerServer;
let client: Client;
/** Log lines as events too, so a test can wait for "the worker started the query" instead of sleeping. */
const logLines = new EventEmitter();
const log = memoryLogger(
  new Proxy([] as string[], {
    get(target, key, receiver) {
      if (key !== 'push') return Reflect.get(target, key, receiver) as unknown;
      return (...items: string[]) => {
        const n = target.push(...items);
        for (const line of items) logLines.emit('line', line);
        return n;
      };
    },
  }),
);
function nextLine(re: RegExp): Promise<string> {
  return new Promise((resolve) => {
    const on = (line: string) => {
      if (!re.test(line)) return;
      logLines.off('line', on);
      resolve(line);
    };
    logLines.on('line', on);
  });
}
let mcpLoads = 0;
/** What the host's settings say right now; the server reads it through a getter at every burn_rate. */
const budgets: { dailyBudgetUsd: number | null; monthlyBudgetUsd: number | null } = { dailyBudgetUsd: null, monthlyBudgetUsd: null };

function startServer(mcp: Record<string, unknown>): Promise<LedgerServer> {
  return startLedgerServer({
    port: 0,
    token: TOKEN,
    store,
    log,
    // The receiver's own McpModule type names only the store methods it uses itself.
    loadMcp: async () => {
      mcpLoads++;
      return mcpModule as unknown as ServerMcpModule;
    },
    mcp: { sqlWorkerPath: bundles.sqlWorker, sqlTimeoutMs: SQL_TIMEOUT_MS, ...mcp },
  });
}

before(async () => {
  bundles = await buildWorkers();
  dataDir = mkdtempSync(join(tmpdir(), 'ccl-mcp-data-'));
  store = await StoreClient.open({ dataDir, workerPath: bundles.dbWorker, ingest: { storeCommands: true } });
  for (const p of fixturePayloads()) await store.ingest(p.signal, p.encoding, p.body);
  // Commands hidden from MCP although the store holds them: the privacy filter must do the hiding.
  server = await startServer({ captureCommands: false, capturePrompts: false, rateLimitPerMinute: 10_000, budgets: () => ({ ...budgets }) });
  client = await connectClient(`${server.url}/mcp`, TOKEN);
});

after(async () => {
  await client?.close();
  await server?.close();
  await store?.close();
  rmSync(dataDir, { recursive: true, force: true });
  rmSync(bundles.dir, { recursive: true, force: true });
});

async function call(name: string, args: Record<string, unknown> = {}): Promise<CallToolResult> {
  return (await client.callTool({ name, arguments: args })) as CallToolResult;
}

function text(r: CallToolResult): string {
  return r.content.map((c) => (c.type === 'text' ? c.text : '')).join('\n');
}

/** JSON round trip: structuredContent crossed the wire as JSON, so compare like with like. */
function json<T>(v: T): T {
  return JSON.parse(JSON.stringify(v)) as T;
}

describe('tools on fixture data match the store', () => {
  test('the module loads lazily, on the first /mcp request only', () => {
    assert.equal(mcpLoads, 1);
  });

  test('lists the ten tools, each with input and output schema', async () => {
    const { tools } = await client.listTools();
    assert.deepEqual(tools.map((t) => t.name).sort(), EXPECTED_TOOLS);
    for (const t of tools) {
      assert.equal(t.inputSchema.type, 'object', t.name);
      assert.equal(t.outputSchema?.type, 'object', `${t.name} has an output schema`);
      assert.equal(t.annotations?.readOnlyHint, true, t.name);
    }
  });

  test('usage_summary', async () => {
    const r = await call('usage_summary', ALL);
    assert.equal(r.isError, undefined, text(r));
    const truth = await store.query('summary', { range: { key: 'all' } });
    assert.ok(truth.costUsd > 0 && truth.requests > 0, 'the fixtures hold spend');
    const { pricingNote, ...rest } = r.structuredContent as { pricingNote: string };
    assert.deepEqual(rest, json(truth));
    assert.match(pricingNote, /cheap, not free/);
    assert.ok(text(r).includes(`$${truth.costUsd.toFixed(2)}`), text(r));
    assert.match(text(r), /cache reads are billed at about 0\.1x the input price \(cheap, not free\)/);
  });

  test('usage_summary with from/to equals the same range by key', async () => {
    const byKey = await call('usage_summary', ALL);
    const s = byKey.structuredContent as { range: { from: string; to: string } };
    const byDates = await call('usage_summary', { from: s.range.from, to: s.range.to });
    assert.deepEqual(byDates.structuredContent, byKey.structuredContent);
    const bad = await call('usage_summary', { from: 'last tuesday' });
    assert.equal(bad.isError, true);
    assert.match(text(bad), /not an ISO-8601/);
  });

  test('list_sessions', async () => {
    const r = await call('list_sessions', { ...ALL, limit: 50, sort: 'cost' });
    const truth = await store.query('sessions', { range: { key: 'all' }, limit: 50, sort: 'cost' });
    assert.ok(truth.sessions.length >= 5, `fixture sessions: ${truth.sessions.length}`);
    assert.deepEqual(r.structuredContent, json(truth));
  });

  test('pricing: the prices query, learned prices of the fixtures, a short table as text', async () => {
    const r = await call('pricing');
    assert.equal(r.isError, undefined, text(r));
    const truth = await store.query('prices', {});
    assert.deepEqual(r.structuredContent, json(truth));
    const opus = truth.learned.find((l) => l.model === 'claude-opus-4-8' && l.speed === 'normal' && !l.longContext);
    assert.ok(opus, JSON.stringify(truth.learned));
    assert.deepEqual([opus.perMTok.input, opus.perMTok.output], [5, 25]);
    assert.match(text(r), /claude-opus-4-8 \[standard\]: \$5 \/ \$25 /);
    assert.match(text(r), /Bundled table \(\d{4}-\d{2}-\d{2}\)/);
    const filtered = await call('pricing', { model: 'opus-4-8' });
    const f = filtered.structuredContent as { learned: { model: string }[]; table: { families: { family: string }[] } };
    assert.ok(f.learned.length > 0 && f.learned.every((l) => l.model.includes('opus-4-8')));
    assert.deepEqual(f.table.families.map((x) => x.family), ['Opus 4.5+ / 5']);
  });

  test('session_timeline hides commands when command capture is off', async () => {
    // The write-edit-bash session ran a Bash command; find a session whose timeline has one.
    const sessions = await store.query('sessions', { range: { key: 'all' }, limit: 50 });
    let checked = 0;
    for (const s of sessions.sessions) {
      const truth = await store.query('sessionTimeline', { sessionId: s.sessionId });
      const withCommand = truth.prompts.flatMap((p) => p.tools).filter((t) => t.command !== null);
      const r = await call('session_timeline', { sessionId: s.sessionId });
      const got = r.structuredContent as { found: boolean; prompts: { promptText: unknown; tools: { command: unknown }[]; requests: unknown[] }[] };
      assert.equal(got.found, true);
      assert.equal(got.prompts.length, truth.prompts.length);
      assert.deepEqual(
        got.prompts.map((p) => p.requests),
        json(truth.prompts.map((p) => p.requests)),
      );
      for (const p of got.prompts) {
        assert.equal(p.promptText, null);
        for (const t of p.tools) assert.equal(t.command, null);
      }
      if (withCommand.length > 0) checked++;
    }
    assert.ok(checked > 0, 'at least one session had a stored Bash command that MCP hid');
    const current = await call('session_timeline', { sessionId: 'current' });
    assert.equal((current.structuredContent as { found: boolean }).found, true);
    const missing = await call('session_timeline', { sessionId: 'no-such-session' });
    assert.equal((missing.structuredContent as { found: boolean }).found, false);
  });

  for (const [tool, method] of [
    ['files_edited', 'filesEdited'],
    ['acceptance_rates', 'acceptance'],
    ['tool_stats', 'toolStats'],
    ['api_errors', 'apiErrors'],
  ] as const) {
    test(tool, async () => {
      const r = await call(tool, ALL);
      assert.equal(r.isError, undefined, text(r));
      const truth =
        method === 'filesEdited'
          ? await store.query('filesEdited', { range: { key: 'all' }, limit: 50 })
          : await store.query(method, { range: { key: 'all' } });
      assert.deepEqual(r.structuredContent, json(truth));
      assert.ok(text(r).length > 0);
    });
  }

  test('fixture facts show through the tools', async () => {
    const files = (await call('files_edited', ALL)).structuredContent as { files: { path: string }[] };
    assert.ok(files.files.some((f) => f.path.startsWith('/home/dev/projects/acme-web/')), JSON.stringify(files.files));
    const errors = (await call('api_errors', ALL)).structuredContent as { total: number };
    assert.ok(errors.total >= 0);
    const tools = (await call('tool_stats', ALL)).structuredContent as { tools: { tool: string; calls: number }[] };
    assert.ok(tools.tools.some((t) => t.tool === 'Bash' && t.calls > 0), JSON.stringify(tools.tools));
  });

  test('productivity: the named query without its series, and text in the shared number format', async () => {
    const r = await call('productivity', ALL);
    assert.equal(r.isError, undefined, text(r));
    const { series, ...truth } = await store.query('productivity', { range: { key: 'all' } });
    assert.ok(series.length > 0);
    assert.deepEqual(r.structuredContent, json(truth));
    // Every fixture run sent Claude Code's metrics: active time (CLI), lines, no commit or PR.
    assert.ok(truth.totals.activeSecondsCli > 0 && truth.totals.linesAdded > 0);
    assert.equal(truth.totals.commits, 0);
    const t = text(r);
    assert.ok(t.includes(`Claude Code ${formatMs(truth.totals.activeSecondsCli * 1000)})`), t);
    assert.ok(t.includes(`lines +${formatCount(truth.totals.linesAdded)}/-${formatCount(truth.totals.linesRemoved)}, cost ${formatUsd(truth.totals.costUsd)} USD.`), t);
    assert.ok(t.includes(`Cost per active hour: ${formatUsd(truth.totals.costPerActiveHourUsd!)}/hour`), t);
    assert.match(t, /By user\/team: [0-9a-f]{64} \[team platform\]/);
    const week = await call('productivity', { from: '2000-01-01', to: '2000-01-08' });
    assert.match(text(week), /\(0 sessions; 0 sent telemetry metrics.*active time 0 ms/);
  });

  test('burn_rate', async () => {
    const r = await call('burn_rate');
    const truth = await store.query('burnRate', { dailyBudgetUsd: null, monthlyBudgetUsd: null });
    const got = r.structuredContent as unknown as typeof truth;
    // Forecasts and the last-hour rate move with the clock (the oldest 15-minute bucket counts in
    // proportion to its overlap with the last 60 minutes), which moved between the two calls.
    const { forecastTodayUsd, forecastMonthUsd, lastHourUsdPerHour, ...rest } = got;
    const { forecastTodayUsd: ft, forecastMonthUsd: fm, lastHourUsdPerHour: lh, ...restTruth } = truth;
    assert.deepEqual(rest, json(restTruth));
    const near = (a: number | null, b: number | null) => (a === null || b === null ? a === b : Math.abs(a - b) < 1e-3);
    assert.ok(near(forecastTodayUsd, ft) && near(forecastMonthUsd, fm), JSON.stringify([got, truth]));
    if (ft === null) assert.match(text(r), new RegExp(`forecast ${truth.forecastTodayWhyNot}`));
    assert.ok(Math.abs(lastHourUsdPerHour - lh) <= 1e-3 * Math.max(1, lh), JSON.stringify([got, truth]));
    assert.match(text(r), /No daily budget set/);
  });

  test('plan_limits: a status line snapshot and the 5-hour blocks of the stored requests', async () => {
    const resets = Math.floor(Date.now() / 1000) + 3600;
    await store.recordStatusline({ sessionId: 'sess-plan', model: 'Opus 4.5', fiveHour: { usedPercent: 81, resetsAtSec: resets }, sevenDay: { usedPercent: 12 } });
    const r = await call('plan_limits');
    const got = r.structuredContent as { latest: { fiveHour: { usedPercent: number; resetsAt: string }; sevenDay: { usedPercent: number; resetsAt: null } } | null; recentBlocks: unknown[] };
    assert.equal(got.latest?.fiveHour.usedPercent, 81);
    assert.equal(Date.parse(got.latest!.fiveHour.resetsAt), resets * 1000);
    assert.deepEqual(got.latest?.sevenDay, { usedPercent: 12, resetsAt: null });
    assert.deepEqual(got.recentBlocks, json((await store.query('planLimits', {})).recentBlocks), 'the tool returns the named query');
    assert.match(text(r), /5-hour window: 81% used, resets/);
  });

  test('burn_rate reads the budgets at each call (a changed setting shows without a restart)', async () => {
    try {
      budgets.dailyBudgetUsd = 123;
      budgets.monthlyBudgetUsd = 4567;
      const r = await call('burn_rate');
      const got = r.structuredContent as { dailyBudgetUsd: number | null; monthlyBudgetUsd: number | null; todayUsd: number; dailyBudgetRemainingUsd: number | null };
      assert.equal(got.dailyBudgetUsd, 123);
      assert.equal(got.monthlyBudgetUsd, 4567);
      assert.notEqual(got.dailyBudgetRemainingUsd, null);
      assert.match(text(r), /Daily budget \$123/);
      budgets.dailyBudgetUsd = null;
      const after = await call('burn_rate');
      assert.equal((after.structuredContent as { dailyBudgetUsd: number | null }).dailyBudgetUsd, null);
      assert.match(text(after), /No daily budget set/);
    } finally {
      budgets.dailyBudgetUsd = null;
      budgets.monthlyBudgetUsd = null;
    }
  });

  test('describe_schema', async () => {
    const r = await call('describe_schema');
    const d = r.structuredContent as { tables: { name: string; columns: { name: string }[] }[]; examples: string[] };
    const names = d.tables.map((t) => t.name);
    for (const n of ['sessions', 'v_api_requests', 'audit']) assert.ok(names.includes(n), `${n} in ${names.join(',')}`);
    assert.ok(d.examples.length > 0);
    // Every example runs.
    for (const sql of d.examples) {
      const q = await call('query_sql', { sql });
      assert.equal(q.isError, undefined, `${sql}: ${text(q)}`);
    }
  });

  test('query_sql reads the same numbers as the named queries', async () => {
    const truth = await store.query('sessions', { range: { key: 'all' }, limit: 1 });
    const r = await call('query_sql', { sql: 'SELECT count(*) AS n FROM v_sessions' });
    assert.deepEqual(r.structuredContent, { columns: ['n'], rows: [[truth.total]], truncated: false });
    const master = await call('query_sql', { sql: "SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'meta'" });
    assert.deepEqual((master.structuredContent as { rows: unknown[][] }).rows, [['meta']]);
  });

  test('query_sql: commands are nulled in the replica when command capture is off', async () => {
    const r = await call('query_sql', { sql: 'SELECT count(*) FROM tool_calls WHERE command IS NOT NULL' });
    assert.deepEqual((r.structuredContent as { rows: unknown[][] }).rows, [[0]]);
    const all = await call('query_sql', { sql: 'SELECT count(*) FROM tool_calls' });
    assert.ok(((all.structuredContent as { rows: number[][] }).rows[0][0] ?? 0) > 0);
  });

  test('query_sql: 100k rows are capped at 1,000 with truncated=true', async () => {
    const r = await call('query_sql', {
      sql: 'WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 100000) SELECT x FROM c',
    });
    const s = r.structuredContent as { rows: number[][]; truncated: boolean };
    assert.equal(s.rows.length, 1000);
    assert.equal(s.truncated, true);
    assert.deepEqual(s.rows[999], [1000]);
    const limited = await call('query_sql', { sql: 'SELECT 1 UNION ALL SELECT 2 UNION ALL SELECT 3', limit: 2 });
    assert.deepEqual(limited.structuredContent, { columns: ['1'], rows: [[1], [2]], truncated: true });
  });

  test('every tool call is audited', async () => {
    await call('usage_summary', { range: '7d' });
    // The audit table lives in the store's database; read it from a fresh snapshot on disk (audit rows
    // do not change dataVersion, so the cached replica may predate them).
    await store.snapshotNow();
    const { default: initSqlJs } = await import('sql.js');
    const SQL = await initSqlJs();
    const db = new SQL.Database(readFileSync(join(dataDir, 'ledger.db')));
    try {
      const rows = db.exec("SELECT tool, args_summary, ok FROM audit WHERE tool = 'usage_summary' ORDER BY id DESC LIMIT 1")[0]?.values;
      assert.deepEqual(rows, [['usage_summary', '{"range":"7d"}', 1]]);
    } finally {
      db.close();
    }
    assert.ok(log.lines.some((l) => /\[mcp\] tool usage_summary args=\{"range":"7d"\} rows=1 [\d.]+ ms ok/.test(l)));
  });
});

describe('query_sql refuses what is not one read-only SELECT', () => {
  const attacks: [string, RegExp][] = [
    ["INSERT INTO meta(key, value) VALUES ('x', 1)", /only SELECT or WITH/],
    ['UPDATE sessions SET cost_ev = 0', /only SELECT or WITH/],
    ['DELETE FROM sessions', /only SELECT or WITH/],
    ['DROP TABLE sessions', /only SELECT or WITH/],
    ['PRAGMA query_only=0; DELETE FROM sessions', /only one statement|only SELECT or WITH/],
    ['PRAGMA query_only=0', /only SELECT or WITH/],
    ["ATTACH DATABASE '/tmp/ccl-evil.db' AS evil", /only SELECT or WITH/],
    ['SELECT 1; SELECT 2', /only one statement/],
    ['SELECT 1; DELETE FROM sessions', /only one statement/],
    ['WITH x AS (SELECT 1) DELETE FROM sessions', /DELETE is not allowed/],
    ["SELECT load_extension('/tmp/evil.so')", /load_extension\(\) is not allowed/],
    ["SELECT readfile('/etc/passwd')", /readfile\(\) is not allowed/],
    ['SELECT * FROM no_such_table', /no such table/],
  ];
  for (const [sql, reason] of attacks) {
    test(sql, async () => {
      const r = await call('query_sql', { sql });
      assert.equal(r.isError, true);
      assert.match(text(r), reason);
    });
  }

  test('the store is untouched afterwards', async () => {
    const r = await call('query_sql', { sql: 'SELECT count(*) FROM sessions' });
    const truth = await store.query('sessions', { range: { key: 'all' }, limit: 1 });
    assert.deepEqual((r.structuredContent as { rows: unknown[][] }).rows, [[truth.total]]);
  });

  test('a never-ending query times out as a tool error; OTLP is answered meanwhile; the next query works', async (t) => {
    const payload = fixturePayloads().find((p) => p.scenario === 'a-plain-text' && p.signal === 'logs');
    assert.ok(payload);
    const t0 = performance.now();
    // The worker reports each query as it begins; the OTLP request goes out only after that.
    const started = nextLine(/\[mcp\] sql query #\d+ started in the worker/);
    const sqlCall = call('query_sql', {
      sql: 'WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT count(*) FROM c',
    }).then((r) => ({ r, ms: performance.now() - t0 }));
    const first = await Promise.race([started.then(() => 'started' as const), sqlCall.then(() => 'answered' as const)]);
    assert.equal(first, 'started', 'the worker began the runaway query before the OTLP request');
    const o0 = performance.now();
    const otlp = await rawRequest(server.port, {
      path: '/v1/logs',
      headers: { 'Content-Type': payload.contentType },
      body: payload.body,
    });
    const otlpDoneAt = performance.now() - t0;
    const otlpMs = performance.now() - o0;
    const { r, ms } = await sqlCall;
    assert.equal(otlp.status, 200, otlp.body);
    assert.ok(otlpDoneAt < ms, `OTLP answered at ${otlpDoneAt.toFixed(0)} ms, before the SQL timeout at ${ms.toFixed(0)} ms`);
    assert.equal(r.isError, true);
    assert.match(text(r), /did not finish within 2 s/);
    t.diagnostic(`OTLP answered in ${otlpMs.toFixed(1)} ms while the runaway query ran; SQL error after ${ms.toFixed(0)} ms`);
    const next = await call('query_sql', { sql: 'SELECT 42 AS answer' });
    assert.deepEqual(next.structuredContent, { columns: ['answer'], rows: [[42]], truncated: false });
  });
});

describe('HTTP guards', () => {
  test('401 without or with a wrong token, with WWW-Authenticate', async () => {
    for (const headers of [{}, { Authorization: 'Bearer wrong' }, { Authorization: TOKEN }] as Record<string, string>[]) {
      const r = await rawRequest(server.port, { headers: { ...MCP_ACCEPT, ...headers }, body: initializeBody() });
      assert.equal(r.status, 401, JSON.stringify(headers));
      assert.match(String(r.headers['www-authenticate']), /^Bearer/);
    }
    await assert.rejects(connectClient(`${server.url}/mcp`, undefined), /401|Unauthorized/);
  });

  test('403 for a foreign Origin, allowed for a loopback origin with our port', async () => {
    for (const origin of ['http://evil.example', `http://127.0.0.1:${server.port + 1}`, 'null', 'vscode-webview://abc']) {
      const r = await rawRequest(server.port, { headers: { ...MCP_ACCEPT, Authorization: `Bearer ${TOKEN}`, Origin: origin }, body: initializeBody() });
      assert.equal(r.status, 403, origin);
    }
    const ok = await rawRequest(server.port, {
      headers: { ...MCP_ACCEPT, Authorization: `Bearer ${TOKEN}`, Origin: `http://localhost:${server.port}` },
      body: initializeBody(),
    });
    assert.equal(ok.status, 200, ok.body);
  });

  test('421 for a foreign Host (DNS rebinding)', async () => {
    for (const host of ['evil.example', `evil.example:${server.port}`, `127.0.0.1:${server.port + 1}`]) {
      const r = await rawRequest(server.port, { headers: { ...MCP_ACCEPT, Authorization: `Bearer ${TOKEN}`, Host: host }, body: initializeBody() });
      assert.equal(r.status, 421, host);
    }
  });

  test('405 for GET and DELETE (stateless server)', async () => {
    for (const method of ['GET', 'DELETE']) {
      const r = await rawRequest(server.port, { method, headers: { Authorization: `Bearer ${TOKEN}`, Accept: 'text/event-stream' } });
      assert.equal(r.status, 405, method);
    }
  });

  test('413 past the body cap, 400 for a body that is not JSON', async () => {
    const big = await rawRequest(server.port, {
      headers: { ...MCP_ACCEPT, Authorization: `Bearer ${TOKEN}` },
      body: Buffer.alloc(1024 * 1024 + 1, 0x20),
    });
    assert.equal(big.status, 413);
    const bad = await rawRequest(server.port, { headers: { ...MCP_ACCEPT, Authorization: `Bearer ${TOKEN}` }, body: '{not json' });
    assert.equal(bad.status, 400);
  });

  test('429 with Retry-After past the rate of tool calls, per client; other requests spend nothing', async () => {
    const limited = await startServer({ rateLimitPerMinute: 3 });
    try {
      const post = (ua: string, body: string) =>
        rawRequest(limited.port, { headers: { ...MCP_ACCEPT, Authorization: `Bearer ${TOKEN}`, 'User-Agent': ua }, body });
      // Ten initializes and tools/list under a limit of 3: none is a tool call.
      for (let i = 0; i < 10; i++) assert.equal((await post('client-a', initializeBody())).status, 200);
      assert.equal((await post('client-a', toolsListBody())).status, 200);
      for (let i = 0; i < 3; i++) {
        const ok = await post('client-a', toolCallBody('usage_summary', { range: 'all' }));
        assert.equal(ok.status, 200, ok.body);
        assert.equal(JSON.parse(ok.body).result.isError, undefined, ok.body);
      }
      const denied = await post('client-a', toolCallBody('usage_summary', { range: 'all' }));
      assert.equal(denied.status, 429);
      assert.equal(denied.headers['retry-after'], '20');
      // The answer says when to retry and which setting raises the limit.
      assert.match(denied.body, /3 per minute\. Retry after 20 s, or raise the VS Code setting claudeLedger\.mcp\.rateLimitPerMinute/);
      assert.equal((await post('client-a', initializeBody())).status, 200, 'initialize still works with an empty bucket');
      assert.equal((await post('client-b', toolCallBody('usage_summary', { range: 'all' }))).status, 200, 'another client has its own bucket');
    } finally {
      await limited.close();
    }
  });

  test('a client that connects per call (initialize, initialized, call) gets as many calls as the limit says', async () => {
    // 60 per-call connections under 40 tool calls per minute, with the limiter's clock frozen so no token
    // refills during the loop. Counting HTTP requests (the old behaviour: 3 per call) allowed 13 calls.
    const LIMIT = 40;
    const limited = await startServer({ rateLimitPerMinute: LIMIT, rateLimitClock: () => 0 });
    try {
      const outcomes: string[] = [];
      for (let i = 0; i < 60; i++) {
        // Connecting (initialize + notifications/initialized) must work whatever the bucket holds.
        const c = await connectClient(`${limited.url}/mcp`, TOKEN);
        try {
          const r = await c.callTool({ name: 'usage_summary', arguments: ALL }).then(
            (v) => ((v as CallToolResult).isError ? `tool error: ${text(v as CallToolResult)}` : 'ok'),
            (err: unknown) => String(err),
          );
          outcomes.push(r);
        } finally {
          await c.close();
        }
      }
      assert.deepEqual(outcomes.slice(0, LIMIT), Array(LIMIT).fill('ok'));
      for (const o of outcomes.slice(LIMIT)) {
        assert.match(o, /Too many tool calls: this client may make 40 per minute\. Retry after \d+ s, or raise the VS Code setting claudeLedger\.mcp\.rateLimitPerMinute/);
      }
    } finally {
      await limited.close();
    }
  });
});

describe('the handler alone (defence in depth when mounted elsewhere)', () => {
  test('checks Host itself', async () => {
    const plain = http.createServer();
    await new Promise<void>((r) => plain.listen(0, '127.0.0.1', r));
    const port = (plain.address() as { port: number }).port;
    const h = mcpModule.createMcpHandler({ store, token: TOKEN, port, log, runtime: { sqlWorkerPath: bundles.sqlWorker } });
    plain.on('request', (req, res) => void h.handle(req, res));
    try {
      const foreign = await rawRequest(port, { headers: { ...MCP_ACCEPT, Authorization: `Bearer ${TOKEN}`, Host: 'evil.example' }, body: initializeBody() });
      assert.equal(foreign.status, 421);
      const ok = await rawRequest(port, { headers: { ...MCP_ACCEPT, Authorization: `Bearer ${TOKEN}`, Host: `localhost:${port}` }, body: initializeBody() });
      assert.equal(ok.status, 200);
    } finally {
      await h.close();
      await new Promise((r) => plain.close(r));
    }
  });
});
