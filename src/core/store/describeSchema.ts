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
  cost: 'USD, full precision (Claude Code cost_usd, or an estimate when estimated = 1)',
  cost_usd: 'USD, full precision',
  est_cost: 'USD of the part that was estimated from tokens',
  src: '0 = from api_request events, 1 = from claude_code.cost/token.usage metrics',
  dkey: "request_id, or '#sequence|time' when Claude Code sent none",
  estimated: '1 when the cost was estimated from the price table',
  unpriced: 'requests whose model has no price and no reported cost',
  hb: 'histogram bucket: durations up to 2^(hb/4) ms',
};

function columnMeaning(table: string, col: string): string {
  if (COLUMN_MEANINGS[col]) return COLUMN_MEANINGS[col];
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
