// The MCP endpoint (bundled alone to dist/mcp.js and required on the first /mcp request, because the
// SDK and zod cost ~110 ms to load). Stateless Streamable HTTP: a new McpServer + transport per POST,
// so no session state lives between requests and nothing needs expiring.
//
// Checks, before the SDK sees the request: the edge's (src/server/http/edge.ts, the one copy shared with
// the receiver, so the handler stays safe when mounted elsewhere): Host (421, DNS rebinding), Origin
// (403, the MCP spec's rule), method (405), bearer token (401), body size and time (413/408), JSON (400);
// then the rate of tool calls (429: only `tools/call` spends, as the setting says).
import type { IncomingMessage, ServerResponse } from 'node:http';
import * as path from 'node:path';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { tagged, type Logger } from '../../core/log';
import {
  DEFAULT_MCP_RUNTIME,
  MCP_TOOLS_VERSION,
  type McpHandler,
  type McpHandlerOptions,
  type McpRuntimeOptions,
} from './mcpTypes';
import { asHttpError, checkHost, HttpError, jsonRpcErrorBody, parseJsonBody, readBody, writeError } from '../http/edge';
import { checkMcpRequest } from '../http/mcpRoutes';
import { RateLimiter, rateLimitMessage, toolCallCount } from './rateLimit';
import { ReplicaQueryRunner, SqlToolError } from './replicaQueryRunner';
import { TOOLS, ToolInputError, type ToolContext, type ToolDef } from './tools';

/** Shown to the model on initialize. */
const INSTRUCTIONS =
  "Claude Code Ledger: this machine's own Claude Code usage, recorded locally from Claude Code's OpenTelemetry. " +
  'Costs are USD (Claude Code\'s reported cost, or an estimate from list prices when it reported none). ' +
  'Ranges: today, yesterday, 7d, 30d, month, all, or from/to ISO-8601. Start with usage_summary; ' +
  'use describe_schema before query_sql.';

/** Columns nulled in the query_sql replica when the user did not enable the matching capture. */
const PROMPT_COLUMNS = ['^prompts\\.text$'];
const COMMAND_COLUMNS = ['^tool_calls\\.command$'];

const ARGS_SUMMARY_CHARS = 300;

export function resolveRuntime(partial: Partial<McpRuntimeOptions> | undefined, log: Logger): McpRuntimeOptions {
  const r: McpRuntimeOptions = { ...DEFAULT_MCP_RUNTIME, ...partial };
  const positive: (keyof McpRuntimeOptions)[] = [
    'rateLimitPerMinute',
    'sqlTimeoutMs',
    'sqlMaxRows',
    'sqlMaxResultChars',
    'sqlMaxQueued',
    'sqlIdleMs',
    'maxBodyBytes',
    'bodyTimeoutMs',
    'rateLimitMaxClients',
  ];
  for (const k of positive) {
    const v = r[k];
    if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0) {
      log.warn(`mcp option ${k}=${String(v)} is invalid; using ${String(DEFAULT_MCP_RUNTIME[k])}`);
      (r as unknown as Record<string, unknown>)[k] = DEFAULT_MCP_RUNTIME[k];
    }
  }
  // The contract caps rows at 1,000 whatever the options say.
  r.sqlMaxRows = Math.min(r.sqlMaxRows, 1_000);
  return r;
}

function summarizeArgs(args: unknown): string {
  const s = JSON.stringify(args ?? {});
  return s.length > ARGS_SUMMARY_CHARS ? `${s.slice(0, ARGS_SUMMARY_CHARS)}…(${s.length} chars)` : s;
}

export function createMcpHandler(o: McpHandlerOptions): McpHandler {
  const log = tagged(o.log, 'mcp');
  const runtime = resolveRuntime(o.runtime, log);
  const limiter = new RateLimiter({ perMinute: runtime.rateLimitPerMinute, maxClients: runtime.rateLimitMaxClients, now: runtime.rateLimitClock });
  const workerPath = runtime.sqlWorkerPath ?? path.join(__dirname, 'sqlWorker.js');
  const sql = new ReplicaQueryRunner({
    workerPath,
    timeoutMs: runtime.sqlTimeoutMs,
    loadTimeoutMs: Math.max(30_000, runtime.sqlTimeoutMs),
    maxQueued: runtime.sqlMaxQueued,
    idleMs: runtime.sqlIdleMs,
    redactColumnPatterns: [...(runtime.capturePrompts ? [] : PROMPT_COLUMNS), ...(runtime.captureCommands ? [] : COMMAND_COLUMNS)],
    currentVersion: async () => (await o.store.query('status', {})).dataVersion,
    exportReplica: () => o.store.exportReplica(),
    log,
  });
  const ctx: ToolContext = { store: o.store, runtime, sql };
  let closed = false;

  async function callTool(t: ToolDef, args: Record<string, unknown>): Promise<CallToolResult> {
    const started = performance.now();
    let ok = false;
    let rows = 0;
    try {
      const out = await t.run(args, ctx);
      ok = true;
      rows = out.rows;
      return { content: [{ type: 'text', text: out.text }], structuredContent: out.structured };
    } catch (err) {
      const expected = err instanceof ToolInputError || err instanceof SqlToolError;
      const message = err instanceof Error ? err.message : String(err);
      // Expected refusals are the model's mistake (debug); anything else is ours and logged loudly.
      if (expected) log.debug(`${t.name} refused: ${message}`);
      else log.error(`${t.name} failed: ${err instanceof Error ? (err.stack ?? message) : message}`);
      return { content: [{ type: 'text', text: `${t.name}: ${message}` }], isError: true };
    } finally {
      const durationMs = Math.round((performance.now() - started) * 10) / 10;
      const argsSummary = summarizeArgs(args);
      log.info(`tool ${t.name} args=${argsSummary} rows=${rows} ${durationMs} ms ${ok ? 'ok' : 'error'}`);
      try {
        await o.store.audit({ tool: t.name, args: argsSummary, rows, durationMs, ok });
      } catch (err) {
        log.warn(`audit of ${t.name} failed: ${err instanceof Error ? err.message : String(err)}`);
      }
    }
  }

  function buildServer(): McpServer {
    const server = new McpServer(
      { name: 'claude-code-ledger', title: 'Claude Code Ledger', version: MCP_TOOLS_VERSION },
      { capabilities: { tools: {} }, instructions: INSTRUCTIONS },
    );
    for (const t of TOOLS) {
      server.registerTool(
        t.name,
        {
          title: t.title,
          description: t.description,
          inputSchema: t.inputSchema,
          outputSchema: t.outputSchema,
          annotations: { readOnlyHint: true, openWorldHint: false, idempotentHint: true },
        },
        (args: Record<string, unknown>) => callTool(t, args ?? {}),
      );
    }
    return server;
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    checkHost(req, o.port);
    checkMcpRequest(req, o.port, o.token);
    if (closed) throw new HttpError(503, 'MCP server is shutting down');
    const raw = await readBody(req, { maxBytes: runtime.maxBodyBytes, maxDecompressedBytes: runtime.maxBodyBytes, timeoutMs: runtime.bodyTimeoutMs, compression: false });
    const body = parseJsonBody(raw);
    const calls = toolCallCount(body);
    if (calls > 0) {
      const client = `${req.socket.remoteAddress ?? '?'}|${req.headers['user-agent'] ?? ''}`;
      const decision = limiter.take(client, calls);
      if (!decision.ok) {
        log.warn(`rate limit: ${client} must wait ${decision.retryAfterSeconds} s`);
        throw new HttpError(429, rateLimitMessage(runtime.rateLimitPerMinute, decision.retryAfterSeconds), {
          'Retry-After': String(decision.retryAfterSeconds),
        });
      }
    }
    const server = buildServer();
    const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined, enableJsonResponse: true });
    res.on('close', () => {
      transport.close().catch((err: unknown) => log.warn(`transport close: ${String(err)}`));
      server.close().catch((err: unknown) => log.warn(`server close: ${String(err)}`));
    });
    await server.connect(transport);
    await transport.handleRequest(req, res, body);
  }

  return {
    async handle(req, res) {
      try {
        await handle(req, res);
      } catch (err) {
        const e = asHttpError(err);
        if (e.status >= 500) log.error(`/mcp request failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
        else log.warn(`refused ${req.method} /mcp: ${e.status} ${e.message}`);
        writeError(req, res, e.status >= 500 && !(err instanceof HttpError) ? new HttpError(500, 'Internal error') : e, jsonRpcErrorBody);
      }
    },
    async close() {
      closed = true;
      await sql.close();
    },
  };
}
