// How numbers read, everywhere: the status bar (src/core/statusText.ts), MCP tool text
// (src/server/mcp/tools.ts) and the dashboard webview. One module, so $0.005 reads "$0.005" in all
// three (issue 14, finding 6: they printed "$0.0050", "$0.01" and "$0.005").
//
// Invariant: this file imports nothing and touches no DOM and no Node API. It is the one file outside
// src/protocol the webview bundle may import (test/unit/importRules.test.ts enforces both).
//
// Rounding: as Intl.NumberFormat('en-US'), half away from zero on the number's shortest decimal
// form, so 99.995 reads "$100.00" and 1.005 "$1.01" (toFixed would give "$99.99" and "$1.00"); done
// on the decimal text without Intl (see fixed()).

const EM_DASH = '—';

/**
 * The number as its shortest round-trip decimal text, without exponent ("1e-7" -> "0.0000001"): the
 * form Intl.NumberFormat rounds on.
 */
function plainDecimal(abs: number): string {
  const s = String(abs);
  const e = s.search(/e/i);
  if (e < 0) return s;
  const exp = Number(s.slice(e + 1));
  const [ip, fp = ''] = s.slice(0, e).split('.');
  const digits = ip + fp;
  const point = ip.length + exp;
  if (point <= 0) return `0.${'0'.repeat(-point)}${digits}`;
  if (point >= digits.length) return digits + '0'.repeat(point - digits.length);
  return `${digits.slice(0, point)}.${digits.slice(point)}`;
}

/**
 * en-US grouping and min/max fraction digits, rounding half away from zero on the shortest decimal
 * text: exactly Intl.NumberFormat('en-US', { minimumFractionDigits, maximumFractionDigits }) (a unit
 * test compares them on many values), without Intl. Why: the first Intl.NumberFormat of a process
 * loads ICU data, measured 80-100 ms and ~8 MB RSS, and `cli.js statusline` runs after every Claude
 * Code message with a budget of a bare `node -e ""` x 1.5.
 */
function fixed(min: number, max: number): { format(n: number): string } {
  return {
    format(n: number): string {
      if (!Number.isFinite(n)) return String(n);
      const neg = n < 0;
      let [ip, fp = ''] = plainDecimal(Math.abs(n)).split('.');
      if (fp.length > max) {
        const up = fp.charCodeAt(max) >= 53; // '5'..'9'
        fp = fp.slice(0, max);
        if (up) {
          const d = (ip + fp).split('');
          let i = d.length - 1;
          for (; i >= 0; i--) {
            if (d[i] === '9') d[i] = '0';
            else {
              d[i] = String(Number(d[i]) + 1);
              break;
            }
          }
          if (i < 0) d.unshift('1');
          const all = d.join('');
          ip = all.slice(0, all.length - max);
          fp = all.slice(all.length - max);
        }
      }
      while (fp.length > min && fp.endsWith('0')) fp = fp.slice(0, -1);
      while (fp.length < min) fp += '0';
      ip = ip.replace(/^0+(?=\d)/, '') || '0';
      const grouped = ip.replace(/\B(?=(\d{3})+(?!\d))/g, ',');
      const body = fp ? `${grouped}.${fp}` : grouped;
      // Intl writes -0 as "-0"; every caller here passes magnitudes, so only a real negative gets a sign.
      return neg && /[1-9]/.test(body) ? `-${body}` : body;
    },
  };
}
const CENTS_OR_MILLS = fixed(2, 3);
const CENTS = fixed(2, 2);
const WHOLE = fixed(0, 0);
const ONE_DECIMAL = fixed(1, 1);
const TWO_DECIMALS = fixed(2, 2);

/**
 * US dollars. The one money rule:
 * - 0 -> "$0.00"; above 0 but under half a tenth of a cent -> "<$0.001" (never "$0.00" for spend).
 * - under $1: cents, and a third decimal when it is not 0 ("$0.005", "$0.075", "$0.42", "$0.128"):
 *   single requests cost fractions of a cent.
 * - $1 to under $1,000: cents ("$1.00", "$12.34", "$100.00").
 * - from $1,000: whole dollars with thousands separators ("$1,235").
 * The tier is chosen on the rounded text, so $0.9996 reads "$1.00" and $999.996 "$1,000".
 * Costs are never negative (ingest bounds them); the only negative amount is a budget overrun
 * ("remaining"), shown with a minus: "-$2.50". A negative amount that rounds to nothing is "$0.00".
 * Not finite -> "—".
 */
export function formatUsd(n: number): string {
  if (!Number.isFinite(n)) return EM_DASH;
  const abs = Math.abs(n);
  let body = CENTS_OR_MILLS.format(abs);
  if (body === '0.00') {
    return n > 0 ? '<$0.001' : '$0.00';
  }
  if (body === '1.00' || abs >= 1) {
    body = CENTS.format(abs);
    if (abs >= 1000 || body === '1,000.00') body = WHOLE.format(abs);
  }
  return `${n < 0 ? '-' : ''}$${body}`;
}

/**
 * Counts (tokens, requests, characters): exact with separators under 10,000 ("705", "9,999"), then
 * "48.2k", "9.40M", "1.23B". The unit is chosen on the rounded text ("1.00M", never "1000.0k").
 */
export function formatCount(n: number): string {
  if (!Number.isFinite(n)) return EM_DASH;
  const sign = n < 0 ? '-' : '';
  const abs = Math.abs(n);
  if (Math.round(abs) < 1e4) return sign + WHOLE.format(abs);
  const k = ONE_DECIMAL.format(abs / 1e3);
  if (abs < 1e6 && k !== '1,000.0') return `${sign}${k}k`;
  const m = TWO_DECIMALS.format(abs / 1e6);
  if (abs < 1e9 && m !== '1,000.00') return `${sign}${m}M`;
  return `${sign}${TWO_DECIMALS.format(abs / 1e9)}B`;
}

/** A rate 0..1 as a percentage with one decimal ("87.2%"); null (no denominator) -> "—". */
export function formatPercent(rate: number | null | undefined): string {
  if (rate === null || rate === undefined || !Number.isFinite(rate)) return EM_DASH;
  return `${ONE_DECIMAL.format(rate * 100)}%`;
}

/**
 * Durations: "28 ms", "5.3 s", "1 m 36 s", "1 h 30 m" (minutes cut, not rounded, in the hour form);
 * null (not measured) -> "—". The unit is chosen on the rounded value ("1.0 s", never "1000 ms";
 * "1 m 0 s", never "60.0 s" or "0 m 60 s").
 */
export function formatMs(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return EM_DASH;
  if (Math.round(ms) < 1000) return `${Math.round(ms)} ms`;
  const s = ms / 1000;
  if (Math.round(s * 10) < 600) return `${(Math.round(s * 10) / 10).toFixed(1)} s`;
  const whole = Math.round(s);
  if (whole < 3600) return `${Math.floor(whole / 60)} m ${whole % 60} s`;
  const m = Math.floor(whole / 60);
  return `${Math.floor(m / 60)} h ${m % 60} m`;
}

/** Estimated requests by price source (the shape of PriceSourceCounts in src/protocol/dto.ts; no import here). */
export interface PriceSourceCountsLike {
  learned: number;
  override: number;
  table: number;
  none: number;
}

const PRICE_SOURCE_WORDS: readonly [keyof PriceSourceCountsLike, string][] = [
  ['learned', 'learned from Claude Code'],
  ['override', 'your price override'],
  ['table', 'bundled table'],
  ['none', 'unpriced'],
];

/** "10 learned from Claude Code, 2 bundled table"; '' when there is no estimate. */
export function formatPriceSources(c: PriceSourceCountsLike): string {
  return PRICE_SOURCE_WORDS.filter(([k]) => c[k] > 0)
    .map(([k, w]) => `${formatCount(c[k])} ${w}`)
    .join(', ');
}

/**
 * The one-line note on estimates (dashboard overview, MCP usage_summary's pricingNote), or null when
 * every request of the range carries Claude Code's own cost. `estimates` counts transcript requests and
 * every estimate by price source (OTLP requests without a cost are estimates too).
 */
export function formatEstimatesNote(requests: number, e: { transcriptRequests: number; byPriceSource: PriceSourceCountsLike }): string | null {
  const p = e.byPriceSource;
  const estimated = p.learned + p.override + p.table + p.none;
  if (e.transcriptRequests === 0 && estimated === 0) return null;
  const prices = formatPriceSources(p);
  const other = estimated - e.transcriptRequests;
  const head =
    e.transcriptRequests > 0
      ? `${formatCount(e.transcriptRequests)} of ${formatCount(requests)} requests ${e.transcriptRequests === 1 ? 'is' : 'are'} estimated from transcripts` +
        (other > 0 ? `, ${formatCount(other)} more had no cost from Claude Code` : '')
      : `${formatCount(estimated)} of ${formatCount(requests)} requests had no cost from Claude Code and ${estimated === 1 ? 'is' : 'are'} estimated`;
  return `${head}${prices ? ` (prices: ${prices})` : ''}.`;
}

/** Bytes in powers of 1024: "512 B", "18.4 KB", "1.50 MB", "2.00 GB". */
export function formatBytes(n: number): string {
  if (!Number.isFinite(n)) return EM_DASH;
  if (n < 1024) return `${WHOLE.format(n)} B`;
  if (n < 1024 * 1024) return `${ONE_DECIMAL.format(n / 1024)} KB`;
  if (n < 1024 ** 3) return `${TWO_DECIMALS.format(n / 1024 ** 2)} MB`;
  return `${TWO_DECIMALS.format(n / 1024 ** 3)} GB`;
}

/** The fields of ForwardStatusDto the one-line text needs (structural: this file imports nothing). */
export interface ForwardLineInput {
  endpoint: string;
  state: string;
  lastError: string | null;
  backlogRequests: number;
  backlogBytes: number;
  droppedRequests: number;
  rejectedRequests: number;
}

/**
 * Forwarding in one line (status bar tooltip, dashboard overview):
 * "Forwarding to https://c:4318: retrying (HTTP 503) · backlog 12 requests (220.1 KB) · 3 dropped".
 */
export function formatForwardLine(f: ForwardLineInput): string {
  const state = f.state === 'ok' ? 'ok' : `${f.state}${f.lastError ? ` (${f.lastError})` : ''}`;
  const parts = [`Forwarding to ${f.endpoint}: ${state}`];
  parts.push(f.backlogRequests > 0 ? `backlog ${formatCount(f.backlogRequests)} request${f.backlogRequests === 1 ? '' : 's'} (${formatBytes(f.backlogBytes)})` : 'no backlog');
  if (f.droppedRequests > 0) parts.push(`${formatCount(f.droppedRequests)} dropped (backlog bound)`);
  if (f.rejectedRequests > 0) parts.push(`${formatCount(f.rejectedRequests)} refused upstream`);
  return parts.join(' · ');
}

const MILLS = fixed(3, 3);
const CENTS_FIXED = fixed(2, 2);

/**
 * One format for every number of a chart (axis ticks and tooltips), its unit and decimals chosen once
 * from the chart's largest value, so a chart never shows "$0.00" beside "$0.080" or "5,000" beside
 * "10.0k" (formatUsd / formatCount pick a tier per number, right for a single figure, not for a scale).
 * - usd: largest under $0.10 -> three decimals ("$0.000", "$0.025"); under $100 -> cents ("$0.00",
 *   "$12.50"); else whole dollars ("$0", "$1,250").
 * - count: largest under 10,000 -> exact ("0", "5,000"); then thousands with one decimal ("0", "5.0k",
 *   "12.5k"), millions ("2.50M") or billions with two; zero stays "0".
 */
export function scaleFormatter(kind: 'usd' | 'count', largest: number): (n: number) => string {
  const max = Number.isFinite(largest) ? Math.abs(largest) : 0;
  if (kind === 'usd') {
    const f = max < 0.1 ? MILLS : max < 100 ? CENTS_FIXED : WHOLE;
    return (n) => (Number.isFinite(n) ? `${n < 0 ? '-' : ''}$${f.format(Math.abs(n))}` : EM_DASH);
  }
  const [div, f, unit] = max < 1e4 ? [1, WHOLE, ''] : max < 1e6 ? [1e3, ONE_DECIMAL, 'k'] : max < 1e9 ? [1e6, TWO_DECIMALS, 'M'] : [1e9, TWO_DECIMALS, 'B'];
  return (n) => {
    if (!Number.isFinite(n)) return EM_DASH;
    if (n === 0) return '0';
    return `${n < 0 ? '-' : ''}${f.format(Math.abs(n) / div)}${unit}`;
  };
}
