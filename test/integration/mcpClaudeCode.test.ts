// The real Claude Code CLI (2.1.197, offline against the scripted fake Messages API) as the MCP
// client, registered exactly as "Connect Claude Code to MCP" registers it: user scope, with
// ${CLAUDE_LEDGER_TOKEN} and ${CLAUDE_LEDGER_MCP_URL:-...} references instead of values.
// The fake model calls mcp__claude-ledger__usage_summary; Claude Code calls our server and sends the
// tool result back to the fake API in its next request, where we read the cost.
// Telemetry export is off in this run, so the store holds only the fixtures and the cost is fixed.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import {
  CLAUDE_MCP_SERVER_NAME,
  connectPlan,
  mcpUrl,
  registrationState,
} from '../../src/core/connectClaudeCode';
import { memoryLogger } from '../../src/core/log';
import { startLedgerServer, type LedgerServer } from '../../src/server/httpServer';
import type { McpModule as ServerMcpModule } from '../../src/server/mcp/mcpTypes';
import * as mcpModule from '../../src/server/mcp/mcpHandler';
import { StoreClient } from '../../src/server/storeClient';
import { baseEnv, CLAUDE_BIN, makeScratch, runClaude } from '../support/claudeRunner';
import { startFakeAnthropic, type FakeAnthropic } from '../support/fakeAnthropic';
import { buildWorkers, fixturePayloads, type Bundles } from './mcpHarness';

const TOKEN = 'cc-mcp-token-' + 'f00d'.repeat(12);
const TOOL = `mcp__${CLAUDE_MCP_SERVER_NAME}__usage_summary`;

let bundles: Bundles;
let dataDir: string;
let store: StoreClient;
let server: LedgerServer;
let fake: FakeAnthropic;
let scratch: ReturnType<typeof makeScratch>;
const log = memoryLogger();

function claude(args: string[], env: Record<string, string>): Promise<{ code: number; out: string }> {
  return new Promise((resolve) => {
    // Async on purpose: our server runs in this process and must keep answering while claude runs.
    execFile(CLAUDE_BIN, args, { cwd: scratch.cwd, env: { ...baseEnv(), HOME: scratch.home, ...env }, timeout: 60_000 }, (err, stdout, stderr) => {
      resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, out: `${stdout}${stderr}` });
    });
  });
}

before(async () => {
  bundles = await buildWorkers();
  dataDir = mkdtempSync(join(tmpdir(), 'ccl-mcp-cc-'));
  store = await StoreClient.open({ dataDir, workerPath: bundles.dbWorker });
  for (const p of fixturePayloads()) await store.ingest(p.signal, p.encoding, p.body);
  server = await startLedgerServer({
    port: 0,
    token: TOKEN,
    store,
    log,
    loadMcp: async () => mcpModule as unknown as ServerMcpModule,
    mcp: { sqlWorkerPath: bundles.sqlWorker },
  });
  fake = await startFakeAnthropic({
    turns: [
      { kind: 'tool_use', text: 'Checking the ledger.', name: TOOL, input: { range: 'all' } },
      { kind: 'text', text: 'You spent what the ledger says.' },
    ],
  });
  scratch = makeScratch('ccl-mcp-cc-');
});

after(async () => {
  await fake?.close();
  await server?.close();
  await store?.close();
  scratch?.dispose();
  rmSync(dataDir, { recursive: true, force: true });
  rmSync(bundles.dir, { recursive: true, force: true });
});

test('the connect registration is stored by reference: no token in ~/.claude.json', async () => {
  for (const argv of connectPlan('absent', server.port)) {
    const r = await claude(argv, {});
    assert.equal(r.code, 0, r.out);
  }
  const text = readFileSync(join(scratch.home, '.claude.json'), 'utf8');
  assert.equal(text.includes(TOKEN), false);
  assert.equal(registrationState(JSON.parse(text), server.port), 'current');
  // A second connect finds it current; an outdated one is replaced (add alone would refuse the name).
  const again = await claude(connectPlan('absent', server.port)[0], {});
  assert.notEqual(again.code, 0, 'claude mcp add refuses an existing name, hence remove-then-add');
  for (const argv of connectPlan('outdated', server.port)) assert.equal((await claude(argv, {})).code, 0);
  assert.equal(registrationState(JSON.parse(readFileSync(join(scratch.home, '.claude.json'), 'utf8')), server.port), 'current');
});

test('claude mcp list connects only when the terminal carries the variables', async () => {
  const url = mcpUrl(server.port);
  const ok = await claude(['mcp', 'list'], { CLAUDE_LEDGER_TOKEN: TOKEN, CLAUDE_LEDGER_MCP_URL: url });
  assert.match(ok.out, new RegExp(`${CLAUDE_MCP_SERVER_NAME}: .*Connected`), ok.out);
  const noToken = await claude(['mcp', 'list'], {});
  assert.match(noToken.out, /Failed to connect/, noToken.out);
  assert.match(noToken.out, /Missing environment variables: CLAUDE_LEDGER_TOKEN/);
  // The URL variable wins over the default baked into the registration.
  const wrongUrl = await claude(['mcp', 'list'], { CLAUDE_LEDGER_TOKEN: TOKEN, CLAUDE_LEDGER_MCP_URL: mcpUrl(1) });
  assert.match(wrongUrl.out, /Failed to connect/, wrongUrl.out);
});

test(`print mode: the fake model calls ${TOOL} and the tool result carries the store's cost`, async () => {
  const truth = await store.query('summary', { range: { key: 'all' } });
  assert.ok(truth.costUsd > 0);
  const run = await runClaude({
    cwd: scratch.cwd,
    home: scratch.home,
    prompt: 'What did Claude Code cost me so far?',
    fakeApiUrl: fake.url,
    args: ['--allowedTools', TOOL],
    env: { CLAUDE_LEDGER_TOKEN: TOKEN, CLAUDE_LEDGER_MCP_URL: mcpUrl(server.port) },
    timeoutMs: 90_000,
  });
  assert.equal(run.exitCode, 0, `${run.stdout}\n${run.stderr}`);
  assert.equal(fake.remainingTurns(), 0, 'both scripted turns were used');
  const main = fake.requests.filter((r) => r.kind === 'main');
  assert.ok(main[0].toolNames?.includes(TOOL), `tools offered: ${main[0].toolNames?.join(', ')}`);
  const results = main.flatMap((r) => r.toolResults ?? []);
  assert.equal(results.length, 1, JSON.stringify(results));
  assert.equal(results[0].isError, false, results[0].text);
  assert.ok(log.lines.some((l) => l.includes('[mcp] tool usage_summary args={"range":"all"}')), log.lines.join('\n'));
  // Claude Code 2.1.197 forwards structuredContent (JSON) to the model rather than our text summary;
  // a later version may send the text, which states the cost as $X.XX USD.
  const text = results[0].text;
  if (text.trimStart().startsWith('{')) {
    assert.equal((JSON.parse(text) as { costUsd: number }).costUsd, truth.costUsd);
  } else {
    assert.ok(text.includes(`$${truth.costUsd.toFixed(2)} USD`), text);
  }
});
