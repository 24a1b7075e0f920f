// toolStats(range): calls, failures and p50/p95 durations per tool, from the rollup histogram
// (fixed log buckets, so percentiles are approximate to the bucket width, about +-9%).
import type { QueryMethods, ToolStatDto, ToolStatsDto } from '../../protocol/dto';
import { histValue } from '../store/apply';
import { rangeBuckets, type QueryContext } from './common';

/** Value at quantile q of a histogram given as sorted [bucket, count] pairs. */
export function quantile(hist: [number, number][], q: number): number | null {
  const total = hist.reduce((s, [, n]) => s + n, 0);
  if (total === 0) return null;
  const target = q * total;
  let seen = 0;
  for (const [hb, n] of hist) {
    seen += n;
    if (seen >= target) return histValue(hb);
  }
  return histValue(hist[hist.length - 1][0]);
}

export function toolStatsQuery(ctx: QueryContext, p: QueryMethods['toolStats']['params']): ToolStatsDto {
  const r = rangeBuckets(p.range, ctx.nowMs);
  const rows = ctx.sql.all<{ tool_id: number; tool: string; server: string | null; calls: number; failures: number }>(
    `SELECT t.tool_id, td.value AS tool, sd.value AS server, sum(t.calls) AS calls, sum(t.failures) AS failures
     FROM tool_rollup t JOIN dict td ON td.id = t.tool_id LEFT JOIN dict sd ON sd.id = t.mcp_server_id
     WHERE t.bucket >= ? AND t.bucket < ? GROUP BY t.tool_id ORDER BY calls DESC, tool`,
    [r.b0, r.b1],
  );
  const hist = ctx.sql.all<{ tool_id: number; duration_bucket: number; n: number }>(
    `SELECT tool_id, duration_bucket, sum(n) AS n FROM tool_hist WHERE bucket >= ? AND bucket < ?
     GROUP BY tool_id, duration_bucket ORDER BY tool_id, duration_bucket`,
    [r.b0, r.b1],
  );
  const byTool = new Map<number, [number, number][]>();
  for (const h of hist) {
    let l = byTool.get(h.tool_id);
    if (!l) byTool.set(h.tool_id, (l = []));
    l.push([h.duration_bucket, h.n]);
  }
  const tools: ToolStatDto[] = rows.map((t) => {
    const h = byTool.get(t.tool_id) ?? [];
    return {
      tool: t.tool, mcpServer: t.server, calls: t.calls, failures: t.failures,
      successRate: t.calls ? (t.calls - t.failures) / t.calls : null, p50Ms: quantile(h, 0.5), p95Ms: quantile(h, 0.95),
    };
  });
  return { range: r.resolved, tools };
}
