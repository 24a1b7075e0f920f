// A scripted fake of the Anthropic Messages API on 127.0.0.1, so the real Claude Code CLI can run
// offline as a test peer (../../../shared notes: real-claude-code-offline.md).
//
// Why a script and not a model: the test must know the truth. Every answered /v1/messages request
// gets deterministic token counts, recorded in `usageLog`; Claude Code computes its own cost from
// them and reports both in its telemetry, which the tests compare against our decoder.
//
// Invariants:
// - A request that carries `tools` is a main-loop turn (the main agent's or a subagent's) and takes
//   the next entry of the scripted queue. A request without tools (title generation and other side
//   requests) gets a short text and is marked `kind: 'auxiliary'`.
// - Scripted errors are queue entries too: they answer one attempt each, so "529, 500, 429, text"
//   means three failed attempts and one success for the same logical request.
// - Every request is recorded (path, model, tool names, the last message incl. tool_result
//   content); unknown paths are logged and answered 404.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomBytes } from 'node:crypto';

export interface Usage {
  input_tokens: number;
  output_tokens: number;
  cache_read_input_tokens: number;
  cache_creation_input_tokens: number;
}

/** One scripted answer to a main-loop request. */
export type ScriptedTurn =
  | { kind: 'text'; text: string; usage?: Partial<Usage> }
  | {
      kind: 'tool_use';
      /** Any tool name: Write, Edit, Bash, Agent, mcp__<server>__<tool>... */
      name: string;
      input: Record<string, unknown>;
      /** Optional text block before the tool_use block. */
      text?: string;
      /** Defaults to toolu_fake0001, 0002... in the order tool uses are answered. */
      id?: string;
      usage?: Partial<Usage>;
    }
  | {
      kind: 'error';
      /** 529 overloaded, 500 api error, 429 rate limit, 400 invalid request... */
      status: number;
      /** Seconds, sent as `retry-after` (429). */
      retryAfterSec?: number;
      message?: string;
    };

export interface RecordedRequest {
  seq: number;
  t: string;
  method: string;
  /** Path without the query string (Claude Code appends `?beta=true`). */
  path: string;
  query: string;
  headers: Record<string, string>;
  kind?: 'main' | 'auxiliary' | 'count_tokens' | 'models' | 'probe' | 'unknown';
  model?: string;
  stream?: boolean;
  toolNames?: string[];
  nMessages?: number;
  /** The last message of the request, as sent (Claude Code sometimes ends with a system message). */
  lastMessage?: unknown;
  /** The last message with role "user", as sent (tool_result content included). */
  lastUserMessage?: unknown;
  /** tool_result blocks of lastUserMessage, their content flattened to text. */
  toolResults?: Array<{ toolUseId: string; isError: boolean; text: string }>;
  /** Index into the scripted queue that answered it (main requests only). */
  turnIndex?: number;
  /** What we answered. */
  reply?: { status: number; stopReason?: string; blocks?: string[]; requestId?: string };
}

export interface UsageLogEntry {
  /** Sequence number of the request in `requests`. */
  seq: number;
  kind: 'main' | 'auxiliary';
  requestId: string;
  model: string;
  usage: Usage;
}

export interface FakeAnthropicOptions {
  turns: ScriptedTurn[];
  /** 0 (default) picks a free port. */
  port?: number;
  /** Model id reported by /v1/models and used when a request names none. */
  defaultModel?: string;
  /** Called for each unknown path (default: a line on stderr), so a changed CLI is noticed. */
  onUnknownPath?: (method: string, path: string) => void;
  /**
   * Plan-limit headers on every successful /v1/messages answer, as the real API sends them to claude.ai
   * subscribers: `anthropic-ratelimit-unified-5h-utilization` (0..1) and `-5h-reset` (epoch seconds),
   * the same for `7d`, plus `-status: allowed`. Claude Code 2.1.197 reads them (its function that builds
   * `rate_limits` for the status line) only for claude.ai OAuth sessions: run it with
   * CLAUDE_CODE_OAUTH_TOKEN instead of ANTHROPIC_API_KEY. A function is read at each answer.
   */
  rateLimits?: RateLimitHeaders | (() => RateLimitHeaders);
}

export interface RateLimitHeaders {
  fiveHour?: { utilization: number; resetSec: number };
  sevenDay?: { utilization: number; resetSec: number };
}

/** The unified rate-limit headers of the real API for `r`. */
export function rateLimitHeaders(r: RateLimitHeaders | undefined): Record<string, string> {
  if (!r) return {};
  const h: Record<string, string> = { 'anthropic-ratelimit-unified-status': 'allowed' };
  for (const [abbrev, w] of [['5h', r.fiveHour], ['7d', r.sevenDay]] as const) {
    if (!w) continue;
    h[`anthropic-ratelimit-unified-${abbrev}-utilization`] = String(w.utilization);
    h[`anthropic-ratelimit-unified-${abbrev}-reset`] = String(w.resetSec);
  }
  return h;
}

export interface FakeAnthropic {
  url: string;
  port: number;
  requests: RecordedRequest[];
  /** One entry per successfully answered /v1/messages request: the token truth. */
  usageLog: UsageLogEntry[];
  /** Main-loop requests that found the scripted queue empty (answered with a plain text). */
  unscripted: number;
  /** Replace the queue and clear logs, to reuse one server across scenarios. */
  reset(turns: ScriptedTurn[]): void;
  /** Scripted turns not consumed yet. */
  remainingTurns(): number;
  close(): Promise<void>;
}

/**
 * Deterministic usage of the n-th successful answer (0-based), the same progression as the fixture
 * captures: input 1000 + 137n, output 40 + 11n, cache read 0 then 4096 + 512n, cache creation 2048
 * then 256. The numbers differ per turn on purpose, so a record counted twice or dropped shows.
 */
export function usageForAnswer(n: number): Usage {
  return {
    input_tokens: 1000 + 137 * n,
    output_tokens: 40 + 11 * n,
    cache_read_input_tokens: n === 0 ? 0 : 4096 + 512 * n,
    cache_creation_input_tokens: n === 0 ? 2048 : 256,
  };
}

/** Usage of side requests without tools (title generation...): small and distinct. */
const AUXILIARY_USAGE: Usage = {
  input_tokens: 50,
  output_tokens: 5,
  cache_read_input_tokens: 0,
  cache_creation_input_tokens: 0,
};

const ERROR_TYPES: Record<number, string> = {
  400: 'invalid_request_error',
  401: 'authentication_error',
  429: 'rate_limit_error',
  500: 'api_error',
  529: 'overloaded_error',
};

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

function redactHeaders(h: IncomingMessage['headers']): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(h)) {
    if (v === undefined) continue;
    out[k] = k === 'x-api-key' || k === 'authorization' ? '<redacted>' : Array.isArray(v) ? v.join(', ') : v;
  }
  return out;
}

function sse(res: ServerResponse, event: string, data: unknown): void {
  res.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
}

/** Split a string into a few chunks, as the real API streams input_json_delta in pieces. */
function chunks(s: string, parts: number): string[] {
  const size = Math.max(1, Math.ceil(s.length / parts));
  const out: string[] = [];
  for (let i = 0; i < s.length; i += size) out.push(s.slice(i, i + size));
  return out.length ? out : [''];
}

/** tool_result blocks of a user message, with their content (string or text blocks) as one string. */
function toolResultsOf(message: unknown): Array<{ toolUseId: string; isError: boolean; text: string }> {
  const content = (message as { content?: unknown } | undefined)?.content;
  if (!Array.isArray(content)) return [];
  return content
    .filter((b): b is { type: string; tool_use_id?: string; is_error?: boolean; content?: unknown } => b?.type === 'tool_result')
    .map((b) => ({
      toolUseId: String(b.tool_use_id ?? ''),
      isError: b.is_error === true,
      text:
        typeof b.content === 'string'
          ? b.content
          : Array.isArray(b.content)
            ? b.content.map((c: { text?: unknown }) => (typeof c?.text === 'string' ? c.text : '')).join('\n')
            : '',
    }));
}

type Block =
  | { type: 'text'; text: string }
  | { type: 'tool_use'; id: string; name: string; input: Record<string, unknown> };

export async function startFakeAnthropic(opts: FakeAnthropicOptions): Promise<FakeAnthropic> {
  const defaultModel = opts.defaultModel ?? 'claude-opus-4-8';
  const onUnknown =
    opts.onUnknownPath ??
    ((method: string, path: string) => process.stderr.write(`[fakeAnthropic] unknown path ${method} ${path} -> 404\n`));

  let queue: ScriptedTurn[] = [...opts.turns];
  let next = 0;
  let answers = 0;
  let toolUseCounter = 0;
  const state = {
    requests: [] as RecordedRequest[],
    usageLog: [] as UsageLogEntry[],
    unscripted: 0,
  };

  function newRequestId(): string {
    return `req_fake${randomBytes(12).toString('hex')}`;
  }

  function sendError(res: ServerResponse, rec: RecordedRequest, turn: Extract<ScriptedTurn, { kind: 'error' }>): void {
    const requestId = newRequestId();
    const headers: Record<string, string> = { 'content-type': 'application/json', 'request-id': requestId };
    if (turn.retryAfterSec !== undefined) headers['retry-after'] = String(turn.retryAfterSec);
    const type = ERROR_TYPES[turn.status] ?? 'api_error';
    const message = turn.message ?? (turn.status === 529 ? 'Overloaded' : turn.status === 429 ? 'Rate limited' : 'Internal server error');
    res.writeHead(turn.status, headers);
    res.end(JSON.stringify({ type: 'error', error: { type, message }, request_id: requestId }));
    rec.reply = { status: turn.status, requestId };
  }

  function sendMessage(
    res: ServerResponse,
    rec: RecordedRequest,
    kind: 'main' | 'auxiliary',
    model: string,
    stream: boolean,
    blocks: Block[],
    usage: Usage,
  ): void {
    const requestId = newRequestId();
    const stopReason = blocks.some((b) => b.type === 'tool_use') ? 'tool_use' : 'end_turn';
    const messageId = `msg_fake${randomBytes(10).toString('hex')}`;
    state.usageLog.push({ seq: rec.seq, kind, requestId, model, usage });
    rec.reply = {
      status: 200,
      stopReason,
      requestId,
      blocks: blocks.map((b) => (b.type === 'text' ? 'text' : `tool_use:${b.name}:${b.id}`)),
    };
    const limits = rateLimitHeaders(typeof opts.rateLimits === 'function' ? opts.rateLimits() : opts.rateLimits);
    if (!stream) {
      res.writeHead(200, { 'content-type': 'application/json', 'request-id': requestId, ...limits });
      res.end(
        JSON.stringify({
          id: messageId,
          type: 'message',
          role: 'assistant',
          model,
          content: blocks,
          stop_reason: stopReason,
          stop_sequence: null,
          usage,
        }),
      );
      return;
    }
    res.writeHead(200, {
      'content-type': 'text/event-stream',
      'cache-control': 'no-cache',
      'request-id': requestId,
      ...limits,
    });
    sse(res, 'message_start', {
      type: 'message_start',
      message: {
        id: messageId,
        type: 'message',
        role: 'assistant',
        model,
        content: [],
        stop_reason: null,
        stop_sequence: null,
        usage: { ...usage, output_tokens: 1 },
      },
    });
    blocks.forEach((b, index) => {
      if (b.type === 'text') {
        sse(res, 'content_block_start', { type: 'content_block_start', index, content_block: { type: 'text', text: '' } });
        for (const piece of chunks(b.text, 2)) {
          sse(res, 'content_block_delta', { type: 'content_block_delta', index, delta: { type: 'text_delta', text: piece } });
        }
      } else {
        sse(res, 'content_block_start', {
          type: 'content_block_start',
          index,
          content_block: { type: 'tool_use', id: b.id, name: b.name, input: {} },
        });
        for (const piece of chunks(JSON.stringify(b.input), 3)) {
          sse(res, 'content_block_delta', {
            type: 'content_block_delta',
            index,
            delta: { type: 'input_json_delta', partial_json: piece },
          });
        }
      }
      sse(res, 'content_block_stop', { type: 'content_block_stop', index });
    });
    // message_delta carries the final usage; the input-side counts are repeated (same values), as
    // the real API does, so a client reading either event gets the same numbers.
    sse(res, 'message_delta', {
      type: 'message_delta',
      delta: { stop_reason: stopReason, stop_sequence: null },
      usage,
    });
    sse(res, 'message_stop', { type: 'message_stop' });
    res.end();
  }

  async function handleMessages(req: IncomingMessage, res: ServerResponse, rec: RecordedRequest): Promise<void> {
    const raw = await readBody(req);
    let body: {
      model?: string;
      stream?: boolean;
      tools?: Array<{ name?: string }>;
      messages?: unknown[];
    };
    try {
      body = JSON.parse(raw.toString('utf8'));
    } catch (err) {
      res.writeHead(400, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ type: 'error', error: { type: 'invalid_request_error', message: `bad JSON: ${String(err)}` } }));
      rec.reply = { status: 400 };
      return;
    }
    const model = body.model ?? defaultModel;
    const stream = body.stream === true;
    const tools = Array.isArray(body.tools) ? body.tools : [];
    rec.model = model;
    rec.stream = stream;
    rec.toolNames = tools.map((t) => String(t.name ?? '')).sort();
    rec.nMessages = Array.isArray(body.messages) ? body.messages.length : 0;
    const messages = Array.isArray(body.messages) ? (body.messages as Array<{ role?: string; content?: unknown }>) : [];
    rec.lastMessage = messages[messages.length - 1];
    rec.lastUserMessage = [...messages].reverse().find((m) => m?.role === 'user');
    rec.toolResults = toolResultsOf(rec.lastUserMessage);

    if (tools.length === 0) {
      rec.kind = 'auxiliary';
      sendMessage(res, rec, 'auxiliary', model, stream, [{ type: 'text', text: 'Scripted side answer.' }], { ...AUXILIARY_USAGE });
      return;
    }
    rec.kind = 'main';
    if (next >= queue.length) {
      state.unscripted++;
      process.stderr.write(`[fakeAnthropic] main-loop request #${rec.seq} found the script empty; answering "Done."\n`);
      const usage = usageForAnswer(answers++);
      sendMessage(res, rec, 'main', model, stream, [{ type: 'text', text: 'Done.' }], usage);
      return;
    }
    rec.turnIndex = next;
    const turn = queue[next++];
    if (turn.kind === 'error') {
      sendError(res, rec, turn);
      return;
    }
    const usage = { ...usageForAnswer(answers++), ...turn.usage };
    const blocks: Block[] = [];
    if (turn.kind === 'text') {
      blocks.push({ type: 'text', text: turn.text });
    } else {
      if (turn.text) blocks.push({ type: 'text', text: turn.text });
      const id = turn.id ?? `toolu_fake${String(++toolUseCounter).padStart(4, '0')}`;
      blocks.push({ type: 'tool_use', id, name: turn.name, input: turn.input });
    }
    sendMessage(res, rec, 'main', model, stream, blocks, usage);
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const rec: RecordedRequest = {
      seq: state.requests.length,
      t: new Date().toISOString(),
      method: req.method ?? '',
      path: url.pathname,
      query: url.search,
      headers: redactHeaders(req.headers),
    };
    state.requests.push(rec);
    const { pathname } = url;
    if (req.method === 'POST' && pathname === '/v1/messages') {
      await handleMessages(req, res, rec);
      return;
    }
    if (req.method === 'POST' && pathname === '/v1/messages/count_tokens') {
      await readBody(req);
      rec.kind = 'count_tokens';
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ input_tokens: 100 }));
      rec.reply = { status: 200 };
      return;
    }
    if (req.method === 'GET' && (pathname === '/v1/models' || pathname.startsWith('/v1/models/'))) {
      rec.kind = 'models';
      const model = { type: 'model', id: defaultModel, display_name: 'Fake Opus', created_at: '2025-01-01T00:00:00Z' };
      const id = decodeURIComponent(pathname.slice('/v1/models/'.length));
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(
        JSON.stringify(
          pathname === '/v1/models' ? { data: [model], has_more: false, first_id: model.id, last_id: model.id } : { ...model, id },
        ),
      );
      rec.reply = { status: 200 };
      return;
    }
    if (req.method === 'HEAD' && pathname === '/') {
      // Claude Code probes the base URL once before the first message.
      rec.kind = 'probe';
      res.writeHead(200);
      res.end();
      rec.reply = { status: 200 };
      return;
    }
    await readBody(req);
    rec.kind = 'unknown';
    onUnknown(req.method ?? '', pathname);
    res.writeHead(404, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ type: 'error', error: { type: 'not_found_error', message: `no route ${pathname}` } }));
    rec.reply = { status: 404 };
  }

  const server: Server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      // Not swallowed: logged, and the client gets a 500 it will report.
      process.stderr.write(`[fakeAnthropic] handler failed: ${err instanceof Error ? err.stack : String(err)}\n`);
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ type: 'error', error: { type: 'api_error', message: 'fake handler failed' } }));
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;

  return {
    url: `http://127.0.0.1:${port}`,
    port,
    get requests() {
      return state.requests;
    },
    get usageLog() {
      return state.usageLog;
    },
    get unscripted() {
      return state.unscripted;
    },
    reset(turns: ScriptedTurn[]) {
      queue = [...turns];
      next = 0;
      answers = 0;
      toolUseCounter = 0;
      state.requests = [];
      state.usageLog = [];
      state.unscripted = 0;
    },
    remainingTurns: () => queue.length - next,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((err) => (err ? reject(err) : resolve()));
      }),
  };
}

/** Sum of usage over a usage log, by token type (the truth the telemetry must match). */
export function sumUsage(log: readonly UsageLogEntry[]): Usage {
  const total: Usage = { input_tokens: 0, output_tokens: 0, cache_read_input_tokens: 0, cache_creation_input_tokens: 0 };
  for (const e of log) {
    total.input_tokens += e.usage.input_tokens;
    total.output_tokens += e.usage.output_tokens;
    total.cache_read_input_tokens += e.usage.cache_read_input_tokens;
    total.cache_creation_input_tokens += e.usage.cache_creation_input_tokens;
  }
  return total;
}
