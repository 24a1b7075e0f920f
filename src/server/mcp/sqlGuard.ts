// Token-level guard for query_sql. It is one of three layers (see sqlWorker.ts for the others): sql.js
// has no authorizer, no sqlite3_stmt_readonly and PRAGMA query_only can be switched off by the SQL
// itself (measured-facts.md), so we refuse anything that is not one read-only SELECT/WITH before the
// SQL reaches SQLite. Pure: no sql.js here, so it is unit-testable and cheap on the main thread.
//
// Invariant: words inside string literals, quoted identifiers and comments are never treated as
// keywords (a column "update" or a string 'drop table' is fine); bare words are compared case-insensitively.

export type GuardResult = { ok: true } | { ok: false; reason: string };

/** Statement keywords that change data, schema, connection state or files. */
const FORBIDDEN_KEYWORDS = new Set([
  'INSERT',
  'UPDATE',
  'DELETE',
  'CREATE',
  'DROP',
  'ALTER',
  'PRAGMA',
  'ATTACH',
  'DETACH',
  'VACUUM',
  'REINDEX',
  'ANALYZE',
  'BEGIN',
  'COMMIT',
  'ROLLBACK',
  'SAVEPOINT',
  'RELEASE',
  'UPSERT',
]);

/**
 * Functions that read or write files or load code. sql.js builds do not ship most of them, but a guard
 * must not depend on what a build happens to include.
 */
const FORBIDDEN_FUNCTIONS = new Set([
  'LOAD_EXTENSION',
  'READFILE',
  'WRITEFILE',
  'EDIT',
  'FTS3_TOKENIZER',
  'LSMODE',
  'FSDIR',
  'SQLAR_COMPRESS',
  'SQLAR_UNCOMPRESS',
  'ZIPFILE',
  'SHELL_ESCAPE_CRNL',
]);

export interface SqlToken {
  kind: 'word' | 'string' | 'quotedIdent' | 'number' | 'punct' | 'param';
  text: string;
}

/** Splits SQL into tokens, dropping whitespace and comments. Unterminated quotes/comments throw. */
export function tokenizeSql(sql: string): SqlToken[] {
  const out: SqlToken[] = [];
  let i = 0;
  const n = sql.length;
  const readQuoted = (close: string, kind: SqlToken['kind']): void => {
    const start = i;
    i++;
    for (;;) {
      if (i >= n) throw new Error(`unterminated ${kind === 'string' ? 'string literal' : 'quoted identifier'}`);
      if (sql[i] === close) {
        // SQL doubles the quote to escape it ('it''s'); ] has no escape.
        if (close !== ']' && sql[i + 1] === close) {
          i += 2;
          continue;
        }
        i++;
        break;
      }
      i++;
    }
    out.push({ kind, text: sql.slice(start, i) });
  };
  while (i < n) {
    const c = sql[i];
    if (/\s/.test(c)) {
      i++;
    } else if (c === '-' && sql[i + 1] === '-') {
      const e = sql.indexOf('\n', i);
      i = e < 0 ? n : e + 1;
    } else if (c === '/' && sql[i + 1] === '*') {
      const e = sql.indexOf('*/', i + 2);
      // SQLite accepts an unterminated block comment at the end of input; so do we.
      i = e < 0 ? n : e + 2;
    } else if (c === "'") {
      readQuoted("'", 'string');
    } else if (c === '"') {
      readQuoted('"', 'quotedIdent');
    } else if (c === '`') {
      readQuoted('`', 'quotedIdent');
    } else if (c === '[') {
      readQuoted(']', 'quotedIdent');
    } else if ((c === 'x' || c === 'X') && sql[i + 1] === "'") {
      i++;
      readQuoted("'", 'string');
    } else if (/[A-Za-z_\u0080-\uffff]/.test(c)) {
      const start = i;
      while (i < n && /[A-Za-z0-9_$\u0080-\uffff]/.test(sql[i])) i++;
      out.push({ kind: 'word', text: sql.slice(start, i) });
    } else if (/[0-9]/.test(c) || (c === '.' && /[0-9]/.test(sql[i + 1] ?? ''))) {
      const start = i;
      while (i < n && /[0-9A-Za-z_.]/.test(sql[i])) {
        // exponent sign: 1e+5
        if ((sql[i] === 'e' || sql[i] === 'E') && (sql[i + 1] === '+' || sql[i + 1] === '-')) i++;
        i++;
      }
      out.push({ kind: 'number', text: sql.slice(start, i) });
    } else if (c === '?' || c === ':' || c === '@' || c === '$') {
      const start = i;
      i++;
      while (i < n && /[A-Za-z0-9_]/.test(sql[i])) i++;
      out.push({ kind: 'param', text: sql.slice(start, i) });
    } else {
      out.push({ kind: 'punct', text: c });
      i++;
    }
  }
  return out;
}

/** Checks that `sql` is one read-only SELECT / WITH statement, by tokens. */
export function checkReadOnlySql(sql: string): GuardResult {
  let tokens: SqlToken[];
  try {
    tokens = tokenizeSql(sql);
  } catch (err) {
    return { ok: false, reason: `cannot parse the SQL: ${(err as Error).message}` };
  }
  // Trailing semicolons are harmless; anything after a semicolon is a second statement.
  while (tokens.length > 0 && tokens[tokens.length - 1].text === ';' && tokens[tokens.length - 1].kind === 'punct') {
    tokens.pop();
  }
  if (tokens.length === 0) return { ok: false, reason: 'the SQL is empty' };
  if (tokens.some((t) => t.kind === 'punct' && t.text === ';')) {
    return { ok: false, reason: 'only one statement is allowed (found a ";" followed by more SQL)' };
  }
  if (tokens.some((t) => t.kind === 'param')) {
    return { ok: false, reason: 'parameters (?, :name, @name, $name) are not supported; write the values inline' };
  }
  const first = tokens[0];
  const firstWord = first.kind === 'word' ? first.text.toUpperCase() : '';
  if (firstWord !== 'SELECT' && firstWord !== 'WITH') {
    return { ok: false, reason: `only SELECT or WITH statements are allowed (the SQL starts with "${first.text}")` };
  }
  for (let k = 0; k < tokens.length; k++) {
    const t = tokens[k];
    if (t.kind !== 'word') continue;
    const w = t.text.toUpperCase();
    const next = tokens[k + 1];
    const isCall = next !== undefined && next.kind === 'punct' && next.text === '(';
    if (FORBIDDEN_KEYWORDS.has(w)) {
      return { ok: false, reason: `${w} is not allowed: query_sql is read-only (SELECT/WITH only)` };
    }
    // replace(x, y, z) is a harmless string function; REPLACE INTO and INSERT OR REPLACE are writes
    // (INSERT is refused above, so only the statement form needs catching here).
    if (w === 'REPLACE' && !isCall) {
      return { ok: false, reason: 'REPLACE is not allowed: query_sql is read-only (SELECT/WITH only)' };
    }
    if (FORBIDDEN_FUNCTIONS.has(w)) {
      return { ok: false, reason: `the function ${t.text}() is not allowed: it touches files or loads code` };
    }
  }
  return { ok: true };
}

/** Functions the worker overrides with a refusing stub (defence in depth below the token check). */
export const REFUSED_FUNCTION_NAMES: readonly string[] = [...FORBIDDEN_FUNCTIONS].map((f) => f.toLowerCase());
