// Wire-neutral OTLP requests (decode.ts) -> normalized Claude Code records (records.ts).
// Handles protobufjs messages (Long, Uint8Array, own properties for set fields), what protobufRead.ts
// reads (the same, with flattened attributes) and OTLP/JSON objects (hex ids, int64 as string or
// number) through the small accessors at the top.
// Traps handled (see test/fixtures/claude-code-otlp/INVENTORY.md): event name in the `event.name`
// attribute, else the body, else LogRecord.event_name; numbers and booleans sent as strings; model ids
// with a `[1m]` suffix; MCP tools reported as `mcp_tool` with names only in tool_parameters.
import { createHash } from 'node:crypto';
import type {
  Attrs,
  AttrValue,
  EventRecord,
  Identity,
  IngestOptions,
  NumericBounds,
  MetricKind,
  MetricPoint,
  NormalizedBatch,
  NormRecord,
  Signal,
  SpanRecord,
  ToolDetails,
} from './records';
import { normalizeModel } from './records';
import type { DecodedRequest } from './decode';
import { MAX_NESTING } from './decode';
import { languageOf, lineDeltaOf } from './lineCounts';

// ---------------------------------------------------------------- wire accessors

export type Obj = Record<string, unknown>;

/**
 * Where protobufRead.ts puts a message's `attributes` already flattened (the KeyValue list never
 * exists as objects). A symbol: no OTLP/JSON body can set it.
 */
export const FLAT_ATTRIBUTES: unique symbol = Symbol('flat attributes');

/**
 * A protobuf data point's attribute run (protobufRead.ts): one object per distinct run of attribute
 * bytes, shared by every point that carries those bytes, so it can hold the series keys computed for
 * them (`seriesKeys`, written by normalize only).
 */
export const ATTRIBUTE_RUN: unique symbol = Symbol('attribute run');
export interface AttributeRun {
  seriesKeys: RunSeriesKey | undefined;
}

function has(o: unknown, k: string): boolean {
  return o !== null && typeof o === 'object' && Object.prototype.hasOwnProperty.call(o, k);
}

function list(o: unknown, k: string): Obj[] {
  if (o === null || typeof o !== 'object') return [];
  const v = (o as Obj)[k];
  return Array.isArray(v) ? (v as Obj[]) : [];
}

interface LongLike {
  low: number;
  high: number;
  unsigned?: boolean;
  toString(): string;
}

function isLong(v: unknown): v is LongLike {
  return v !== null && typeof v === 'object' && 'low' in v && 'high' in v;
}

export function int(v: unknown): number | undefined {
  if (typeof v === 'number') return v;
  if (typeof v === 'string' && v.trim() !== '' && Number.isFinite(Number(v))) return Number(v);
  // high * 2^32 is exact and the one addition rounds once: the same double as Number(v.toString()).
  if (isLong(v)) return (v.unsigned ? v.high >>> 0 : v.high | 0) * 4_294_967_296 + (v.low >>> 0);
  return undefined;
}

export function anyValue(v: unknown, depth = 0): AttrValue {
  if (v === null || typeof v !== 'object') return null;
  if (has(v, 'stringValue')) return String((v as Obj).stringValue);
  if (has(v, 'boolValue')) return Boolean((v as Obj).boolValue);
  if (has(v, 'intValue')) return int((v as Obj).intValue) ?? null;
  if (has(v, 'doubleValue')) {
    const d = (v as Obj).doubleValue;
    return typeof d === 'number' ? d : typeof d === 'string' ? Number(d) : null;
  }
  if (depth >= MAX_NESTING) return null;
  if (has(v, 'arrayValue')) return list((v as Obj).arrayValue, 'values').map((x) => anyValue(x, depth + 1));
  if (has(v, 'kvlistValue')) return attrsOf(list((v as Obj).kvlistValue, 'values'), depth + 1);
  if (has(v, 'bytesValue')) {
    const b = (v as Obj).bytesValue;
    return b instanceof Uint8Array ? Buffer.from(b).toString('base64') : typeof b === 'string' ? b : null;
  }
  return null;
}

function attrsOf(kvs: Obj[], depth = 0): Attrs {
  const out: Attrs = {};
  for (const kv of kvs) {
    const key = kv.key;
    if (typeof key !== 'string') continue;
    out[key] = anyValue(kv.value, depth);
  }
  return out;
}

/** A message's attributes: flattened by the protobuf reader, else its KeyValue list. */
function attributesOf(o: unknown): Attrs {
  if (o === null || typeof o !== 'object') return {};
  return ((o as { [FLAT_ATTRIBUTES]?: Attrs })[FLAT_ATTRIBUTES]) ?? attrsOf(list(o, 'attributes'));
}

/**
 * An unsigned 64-bit Long (protobufjs' fixed64) split exactly into whole milliseconds and the
 * remaining nanoseconds, with doubles only: value = hi * 2^32 + lo, and 2^32 = 4294 * 1e6 + 967296, so
 * value = (hi * 4294 + floor(t / 1e6)) * 1e6 + t % 1e6 with t = hi * 967296 + lo < 2^53 (exact).
 * Long.toString / BigInt cost ~1 us and several allocations per time (measured: 10-20% of normalize).
 */
function longMs(v: LongLike): { ms: number; rem: number } | undefined {
  if (!v.unsigned) return undefined;
  const hi = v.high >>> 0;
  const lo = v.low >>> 0;
  const t = hi * 967_296 + lo;
  return { ms: hi * 4294 + Math.floor(t / 1e6), rem: t % 1e6 };
}

/**
 * The last eight unsigned Long times and their decimal text: a batch's points repeat a few start and end
 * times (every point of one export has the same end time; Claude Code's metrics have one start time per
 * instrument, ~6 in an export), and the text costs more than the compares.
 */
const LAST_NANOS = 8;
const lastNanos: { high: number; low: number; text: string }[] = Array.from({ length: LAST_NANOS }, () => ({ high: 0, low: 0, text: '0' }));
let lastNanosNext = 0;

/** 64-bit nanosecond times as exact decimal strings ('0' when absent). */
function nanos(v: unknown): string {
  if (v === undefined || v === null) return '0';
  if (typeof v === 'string') return /^\d+$/.test(v) ? v.replace(/^0+(?=\d)/, '') : '0';
  if (typeof v === 'number') return Number.isFinite(v) && v >= 0 ? BigInt(Math.trunc(v)).toString() : '0';
  if (isLong(v)) {
    if (v.unsigned) {
      for (let i = 0; i < LAST_NANOS; i++) if (lastNanos[i].high === v.high && lastNanos[i].low === v.low) return lastNanos[i].text;
    }
    const p = longMs(v);
    if (!p) return v.toString();
    const text = p.ms === 0 ? String(p.rem) : `${p.ms}${String(p.rem).padStart(6, '0')}`;
    lastNanos[lastNanosNext] = { high: v.high, low: v.low, text };
    lastNanosNext = (lastNanosNext + 1) % LAST_NANOS;
    return text;
  }
  return '0';
}

/** Exact integer milliseconds plus the sub-millisecond fraction. */
export function nanosToMs(ns: string): number {
  const b = BigInt(ns);
  return Number(b / 1_000_000n) + Number(b % 1_000_000n) / 1e6;
}

/** nanosToMs(nanos(v)) without the decimal string when v is a protobufjs Long (the common case). */
function nanosMs(v: unknown): number {
  if (isLong(v)) {
    const p = longMs(v);
    if (p) return p.ms + p.rem / 1e6;
  }
  return nanosToMs(nanos(v));
}

/** nanos(v) === '0' without the decimal string. */
function nanosZero(v: unknown): boolean {
  if (isLong(v) && v.unsigned) return v.low === 0 && v.high === 0;
  return nanos(v) === '0';
}

const HEX = /^[0-9a-fA-F]*$/;

/** Trace/span ids as lowercase hex ('' when absent). OTLP/JSON uses hex; tolerate base64 too. */
function idHex(v: unknown): string {
  if (v instanceof Uint8Array) return Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('hex');
  if (typeof v === 'string') {
    if (HEX.test(v)) return v.toLowerCase();
    return Buffer.from(v, 'base64').toString('hex');
  }
  return '';
}

// ---------------------------------------------------------------- typed attribute readers

const str = (a: Attrs, k: string): string | undefined => {
  const v = a[k];
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  return undefined;
};
const num = (a: Attrs, k: string): number | undefined => {
  const v = a[k];
  if (typeof v === 'number') return Number.isFinite(v) ? v : undefined;
  if (typeof v === 'string' && v.trim() !== '') {
    const n = Number(v);
    return Number.isFinite(n) ? n : undefined;
  }
  return undefined;
};
const bool = (a: Attrs, k: string): boolean | undefined => {
  const v = a[k];
  if (typeof v === 'boolean') return v;
  if (v === 'true') return true;
  if (v === 'false') return false;
  return undefined;
};

// ---------------------------------------------------------------- numeric bounds

/** Which bound applies to a numeric attribute (IngestOptions.bounds). */
type NumberKind = 'tokens' | 'costUsd' | 'durationMs' | 'count' | 'httpStatus';

/** Numeric attributes per Claude Code event, checked before the record is built. */
const EVENT_NUMBERS: Readonly<Record<string, Readonly<Record<string, NumberKind>>>> = {
  api_request: {
    cost_usd: 'costUsd', input_tokens: 'tokens', output_tokens: 'tokens', cache_read_tokens: 'tokens', cache_creation_tokens: 'tokens',
    cache_creation_5m_tokens: 'tokens', cache_creation_1h_tokens: 'tokens', duration_ms: 'durationMs', ttft_ms: 'durationMs',
  },
  api_error: { status_code: 'httpStatus', attempt: 'count', duration_ms: 'durationMs' },
  api_retries_exhausted: { status_code: 'httpStatus', total_attempts: 'count', total_retry_duration_ms: 'durationMs' },
  user_prompt: { prompt_length: 'count' },
  tool_result: { duration_ms: 'durationMs', tool_input_size_bytes: 'count', tool_result_size_bytes: 'count' },
};
const EVENT_COMMON_NUMBERS: Readonly<Record<string, NumberKind>> = { 'event.sequence': 'count' };
const SPAN_NUMBERS: Readonly<Record<string, NumberKind>> = {
  input_tokens: 'tokens', output_tokens: 'tokens', cache_read_tokens: 'tokens', cache_creation_tokens: 'tokens',
  ttft_ms: 'durationMs', attempt: 'count',
};

function within(kind: NumberKind, v: number, b: NumericBounds): string | undefined {
  switch (kind) {
    case 'tokens':
      return Number.isSafeInteger(v) && v >= 0 && v <= b.maxTokens ? undefined : `tokens: an integer from 0 to ${b.maxTokens}`;
    case 'costUsd':
      return Number.isFinite(v) && v >= 0 && v <= b.maxCostUsd ? undefined : `USD: from 0 to ${b.maxCostUsd}`;
    case 'durationMs':
      return Number.isFinite(v) && v >= 0 && v <= b.maxDurationMs ? undefined : `ms: from 0 to ${b.maxDurationMs}`;
    case 'count':
      return Number.isSafeInteger(v) && v >= 0 && v <= b.maxCount ? undefined : `a count: an integer from 0 to ${b.maxCount}`;
    case 'httpStatus':
      return Number.isInteger(v) && v >= 0 && v <= 999 ? undefined : 'an HTTP status: an integer from 0 to 999';
  }
}

/**
 * The first numeric attribute outside its bounds, as a partial_success message naming the field and
 * the value; undefined when all are fine. An absent (or empty) attribute is fine; a present one that is
 * not a number is not (it would otherwise silently count as 0, or turn a reported cost into an estimate).
 */
const FIELD_LISTS = new Map<Readonly<Record<string, NumberKind>>, [string, NumberKind][]>();
function numbersOutOfBounds(what: string, a: Attrs, fields: Readonly<Record<string, NumberKind>>, b: NumericBounds): string | undefined {
  let entries = FIELD_LISTS.get(fields); // the field tables are module constants
  if (!entries) FIELD_LISTS.set(fields, (entries = Object.entries(fields)));
  for (let i = 0; i < entries.length; i++) {
    const [k, kind] = entries[i];
    const raw = a[k];
    if (raw === undefined || raw === null || (typeof raw === 'string' && raw.trim() === '')) continue;
    const v = typeof raw === 'number' ? raw : typeof raw === 'string' ? Number(raw) : NaN;
    const want = within(kind, v, b);
    if (want) return `${what}: ${k} = ${JSON.stringify(typeof raw === 'number' && !Number.isFinite(raw) ? String(raw) : raw)} is out of bounds (${want})`;
  }
  return undefined;
}

/** Claude Code's own metrics: counters of tokens, USD, lines, seconds, decisions, sessions: never negative. */
const isClaudeCodeMetric = (name: string) => name.startsWith('claude_code.');

// ---------------------------------------------------------------- identity

const IDENTITY_KEYS = new Set([
  'session.id', 'user.id', 'user.email', 'user.account_uuid', 'organization.id', 'terminal.type',
  'repo.name', 'team.id', 'service.name', 'service.version',
]);

/** Never kept in `extra`: content that no feature needs (prompts, responses, file contents). */
const SENSITIVE_KEYS = new Set([
  'prompt', 'response', 'tool_input', 'tool_parameters', 'user_prompt', 'prompt_text', 'system_prompt',
  'content', 'old_string', 'new_string', 'full_command', 'bash_command', 'command',
]);

interface Scope {
  resource: Attrs;
  scopeName: string;
  isClaudeCode: boolean;
}

/** A record attribute, else the resource's. */
function pick(a: Attrs, s: Scope, k: string): string | undefined {
  return str(a, k) ?? str(s.resource, k);
}

function identity(a: Attrs, s: Scope): Identity {
  return {
    sessionId: pick(a, s, 'session.id') ?? '',
    userId: pick(a, s, 'user.id'),
    userEmail: pick(a, s, 'user.email'),
    accountUuid: pick(a, s, 'user.account_uuid'),
    organizationId: pick(a, s, 'organization.id'),
    terminalType: pick(a, s, 'terminal.type'),
    repo: pick(a, s, 'repo.name'),
    teamId: pick(a, s, 'team.id'),
    serviceName: str(s.resource, 'service.name') ?? 'unknown_service',
    serviceVersion: str(s.resource, 'service.version'),
    isClaudeCode: s.isClaudeCode,
  };
}

function scopeOf(resource: Attrs, scope: unknown): Scope {
  const scopeName = scope && typeof scope === 'object' && typeof (scope as Obj).name === 'string' ? ((scope as Obj).name as string) : '';
  const service = str(resource, 'service.name') ?? '';
  return { resource, scopeName, isClaudeCode: service === 'claude-code' || scopeName.startsWith('com.anthropic.claude_code') };
}

/** skip + IDENTITY_KEYS + SENSITIVE_KEYS, one Set per skip set (they are module constants). */
const SKIP_ALL = new Map<Set<string>, Set<string>>();
function skipAll(skip: Set<string>): Set<string> {
  let all = SKIP_ALL.get(skip);
  if (!all) {
    all = new Set([...skip, ...IDENTITY_KEYS, ...SENSITIVE_KEYS]);
    SKIP_ALL.set(skip, all);
  }
  return all;
}

function bounded(a: Attrs, skip: Set<string>, opts: IngestOptions): Attrs {
  const out: Attrs = {};
  const all = skipAll(skip);
  let n = 0;
  const keys = Object.keys(a);
  for (let i = 0; i < keys.length; i++) {
    const k = keys[i];
    if (all.has(k)) continue;
    if (n++ >= opts.maxExtraAttrs) break;
    out[k] = boundValue(a[k], opts, 0);
  }
  return out;
}

function boundValue(v: AttrValue, opts: IngestOptions, depth: number): AttrValue {
  if (typeof v === 'string') return v.length > opts.maxAttrChars ? `${v.slice(0, opts.maxAttrChars)}…` : v;
  if (Array.isArray(v)) return depth > 3 ? null : v.slice(0, 32).map((x) => boundValue(x, opts, depth + 1));
  if (v && typeof v === 'object') {
    if (depth > 3) return null;
    const o: Attrs = {};
    for (const [k, x] of Object.entries(v).slice(0, 32)) o[k] = boundValue(x, opts, depth + 1);
    return o;
  }
  return v;
}

// ---------------------------------------------------------------- logs

const EVENT_KEYS = new Set(['event.name', 'event.timestamp', 'event.sequence', 'prompt.id']);
const NONE = new Set<string>();
const withEventKeys = (...keys: string[]) => new Set([...EVENT_KEYS, ...keys]);
/** Attributes mapped to typed fields, per event (not repeated in `extra`). */
const SKIP = {
  apiRequest: withEventKeys(
    'model', 'cost_usd', 'cost_usd_micros', 'input_tokens', 'output_tokens', 'cache_read_tokens',
    'cache_creation_tokens', 'cache_creation_5m_tokens', 'cache_creation_1h_tokens', 'duration_ms',
    'ttft_ms', 'request_id', 'query_source', 'agent.name', 'agent_id', 'effort', 'speed',
  ),
  apiError: withEventKeys('model', 'request_id', 'status_code', 'attempt', 'error', 'duration_ms', 'query_source'),
  retries: withEventKeys('model', 'status_code', 'total_attempts', 'total_retry_duration_ms', 'error'),
  userPrompt: withEventKeys('prompt_length'),
  toolDecision: withEventKeys('tool_name', 'tool_use_id', 'decision', 'source'),
  toolResult: withEventKeys(
    'tool_name', 'tool_use_id', 'success', 'duration_ms', 'error', 'error_type', 'tool_input_size_bytes', 'tool_result_size_bytes',
  ),
};

function parseJsonObject(s: string | undefined): Record<string, unknown> | undefined {
  if (!s) return undefined;
  try {
    const v = JSON.parse(s);
    return v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

function boundCommand(cmd: string | undefined, argv0: string | undefined, opts: IngestOptions): string | undefined {
  if (!opts.storeCommands) return argv0 ?? (cmd ? cmd.trim().split(/\s+/)[0] : undefined);
  if (cmd === undefined) return argv0;
  return cmd.length > opts.maxCommandChars ? `${cmd.slice(0, opts.maxCommandChars)}…` : cmd;
}

/**
 * Writes the tool fields onto `d` (a record under construction: no object spread, see eventBase) and
 * returns the parsed tool input (never stored; line counts only).
 */
function pstr(o: Record<string, unknown> | undefined, k: string): string | undefined {
  return o && typeof o[k] === 'string' ? (o[k] as string) : undefined;
}

function toolDetails(d: ToolDetails, a: Attrs, opts: IngestOptions): Record<string, unknown> | undefined {
  const toolName = str(a, 'tool_name') ?? 'unknown';
  const params = parseJsonObject(str(a, 'tool_parameters'));
  const input = parseJsonObject(str(a, 'tool_input'));
  d.toolName = toolName;
  d.toolUseId = str(a, 'tool_use_id');
  d.mcpServer = pstr(params, 'mcp_server_name');
  d.mcpTool = pstr(params, 'mcp_tool_name');
  if (!d.mcpServer && toolName.startsWith('mcp__')) {
    const [, server, ...rest] = toolName.split('__');
    d.mcpServer = server;
    d.mcpTool = rest.join('__');
  }
  const filePath = pstr(input, 'file_path') ?? pstr(input, 'notebook_path') ?? pstr(params, 'file_path');
  if (filePath) {
    d.filePath = filePath;
    d.language = languageOf(filePath);
  }
  if (toolName === 'Bash' || pstr(params, 'bash_command') !== undefined) {
    d.command = boundCommand(pstr(params, 'full_command') ?? pstr(input, 'command'), pstr(params, 'bash_command'), opts);
  }
  return input;
}

function logRecords(req: DecodedRequest, opts: IngestOptions, out: NormRecord[], rej: Rejections): void {
  for (const rl of list(req, 'resourceLogs')) {
    const resource = attributesOf(rl.resource);
    for (const sl of list(rl, 'scopeLogs')) {
      const scope = scopeOf(resource, sl.scope);
      for (const lr of list(sl, 'logRecords')) {
        if (out.length >= opts.maxRecordsPerRequest) {
          rej.add(1, `more than ${opts.maxRecordsPerRequest} records in one request`);
          continue;
        }
        const rec = logRecord(lr, scope, opts);
        if (typeof rec === 'string') rej.add(1, rec);
        else out.push(rec);
      }
    }
  }
}

/**
 * The fields every event record starts with, as one object literal. Records are built from this with
 * Object.assign, never with `{ ...base, more }`: V8 (Node 20) gives each object made by a spread followed
 * by more properties a fresh hidden class, about 5-20 us per record (measured: most of normalize's time).
 */
function eventBase(kind: EventRecord['kind'], id: Identity, name: string, timeMs: number, a: Attrs, lr: Obj) {
  return {
    kind,
    sessionId: id.sessionId,
    userId: id.userId,
    userEmail: id.userEmail,
    accountUuid: id.accountUuid,
    organizationId: id.organizationId,
    terminalType: id.terminalType,
    repo: id.repo,
    teamId: id.teamId,
    serviceName: id.serviceName,
    serviceVersion: id.serviceVersion,
    isClaudeCode: id.isClaudeCode,
    name,
    timeMs,
    sequence: num(a, 'event.sequence'),
    promptId: str(a, 'prompt.id'),
    traceId: idHex(lr.traceId) || undefined,
    spanId: idHex(lr.spanId) || undefined,
  };
}

function logRecord(lr: Obj, scope: Scope, opts: IngestOptions): EventRecord | string {
  const a = attributesOf(lr);
  const body = anyValue(lr.body);
  const bodyName = typeof body === 'string' && body.startsWith('claude_code.') ? body.slice('claude_code.'.length) : undefined;
  const fieldName = typeof lr.eventName === 'string' && lr.eventName !== '' ? (lr.eventName as string).replace(/^claude_code\./, '') : undefined;
  const name = str(a, 'event.name') ?? bodyName ?? fieldName ?? (typeof body === 'string' && body.length <= 64 ? body : 'log');
  let timeMs: number;
  if (!nanosZero(lr.timeUnixNano)) timeMs = nanosMs(lr.timeUnixNano);
  else if (!nanosZero(lr.observedTimeUnixNano)) timeMs = nanosMs(lr.observedTimeUnixNano);
  else {
    const iso = str(a, 'event.timestamp');
    const ms = iso ? Date.parse(iso) : NaN;
    if (!Number.isFinite(ms)) return 'log record without a time';
    timeMs = nanosToMs((BigInt(ms) * 1_000_000n).toString());
  }
  if (scope.isClaudeCode) {
    const bad =
      numbersOutOfBounds(name, a, EVENT_COMMON_NUMBERS, opts.bounds) ??
      (EVENT_NUMBERS[name] ? numbersOutOfBounds(name, a, EVENT_NUMBERS[name], opts.bounds) : undefined);
    if (bad) return bad;
  }
  if (!scope.isClaudeCode) {
    // Other services' logs: kept generically (bounded), never counted as Claude Code spend.
    const extra = bounded(a, EVENT_KEYS, opts);
    if (typeof body === 'string' && !('body' in extra)) extra.body = boundValue(body, opts, 0);
    return Object.assign(eventBase('event', identity(a, scope), name, timeMs, a, lr), { extra }) as EventRecord;
  }
  switch (name) {
    case 'api_request': {
      const model = str(a, 'model') ?? 'unknown';
      return Object.assign(eventBase('apiRequest', identity(a, scope), name, timeMs, a, lr), {
        requestId: str(a, 'request_id'),
        model,
        modelNorm: normalizeModel(model),
        costUsd: num(a, 'cost_usd'),
        inputTokens: num(a, 'input_tokens') ?? 0,
        outputTokens: num(a, 'output_tokens') ?? 0,
        cacheReadTokens: num(a, 'cache_read_tokens') ?? 0,
        cacheCreationTokens: num(a, 'cache_creation_tokens') ?? 0,
        cacheCreation5mTokens: num(a, 'cache_creation_5m_tokens'),
        cacheCreation1hTokens: num(a, 'cache_creation_1h_tokens'),
        durationMs: num(a, 'duration_ms'),
        ttftMs: num(a, 'ttft_ms'),
        querySource: str(a, 'query_source'),
        agentName: str(a, 'agent.name'),
        agentId: str(a, 'agent_id'),
        effort: str(a, 'effort'),
        speed: str(a, 'speed'),
        extra: bounded(a, SKIP.apiRequest, opts),
      }) as EventRecord;
    }
    case 'api_error': {
      const model = str(a, 'model') ?? 'unknown';
      return Object.assign(eventBase('apiError', identity(a, scope), name, timeMs, a, lr), {
        requestId: str(a, 'request_id'),
        model,
        modelNorm: normalizeModel(model),
        statusCode: num(a, 'status_code'),
        attempt: num(a, 'attempt'),
        error: boundText(str(a, 'error'), opts),
        durationMs: num(a, 'duration_ms'),
        querySource: str(a, 'query_source'),
        extra: bounded(a, SKIP.apiError, opts),
      }) as EventRecord;
    }
    case 'api_retries_exhausted': {
      const model = str(a, 'model') ?? 'unknown';
      return Object.assign(eventBase('apiRetriesExhausted', identity(a, scope), name, timeMs, a, lr), {
        model,
        modelNorm: normalizeModel(model),
        statusCode: num(a, 'status_code'),
        totalAttempts: num(a, 'total_attempts'),
        totalRetryDurationMs: num(a, 'total_retry_duration_ms'),
        error: boundText(str(a, 'error'), opts),
        extra: bounded(a, SKIP.retries, opts),
      }) as EventRecord;
    }
    case 'user_prompt': {
      const text = str(a, 'prompt');
      const keep = opts.storePromptText && text !== undefined && text !== '<REDACTED>';
      return Object.assign(eventBase('userPrompt', identity(a, scope), name, timeMs, a, lr), {
        promptLength: num(a, 'prompt_length') ?? (text !== undefined && text !== '<REDACTED>' ? text.length : undefined),
        promptText: keep ? text!.slice(0, opts.maxPromptChars) : undefined,
        extra: bounded(a, SKIP.userPrompt, opts),
      }) as EventRecord;
    }
    case 'tool_decision': {
      const r = eventBase('toolDecision', identity(a, scope), name, timeMs, a, lr) as unknown as ToolDetails & Obj;
      toolDetails(r, a, opts);
      r.decision = str(a, 'decision') ?? 'unknown';
      r.source = str(a, 'source');
      r.extra = bounded(a, SKIP.toolDecision, opts);
      return r as unknown as EventRecord;
    }
    case 'tool_result': {
      const r = eventBase('toolResult', identity(a, scope), name, timeMs, a, lr) as unknown as ToolDetails & Obj;
      const input = toolDetails(r, a, opts);
      const delta = input ? lineDeltaOf(r.toolName, input) : undefined;
      return Object.assign(r, {
        success: bool(a, 'success') ?? false,
        durationMs: num(a, 'duration_ms'),
        error: boundText(str(a, 'error'), opts),
        errorType: str(a, 'error_type'),
        inputSizeBytes: num(a, 'tool_input_size_bytes'),
        resultSizeBytes: num(a, 'tool_result_size_bytes'),
        linesAdded: delta?.added,
        linesRemoved: delta?.removed,
        extra: bounded(a, SKIP.toolResult, opts),
      }) as unknown as EventRecord;
    }
    default:
      return Object.assign(eventBase('event', identity(a, scope), name, timeMs, a, lr), { extra: typedExtra(bounded(a, EVENT_KEYS, opts)) }) as EventRecord;
  }
}

/** Generic events: numeric and boolean strings become typed values (hook counters, retention sweep...). */
function typedExtra(a: Attrs): Attrs {
  for (const [k, v] of Object.entries(a)) {
    if (typeof v !== 'string') continue;
    if (v === 'true' || v === 'false') a[k] = v === 'true';
    else if (/^-?\d+(\.\d+)?$/.test(v) && v.length < 16) a[k] = Number(v);
  }
  return a;
}

function boundText(s: string | undefined, opts: IngestOptions): string | undefined {
  if (s === undefined) return undefined;
  return s.length > opts.maxAttrChars ? `${s.slice(0, opts.maxAttrChars)}…` : s;
}

// ---------------------------------------------------------------- metrics

const METRIC_KINDS: [string, MetricKind][] = [
  ['sum', 'sum'], ['gauge', 'gauge'], ['histogram', 'histogram'],
  ['exponentialHistogram', 'exponentialHistogram'], ['summary', 'summary'],
];

/** JSON.stringify(sorted [key, value] pairs), written out pair by pair (same text, fewer arrays). */
function sortedJson(a: Attrs): string {
  const keys = Object.keys(a).sort();
  let out = '[';
  for (let i = 0; i < keys.length; i++) {
    const k = keys[i];
    out += `${i === 0 ? '' : ','}[${JSON.stringify(k)},${JSON.stringify(a[k])}]`;
  }
  return `${out}]`;
}

function metricKindOf(m: Obj): [string, MetricKind] | undefined {
  for (let i = 0; i < METRIC_KINDS.length; i++) if (has(m, METRIC_KINDS[i][0])) return METRIC_KINDS[i];
  return undefined;
}

function metricRecords(req: DecodedRequest, opts: IngestOptions, out: NormRecord[], rej: Rejections): void {
  for (const rm of list(req, 'resourceMetrics')) {
    const resource = attributesOf(rm.resource);
    const resourceKey = sortedJson(resource);
    for (const sm of list(rm, 'scopeMetrics')) {
      const scope = scopeOf(resource, sm.scope);
      const scopeKey = `${scope.scopeName}`;
      const origin = canonicalOrigin(`${resourceKey}\0${scopeKey}`);
      for (const m of list(sm, 'metrics')) {
        const name = typeof m.name === 'string' ? m.name : '';
        if (!name) {
          rej.add(countPoints(m), 'metric without a name');
          continue;
        }
        const found = metricKindOf(m);
        if (!found) {
          // A metric with no data (allowed by the proto): nothing to store.
          continue;
        }
        const [field, metricKind] = found;
        const data = m[field] as Obj;
        const temporalityRaw = int(data.aggregationTemporality) ?? 0;
        const temporality = (temporalityRaw === 1 || temporalityRaw === 2 ? temporalityRaw : 0) as 0 | 1 | 2;
        const meta = { name, unit: typeof m.unit === 'string' ? m.unit : undefined, metricKind, temporality, monotonic: data.isMonotonic === true };
        // The series text up to the point's attributes: one string per metric (its hash is computed once).
        const seriesPrefix = `${name}\0${resourceKey}\0${scopeKey}\0`;
        for (const dp of list(data, 'dataPoints')) {
          if (out.length >= opts.maxRecordsPerRequest) {
            rej.add(1, `more than ${opts.maxRecordsPerRequest} records in one request`);
            continue;
          }
          const p = metricPoint(dp, meta, scope, seriesPrefix, origin, opts);
          if (typeof p === 'string') rej.add(1, p);
          else out.push(p);
        }
      }
    }
  }
}

function countPoints(m: Obj): number {
  const found = metricKindOf(m);
  return found ? list(m[found[0]], 'dataPoints').length : 0;
}

/**
 * Recent series keys by their text. An exporter sends the same series every interval (and a batch often
 * holds several points of one series), and a sha1 costs ~2 us (most of it Node's Hash object), more than
 * decoding the point. A pure function's memo: cleared when full, and only for attribute texts of at most
 * SERIES_KEY_CHARS_MAX characters, so bounded (~16 MB at most, a few hundred KB in practice).
 */
const SERIES_KEYS = new Map<string, Map<string, string>>();
const SERIES_KEYS_MAX = 4_096;
const SERIES_KEY_CHARS_MAX = 2_048;
let seriesKeyCount = 0;

/**
 * sha1 (base64url) of prefix + attrsJson: the same bytes as updating name, resource, scope, attrs part by
 * part. Memoized in two levels (per metric prefix, then per attributes) so a point never builds or hashes
 * the long joined text.
 */
function seriesKeyOf(prefix: string, attrsJson: string): string {
  // Long attribute texts are hashed every time: the memo keeps its keys (SERIES_KEYS_MAX x SERIES_KEY_CHARS_MAX at most).
  if (attrsJson.length > SERIES_KEY_CHARS_MAX) return createHash('sha1').update(prefix + attrsJson).digest('base64url');
  let byAttrs = SERIES_KEYS.get(prefix);
  let key = byAttrs?.get(attrsJson);
  if (key === undefined) {
    key = createHash('sha1').update(prefix + attrsJson).digest('base64url');
    if (seriesKeyCount >= SERIES_KEYS_MAX) {
      SERIES_KEYS.clear();
      seriesKeyCount = 0;
      byAttrs = undefined;
    }
    if (!byAttrs) SERIES_KEYS.set(prefix, (byAttrs = new Map()));
    byAttrs.set(attrsJson, key);
    seriesKeyCount++;
  }
  return key;
}

/**
 * Series keys of protobuf points, kept on their attribute run (ATTRIBUTE_RUN, from protobufRead.ts: one
 * object per distinct attribute bytes, and equal bytes are equal attributes) for the resource + scope
 * (`origin`) and metric name they were computed for: a hit skips sorting and serializing the attributes
 * and hashing the text (measured: most of a metric point's normalize time). `origin` is one string object
 * per text (ORIGINS), so its check is a pointer compare. Points without a run (OTLP/JSON, attributes not in
 * one run) take seriesKeyOf.
 */
export interface RunSeriesKey {
  origin: string;
  name: string;
  key: string;
  next: RunSeriesKey | undefined;
}
/** Series keys held per run (metrics x resources sharing the same attribute bytes); the oldest go first. */
const RUN_SERIES_KEYS_MAX = 32;
const ORIGINS = new Map<string, string>();

/** The one string object of an origin text (bounded like SERIES_KEYS). */
function canonicalOrigin(origin: string): string {
  const known = ORIGINS.get(origin);
  if (known !== undefined) return known;
  if (ORIGINS.size >= SERIES_KEYS_MAX) ORIGINS.clear();
  ORIGINS.set(origin, origin);
  return origin;
}

function pointSeriesKey(dp: Obj, prefix: string, origin: string, name: string, a: Attrs): string {
  const run = (dp as { [ATTRIBUTE_RUN]?: AttributeRun })[ATTRIBUTE_RUN];
  if (run === undefined) return seriesKeyOf(prefix, sortedJson(a));
  let n = 0;
  for (let e = run.seriesKeys; e !== undefined; e = e.next, n++) if (e.origin === origin && e.name === name) return e.key;
  const key = seriesKeyOf(prefix, sortedJson(a));
  run.seriesKeys = { origin, name, key, next: n < RUN_SERIES_KEYS_MAX ? run.seriesKeys : undefined };
  return key;
}

function metricPoint(
  dp: Obj,
  meta: { name: string; unit?: string; metricKind: MetricKind; temporality: 0 | 1 | 2; monotonic: boolean },
  scope: Scope,
  seriesPrefix: string,
  origin: string,
  opts: IngestOptions,
): MetricPoint | string {
  const a = attributesOf(dp);
  let value: number | undefined;
  let count: number | undefined;
  if (meta.metricKind === 'sum' || meta.metricKind === 'gauge') {
    if (has(dp, 'asDouble')) value = typeof dp.asDouble === 'number' ? dp.asDouble : Number(dp.asDouble);
    else if (has(dp, 'asInt')) value = int(dp.asInt);
    else value = 0; // proto3: an unset oneof on the wire; OTLP/JSON may omit a zero
  } else {
    count = int(dp.count) ?? 0;
    value = typeof dp.sum === 'number' ? dp.sum : int(dp.sum) ?? 0;
  }
  if (value === undefined || !Number.isFinite(value)) return `data point of ${meta.name} has no finite value (${String(value)})`;
  if (scope.isClaudeCode && isClaudeCodeMetric(meta.name) && !(value >= 0 && value <= opts.bounds.maxClaudeCodeMetricValue)) {
    return `data point of ${meta.name}: value = ${value} is out of bounds (from 0 to ${opts.bounds.maxClaudeCodeMetricValue})`;
  }
  if (count !== undefined && !(Number.isSafeInteger(count) && count >= 0)) return `data point of ${meta.name}: count = ${count} is out of bounds (a count)`;
  const startNs = nanos(dp.startTimeUnixNano);
  const timeNs = nanos(dp.timeUnixNano);
  if (timeNs === '0') return `data point of ${meta.name} has no time`;
  const id = identity(a, scope);
  const pointAttrs = bounded(a, NONE, opts);
  const model = str(a, 'model');
  const seriesKey = pointSeriesKey(dp, seriesPrefix, origin, meta.name, a);
  // A literal (no spread of `id`: see eventBase).
  return {
    kind: 'metric',
    sessionId: id.sessionId,
    userId: id.userId,
    userEmail: id.userEmail,
    accountUuid: id.accountUuid,
    organizationId: id.organizationId,
    terminalType: id.terminalType,
    repo: id.repo,
    teamId: id.teamId,
    serviceName: id.serviceName,
    serviceVersion: id.serviceVersion,
    isClaudeCode: id.isClaudeCode,
    name: meta.name,
    unit: meta.unit || undefined,
    metricKind: meta.metricKind,
    temporality: meta.temporality,
    monotonic: meta.monotonic,
    startTimeUnixNano: startNs,
    timeUnixNano: timeNs,
    startMs: nanosMs(dp.startTimeUnixNano),
    timeMs: nanosMs(dp.timeUnixNano),
    value,
    count,
    attrs: pointAttrs,
    modelNorm: model ? normalizeModel(model) : undefined,
    seriesKey,
  };
}

// ---------------------------------------------------------------- traces

const SPAN_MAPPED = new Set([
  'span.type', 'model', 'gen_ai.request.model', 'request_id', 'tool_name', 'tool_use_id', 'file_path',
  'full_command', 'decision', 'source', 'success', 'attempt', 'ttft_ms', 'agent_id', 'input_tokens',
  'output_tokens', 'cache_read_tokens', 'cache_creation_tokens',
]);

function spanRecords(req: DecodedRequest, opts: IngestOptions, out: NormRecord[], rej: Rejections): void {
  for (const rs of list(req, 'resourceSpans')) {
    const resource = attributesOf(rs.resource);
    for (const ss of list(rs, 'scopeSpans')) {
      const scope = scopeOf(resource, ss.scope);
      for (const sp of list(ss, 'spans')) {
        if (out.length >= opts.maxRecordsPerRequest) {
          rej.add(1, `more than ${opts.maxRecordsPerRequest} records in one request`);
          continue;
        }
        const r = span(sp, scope, opts);
        if (typeof r === 'string') rej.add(1, r);
        else out.push(r);
      }
    }
  }
}

function span(sp: Obj, scope: Scope, opts: IngestOptions): SpanRecord | string {
  const traceId = idHex(sp.traceId);
  const spanId = idHex(sp.spanId);
  if (!/^[0-9a-f]{32}$/.test(traceId) || /^0+$/.test(traceId)) return 'span with an invalid trace id';
  if (!/^[0-9a-f]{16}$/.test(spanId) || /^0+$/.test(spanId)) return 'span with an invalid span id';
  const a = attributesOf(sp);
  const name = typeof sp.name === 'string' ? sp.name : '';
  if (scope.isClaudeCode) {
    const bad = numbersOutOfBounds(`span ${name}`, a, SPAN_NUMBERS, opts.bounds);
    if (bad) return bad;
  }
  const model = str(a, 'model') ?? str(a, 'gen_ai.request.model');
  const status = sp.status as Obj | undefined;
  const parent = idHex(sp.parentSpanId);
  const startMs = nanosMs(sp.startTimeUnixNano);
  const endSet = !nanosZero(sp.endTimeUnixNano);
  const endMs = endSet ? nanosMs(sp.endTimeUnixNano) : startMs;
  if (endSet) {
    const lengthMs = endMs - startMs;
    const want = within('durationMs', lengthMs, opts.bounds);
    if (want) return `span ${name}: end - start = ${lengthMs} ms is out of bounds (${want})`;
  }
  const toolName = str(a, 'tool_name');
  const id = identity(a, scope);
  // A literal (no spread of the identity: see eventBase).
  return {
    kind: 'span',
    sessionId: id.sessionId,
    userId: id.userId,
    userEmail: id.userEmail,
    accountUuid: id.accountUuid,
    organizationId: id.organizationId,
    terminalType: id.terminalType,
    repo: id.repo,
    teamId: id.teamId,
    serviceName: id.serviceName,
    serviceVersion: id.serviceVersion,
    isClaudeCode: id.isClaudeCode,
    traceId,
    spanId,
    parentSpanId: parent && !/^0+$/.test(parent) ? parent : undefined,
    name,
    spanType: str(a, 'span.type'),
    startMs,
    endMs,
    statusCode: int(status?.code) ?? 0,
    statusMessage: typeof status?.message === 'string' && status.message !== '' ? boundText(status.message, opts) : undefined,
    model,
    modelNorm: model ? normalizeModel(model) : undefined,
    requestId: str(a, 'request_id'),
    toolName,
    toolUseId: str(a, 'tool_use_id'),
    filePath: str(a, 'file_path'),
    command: toolName === 'Bash' || a.full_command !== undefined ? boundCommand(str(a, 'full_command'), str(a, 'bash_argv0'), opts) : undefined,
    decision: str(a, 'decision'),
    source: str(a, 'source'),
    success: bool(a, 'success'),
    attempt: num(a, 'attempt'),
    ttftMs: num(a, 'ttft_ms'),
    agentId: str(a, 'agent_id'),
    inputTokens: num(a, 'input_tokens'),
    outputTokens: num(a, 'output_tokens'),
    cacheReadTokens: num(a, 'cache_read_tokens'),
    cacheCreationTokens: num(a, 'cache_creation_tokens'),
    events: spanEvents(list(sp, 'events'), opts),
    extra: bounded(a, SPAN_MAPPED, opts),
  };
}

function spanEvents(events: Obj[], opts: IngestOptions): SpanRecord['events'] {
  const out: SpanRecord['events'] = [];
  for (let i = 0; i < events.length && i < 64; i++) {
    const e = events[i];
    out.push({ name: typeof e.name === 'string' ? e.name : '', timeMs: nanosMs(e.timeUnixNano), attrs: bounded(attributesOf(e), NONE, opts) });
  }
  return out;
}

// ---------------------------------------------------------------- entry

class Rejections {
  count = 0;
  message: string | undefined;
  add(n: number, why: string): void {
    if (n <= 0) return;
    this.count += n;
    this.message ??= why;
  }
}

export function normalize(signal: Signal, req: DecodedRequest, opts: IngestOptions): NormalizedBatch {
  const records: NormRecord[] = [];
  const rej = new Rejections();
  if (signal === 'logs') logRecords(req, opts, records, rej);
  else if (signal === 'metrics') metricRecords(req, opts, records, rej);
  else spanRecords(req, opts, records, rej);
  return { signal, records, rejected: rej.count, rejectMessage: rej.message };
}
