// Applies normalized records to the database: raw rows + incremental rollups in the caller's
// transaction. Idempotent: every raw table has a natural unique key and rollups are bumped only
// when the raw insert was new, so a payload delivered twice (exporter retry, journal replay after
// a crash between snapshot and journal truncation) counts once.
//
// Accuracy rules (issue 3 section 4):
// - Per session, cost and tokens come from api_request events when the session has any, else from
//   its claude_code.cost.usage / token.usage metrics; the two are never added. eff_usage holds the
//   effective figures: metric deltas go in only while the session has no api_request, and the first
//   api_request of a session retracts what its metrics had put there.
// - costUsd is kept as sent (full double). Without it the cost is estimated from the price table and
//   flagged; an unknown model is flagged unpriced, never priced at $0 silently.
import type {
  ApiErrorEvent,
  ApiRequestEvent,
  ApiRetriesExhaustedEvent,
  EventRecord,
  GenericEvent,
  Identity,
  MetricPoint,
  NormRecord,
  SpanRecord,
  ToolDecisionEvent,
  ToolResultEvent,
  UserPromptEvent,
} from '../otlp/records';
import { estimateCost, type TokenUse } from '../pricing/estimate';
import { countsOf, learnedKeyOf, PriceLearner } from '../pricing/learned';
import { priceTranscriptRequest } from '../pricing/priceRequest';
import type { PriceOverrides } from '../pricing/priceTable';
import { compareUsage, repoOf } from '../transcripts/parse';
import type { TranscriptPrompt, TranscriptRequest, TranscriptSession, TranscriptToolUse, TranscriptUsage } from '../transcripts/transcriptRecords';
import { bucketOf } from '../time/range';
import { BatchRows } from './batchRows';
import { ProductivityFigures } from './productivityFigures';
import { noteSeriesIdentity, rollupProductivityPoint } from './productivityRollup';
import {
  ErrorKind, NO_STATUS, Origin, PriceSourceCode, RequestSource, SESSION_USAGE_COLUMNS, USAGE_COLUMNS, sessionUsageColumn, type TokenColumn,
  type Usage,
} from './columns';
import type { StatementCache } from './statementCache';

/** Tools whose file_path is an edit (files view); Read/Glob paths are not edits. */
export const EDIT_TOOLS: ReadonlySet<string> = new Set(['Write', 'Edit', 'MultiEdit', 'NotebookEdit']);

/** Tool-duration histogram: bucket hb holds durations in (2^((hb-1)/4), 2^(hb/4)] ms; hb 0 is <= 1 ms. */
export function histBucket(ms: number): number {
  return ms <= 1 ? 0 : Math.min(127, Math.ceil(4 * Math.log2(ms) - 1e-9));
}
/** Representative value of a histogram bucket (geometric middle), rounded to 0.1 ms. */
export function histValue(hb: number): number {
  return hb === 0 ? 1 : Math.round(2 ** ((hb - 0.5) / 4) * 10) / 10;
}

export function displayToolName(r: { toolName: string; mcpServer?: string; mcpTool?: string }): string {
  return r.mcpServer && r.mcpTool ? `mcp__${r.mcpServer}__${r.mcpTool}` : r.toolName;
}

/** Session counters summed per record (bumpSession); the rest of the sessions row is its "touch" part. */
const SESSION_INCS = [
  'api_request_events', 'estimated_requests', 'unpriced_requests',
  ...SESSION_USAGE_COLUMNS.map((c) => sessionUsageColumn(c, Origin.Events)),
  ...SESSION_USAGE_COLUMNS.map((c) => sessionUsageColumn(c, Origin.Metrics)),
  'prompts', 'accepts', 'rejects', 'lines_added_events', 'lines_removed_events', 'lines_added_metrics', 'lines_removed_metrics', 'errors',
  'transcript_requests',
] as const;
type SessionInc = Partial<Record<(typeof SESSION_INCS)[number], number>>;

const ACT_COLS = ['prompts', 'accepts', 'rejects', 'lines_added_events', 'lines_removed_events', 'lines_added_metrics', 'lines_removed_metrics'] as const;
type ActInc = Partial<Record<(typeof ACT_COLS)[number], number>>;

const sums = (cols: readonly string[]) => cols.map((name) => ({ name, op: 'sum' as const }));

// Hot running-total tables, accumulated per batch (batchRows.ts); the merge ops are the former
// per-record ON CONFLICT clauses. Columns are addressed by name (BatchRows.col), never by position.
const SESSION_TOUCH = ['first_ms', 'last_ms', 'repo_id', 'user_id', 'version_id'] as const;
const SESSION_SPEC = {
  table: 'sessions',
  keys: ['id'],
  cols: [
    { name: 'first_ms', op: 'min' as const }, { name: 'last_ms', op: 'max' as const },
    { name: 'repo_id', op: 'ifZero' as const }, { name: 'user_id', op: 'ifZero' as const }, { name: 'version_id', op: 'ifZero' as const },
    ...sums(SESSION_INCS), { name: 'has_lines_metric', op: 'max' as const }, { name: 'has_edit_decision_metric', op: 'max' as const },
  ],
};
const ACTIVITY_SPEC = { table: 'activity_rollup', keys: ['bucket', 'session_id'], cols: sums(['records', ...ACT_COLS]) };
const USAGE_SPEC = {
  table: 'usage_rollup',
  keys: ['bucket', 'session_id', 'model_id', 'repo_id', 'user_id', 'query_source_id', 'from_metrics'],
  cols: sums(USAGE_COLUMNS),
};
const EFF_SPEC = { table: 'effective_usage', keys: ['bucket', 'model_id'], cols: sums(USAGE_COLUMNS) };
/** Estimated requests by price source (schema v5); rows with Claude Code's reported cost are not in it. */
const ESTIMATE_SPEC = { table: 'estimate_rollup', keys: ['bucket', 'model_id', 'source', 'price_source'], cols: sums(['requests']) };
const isEstimateRow = (source: number, priceSource: number) => source !== RequestSource.Otlp || priceSource !== PriceSourceCode.reported;
// A session's metric usage, negated per (bucket, model): retracted from effective_usage when its first
// api_request arrives. Summed by SQLite (its sum() of REAL values is compensated, not a plain loop);
// the negated sums are then added to the pending effective_usage rows (batchRows.ts).
const RETRACT_SQL = `SELECT bucket, model_id, ${USAGE_COLUMNS.map((c) => `-sum(${c}) AS ${c}`).join(', ')}
    FROM usage_rollup WHERE session_id = ? AND from_metrics = ${Origin.Metrics} GROUP BY bucket, model_id`;

interface ToolRowState {
  id: number;
  decision_id: number | null;
  decision_ms: number | null;
  decision_source_id: number | null;
  result_ms: number | null;
  path_id: number | null;
  language_id: number | null;
  decision: string | null;
  source: number;
}

/** What a stored request contributed to the rollups: enough to take it back when it is replaced. */
interface StoredRequest {
  id: number;
  session_id: number;
  time_ms: number;
  model_id: number;
  repo_id: number;
  user_id: number;
  query_source_id: number;
  source: number;
  message_id: string | null;
  cost_usd: number;
  estimated: number;
  unpriced: number;
  input_tokens: number;
  output_tokens: number;
  cache_read_tokens: number;
  cache_creation_tokens: number;
  cache_creation_5m_tokens: number | null;
  cache_creation_1h_tokens: number | null;
  web_search_requests: number;
  price_source: number;
}
const STORED_REQUEST_COLUMNS = `id, session_id, time_ms, model_id, repo_id, user_id, query_source_id, source, message_id, cost_usd, estimated,
  unpriced, input_tokens, output_tokens, cache_read_tokens, cache_creation_tokens, cache_creation_5m_tokens, cache_creation_1h_tokens,
  web_search_requests, price_source`;

/** Everything a new api_requests row holds (both sources). */
interface RequestRow extends TokenUse {
  sid: number;
  dedupKey: string;
  timeMs: number;
  promptId: number;
  modelId: number;
  costUsd: number;
  estimated: 0 | 1;
  unpriced: 0 | 1;
  priceSource: number;
  durationMs?: number;
  ttftMs?: number;
  querySourceId: number;
  agentId: number;
  traceId?: string;
  source: RequestSource;
  messageId?: string;
  repoId: number;
  userId: number;
  webSearchRequests: number;
  speed?: string;
  inferenceGeo?: string;
}

/** How one transcript request was taken (the import summary counts each outcome). */
export type TranscriptRequestOutcome = 'added' | 'duplicate' | 'knownFromOtlp' | 'updated';

/** Session fields a transcript line carries (what touchSession needs of an OTLP identity). */
type SessionTouch = Pick<Identity, 'repo' | 'userId' | 'serviceVersion'>;

const ZERO_USAGE: Usage = Object.fromEntries(USAGE_COLUMNS.map((c) => [c, 0])) as Usage;

/** claude_code.token.usage `type` attribute -> token column (Claude Code sends camelCase; snake_case tolerated). */
const TOKEN_TYPE_COLUMN: Readonly<Record<string, TokenColumn>> = {
  input: 'input_tokens',
  output: 'output_tokens',
  cacheRead: 'cache_read_tokens',
  cache_read: 'cache_read_tokens',
  cacheCreation: 'cache_creation_tokens',
  cache_creation: 'cache_creation_tokens',
};

export interface ApplyOptions {
  maxAttrsJsonChars: number;
  priceOverrides?: PriceOverrides;
}

export const DEFAULT_APPLY_OPTIONS: ApplyOptions = {
  // Bounds the JSON of leftover attributes stored per generic event / span (hot tables stay compact).
  maxAttrsJsonChars: 4_000,
};

export class Applier {
  private readonly dictCache = new Map<string, number>();
  private readonly seriesCache = new Map<string, number>();
  private readonly sessions: BatchRows;
  private readonly activity: BatchRows;
  private readonly usageRows: BatchRows;
  private readonly effRows: BatchRows;
  private readonly estimateRows: BatchRows;
  /** The productivity figures with their per-session rules (productivityFigures.ts). */
  private readonly figures: ProductivityFigures;
  /** Column positions of the hot tables, looked up by name once. */
  private readonly sessionCol: {
    touch: readonly number[];
    apiRequestEvents: number;
    hasLinesMetric: number;
    hasEditDecisionMetric: number;
    firstMs: number;
    lastMs: number;
    repoId: number;
    userId: number;
  };
  /** Column position of each SESSION_INCS counter in the sessions rows. */
  private readonly sessionIncCol: Readonly<Record<(typeof SESSION_INCS)[number], number>>;
  /** (session, model) pairs already inserted into session_models in this batch. */
  private readonly sessionModels = new Set<string>();
  /** Prices learned from Claude Code's own api_request costs (persisted in learned_prices at flush). */
  readonly learner: PriceLearner;
  private learnerDirty = false;
  /** Models whose learned prices changed in this batch: their imported estimates are redone at flush. */
  private readonly repriceModels = new Set<string>();
  lastEventMs = 0;

  constructor(
    private readonly sql: StatementCache,
    private readonly opts: ApplyOptions = DEFAULT_APPLY_OPTIONS,
  ) {
    this.sessions = new BatchRows(sql, SESSION_SPEC);
    this.activity = new BatchRows(sql, ACTIVITY_SPEC);
    this.usageRows = new BatchRows(sql, USAGE_SPEC);
    this.effRows = new BatchRows(sql, EFF_SPEC);
    this.estimateRows = new BatchRows(sql, ESTIMATE_SPEC);
    this.figures = new ProductivityFigures(sql);
    this.learner = this.loadLearner();
    const col = (n: string) => this.sessions.col(n);
    this.sessionIncCol = Object.fromEntries(SESSION_INCS.map((c) => [c, col(c)])) as Record<(typeof SESSION_INCS)[number], number>;
    this.sessionCol = {
      touch: SESSION_TOUCH.map(col),
      apiRequestEvents: col('api_request_events'),
      hasLinesMetric: col('has_lines_metric'),
      hasEditDecisionMetric: col('has_edit_decision_metric'),
      firstMs: col('first_ms'),
      lastMs: col('last_ms'),
      repoId: col('repo_id'),
      userId: col('user_id'),
    };
  }

  private loadLearner(): PriceLearner {
    const row = this.sql.get<{ state: string }>(`SELECT state FROM learned_prices WHERE key = 'state'`);
    if (!row) return new PriceLearner();
    try {
      return PriceLearner.fromJSON(JSON.parse(row.state));
    } catch {
      return new PriceLearner(); // a damaged state is relearned from the next observations
    }
  }

  /** Writes the batch's accumulated running totals; the caller runs this before COMMIT. */
  flush(): void {
    for (const model of this.repriceModels) this.repriceTranscriptRequests(model);
    this.repriceModels.clear();
    if (this.learnerDirty) {
      this.sql.run(`INSERT OR REPLACE INTO learned_prices (key, state) VALUES ('state', ?)`, [JSON.stringify(this.learner.toJSON())]);
      this.learnerDirty = false;
    }
    // Before the sessions rows are written: it reads their repository and user from the pending rows.
    this.figures.flush((sid) => {
      const repoId = this.sessions.get([sid], this.sessionCol.repoId);
      const userId = this.sessions.get([sid], this.sessionCol.userId);
      return repoId === undefined || userId === undefined ? undefined : { repoId, userId };
    });
    this.sessions.flush();
    this.activity.flush();
    this.usageRows.flush();
    this.effRows.flush();
    this.estimateRows.flush();
    this.sessionModels.clear();
  }

  /** After a rollback or clearAll the caches may name ids (and pending rows) that no longer exist. */
  resetCaches(): void {
    this.dictCache.clear();
    this.seriesCache.clear();
    this.sessions.discard();
    this.activity.discard();
    this.usageRows.discard();
    this.effRows.discard();
    this.estimateRows.discard();
    this.figures.discard();
    this.sessionModels.clear();
  }

  private sessionModel(sid: number, modelId: number): void {
    const k = `${sid}|${modelId}`;
    if (this.sessionModels.has(k)) return;
    this.sql.run('INSERT OR IGNORE INTO session_models (session_id, model_id) VALUES (?, ?)', [sid, modelId]);
    this.sessionModels.add(k);
  }

  private apiEvents(sid: number): number | undefined {
    return this.sessions.get([sid], this.sessionCol.apiRequestEvents);
  }

  intern(s: string | undefined | null): number {
    if (s === undefined || s === null || s === '') return 0;
    const hit = this.dictCache.get(s);
    if (hit !== undefined) return hit;
    this.sql.run('INSERT OR IGNORE INTO dict (value) VALUES (?)', [s]);
    const row = this.sql.get<{ id: number }>('SELECT id FROM dict WHERE value = ?', [s]);
    if (!row) throw new Error(`dict: could not intern ${JSON.stringify(s.slice(0, 80))}`);
    // Bounded: unique strings (paths, ids) would otherwise grow the cache without limit.
    if (this.dictCache.size > 200_000) this.dictCache.clear();
    this.dictCache.set(s, row.id);
    return row.id;
  }

  /** Applies one record; returns true when it was new (false for a duplicate). */
  apply(r: NormRecord): boolean {
    let fresh: boolean;
    switch (r.kind) {
      case 'metric':
        fresh = this.metric(r);
        break;
      case 'span':
        fresh = this.span(r);
        break;
      default:
        fresh = this.event(r);
    }
    if (fresh) {
      const t = r.kind === 'span' ? r.startMs : r.timeMs;
      if (t > this.lastEventMs) this.lastEventMs = t;
    }
    return fresh;
  }

  // ---- sessions and activity ----

  private sessionOf(r: Identity): number {
    return r.isClaudeCode && r.sessionId ? this.intern(r.sessionId) : 0;
  }

  private touchSession(sid: number, r: SessionTouch, timeMs: number, act: ActInc): void {
    if (!sid) return;
    // The touch part is the first SESSION_TOUCH.length columns of SESSION_SPEC (upsert takes a prefix).
    this.sessions.upsert([sid], [timeMs, timeMs, this.intern(r.repo), this.intern(r.userId), this.intern(r.serviceVersion)]);
    const bucket = bucketOf(timeMs);
    this.activity.upsert([bucket, sid], [1, ...ACT_COLS.map((c) => act[c] ?? 0)]);
    this.figures.touch(sid, bucket);
    // Lines by the summary's rule: the metric's once the session sent one (metric() retracts the events'
    // then), the events' before.
    if (act.lines_added_metrics || act.lines_removed_metrics) {
      this.figures.add(bucket, sid, 'lines_added', act.lines_added_metrics ?? 0);
      this.figures.add(bucket, sid, 'lines_removed', act.lines_removed_metrics ?? 0);
    }
    if ((act.lines_added_events || act.lines_removed_events) && !this.sessions.get([sid], this.sessionCol.hasLinesMetric)) {
      this.figures.add(bucket, sid, 'lines_added', act.lines_added_events ?? 0);
      this.figures.add(bucket, sid, 'lines_removed', act.lines_removed_events ?? 0);
    }
  }

  /** The session's bucket span so far (its sessions row, pending or stored). */
  private sessionSpan(sid: number): [number, number] | undefined {
    const first = this.sessions.get([sid], this.sessionCol.firstMs);
    const last = this.sessions.get([sid], this.sessionCol.lastMs);
    return first === undefined || last === undefined ? undefined : [bucketOf(first), bucketOf(last)];
  }

  private bumpSession(sid: number, inc: SessionInc): void {
    if (!sid) return;
    // Only the non-zero increments: adding 0 leaves a stored value as it is (a -0 in a pending row is
    // written as the integer 0 either way), so the rows written are the same.
    const at = this.sessionIncCol;
    const incs: (readonly [number, number])[] = [];
    for (const c of Object.keys(inc) as (keyof SessionInc)[]) {
      const v = inc[c];
      if (v) incs.push([at[c], v]);
    }
    if (incs.length > 0) this.sessions.add([sid], incs);
  }

  private usage(bucket: number, sid: number, modelId: number, r: SessionTouch, qsId: number, origin: Origin, u: Usage, effective: boolean): void {
    this.usageByIds(bucket, sid, modelId, this.intern(r.repo), this.intern(r.userId), qsId, origin, u, effective);
  }

  private usageByIds(bucket: number, sid: number, modelId: number, repoId: number, userId: number, qsId: number, origin: Origin, u: Usage, effective: boolean): void {
    const vals = USAGE_COLUMNS.map((c) => u[c]);
    this.usageRows.upsert([bucket, sid, modelId, repoId, userId, qsId, origin], vals);
    if (effective) {
      this.effRows.upsert([bucket, modelId], vals);
      if (sid) this.figures.add(bucket, sid, 'cost_usd', u.cost_usd);
    }
  }

  // ---- events ----

  private event(r: EventRecord): boolean {
    const sid = this.sessionOf(r);
    if (!sid) return this.generic(r, this.intern(r.sessionId));
    switch (r.kind) {
      case 'apiRequest':
        return this.apiRequest(r, sid);
      case 'userPrompt':
        return this.prompt(r, sid);
      case 'toolDecision':
        return this.decision(r, sid);
      case 'toolResult':
        return this.result(r, sid);
      case 'apiError':
      case 'apiRetriesExhausted':
        return this.apiError(r, sid);
      default:
        return this.generic(r, sid);
    }
  }

  private apiRequest(r: ApiRequestEvent, sid: number): boolean {
    const dkey = r.requestId ?? `#${r.sequence ?? -1}|${r.timeMs}`;
    // One row per request id, whichever source saw it first (any session: a resumed session's
    // transcript carries requests of another). OTLP is authoritative: it replaces a transcript row.
    let replaced: StoredRequest | undefined;
    if (r.requestId !== undefined) {
      const existing = this.requestWhere('dedup_key = ?', r.requestId) ?? this.aliasedTranscriptRow(r.requestId);
      if (existing) {
        if (existing.source !== RequestSource.Transcript) return false;
        replaced = existing;
      }
    }
    let cost = r.costUsd;
    let estimated: 0 | 1 = 0;
    let unpriced: 0 | 1 = 0;
    let priceSource: number = PriceSourceCode.reported;
    if (cost === undefined || !Number.isFinite(cost)) {
      estimated = 1;
      priceSource = PriceSourceCode.table;
      cost = estimateCost(r.modelNorm, {
        input: r.inputTokens,
        output: r.outputTokens,
        cacheRead: r.cacheReadTokens,
        cacheCreation: r.cacheCreationTokens,
        cacheCreation5m: r.cacheCreation5mTokens,
        cacheCreation1h: r.cacheCreation1hTokens,
      }, this.opts.priceOverrides).costUsd;
      if (cost === undefined) {
        unpriced = 1;
        priceSource = PriceSourceCode.none;
        cost = 0;
      }
    } else {
      // Every reported cost is an observation of Claude Code's own prices.
      const counts = countsOf({
        input: r.inputTokens, output: r.outputTokens, cacheRead: r.cacheReadTokens, cacheCreation: r.cacheCreationTokens,
        cacheCreation5m: r.cacheCreation5mTokens, cacheCreation1h: r.cacheCreation1hTokens,
      });
      if (this.learner.observe(learnedKeyOf(r.modelNorm, counts, r.speed), counts, cost)) {
        this.learnerDirty = true;
        this.repriceModels.add(r.modelNorm);
      }
    }
    return this.insertRequest({
      sid, dedupKey: dkey, timeMs: r.timeMs, promptId: this.intern(r.promptId), modelId: this.intern(r.modelNorm), costUsd: cost, estimated,
      unpriced, priceSource, input: r.inputTokens, output: r.outputTokens, cacheRead: r.cacheReadTokens, cacheCreation: r.cacheCreationTokens,
      cacheCreation5m: r.cacheCreation5mTokens, cacheCreation1h: r.cacheCreation1hTokens, durationMs: r.durationMs, ttftMs: r.ttftMs,
      querySourceId: this.intern(r.querySource), agentId: this.intern(r.agentId), traceId: r.traceId, source: RequestSource.Otlp,
      messageId: replaced?.message_id ?? undefined, repoId: this.intern(r.repo), userId: this.intern(r.userId), webSearchRequests: 0,
      speed: r.speed,
    }, r, replaced);
  }

  /** The transcript row a request id was seen for as a replay (request_aliases), if it is still a transcript row. */
  private aliasedTranscriptRow(requestId: string): StoredRequest | undefined {
    const a = this.sql.get<{ message_id: string }>('SELECT message_id FROM request_aliases WHERE request_id = ?', [requestId]);
    const row = a && this.requestWhere('message_id = ?', a.message_id);
    return row && row.source === RequestSource.Transcript ? row : undefined;
  }

  private requestWhere(where: string, value: string): StoredRequest | undefined {
    return this.sql.get<StoredRequest>(`SELECT ${STORED_REQUEST_COLUMNS} FROM api_requests WHERE ${where} LIMIT 1`, [value]);
  }

  /**
   * Inserts one request and adds it to the rollups. With `replaced` (a transcript row of the same
   * request or message), that row's contribution is taken back first, so the request counts once.
   */
  private insertRequest(f: RequestRow, touch: SessionTouch, replaced?: StoredRequest): boolean {
    const sameSession = replaced !== undefined && replaced.session_id === f.sid;
    if (replaced) this.retractRequest(replaced, sameSession);
    const n = this.sql.run(
      `INSERT OR IGNORE INTO api_requests (session_id, dedup_key, time_ms, prompt_id, model_id, cost_usd, estimated, unpriced, input_tokens,
        output_tokens, cache_read_tokens, cache_creation_tokens, cache_creation_5m_tokens, cache_creation_1h_tokens, duration_ms, ttft_ms,
        query_source_id, agent_id, trace_id, source, message_id, price_source, repo_id, user_id, web_search_requests, speed, inference_geo)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      [f.sid, f.dedupKey, f.timeMs, f.promptId || null, f.modelId, f.costUsd, f.estimated, f.unpriced, f.input, f.output, f.cacheRead,
        f.cacheCreation, f.cacheCreation5m ?? null, f.cacheCreation1h ?? null, f.durationMs ?? null, f.ttftMs ?? null, f.querySourceId,
        f.agentId || null, f.traceId ?? null, f.source, f.messageId ?? null, f.priceSource, f.repoId, f.userId, f.webSearchRequests,
        f.speed ?? null, f.inferenceGeo ?? null],
    );
    if (n === 0) {
      if (replaced) throw new Error(`api_requests: replacing request ${f.dedupKey} failed`); // the transaction rolls back
      return false;
    }
    this.touchSession(f.sid, touch, f.timeMs, {});
    // The first request of a session takes over from its metrics (retracted once: a replacement in
    // the same session keeps the session's request count, so it never retracts twice).
    if (!sameSession && this.apiEvents(f.sid) === 0) {
      // RETRACT_SQL reads usage_rollup: this session's pending metric rows are written first (they stay pending).
      this.usageRows.write((key) => key[1] === f.sid && key[6] === Origin.Metrics);
      for (const row of this.sql.all<Record<string, number>>(RETRACT_SQL, [f.sid])) {
        this.effRows.upsert([row.bucket, row.model_id], USAGE_COLUMNS.map((c) => row[c]));
        this.figures.add(row.bucket, f.sid, 'cost_usd', row.cost_usd);
      }
    }
    const u: Usage = {
      cost_usd: f.costUsd,
      estimated_cost_usd: f.estimated ? f.costUsd : 0,
      requests: 1,
      estimated_requests: f.estimated,
      unpriced_requests: f.unpriced,
      input_tokens: f.input,
      output_tokens: f.output,
      cache_read_tokens: f.cacheRead,
      cache_creation_tokens: f.cacheCreation,
    };
    this.usageByIds(bucketOf(f.timeMs), f.sid, f.modelId, f.repoId, f.userId, f.querySourceId, Origin.Events, u, true);
    this.bumpSession(f.sid, {
      api_request_events: sameSession ? 0 : 1, estimated_requests: f.estimated, unpriced_requests: f.unpriced, cost_usd_events: f.costUsd,
      input_tokens_events: f.input, output_tokens_events: f.output, cache_read_tokens_events: f.cacheRead, cache_creation_tokens_events: f.cacheCreation,
      transcript_requests: f.source === RequestSource.Transcript ? 1 : 0,
    });
    if (isEstimateRow(f.source, f.priceSource)) this.estimateRows.upsert([bucketOf(f.timeMs), f.modelId, f.source, f.priceSource], [1]);
    this.sessionModel(f.sid, f.modelId);
    return true;
  }

  /** Takes a stored request out of every total and deletes it (keepCount: its session keeps the request count). */
  private retractRequest(old: StoredRequest, keepCount: boolean): void {
    const u: Usage = {
      cost_usd: -old.cost_usd,
      estimated_cost_usd: old.estimated ? -old.cost_usd : 0,
      requests: -1,
      estimated_requests: -old.estimated,
      unpriced_requests: -old.unpriced,
      input_tokens: -old.input_tokens,
      output_tokens: -old.output_tokens,
      cache_read_tokens: -old.cache_read_tokens,
      cache_creation_tokens: -old.cache_creation_tokens,
    };
    this.usageByIds(bucketOf(old.time_ms), old.session_id, old.model_id, old.repo_id, old.user_id, old.query_source_id, Origin.Events, u, true);
    this.bumpSession(old.session_id, {
      api_request_events: keepCount ? 0 : -1, estimated_requests: -old.estimated, unpriced_requests: -old.unpriced, cost_usd_events: -old.cost_usd,
      input_tokens_events: -old.input_tokens, output_tokens_events: -old.output_tokens, cache_read_tokens_events: -old.cache_read_tokens,
      cache_creation_tokens_events: -old.cache_creation_tokens, transcript_requests: old.source === RequestSource.Transcript ? -1 : 0,
    });
    if (isEstimateRow(old.source, old.price_source)) this.estimateRows.upsert([bucketOf(old.time_ms), old.model_id, old.source, old.price_source], [-1]);
    this.sql.run('DELETE FROM api_requests WHERE id = ?', [old.id]);
  }

  // ---- transcripts (src/core/transcripts: parsed lines; reconciliation with OTLP happens here) ----

  /**
   * One request seen in a transcript. Key: request id (= OTLP api_request.request_id), else message id.
   * Known from OTLP -> skipped (Claude Code's cost stays); the same request or message already imported
   * -> the larger streaming snapshot is kept; else a new row, its cost estimated and marked with the
   * price source (learned from Claude Code > user override > bundled table > none = unpriced).
   */
  applyTranscriptRequest(t: TranscriptRequest, projectDir: string, fallbackTimeMs: number): TranscriptRequestOutcome {
    const sid = this.intern(t.sessionId);
    const byRequest = t.requestId !== undefined ? this.requestWhere('dedup_key = ?', t.requestId) : undefined;
    const byMessage = t.messageId !== undefined ? this.requestWhere('message_id = ?', t.messageId) : undefined;
    if (byRequest && byRequest.source !== RequestSource.Transcript) {
      // A replay of this message imported before its original was seen: it was this request all along.
      if (byMessage && byMessage.id !== byRequest.id && byMessage.source === RequestSource.Transcript) this.retractRequest(byMessage, false);
      // Remember the message id, so a later replay of this message under a new request id is recognised;
      // a request is "known from OTLP" once, its further content-block lines are duplicates.
      if (t.messageId === undefined || byRequest.message_id === t.messageId) return 'duplicate';
      this.sql.run('UPDATE api_requests SET message_id = ? WHERE id = ?', [t.messageId, byRequest.id]);
      return 'knownFromOtlp';
    }
    const existing = byRequest ?? byMessage;
    if (existing && existing.source !== RequestSource.Transcript) return 'duplicate'; // a replay of an OTLP-known message
    // This message is imported under another request id (its replay was read first): remember this id,
    // so Claude Code's api_request for it replaces that row instead of adding the request again.
    if (t.requestId !== undefined && !byRequest && byMessage && t.messageId !== undefined) {
      this.sql.run('INSERT OR IGNORE INTO request_aliases (request_id, message_id) VALUES (?, ?)', [t.requestId, t.messageId]);
    }
    if (existing && compareUsage(t.usage, usageOfRow(existing)) <= 0) return 'duplicate';
    const counts = countsOf(t.usage);
    const learned = this.learner.pricesFor(learnedKeyOf(t.modelNorm, counts, t.speed, t.inferenceGeo));
    const priced = priceTranscriptRequest(t.modelNorm, t.usage, { speed: t.speed, inferenceGeo: t.inferenceGeo, learned, overrides: this.opts.priceOverrides });
    const touch: SessionTouch = { repo: repoOf(t.cwd, projectDir), serviceVersion: t.version };
    const ok = this.insertRequest({
      sid, dedupKey: t.requestId ?? (t.messageId !== undefined ? `#msg:${t.messageId}` : `#line:${t.uuid ?? `${t.sessionId}|${t.timeMs}`}`),
      timeMs: existing ? existing.time_ms : (t.timeMs ?? fallbackTimeMs), promptId: 0, modelId: this.intern(t.modelNorm),
      costUsd: priced.costUsd ?? 0, estimated: 1, unpriced: priced.costUsd === undefined ? 1 : 0, priceSource: PriceSourceCode[priced.priceSource],
      input: t.usage.input, output: t.usage.output, cacheRead: t.usage.cacheRead, cacheCreation: t.usage.cacheCreation,
      cacheCreation5m: t.usage.cacheCreation5m, cacheCreation1h: t.usage.cacheCreation1h,
      querySourceId: this.intern(t.isSidechain ? 'subagent' : undefined), agentId: this.intern(t.agentId), source: RequestSource.Transcript,
      messageId: t.messageId, repoId: this.intern(touch.repo), userId: 0, webSearchRequests: t.usage.webSearchRequests, speed: t.speed,
      inferenceGeo: t.inferenceGeo,
    }, touch, existing);
    if (!ok) return 'duplicate';
    return existing ? 'updated' : 'added';
  }

  /**
   * Prices of a model changed (learned from Claude Code): every imported request of that model is priced
   * again, so history imported before the prices were known (e.g. a model no table knows, first
   * "unpriced") gets Claude Code's prices. Totals move by the difference only.
   */
  private repriceTranscriptRequests(modelNorm: string): void {
    const modelId = this.intern(modelNorm);
    const rows = this.sql.all<StoredRequest & { speed: string | null; inference_geo: string | null }>(
      `SELECT ${STORED_REQUEST_COLUMNS}, speed, inference_geo FROM api_requests WHERE model_id = ? AND source = ?`,
      [modelId, RequestSource.Transcript],
    );
    for (const row of rows) {
      const usage = usageOfRow(row);
      const speed = row.speed ?? undefined;
      const geo = row.inference_geo ?? undefined;
      const learned = this.learner.pricesFor(learnedKeyOf(modelNorm, countsOf(usage), speed, geo));
      const priced = priceTranscriptRequest(modelNorm, usage, { speed, inferenceGeo: geo, learned, overrides: this.opts.priceOverrides });
      const cost = priced.costUsd ?? 0;
      const unpriced = priced.costUsd === undefined ? 1 : 0;
      const priceSource = PriceSourceCode[priced.priceSource];
      if (cost === row.cost_usd && unpriced === row.unpriced && priceSource === row.price_source) continue;
      const delta: Usage = { ...ZERO_USAGE, cost_usd: cost - row.cost_usd, estimated_cost_usd: cost - row.cost_usd, unpriced_requests: unpriced - row.unpriced };
      this.usageByIds(bucketOf(row.time_ms), row.session_id, row.model_id, row.repo_id, row.user_id, row.query_source_id, Origin.Events, delta, true);
      this.bumpSession(row.session_id, { cost_usd_events: cost - row.cost_usd, unpriced_requests: unpriced - row.unpriced });
      if (priceSource !== row.price_source) {
        const bucket = bucketOf(row.time_ms);
        if (isEstimateRow(row.source, row.price_source)) this.estimateRows.upsert([bucket, row.model_id, row.source, row.price_source], [-1]);
        if (isEstimateRow(row.source, priceSource)) this.estimateRows.upsert([bucket, row.model_id, row.source, priceSource], [1]);
      }
      this.sql.run('UPDATE api_requests SET cost_usd = ?, unpriced = ?, price_source = ? WHERE id = ?', [cost, unpriced, priceSource, row.id]);
    }
  }

  /** A tool use seen in a transcript: counted when no source has this tool_use_id yet. */
  applyTranscriptToolUse(t: TranscriptToolUse, _projectDir: string, fallbackTimeMs: number): boolean {
    if (t.toolUseId === undefined) return false; // nothing to deduplicate on: OTLP may report it
    const sid = this.intern(t.sessionId);
    const timeMs = t.timeMs ?? fallbackTimeMs;
    const tool = displayToolName(t);
    const toolId = this.intern(tool);
    const pathId = this.intern(t.filePath);
    const n = this.sql.run(
      `INSERT OR IGNORE INTO tool_calls (session_id, tool_use_id, time_ms, tool_id, mcp_server_id, path_id, language_id, command, lines_added,
         lines_removed, source) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      [sid, t.toolUseId, timeMs, toolId, this.intern(t.mcpServer) || null, pathId || null, this.intern(t.language) || null, t.command ?? null,
        t.linesAdded ?? null, t.linesRemoved ?? null, RequestSource.Transcript],
    );
    if (n === 0) {
      this.languageFromTranscript(sid, t.toolUseId, tool, this.intern(t.language));
      return false;
    }
    const bucket = bucketOf(timeMs);
    const la = t.linesAdded ?? 0;
    const lr = t.linesRemoved ?? 0;
    // No repository here: a session's repo_id is kept from its first non-zero touch, and a prompt or tool
    // use has no cwd, so the lossy guess from the project folder (`projects-acme-web` for
    // /home/dev/projects/acme-web) would win over the cwd's basename that its session and request items
    // carry (applyTranscriptSession falls back to that guess when no line has a cwd).
    this.touchSession(sid, {}, timeMs, { lines_added_events: la, lines_removed_events: lr });
    this.bumpSession(sid, { lines_added_events: la, lines_removed_events: lr });
    this.sql.run(
      `INSERT INTO tool_rollup (bucket, tool_id, mcp_server_id, calls, failures) VALUES (?, ?, ?, 1, 0)
       ON CONFLICT (bucket, tool_id) DO UPDATE SET calls = calls + 1`,
      [bucket, toolId, this.intern(t.mcpServer)],
    );
    if (pathId && EDIT_TOOLS.has(t.toolName)) this.file(bucket, pathId, sid, timeMs, { edits: 1, lines_added: la, lines_removed: lr });
    return true;
  }

  /**
   * A transcript tool use of a call OTLP already reported: with redacted telemetry (no tool details)
   * the transcript is the only place naming the file, so its language (from the file extension) is
   * kept, and a decision already seen without one is counted by language now (once: the row keeps the
   * language, so a second copy of the line finds it set).
   */
  private languageFromTranscript(sid: number, toolUseId: string, tool: string, langId: number): void {
    if (!langId || !EDIT_TOOLS.has(tool)) return;
    const row = this.sql.get<{ id: number; decision: string | null; decision_ms: number | null; decision_source_id: number | null; tool_id: number }>(
      `SELECT t.id, d.value AS decision, t.decision_ms, t.decision_source_id, t.tool_id FROM tool_calls t LEFT JOIN dict d ON d.id = t.decision_id
       WHERE t.session_id = ? AND t.tool_use_id = ? AND t.language_id IS NULL`,
      [sid, toolUseId],
    );
    if (!row) return;
    this.sql.run('UPDATE tool_calls SET language_id = ? WHERE id = ?', [langId, row.id]);
    if (row.decision !== null && row.decision_ms !== null) {
      this.editDecision(bucketOf(row.decision_ms), sid, row.tool_id, langId, row.decision_source_id ?? 0, Origin.Events,
        row.decision === 'accept' ? 1 : 0, row.decision === 'reject' ? 1 : 0);
    }
  }

  /** A prompt seen in a transcript: joined with OTLP user_prompt events by prompt id. */
  applyTranscriptPrompt(t: TranscriptPrompt, _projectDir: string, fallbackTimeMs: number): boolean {
    const sid = this.intern(t.sessionId);
    const promptId = this.intern(t.promptId);
    if (promptId && this.sql.get('SELECT 1 AS x FROM prompts WHERE session_id = ? AND prompt_id = ?', [sid, promptId])) return false;
    const timeMs = t.timeMs ?? fallbackTimeMs;
    const n = this.sql.run(
      'INSERT OR IGNORE INTO prompts (session_id, seq, time_ms, prompt_id, length, text, source) VALUES (?, -1, ?, ?, ?, ?, ?)',
      [sid, timeMs, promptId || null, t.length, t.text ?? null, RequestSource.Transcript],
    );
    if (n === 0) return false;
    // No repository: see applyTranscriptToolUse.
    this.touchSession(sid, {}, timeMs, { prompts: 1 });
    this.bumpSession(sid, { prompts: 1 });
    return true;
  }

  /** Session fields (working folder, branch, version, entrypoint, title): first/last time and details. */
  applyTranscriptSession(t: TranscriptSession, projectDir: string): void {
    const sid = this.intern(t.sessionId);
    if (!sid) return;
    if (t.timeMs !== undefined) {
      // The repository only from a cwd: lines without one (queue-operation, summary) come first in a file,
      // and the project-folder guess would then win for good (repo_id keeps its first value). A session
      // with no cwd on any line gets that guess from its requests (applyTranscriptRequest).
      const touch = [t.timeMs, t.timeMs, t.cwd ? this.intern(repoOf(t.cwd, projectDir)) : 0, 0, this.intern(t.version)];
      this.sessions.upsert([sid], touch); // the sessions row only: a session line is not an activity record
      this.figures.repositoryChanged(sid); // its repository may be known now
    }
    this.sql.run(
      `INSERT INTO session_details (session_id, title, title_source, cwd, git_branch, entrypoint) VALUES (?, ?, ?, ?, ?, ?)
       ON CONFLICT (session_id) DO UPDATE SET
         title = CASE WHEN excluded.title IS NULL THEN title WHEN title_source = 'custom-title' AND excluded.title_source <> 'custom-title' THEN title
           ELSE excluded.title END,
         title_source = CASE WHEN excluded.title IS NULL THEN title_source WHEN title_source = 'custom-title' AND excluded.title_source <> 'custom-title'
           THEN title_source ELSE excluded.title_source END,
         cwd = coalesce(excluded.cwd, cwd), git_branch = coalesce(excluded.git_branch, git_branch), entrypoint = coalesce(excluded.entrypoint, entrypoint)`,
      [sid, t.title ?? null, t.title ? (t.titleSource ?? null) : null, t.cwd ?? null, t.gitBranch ?? null, t.entrypoint ?? null],
    );
  }

  private prompt(r: UserPromptEvent, sid: number): boolean {
    const promptId = this.intern(r.promptId);
    if (promptId) {
      const imported = this.sql.get<{ id: number }>('SELECT id FROM prompts WHERE session_id = ? AND prompt_id = ? AND source = ?', [sid, promptId, RequestSource.Transcript]);
      if (imported) {
        // The same prompt, first seen in the transcript: take OTLP's detail, count it once.
        this.sql.run('UPDATE prompts SET seq = ?, time_ms = ?, length = coalesce(?, length), text = coalesce(?, text), trace_id = ?, source = ? WHERE id = ?', [
          r.sequence ?? -1, r.timeMs, r.promptLength ?? null, r.promptText ?? null, r.traceId ?? null, RequestSource.Otlp, imported.id,
        ]);
        return false;
      }
    }
    const n = this.sql.run(
      'INSERT OR IGNORE INTO prompts (session_id, seq, time_ms, prompt_id, length, text, trace_id) VALUES (?, ?, ?, ?, ?, ?, ?)',
      [sid, r.sequence ?? -1, r.timeMs, this.intern(r.promptId) || null, r.promptLength ?? null, r.promptText ?? null, r.traceId ?? null],
    );
    if (n === 0) return false;
    this.touchSession(sid, r, r.timeMs, { prompts: 1 });
    this.bumpSession(sid, { prompts: 1 });
    return true;
  }

  private toolRow(sid: number, r: ToolDecisionEvent | ToolResultEvent, tag: string): { key: string; row?: ToolRowState } {
    const key = r.toolUseId ?? `#${tag}${r.sequence ?? -1}|${r.timeMs}`;
    const row = this.sql.get<ToolRowState>(
      `SELECT t.id, t.decision_id, t.decision_ms, t.decision_source_id, t.result_ms, t.path_id, t.language_id, d.value AS decision, t.source
       FROM tool_calls t LEFT JOIN dict d ON d.id = t.decision_id
       WHERE t.session_id = ? AND t.tool_use_id = ?`,
      [sid, key],
    );
    return { key, row };
  }

  private decision(r: ToolDecisionEvent, sid: number): boolean {
    const { key, row } = this.toolRow(sid, r, 'd');
    if (row && row.decision_id !== null) return false;
    const tool = displayToolName(r);
    const toolId = this.intern(tool);
    const pathId = this.intern(r.filePath);
    const langId = this.intern(r.language);
    const decId = this.intern(r.decision) || this.intern('unknown');
    const srcId = this.intern(r.source);
    if (!row) {
      this.sql.run(
        `INSERT INTO tool_calls (session_id, tool_use_id, time_ms, prompt_id, tool_id, mcp_server_id, path_id, language_id, command, decision_id,
           decision_source_id, decision_ms)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        [sid, key, r.timeMs, this.intern(r.promptId) || null, toolId, this.intern(r.mcpServer) || null, pathId || null, langId || null,
          r.command ?? null, decId, srcId || null, r.timeMs],
      );
    } else {
      this.sql.run(
        `UPDATE tool_calls SET decision_id = ?, decision_source_id = ?, decision_ms = ?, time_ms = min(time_ms, ?),
           path_id = coalesce(path_id, ?), language_id = coalesce(language_id, ?), command = coalesce(command, ?),
           mcp_server_id = coalesce(mcp_server_id, ?)
         WHERE id = ?`,
        [decId, srcId || null, r.timeMs, r.timeMs, pathId || null, langId || null, r.command ?? null, this.intern(r.mcpServer) || null, row.id],
      );
    }
    const acc = r.decision === 'accept' ? 1 : 0;
    const rej = r.decision === 'reject' ? 1 : 0;
    const bucket = bucketOf(r.timeMs);
    this.touchSession(sid, r, r.timeMs, { accepts: acc, rejects: rej });
    this.bumpSession(sid, { accepts: acc, rejects: rej });
    this.sql.run(
      `INSERT INTO decision_rollup (bucket, tool_id, language_id, decision_source_id, accepts, rejects) VALUES (?, ?, ?, ?, ?, ?)
       ON CONFLICT (bucket, tool_id, language_id, decision_source_id) DO UPDATE SET accepts = accepts + excluded.accepts,
         rejects = rejects + excluded.rejects`,
      [bucket, toolId, langId, srcId, acc, rej],
    );
    // tool_decision events carry no file path (only tool_result does): the file's accept/reject is
    // counted when both are known, whichever arrives second.
    const filePath = pathId || row?.path_id || 0;
    if (filePath && EDIT_TOOLS.has(r.toolName)) this.file(bucket, filePath, sid, r.timeMs, { accepts: acc, rejects: rej });
    // By language: the decision's own language, else the one its tool_result derived from the file path.
    const language = langId || row?.language_id || 0;
    if (language && EDIT_TOOLS.has(tool)) this.editDecision(bucket, sid, toolId, language, srcId, Origin.Events, acc, rej);
    return true;
  }

  private result(r: ToolResultEvent, sid: number): boolean {
    const { key, row } = this.toolRow(sid, r, 'r');
    if (row && row.result_ms !== null) return false;
    const tool = displayToolName(r);
    const toolId = this.intern(tool);
    const pathId = this.intern(r.filePath);
    const langId = this.intern(r.language);
    const vals = [r.success ? 1 : 0, r.durationMs ?? null, r.error ?? null, this.intern(r.errorType) || null, r.inputSizeBytes ?? null,
      r.resultSizeBytes ?? null, r.linesAdded ?? null, r.linesRemoved ?? null, r.timeMs];
    if (!row) {
      this.sql.run(
        `INSERT INTO tool_calls (session_id, tool_use_id, time_ms, prompt_id, tool_id, mcp_server_id, path_id, language_id, command,
           success, duration_ms, error, error_type_id, input_bytes, result_bytes, lines_added, lines_removed, result_ms)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        [sid, key, r.timeMs, this.intern(r.promptId) || null, toolId, this.intern(r.mcpServer) || null, pathId || null, langId || null, r.command ?? null, ...vals],
      );
    } else {
      this.sql.run(
        `UPDATE tool_calls SET success = ?, duration_ms = ?, error = ?, error_type_id = ?, input_bytes = ?, result_bytes = ?, lines_added = ?,
           lines_removed = ?, result_ms = ?, path_id = coalesce(path_id, ?), language_id = coalesce(language_id, ?),
           command = coalesce(command, ?), mcp_server_id = coalesce(mcp_server_id, ?)
         WHERE id = ?`,
        [...vals, pathId || null, langId || null, r.command ?? null, this.intern(r.mcpServer) || null, row.id],
      );
    }
    const bucket = bucketOf(r.timeMs);
    // A row first seen in a transcript already counted the call, its edit and its lines: add only what
    // the transcript could not know (failure, duration).
    const imported = row !== undefined && row.source === RequestSource.Transcript;
    const la = imported ? 0 : (r.linesAdded ?? 0);
    const lr = imported ? 0 : (r.linesRemoved ?? 0);
    this.touchSession(sid, r, r.timeMs, { lines_added_events: la, lines_removed_events: lr });
    this.bumpSession(sid, { lines_added_events: la, lines_removed_events: lr });
    this.sql.run(
      `INSERT INTO tool_rollup (bucket, tool_id, mcp_server_id, calls, failures) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT (bucket, tool_id) DO UPDATE SET calls = calls + excluded.calls, failures = failures + excluded.failures`,
      [bucket, toolId, this.intern(r.mcpServer), imported ? 0 : 1, r.success ? 0 : 1],
    );
    if (r.durationMs !== undefined && Number.isFinite(r.durationMs)) {
      this.sql.run(
        `INSERT INTO tool_hist (bucket, tool_id, duration_bucket, n) VALUES (?, ?, ?, 1)
         ON CONFLICT (bucket, tool_id, duration_bucket) DO UPDATE SET n = n + 1`,
        [bucket, toolId, histBucket(r.durationMs)],
      );
    }
    if (pathId && EDIT_TOOLS.has(r.toolName) && !(imported && row.path_id)) {
      const late = row && row.decision_id !== null && !row.path_id ? row.decision : null; // decision seen before its path
      this.file(bucket, pathId, sid, r.timeMs, {
        edits: 1, lines_added: la, lines_removed: lr, accepts: late === 'accept' ? 1 : 0, rejects: late === 'reject' ? 1 : 0,
      });
    }
    // A decision seen before any language: count it by this result's language, in the decision's bucket.
    if (row && row.decision_id !== null && row.decision_ms !== null && !row.language_id && langId && EDIT_TOOLS.has(tool)) {
      this.editDecision(bucketOf(row.decision_ms), sid, toolId, langId, row.decision_source_id ?? 0, Origin.Events,
        row.decision === 'accept' ? 1 : 0, row.decision === 'reject' ? 1 : 0);
    }
    return true;
  }

  private file(bucket: number, pathId: number, sid: number, timeMs: number, inc: { edits?: number; accepts?: number; rejects?: number; lines_added?: number; lines_removed?: number }): void {
    this.sql.run(
      `INSERT INTO file_rollup (bucket, path_id, session_id, edits, accepts, rejects, lines_added, lines_removed, last_ms) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (bucket, path_id, session_id) DO UPDATE SET edits = edits + excluded.edits, accepts = accepts + excluded.accepts,
         rejects = rejects + excluded.rejects, lines_added = lines_added + excluded.lines_added, lines_removed = lines_removed + excluded.lines_removed,
         last_ms = max(last_ms, excluded.last_ms)`,
      [bucket, pathId, sid, inc.edits ?? 0, inc.accepts ?? 0, inc.rejects ?? 0, inc.lines_added ?? 0, inc.lines_removed ?? 0, timeMs],
    );
  }

  /** A lines metric: when it is the session's first, its event lines so far leave the productivity figures. */
  private firstLinesMetric(sid: number): void {
    if (this.sessions.get([sid], this.sessionCol.hasLinesMetric) !== 0) return; // set already, or no session yet (nothing to take back)
    const span = this.sessionSpan(sid);
    if (!span) return;
    this.activity.write((key) => key[1] === sid); // the retraction reads activity_rollup
    this.figures.retractEventLines(sid, span[0], span[1]);
  }

  /** A decision metric: when it is the session's first, its tool_decision events so far leave the productivity figures. */
  private firstDecisionMetric(sid: number): void {
    if (this.sessions.get([sid], this.sessionCol.hasEditDecisionMetric) !== 0) return;
    const span = this.sessionSpan(sid);
    if (span) this.figures.retractEventDecisions(sid, span[0], span[1]);
  }

  private editDecision(bucket: number, sid: number, toolId: number, langId: number, srcId: number, origin: Origin, acc: number, rej: number): void {
    // Acceptance's rule (productivity, acceptance by language): the decision metric's once the session sent
    // one, tool_decision events before.
    if (origin === Origin.Metrics || !this.sessions.get([sid], this.sessionCol.hasEditDecisionMetric)) this.figures.addDecisions(bucket, sid, langId, srcId, acc, rej);
    this.sql.run(
      `INSERT INTO edit_decision_rollup (bucket, session_id, tool_id, language_id, decision_source_id, from_metrics, accepts, rejects)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (bucket, session_id, tool_id, language_id, decision_source_id, from_metrics)
       DO UPDATE SET accepts = accepts + excluded.accepts, rejects = rejects + excluded.rejects`,
      [bucket, sid, toolId, langId, srcId, origin, acc, rej],
    );
  }

  private apiError(r: ApiErrorEvent | ApiRetriesExhaustedEvent, sid: number): boolean {
    const kind = r.kind === 'apiError' ? ErrorKind.ApiError : ErrorKind.RetriesExhausted;
    const attempt = r.kind === 'apiError' ? r.attempt : r.totalAttempts;
    const duration = r.kind === 'apiError' ? r.durationMs : r.totalRetryDurationMs;
    const n = this.sql.run(
      `INSERT OR IGNORE INTO api_errors (session_id, kind, seq, time_ms, prompt_id, model_id, status, attempt, error, duration_ms, request_id)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      [sid, kind, r.sequence ?? -1, r.timeMs, this.intern(r.promptId) || null, this.intern(r.modelNorm) || null, r.statusCode ?? null,
        attempt ?? null, r.error ?? null, duration ?? null, r.kind === 'apiError' ? (r.requestId ?? null) : null],
    );
    if (n === 0) return false;
    this.touchSession(sid, r, r.timeMs, {});
    this.bumpSession(sid, { errors: 1 });
    this.errorRollup(bucketOf(r.timeMs), kind, r.statusCode);
    return true;
  }

  private errorRollup(bucket: number, kind: ErrorKind, status: number | undefined): void {
    this.sql.run(
      `INSERT INTO error_rollup (bucket, kind, status, n) VALUES (?, ?, ?, 1) ON CONFLICT (bucket, kind, status) DO UPDATE SET n = n + 1`,
      [bucket, kind, status ?? NO_STATUS],
    );
  }

  private attrsJson(extra: unknown): string | null {
    if (!extra || (typeof extra === 'object' && Object.keys(extra).length === 0)) return null;
    const s = JSON.stringify(extra);
    return s.length > this.opts.maxAttrsJsonChars ? s.slice(0, this.opts.maxAttrsJsonChars) : s;
  }

  private generic(r: EventRecord, sid: number): boolean {
    const n = this.sql.run(
      `INSERT OR IGNORE INTO generic_events (session_id, name_id, seq, time_ms, prompt_id, service_id, attrs) VALUES (?, ?, ?, ?, ?, ?, ?)`,
      [sid, this.intern(r.name), r.sequence ?? -1, r.timeMs, this.intern(r.promptId) || null, this.intern(r.serviceName), this.attrsJson((r as GenericEvent).extra)],
    );
    if (n === 0) return false;
    if (sid && r.isClaudeCode) {
      this.touchSession(sid, r, r.timeMs, {});
      if (r.name === 'api_refusal') this.errorRollup(bucketOf(r.timeMs), ErrorKind.Refusal, undefined);
    }
    return true;
  }

  // ---- metrics ----

  private series(r: MetricPoint, sid: number): number {
    const hit = this.seriesCache.get(r.seriesKey);
    if (hit !== undefined) return hit;
    const type = typeof r.attrs.type === 'string' ? r.attrs.type : undefined;
    const attrs = this.attrsJson(seriesAttrs(r));
    const added = this.sql.run(
      'INSERT OR IGNORE INTO metric_series (key, name_id, session_id, model_id, type_id, attrs) VALUES (?, ?, ?, ?, ?, ?)',
      [r.seriesKey, this.intern(r.name), sid, this.intern(r.modelNorm), this.intern(type), attrs],
    );
    if (added) {
      noteSeriesIdentity(this.sql, sid, attrs);
      this.figures.metricIdentityChanged(sid);
    }
    const row = this.sql.get<{ id: number }>('SELECT id FROM metric_series WHERE key = ?', [r.seriesKey]);
    if (!row) throw new Error(`metric_series: could not intern series of ${r.name}`);
    if (this.seriesCache.size > 100_000) this.seriesCache.clear();
    this.seriesCache.set(r.seriesKey, row.id);
    return row.id;
  }

  private metric(r: MetricPoint): boolean {
    const sid = this.sessionOf(r);
    const seriesId = this.series(r, sid);
    let delta = 0;
    let updateState = false;
    if (r.temporality === 1) delta = r.value;
    else if (r.temporality === 2 && r.metricKind !== 'gauge') {
      const st = this.sql.get<{ start_ns: string; time_ns: string; last_value: number }>(
        'SELECT start_ns, time_ns, last_value FROM metric_series_state WHERE series_id = ?',
        [seriesId],
      );
      if (!st || st.start_ns !== r.startTimeUnixNano) {
        delta = r.value; // a new series start (first point, or the exporter restarted)
        updateState = true;
      } else if (BigInt(r.timeUnixNano) <= BigInt(st.time_ns)) {
        delta = 0; // an older point of the same series arriving late: already covered by the later value
      } else {
        delta = r.value < st.last_value ? r.value : r.value - st.last_value; // lower value = counter reset
        updateState = true;
      }
    }
    const n = this.sql.run(
      'INSERT OR IGNORE INTO metric_points (series_id, start_ns, time_ns, time_ms, value, delta, temporality) VALUES (?, ?, ?, ?, ?, ?, ?)',
      [seriesId, r.startTimeUnixNano, r.timeUnixNano, r.timeMs, r.value, delta, r.temporality],
    );
    if (n === 0) return false;
    if (updateState) {
      this.sql.run('INSERT OR REPLACE INTO metric_series_state (series_id, start_ns, time_ns, last_value) VALUES (?, ?, ?, ?)', [
        seriesId, r.startTimeUnixNano, r.timeUnixNano, r.value,
      ]);
    }
    const bucket = bucketOf(r.timeMs);
    rollupProductivityPoint(this.figures, bucket, sid, r, delta);
    if (!sid) return true;
    const act: ActInc = {};
    if (r.name === 'claude_code.cost.usage' || r.name === 'claude_code.token.usage') {
      const hasEvents = (this.apiEvents(sid) ?? 0) > 0;
      const u: Usage = { ...ZERO_USAGE };
      const inc: SessionInc = {};
      if (r.name === 'claude_code.cost.usage') {
        u.cost_usd = delta;
        inc.cost_usd_metrics = delta;
      } else {
        const col = typeof r.attrs.type === 'string' && Object.hasOwn(TOKEN_TYPE_COLUMN, r.attrs.type) ? TOKEN_TYPE_COLUMN[r.attrs.type] : undefined;
        if (col) {
          u[col] = delta;
          inc[sessionUsageColumn(col, Origin.Metrics)] = delta;
        }
      }
      const qs = typeof r.attrs.query_source === 'string' ? r.attrs.query_source : undefined;
      this.touchSession(sid, r, r.timeMs, act);
      this.usage(bucket, sid, this.intern(r.modelNorm), r, this.intern(qs), Origin.Metrics, u, !hasEvents);
      this.bumpSession(sid, inc);
      if (r.modelNorm) this.sessionModel(sid, this.intern(r.modelNorm));
      return true;
    }
    if (r.name === 'claude_code.lines_of_code.count') {
      this.firstLinesMetric(sid);
      const t = r.attrs.type;
      if (t === 'added') act.lines_added_metrics = delta;
      if (t === 'removed') act.lines_removed_metrics = delta;
      this.touchSession(sid, r, r.timeMs, act);
      this.bumpSession(sid, { lines_added_metrics: act.lines_added_metrics ?? 0, lines_removed_metrics: act.lines_removed_metrics ?? 0 });
      this.sessions.set([sid], this.sessionCol.hasLinesMetric, 1);
      return true;
    }
    if (r.name === 'claude_code.code_edit_tool.decision') {
      // Carries language for every decision (tool_decision events do not): the source of acceptance by language.
      const a = r.attrs;
      const s = (k: string) => (typeof a[k] === 'string' ? (a[k] as string) : undefined);
      this.firstDecisionMetric(sid);
      this.touchSession(sid, r, r.timeMs, act);
      this.sessions.set([sid], this.sessionCol.hasEditDecisionMetric, 1);
      this.editDecision(bucket, sid, this.intern(s('tool_name')), this.intern(s('language')), this.intern(s('source')), Origin.Metrics,
        s('decision') === 'accept' ? delta : 0, s('decision') === 'reject' ? delta : 0);
      return true;
    }
    this.touchSession(sid, r, r.timeMs, act);
    return true;
  }

  // ---- spans ----

  private span(r: SpanRecord): boolean {
    const sid = this.sessionOf(r);
    const attrs = r.events.length ? { ...r.extra, '@events': r.events.map((e) => ({ name: e.name, timeMs: e.timeMs, attrs: e.attrs })) } : r.extra;
    const n = this.sql.run(
      `INSERT OR IGNORE INTO spans (session_id, trace_id, span_id, parent_span_id, name_id, type_id, start_ms, end_ms, status, status_message,
         model_id, request_id, tool_id, tool_use_id, path_id, decision_id, decision_source_id, success, attempt, ttft_ms, agent_id, attrs)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      [sid, r.traceId, r.spanId, r.parentSpanId ?? null, this.intern(r.name), this.intern(r.spanType) || null, r.startMs, r.endMs, r.statusCode,
        r.statusMessage ?? null, this.intern(r.modelNorm) || null, r.requestId ?? null, this.intern(r.toolName) || null, r.toolUseId ?? null,
        this.intern(r.filePath) || null, this.intern(r.decision) || null, this.intern(r.source) || null,
        r.success === undefined ? null : r.success ? 1 : 0, r.attempt ?? null, r.ttftMs ?? null, this.intern(r.agentId) || null,
        this.attrsJson(attrs)],
    );
    if (n === 0) return false;
    this.touchSession(sid, r, r.startMs, {});
    return true;
  }
}

/**
 * Who a metric series belongs to, kept beside its point attributes: `team.id` (OTEL_RESOURCE_ATTRIBUTES)
 * and `user.email` (OAuth logins) are identity keys that normalize.ts does not repeat in `attrs`, and the
 * productivity query groups by them. A series is one (resource, attributes) combination, so this is one
 * short string per series, bounded like other attribute text.
 */
export const SERIES_IDENTITY_KEYS = ['team.id', 'user.email'] as const;
const MAX_IDENTITY_CHARS = 200;
function seriesAttrs(r: MetricPoint): MetricPoint['attrs'] {
  const add: Record<string, string> = {};
  const pick = (k: (typeof SERIES_IDENTITY_KEYS)[number], v: string | undefined) => {
    if (v) add[k] = v.length > MAX_IDENTITY_CHARS ? v.slice(0, MAX_IDENTITY_CHARS) : v;
  };
  pick('team.id', r.teamId);
  pick('user.email', r.userEmail);
  return Object.keys(add).length ? { ...r.attrs, ...add } : r.attrs;
}

function usageOfRow(r: StoredRequest): TranscriptUsage {
  return {
    input: r.input_tokens,
    output: r.output_tokens,
    cacheRead: r.cache_read_tokens,
    cacheCreation: r.cache_creation_tokens,
    cacheCreation5m: r.cache_creation_5m_tokens ?? undefined,
    cacheCreation1h: r.cache_creation_1h_tokens ?? undefined,
    webSearchRequests: r.web_search_requests,
    webFetchRequests: 0,
  };
}
