import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LEDGER_PORT_LABEL, portAttributesUpdate } from '../../src/core/portAttributes';

const DEFAULTS = { '443': { protocol: 'https' }, '4318': { label: 'x', onAutoForward: 'ignore' }, '4317': { label: 'y', onAutoForward: 'ignore' } };
const ours = { label: LEDGER_PORT_LABEL, onAutoForward: 'ignore' };

test('default ports: covered by the package.json defaults, nothing written', () => {
  assert.equal(portAttributesUpdate(DEFAULTS, undefined, [4318, 4317]), undefined);
});

test('a changed port gets an ignore entry; a later change replaces ours and keeps the user\'s', () => {
  const first = portAttributesUpdate(DEFAULTS, { '3000': { onAutoForward: 'openBrowser' } }, [40001, 4317]);
  assert.deepEqual(first, { '3000': { onAutoForward: 'openBrowser' }, '40001': ours });
  const second = portAttributesUpdate({ ...DEFAULTS, ...first }, first, [40002, 4317]);
  assert.deepEqual(second, { '3000': { onAutoForward: 'openBrowser' }, '40002': ours });
  // Already there: nothing to write.
  assert.equal(portAttributesUpdate({ ...DEFAULTS, ...second }, second, [40002, 4317]), undefined);
  // Back to the default port: our entry goes.
  assert.deepEqual(portAttributesUpdate({ ...DEFAULTS, ...second }, second, [4318, 4317]), { '3000': { onAutoForward: 'openBrowser' } });
});

test('a port the user configured explicitly is left as the user set it', () => {
  const user = { '40001': { onAutoForward: 'notify' } };
  assert.equal(portAttributesUpdate({ ...DEFAULTS, ...user }, user, [40001]), undefined);
});
