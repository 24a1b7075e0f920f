// sessionTimeline(sessionId | 'current'): prompts -> API requests -> tool decisions/results -> errors,
// with a span waterfall per prompt when traces were sent. Reads the raw rows of one session (by
// index), never scans a table.
import type {
  QueryMethods, SessionTimelineDto, TimelineErrorDto, TimelinePromptDto, TimelineRequestDto, TimelineToolDto, WaterfallSpanDto,
} from '../../protocol/dto';
import { SESSION_TITLE_QUERY_SOURCE } from '../../protocol/dto';
import { toLocalIso } from '../time/range';
import { ErrorKind } from '../store/columns';
import type { QueryContext } from './common';
import { SESSION_COLUMNS, SESSION_FROM, relativePath, sessionFolder, sessionRowDto, type SessionDbRow } from './sessionRow';

export const TIMELINE_LIMITS = {
  // A runaway session (days of agent loops) would otherwise make one reply megabytes large.
  maxRows: 20_000,
} as const;

interface PromptRow { prompt: string | null; time_ms: number; length: number | null; text: string | null; trace_id: string | null }
interface RequestRow {
  dedup_key: string; prompt: string | null; time_ms: number; model: string; cost_usd: number; estimated: number; input_tokens: number;
  output_tokens: number; cache_read_tokens: number; cache_creation_tokens: number; duration_ms: number | null; ttft_ms: number | null; qs: string | null; trace_id: string | null;
}
interface ToolRow {
  tool_use_id: string; prompt: string | null; time_ms: number; tool: string; path: string | null; command: string | null;
  decision: string | null; source: string | null; success: number | null; duration_ms: number | null; error: string | null;
  lines_added: number | null; lines_removed: number | null;
}
interface ErrorRow { prompt: string | null; time_ms: number; kind: number; model: string | null; status: number | null; attempt: number | null; error: string | null }
interface SpanRow {
  trace_id: string; span_id: string; parent_span_id: string | null; name: string; type: string | null; start_ms: number; end_ms: number;
  status: number; model: string | null; request_id: string | null; tool: string | null; attempt: number | null;
}

export function sessionTimelineQuery(ctx: QueryContext, p: QueryMethods['sessionTimeline']['params']): SessionTimelineDto {
  const { sql } = ctx;
  const lim = TIMELINE_LIMITS.maxRows;
  const head =
    p.sessionId === 'current'
      ? sql.get<SessionDbRow>(`SELECT ${SESSION_COLUMNS} FROM ${SESSION_FROM} ORDER BY s.last_ms DESC LIMIT 1`)
      : sql.get<SessionDbRow>(`SELECT ${SESSION_COLUMNS} FROM ${SESSION_FROM} WHERE d.value = ?`, [p.sessionId]);
  if (!head) return { sessionId: p.sessionId, found: false, session: null, prompts: [] };
  const sid = head.id;
  const prompts = sql.all<PromptRow>(
    `SELECT pd.value AS prompt, p.time_ms, p.length, p.text, p.trace_id FROM prompts p LEFT JOIN dict pd ON pd.id = p.prompt_id
     WHERE p.session_id = ? ORDER BY p.time_ms LIMIT ${lim}`, [sid]);
  const requests = sql.all<RequestRow>(
    `SELECT r.dedup_key, pd.value AS prompt, r.time_ms, md.value AS model, r.cost_usd, r.estimated, r.input_tokens, r.output_tokens,
       r.cache_read_tokens, r.cache_creation_tokens, r.duration_ms, r.ttft_ms, qd.value AS qs, r.trace_id
     FROM api_requests r JOIN dict md ON md.id = r.model_id LEFT JOIN dict pd ON pd.id = r.prompt_id LEFT JOIN dict qd ON qd.id = r.query_source_id
     WHERE r.session_id = ? ORDER BY r.time_ms LIMIT ${lim}`, [sid]);
  const tools = sql.all<ToolRow>(
    `SELECT t.tool_use_id, pd.value AS prompt, t.time_ms, td.value AS tool, pa.value AS path, t.command, dd.value AS decision, sd.value AS source,
       t.success, t.duration_ms, t.error, t.lines_added, t.lines_removed
     FROM tool_calls t JOIN dict td ON td.id = t.tool_id LEFT JOIN dict pd ON pd.id = t.prompt_id LEFT JOIN dict pa ON pa.id = t.path_id
       LEFT JOIN dict dd ON dd.id = t.decision_id LEFT JOIN dict sd ON sd.id = t.decision_source_id
     WHERE t.session_id = ? ORDER BY t.time_ms LIMIT ${lim}`, [sid]);
  const errors = sql.all<ErrorRow>(
    `SELECT pd.value AS prompt, e.time_ms, e.kind, md.value AS model, e.status, e.attempt, e.error
     FROM api_errors e LEFT JOIN dict pd ON pd.id = e.prompt_id LEFT JOIN dict md ON md.id = e.model_id
     WHERE e.session_id = ? ORDER BY e.time_ms LIMIT ${lim}`, [sid]);
  const spans = sql.all<SpanRow>(
    `SELECT sp.trace_id, sp.span_id, sp.parent_span_id, nd.value AS name, ty.value AS type, sp.start_ms, sp.end_ms, sp.status,
       md.value AS model, sp.request_id, td.value AS tool, sp.attempt
     FROM spans sp JOIN dict nd ON nd.id = sp.name_id LEFT JOIN dict ty ON ty.id = sp.type_id LEFT JOIN dict md ON md.id = sp.model_id
       LEFT JOIN dict td ON td.id = sp.tool_id
     WHERE sp.session_id = ? ORDER BY sp.start_ms LIMIT ${lim}`, [sid]);

  const attemptsByRequest = new Map<string, number>();
  for (const s of spans) if (s.request_id && s.attempt != null) attemptsByRequest.set(s.request_id, s.attempt);

  // Group by prompt.id; records without one (e.g. the title request) get a group of their own.
  const groups = new Map<string, TimelinePromptDto & { traceId: string | null; startMs: number }>();
  const group = (key: string | null, timeMs: number) => {
    const k = key ?? '(none)';
    let g = groups.get(k);
    if (!g) {
      g = {
        kind: 'other', promptId: key, time: toLocalIso(timeMs), promptLength: null, promptText: null, costUsd: 0, requests: [], tools: [], errors: [],
        waterfall: [], blockedOnUserMs: null, toolExecutionMs: null, modelMs: null, traceId: null, startMs: timeMs,
      };
      groups.set(k, g);
    }
    if (timeMs < g.startMs) {
      g.startMs = timeMs;
      g.time = toLocalIso(timeMs);
    }
    return g;
  };
  const withPrompt = new Set<string>();
  for (const pr of prompts) {
    const g = group(pr.prompt, pr.time_ms);
    withPrompt.add(pr.prompt ?? '(none)');
    g.promptLength = pr.length;
    g.promptText = pr.text;
    g.traceId ??= pr.trace_id;
  }
  for (const r of requests) {
    const g = group(r.prompt, r.time_ms);
    const requestId = r.dedup_key.startsWith('#') ? null : r.dedup_key;
    const dto: TimelineRequestDto = {
      requestId, time: toLocalIso(r.time_ms), model: r.model, costUsd: r.cost_usd, estimated: r.estimated === 1,
      tokens: { input: r.input_tokens, output: r.output_tokens, cacheRead: r.cache_read_tokens, cacheCreation: r.cache_creation_tokens },
      durationMs: r.duration_ms, ttftMs: r.ttft_ms, querySource: r.qs,
      attempts: requestId ? (attemptsByRequest.get(requestId) ?? null) : null,
    };
    g.requests.push(dto);
    g.costUsd += r.cost_usd;
    g.traceId ??= r.trace_id;
  }
  const folder = sessionFolder(head.cwd, tools.flatMap((t) => (t.path ? [t.path] : [])));
  for (const t of tools) {
    const dto: TimelineToolDto = {
      toolUseId: t.tool_use_id.startsWith('#') ? null : t.tool_use_id, time: toLocalIso(t.time_ms), tool: t.tool, filePath: t.path,
      displayPath: t.path === null ? null : relativePath(t.path, folder),
      command: t.command, decision: t.decision, decisionSource: t.source, success: t.success === null ? null : t.success === 1,
      durationMs: t.duration_ms, error: t.error, linesAdded: t.lines_added, linesRemoved: t.lines_removed,
    };
    group(t.prompt, t.time_ms).tools.push(dto);
  }
  for (const e of errors) {
    const dto: TimelineErrorDto = {
      time: toLocalIso(e.time_ms), kind: e.kind === ErrorKind.RetriesExhausted ? 'retries_exhausted' : 'api_error', model: e.model, statusCode: e.status,
      attempt: e.attempt, message: e.error,
    };
    group(e.prompt, e.time_ms).errors.push(dto);
  }
  const spansByTrace = new Map<string, SpanRow[]>();
  for (const s of spans) {
    let list = spansByTrace.get(s.trace_id);
    if (!list) spansByTrace.set(s.trace_id, (list = []));
    list.push(s);
  }
  for (const g of groups.values()) if (g.traceId && spansByTrace.has(g.traceId)) waterfall(g, spansByTrace.get(g.traceId)!);
  // A user's prompt has its user_prompt row; Claude Code's title request has none and only that query source.
  for (const [k, g] of groups) {
    const titleOnly = g.requests.length > 0 && g.tools.length === 0 && g.requests.every((r) => r.querySource === SESSION_TITLE_QUERY_SOURCE);
    if (!withPrompt.has(k) && titleOnly) g.kind = 'sessionTitle';
    else if (withPrompt.has(k) || g.promptId !== null) g.kind = 'prompt';
  }

  const out = [...groups.values()].sort((a, b) => a.startMs - b.startMs).map(({ traceId: _t, startMs: _s, ...rest }) => rest);
  return { sessionId: head.sid, found: true, session: sessionRowDto(head), prompts: out };
}

/** Builds the waterfall and the blocked / tool / model split. Subagent spans nest under tool.execution. */
function waterfall(g: TimelinePromptDto, spans: SpanRow[]): void {
  const byId = new Map(spans.map((s) => [s.span_id, s]));
  const depthOf = (s: SpanRow): number => {
    let d = 0;
    let cur = s;
    const seen = new Set<string>();
    while (cur.parent_span_id && byId.has(cur.parent_span_id) && !seen.has(cur.span_id)) {
      seen.add(cur.span_id);
      cur = byId.get(cur.parent_span_id)!;
      d++;
    }
    return d;
  };
  // Time inside a tool.execution (e.g. a subagent's own model calls) belongs to that tool, not to
  // the model or the user: only count spans with no tool.execution ancestor.
  const underExecution = (s: SpanRow): boolean => {
    let cur = s.parent_span_id ? byId.get(s.parent_span_id) : undefined;
    const seen = new Set<string>();
    while (cur && !seen.has(cur.span_id)) {
      if (cur.type === 'tool.execution') return true;
      seen.add(cur.span_id);
      cur = cur.parent_span_id ? byId.get(cur.parent_span_id) : undefined;
    }
    return false;
  };
  let blocked = 0;
  let exec = 0;
  let model = 0;
  for (const s of spans) {
    const type = s.type ?? 'other';
    const dur = s.end_ms - s.start_ms;
    if (!underExecution(s)) {
      if (type === 'tool.blocked_on_user') blocked += dur;
      else if (type === 'tool.execution') exec += dur;
      else if (type === 'llm_request') model += dur;
    }
    const parentTool = s.parent_span_id ? byId.get(s.parent_span_id)?.tool : undefined;
    const label =
      type === 'tool.execution' ? (s.tool ?? parentTool ?? s.name) : type === 'llm_request' ? (s.model ?? s.name) : type === 'tool' || type === 'tool.execution' ? (s.tool ?? s.name) : type === 'tool.blocked_on_user' ? 'waiting for permission' : s.name;
    const w: WaterfallSpanDto = {
      spanId: s.span_id, parentSpanId: s.parent_span_id, name: s.name,
      type: ['interaction', 'llm_request', 'tool', 'tool.blocked_on_user', 'tool.execution'].includes(type) ? type : 'other',
      startMs: s.start_ms, endMs: s.end_ms, label, error: s.status === 2, depth: depthOf(s),
    };
    g.waterfall.push(w);
  }
  g.blockedOnUserMs = blocked;
  g.toolExecutionMs = exec;
  g.modelMs = model;
}
