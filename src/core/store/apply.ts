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
import { estimateCost } from '../pricing/estimate';
import type { PriceOverrides } from '../pricing/priceTable';
import { bucketOf } from '../time/range';
import { BatchRows } from './batchRows';
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

const SESSION_INCS = [
  'api_events', 'est_requests', 'unpriced_requests',
  'cost_ev', 'in_ev', 'out_ev', 'cr_ev', 'cc_ev',
  'cost_m', 'in_m', 'out_m', 'cr_m', 'cc_m',
  'prompts', 'accepts', 'rejects', 'la_ev', 'lr_ev', 'la_m', 'lr_m', 'errors',
] as const;
type SessionInc = Partial<Record<(typeof SESSION_INCS)[number], number>>;

const ACT_COLS = ['prompts', 'accepts', 'rejects', 'la_ev', 'lr_ev', 'la_m', 'lr_m'] as const;
type ActInc = Partial<Record<(typeof ACT_COLS)[number], number>>;

const USAGE_COLS = 'cost, est_cost, requests, est_requests, unpriced, input, output, cache_read, cache_creation';
const USAGE_SET = USAGE_COLS.split(', ').map((c) => `${c} = ${c} + excluded.${c}`).join(', ');
const sums = (cols: readonly string[]) => cols.map((name) => ({ name, op: 'sum' as const }));

// Hot running-total tables, accumulated per batch (batchRows.ts); the merge ops are the former
// per-record ON CONFLICT clauses. Session columns: the touch part first (5), then the counters.
const SESSION_SPEC = {
  table: 'sessions',
  keys: ['id'],
  cols: [
    { name: 'first_ms', op: 'min' as const }, { name: 'last_ms', op: 'max' as const },
    { name: 'repo_id', op: 'ifZero' as const }, { name: 'user_id', op: 'ifZero' as const }, { name: 'version_id', op: 'ifZero' as const },
    ...sums(SESSION_INCS), { name: 'loc_metric', op: 'max' as const },
  ],
};
const SESSION_INC_INDEX = SESSION_INCS.map((_c, i) => 5 + i);
const SESSION_API_EVENTS = 5; // index of api_events (first of SESSION_INCS)
const SESSION_LOC_METRIC = 5 + SESSION_INCS.length;
const ACTIVITY_SPEC = { table: 'activity_rollup', keys: ['bucket', 'session_id'], cols: sums(['records', ...ACT_COLS]) };
const USAGE_SPEC = {
  table: 'usage_rollup',
  keys: ['bucket', 'session_id', 'model_id', 'repo_id', 'user_id', 'qs_id', 'src'],
  cols: sums(USAGE_COLS.split(', ')),
};
const EFF_SPEC = { table: 'eff_usage', keys: ['bucket', 'model_id'], cols: sums(USAGE_COLS.split(', ')) };
// Retract a session's metric usage from eff_usage when its first api_request arrives.
const RETRACT_SQL = `INSERT INTO eff_usage (bucket, model_id, ${USAGE_COLS})
  SELECT * FROM (SELECT bucket, model_id, -SUM(cost), -SUM(est_cost), -SUM(requests), -SUM(est_requests), -SUM(unpriced),
      -SUM(input), -SUM(output), -SUM(cache_read), -SUM(cache_creation)
    FROM usage_rollup WHERE session_id = ? AND src = 1 GROUP BY bucket, model_id) WHERE true
  ON CONFLICT (bucket, model_id) DO UPDATE SET ${USAGE_SET}`;

interface Usage {
  cost: number;
  estCost: number;
  requests: number;
  estRequests: number;
  unpriced: number;
  input: number;
  output: number;
  cacheRead: number;
  cacheCreation: number;
}
interface ToolRowState {
  id: number;
  decision_id: number | null;
  res_ms: number | null;
  path_id: number | null;
  decision: string | null;
}

const ZERO_USAGE: Usage = { cost: 0, estCost: 0, requests: 0, estRequests: 0, unpriced: 0, input: 0, output: 0, cacheRead: 0, cacheCreation: 0 };

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
  /** (session, model) pairs already inserted into session_models in this batch. */
  private readonly sessionModels = new Set<string>();
  lastEventMs = 0;

  constructor(
    private readonly sql: StatementCache,
    private readonly opts: ApplyOptions = DEFAULT_APPLY_OPTIONS,
  ) {
    this.sessions = new BatchRows(sql, SESSION_SPEC);
    this.activity = new BatchRows(sql, ACTIVITY_SPEC);
    this.usageRows = new BatchRows(sql, USAGE_SPEC);
    this.effRows = new BatchRows(sql, EFF_SPEC);
  }

  /** Writes the batch's accumulated running totals; the caller runs this before COMMIT. */
  flush(): void {
    this.sessions.flush();
    this.activity.flush();
    this.usageRows.flush();
    this.effRows.flush();
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
    this.sessionModels.clear();
  }

  private sessionModel(sid: number, modelId: number): void {
    const k = `${sid}|${modelId}`;
    if (this.sessionModels.has(k)) return;
    this.sql.run('INSERT OR IGNORE INTO session_models (session_id, model_id) VALUES (?, ?)', [sid, modelId]);
    this.sessionModels.add(k);
  }

  private apiEvents(sid: number): number | undefined {
    return this.sessions.get([sid], SESSION_API_EVENTS);
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

  private touchSession(sid: number, r: Identity, timeMs: number, act: ActInc): void {
    if (!sid) return;
    this.sessions.upsert([sid], [timeMs, timeMs, this.intern(r.repo), this.intern(r.userId), this.intern(r.serviceVersion)]);
    this.activity.upsert([bucketOf(timeMs), sid], [1, ...ACT_COLS.map((c) => act[c] ?? 0)]);
  }

  private bumpSession(sid: number, inc: SessionInc): void {
    if (!sid) return;
    this.sessions.add([sid], SESSION_INCS.map((c, i) => [SESSION_INC_INDEX[i], inc[c] ?? 0] as const));
  }

  private usage(bucket: number, sid: number, modelId: number, r: Identity, qsId: number, src: 0 | 1, u: Usage, effective: boolean): void {
    const vals = [u.cost, u.estCost, u.requests, u.estRequests, u.unpriced, u.input, u.output, u.cacheRead, u.cacheCreation];
    this.usageRows.upsert([bucket, sid, modelId, this.intern(r.repo), this.intern(r.userId), qsId, src], vals);
    if (effective) this.effRows.upsert([bucket, modelId], vals);
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
    let cost = r.costUsd;
    let estimated = 0;
    let unpriced = 0;
    if (cost === undefined || !Number.isFinite(cost)) {
      estimated = 1;
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
        cost = 0;
      }
    }
    const modelId = this.intern(r.modelNorm);
    const qsId = this.intern(r.querySource);
    const n = this.sql.run(
      `INSERT OR IGNORE INTO api_requests (session_id, dkey, time_ms, prompt_id, model_id, cost, estimated, unpriced, input, output,
        cache_read, cache_creation, cc5m, cc1h, duration_ms, ttft_ms, qs_id, agent_id, trace_id)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      [sid, dkey, r.timeMs, this.intern(r.promptId) || null, modelId, cost, estimated, unpriced, r.inputTokens, r.outputTokens,
        r.cacheReadTokens, r.cacheCreationTokens, r.cacheCreation5mTokens ?? null, r.cacheCreation1hTokens ?? null,
        r.durationMs ?? null, r.ttftMs ?? null, qsId, this.intern(r.agentId) || null, r.traceId ?? null],
    );
    if (n === 0) return false;
    this.touchSession(sid, r, r.timeMs, {});
    if (this.apiEvents(sid) === 0) {
      // RETRACT_SQL reads usage_rollup and writes eff_usage in SQL: pending rows go first.
      this.usageRows.flush();
      this.effRows.flush();
      this.sql.run(RETRACT_SQL, [sid]);
    }
    const u: Usage = {
      cost,
      estCost: estimated ? cost : 0,
      requests: 1,
      estRequests: estimated,
      unpriced,
      input: r.inputTokens,
      output: r.outputTokens,
      cacheRead: r.cacheReadTokens,
      cacheCreation: r.cacheCreationTokens,
    };
    this.usage(bucketOf(r.timeMs), sid, modelId, r, qsId, 0, u, true);
    this.bumpSession(sid, {
      api_events: 1, est_requests: estimated, unpriced_requests: unpriced, cost_ev: cost,
      in_ev: r.inputTokens, out_ev: r.outputTokens, cr_ev: r.cacheReadTokens, cc_ev: r.cacheCreationTokens,
    });
    this.sessionModel(sid, modelId);
    return true;
  }

  private prompt(r: UserPromptEvent, sid: number): boolean {
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
      `SELECT t.id, t.decision_id, t.res_ms, t.path_id, d.value AS decision FROM tool_calls t LEFT JOIN dict d ON d.id = t.decision_id
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
        `INSERT INTO tool_calls (session_id, tool_use_id, time_ms, prompt_id, tool_id, mcp_server_id, path_id, lang_id, command, decision_id, dec_source_id, dec_ms)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        [sid, key, r.timeMs, this.intern(r.promptId) || null, toolId, this.intern(r.mcpServer) || null, pathId || null, langId || null,
          r.command ?? null, decId, srcId || null, r.timeMs],
      );
    } else {
      this.sql.run(
        `UPDATE tool_calls SET decision_id = ?, dec_source_id = ?, dec_ms = ?, time_ms = min(time_ms, ?),
           path_id = coalesce(path_id, ?), lang_id = coalesce(lang_id, ?), command = coalesce(command, ?), mcp_server_id = coalesce(mcp_server_id, ?)
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
      `INSERT INTO decision_rollup (bucket, tool_id, lang_id, source_id, accepts, rejects) VALUES (?, ?, ?, ?, ?, ?)
       ON CONFLICT (bucket, tool_id, lang_id, source_id) DO UPDATE SET accepts = accepts + excluded.accepts, rejects = rejects + excluded.rejects`,
      [bucket, toolId, langId, srcId, acc, rej],
    );
    // tool_decision events carry no file path (only tool_result does): the file's accept/reject is
    // counted when both are known, whichever arrives second.
    const filePath = pathId || row?.path_id || 0;
    if (filePath && EDIT_TOOLS.has(r.toolName)) this.file(bucket, filePath, sid, r.timeMs, { accepts: acc, rejects: rej });
    return true;
  }

  private result(r: ToolResultEvent, sid: number): boolean {
    const { key, row } = this.toolRow(sid, r, 'r');
    if (row && row.res_ms !== null) return false;
    const tool = displayToolName(r);
    const toolId = this.intern(tool);
    const pathId = this.intern(r.filePath);
    const langId = this.intern(r.language);
    const vals = [r.success ? 1 : 0, r.durationMs ?? null, r.error ?? null, this.intern(r.errorType) || null, r.inputSizeBytes ?? null,
      r.resultSizeBytes ?? null, r.linesAdded ?? null, r.linesRemoved ?? null, r.timeMs];
    if (!row) {
      this.sql.run(
        `INSERT INTO tool_calls (session_id, tool_use_id, time_ms, prompt_id, tool_id, mcp_server_id, path_id, lang_id, command,
           success, duration_ms, error, error_type_id, in_bytes, out_bytes, lines_added, lines_removed, res_ms)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        [sid, key, r.timeMs, this.intern(r.promptId) || null, toolId, this.intern(r.mcpServer) || null, pathId || null, langId || null, r.command ?? null, ...vals],
      );
    } else {
      this.sql.run(
        `UPDATE tool_calls SET success = ?, duration_ms = ?, error = ?, error_type_id = ?, in_bytes = ?, out_bytes = ?, lines_added = ?,
           lines_removed = ?, res_ms = ?, path_id = coalesce(path_id, ?), lang_id = coalesce(lang_id, ?), command = coalesce(command, ?),
           mcp_server_id = coalesce(mcp_server_id, ?)
         WHERE id = ?`,
        [...vals, pathId || null, langId || null, r.command ?? null, this.intern(r.mcpServer) || null, row.id],
      );
    }
    const bucket = bucketOf(r.timeMs);
    const la = r.linesAdded ?? 0;
    const lr = r.linesRemoved ?? 0;
    this.touchSession(sid, r, r.timeMs, { la_ev: la, lr_ev: lr });
    this.bumpSession(sid, { la_ev: la, lr_ev: lr });
    this.sql.run(
      `INSERT INTO tool_rollup (bucket, tool_id, mcp_server_id, calls, failures) VALUES (?, ?, ?, 1, ?)
       ON CONFLICT (bucket, tool_id) DO UPDATE SET calls = calls + 1, failures = failures + excluded.failures`,
      [bucket, toolId, this.intern(r.mcpServer), r.success ? 0 : 1],
    );
    if (r.durationMs !== undefined && Number.isFinite(r.durationMs)) {
      this.sql.run(
        `INSERT INTO tool_hist (bucket, tool_id, hb, n) VALUES (?, ?, ?, 1) ON CONFLICT (bucket, tool_id, hb) DO UPDATE SET n = n + 1`,
        [bucket, toolId, histBucket(r.durationMs)],
      );
    }
    if (pathId && EDIT_TOOLS.has(r.toolName)) {
      const late = row && row.decision_id !== null && !row.path_id ? row.decision : null; // decision seen before its path
      this.file(bucket, pathId, sid, r.timeMs, {
        edits: 1, lines_added: la, lines_removed: lr, accepts: late === 'accept' ? 1 : 0, rejects: late === 'reject' ? 1 : 0,
      });
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

  private apiError(r: ApiErrorEvent | ApiRetriesExhaustedEvent, sid: number): boolean {
    const kind = r.kind === 'apiError' ? 0 : 1;
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

  private errorRollup(bucket: number, kind: number, status: number | undefined): void {
    this.sql.run(
      `INSERT INTO error_rollup (bucket, kind, status, n) VALUES (?, ?, ?, 1) ON CONFLICT (bucket, kind, status) DO UPDATE SET n = n + 1`,
      [bucket, kind, status ?? -1],
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
      if (r.name === 'api_refusal') this.errorRollup(bucketOf(r.timeMs), 2, undefined);
    }
    return true;
  }

  // ---- metrics ----

  private series(r: MetricPoint, sid: number): number {
    const hit = this.seriesCache.get(r.seriesKey);
    if (hit !== undefined) return hit;
    const type = typeof r.attrs.type === 'string' ? r.attrs.type : undefined;
    this.sql.run(
      'INSERT OR IGNORE INTO metric_series (key, name_id, session_id, model_id, type_id, attrs) VALUES (?, ?, ?, ?, ?, ?)',
      [r.seriesKey, this.intern(r.name), sid, this.intern(r.modelNorm), this.intern(type), this.attrsJson(r.attrs)],
    );
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
    if (!sid) return true;
    const bucket = bucketOf(r.timeMs);
    const act: ActInc = {};
    if (r.name === 'claude_code.cost.usage' || r.name === 'claude_code.token.usage') {
      const hasEvents = (this.apiEvents(sid) ?? 0) > 0;
      const u: Usage = { ...ZERO_USAGE };
      const inc: SessionInc = {};
      if (r.name === 'claude_code.cost.usage') {
        u.cost = delta;
        inc.cost_m = delta;
      } else {
        const col = tokenColumn(r.attrs.type);
        if (col) {
          u[col] = delta;
          inc[({ input: 'in_m', output: 'out_m', cacheRead: 'cr_m', cacheCreation: 'cc_m' } as const)[col]] = delta;
        }
      }
      const qs = typeof r.attrs.query_source === 'string' ? r.attrs.query_source : undefined;
      this.touchSession(sid, r, r.timeMs, act);
      this.usage(bucket, sid, this.intern(r.modelNorm), r, this.intern(qs), 1, u, !hasEvents);
      this.bumpSession(sid, inc);
      if (r.modelNorm) this.sessionModel(sid, this.intern(r.modelNorm));
      return true;
    }
    if (r.name === 'claude_code.lines_of_code.count') {
      const t = r.attrs.type;
      if (t === 'added') act.la_m = delta;
      if (t === 'removed') act.lr_m = delta;
      this.touchSession(sid, r, r.timeMs, act);
      this.bumpSession(sid, { la_m: act.la_m ?? 0, lr_m: act.lr_m ?? 0 });
      this.sessions.set([sid], SESSION_LOC_METRIC, 1);
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
      `INSERT OR IGNORE INTO spans (session_id, trace_id, span_id, parent_span_id, name_id, type_id, start_ms, end_ms, status, status_msg, model_id,
         request_id, tool_id, tool_use_id, path_id, decision_id, source_id, success, attempt, ttft_ms, agent_id, attrs)
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

function tokenColumn(type: unknown): 'input' | 'output' | 'cacheRead' | 'cacheCreation' | undefined {
  switch (type) {
    case 'input':
      return 'input';
    case 'output':
      return 'output';
    case 'cacheRead':
    case 'cache_read':
      return 'cacheRead';
    case 'cacheCreation':
    case 'cache_creation':
      return 'cacheCreation';
    default:
      return undefined;
  }
}
