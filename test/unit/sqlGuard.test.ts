// The token-level guard of query_sql (the first of its layers; see src/server/mcp/sqlWorker.ts).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { checkReadOnlySql, tokenizeSql } from '../../src/server/mcp/sqlGuard';

const allowed = [
  'SELECT 1',
  'select * from v_sessions order by last_ms desc limit 10;',
  'SELECT 1;;  ',
  "WITH x AS (SELECT 1 AS a) SELECT a FROM x",
  "SELECT name, sql FROM sqlite_master WHERE type = 'table'",
  "SELECT replace(value, 'a', 'b') FROM dict",
  "SELECT 'drop table x; delete from y' AS s",
  'SELECT "update", [delete], `insert` FROM (SELECT 1 AS "update", 2 AS [delete], 3 AS `insert`)',
  'SELECT 1 -- ; DROP TABLE meta',
  'SELECT /* ; insert */ 2',
  "SELECT * FROM pragma_table_info('sessions')",
  "SELECT x'00ff', 1.5e+3, .5",
  'WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT count(*) FROM c',
];

const refused: [string, RegExp][] = [
  ['INSERT INTO meta VALUES (1, 2)', /only SELECT or WITH/],
  ['UPDATE sessions SET cost_ev = 0', /only SELECT or WITH/],
  ['DELETE FROM sessions', /only SELECT or WITH/],
  ['DROP TABLE sessions', /only SELECT or WITH/],
  ['PRAGMA query_only=0; DELETE FROM sessions', /one statement|only SELECT/],
  ["ATTACH DATABASE '/tmp/x.db' AS x", /only SELECT or WITH/],
  ['SELECT 1; SELECT 2', /only one statement/],
  ['SELECT 1; DROP TABLE meta', /only one statement/],
  ['WITH x AS (SELECT 1) DELETE FROM sessions', /DELETE is not allowed/],
  ['WITH x AS (SELECT 1) INSERT INTO meta SELECT * FROM x', /INSERT is not allowed/],
  ['WITH x AS (SELECT 1) REPLACE INTO meta VALUES (1, 2)', /REPLACE is not allowed/],
  ['SELECT 1 FROM x WHERE 0; VACUUM', /only one statement/],
  ["SELECT load_extension('/tmp/evil.so')", /load_extension\(\) is not allowed/],
  ["SELECT readfile('/etc/passwd')", /readfile\(\) is not allowed/],
  ["SELECT writefile('/tmp/x', 'y')", /writefile\(\) is not allowed/],
  ["SELECT edit('x')", /edit\(\) is not allowed/],
  ["SELECT fts3_tokenizer('simple')", /fts3_tokenizer\(\) is not allowed/],
  ['SELECT * FROM t WHERE a = ?', /parameters/],
  ['', /empty/],
  ['  ;  ', /empty/],
  ["SELECT 'unterminated", /cannot parse/],
  ['VALUES (1)', /only SELECT or WITH/],
  ['EXPLAIN SELECT 1', /only SELECT or WITH/],
];

test('allows one read-only SELECT / WITH', () => {
  for (const sql of allowed) assert.deepEqual(checkReadOnlySql(sql), { ok: true }, sql);
});

test('refuses writes, pragmas, attach, several statements and file functions with a reason', () => {
  for (const [sql, reason] of refused) {
    const r = checkReadOnlySql(sql);
    assert.equal(r.ok, false, sql);
    assert.match((r as { reason: string }).reason, reason, sql);
  }
});

test('tokenizer keeps quoted text and comments out of keywords', () => {
  const words = tokenizeSql("SELECT 'it''s; drop' AS \"a\"\"b\" -- delete\n FROM t /* update */").filter((t) => t.kind === 'word');
  assert.deepEqual(
    words.map((w) => w.text),
    ['SELECT', 'AS', 'FROM', 't'],
  );
});
