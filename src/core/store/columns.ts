// Column registry: lists of columns that apply.ts, the queries and the schema text all need, declared
// once so a missing or misspelt entry is a compile error instead of a wrong total. The SQL that uses
// them is still written as SQL in its own file; only the repeated column lists come from here.

/** The usage columns of effective_usage and usage_rollup, in table order (all summed). */
export const USAGE_COLUMNS = [
  'cost_usd', 'estimated_cost_usd', 'requests', 'estimated_requests', 'unpriced_requests',
  'input_tokens', 'output_tokens', 'cache_read_tokens', 'cache_creation_tokens',
] as const;
export type UsageColumn = (typeof USAGE_COLUMNS)[number];
/** One usage increment (apply.ts) or one row of usage sums (queries: null when no row matched). */
export type Usage = Record<UsageColumn, number>;
export type UsageSums = Record<UsageColumn, number | null>;

/** The four token kinds as they appear in column names (input_tokens, input_tokens_events...). */
export const TOKEN_COLUMNS = ['input_tokens', 'output_tokens', 'cache_read_tokens', 'cache_creation_tokens'] as const;
export type TokenColumn = (typeof TOKEN_COLUMNS)[number];

/**
 * Where a usage row or a session total came from. Per session, api_request events win when the session
 * has any; else its claude_code.cost/token.usage metrics count (never both). Stored as the 0/1 column
 * `from_metrics` of usage_rollup and edit_decision_rollup.
 */
export const Origin = { Events: 0, Metrics: 1 } as const;
export type Origin = (typeof Origin)[keyof typeof Origin];

/** Session running totals kept apart per origin: `cost_usd_events`, `input_tokens_metrics`... */
export const SESSION_USAGE_COLUMNS = ['cost_usd', ...TOKEN_COLUMNS] as const;
export type SessionUsageColumn = `${(typeof SESSION_USAGE_COLUMNS)[number]}_${'events' | 'metrics'}`;
export const sessionUsageColumn = (c: (typeof SESSION_USAGE_COLUMNS)[number], o: Origin): SessionUsageColumn =>
  `${c}_${o === Origin.Events ? 'events' : 'metrics'}`;

/** api_errors.kind and error_rollup.kind. */
export const ErrorKind = {
  ApiError: 0,
  RetriesExhausted: 1,
  /** api_refusal events (error_rollup only). */
  Refusal: 2,
} as const;
export type ErrorKind = (typeof ErrorKind)[keyof typeof ErrorKind];
/** error_rollup.status when the event had no HTTP status (the key column cannot be NULL). */
export const NO_STATUS = -1;

/** api_requests.source, prompts.source, tool_calls.source: which source saw the row first. */
export const RequestSource = { Otlp: 0, Transcript: 1 } as const;
export type RequestSource = (typeof RequestSource)[keyof typeof RequestSource];

/**
 * api_requests.price_source: where the cost came from. reported = Claude Code's own cost_usd (exact);
 * the others are estimates: learned = prices derived from Claude Code's costs for that model, override =
 * the user's pricing.overrides, table = the bundled price table, none = unpriced (cost 0, flagged).
 */
export const PriceSourceCode = { reported: 0, learned: 1, override: 2, table: 3, none: 4 } as const;
export type PriceSourceName = keyof typeof PriceSourceCode;
