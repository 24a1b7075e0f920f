// forward.content = without-content: the request is decoded, the content removed and re-encoded in the
// same encoding (protobuf stays protobuf, OTLP/JSON stays JSON). Pure.
//
// Removed, in every signal (log records, spans, span events, metric points, resources: every
// `attributes` list):
//   - the attributes named in CONTENT_ATTRIBUTES (prompt text, assistant responses, tool inputs and
//     parameters incl. bash commands, tool results, GenAI message content), and any attribute whose key
//     ends in `_body` or `.body` (Claude Code's opt-in raw API request/response bodies);
//   - a log record's body, unless it is Claude Code's event name (`claude_code.user_prompt`...: a
//     string matching EVENT_NAME_BODY, no content).
// Kept: names, ids, models, tokens, costs, durations, sizes/lengths (`prompt_length`,
// `tool_input_size_bytes`), decisions, file paths, everything the ledger's totals are made of.
import { decodeRequest, type DecodedRequest } from '../otlp/decode';
import { otlpTypes } from '../otlp/otlpSchema';
import type { Signal } from '../otlp/records';
import type { Encoding } from '../otlp/responses';

export const CONTENT_ATTRIBUTES: readonly string[] = [
  'prompt', // user_prompt event (OTEL_LOG_USER_PROMPTS=1)
  'user_prompt', // interaction span
  'response', // assistant text on api_request events
  'tool_input', // tool_result/tool_decision events (OTEL_LOG_TOOL_DETAILS=1): file contents, edits
  'tool_parameters', // bash command, MCP arguments
  'tool_result',
  'full_command', // bash span
  'bash_command',
  'body',
  'gen_ai.prompt',
  'gen_ai.completion',
  'gen_ai.input.messages',
  'gen_ai.output.messages',
  'gen_ai.system_instructions',
];
const CONTENT_SET = new Set(CONTENT_ATTRIBUTES);
export const EVENT_NAME_BODY = /^claude_code\.[a-z0-9_.]{1,100}$/;

export function isContentAttribute(key: string): boolean {
  return CONTENT_SET.has(key) || key.endsWith('_body') || key.endsWith('.body');
}

/** Returns the payload without content, in the same encoding. Throws OtlpDecodeError for a bad body. */
export function stripContent(signal: Signal, encoding: Encoding, payload: Uint8Array): Uint8Array {
  if (encoding === 'json') {
    const text = quoteBigIntegers(new TextDecoder().decode(payload));
    const msg = JSON.parse(text) as unknown;
    strip(msg, false);
    return new TextEncoder().encode(JSON.stringify(msg));
  }
  const msg: DecodedRequest = decodeRequest(signal, 'protobuf', payload);
  strip(msg, false);
  const t = otlpTypes();
  const type = signal === 'logs' ? t.logsRequest : signal === 'metrics' ? t.metricsRequest : t.traceRequest;
  return type.encode(msg as never).finish();
}

type Obj = Record<string, unknown>;

function strip(node: unknown, isLogRecord: boolean): void {
  if (Array.isArray(node)) {
    for (const x of node) strip(x, isLogRecord);
    return;
  }
  if (node === null || typeof node !== 'object' || ArrayBuffer.isView(node)) return;
  const o = node as Obj;
  if (Array.isArray(o.attributes)) o.attributes = o.attributes.filter((a) => !(a && typeof a === 'object' && typeof (a as Obj).key === 'string' && isContentAttribute((a as Obj).key as string)));
  if (isLogRecord && o.body != null && !isEventNameBody(o.body)) delete o.body;
  for (const [k, v] of Object.entries(o)) {
    if (k === 'attributes' || k === 'body') continue; // attribute values and bodies hold no records
    if (v && typeof v === 'object') strip(v, k === 'logRecords' || k === 'log_records');
  }
}

function isEventNameBody(body: unknown): boolean {
  if (!body || typeof body !== 'object') return false;
  const b = body as Obj;
  const s = b.stringValue ?? b.string_value;
  return typeof s === 'string' && EVENT_NAME_BODY.test(s) && Object.keys(b).filter((k) => b[k] != null).length === 1;
}

/**
 * JSON.parse turns an integer beyond 2^53 (a nanosecond timestamp sent as a number) into a rounded
 * double. OTLP/JSON accepts int64 as strings, so integers of 16+ digits outside strings are quoted
 * before parsing: the re-encoded request carries the exact value.
 */
export function quoteBigIntegers(text: string): string {
  let out = '';
  let i = 0;
  let last = 0;
  const n = text.length;
  while (i < n) {
    const c = text.charCodeAt(i);
    if (c === 34 /* " */) {
      i++;
      while (i < n) {
        const d = text.charCodeAt(i);
        if (d === 92 /* \ */) i += 2;
        else if (d === 34) {
          i++;
          break;
        } else i++;
      }
      continue;
    }
    if ((c >= 48 && c <= 57) || c === 45 /* - */) {
      // One whole number token: sign, integer digits, then any fraction or exponent.
      const start = i;
      if (c === 45) i++;
      const intStart = i;
      while (i < n && text.charCodeAt(i) >= 48 && text.charCodeAt(i) <= 57) i++;
      const intDigits = i - intStart;
      let plain = true;
      while (i < n && /[0-9.eE+-]/.test(text[i])) {
        plain = false;
        i++;
      }
      if (plain && intDigits >= 16) {
        out += `${text.slice(last, start)}"${text.slice(start, i)}"`;
        last = i;
      }
      continue;
    }
    i++;
  }
  return last === 0 ? text : out + text.slice(last);
}
