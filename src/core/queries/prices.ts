// prices(model?): where the cost of every estimate came from. The prices learned from Claude Code's own
// api_request costs (the store's PriceLearner, read through QueryContext.learnedPrices), the bundled
// table with its date, the user's overrides, and per model how many of the store's estimated requests
// used each price source (estimate_rollup, all time). `model` filters every list by a substring of the
// model id (case-insensitive; table families and override prefixes are kept when they price that model).
import type { LearnedPriceDto, PerMillion, PriceComponent, PricesDto, QueryMethods } from '../../protocol/dto';
import { PRICE_COMPONENTS } from '../../protocol/dto';
import { PRICE_TABLE_DATE, PRICES, priceFor, type ModelPrice } from '../pricing/priceTable';
import { addPriceSource, modelName, zeroPriceSources, type QueryContext } from './common';

const tokenPrices = (p: ModelPrice) => ({
  input: p.input,
  output: p.output,
  cacheRead: p.cacheRead,
  cacheWrite5m: p.cacheWrite5m,
  cacheWrite1h: p.cacheWrite1h,
});

/** learnedKeyOf's `model|speed|long|geo`. */
function learnedDto(key: string, price: { perMTok: PerMillion; observations: number; determined: PriceComponent[] }, conflicts: number): LearnedPriceDto {
  const [model = key, speed = 'normal', long = 'std', geo = ''] = key.split('|');
  const perMTok: PerMillion = {};
  for (const c of PRICE_COMPONENTS) if (price.perMTok[c] !== undefined) perMTok[c] = price.perMTok[c];
  return {
    model,
    speed,
    longContext: long === 'long',
    geo: geo === '' ? null : geo,
    perMTok,
    observations: price.observations,
    determined: PRICE_COMPONENTS.filter((c) => price.determined.includes(c)),
    restarts: conflicts,
  };
}

export function pricesQuery(ctx: QueryContext, p: QueryMethods['prices']['params']): PricesDto {
  const filter = p.model?.trim().toLowerCase() || undefined;
  const matches = (model: string) => filter === undefined || model.toLowerCase().includes(filter);

  const learned = (ctx.learnedPrices?.() ?? []).map((e) => learnedDto(e.key, e.price, e.conflicts)).filter((l) => matches(l.model));

  const rows = ctx.sql.all<{ model: string | null; price_source: number; n: number }>(
    `SELECT d.value AS model, e.price_source, sum(e.requests) AS n FROM estimate_rollup e LEFT JOIN dict d ON d.id = e.model_id
     GROUP BY e.model_id, e.price_source HAVING n <> 0 ORDER BY model`,
  );
  const byModel = new Map<string, PricesDto['estimatesByModel'][number]>();
  for (const r of rows) {
    const model = modelName(r.model);
    if (!matches(model)) continue;
    let m = byModel.get(model);
    if (!m) byModel.set(model, (m = { model, estimates: zeroPriceSources() }));
    addPriceSource(m.estimates, r.price_source, r.n);
  }

  // With a filter, the table families and overrides that price a model the filter names (or whose
  // family name matches it), so "pricing opus-4-8" shows the one row that applies.
  const named = filter === undefined ? [] : [...new Set([filter, ...learned.map((l) => l.model), ...byModel.keys()])];
  const tableUsed = new Set(named.map((m) => priceFor(m)).filter((x): x is ModelPrice => x !== undefined));
  const families = Object.values(PRICES)
    .filter((f) => filter === undefined || tableUsed.has(f) || f.family.toLowerCase().includes(filter))
    .map((f) => ({ family: f.family, ...tokenPrices(f) }));

  const overrides = Object.entries(ctx.priceOverrides ?? {})
    .filter(([prefix]) => filter === undefined || named.some((m) => m.includes(prefix.toLowerCase())) || prefix.toLowerCase().includes(filter))
    .map(([prefix, price]) => ({ prefix, ...tokenPrices(price) }));

  return { learned, table: { date: PRICE_TABLE_DATE, families }, overrides, estimatesByModel: [...byModel.values()] };
}
