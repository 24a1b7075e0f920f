// describeSchema(): tables, columns and what they mean, for the MCP read-only SQL tool.
import { SCHEMA_EXAMPLES, TABLE_MEANINGS } from './schema';
import type { StatementCache } from './statementCache';

export interface SchemaDescription {
  tables: { name: string; columns: { name: string; type: string; meaning: string }[]; meaning: string }[];
  examples: string[];
}

const COLUMN_MEANINGS: Record<string, string> = {
  bucket: '15-minute epoch bucket: epoch_ms / 900000 (multiply by 900000 for epoch ms)',
  time_ms: 'epoch milliseconds',
  start_ms: 'epoch milliseconds',
  end_ms: 'epoch milliseconds',
  first_ms: 'epoch milliseconds',
  last_ms: 'epoch milliseconds',
  ts_ms: 'epoch milliseconds',
  decision_ms: 'epoch milliseconds of the tool_decision event',
  result_ms: 'epoch milliseconds of the tool_result event',
  cost_usd: 'USD, full precision (Claude Code cost_usd, or an estimate when estimated = 1)',
  estimated_cost_usd: 'USD of the part that was estimated from tokens',
  estimated_requests: 'requests whose cost was estimated from the price table',
  from_metrics: "0 = from events (api_request, tool_decision), 1 = from Claude Code's metrics",
  dedup_key: "request_id, or '#sequence|time' when Claude Code sent none",
  estimated: '1 when the cost was estimated from the price table',
  unpriced: '1 when the model has no price and no cost was reported (cost_usd = 0)',
  unpriced_requests: 'requests whose model has no price and no reported cost',
  duration_bucket: 'histogram bucket: durations up to 2^(duration_bucket/4) ms',
  has_lines_metric: '1 when the session sent claude_code.lines_of_code.count (then its *_metrics line counts are used)',
  has_edit_decision_metric: '1 when the session sent claude_code.code_edit_tool.decision (then its from_metrics = 1 rows are used)',
  kind: '0 = api_error, 1 = api_retries_exhausted, 2 = api_refusal (error_rollup only)',
};

function suffixMeaning(col: string): string | undefined {
  if (col.endsWith('_events')) return 'running total from api_request / tool events (used when api_request_events > 0 or lines come from events)';
  if (col.endsWith('_metrics')) return "running total from Claude Code's metrics (used for sessions without api_request events / with the lines metric)";
  return undefined;
}

function columnMeaning(table: string, col: string): string {
  if (COLUMN_MEANINGS[col]) return COLUMN_MEANINGS[col];
  if (table === 'sessions' || table === 'activity_rollup') {
    const m = col === 'api_request_events' ? 'api_request events of the session' : suffixMeaning(col);
    if (m) return m;
  }
  if (table === 'dict' && col === 'value') return 'the interned string';
  if (col === 'id') return table === 'sessions' ? 'dict id of the session.id string' : 'row id';
  if (col.endsWith('_id') && !table.startsWith('v_') && !['trace_id', 'span_id', 'parent_span_id', 'request_id', 'tool_use_id'].includes(col)) {
    return `dict.id of the ${col.slice(0, -3).replace(/_/g, ' ')}`;
  }
  return '';
}

export function describeSchema(sql: StatementCache): SchemaDescription {
  const objects = sql.all<{ name: string }>(`SELECT name FROM sqlite_master WHERE type IN ('table', 'view') AND name NOT LIKE 'sqlite_%' ORDER BY type, name`);
  return {
    tables: objects.map(({ name }) => ({
      name,
      meaning: TABLE_MEANINGS[name] ?? '',
      columns: sql.all<{ name: string; type: string }>(`SELECT name, type FROM pragma_table_info(?)`, [name]).map((c) => ({
        name: c.name,
        type: c.type || 'ANY',
        meaning: columnMeaning(name, c.name),
      })),
    })),
    examples: [...SCHEMA_EXAMPLES],
  };
}
