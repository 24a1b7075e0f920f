// Types and defaults shared by the HTTP server (which loads the MCP module lazily) and the MCP module
// itself. This file must never import the MCP SDK or zod: httpServer.ts imports it at activation, and the
// SDK costs ~110 ms to require (measured-facts.md), so only dist/mcp.js may pull it in.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from '../../core/log';
import type { QueryApi } from '../../protocol/dto';

/** One audited tool call (kept by the store in its audit table). */
export interface McpAuditEntry {
  tool: string;
  /** Bounded JSON summary of the arguments (never the full SQL text beyond the bound). */
  args: string;
  rows: number;
  durationMs: number;
  ok: boolean;
}

/** What the store describes for `describe_schema` (tables, columns, their meaning, example queries). */
export interface SchemaDescription {
  tables: { name: string; meaning?: string; columns: { name: string; type?: string; meaning?: string }[] }[];
  /** Example queries: SQL strings, or a question with its SQL. */
  examples?: (string | { question: string; sql: string })[];
  [key: string]: unknown;
}

/**
 * The part of StoreClient (src/server/storeClient.ts) the MCP module uses. Declared here as a structural
 * type so that the MCP module does not depend on the store's implementation file.
 */
export interface McpStore extends QueryApi {
  /** sql.js database bytes for the read-only replica query_sql runs on. */
  exportReplica(): Promise<Uint8Array>;
  audit(entry: McpAuditEntry): Promise<void> | void;
  describeSchema(): Promise<SchemaDescription>;
}

export interface McpBudgets {
  dailyBudgetUsd: number | null;
  monthlyBudgetUsd: number | null;
}

/** Runtime options: privacy flags from settings, and every MCP limit with its default and reason. */
export interface McpRuntimeOptions {
  /** Return bash commands (claudeLedger.capture.commands). */
  captureCommands: boolean;
  /** Return prompt text (claudeLedger.capture.prompts). */
  capturePrompts: boolean;
  /**
   * Tool calls (`tools/call` messages) per minute per client (remote address + user-agent): the token
   * bucket's capacity and refill. initialize, notifications and tools/list spend nothing.
   */
  rateLimitPerMinute: number;
  /**
   * Budgets for burn_rate, read at every call (a live source, not a copy): a budget changed in the
   * settings shows in the next burn_rate without a restart. 0 or null = none.
   */
  budgets: () => McpBudgets;
  /** query_sql: the worker is killed and respawned after this long (sql.js has no interrupt). */
  sqlTimeoutMs: number;
  /** Path of dist/sqlWorker.js; default: next to dist/mcp.js. */
  sqlWorkerPath?: string;
  /** query_sql: hard row cap (the contract: at most 1,000, with `truncated`). */
  sqlMaxRows: number;
  /** query_sql: cap on the summed length of all cells, so one wide result cannot flood the model. */
  sqlMaxResultChars: number;
  /** query_sql: queries waiting for the single worker; more are refused as busy. */
  sqlMaxQueued: number;
  /** query_sql: the replica worker is ended after this idle time to give its memory back. */
  sqlIdleMs: number;
  /** Request body cap (MCP JSON-RPC requests are small; 413 above). */
  maxBodyBytes: number;
  /** The body must arrive within this (slowloris) -> 408; the server passes ReceiverLimits.bodyTimeoutMs. */
  bodyTimeoutMs: number;
  /** The rate limiter's clock (ms); tests freeze it so a refill cannot blur a count. Default Date.now. */
  rateLimitClock?: () => number;
  /** Distinct clients tracked by the rate limiter (oldest dropped beyond it, bounding memory). */
  rateLimitMaxClients: number;
}

export const DEFAULT_MCP_RUNTIME: McpRuntimeOptions = {
  captureCommands: true,
  capturePrompts: false,
  rateLimitPerMinute: 120, // settings default claudeLedger.mcp.rateLimitPerMinute
  budgets: () => ({ dailyBudgetUsd: null, monthlyBudgetUsd: null }),
  sqlTimeoutMs: 5_000, // issue 6: "killed at a timeout (default 5 s)"
  sqlMaxRows: 1_000, // issue 6: "at most 1,000 rows"
  sqlMaxResultChars: 1_000_000, // ~1 MB of text is already far more than a model context holds
  sqlMaxQueued: 8, // one worker; a few waiting calls are normal, a pile-up means a stuck client
  sqlIdleMs: 120_000, // a replica of a large DB holds hundreds of MB; free it when unused
  maxBodyBytes: 1024 * 1024, // JSON-RPC requests are a few KB; 1 MiB leaves room for long SQL
  bodyTimeoutMs: 30_000, // as the receiver's: a few KB arrive in milliseconds on loopback
  rateLimitMaxClients: 1_000,
};

export interface McpHandlerOptions {
  store: McpStore;
  token: string;
  /** Our listening port: Host and Origin must name it. */
  port: number;
  log: Logger;
  runtime?: Partial<McpRuntimeOptions>;
}

export interface McpHandler {
  handle(req: IncomingMessage, res: ServerResponse): Promise<void>;
  close(): Promise<void>;
}

/** The shape of dist/mcp.js (src/server/mcp/mcpHandler.ts). */
export interface McpModule {
  createMcpHandler(o: McpHandlerOptions): McpHandler;
}

/**
 * Version of the tool set (names, schemas). VS Code re-reads the server definition when it changes, so
 * bump it with every change to tools.ts; test/unit/mcpTools.test.ts pins it to a hash of the tool list.
 */
export const MCP_TOOLS_VERSION = '6';
