// The `prices` query as text: a Markdown document for the "Show Prices Used" command and a short plain
// table for the MCP `pricing` tool. Pure; both read the same PricesDto, so they never disagree.
import type { PerMillion, PriceComponent, PricesDto } from '../../protocol/dto';
import { PRICE_COMPONENTS } from '../../protocol/dto';
import { formatCount, formatPriceSources } from '../format/numbers';

const COMPONENT_LABEL: Record<PriceComponent, string> = {
  input: 'Input',
  output: 'Output',
  cacheRead: 'Cache read',
  cacheWrite5m: 'Cache write 5m',
  cacheWrite1h: 'Cache write 1h',
  webSearch: 'Web search',
};
const TOKEN_COMPONENTS = PRICE_COMPONENTS.filter((c) => c !== 'webSearch');

/** A price per million as written on Anthropic's pricing page: $5, $0.5, $6.25, $0.08 (web search: per 1,000). */
function price(c: PriceComponent, v: number | undefined): string {
  if (v === undefined) return '—';
  const usd = c === 'webSearch' ? v / 1000 : v;
  return `$${Number(usd.toFixed(4))}`;
}

function learnedVariant(l: PricesDto['learned'][number]): string {
  const parts = [l.speed === 'normal' ? null : l.speed, l.longContext ? '>200k context' : null, l.geo ? `geo ${l.geo}` : null].filter(Boolean);
  return parts.length ? parts.join(', ') : 'standard';
}

const row = (cells: string[]) => `| ${cells.map((c) => c.replace(/\|/g, '\\|')).join(' | ')} |`;
const table = (head: string[], rows: string[][], right: boolean[]) =>
  [row(head), `|${right.map((r) => (r ? ' ---: ' : ' --- ')).join('|')}|`, ...rows.map(row)].join('\n');

const tokenCells = (p: PerMillion) => TOKEN_COMPONENTS.map((c) => price(c, p[c]));

export function pricesMarkdown(p: PricesDto, filter?: string): string {
  const out: string[] = [
    `# Prices used by Claude Code Ledger${filter ? ` (models matching "${filter}")` : ''}`,
    '',
    "Requests Claude Code reported over telemetry carry its own cost. Requests known only from its transcripts, or reported without a cost, are estimated: with the prices learned from Claude Code's own costs for that model when they determine every token type the request used, else your `claudeLedger.pricing` override, else the bundled table; a model none of them knows is shown as unpriced, never as $0.",
    '',
    '## Estimates in the ledger, by model',
    '',
  ];
  if (p.estimatesByModel.length === 0) out.push('No estimated request: every cost shown is the one Claude Code reported.');
  else
    out.push(
      table(
        ['Model', 'Learned', 'Override', 'Table', 'Unpriced'],
        p.estimatesByModel.map((m) => [m.model, formatCount(m.estimates.learned), formatCount(m.estimates.override), formatCount(m.estimates.table), formatCount(m.estimates.none)]),
        [false, true, true, true, true],
      ),
    );
  out.push('', "## Learned from Claude Code's own costs", '', 'USD per million tokens (web search: per 1,000 searches); — = not determined yet by the observations.', '');
  if (p.learned.length === 0) out.push('Nothing learned yet: prices are learned from the requests Claude Code reports with their cost.');
  else
    out.push(
      table(
        ['Model', 'Variant', ...PRICE_COMPONENTS.map((c) => COMPONENT_LABEL[c]), 'Observations'],
        p.learned.map((l) => [
          l.model,
          learnedVariant(l),
          ...PRICE_COMPONENTS.map((c) => price(c, l.perMTok[c])),
          `${formatCount(l.observations)}${l.restarts ? ` (prices changed ${l.restarts}×)` : ''}`,
        ]),
        [false, false, ...PRICE_COMPONENTS.map(() => true), true],
      ),
    );
  if (p.overrides.length) {
    out.push('', '## Your overrides (claudeLedger.pricing)', '', 'USD per million tokens; matched by model id prefix before the table.', '');
    out.push(table(['Model prefix', ...TOKEN_COMPONENTS.map((c) => COMPONENT_LABEL[c])], p.overrides.map((o) => [o.prefix, ...tokenCells(o)]), [false, ...TOKEN_COMPONENTS.map(() => true)]));
  }
  out.push('', `## Bundled table (Anthropic list prices as of ${p.table.date})`, '', 'USD per million tokens; web search $10 per 1,000 searches.', '');
  out.push(table(['Models', ...TOKEN_COMPONENTS.map((c) => COMPONENT_LABEL[c])], p.table.families.map((f) => [f.family, ...tokenCells(f)]), [false, ...TOKEN_COMPONENTS.map(() => true)]));
  return out.join('\n') + '\n';
}

/** A few lines for MCP clients that show the model only the text. */
export function pricesText(p: PricesDto): string {
  const lines: string[] = [];
  const est = p.estimatesByModel.map((m) => `${m.model}: ${formatPriceSources(m.estimates) || 'none'}`);
  lines.push(est.length ? `Estimated requests by price source: ${est.join('; ')}.` : 'No estimated request: every cost is the one Claude Code reported.');
  lines.push('Learned from Claude Code (USD per million tokens: in / out / cache read / write 5m / write 1h):');
  if (p.learned.length === 0) lines.push('  none yet');
  for (const l of p.learned) {
    lines.push(`  ${l.model} [${learnedVariant(l)}]: ${TOKEN_COMPONENTS.map((c) => price(c, l.perMTok[c])).join(' / ')} (${formatCount(l.observations)} observations)`);
  }
  for (const o of p.overrides) lines.push(`Override ${o.prefix}: ${tokenCells(o).join(' / ')}`);
  lines.push(`Bundled table (${p.table.date}):`);
  for (const f of p.table.families) lines.push(`  ${f.family}: ${tokenCells(f).join(' / ')}`);
  return lines.join('\n');
}
