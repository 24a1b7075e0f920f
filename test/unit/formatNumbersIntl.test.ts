// numbers.ts formats without Intl (the status line must not pay ICU's start-up); these tests hold it to
// exactly what Intl.NumberFormat('en-US') writes, on hand-picked edges and on many random values.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { formatCount, formatMs, formatPercent, formatUsd } from '../../src/core/format/numbers';

const nf = (min: number, max: number) => new Intl.NumberFormat('en-US', { minimumFractionDigits: min, maximumFractionDigits: max });
const CENTS_OR_MILLS = nf(2, 3);
const CENTS = nf(2, 2);
const WHOLE = nf(0, 0);
const ONE = nf(1, 1);
const TWO = nf(2, 2);

/** The previous Intl-based implementation, verbatim, as the oracle. */
function intlUsd(n: number): string {
  if (!Number.isFinite(n)) return '—';
  const abs = Math.abs(n);
  let body = CENTS_OR_MILLS.format(abs);
  if (body === '0.00') return n > 0 ? '<$0.001' : '$0.00';
  if (body === '1.00' || abs >= 1) {
    body = CENTS.format(abs);
    if (abs >= 1000 || body === '1,000.00') body = WHOLE.format(abs);
  }
  return `${n < 0 ? '-' : ''}$${body}`;
}
function intlCount(n: number): string {
  if (!Number.isFinite(n)) return '—';
  const sign = n < 0 ? '-' : '';
  const abs = Math.abs(n);
  if (Math.round(abs) < 1e4) return sign + WHOLE.format(abs);
  const k = ONE.format(abs / 1e3);
  if (abs < 1e6 && k !== '1,000.0') return `${sign}${k}k`;
  const m = TWO.format(abs / 1e6);
  if (abs < 1e9 && m !== '1,000.00') return `${sign}${m}M`;
  return `${sign}${TWO.format(abs / 1e9)}B`;
}

const EDGES = [
  0, 1e-9, 1e-7, 0.0004, 0.0005, 0.00049999, 0.001, 0.0015, 0.005, 0.0125, 0.075, 0.128, 0.1285, 0.42, 0.9994, 0.9995, 0.9996, 1, 1.005, 1.015,
  2.675, 9.995, 12.345, 99.995, 999.994, 999.995, 999.996, 1000, 1234.5, 2345.5, 9999.4, 9999.5, 99999.95, 999949.9, 999950, 1e6, 1.5e7, 9.99e8, 1e9,
  1e21, 1.23e22, 123456789.987, 0.1 + 0.2, 4.35, 1.45, 8.345, 1.0049999999999999,
];

test('formatUsd and formatCount equal the Intl-based implementation on edges', () => {
  for (const v of EDGES) {
    for (const n of [v, -v]) {
      assert.equal(formatUsd(n), intlUsd(n), `usd ${n}`);
      assert.equal(formatCount(n), intlCount(n), `count ${n}`);
    }
  }
});

test('formatUsd, formatCount, formatPercent and formatMs equal Intl on random values', () => {
  let seed = 42;
  const rnd = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
  for (let i = 0; i < 20_000; i++) {
    const scale = 10 ** Math.floor(rnd() * 14 - 5);
    const v = rnd() * scale;
    const rounded = Math.round(v * 1000) / 1000; // values with few decimals hit the half cases
    for (const n of [v, rounded]) {
      assert.equal(formatUsd(n), intlUsd(n), `usd ${n}`);
      assert.equal(formatCount(n), intlCount(n), `count ${n}`);
      assert.equal(formatPercent(n / 1000), `${ONE.format((n / 1000) * 100)}%`, `pct ${n}`);
      if (Math.round(n) < 1000) assert.equal(formatMs(n), `${Math.round(n)} ms`);
    }
  }
});
