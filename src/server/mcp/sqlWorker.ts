// Disposable worker for query_sql (bundled to dist/sqlWorker.js). It holds a replica of the store's
// database, loaded from StoreClient.exportReplica(); the store's own database never sees this SQL.
// sql.js has no interrupt, so the runner terminates this thread at its timeout and starts a new one.
//
// Layers, outermost first: (1) sqlGuard token check (main thread and again here); (2) exactly one
// statement, checked with iterateStatements + getRemainingSQL; (3) PRAGMA query_only on the replica and
// refusing stubs over file/extension functions; (4) a total_changes()/schema_version tripwire after each
// statement: if the replica changed anyway, the runner discards it. Even then only the replica changed.
import { parentPort, workerData } from 'node:worker_threads';
import initSqlJs, { type Database, type SqlValue } from 'sql.js';
import { checkReadOnlySql, REFUSED_FUNCTION_NAMES, tokenizeSql } from './sqlGuard';
import type { FromSqlWorker, SqlCell, SqlWorkerData, ToSqlWorker } from './sqlWorkerProtocol';

const port = parentPort;
if (!port) throw new Error('sqlWorker must run as a worker thread');
const data = workerData as SqlWorkerData;

let db: Database | undefined;

function send(m: FromSqlWorker): void {
  port!.postMessage(m);
}

function scalar(d: Database, sql: string): SqlValue {
  const r = d.exec(sql);
  return r[0]?.values[0]?.[0] ?? null;
}

/** Turns a sqlite value into something JSON can carry without flooding: blobs become a size note. */
function cell(v: SqlValue): SqlCell {
  if (v instanceof Uint8Array) return `[blob ${v.length} bytes]`;
  return v;
}

function refuse(name: string): () => never {
  return () => {
    throw new Error(`${name}() is disabled in query_sql`);
  };
}

function harden(d: Database): void {
  // create_function registers by arity (func.length), so each arity needs its own stub.
  for (const name of REFUSED_FUNCTION_NAMES) {
    const stub = refuse(name);
    d.create_function(name, (_a: unknown) => stub());
    d.create_function(name, (_a: unknown, _b: unknown) => stub());
    d.create_function(name, (_a: unknown, _b: unknown, _c: unknown) => stub());
  }
  d.exec('PRAGMA query_only = 1');
}

/** Nulls columns the user did not agree to expose (prompt text, commands) in this replica only. */
function redact(d: Database, patterns: string[]): string[] {
  if (patterns.length === 0) return [];
  const res = patterns.map((p) => new RegExp(p, 'i'));
  const done: string[] = [];
  const tables = d.exec("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'");
  for (const [t] of tables[0]?.values ?? []) {
    const table = String(t);
    const cols = d.exec(`SELECT name FROM pragma_table_info('${table.replace(/'/g, "''")}')`);
    for (const [c] of cols[0]?.values ?? []) {
      const col = String(c);
      if (!res.some((r) => r.test(`${table}.${col}`))) continue;
      const q = (s: string) => `"${s.replace(/"/g, '""')}"`;
      d.run(`UPDATE ${q(table)} SET ${q(col)} = NULL WHERE ${q(col)} IS NOT NULL`);
      done.push(`${table}.${col}`);
    }
  }
  return done;
}

function runQuery(d: Database, sql: string, maxRows: number, maxChars: number): FromSqlWorker & { type: 'result' } {
  const guard = checkReadOnlySql(sql);
  if (!guard.ok) throw new Error(guard.reason);
  const changesBefore = scalar(d, 'SELECT total_changes()');
  const schemaBefore = scalar(d, 'PRAGMA schema_version');
  const it = d.iterateStatements(sql);
  try {
    const first = it.next();
    if (first.done) throw new Error('the SQL is empty');
    const rest = it.getRemainingSQL();
    const restTokens = tokenizeSql(rest).filter((t) => !(t.kind === 'punct' && t.text === ';'));
    if (restTokens.length > 0) throw new Error('only one statement is allowed');
    const stmt = first.value;
    const columns = stmt.getColumnNames();
    const rows: SqlCell[][] = [];
    let chars = 0;
    let truncated = false;
    while (stmt.step()) {
      if (rows.length >= maxRows) {
        truncated = true;
        break;
      }
      const row = stmt.get().map(cell);
      for (const v of row) chars += v === null ? 4 : String(v).length;
      if (chars > maxChars) {
        truncated = true;
        break;
      }
      rows.push(row);
    }
    const modifiedReplica =
      scalar(d, 'SELECT total_changes()') !== changesBefore || scalar(d, 'PRAGMA schema_version') !== schemaBefore;
    return { type: 'result', id: 0, columns, rows, truncated, modifiedReplica };
  } finally {
    // Frees the active statement and the SQL copy (the iterator protocol's return(), which
    // @types/sql.js does not declare).
    (it as unknown as { return(): void }).return();
  }
}

initSqlJs({ locateFile: () => data.wasmPath }).then(
  (SQL) => {
    port.on('message', (m: ToSqlWorker) => {
      if (m.type === 'load') {
        try {
          db?.close();
          db = undefined;
          const d = new SQL.Database(m.bytes);
          const redacted = redact(d, m.redactColumnPatterns);
          harden(d);
          db = d;
          const tables = Number(scalar(d, "SELECT count(*) FROM sqlite_master WHERE type = 'table'"));
          send({ type: 'loaded', version: m.version, tables, redacted });
        } catch (err) {
          send({ type: 'loadError', message: err instanceof Error ? err.message : String(err) });
        }
        return;
      }
      if (m.type === 'query') {
        try {
          if (!db) throw new Error('no replica loaded');
          send({ type: 'started', id: m.id });
          const r = runQuery(db, m.sql, m.maxRows, m.maxChars);
          send({ ...r, id: m.id });
        } catch (err) {
          // sql.js throws Error objects for SQLite errors ("no such table: x").
          send({ type: 'error', id: m.id, message: err instanceof Error ? err.message : String(err) });
        }
      }
    });
    send({ type: 'ready' });
  },
  (err: unknown) => {
    // Without sql.js the worker is useless; the runner sees the exit and reports the message.
    throw err instanceof Error ? err : new Error(String(err));
  },
);
