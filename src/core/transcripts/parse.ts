// One transcript line (JSON text from lineSplitter.ts) -> TranscriptItems, or a skip with its reason.
// The format is Claude Code's internal one and changes between versions: unknown record types, unknown
// fields and missing optional fields are tolerated (an unknown type gives [] or a `session` item);
// only lines that cannot be read or would give wrong numbers are skips (SkipReason).
//
// What is read (see /work/shared/notes/claude-code-sources.md and the fixture transcripts):
// - `assistant` lines: one per content block of an API response (several lines share message.id and
//   requestId; early streaming snapshots may carry a placeholder output_tokens). Each gives a `request`
//   item with that line's usage (the store keeps the largest, mergeUsage) and a `toolUse` per tool_use block.
//   Model `<synthetic>` and `isApiErrorMessage` lines are not API responses: skipped.
// - `user` lines: a genuine prompt (string or text/image blocks; not tool results, not meta/command
//   output, not a subagent's task from its parent) gives a `prompt`; tool_result blocks give `toolResult`.
// - `custom-title` / `ai-title` / `summary`: session title (only with storePromptText: prompt-derived text).
// - Every line that carries session fields (cwd, gitBranch, version, entrypoint) gives a `session` item.
import { languageOf, lineDeltaOf } from '../otlp/lineCounts';
import { normalizeModel } from '../otlp/records';
import {
  DEFAULT_TRANSCRIPT_LIMITS,
  type ParseContext,
  type ParseSkip,
  type SessionFields,
  type TranscriptItem,
  type TranscriptRequest,
  type TranscriptSession,
  type TranscriptToolUse,
  type TranscriptUsage,
} from './transcriptRecords';

type Obj = Record<string, unknown>;

/** Bounds on strings copied from a line (ids, names, paths): a malformed line cannot bloat the store. */
const MAX_ID_CHARS = 256;
const MAX_PATH_CHARS = 4096;
const MAX_TITLE_CHARS = 500;
const MAX_DETAIL_CHARS = 120;
const DEFAULT_MAX_PROMPT_CHARS = 10_000;

const isObj = (v: unknown): v is Obj => v !== null && typeof v === 'object' && !Array.isArray(v);

function s(v: unknown, max = MAX_ID_CHARS): string | undefined {
  if (typeof v !== 'string' || v === '') return undefined;
  return v.length > max ? v.slice(0, max) : v;
}

/** Thrown inside parseObject for whole-line skips; mapped to ParseSkip in parseTranscriptLine. */
class OutOfRange extends Error {
  constructor(readonly field: string) {
    super(field);
  }
}
class Skip extends Error {
  constructor(readonly reason: 'synthetic' | 'api_error_message') {
    super(reason);
  }
}

/** A count: absent/null -> undefined; a non-negative safe integer below max (number or digit string); else throws. */
function count(o: Obj | undefined, key: string, path: string, max: number): number | undefined {
  if (!o) return undefined;
  const v = o[key];
  if (v === undefined || v === null) return undefined;
  const n = typeof v === 'number' ? v : typeof v === 'string' && /^\d{1,16}$/.test(v) ? Number(v) : NaN;
  if (!Number.isSafeInteger(n) || n < 0 || n >= max) throw new OutOfRange(`${path}${key}`);
  return n;
}

/** Times outside 2020..2100 are damage, not history: the line is kept and timed like a line without one. */
const MIN_TIME_MS = Date.UTC(2020, 0, 1);
const MAX_TIME_MS = Date.UTC(2100, 0, 1);

function timeOf(o: Obj): number | undefined {
  const t = o.timestamp;
  const ms = typeof t === 'string' ? Date.parse(t) : typeof t === 'number' ? t : NaN;
  return Number.isFinite(ms) && ms >= MIN_TIME_MS && ms < MAX_TIME_MS ? ms : undefined;
}

function sessionFieldsOf(o: Obj): SessionFields {
  const f: SessionFields = {};
  const cwd = s(o.cwd, MAX_PATH_CHARS);
  if (cwd) f.cwd = cwd;
  const gitBranch = s(o.gitBranch);
  if (gitBranch) f.gitBranch = gitBranch;
  const version = s(o.version);
  if (version) f.version = version;
  const entrypoint = s(o.entrypoint);
  if (entrypoint) f.entrypoint = entrypoint;
  return f;
}

/** OTLP api_request says `normal` where the transcript says `standard` (same run, same request). */
export function normalizeSpeed(speed: string | undefined): string | undefined {
  if (speed === undefined) return undefined;
  return speed === 'standard' ? 'normal' : speed;
}

/** Same rule as src/core/otlp/normalize.ts boundCommand (kept private there; 4 lines, no protobuf import). */
function boundCommand(cmd: string | undefined, ctx: ParseContext): string | undefined {
  if (cmd === undefined) return undefined;
  if (!ctx.storeCommands) return cmd.trim().split(/\s+/)[0] || undefined;
  return cmd.length > ctx.maxCommandChars ? `${cmd.slice(0, ctx.maxCommandChars)}…` : cmd;
}

function usageOf(u: Obj, max: number): TranscriptUsage {
  const cc = isObj(u.cache_creation) ? u.cache_creation : undefined;
  const stu = isObj(u.server_tool_use) ? u.server_tool_use : undefined;
  const usage: TranscriptUsage = {
    input: count(u, 'input_tokens', 'usage.', max) ?? 0,
    output: count(u, 'output_tokens', 'usage.', max) ?? 0,
    cacheRead: count(u, 'cache_read_input_tokens', 'usage.', max) ?? 0,
    cacheCreation: count(u, 'cache_creation_input_tokens', 'usage.', max) ?? 0,
    webSearchRequests: count(stu, 'web_search_requests', 'usage.server_tool_use.', max) ?? 0,
    webFetchRequests: count(stu, 'web_fetch_requests', 'usage.server_tool_use.', max) ?? 0,
  };
  const c5 = count(cc, 'ephemeral_5m_input_tokens', 'usage.cache_creation.', max);
  const c1 = count(cc, 'ephemeral_1h_input_tokens', 'usage.cache_creation.', max);
  if (c5 !== undefined) usage.cacheCreation5m = c5;
  if (c1 !== undefined) usage.cacheCreation1h = c1;
  return usage;
}

function mcpNames(toolName: string): { mcpServer?: string; mcpTool?: string } {
  if (!toolName.startsWith('mcp__')) return {};
  // Same split as normalize.ts toolDetails: mcp__<server>__<tool, may itself contain __>.
  const [, server, ...rest] = toolName.split('__');
  return { mcpServer: server || undefined, mcpTool: rest.join('__') || undefined };
}

function toolUseOf(b: Obj, base: Omit<TranscriptToolUse, 'kind' | 'toolName' | 'toolUseId'>, ctx: ParseContext): TranscriptToolUse {
  const toolName = s(b.name) ?? 'unknown';
  const input = isObj(b.input) ? b.input : {};
  // Object.assign, not `{ kind, ...base, more }` (a spread followed by more properties is slow in V8: collapse.ts withProps).
  const t: TranscriptToolUse = Object.assign({ kind: 'toolUse' as const }, base, { toolName, toolUseId: s(b.id) });
  const filePath = s(input.file_path, MAX_PATH_CHARS) ?? s(input.notebook_path, MAX_PATH_CHARS);
  if (filePath) {
    t.filePath = filePath;
    t.language = languageOf(filePath);
  }
  // Line counts from the input, then the input is dropped (file contents are never returned).
  const d = lineDeltaOf(toolName, input);
  if (d) {
    t.linesAdded = d.added;
    t.linesRemoved = d.removed;
  }
  if (toolName === 'Bash') {
    const cmd = boundCommand(typeof input.command === 'string' ? input.command : undefined, ctx);
    if (cmd) t.command = cmd;
  }
  const m = mcpNames(toolName);
  if (m.mcpServer) t.mcpServer = m.mcpServer;
  if (m.mcpTool) t.mcpTool = m.mcpTool;
  return t;
}

// Text Claude Code writes as a `user` line that the user did not type as a prompt: slash-command
// echoes, local command output, bash-mode input/output, interruption markers.
const NOT_A_PROMPT = /^\s*(<command-name>|<command-message>|<command-args>|<local-command-stdout>|<local-command-stderr>|<local-command-caveat>|<bash-input>|<bash-stdout>|<bash-stderr>|\[Request interrupted by user)/;

/** The prompt text of a genuine user prompt line, else undefined. */
function promptTextOf(o: Obj, msg: Obj, isSidechain: boolean): string | undefined {
  // Meta lines (caveats, expanded skills), compaction summaries, lines only shown in the transcript,
  // tool results and a subagent's task (written by the parent agent) are not prompts the user typed.
  if (o.isMeta === true || o.isCompactSummary === true || o.isVisibleInTranscriptOnly === true) return undefined;
  if (o.toolUseResult !== undefined || isSidechain) return undefined;
  const c = msg.content;
  let text: string;
  if (typeof c === 'string') text = c;
  else if (Array.isArray(c) && c.length > 0) {
    const parts: string[] = [];
    for (const b of c) {
      if (!isObj(b)) continue;
      if (b.type === 'tool_result') return undefined;
      if (b.type === 'text' && typeof b.text === 'string') parts.push(b.text);
    }
    text = parts.join('\n');
  } else return undefined;
  if (NOT_A_PROMPT.test(text)) return undefined;
  return text;
}

const TITLE_FIELDS: Record<string, { field: string[]; source: NonNullable<TranscriptSession['titleSource']> }> = {
  'custom-title': { field: ['customTitle', 'title'], source: 'custom-title' },
  'ai-title': { field: ['aiTitle', 'title'], source: 'ai-title' },
  summary: { field: ['summary'], source: 'summary' },
};

/**
 * Parses one line. Returns the items it carries ([] for lines of no interest, e.g. unknown types,
 * attachments, queue operations), or a skip with a reason the import summary counts.
 */
export function parseTranscriptLine(text: string, ctx: ParseContext): TranscriptItem[] | ParseSkip {
  const t = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  if (t.trim() === '') return [];
  let o: unknown;
  try {
    o = JSON.parse(t);
  } catch (e) {
    return { skip: 'malformed_json', detail: String((e as Error).message).slice(0, MAX_DETAIL_CHARS) };
  }
  if (!isObj(o)) return { skip: 'not_an_object', detail: o === null ? 'null' : Array.isArray(o) ? 'array' : typeof o };
  try {
    return parseObject(o, ctx);
  } catch (e) {
    if (e instanceof OutOfRange) return { skip: 'out_of_range', detail: e.field };
    if (e instanceof Skip) return { skip: e.reason };
    throw e;
  }
}

function parseObject(o: Obj, ctx: ParseContext): TranscriptItem[] {
  const type = typeof o.type === 'string' ? o.type : '';
  const sessionId = s(o.sessionId) ?? ctx.fileSessionId ?? '';
  const timeMs = timeOf(o);
  const fields = sessionFieldsOf(o);
  const isSidechain = o.isSidechain === true || ctx.isSubagent;
  const agentId = s(o.agentId) ?? ctx.fileAgentId;
  const maxTokens = ctx.maxTokens ?? DEFAULT_TRANSCRIPT_LIMITS.maxTokens;
  const items: TranscriptItem[] = [];

  const session: TranscriptSession | undefined =
    sessionId && Object.keys(fields).length > 0 ? { kind: 'session', sessionId, timeMs, ...fields } : undefined;

  const msg = isObj(o.message) ? o.message : undefined;
  if (type === 'assistant' && msg) {
    const model = typeof msg.model === 'string' ? msg.model : undefined;
    if (o.isApiErrorMessage === true) throw new Skip('api_error_message');
    if (model === '<synthetic>') throw new Skip('synthetic');
    const messageId = s(msg.id);
    const requestId = s(o.requestId);
    if (isObj(msg.usage)) {
      const u = msg.usage;
      const req: TranscriptRequest = {
        kind: 'request',
        sessionId,
        requestId,
        messageId,
        uuid: s(o.uuid),
        timeMs,
        model: s(model) ?? 'unknown',
        modelNorm: normalizeModel(s(model) ?? 'unknown'),
        usage: usageOf(u, maxTokens),
        speed: normalizeSpeed(s(u.speed)),
        inferenceGeo: s(u.inference_geo),
        serviceTier: s(u.service_tier),
        isSidechain,
        agentId,
        ...fields,
      };
      items.push(req);
    }
    if (Array.isArray(msg.content)) {
      for (const b of msg.content) {
        if (isObj(b) && b.type === 'tool_use') items.push(toolUseOf(b, { sessionId, messageId, requestId, timeMs, isSidechain, agentId }, ctx));
      }
    }
  } else if (type === 'user' && msg) {
    const text = promptTextOf(o, msg, o.isSidechain === true || ctx.isSubagent);
    if (text !== undefined && sessionId) {
      const maxPrompt = ctx.maxPromptChars ?? DEFAULT_MAX_PROMPT_CHARS;
      items.push({
        kind: 'prompt',
        sessionId,
        promptId: s(o.promptId),
        uuid: s(o.uuid),
        timeMs,
        length: text.length,
        ...(ctx.storePromptText ? { text: text.length > maxPrompt ? text.slice(0, maxPrompt) : text } : {}),
      });
    }
    if (Array.isArray(msg.content)) {
      for (const b of msg.content) {
        if (!isObj(b) || b.type !== 'tool_result') continue;
        const toolUseId = s(b.tool_use_id);
        if (toolUseId) items.push({ kind: 'toolResult', sessionId, toolUseId, isError: b.is_error === true, timeMs });
      }
    }
  } else if (Object.hasOwn(TITLE_FIELDS, type)) {
    const spec = TITLE_FIELDS[type];
    const raw = spec.field.map((f) => o[f]).find((v) => typeof v === 'string' && v.trim() !== '') as string | undefined;
    if (raw !== undefined && sessionId && ctx.storePromptText) {
      const title = raw.length > MAX_TITLE_CHARS ? raw.slice(0, MAX_TITLE_CHARS) : raw;
      // Title records carry no timestamp of their own in older versions: no timeMs then (no first/last).
      items.push({ kind: 'session', sessionId, timeMs, ...fields, title, titleSource: spec.source });
      return items;
    }
  }
  if (session) items.unshift(session);
  return items;
}

/** Sum of token counts (all types). */
export function usageTotal(u: TranscriptUsage): number {
  return u.input + u.output + u.cacheRead + u.cacheCreation;
}

/**
 * Orders two usage snapshots of the same API response: > 0 when `a` is larger. "Larger" = more output
 * tokens (streaming snapshots grow output; early ones carry a placeholder), then more tokens in total,
 * then more server tool requests. 0 = equal for this purpose.
 */
export function compareUsage(a: TranscriptUsage, b: TranscriptUsage): number {
  return (
    a.output - b.output ||
    usageTotal(a) - usageTotal(b) ||
    a.webSearchRequests + a.webFetchRequests - (b.webSearchRequests + b.webFetchRequests)
  );
}

/**
 * "One request, with the largest usage seen": the larger of two snapshots of one response, whole
 * (never a per-field mix, so the result is a usage Claude Code actually wrote). Ties keep `a`.
 */
export function mergeUsage(a: TranscriptUsage, b: TranscriptUsage): TranscriptUsage {
  return compareUsage(b, a) > 0 ? b : a;
}

/**
 * Repository name of a transcript session: the basename of `cwd` when known; else derived from the
 * project folder name, which is the cwd with '/', '\\', ':' (and '.') replaced by '-', so it cannot be
 * decoded exactly (`acme-web` vs `acme/web`): the home prefix (`-home-<user>-`, `-Users-<user>-`,
 * `C--Users-<user>-`) is dropped and the rest kept whole rather than guessing a wrong basename.
 */
export function repoOf(cwd: string | undefined, projectDir: string): string {
  if (cwd) {
    const parts = cwd.split(/[\\/]+/).filter((p) => p !== '');
    const last = parts[parts.length - 1];
    if (last && !/^[A-Za-z]:$/.test(last)) return last;
  }
  const base = projectDir.split(/[\\/]+/).filter((p) => p !== '').pop() ?? '';
  const rest = base.replace(/^[A-Za-z]--/, '-').replace(/^-(?:home|Users)-[^-]+-/, '-').replace(/^-+/, '');
  return rest || base || 'unknown';
}
