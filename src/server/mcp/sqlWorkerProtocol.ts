// Messages between the MCP module (replicaQueryRunner.ts) and the disposable query_sql worker (sqlWorker.ts).
// Types only, so that importing them does not pull sql.js into dist/mcp.js.

export type SqlCell = string | number | null;

export interface SqlWorkerData {
  /** Absolute path of sql-wasm.wasm. */
  wasmPath: string;
}

export type ToSqlWorker =
  | {
      type: 'load';
      /** The store's dataVersion the bytes belong to (echoed back). */
      version: number;
      bytes: Uint8Array;
      /** Patterns (RegExp sources, case-insensitive) matched against `table.column`; matching columns are nulled after load. */
      redactColumnPatterns: string[];
    }
  | { type: 'query'; id: number; sql: string; maxRows: number; maxChars: number };

export interface SqlQueryResult {
  columns: string[];
  rows: SqlCell[][];
  truncated: boolean;
  /** true when the statement changed the replica (a guard gap): the runner reloads a clean replica. */
  modifiedReplica: boolean;
}

export type FromSqlWorker =
  | { type: 'ready' }
  /** Sent as a query begins (before the synchronous run), so "the statement is running" is observable. */
  | { type: 'started'; id: number }
  | { type: 'loaded'; version: number; tables: number; redacted: string[] }
  | { type: 'loadError'; message: string }
  | ({ type: 'result'; id: number } & SqlQueryResult)
  | { type: 'error'; id: number; message: string };
