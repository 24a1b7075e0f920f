// The statement cache binds and reads through SQLite's C API (statementCache.ts) instead of sql.js's
// Statement. These tests hold it to sql.js's behaviour: the same values stored with the same types, the
// same values read back, the same errors, and a store filled from every fixture byte-identical to one
// filled through sql.js's Statement.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { LedgerDb } from '../../src/core/store/ledgerDb';
import { StatementCache } from '../../src/core/store/statementCache';
import { records, scenarios, sqlJs } from './storeTestSupport';

test('the C API path is active with the pinned sql.js', async () => {
  const db = LedgerDb.open(await sqlJs());
  assert.equal(db.sql.viaCApi, true);
  db.close();
  const old = LedgerDb.open(await sqlJs(), undefined, {}, 'now', true);
  assert.equal(old.sql.viaCApi, false);
  old.close();
});

const VALUES: unknown[] = [
  0, -0, 1, -1, 2147483647, -2147483648, 2147483648, -2147483649, 2 ** 53 - 1, 1.5, -1e-300, 1e300, Number.NaN,
  '', 'plain', 'é ü ß', '中文', '😀 emoji pair', 'lone \uD800 high', 'lone \uDC00 low', 'x'.repeat(100_000), '\u0000 after nul',
  true, false, null, 12345678901234567890n, new Uint8Array([0, 1, 2, 255]), new Uint8Array(0),
];

test('every kind of value is stored with the type and bytes sql.js gives it, and read back the same', async () => {
  const SQL = await sqlJs();
  const fast = LedgerDb.open(SQL);
  const slow = LedgerDb.open(SQL, undefined, {}, 'now', true);
  const rows = (c: StatementCache) => {
    c.run('CREATE TABLE v (i INTEGER PRIMARY KEY, x)');
    for (let i = 0; i < VALUES.length; i++) c.run('INSERT INTO v (i, x) VALUES (?, ?)', [i, VALUES[i] as never]);
    return {
      all: c.all('SELECT i, x, typeof(x) AS t, hex(x) AS h FROM v ORDER BY i'),
      one: c.get('SELECT x, typeof(x) AS t FROM v WHERE i = ?', [15]),
      values: c.values('SELECT i, x FROM v WHERE i = ?', [3]),
      none: c.get('SELECT x FROM v WHERE i = ?', [-5]),
    };
  };
  const a = rows(fast.sql);
  const b = rows(slow.sql);
  assert.deepEqual(a, b);
  assert.equal(a.all.length, VALUES.length);
  assert.equal(a.none, undefined);
  fast.close();
  slow.close();
});

test('errors and change counts are the same as through sql.js', async () => {
  const SQL = await sqlJs();
  for (const via of [false, true]) {
    const db = LedgerDb.open(SQL, undefined, {}, 'now', via);
    db.sql.run('CREATE TABLE u (k TEXT PRIMARY KEY, n)');
    assert.equal(db.sql.run('INSERT INTO u VALUES (?, ?)', ['a', 1]), 1);
    assert.equal(db.sql.run('INSERT OR IGNORE INTO u VALUES (?, ?)', ['a', 2]), 0);
    assert.throws(() => db.sql.run('INSERT INTO u VALUES (?, ?)', ['a', 3]), /UNIQUE constraint failed: u\.k/);
    assert.throws(() => db.sql.run('INSERT INTO u VALUES (?, ?)', ['b', undefined as never]), /Wrong API use/);
    assert.throws(() => db.sql.get('SELECT nope FROM u'), /no such column: nope/);
    // The statement is usable after a failure (it was reset).
    assert.equal(db.sql.run('INSERT INTO u VALUES (?, ?)', ['c', 4]), 1);
    assert.deepEqual(db.sql.all('SELECT k, n FROM u ORDER BY k'), [{ k: 'a', n: 1 }, { k: 'c', n: 4 }]);
    db.close();
  }
});

test('a store filled from every fixture is byte-identical through the C API and through sql.js', async () => {
  const SQL = await sqlJs();
  const fast = LedgerDb.open(SQL);
  const slow = LedgerDb.open(SQL, undefined, {}, 'now', true);
  let n = 0;
  for (const s of scenarios()) {
    for (const batch of records(s)) {
      assert.deepEqual(fast.apply(batch), slow.apply(batch));
      n += batch.length;
    }
    // Replays count as duplicates on both.
    for (const batch of records(s).slice(0, 3)) assert.deepEqual(fast.apply(batch), slow.apply(batch));
  }
  assert.ok(n > 200, `fixtures hold ${n} records`);
  const a = fast.export();
  const b = slow.export();
  assert.equal(a.length, b.length);
  assert.ok(Buffer.from(a).equals(Buffer.from(b)), 'the two databases differ');
  fast.close();
  slow.close();
});
