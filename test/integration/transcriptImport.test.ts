// Transcript import through the real CLI (`dist/cli.js import`, `dist/cli.js serve`) on Claude Code's
// own transcripts and OTLP payloads of the same runs (test/fixtures/claude-code-otlp/*): import then
// OTLP, OTLP then import, a copy of the transcripts (replay), kill -9 in the middle of an import, and a
// file that grows line by line (half lines included) while `serve --transcripts` follows it.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { DurableStore } from '../../src/core/store/durableStore';
import { loadSqlJs } from '../../src/core/store/ledgerDb';
import { apiCall, CLI, freePort, importJson, startServe, stopServe as stop, summaryOf } from '../support/ledgerCli';
import type { SummaryDto } from '../../src/protocol/dto';

const ROOT = path.resolve(__dirname, '../..');
const FIXTURES = path.join(ROOT, 'test/fixtures/claude-code-otlp');

interface Truth {
  requests: number;
  cost: number;
  tokens: { input: number; output: number; cacheRead: number; cacheCreation: number };
}

const scenarios = fs
  .readdirSync(FIXTURES)
  .filter((d) => fs.existsSync(path.join(FIXTURES, d, 'transcripts')) && fs.existsSync(path.join(FIXTURES, d, 'ground-truth.json')))
  .sort();

function truth(): Truth {
  const t: Truth = { requests: 0, cost: 0, tokens: { input: 0, output: 0, cacheRead: 0, cacheCreation: 0 } };
  for (const s of scenarios) {
    const g = JSON.parse(fs.readFileSync(path.join(FIXTURES, s, 'ground-truth.json'), 'utf8')).api_requests;
    t.requests += g.count;
    t.cost += g.cost_usd;
    t.tokens.input += g.tokens.input;
    t.tokens.output += g.tokens.output;
    t.tokens.cacheRead += g.tokens.cache_read;
    t.tokens.cacheCreation += g.tokens.cache_creation;
  }
  return t;
}

/** All scenarios' transcripts under one root (as ~/.claude/projects would hold them). */
function transcriptRoot(): string {
  const root = fs.mkdtempSync(path.join(tmpdir(), 'ledger-transcripts-'));
  for (const s of scenarios) fs.cpSync(path.join(FIXTURES, s, 'transcripts'), root, { recursive: true });
  return root;
}

/** POSTs a captured payload with its own Content-Type and Content-Encoding (gzip scenario included). */
function postRaw(port: number, urlPath: string, body: Buffer, headers: Record<string, string>): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, path: urlPath, method: 'POST', headers }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** Every OTLP payload of every scenario, in capture order. */
async function replayOtlp(port: number): Promise<void> {
  for (const s of scenarios) {
    const index = fs.readFileSync(path.join(FIXTURES, s, 'index.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    for (const e of index) {
      if (e.transport !== 'http') continue;
      const headers = JSON.parse(fs.readFileSync(path.join(FIXTURES, s, e.file.replace(/\.(bin|json)$/, '.headers.json')), 'utf8')).headers;
      const body = fs.readFileSync(path.join(FIXTURES, s, e.file));
      const status = await postRaw(port, `/v1/${e.signal}`, body, {
        'Content-Type': headers['content-type'] ?? e.content_type,
        ...(headers['content-encoding'] ? { 'Content-Encoding': headers['content-encoding'] } : {}),
      });
      assert.equal(status, 200, `${s}/${e.file}`);
    }
  }
}

function assertTotals(s: SummaryDto, t: Truth, tolerance: number, label: string): void {
  assert.equal(s.requests, t.requests, `${label}: requests`);
  assert.deepEqual(s.tokens, t.tokens, `${label}: tokens`);
  assert.ok(Math.abs(s.costUsd - t.cost) <= tolerance, `${label}: cost ${s.costUsd} vs Claude Code's ${t.cost}`);
}

test('import then OTLP, and OTLP then import: identical totals, equal to Claude Code\'s own; a copied transcript adds nothing', { timeout: 180_000 }, async () => {
  assert.ok(fs.existsSync(CLI), 'dist/cli.js is missing: run `node esbuild.mjs` first');
  assert.ok(scenarios.length >= 5, `fixture scenarios with transcripts: ${scenarios.join(', ')}`);
  const t = truth();
  const root = transcriptRoot();

  // 1. Import first: every request estimated from the transcript, priced like Claude Code (to 1e-6).
  const a = fs.mkdtempSync(path.join(tmpdir(), 'ledger-import-a-'));
  const first = await importJson(a, root);
  assert.equal(first.requestsAdded, t.requests, 'each request once (content-block lines are one request)');
  assert.ok(first.duplicates > 0, 'the fixtures have several lines per response');
  assert.equal(first.knownFromOtlp, 0);
  const portA = await freePort();
  let serveA = await startServe(portA, a);
  const imported = await summaryOf(portA);
  assertTotals(imported, t, 1e-6, 'transcripts alone');
  assert.equal(imported.costSource, 'estimated');
  // ...then Claude Code's OTLP for the same runs: each request replaced by the exact one, never added.
  await replayOtlp(portA);
  const afterOtlp = await summaryOf(portA);
  assertTotals(afterOtlp, t, 1e-12, 'import then OTLP');
  assert.equal(afterOtlp.costSource, 'reported');
  // Replaying OTLP again changes nothing.
  await replayOtlp(portA);
  assert.deepEqual({ ...(await summaryOf(portA)), range: null }, { ...afterOtlp, range: null });
  await stop(serveA);

  // 2. OTLP first, then the import: every transcript request is already known.
  const b = fs.mkdtempSync(path.join(tmpdir(), 'ledger-import-b-'));
  const portB = await freePort();
  const serveB = await startServe(portB, b);
  await replayOtlp(portB);
  await stop(serveB);
  const second = await importJson(b, root);
  assert.equal(second.requestsAdded, 0);
  assert.equal(second.knownFromOtlp, t.requests);
  const serveB2 = await startServe(portB, b);
  const otlpFirst = await summaryOf(portB);
  assertTotals(otlpFirst, t, 1e-12, 'OTLP then import');
  assert.equal(otlpFirst.costSource, 'reported');
  // Both orders give the same summary (costs to 1e-12: a replaced estimate is subtracted in floating point).
  const comparable = (x: SummaryDto) => JSON.stringify({ ...x, range: null, costUsd: x.costUsd.toFixed(12), cacheSavingsUsd: x.cacheSavingsUsd.toFixed(12),
    byModel: x.byModel.map((m) => ({ ...m, costUsd: m.costUsd.toFixed(12) })) });
  assert.equal(comparable(otlpFirst), comparable(afterOtlp), 'both orders give the same summary');
  await stop(serveB2);

  // 3. Import again (nothing new) and a copy of every transcript under another root (a file copy / replay).
  const again = await importJson(a, root);
  assert.equal(again.requestsAdded, 0);
  assert.equal(again.lines, 0, 'positions are kept: nothing is read twice');
  const copy = transcriptRoot();
  const copied = await importJson(a, copy);
  assert.equal(copied.requestsAdded, 0, 'a copied transcript adds no request');
  serveA = await startServe(portA, a);
  assertTotals(await summaryOf(portA), t, 1e-12, 'after a copy');
  await stop(serveA);
  for (const d of [root, copy, a, b]) fs.rmSync(d, { recursive: true, force: true });
});

test('a file that grows line by line (half lines included) is followed by serve --transcripts', { timeout: 60_000 }, async () => {
  const root = fs.mkdtempSync(path.join(tmpdir(), 'ledger-follow-'));
  const source = path.join(FIXTURES, 'h-long-session', 'transcripts');
  const projectDir = fs.readdirSync(source)[0];
  const file = fs.readdirSync(path.join(source, projectDir)).find((f) => f.endsWith('.jsonl'))!;
  const lines = fs.readFileSync(path.join(source, projectDir, file), 'utf8').split('\n').filter((l) => l !== '');
  const g = JSON.parse(fs.readFileSync(path.join(FIXTURES, 'h-long-session', 'ground-truth.json'), 'utf8')).api_requests;
  fs.mkdirSync(path.join(root, projectDir));
  const target = path.join(root, projectDir, file);
  fs.writeFileSync(target, '');
  const dataDir = fs.mkdtempSync(path.join(tmpdir(), 'ledger-follow-data-'));
  const port = await freePort();
  const serve = await startServe(port, dataDir, ['--transcripts', root]);
  try {
    let version = -1;
    const waitChange = async () => {
      const r = await apiCall<{ dataVersion: number }>(port, 'GET', `/api/changes?since=${version}`);
      version = r.dataVersion;
    };
    await waitChange();
    // Write each line in two halves; the first half must never be read as a line.
    for (const line of lines) {
      const cut = Math.floor(line.length / 2);
      fs.appendFileSync(target, line.slice(0, cut));
      fs.appendFileSync(target, `${line.slice(cut)}\n`);
    }
    for (;;) {
      const s = await summaryOf(port);
      if (s.requests >= g.count) {
        assert.equal(s.requests, g.count);
        assert.ok(Math.abs(s.costUsd - g.cost_usd) < 1e-6, `followed cost ${s.costUsd} vs ${g.cost_usd}`);
        break;
      }
      await waitChange(); // the long poll returns when the follower applied more lines
    }
    // A half line at the end stays unread until it is complete.
    fs.appendFileSync(target, '{"type":"assistant","message":{"id":"msg_half","model":"claude-opus-4-8","usage":{"input_tok');
    const before = await summaryOf(port);
    fs.appendFileSync(target, 'ens":1,"output_tokens":1}},"requestId":"req_half","sessionId":"x","timestamp":"2026-11-21T19:50:00.000Z"}\n');
    for (;;) {
      const s = await summaryOf(port);
      if (s.requests === before.requests + 1) break;
      await waitChange();
    }
  } finally {
    await stop(serve);
    fs.rmSync(root, { recursive: true, force: true });
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
});

test('kill -9 in the middle of an import: the next import continues, nothing lost or doubled', { timeout: 180_000 }, async () => {
  // A corpus of many sessions made from the fixture transcripts with fresh ids (one request id space per copy).
  const base = transcriptRoot();
  const root = fs.mkdtempSync(path.join(tmpdir(), 'ledger-kill-'));
  const copies = 150;
  let expectedRequests = 0;
  const t = truth();
  for (let k = 0; k < copies; k++) {
    for (const proj of fs.readdirSync(base)) {
      const dir = path.join(root, `${proj}-${k}`);
      fs.mkdirSync(dir, { recursive: true });
      for (const f of fs.readdirSync(path.join(base, proj))) {
        if (!f.endsWith('.jsonl')) continue;
        const text = fs.readFileSync(path.join(base, proj, f), 'utf8').replace(/(req_|msg_)fake/g, `$1k${k}x`).replace(/"sessionId":"([^"]+)"/g, `"sessionId":"$1-${k}"`);
        fs.writeFileSync(path.join(dir, f.replace('.jsonl', `-${k}.jsonl`)), text);
      }
    }
    expectedRequests += t.requests;
  }
  const dataDir = fs.mkdtempSync(path.join(tmpdir(), 'ledger-kill-data-'));
  // Snapshots every few files (LEDGER_TEST_IMPORT_SNAPSHOT_FILES), so the kill lands after some progress is durable.
  const child = spawn(process.execPath, [CLI, 'import', '--data', dataDir, '--from', root, '--json'], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, LEDGER_TEST_IMPORT_SNAPSHOT_FILES: '40' },
  });
  let err = '';
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  // Kill on the event "a mid-import snapshot was written" (the store logs it), not after a delay.
  await new Promise<void>((resolve, reject) => {
    child.stderr!.on('data', (d: Buffer) => {
      err += d.toString();
      if ((err.match(/import checkpoint/g) ?? []).length >= 2) resolve();
    });
    child.once('exit', () => reject(new Error(`import ended before the second checkpoint: ${err}`)));
  });
  child.kill('SIGKILL');
  await exited;
  const resumed = await importJson(dataDir, root);
  assert.ok(resumed.requestsAdded < expectedRequests, 'the second run continued from a checkpoint');
  const SQL = await loadSqlJs(path.join(ROOT, 'dist/sql-wasm.wasm'));
  const store = DurableStore.open(SQL, { dataDir, log: () => undefined });
  try {
    const s = store.query('summary', { range: { key: 'all' } });
    assert.equal(s.requests, expectedRequests, 'every request exactly once');
    assert.equal(s.tokens.input, t.tokens.input * copies);
    assert.equal(s.tokens.output, t.tokens.output * copies);
    assert.ok(Math.abs(s.costUsd - t.cost * copies) < 1e-6 * copies);
  } finally {
    store.close();
  }
  for (const d of [base, root, dataDir]) fs.rmSync(d, { recursive: true, force: true });
});
