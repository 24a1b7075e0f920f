// The real Claude Code CLI (2.1.197, offline against the fake Messages API) exporting over OTLP/gRPC
// to our gRPC receiver, compared with the same scenario over OTLP/HTTP: the store's totals must be
// equal. Also: user headers (OTEL_EXPORTER_OTLP_HEADERS and an otelHeadersHelper) do not break
// anything; a gRPC protocol in Claude Code's settings.json beats the env we inject, so the env must
// come from planExport (src/core/claudeExportPlan.ts), which points it at the gRPC port; a per-signal
// mix (logs over gRPC, metrics and traces over HTTP) lands on both receivers.
// Each run gets a fresh store (real StoreClient) behind a real HTTP server and a real gRPC receiver.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { memoryLogger } from '../../src/core/log';
import { planExport, settingsEnv, type ClaudeEnvLayers } from '../../src/core/claudeExportPlan';
import { telemetryEnv as ourTelemetryEnv } from '../../src/core/telemetryEnv';
import type { Signal } from '../../src/core/otlp/records';
import type { SummaryDto } from '../../src/protocol/dto';
import { startLedgerServer, type LedgerServer, type LedgerStore } from '../../src/server/httpServer';
import { StoreClient } from '../../src/server/storeClient';
import { startGrpcReceiver, type GrpcReceiver } from '../../src/server/grpc/otlpService';
import type { IngestSink } from '../../src/server/ingest';
import { startFakeAnthropic, type FakeAnthropic } from '../support/fakeAnthropic';
import { executeScenario, scenarioByName, type Scenario, type ScenarioRun } from '../support/scenarios';
import type { TelemetryOptions } from '../support/claudeRunner';

const ROOT = join(__dirname, '..', '..');
const DB_WORKER = join(ROOT, 'dist', 'dbWorker.js');
const RUN_TIMEOUT_MS = 60_000;

type Transport = 'http' | 'grpc';
interface Ledger {
  http: LedgerServer;
  grpc: GrpcReceiver;
  store: StoreClient;
  /** Accepted records per transport and signal. */
  accepted: Record<Transport, Record<Signal, number>>;
  log: ReturnType<typeof memoryLogger>;
  close(): Promise<void>;
}

let fake: FakeAnthropic;
/** Scratch HOMEs and projects of the runs, removed at the end. */
const scratches: (() => void)[] = [];
before(async () => {
  assert.ok(existsSync(DB_WORKER), `${DB_WORKER} is missing: run \`node esbuild.mjs\` first`);
  fake = await startFakeAnthropic({ turns: [] });
});
after(async () => {
  await fake?.close();
  for (const d of scratches) d();
});

async function startLedger(): Promise<Ledger> {
  const dir = mkdtempSync(join(tmpdir(), 'ledger-grpc-cc-'));
  const store = await StoreClient.open({ dataDir: dir, workerPath: DB_WORKER });
  const accepted: Ledger['accepted'] = { http: { logs: 0, metrics: 0, traces: 0 }, grpc: { logs: 0, metrics: 0, traces: 0 } };
  const counting = (t: Transport): IngestSink => ({
    ingest: async (signal, encoding, body) => {
      const r = await store.ingest(signal, encoding, body);
      accepted[t][signal] += r.accepted;
      return r;
    },
  });
  const httpSink = counting('http');
  const asLedgerStore: LedgerStore = {
    ingest: httpSink.ingest,
    query: (m, p) => store.query(m, p),
    onDidChange: (fn) => store.onDidChange(fn),
    rows: (d, r, n) => store.rows(d as never, r, n),
    exportReplica: () => store.exportReplica(),
    audit: (e) => store.audit(e),
    describeSchema: () => store.describeSchema(),
  };
  const log = memoryLogger();
  const http = await startLedgerServer({ port: 0, token: 'test-token', store: asLedgerStore, log, mcp: { enabled: false } });
  const grpc = await startGrpcReceiver({ port: 0, sink: counting('grpc'), log, limits: { maxDecompressedBytes: 64 * 1024 * 1024, bodyTimeoutMs: 30_000 } });
  return {
    http,
    grpc,
    store,
    accepted,
    log,
    close: async () => {
      await grpc.close();
      await http.close();
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** write-edit-bash with this run's telemetry and env; `setup` adds files to the scratch HOME. */
async function run(
  ledger: Ledger,
  o: { endpoint?: string; telemetry?: TelemetryOptions; env?: (home: string) => Record<string, string>; setupHome?: (home: string) => void },
): Promise<ScenarioRun> {
  const base = scenarioByName('write-edit-bash');
  let envFor: ((home: string) => Record<string, string>) | undefined = o.env;
  const scenario: Scenario = {
    ...base,
    setup: (ctx) => {
      base.setup?.(ctx);
      o.setupHome?.(ctx.home);
      scenario.env = envFor?.(ctx.home);
    },
  };
  const r = await executeScenario(scenario, { fake, otlpEndpoint: o.endpoint, telemetry: o.telemetry, timeoutMs: RUN_TIMEOUT_MS });
  envFor = undefined;
  scratches.push(r.dispose);
  assert.equal(r.result.exitCode, 0, `claude exit code\n${r.result.stderr.slice(0, 2000)}`);
  assert.equal(r.result.timedOut, false);
  return r;
}

/** The totals a user sees (everything but the resolved time range). */
function totals(s: SummaryDto) {
  const { range: _range, ...rest } = s;
  return rest;
}

async function summary(l: Ledger): Promise<SummaryDto> {
  return l.store.query('summary', { range: { key: 'all' } });
}

function writeClaudeSettings(home: string, settings: Record<string, unknown>): void {
  mkdirSync(join(home, '.claude'), { recursive: true });
  writeFileSync(join(home, '.claude', 'settings.json'), JSON.stringify(settings, null, 2));
}

/** The env our terminals get (src/core/telemetryEnv.ts with planExport), as a Claude Code run's env. */
function ourEnv(l: Ledger, layers: ClaudeEnvLayers): Record<string, string> {
  const plan = planExport(layers, { http: l.http.port, grpc: l.grpc.port });
  const env = ourTelemetryEnv({ port: l.http.port, token: 't'.repeat(64), toolDetails: true, prompts: true, plan });
  return Object.fromEntries(Object.entries(env).filter((e): e is [string, string] => e[1] !== undefined));
}

let httpTotals: ReturnType<typeof totals> | undefined;
let httpRecords: Record<Signal, number> | undefined;

test('baseline: the scenario over OTLP/HTTP (protobuf)', { timeout: 120_000 }, async () => {
  const l = await startLedger();
  try {
    await run(l, { endpoint: l.http.url, telemetry: { protocol: 'http/protobuf' } });
    const s = await summary(l);
    assert.ok(s.requests > 0 && s.costUsd > 0, JSON.stringify(s));
    assert.deepEqual(l.accepted.grpc, { logs: 0, metrics: 0, traces: 0 });
    httpTotals = totals(s);
    httpRecords = l.accepted.http;
  } finally {
    await l.close();
  }
});

test('OTEL_EXPORTER_OTLP_PROTOCOL=grpc (gzip, user headers): the same totals as over HTTP', { timeout: 120_000 }, async () => {
  assert.ok(httpTotals && httpRecords, 'the HTTP baseline ran first');
  const l = await startLedger();
  try {
    await run(l, {
      endpoint: l.grpc.url,
      telemetry: { protocol: 'grpc', compression: 'gzip' },
      // Headers meant for a team collector: sent as gRPC metadata, ignored by the ledger, never fatal.
      env: () => ({ OTEL_EXPORTER_OTLP_HEADERS: 'Authorization=Bearer team-collector-secret,X-Team=platform' }),
    });
    const s = await summary(l);
    assert.deepEqual(l.accepted.http, { logs: 0, metrics: 0, traces: 0 }, 'nothing over HTTP');
    assert.deepEqual(totals(s), httpTotals, 'store totals equal to the HTTP run');
    assert.equal(l.accepted.grpc.logs, httpRecords.logs, 'log records');
    assert.equal(l.accepted.grpc.traces, httpRecords.traces, 'spans');
    assert.ok(l.accepted.grpc.metrics > 0, 'metric points');
    assert.deepEqual(l.log.lines.filter((x) => /^(warn|error) /.test(x)), [], 'nothing refused');
  } finally {
    await l.close();
  }
});

test('grpc in ~/.claude/settings.json beats the injected env: planExport points Claude Code at the gRPC port', { timeout: 180_000 }, async () => {
  assert.ok(httpTotals, 'the HTTP baseline ran first');
  const grpcSettings = { env: { OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc' } };
  // Without the plan (the env before this change: http/protobuf to the HTTP port), Claude Code still
  // speaks gRPC, to the HTTP port, and nothing arrives: the premise of planExport.
  const stale = await startLedger();
  try {
    await run(stale, {
      env: () => ourEnv(stale, {}),
      setupHome: (home) => writeClaudeSettings(home, grpcSettings),
    });
    assert.deepEqual({ ...stale.accepted.http, ...stale.accepted.grpc }, { logs: 0, metrics: 0, traces: 0 }, 'settings.json beat the injected http/protobuf');
  } finally {
    await stale.close();
  }
  const l = await startLedger();
  try {
    await run(l, {
      // The host reads the same file (readClaudeEnvLayers) and plans from it.
      env: () => ourEnv(l, { user: settingsEnv(JSON.stringify(grpcSettings)) }),
      setupHome: (home) => writeClaudeSettings(home, grpcSettings),
    });
    assert.deepEqual(l.accepted.http, { logs: 0, metrics: 0, traces: 0 });
    assert.ok(l.accepted.grpc.logs > 0 && l.accepted.grpc.metrics > 0 && l.accepted.grpc.traces > 0, JSON.stringify(l.accepted));
    assert.deepEqual(totals(await summary(l)), httpTotals, 'store totals equal to the HTTP run');
    assert.deepEqual(l.log.lines.filter((x) => /^(warn|error) /.test(x)), [], 'nothing refused');
  } finally {
    await l.close();
  }
});

test('per-signal protocols (logs over gRPC, metrics and traces over HTTP) with an otelHeadersHelper: totals as over HTTP', { timeout: 120_000 }, async () => {
  assert.ok(httpTotals && httpRecords, 'the HTTP baseline ran first');
  const l = await startLedger();
  try {
    // Claude Code 2.1.197 runs otelHeadersHelper for its OTLP/HTTP exporters only (read from its
    // bundle: the helper feeds the HTTP exporters' async headers), so it is exercised here.
    const r = await run(l, {
      setupHome: (home) => {
        const helper = join(home, 'otel-headers.sh');
        // It leaves a mark, so the test knows Claude Code really ran it.
        writeFileSync(helper, `#!/bin/sh\ntouch '${join(home, 'headers-helper-ran')}'\necho '{"X-Helper": "from-otelHeadersHelper"}'\n`);
        chmodSync(helper, 0o755);
        writeClaudeSettings(home, { otelHeadersHelper: helper });
      },
      env: () => ({
        OTEL_EXPORTER_OTLP_HEADERS: 'Authorization=Bearer team-collector-secret',
        // A user's shell sets the logs protocol; our plan adds the per-signal endpoint for it.
        OTEL_EXPORTER_OTLP_LOGS_PROTOCOL: 'grpc',
        ...ourEnv(l, { inherited: { OTEL_EXPORTER_OTLP_LOGS_PROTOCOL: 'grpc' } }),
      }),
    });
    assert.deepEqual(
      { grpcLogs: l.accepted.grpc.logs, grpcMetrics: l.accepted.grpc.metrics, grpcTraces: l.accepted.grpc.traces, httpLogs: l.accepted.http.logs },
      { grpcLogs: httpRecords.logs, grpcMetrics: 0, grpcTraces: 0, httpLogs: 0 },
    );
    assert.ok(l.accepted.http.metrics > 0, 'metrics over HTTP');
    assert.equal(l.accepted.http.traces, httpRecords.traces, 'spans over HTTP');
    assert.deepEqual(totals(await summary(l)), httpTotals, 'store totals equal to the HTTP run');
    assert.ok(existsSync(join(r.ctx.home, 'headers-helper-ran')), 'Claude Code ran the otelHeadersHelper');
    assert.deepEqual(l.log.lines.filter((x) => /^(warn|error) /.test(x)), [], 'nothing refused');
  } finally {
    await l.close();
  }
});
