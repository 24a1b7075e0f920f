// acceptance(range): accept/reject rates overall, by tool, language and decision source. Decisions a
// person made are kept apart from automatic ones (config rules / permission mode, hooks).
// Overall, by tool and by source come from tool_decision events (decision_rollup). By language comes
// from edit_language_rollup (schema v10, kept at ingest: store/productivityFigures.ts): the
// claude_code.code_edit_tool.decision metric for sessions that sent it (it names the language of every
// edit decision), else tool_decision events whose tool_result named a file; per session one or the
// other, never both.
import type { AcceptanceDto, QueryMethods, RateDto } from '../../protocol/dto';
import { AUTO_DECISION_SOURCES } from '../store/productivityFigures';
import { rangeBuckets, rate, type QueryContext } from './common';

/** Decision sources that are not a person deciding. */
export const AUTO_SOURCES: ReadonlySet<string> = AUTO_DECISION_SOURCES;

export function acceptanceQuery(ctx: QueryContext, p: QueryMethods['acceptance']['params']): AcceptanceDto {
  const r = rangeBuckets(p.range, ctx.nowMs);
  const rows = ctx.sql.all<{ tool: string; source: string | null; accepts: number; rejects: number }>(
    // Grouped first, then named: one dict lookup per group instead of one per rollup row.
    `SELECT td.value AS tool, sd.value AS source, g.accepts, g.rejects
     FROM (SELECT tool_id, decision_source_id, sum(accepts) AS accepts, sum(rejects) AS rejects FROM decision_rollup
           WHERE bucket >= ? AND bucket < ? GROUP BY tool_id, decision_source_id) g
     JOIN dict td ON td.id = g.tool_id LEFT JOIN dict sd ON sd.id = g.decision_source_id`,
    [r.b0, r.b1],
  );
  const langRows = ctx.sql.all<{ lang: string; accepts: number; rejects: number }>(
    `SELECT ld.value AS lang, g.accepts, g.rejects
     FROM (SELECT language_id, sum(accepts) AS accepts, sum(rejects) AS rejects FROM edit_language_rollup
           WHERE bucket >= ? AND bucket < ? GROUP BY language_id) g
     JOIN dict ld ON ld.id = g.language_id`,
    [r.b0, r.b1],
  );
  const tally = () => ({ accepts: 0, rejects: 0 });
  const overall = tally();
  const user = tally();
  const auto = tally();
  const byTool = new Map<string, { accepts: number; rejects: number }>();
  const byLang = new Map<string, { accepts: number; rejects: number }>();
  const bySource = new Map<string, { accepts: number; rejects: number }>();
  const add = (m: Map<string, { accepts: number; rejects: number }>, k: string, a: number, j: number) => {
    const t = m.get(k) ?? tally();
    t.accepts += a;
    t.rejects += j;
    m.set(k, t);
  };
  for (const x of rows) {
    const source = x.source ?? 'unknown';
    overall.accepts += x.accepts;
    overall.rejects += x.rejects;
    const t = AUTO_SOURCES.has(source) ? auto : user;
    t.accepts += x.accepts;
    t.rejects += x.rejects;
    add(byTool, x.tool, x.accepts, x.rejects);
    add(bySource, source, x.accepts, x.rejects);
  }
  for (const x of langRows) add(byLang, x.lang, x.accepts, x.rejects);
  const list = (m: Map<string, { accepts: number; rejects: number }>): RateDto[] =>
    [...m.entries()]
      .map(([key, t]) => ({ key, accepts: t.accepts, rejects: t.rejects, rate: rate(t.accepts, t.rejects) }))
      .sort((a, b) => b.accepts + b.rejects - (a.accepts + a.rejects) || a.key.localeCompare(b.key));
  const withRate = (t: { accepts: number; rejects: number }) => ({ ...t, rate: rate(t.accepts, t.rejects) });
  return {
    range: r.resolved,
    overall: withRate(overall),
    user: withRate(user),
    auto: withRate(auto),
    byTool: list(byTool),
    byLanguage: list(byLang),
    bySource: list(bySource).map((x) => ({ ...x, auto: AUTO_SOURCES.has(x.key) })),
  };
}
