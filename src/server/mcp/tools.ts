// The MCP tools: names, input and output schemas, and how each maps onto the store's named queries
// (src/protocol/dto.ts). Tool names and output field names are a public contract (issue 6): change
// them only together with MCP_TOOLS_VERSION in mcpTypes.ts (VS Code re-reads the definition then).
//
// Every tool returns structuredContent (validated against its output schema by the SDK, and again by
// clients) plus a short text summary with units and pricing context, because many clients show the
// model only the text.
import * as z from 'zod/v4';
import type {
  AcceptanceDto,
  ApiErrorsDto,
  BurnRateDto,
  FilesEditedDto,
  PricesDto,
  RangeKey,
  RangeSpec,
  SessionSort,
  SessionsDto,
  SessionTimelineDto,
  SummaryDto,
  ToolStatsDto,
} from '../../protocol/dto';
import { PRICE_COMPONENTS, RANGE_KEYS, SESSION_SORTS, TIMELINE_GROUP_KINDS } from '../../protocol/dto';
import {
  formatCount as count, formatEstimatesNote, formatMs, formatPercent as pct, formatPriceSources, formatUsd as usd,
} from '../../core/format/numbers';
import { pricesText } from '../../core/pricing/pricesReport';
import type { McpRuntimeOptions, McpStore } from './mcpTypes';
import { checkReadOnlySql } from './sqlGuard';
import { SqlToolError, type ReplicaQueryRunner } from './replicaQueryRunner';
import { planLimits } from './limitsTool';
import { productivityTool } from './productivityTool';

export interface ToolContext {
  store: McpStore;
  runtime: McpRuntimeOptions;
  sql: ReplicaQueryRunner;
}

export interface ToolOutcome {
  structured: Record<string, unknown>;
  text: string;
  /** Rows returned (for the log line and the audit table). */
  rows: number;
}

export interface ToolDef {
  name: string;
  title: string;
  description: string;
  inputSchema: z.ZodRawShape;
  outputSchema: z.ZodRawShape;
  run(args: Record<string, unknown>, ctx: ToolContext): Promise<ToolOutcome>;
}

/** A refusal or bad input the model should read as a tool error (isError), never an HTTP error. */
export class ToolInputError extends Error {
  override name = 'ToolInputError';
}

// ---------------------------------------------------------------- input pieces

const rangeInput = {
  range: z
    .enum(RANGE_KEYS)
    .optional()
    .describe('today, yesterday, 7d (last 7 local days incl. today), 30d, month (this calendar month), all. Ignored when from/to are given.'),
  from: z.string().optional().describe('ISO-8601 start (inclusive), e.g. 2026-11-01 or 2026-11-01T09:00:00+01:00'),
  to: z.string().optional().describe('ISO-8601 end (exclusive); default: end of today'),
};

function rangeSpec(args: Record<string, unknown>, fallback: RangeKey): RangeSpec {
  const from = args.from as string | undefined;
  const to = args.to as string | undefined;
  for (const [k, v] of [
    ['from', from],
    ['to', to],
  ] as const) {
    if (v !== undefined && !Number.isFinite(Date.parse(v))) {
      throw new ToolInputError(`"${k}" is not an ISO-8601 date or time: ${JSON.stringify(v)}`);
    }
  }
  if (from !== undefined || to !== undefined) return { from, to };
  return { key: (args.range as RangeKey | undefined) ?? fallback };
}

// ---------------------------------------------------------------- output pieces

const range = z.object({ from: z.string(), to: z.string() });
const tokens = z.object({ input: z.number(), output: z.number(), cacheRead: z.number(), cacheCreation: z.number() });
const costSource = z.enum(['reported', 'estimated', 'mixed', 'none']);
const rate = z.object({ accepts: z.number(), rejects: z.number(), rate: z.number().nullable() });
const rateRow = rate.extend({ key: z.string() });
const priceSourceCounts = z.object({ learned: z.number(), override: z.number(), table: z.number(), none: z.number() });
const perMillion = z.object(Object.fromEntries(PRICE_COMPONENTS.map((c) => [c, z.number().optional()])) as Record<(typeof PRICE_COMPONENTS)[number], z.ZodOptional<z.ZodNumber>>);
const tokenPrices = { input: z.number(), output: z.number(), cacheRead: z.number(), cacheWrite5m: z.number(), cacheWrite1h: z.number() };

const sessionRow = z.object({
  sessionId: z.string(),
  start: z.string(),
  end: z.string(),
  durationMs: z.number(),
  costUsd: z.number(),
  costSource,
  requests: z.number(),
  prompts: z.number(),
  models: z.array(z.string()),
  repo: z.string().nullable(),
  linesAdded: z.number(),
  linesRemoved: z.number(),
  accepts: z.number(),
  rejects: z.number(),
  tokens,
  source: z.enum(['otlp', 'transcript', 'both']),
  transcriptRequests: z.number(),
  estimatesByPriceSource: priceSourceCounts,
  title: z.string().nullable(),
  branch: z.string().nullable(),
  headline: z.object({ text: z.string(), from: z.enum(['title', 'prompt', 'file', 'tool']) }).nullable(),
});

/** A headline taken from the first prompt's text leaves the store only while prompt capture is on (like promptText). */
function withoutPromptHeadline<R extends { headline: { from: string } | null }>(r: R, capturePrompts: boolean): R {
  return !capturePrompts && r.headline?.from === 'prompt' ? { ...r, headline: null } : r;
}

const errorRow = z.object({
  time: z.string(),
  kind: z.enum(['api_error', 'retries_exhausted']),
  model: z.string().nullable(),
  statusCode: z.number().nullable(),
  attempt: z.number().nullable(),
  message: z.string().nullable(),
});

// ---------------------------------------------------------------- text helpers

// usd, count, pct, formatMs: src/core/format/numbers.ts, the same text as the status bar and the dashboard.

function rangeText(r: { from: string; to: string }): string {
  return `${r.from} to ${r.to}`;
}

const PRICING_NOTE =
  'Pricing context: cache reads are billed at about 0.1x the input price (cheap, not free); cache writes at 1.25x (5-minute) or 2x (1-hour) the input price; output tokens cost 5x input.';

function costSourceText(s: string): string {
  switch (s) {
    case 'reported':
      return "Claude Code's own reported cost";
    case 'estimated':
      return 'estimated from tokens x list prices (Claude Code reported no cost)';
    case 'mixed':
      return "partly Claude Code's reported cost, partly estimated from list prices";
    default:
      return 'no cost data';
  }
}

// ---------------------------------------------------------------- the tools

const usageSummary: ToolDef = {
  name: 'usage_summary',
  title: 'Claude Code usage summary',
  description:
    'Cost (USD), requests, sessions and tokens (input, output, cache read, cache creation) of Claude Code over a range, with a per-model breakdown and the cache hit rate. Default range: today.',
  inputSchema: { ...rangeInput },
  outputSchema: {
    range,
    costUsd: z.number(),
    costSource,
    requests: z.number(),
    sessions: z.number(),
    prompts: z.number(),
    tokens,
    cacheHitRate: z.number(),
    cacheSavingsUsd: z.number(),
    byModel: z.array(
      z.object({ model: z.string(), costUsd: z.number(), requests: z.number(), tokens, unpriced: z.boolean().optional() }),
    ),
    linesAdded: z.number(),
    linesRemoved: z.number(),
    accepts: z.number(),
    rejects: z.number(),
    unpricedModels: z.array(z.string()),
    estimates: z.object({ transcriptRequests: z.number(), byPriceSource: priceSourceCounts }),
    /** Claude Code forwards structuredContent, not our text, to its model: the pricing context rides here too. */
    pricingNote: z.string(),
  },
  async run(args, { store }) {
    const s: SummaryDto = await store.query('summary', { range: rangeSpec(args, 'today') });
    const estimates = formatEstimatesNote(s.requests, s.estimates);
    const pricingNote = estimates ? `${estimates} The pricing tool lists the prices used. ${PRICING_NOTE}` : PRICING_NOTE;
    const models = s.byModel.map((m) => `${m.model} ${usd(m.costUsd)} (${m.requests} req)`).join(', ');
    const text =
      `Claude Code usage ${rangeText(s.range)}: ${usd(s.costUsd)} USD (${costSourceText(s.costSource)}), ` +
      `${s.requests} API requests in ${s.sessions} sessions, ${s.prompts} prompts. ` +
      `Tokens: ${count(s.tokens.input)} input, ${count(s.tokens.output)} output, ${count(s.tokens.cacheRead)} cache read, ` +
      `${count(s.tokens.cacheCreation)} cache creation; cache hit rate ${pct(s.cacheHitRate)}, saving about ${usd(s.cacheSavingsUsd)} versus uncached input. ` +
      (models ? `By model: ${models}. ` : '') +
      (s.unpricedModels.length ? `Unpriced models (cost unknown, not counted as $0): ${s.unpricedModels.join(', ')}. ` : '') +
      pricingNote;
    return { structured: { ...s, pricingNote }, text, rows: 1 };
  },
};

const listSessions: ToolDef = {
  name: 'list_sessions',
  title: 'Claude Code sessions',
  description:
    'Claude Code sessions in a range with cost (USD), requests, prompts, models, repo, lines added/removed and edit accepts/rejects. Default range: 7d, sorted by start (newest first).',
  inputSchema: {
    ...rangeInput,
    limit: z.number().int().min(1).max(200).optional().describe('rows to return, 1..200 (default 20)'),
    sort: z.enum(SESSION_SORTS).optional().describe('sort key, descending (default start)'),
  },
  outputSchema: {
    range,
    total: z.number(),
    sessions: z.array(sessionRow),
    totals: z.object({
      costUsd: z.number(), prompts: z.number(), requests: z.number(), durationMs: z.number(),
      linesAdded: z.number(), linesRemoved: z.number(), accepts: z.number(), rejects: z.number(),
    }),
  },
  async run(args, { store, runtime }) {
    const r: SessionsDto = await store.query('sessions', {
      range: rangeSpec(args, '7d'),
      limit: (args.limit as number | undefined) ?? 20,
      sort: (args.sort as SessionSort | undefined) ?? 'start',
    });
    const lines = r.sessions
      .slice(0, 10)
      .map(
        (s) =>
          `${s.sessionId} ${s.start} ${usd(s.costUsd)} ${s.requests} req ${s.prompts} prompts${s.repo ? ` repo ${s.repo}` : ''}` +
          (s.title ? ` "${s.title}"` : '') +
          (s.source === 'otlp' ? '' : ` (${s.source === 'transcript' ? '' : `${s.transcriptRequests} req `}estimated from the transcript; prices: ${formatPriceSources(s.estimatesByPriceSource) || 'none'})`),
      );
    const text =
      `${r.sessions.length} of ${r.total} sessions ${rangeText(r.range)} (cost in USD, ` +
      `total shown ${usd(r.sessions.reduce((a, s) => a + s.costUsd, 0))}):\n${lines.join('\n')}` +
      (r.sessions.length > 10 ? `\n… ${r.sessions.length - 10} more in structuredContent` : '');
    return { structured: { ...r, sessions: r.sessions.map((x) => withoutPromptHeadline(x, runtime?.capturePrompts === true)) }, text, rows: r.sessions.length };
  },
};

const sessionTimeline: ToolDef = {
  name: 'session_timeline',
  title: 'Timeline of one Claude Code session',
  description:
    'One session prompt by prompt: its API requests (model, cost USD, tokens, latency), tool calls (file, decision, success, duration, lines), and errors. sessionId "current" = the most recently active session.',
  inputSchema: {
    sessionId: z.string().min(1).max(200).describe('a session.id, or "current" for the most recently active session'),
  },
  outputSchema: {
    sessionId: z.string(),
    found: z.boolean(),
    session: sessionRow.nullable(),
    prompts: z.array(
      z.object({
        kind: z.enum(TIMELINE_GROUP_KINDS),
        promptId: z.string().nullable(),
        time: z.string(),
        promptLength: z.number().nullable(),
        promptText: z.string().nullable(),
        costUsd: z.number(),
        requests: z.array(
          z.object({
            requestId: z.string().nullable(),
            time: z.string(),
            model: z.string(),
            costUsd: z.number(),
            estimated: z.boolean(),
            tokens,
            durationMs: z.number().nullable(),
            ttftMs: z.number().nullable(),
            querySource: z.string().nullable(),
            attempts: z.number().nullable(),
          }),
        ),
        tools: z.array(
          z.object({
            toolUseId: z.string().nullable(),
            time: z.string(),
            tool: z.string(),
            filePath: z.string().nullable(),
            displayPath: z.string().nullable(),
            command: z.string().nullable(),
            decision: z.string().nullable(),
            decisionSource: z.string().nullable(),
            success: z.boolean().nullable(),
            durationMs: z.number().nullable(),
            error: z.string().nullable(),
            linesAdded: z.number().nullable(),
            linesRemoved: z.number().nullable(),
          }),
        ),
        errors: z.array(errorRow),
        blockedOnUserMs: z.number().nullable(),
        toolExecutionMs: z.number().nullable(),
        modelMs: z.number().nullable(),
      }),
    ),
  },
  async run(args, { store, runtime }) {
    const t: SessionTimelineDto = await store.query('sessionTimeline', { sessionId: String(args.sessionId) });
    // Privacy: prompt text and commands leave the machine's store only when the user enabled capture.
    // The waterfall is a UI concern (span geometry), not useful to a model; it is left out.
    const prompts = t.prompts.map(({ waterfall: _w, ...p }) => ({
      ...p,
      promptText: runtime.capturePrompts ? p.promptText : null,
      tools: p.tools.map((tool) => ({ ...tool, command: runtime.captureCommands ? tool.command : null })),
    }));
    const structured = { ...t, session: t.session && withoutPromptHeadline(t.session, runtime?.capturePrompts === true), prompts };
    if (!t.found) {
      return { structured, text: `No session ${JSON.stringify(t.sessionId)} in the ledger.`, rows: 0 };
    }
    const s = t.session;
    const nReq = prompts.reduce((a, p) => a + p.requests.length, 0);
    const nTools = prompts.reduce((a, p) => a + p.tools.length, 0);
    const nErr = prompts.reduce((a, p) => a + p.errors.length, 0);
    // Only the user's prompts are numbered: Claude Code's session-title request (and requests outside a prompt) are named.
    let n = 0;
    const lines = prompts.slice(0, 20).map((p) => {
      const tools = p.tools.map((x) => `${x.tool}${x.filePath ? `(${x.filePath})` : ''}${x.success === false ? ' failed' : ''}`).join(', ');
      const name = p.kind === 'prompt' ? `#${++n}` : p.kind === 'sessionTitle' ? 'session title request (not a prompt)' : 'outside any prompt';
      return `${name} ${p.time} ${usd(p.costUsd)}, ${p.requests.length} req${tools ? `, tools: ${tools}` : ''}${p.errors.length ? `, ${p.errors.length} errors` : ''}`;
    });
    const nPrompts = prompts.filter((p) => p.kind === 'prompt').length;
    const text =
      `Session ${t.sessionId}${s ? ` (${s.start} to ${s.end}, ${usd(s.costUsd)} USD, ${costSourceText(s.costSource)})` : ''}: ` +
      `${nPrompts} prompts, ${nReq} API requests, ${nTools} tool calls, ${nErr} errors.\n${lines.join('\n')}` +
      (prompts.length > 20 ? `\n… ${prompts.length - 20} more prompts in structuredContent` : '');
    return { structured, text, rows: prompts.length };
  },
};

const filesEdited: ToolDef = {
  name: 'files_edited',
  title: 'Files Claude Code edited',
  description: 'Files edited by Claude Code (Write/Edit/MultiEdit/NotebookEdit) with edit counts, accepts/rejects, lines added/removed and last edit time. Default range: 7d, most edited first.',
  inputSchema: { ...rangeInput, limit: z.number().int().min(1).max(500).optional().describe('rows, 1..500 (default 50)') },
  outputSchema: {
    range,
    files: z.array(
      z.object({
        path: z.string(),
        edits: z.number(),
        accepts: z.number(),
        rejects: z.number(),
        linesAdded: z.number(),
        linesRemoved: z.number(),
        sessions: z.number(),
        lastEdited: z.string(),
      }),
    ),
  },
  async run(args, { store }) {
    const r: FilesEditedDto = await store.query('filesEdited', { range: rangeSpec(args, '7d'), limit: (args.limit as number | undefined) ?? 50 });
    const lines = r.files.slice(0, 15).map((f) => `${f.path}: ${f.edits} edits, +${f.linesAdded}/-${f.linesRemoved} lines, last ${f.lastEdited}`);
    const text = `${r.files.length} files edited ${rangeText(r.range)}:\n${lines.join('\n')}` + (r.files.length > 15 ? `\n… ${r.files.length - 15} more in structuredContent` : '');
    return { structured: { ...r }, text, rows: r.files.length };
  },
};

const acceptanceRates: ToolDef = {
  name: 'acceptance_rates',
  title: 'Tool permission acceptance rates',
  description:
    'Accept/reject counts and rates of Claude Code tool permission decisions, overall, by tool, by language and by decision source (user decisions kept apart from automatic config/hook decisions). Default range: 7d.',
  inputSchema: { ...rangeInput },
  outputSchema: {
    range,
    overall: rate,
    user: rate,
    auto: rate,
    byTool: z.array(rateRow),
    byLanguage: z.array(rateRow),
    bySource: z.array(rateRow.extend({ auto: z.boolean() })),
  },
  async run(args, { store }) {
    const r: AcceptanceDto = await store.query('acceptance', { range: rangeSpec(args, '7d') });
    const byTool = r.byTool.map((t) => `${t.key} ${pct(t.rate)} (${t.accepts}/${t.accepts + t.rejects})`).join(', ');
    const text =
      `Decisions ${rangeText(r.range)}: overall ${pct(r.overall.rate)} accepted (${r.overall.accepts} accepts, ${r.overall.rejects} rejects); ` +
      `by a person ${pct(r.user.rate)} (${r.user.accepts}/${r.user.accepts + r.user.rejects}), automatic (config rules, hooks) ${pct(r.auto.rate)} ` +
      `(${r.auto.accepts}/${r.auto.accepts + r.auto.rejects}).` +
      (byTool ? ` By tool: ${byTool}.` : '');
    return { structured: { ...r }, text, rows: r.byTool.length + r.byLanguage.length + r.bySource.length };
  },
};

const toolStats: ToolDef = {
  name: 'tool_stats',
  title: 'Tool call statistics',
  description: 'Calls, failures, success rate and p50/p95 duration (ms) per tool (Bash, Write, mcp__server__tool...). Default range: 7d.',
  inputSchema: { ...rangeInput },
  outputSchema: {
    range,
    tools: z.array(
      z.object({
        tool: z.string(),
        mcpServer: z.string().nullable(),
        calls: z.number(),
        failures: z.number(),
        successRate: z.number().nullable(),
        p50Ms: z.number().nullable(),
        p95Ms: z.number().nullable(),
      }),
    ),
  },
  async run(args, { store }) {
    const r: ToolStatsDto = await store.query('toolStats', { range: rangeSpec(args, '7d') });
    const lines = r.tools.map(
      (t) => `${t.tool}: ${t.calls} calls, ${t.failures} failed (${pct(t.successRate)} ok), p50 ${formatMs(t.p50Ms)}, p95 ${formatMs(t.p95Ms)}`,
    );
    return { structured: { ...r }, text: `Tool calls ${rangeText(r.range)}:\n${lines.join('\n') || 'none'}`, rows: r.tools.length };
  },
};

const apiErrors: ToolDef = {
  name: 'api_errors',
  title: 'Anthropic API errors',
  description:
    'API errors Claude Code reported (requests that finally failed, by HTTP status), retries exhausted, refusals, and the most recent errors. Retried errors that ended in success are not errors here. Default range: 7d.',
  inputSchema: { ...rangeInput },
  outputSchema: {
    range,
    total: z.number(),
    byStatus: z.array(z.object({ statusCode: z.number().nullable(), count: z.number() })),
    retriesExhausted: z.number(),
    refusals: z.number(),
    recent: z.array(errorRow),
  },
  async run(args, { store }) {
    const r: ApiErrorsDto = await store.query('apiErrors', { range: rangeSpec(args, '7d') });
    const by = r.byStatus.map((b) => `${b.statusCode ?? 'no status'}: ${b.count}`).join(', ');
    const text =
      `${r.total} API errors ${rangeText(r.range)}${by ? ` (${by})` : ''}, ${r.retriesExhausted} with retries exhausted, ${r.refusals} refusals.` +
      (r.recent[0] ? ` Most recent: ${r.recent[0].time} ${r.recent[0].statusCode ?? ''} ${r.recent[0].message ?? ''}`.trimEnd() : '');
    return { structured: { ...r }, text, rows: r.recent.length + r.byStatus.length };
  },
};

const burnRate: ToolDef = {
  name: 'burn_rate',
  title: 'Spend rate and forecast',
  description:
    'USD per hour over the last 60 minutes, spend today and this month, linear forecasts to the end of the local day and month (null until there is 1 h of use today / 3 days this month, with the reason), and budget remaining when budgets are set.',
  inputSchema: {},
  outputSchema: {
    lastHourUsdPerHour: z.number(),
    todayUsd: z.number(),
    monthUsd: z.number(),
    forecastTodayUsd: z.number().nullable(),
    forecastMonthUsd: z.number().nullable(),
    forecastTodayWhyNot: z.string().nullable(),
    forecastMonthWhyNot: z.string().nullable(),
    dailyBudgetUsd: z.number().nullable(),
    monthlyBudgetUsd: z.number().nullable(),
    dailyBudgetRemainingUsd: z.number().nullable(),
    monthlyBudgetRemainingUsd: z.number().nullable(),
  },
  async run(_args, { store, runtime }) {
    const budget = (v: number | null) => (v !== null && v > 0 ? v : null);
    // Read now, not at start: the settings may have changed since the handler was created.
    const b = runtime.budgets();
    const r: BurnRateDto = await store.query('burnRate', {
      dailyBudgetUsd: budget(b.dailyBudgetUsd),
      monthlyBudgetUsd: budget(b.monthlyBudgetUsd),
    });
    const text =
      `Burn rate ${usd(r.lastHourUsdPerHour)}/hour over the last hour. Today ${usd(r.todayUsd)} (${r.forecastTodayUsd !== null ? `forecast ${usd(r.forecastTodayUsd)} by end of day` : `forecast ${r.forecastTodayWhyNot ?? 'not available'}`}), ` +
      `this month ${usd(r.monthUsd)} (${r.forecastMonthUsd !== null ? `forecast ${usd(r.forecastMonthUsd)}` : `forecast ${r.forecastMonthWhyNot ?? 'not available'}`}). ` +
      (r.dailyBudgetUsd !== null ? `Daily budget ${usd(r.dailyBudgetUsd)}, remaining ${usd(r.dailyBudgetRemainingUsd ?? 0)}. ` : 'No daily budget set. ') +
      (r.monthlyBudgetUsd !== null ? `Monthly budget ${usd(r.monthlyBudgetUsd)}, remaining ${usd(r.monthlyBudgetRemainingUsd ?? 0)}.` : 'No monthly budget set.');
    return { structured: { ...r }, text, rows: 1 };
  },
};

const describeSchema: ToolDef = {
  name: 'describe_schema',
  title: 'Ledger database schema',
  description: 'Tables and views of the ledger database with their columns and meaning, and example queries for query_sql.',
  inputSchema: {},
  outputSchema: {
    tables: z.array(
      z.object({
        name: z.string(),
        meaning: z.string().optional(),
        columns: z.array(z.object({ name: z.string(), type: z.string().optional(), meaning: z.string().optional() })),
      }),
    ),
    /** Example SQL for query_sql (a `-- question` comment line first when the store gives one). */
    examples: z.array(z.string()),
  },
  async run(_args, { store }) {
    const d = await store.describeSchema();
    const lines = d.tables.map((t) => `${t.name}(${t.columns.map((c) => c.name).join(', ')})${t.meaning ? `: ${t.meaning}` : ''}`);
    const examples = (d.examples ?? []).map((e) => (typeof e === 'string' ? e : `-- ${e.question}\n${e.sql}`));
    const text =
      `Ledger schema (SQLite; times are epoch ms; costs in USD). query_sql runs one read-only SELECT/WITH on a replica, max 1,000 rows.\n` +
      `${lines.join('\n')}` +
      (examples.length ? `\nExamples:\n${examples.join('\n')}` : '');
    return { structured: { tables: d.tables, examples }, text, rows: d.tables.length };
  },
};

const querySql: ToolDef = {
  name: 'query_sql',
  title: 'Read-only SQL on the ledger',
  description:
    'Run ONE read-only SQLite SELECT or WITH statement on a read-only replica of the ledger database (see describe_schema; sqlite_master is readable). At most 1,000 rows (truncated=true when cut); stopped after a timeout. Writes, PRAGMA, ATTACH, several statements and file functions are refused.',
  inputSchema: {
    sql: z.string().min(1).max(20_000).describe('one SELECT or WITH statement'),
    limit: z.number().int().min(1).max(1000).optional().describe('max rows, 1..1000 (default 1000)'),
  },
  outputSchema: {
    columns: z.array(z.string()),
    rows: z.array(z.array(z.union([z.string(), z.number(), z.null()]))),
    truncated: z.boolean(),
  },
  async run(args, { sql, runtime }) {
    const text = String(args.sql);
    const guard = checkReadOnlySql(text);
    if (!guard.ok) throw new SqlToolError(`refused: ${guard.reason}`, 'refused');
    const limit = Math.min((args.limit as number | undefined) ?? runtime.sqlMaxRows, runtime.sqlMaxRows);
    const r = await sql.run(text, limit, runtime.sqlMaxResultChars);
    const preview = r.rows
      .slice(0, 10)
      .map((row) => row.map((v) => (v === null ? 'NULL' : String(v))).join(' | '))
      .join('\n');
    const summary =
      `${r.rows.length} rows${r.truncated ? ` (truncated at ${r.rows.length}; add a LIMIT or aggregate)` : ''}, columns: ${r.columns.join(', ')}` +
      (preview ? `\n${preview}${r.rows.length > 10 ? `\n… ${r.rows.length - 10} more rows in structuredContent` : ''}` : '');
    return { structured: { columns: r.columns, rows: r.rows, truncated: r.truncated }, text: summary, rows: r.rows.length };
  },
};

const pricing: ToolDef = {
  name: 'pricing',
  title: 'Prices used for estimates',
  description:
    "Where estimated costs come from: prices learned from Claude Code's own reported costs (per model, speed, context tier, geo; USD per million tokens, web search per million requests), the bundled list-price table with its date, the user's overrides, and per model how many estimated requests used each price source (learned / override / table / none = unpriced).",
  inputSchema: { model: z.string().min(1).max(200).optional().describe('only models whose id contains this text, e.g. opus-4-8') },
  outputSchema: {
    learned: z.array(
      z.object({
        model: z.string(),
        speed: z.string(),
        longContext: z.boolean(),
        geo: z.string().nullable(),
        perMTok: perMillion,
        observations: z.number(),
        determined: z.array(z.enum(PRICE_COMPONENTS)),
        restarts: z.number(),
      }),
    ),
    table: z.object({ date: z.string(), families: z.array(z.object({ family: z.string(), ...tokenPrices })) }),
    overrides: z.array(z.object({ prefix: z.string(), ...tokenPrices })),
    estimatesByModel: z.array(z.object({ model: z.string(), estimates: priceSourceCounts })),
  },
  async run(args, { store }) {
    const r: PricesDto = await store.query('prices', args.model !== undefined ? { model: String(args.model) } : {});
    return { structured: { ...r }, text: pricesText(r), rows: r.learned.length + r.table.families.length + r.overrides.length + r.estimatesByModel.length };
  },
};

export const TOOLS: readonly ToolDef[] = [
  usageSummary,
  listSessions,
  sessionTimeline,
  filesEdited,
  acceptanceRates,
  toolStats,
  apiErrors,
  burnRate,
  describeSchema,
  querySql,
  pricing,
  planLimits,
  productivityTool(rangeInput, rangeSpec),
];
