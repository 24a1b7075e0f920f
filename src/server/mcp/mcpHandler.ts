// The MCP endpoint (bundled alone to dist/mcp.js and required on the first /mcp request, because the
// SDK and zod cost ~110 ms to load). Stateless Streamable HTTP: a new McpServer + transport per POST,
// so no session state lives between requests and nothing needs expiring.
//
// Checks run before the SDK sees a byte, in this order: Host (421, DNS rebinding), Origin (403, the MCP
// spec's rule), method (405), bearer token (401), rate (429), body size (413), JSON (400).
import { createHash, timingSafeEqual } from 'node:crypto';
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
import { RateLimiter } from './rateLimit';
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

/** Host header values that name us: loopback names with our port (DNS-rebinding defence). */
export function allowedHosts(port: number): Set<string> {
  return new Set([`127.0.0.1:${port}`, `localhost:${port}`, `[::1]:${port}`]);
}

export function allowedOrigins(port: number): Set<string> {
  return new Set([...allowedHosts(port)].map((h) => `http://${h}`));
}

function digest(s: string): Buffer {
  return createHash('sha256').update(s).digest();
}

/** Constant-time comparison of the presented bearer token with ours. */
export function bearerMatches(header: string | undefined, token: string): boolean {
  if (!header) return false;
  const m = /^Bearer\s+(\S+)\s*$/i.exec(header);
  if (!m) return false;
  return timingSafeEqual(digest(m[1]), digest(token));
}

function sendJsonRpcError(res: ServerResponse, status: number, message: string, headers: Record<string, string> = {}): void {
  if (res.headersSent) {
    res.end();
    return;
  }
  const body = JSON.stringify({ jsonrpc: '2.0', error: { code: status === 400 ? -32700 : -32000, message }, id: null });
  res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body), ...headers });
  res.end(body);
}

class BodyTooLarge extends Error {}

function readBody(req: IncomingMessage, max: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (c: Buffer) => {
      size += c.length;
      if (size > max) {
        req.off('data', onData);
        reject(new BodyTooLarge());
        return;
      }
      chunks.push(c);
    };
    req.on('data', onData);
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

function summarizeArgs(args: unknown): string {
  const s = JSON.stringify(args ?? {});
  return s.length > ARGS_SUMMARY_CHARS ? `${s.slice(0, ARGS_SUMMARY_CHARS)}…(${s.length} chars)` : s;
}

export function createMcpHandler(o: McpHandlerOptions): McpHandler {
  const log = tagged(o.log, 'mcp');
  const runtime = resolveRuntime(o.runtime, log);
  const hosts = allowedHosts(o.port);
  const origins = allowedOrigins(o.port);
  const limiter = new RateLimiter({ perMinute: runtime.rateLimitPerMinute, maxClients: runtime.rateLimitMaxClients });
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
    const host = (req.headers.host ?? '').toLowerCase();
    if (!hosts.has(host)) {
      log.warn(`refused ${req.method} /mcp: Host ${JSON.stringify(req.headers.host)} is not ours`);
      return sendJsonRpcError(res, 421, 'Misdirected request: unexpected Host header');
    }
    const origin = req.headers.origin;
    if (origin !== undefined && !origins.has(origin.toLowerCase())) {
      log.warn(`refused ${req.method} /mcp: Origin ${JSON.stringify(origin)}`);
      return sendJsonRpcError(res, 403, 'Forbidden: foreign Origin');
    }
    if (req.method !== 'POST') {
      // Stateless server: no standalone SSE stream (GET) and no session to end (DELETE).
      return sendJsonRpcError(res, 405, 'Method not allowed: this MCP server is stateless (POST only)', { Allow: 'POST' });
    }
    if (!bearerMatches(req.headers.authorization, o.token)) {
      log.warn(`refused POST /mcp: ${req.headers.authorization ? 'wrong' : 'no'} bearer token`);
      return sendJsonRpcError(res, 401, 'Unauthorized: Authorization: Bearer <token> required', {
        'WWW-Authenticate': 'Bearer realm="claude-code-ledger"',
      });
    }
    const client = `${req.socket.remoteAddress ?? '?'}|${req.headers['user-agent'] ?? ''}`;
    const decision = limiter.take(client);
    if (!decision.ok) {
      log.warn(`rate limit: ${client} must wait ${decision.retryAfterSeconds} s`);
      return sendJsonRpcError(res, 429, `Too many requests: limit ${runtime.rateLimitPerMinute}/minute`, {
        'Retry-After': String(decision.retryAfterSeconds),
      });
    }
    if (closed) return sendJsonRpcError(res, 503, 'MCP server is shutting down');
    const declared = Number(req.headers['content-length'] ?? '0');
    if (declared > runtime.maxBodyBytes) {
      res.on('finish', () => req.destroy());
      return sendJsonRpcError(res, 413, `Request body over ${runtime.maxBodyBytes} bytes`, { Connection: 'close' });
    }
    let body: unknown;
    try {
      const raw = await readBody(req, runtime.maxBodyBytes);
      body = JSON.parse(raw.toString('utf8'));
    } catch (err) {
      if (err instanceof BodyTooLarge) {
        res.on('finish', () => req.destroy());
        return sendJsonRpcError(res, 413, `Request body over ${runtime.maxBodyBytes} bytes`, { Connection: 'close' });
      }
      if (err instanceof SyntaxError) return sendJsonRpcError(res, 400, `Parse error: ${err.message}`);
      throw err;
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
        log.error(`/mcp request failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
        sendJsonRpcError(res, 500, 'Internal error');
      }
    },
    async close() {
      closed = true;
      await sql.close();
    },
  };
}
