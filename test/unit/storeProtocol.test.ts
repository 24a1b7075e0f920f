// The worker protocol's errors: each typed error crosses as its fields and comes back as the same class
// with the same fields and message (no parsing of messages); anything else keeps name and message.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { OtlpDecodeError } from '../../src/core/otlp/responses';
import { DataDirLockedError, SchemaTooNewError, StoreClosedError } from '../../src/core/store/errors';
import { reviveWireError, toWireError } from '../../src/server/storeProtocol';

/** What a real postMessage does to the wire form. */
const overTheWire = (err: unknown) => reviveWireError(structuredClone(toWireError(err)));

test('typed store errors are rebuilt from their fields: same class, fields and message', () => {
  // A data dir whose name looks like the message's own words: a regex on the message would misread it.
  const locked = new DataDirLockedError('/tmp/by process 42/data', 31337);
  const r1 = overTheWire(locked);
  assert.ok(r1 instanceof DataDirLockedError);
  assert.equal(r1.dataDir, '/tmp/by process 42/data');
  assert.equal(r1.ownerPid, 31337);
  assert.equal(r1.message, locked.message);
  assert.equal(r1.name, 'DataDirLockedError');

  const tooNew = overTheWire(new SchemaTooNewError(9, 2));
  assert.ok(tooNew instanceof SchemaTooNewError);
  assert.deepEqual([tooNew.found, tooNew.supported], [9, 2]);
  assert.equal(tooNew.message, new SchemaTooNewError(9, 2).message);

  const closed = overTheWire(new StoreClosedError('ingest'));
  assert.ok(closed instanceof StoreClosedError);
  assert.equal(closed.what, 'ingest');

  const decode = overTheWire(new OtlpDecodeError('body is not valid JSON: x'));
  assert.ok(decode instanceof OtlpDecodeError);
  assert.equal(decode.message, 'body is not valid JSON: x');
});

test('other errors keep name, message and a stack that says it came from the worker', () => {
  const e = new RangeError('boom');
  const r = overTheWire(e);
  assert.equal(r.name, 'RangeError');
  assert.equal(r.message, 'boom');
  assert.match(r.stack ?? '', /^RangeError: boom\n {4}\(in the DB worker\)\n/);
  const thrownString = overTheWire('not an Error');
  assert.equal(thrownString.message, 'not an Error');
});
