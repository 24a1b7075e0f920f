// Transcript line splitter and parser: real transcripts of the captured runs (checked against the OTLP
// of the same runs) and crafted lines for every skip reason and format variant.
import { test } from 'node:test';
import { readFileSync } from 'node:fs';
import assert from 'node:assert/strict';
import { lineDeltaOf } from '../../src/core/otlp/lineCounts';
import { LineSplitter, splitLines } from '../../src/core/transcripts/lineSplitter';
import { compareUsage, mergeUsage, parseTranscriptLine, repoOf } from '../../src/core/transcripts/parse';
import {
  SKIP_REASONS,
  type ParseContext,
  type ParseSkip,
  type TranscriptItem,
  type TranscriptRequest,
  type TranscriptToolUse,
  type TranscriptUsage,
} from '../../src/core/transcripts/transcriptRecords';
import type { ApiRequestEvent, ToolResultEvent, UserPromptEvent } from '../../src/core/otlp/records';
import { otlpRecords, parseFile, scenarios, transcriptFiles } from './transcriptFixtures';

const enc = (s: string) => new TextEncoder().encode(s);
const CTX: ParseContext = { projectDir: '-home-dev-projects-acme-web', fileSessionId: 'file-session', isSubagent: false, storePromptText: false, storeCommands: true, maxCommandChars: 500 };
const parse = (o: unknown, ctx: Partial<ParseContext> = {}) => parseTranscriptLine(typeof o === 'string' ? o : JSON.stringify(o), { ...CTX, ...ctx });
const items = (o: unknown, ctx: Partial<ParseContext> = {}): TranscriptItem[] => {
  const r = parse(o, ctx);
  assert.ok(Array.isArray(r), `expected items, got ${JSON.stringify(r)}`);
  return r;
};
const skipOf = (o: unknown, ctx: Partial<ParseContext> = {}): ParseSkip => {
  const r = parse(o, ctx);
  assert.ok(!Array.isArray(r), `expected a skip, got ${JSON.stringify(r)}`);
  return r;
};
const ofKind = <K extends TranscriptItem['kind']>(xs: TranscriptItem[], k: K) => xs.filter((x): x is Extract<TranscriptItem, { kind: K }> => x.kind === k);

// ------------------------------------------------------------------ fixtures vs OTLP of the same run

for (const scenario of scenarios) {
  test(`${scenario}: transcript requests (largest usage per request id) equal OTLP api_request tokens`, () => {
    const files = transcriptFiles(scenario);
    assert.ok(files.length > 0, 'fixture transcripts copied');
    const merged = new Map<string, TranscriptRequest>();
    for (const f of files) {
      const { items: xs, skips } = parseFile(f);
      assert.deepEqual(skips, [], 'no skipped lines in a real transcript');
      for (const r of ofKind(xs, 'request')) {
        assert.ok(r.requestId, 'request id present');
        const prev = merged.get(r.requestId!);
        merged.set(r.requestId!, prev ? { ...prev, usage: mergeUsage(prev.usage, r.usage) } : r);
      }
    }
    const otlp = new Map(
      otlpRecords(scenario)
        .filter((r): r is ApiRequestEvent => r.kind === 'apiRequest')
        .map((r) => [r.requestId!, r]),
    );
    assert.ok(merged.size > 0);
    for (const [id, r] of merged) {
      const o = otlp.get(id);
      assert.ok(o, `${id}: OTLP api_request of the same id`);
      assert.deepEqual(
        { input: r.usage.input, output: r.usage.output, cacheRead: r.usage.cacheRead, cacheCreation: r.usage.cacheCreation, model: r.modelNorm, speed: r.speed },
        { input: o.inputTokens, output: o.outputTokens, cacheRead: o.cacheReadTokens, cacheCreation: o.cacheCreationTokens, model: o.modelNorm, speed: o.speed },
        id,
      );
      assert.equal(r.sessionId, o.sessionId);
    }
  });

  test(`${scenario}: tool uses give OTLP's line counts; prompts OTLP's ids and lengths`, () => {
    const otlp = otlpRecords(scenario);
    const toolResults = new Map(
      otlp.filter((r): r is ToolResultEvent => r.kind === 'toolResult' && r.toolUseId !== undefined).map((r) => [r.toolUseId!, r]),
    );
    const prompts = otlp.filter((r): r is UserPromptEvent => r.kind === 'userPrompt');
    let compared = 0;
    for (const f of transcriptFiles(scenario)) {
      const { items: xs } = parseFile(f, { storePromptText: true });
      for (const t of ofKind(xs, 'toolUse')) {
        const o = toolResults.get(t.toolUseId!);
        if (!o) continue; // denied tools have no tool_result event
        assert.equal(t.toolName === o.toolName || o.toolName === 'mcp_tool', true, `${t.toolUseId} tool name`);
        if (o.linesAdded !== undefined) {
          assert.deepEqual([t.linesAdded, t.linesRemoved], [o.linesAdded, o.linesRemoved], `${t.toolUseId} lines`);
          compared++;
        }
        if (o.filePath !== undefined) assert.equal(t.filePath, o.filePath);
        if (o.command !== undefined) assert.equal(t.command, o.command);
        if (o.mcpServer !== undefined && t.mcpServer) assert.equal(t.mcpServer, o.mcpServer);
      }
      const tp = ofKind(xs, 'prompt');
      assert.equal(tp.length, prompts.length, 'one transcript prompt per OTLP user_prompt');
      for (const p of tp) {
        const o = prompts.find((x) => x.promptId === p.promptId);
        assert.ok(o, `prompt ${p.promptId} in OTLP`);
        if (o.promptLength !== undefined) assert.equal(p.length, o.promptLength);
        if (o.promptText !== undefined && o.promptText !== '<REDACTED>') assert.equal(p.text, o.promptText);
      }
    }
    // Scenarios whose OTLP carries tool_input for Write and Edit compare both.
    if (/write-edit/.test(scenario)) assert.ok(compared >= 2, `${scenario}: ${compared} line counts compared`);
  });
}

test('fixture sessions: session fields and repo from cwd', () => {
  const { items: xs } = parseFile(transcriptFiles('b-write-edit-bash')[0]);
  const s = ofKind(xs, 'session')[0];
  assert.deepEqual(
    { cwd: s.cwd, gitBranch: s.gitBranch, version: s.version, entrypoint: s.entrypoint, sessionId: s.sessionId },
    { cwd: '/home/dev/projects/acme-web', gitBranch: 'HEAD', version: '2.1.197', entrypoint: 'sdk-cli', sessionId: '4781e320-d350-4937-a649-b56fa707eee7' },
  );
  assert.equal(repoOf(s.cwd, '-home-dev-projects-acme-web'), 'acme-web');
  // Denied tools are marked by their tool_result.
  const denied = ofKind(parseFile(transcriptFiles('c-denied-tool')[0]).items, 'toolResult');
  assert.ok(denied.length > 0 && denied.every((r) => r.isError));
});

// ------------------------------------------------------------------ crafted lines

const USAGE = {
  input_tokens: 10,
  cache_creation_input_tokens: 300,
  cache_read_input_tokens: 2000,
  output_tokens: 1,
  server_tool_use: { web_search_requests: 2, web_fetch_requests: 1 },
  service_tier: 'standard',
  cache_creation: { ephemeral_1h_input_tokens: 100, ephemeral_5m_input_tokens: 200 },
  inference_geo: 'us',
  speed: 'fast',
};
const assistant = (over: Record<string, unknown> = {}, msg: Record<string, unknown> = {}, usage: Record<string, unknown> = {}) => ({
  parentUuid: null,
  isSidechain: false,
  type: 'assistant',
  uuid: 'u-1',
  timestamp: '2026-11-21T19:46:28.440Z',
  sessionId: 'sess-1',
  cwd: '/home/me/code/my-repo',
  gitBranch: 'main',
  version: '2.1.300',
  entrypoint: 'cli',
  requestId: 'req_1',
  message: { id: 'msg_1', type: 'message', role: 'assistant', model: 'claude-sonnet-4-5-20250929[1m]', content: [{ type: 'text', text: 'secret model output' }], usage: { ...USAGE, ...usage }, ...msg },
  ...over,
});

test('assistant line: request with every usage field, speed standard -> normal, no model output kept', () => {
  const xs = items(assistant());
  const r = ofKind(xs, 'request')[0];
  assert.deepEqual(r, {
    kind: 'request',
    sessionId: 'sess-1',
    requestId: 'req_1',
    messageId: 'msg_1',
    uuid: 'u-1',
    timeMs: Date.parse('2026-11-21T19:46:28.440Z'),
    model: 'claude-sonnet-4-5-20250929[1m]',
    modelNorm: 'claude-sonnet-4-5-20250929',
    usage: { input: 10, output: 1, cacheRead: 2000, cacheCreation: 300, cacheCreation5m: 200, cacheCreation1h: 100, webSearchRequests: 2, webFetchRequests: 1 },
    speed: 'fast',
    inferenceGeo: 'us',
    serviceTier: 'standard',
    isSidechain: false,
    agentId: undefined,
    cwd: '/home/me/code/my-repo',
    gitBranch: 'main',
    version: '2.1.300',
    entrypoint: 'cli',
  });
  assert.equal(ofKind(items(assistant({}, {}, { speed: 'standard' })), 'request')[0].speed, 'normal');
  assert.ok(!JSON.stringify(xs).includes('secret model output'));
  // Old versions: no requestId, no breakdown, no server_tool_use.
  const old = ofKind(items(assistant({ requestId: undefined }, {}, { cache_creation: undefined, server_tool_use: undefined, speed: undefined, inference_geo: '' })), 'request')[0];
  assert.equal(old.requestId, undefined);
  assert.equal(old.usage.cacheCreation5m, undefined);
  assert.equal(old.usage.webSearchRequests, 0);
  assert.equal(old.speed, undefined);
  assert.equal(old.inferenceGeo, undefined);
});

test('streaming snapshots of one message: the larger usage wins, whatever the order', () => {
  const first = ofKind(items(assistant({ uuid: 'a' }, {}, { output_tokens: 1 })), 'request')[0];
  const last = ofKind(items(assistant({ uuid: 'b' }, { content: [{ type: 'tool_use', id: 't', name: 'Read', input: { file_path: '/x.ts' } }] }, { output_tokens: 412 })), 'request')[0];
  assert.equal(first.messageId, last.messageId);
  assert.equal(first.requestId, last.requestId);
  assert.equal(mergeUsage(first.usage, last.usage).output, 412);
  assert.equal(mergeUsage(last.usage, first.usage).output, 412);
  assert.equal(mergeUsage(mergeUsage(first.usage, last.usage), first.usage), last.usage);
  // Same output: the larger total wins; equal: the first kept.
  const u = (o: Partial<TranscriptUsage>): TranscriptUsage => ({ input: 0, output: 5, cacheRead: 0, cacheCreation: 0, webSearchRequests: 0, webFetchRequests: 0, ...o });
  assert.equal(mergeUsage(u({ input: 1 }), u({ input: 2 })).input, 2);
  const a = u({});
  assert.equal(mergeUsage(a, u({})), a);
  assert.ok(compareUsage(u({ output: 6 }), u({ input: 1000 })) > 0);
});

test('<synthetic> and API error lines are not requests', () => {
  assert.deepEqual(skipOf(assistant({}, { model: '<synthetic>' })), { skip: 'synthetic' });
  assert.deepEqual(skipOf(assistant({ isApiErrorMessage: true }, { model: '<synthetic>' })), { skip: 'api_error_message' });
  assert.deepEqual(skipOf(assistant({ isApiErrorMessage: true })), { skip: 'api_error_message' });
});

test('every skip reason', () => {
  const seen = new Set<string>();
  const note = (r: ParseSkip | { reason: string }) => seen.add('skip' in r ? r.skip : r.reason);
  note(skipOf('{"type":"assistant",'));
  assert.equal(skipOf('{"type":"assistant",').skip, 'malformed_json');
  for (const v of ['[1,2]', '"x"', '42', 'null', 'true']) note(skipOf(v));
  assert.deepEqual(skipOf('null'), { skip: 'not_an_object', detail: 'null' });
  note(skipOf(assistant({}, { model: '<synthetic>' })));
  note(skipOf(assistant({ isApiErrorMessage: true })));
  for (const [field, v] of [['output_tokens', -1], ['input_tokens', 1.5], ['cache_read_input_tokens', 1e9], ['input_tokens', 'lots'], ['output_tokens', 2 ** 53]] as const) {
    const s = skipOf(assistant({}, {}, { [field]: v }));
    assert.deepEqual(s, { skip: 'out_of_range', detail: `usage.${field}` });
    note(s);
  }
  assert.deepEqual(skipOf(assistant({}, {}, { cache_creation: { ephemeral_1h_input_tokens: -5 } })), { skip: 'out_of_range', detail: 'usage.cache_creation.ephemeral_1h_input_tokens' });
  assert.deepEqual(skipOf(assistant({}, {}, { server_tool_use: { web_search_requests: 1e10 } })), { skip: 'out_of_range', detail: 'usage.server_tool_use.web_search_requests' });
  // A digit string is tolerated (OTLP tolerates numbers sent as strings too).
  assert.equal(ofKind(items(assistant({}, {}, { input_tokens: '12' })), 'request')[0].usage.input, 12);
  // Splitter reasons.
  const long = splitLines(enc(`${'x'.repeat(50)}\n`), 0, false, 10);
  long.skipped.forEach(note);
  splitLines(new Uint8Array([0x7b, 0xff, 0xfe, 0x7d, 0x0a]), 0).skipped.forEach(note);
  splitLines(new Uint8Array([0x7b, 0x00, 0x7d, 0x0a]), 0).skipped.forEach(note);
  assert.deepEqual([...seen].sort(), [...SKIP_REASONS].sort());
});

test('unknown record types and fields are tolerated: [] or a session item', () => {
  assert.deepEqual(items({ type: 'queue-operation', operation: 'enqueue', content: 'a prompt', sessionId: 's' }), []);
  assert.deepEqual(items({ type: 'file-history-snapshot', messageId: 'm', snapshot: {} }), []);
  assert.deepEqual(items({ type: 'brand-new-type-2027', whatever: [1, 2, 3] }), []);
  assert.deepEqual(items(''), []);
  assert.deepEqual(items('   '), []);
  const xs = items({ type: 'brand-new-type-2027', sessionId: 's', cwd: '/a/b', version: '9.9.9', timestamp: '2027-01-01T00:00:00Z' });
  assert.deepEqual(xs, [{ kind: 'session', sessionId: 's', timeMs: Date.parse('2027-01-01T00:00:00Z'), cwd: '/a/b', version: '9.9.9' }]);
  // Assistant line with a new content block type and no usage: tolerated, no request.
  assert.deepEqual(ofKind(items(assistant({}, { usage: undefined, content: [{ type: 'new_block' }] })), 'request'), []);
  // Unknown usage fields tolerated.
  assert.equal(ofKind(items(assistant({}, {}, { brand_new_tokens: 5, iterations: [{ x: 1 }] })), 'request').length, 1);
  // Bad timestamp: no time, still parsed.
  assert.equal(ofKind(items(assistant({ timestamp: 'yesterday' })), 'request')[0].timeMs, undefined);
  // Out of any plausible range (a damaged number would put a request in 1970 or year 30000): no time either.
  for (const t of [-1e15, 1e15, '1969-12-31T00:00:00Z', '2200-01-01T00:00:00Z']) {
    assert.equal(ofKind(items(assistant({ timestamp: t })), 'request')[0].timeMs, undefined, String(t));
  }
  // BOM at the start of a file's first line.
  assert.equal(ofKind(items(`\ufeff${JSON.stringify(assistant())}`), 'request').length, 1);
});

test('never throws: prototype-named types and fields, mutated and truncated real lines', () => {
  for (const t of ['constructor', '__proto__', 'toString', 'hasOwnProperty', 'valueOf']) {
    assert.ok(Array.isArray(parse({ type: t, sessionId: 's', [t]: 1 })), t);
    assert.ok(Array.isArray(parse({ type: 'assistant', message: { [t]: 1, usage: { [t]: 2 }, content: [{ type: 'tool_use', name: t, input: { [t]: 3 } }] } })), t);
  }
  const values: unknown[] = [null, 0, -1, 1e300, 'x', [], {}, [null], { a: 1 }, true];
  let n = 0;
  for (const scenario of scenarios) {
    for (const f of transcriptFiles(scenario)) {
      const { lines } = splitLines(readFileSync(f), 0);
      for (const l of lines) {
        for (const cut of [1, 7, Math.floor(l.text.length / 2), l.text.length - 1]) parse(l.text.slice(0, cut));
        const paths: (string[])[] = [['type'], ['message'], ['message', 'content'], ['message', 'usage'], ['message', 'model'], ['message', 'usage', 'cache_creation'], ['message', 'usage', 'server_tool_use'], ['sessionId'], ['timestamp'], ['isSidechain'], ['requestId'], ['cwd']];
        for (const path of paths) {
          for (const v of values) {
            const c = JSON.parse(l.text) as Record<string, unknown>;
            let at: Record<string, unknown> | undefined = c;
            for (const k of path.slice(0, -1)) at = at && typeof at[k] === 'object' && at[k] !== null ? (at[k] as Record<string, unknown>) : undefined;
            if (!at) continue;
            at[path[path.length - 1]] = v;
            const r = parse(c);
            assert.ok(Array.isArray(r) || typeof r.skip === 'string');
            n++;
          }
        }
      }
    }
  }
  assert.ok(n > 1000);
});

test('subagent lines: isSidechain, agentId (line or file name)', () => {
  const r = ofKind(items(assistant({ isSidechain: true, agentId: 'a1b2c3' })), 'request')[0];
  assert.equal(r.isSidechain, true);
  assert.equal(r.agentId, 'a1b2c3');
  const f = ofKind(items(assistant(), { isSubagent: true, fileAgentId: 'fromfile' }), 'request')[0];
  assert.equal(f.isSidechain, true);
  assert.equal(f.agentId, 'fromfile');
  // The subagent's task, written as a user line by the parent agent, is not a user prompt.
  const task = { type: 'user', isSidechain: true, agentId: 'a1b2c3', sessionId: 'sess-1', message: { role: 'user', content: 'Search the repo for X' } };
  assert.deepEqual(ofKind(items(task), 'prompt'), []);
});

test('Write/Edit/MultiEdit/NotebookEdit: the same line counts as lineCounts.ts on the same input; no contents returned', () => {
  const inputs: [string, Record<string, unknown>][] = [
    ['Write', { file_path: '/r/a.py', content: 'SECRET1\nb\nc\n' }],
    ['Edit', { file_path: '/r/b.ts', old_string: 'x\nSECRET2\nz', new_string: 'x\ny2\ny3\nz', replace_all: false }],
    ['MultiEdit', { file_path: '/r/c.md', edits: [{ old_string: 'a', new_string: 'SECRET3\nb' }, { old_string: 'c\nd', new_string: '' }, 'junk'] }],
    ['NotebookEdit', { notebook_path: '/r/n.ipynb', new_source: 'SECRET4\nprint(1)', edit_mode: 'insert' }],
    ['NotebookEdit', { notebook_path: '/r/n.ipynb', edit_mode: 'delete' }],
    ['Write', { file_path: '/r/redacted.py' }],
  ];
  const content = inputs.map(([name, input], i) => ({ type: 'tool_use', id: `t${i}`, name, input }));
  const xs = ofKind(items(assistant({}, { content })), 'toolUse');
  assert.equal(xs.length, inputs.length);
  inputs.forEach(([name, input], i) => {
    const d = lineDeltaOf(name, input);
    assert.deepEqual([xs[i].linesAdded, xs[i].linesRemoved], [d?.added, d?.removed], `${name} #${i}`);
    assert.equal(xs[i].toolUseId, `t${i}`);
  });
  assert.deepEqual([xs[0].filePath, xs[0].language, xs[3].filePath, xs[3].language], ['/r/a.py', 'Python', '/r/n.ipynb', 'Jupyter Notebook']);
  assert.ok(!/SECRET/.test(JSON.stringify(xs)));
});

test('Bash commands bounded like OTLP; MCP names split', () => {
  const cmd = `ls -la ${'x'.repeat(600)}`;
  const content = [
    { type: 'tool_use', id: 'b', name: 'Bash', input: { command: cmd, description: 'list' } },
    { type: 'tool_use', id: 'm', name: 'mcp__github__create_issue', input: { title: 't' } },
    { type: 'tool_use', id: 'w', name: 'WebSearch', input: { query: 'q' } },
  ];
  const [bash, mcp, ws] = ofKind(items(assistant({}, { content })), 'toolUse') as TranscriptToolUse[];
  assert.equal(bash.command, `${cmd.slice(0, 500)}…`);
  assert.equal(ofKind(items(assistant({}, { content })), 'toolUse')[0].command?.length, 501);
  assert.equal((ofKind(items(assistant({}, { content }), { storeCommands: false }), 'toolUse')[0] as TranscriptToolUse).command, 'ls');
  assert.deepEqual([mcp.mcpServer, mcp.mcpTool], ['github', 'create_issue']);
  assert.deepEqual([ws.toolName, ws.command, ws.mcpServer], ['WebSearch', undefined, undefined]);
});

test('prompts: text only with storePromptText; tool results, meta and command output are not prompts', () => {
  const user = (content: unknown, over: Record<string, unknown> = {}) => ({ type: 'user', sessionId: 'sess-1', promptId: 'p-1', uuid: 'u', timestamp: '2026-11-21T19:46:28.379Z', message: { role: 'user', content }, ...over });
  const p = ofKind(items(user('Fix the bug in auth.ts')), 'prompt')[0];
  assert.deepEqual(p, { kind: 'prompt', sessionId: 'sess-1', promptId: 'p-1', uuid: 'u', timeMs: Date.parse('2026-11-21T19:46:28.379Z'), length: 22 });
  assert.equal(ofKind(items(user('Fix the bug in auth.ts'), { storePromptText: true }), 'prompt')[0].text, 'Fix the bug in auth.ts');
  assert.equal(ofKind(items(user('y'.repeat(50)), { storePromptText: true, maxPromptChars: 10 }), 'prompt')[0].text, 'y'.repeat(10));
  // Text blocks (with an image) are a prompt.
  const blocks = ofKind(items(user([{ type: 'text', text: 'look' }, { type: 'image', source: { type: 'base64', data: 'AAAA' } }]), { storePromptText: true }), 'prompt')[0];
  assert.deepEqual([blocks.length, blocks.text], [4, 'look']);
  // Not prompts.
  for (const [what, line] of [
    ['tool result', user([{ type: 'tool_result', tool_use_id: 't', content: 'ok' }], { toolUseResult: { type: 'create' } })],
    ['meta', user('Caveat: the messages below were generated by the user while running local commands.', { isMeta: true })],
    ['slash command', user('<command-name>/model</command-name>\n<command-message>model</command-message>')],
    ['command output', user('<local-command-stdout>Set model to opus</local-command-stdout>')],
    ['interrupt', user([{ type: 'text', text: '[Request interrupted by user]' }])],
    ['compact summary', user('This session is being continued from a previous conversation...', { isCompactSummary: true })],
    ['empty blocks', user([])],
  ] as const) {
    assert.deepEqual(ofKind(items(line, { storePromptText: true }), 'prompt'), [], what);
  }
  const tr = ofKind(items(user([{ type: 'tool_result', tool_use_id: 't9', content: 'denied', is_error: true }])), 'toolResult');
  assert.deepEqual(tr.map((r) => [r.toolUseId, r.isError]), [['t9', true]]);
});

test('titles: only with storePromptText (prompt-derived text); summary records without sessionId use the file session', () => {
  assert.deepEqual(items({ type: 'summary', summary: 'Fix auth bug', leafUuid: 'x' }), []);
  assert.deepEqual(items({ type: 'summary', summary: 'Fix auth bug', leafUuid: 'x' }, { storePromptText: true }), [
    { kind: 'session', sessionId: 'file-session', timeMs: undefined, title: 'Fix auth bug', titleSource: 'summary' },
  ]);
  assert.equal((items({ type: 'custom-title', customTitle: 'Mine', sessionId: 's' }, { storePromptText: true })[0] as { title?: string }).title, 'Mine');
  assert.equal((items({ type: 'ai-title', aiTitle: 'Generated', sessionId: 's' }, { storePromptText: true })[0] as { titleSource?: string }).titleSource, 'ai-title');
});

test('repoOf: basename of cwd, else a best-effort name from the project folder', () => {
  assert.equal(repoOf('/home/dev/projects/acme-web', 'x'), 'acme-web');
  assert.equal(repoOf('/home/dev/projects/acme-web/', 'x'), 'acme-web');
  assert.equal(repoOf('C:\\Users\\me\\src\\api', 'x'), 'api');
  assert.equal(repoOf(undefined, '-home-dev-projects-acme-web'), 'projects-acme-web');
  assert.equal(repoOf(undefined, 'C--Users-me-src-api'), 'src-api');
  assert.equal(repoOf(undefined, '-Users-me-api'), 'api');
  assert.equal(repoOf('', '-srv-app'), 'srv-app');
});

// ------------------------------------------------------------------ splitter

test('splitter: complete lines with offsets; a half line is left for later', () => {
  const text = '{"a":1}\n{"b":2}\n{"c":';
  const r = splitLines(enc(text), 100);
  assert.deepEqual(r.lines, [
    { start: 100, end: 108, text: '{"a":1}' },
    { start: 108, end: 116, text: '{"b":2}' },
  ]);
  assert.equal(r.next, 116);
  assert.equal(r.skipping, false);
  // The writer completes the line: reading from `next` gives it whole.
  const r2 = splitLines(enc('{"c":3}\n'), r.next);
  assert.deepEqual(r2.lines, [{ start: 116, end: 124, text: '{"c":3}' }]);
  assert.equal(r2.next, 124);
});

test('splitter: CRLF, empty lines, empty buffer, multi-byte UTF-8', () => {
  const r = splitLines(enc('{"a":"é€😀"}\r\n\r\n\n{"b":2}\r\n'), 0);
  assert.deepEqual(r.lines.map((l) => l.text), ['{"a":"é€😀"}', '{"b":2}']);
  assert.equal(r.next, enc('{"a":"é€😀"}\r\n\r\n\n{"b":2}\r\n').length);
  assert.deepEqual(splitLines(new Uint8Array(0), 42), { lines: [], skipped: [], next: 42, skipping: false });
});

test('splitter: an over-long line is skipped once and reading resumes after it, across calls', () => {
  // Complete in one buffer.
  const r = splitLines(enc(`${'x'.repeat(20)}\n{"ok":1}\n`), 0, false, 10);
  assert.deepEqual(r.skipped, [{ start: 0, end: 21, reason: 'too_long' }]);
  assert.deepEqual(r.lines, [{ start: 21, end: 30, text: '{"ok":1}' }]);
  // Spread over three reads.
  const a = splitLines(enc('{"ok":0}\nxxxxxxxxxxxxxxx'), 0, false, 10);
  assert.deepEqual(a.lines.map((l) => l.text), ['{"ok":0}']);
  assert.deepEqual(a.skipped, [{ start: 9, end: 24, reason: 'too_long' }]);
  assert.deepEqual([a.next, a.skipping], [24, true]);
  const b = splitLines(enc('yyyyyyyyyyyy'), a.next, a.skipping, 10);
  assert.deepEqual([b.lines, b.skipped, b.next, b.skipping], [[], [], 36, true]);
  const c = splitLines(enc('zz\n{"ok":1}\n'), b.next, b.skipping, 10);
  assert.deepEqual(c.lines, [{ start: 39, end: 48, text: '{"ok":1}' }]);
  assert.deepEqual([c.skipped, c.next, c.skipping], [[], 48, false]);
});

test('splitter: invalid UTF-8 and binary lines are skipped, the next good line is read; leading NUL padding dropped', () => {
  const bytes = new Uint8Array([...enc('{"a":"'), 0xc3, 0x28, ...enc('"}\n'), 0, 1, 2, 0xff, 0, ...enc('\n'), 0, 0, 0, ...enc('{"b":1}\n{"c":1}\n')]);
  const r = splitLines(bytes, 0);
  assert.deepEqual(r.skipped.map((s) => s.reason), ['invalid_utf8', 'binary']);
  assert.deepEqual(r.lines.map((l) => l.text), ['{"b":1}', '{"c":1}']);
  assert.equal(r.next, bytes.length);
  // A buffer of NULs only (a zero-filled tail) is not a line until a newline ends it.
  assert.deepEqual(splitLines(new Uint8Array(16), 0).next, 0);
});

test('LineSplitter: any chunking gives the same lines, skips and final position', () => {
  const good = (i: number) => JSON.stringify({ type: 'assistant', i, s: 'é'.repeat(i % 7) });
  const parts = [good(1), 'x'.repeat(40), good(2), '', good(3), 'y'.repeat(25), good(4)];
  const text = `${parts.join('\n')}\n${good(5).slice(0, 8)}`; // half-written last line
  const bytes = new Uint8Array([...enc(text.slice(0, 50)), 0xff, 0xfe, ...enc(`\n${text.slice(50)}`)]);
  const whole = splitLines(bytes, 7, false, 30);
  for (const size of [1, 2, 3, 5, 8, 13, 29, 31, 64, bytes.length]) {
    const sp = new LineSplitter(7, false, 30);
    const lines: unknown[] = [];
    const skipped: unknown[] = [];
    for (let i = 0; i < bytes.length; i += size) {
      const r = sp.push(bytes.subarray(i, i + size));
      lines.push(...r.lines);
      skipped.push(...r.skipped.map((s) => ({ start: s.start, reason: s.reason })));
    }
    assert.deepEqual(lines, whole.lines, `chunk ${size}: lines`);
    assert.deepEqual(skipped, whole.skipped.map((s) => ({ start: s.start, reason: s.reason })), `chunk ${size}: skips`);
    assert.deepEqual(sp.position, { offset: whole.next, skipping: false }, `chunk ${size}: position`);
    assert.equal(sp.pendingBytes, 7 + bytes.length - whole.next);
  }
});
