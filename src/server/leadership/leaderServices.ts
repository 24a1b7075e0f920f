// What a leader window runs: the store (takes the data-dir lock) and then the receiver on the port
// (OTLP + /api + lazy /mcp). No `vscode` import, so the integration test runs the same code.
import * as path from 'node:path';
import type { Logger } from '../../core/log';
import type { LedgerSettings } from '../../core/settings';
import type { CsvDataset } from '../../core/export/csv';
import { startGrpcIfEnabled, type GrpcModule } from '../grpc/grpcLoader';
import { DEFAULT_RECEIVER_LIMITS, PortInUseError, startLedgerServer } from '../httpServer';
import { DataDirLockedError, StoreClient } from '../storeClient';
import { defaultTranscriptRoots, expandHome } from '../transcripts/transcriptFiles';
import { TranscriptImporter } from '../transcripts/transcriptImporter';
import { startForwarding } from '../forward/startForwarding';
import type { LeaderServices, LeadFailure } from './leadership';

export interface LeaderServicesOptions {
  dataDir: string;
  /** Folder holding dbWorker.js, sqlWorker.js, mcp.js (the extension's dist/). */
  distDir: string;
  token: string;
  log: Logger;
  version: string;
  /** Read at each start, so a restart picks up changed settings; MCP budgets read it at each burn_rate call. */
  getSettings(): LedgerSettings;
  /** Values of the forwarding headers (forward.headers names; the host reads them from SecretStorage). */
  forwardHeaders?(names: readonly string[]): Promise<Record<string, string>>;
  /** Tests running the TypeScript sources load the gRPC module themselves; default: distDir/grpc.js. */
  loadGrpc?: () => Promise<GrpcModule>;
}

export function leaderStarter(o: LeaderServicesOptions): (port: number) => Promise<LeaderServices> {
  return async (port) => {
    const s = o.getSettings();
    const forwarding = s.forwardEndpoint !== '';
    // Headers first (async secrets), so a failure to read them never leaves a store open.
    const headers = forwarding && o.forwardHeaders ? await o.forwardHeaders(s.forwardHeaders) : {};
    const store = await StoreClient.open({
      dataDir: o.dataDir,
      workerPath: path.join(o.distDir, 'dbWorker.js'),
      ingest: { storePromptText: s.capturePrompts, storeCommands: s.captureCommands },
      retention: { rawDays: s.retentionRawDays, rollupDays: s.retentionRollupDays, maxDbBytes: s.retentionMaxDbMB * 1024 * 1024 },
      priceOverrides: Object.fromEntries(Object.entries(s.pricingOverrides).map(([family, p]) => [family, { family, ...p }])),
      forward: forwarding,
      log: (level, msg) => o.log[level](`[store] ${msg}`),
    });
    let server: Awaited<ReturnType<typeof startLedgerServer>>;
    try {
      server = await startLedgerServer({
        port,
        token: o.token,
        store,
        log: o.log,
        version: o.version,
        mcp: {
          enabled: s.mcpEnabled,
          capturePrompts: s.capturePrompts,
          captureCommands: s.captureCommands,
          rateLimitPerMinute: s.mcpRateLimitPerMinute,
          // A live source: budgets change without restarting the receiver, burn_rate reads them per call.
          budgets: () => {
            const now = o.getSettings();
            return { dailyBudgetUsd: now.budgetDailyUsd || null, monthlyBudgetUsd: now.budgetMonthlyUsd || null };
          },
          sqlWorkerPath: path.join(o.distDir, 'sqlWorker.js'),
        },
      });
    } catch (err) {
      // Release the lock at once: another window (or our retry) may lead instead.
      await store.close();
      throw err;
    }
    o.log.info(`receiving on ${server.url} (data: ${o.dataDir})`);
    const forwarder = forwarding
      ? startForwarding({
          store,
          dataDir: o.dataDir,
          distDir: o.distDir,
          settings: { endpoint: s.forwardEndpoint, headers, content: s.forwardContent, maxBacklogBytes: s.forwardMaxBacklogMB * 1024 * 1024 },
          version: o.version,
          log: o.log,
        })
      : undefined;
    // OTLP/gRPC beside it: a failure (port taken) is reported in the state, never fatal to the leader.
    const L = DEFAULT_RECEIVER_LIMITS;
    const grpc = await startGrpcIfEnabled({
      port: s.grpcPort,
      sink: store,
      log: o.log,
      limits: { maxDecompressedBytes: L.maxDecompressedBytes, bodyTimeoutMs: L.bodyTimeoutMs },
      distDir: o.distDir,
      load: o.loadGrpc,
    });
    // Transcripts: the host runs the first pass (with its progress notification), then following starts.
    let transcripts: TranscriptImporter | undefined;
    if (s.transcriptsEnabled) {
      const roots = s.transcriptsPaths.length > 0 ? s.transcriptsPaths.map((p) => path.resolve(expandHome(p))) : defaultTranscriptRoots();
      transcripts = new TranscriptImporter({ store, roots: () => roots, log: o.log });
      transcripts.follow();
    }
    return {
      transcripts,
      query: (m, p) => store.query(m, p),
      onDidChange: (fn) => store.onDidChange(fn),
      rows: (dataset, range) => store.rows(dataset as CsvDataset, range),
      clearAll: () => store.clearAll(),
      dataVersion: () => server.dataVersion,
      grpc: grpc.state,
      close: async () => {
        try {
          await transcripts?.dispose();
          await forwarder?.close();
          await grpc.receiver?.close();
          await server.close();
        } finally {
          await store.close();
        }
      },
    };
  };
}

export function classifyLeadFailure(err: unknown): LeadFailure {
  if (err instanceof PortInUseError) return 'portInUse';
  if (err instanceof DataDirLockedError) return 'dataDirLocked';
  return 'other';
}
