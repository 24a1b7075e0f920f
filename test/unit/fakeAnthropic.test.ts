// The fake Messages API on its own, over loopback with fetch: the SSE shapes the CLI parses, the
// scripted queue (errors before a success), the usage log, and the request record the MCP test
// reads back. The real CLI against it is test/integration/claudeCode.test.ts.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startFakeAnthropic, sumUsage, usageForAnswer, type FakeAnthropic } from '../support/fakeAnthropic';

let fake: FakeAnthropic;
const unknown: string[] = [];

before(async () => {
  fake = await startFakeAnthropic({ turns: [], onUnknownPath: (m, p) => unknown.push(`${m} ${p}`) });
});
after(async () => fake?.close());

const TOOLS = [{ name: 'Write', input_schema: { type: 'object' } }];

function post(path: string, body: unknown): Promise<Response> {
  return fetch(fake.url + path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
}

/** Response body as loosely typed JSON (these tests poke at wire shapes). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
async function json(res: Response | Promise<Response>): Promise<any> {
  return (await res).json();
}

async function sseEvents(res: Response): Promise<Array<{ event: string; data: Record<string, any> }>> {
  const text = await res.text();
  return text
    .split('\n\n')
    .filter((b) => b.trim() !== '')
    .map((block) => {
      const event = /^event: (.*)$/m.exec(block)?.[1] ?? '';
      const data = JSON.parse(/^data: (.*)$/m.exec(block)?.[1] ?? 'null');
      return { event, data };
    });
}

test('a scripted tool_use streams as text + tool_use blocks with input_json_delta and the logged usage', async () => {
  fake.reset([{ kind: 'tool_use', text: 'Writing.', name: 'mcp__ledger__usage_summary', input: { range: 'today', nested: { a: [1, 2] } } }]);
  const res = await post('/v1/messages?beta=true', { model: 'claude-opus-4-8', stream: true, tools: TOOLS, messages: [{ role: 'user', content: 'hi' }] });
  assert.equal(res.status, 200);
  assert.match(res.headers.get('content-type') ?? '', /text\/event-stream/);
  const events = await sseEvents(res);
  assert.deepEqual(
    events.map((e) => e.event),
    ['message_start', 'content_block_start', 'content_block_delta', 'content_block_delta', 'content_block_stop',
      'content_block_start', 'content_block_delta', 'content_block_delta', 'content_block_delta', 'content_block_stop',
      'message_delta', 'message_stop'],
  );
  const start = events[0].data.message;
  assert.deepEqual(
    { ...start.usage, output_tokens: undefined },
    { ...usageForAnswer(0), output_tokens: undefined },
  );
  const text = events.filter((e) => e.data.delta?.type === 'text_delta').map((e) => e.data.delta.text).join('');
  assert.equal(text, 'Writing.');
  const toolStart = events.find((e) => e.data.content_block?.type === 'tool_use')?.data.content_block;
  assert.equal(toolStart.name, 'mcp__ledger__usage_summary');
  assert.equal(toolStart.id, 'toolu_fake0001');
  const json = events.filter((e) => e.data.delta?.type === 'input_json_delta').map((e) => e.data.delta.partial_json).join('');
  assert.deepEqual(JSON.parse(json), { range: 'today', nested: { a: [1, 2] } });
  const delta = events.find((e) => e.event === 'message_delta')!.data;
  assert.equal(delta.delta.stop_reason, 'tool_use');
  assert.equal(delta.usage.output_tokens, usageForAnswer(0).output_tokens);
  assert.equal(fake.usageLog.length, 1);
  assert.equal(fake.usageLog[0].requestId, res.headers.get('request-id'));
  assert.equal(fake.requests[0].path, '/v1/messages');
  assert.equal(fake.requests[0].kind, 'main');
  assert.deepEqual(fake.requests[0].toolNames, ['Write']);
});

test('scripted errors answer one attempt each, then the success gets the first usage', async () => {
  fake.reset([
    { kind: 'error', status: 529 },
    { kind: 'error', status: 429, retryAfterSec: 1 },
    { kind: 'text', text: 'ok' },
  ]);
  const body = { model: 'm', stream: true, tools: TOOLS, messages: [{ role: 'user', content: 'x' }] };
  const r1 = await post('/v1/messages', body);
  assert.equal(r1.status, 529);
  assert.equal((await json(r1)).error.type, 'overloaded_error');
  const r2 = await post('/v1/messages', body);
  assert.equal(r2.status, 429);
  assert.equal(r2.headers.get('retry-after'), '1');
  await r2.arrayBuffer();
  const r3 = await post('/v1/messages', body);
  assert.equal(r3.status, 200);
  await r3.arrayBuffer();
  assert.deepEqual(fake.usageLog.map((u) => u.usage), [usageForAnswer(0)]);
  assert.equal(fake.remainingTurns(), 0);
});

test('non-streaming JSON, auxiliary requests without tools, and an empty script', async () => {
  fake.reset([{ kind: 'text', text: 'plain' }]);
  const main = await json(post('/v1/messages', { model: 'm', tools: TOOLS, messages: [] }));
  assert.equal(main.type, 'message');
  assert.deepEqual(main.content, [{ type: 'text', text: 'plain' }]);
  assert.equal(main.stop_reason, 'end_turn');
  const aux = await json(post('/v1/messages', { model: 'm', messages: [] }));
  assert.equal(aux.content[0].type, 'text');
  const extra = await json(post('/v1/messages', { model: 'm', tools: TOOLS, messages: [] }));
  assert.equal(extra.content[0].text, 'Done.');
  assert.equal(fake.unscripted, 1);
  assert.deepEqual(fake.usageLog.map((u) => u.kind), ['main', 'auxiliary', 'main']);
  assert.equal(sumUsage(fake.usageLog).input_tokens, usageForAnswer(0).input_tokens + 50 + usageForAnswer(1).input_tokens);
});

test('tool_result content of the last user message is recorded for read-back', async () => {
  fake.reset([{ kind: 'text', text: 'thanks' }]);
  const res = await post('/v1/messages', {
    model: 'm',
    tools: TOOLS,
    messages: [
      { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'toolu_fake0001', content: [{ type: 'text', text: '{"costUsd":0.5}' }] }] },
      { role: 'system', content: 'a trailing system message, as Claude Code sometimes sends' },
    ],
  });
  await res.arrayBuffer();
  assert.deepEqual(fake.requests[0].toolResults, [{ toolUseId: 'toolu_fake0001', isError: false, text: '{"costUsd":0.5}' }]);
});

test('count_tokens, models, HEAD / and unknown paths', async () => {
  fake.reset([]);
  assert.equal((await json(post('/v1/messages/count_tokens', { messages: [] }))).input_tokens, 100);
  assert.equal((await json(fetch(`${fake.url}/v1/models`))).data[0].id, 'claude-opus-4-8');
  assert.equal((await json(fetch(`${fake.url}/v1/models/claude-x`))).id, 'claude-x');
  assert.equal((await fetch(`${fake.url}/`, { method: 'HEAD' })).status, 200);
  const nf = await fetch(`${fake.url}/v1/nope`);
  assert.equal(nf.status, 404);
  await nf.arrayBuffer();
  assert.deepEqual(unknown, ['GET /v1/nope']);
  assert.deepEqual(fake.requests.map((r) => r.kind), ['count_tokens', 'models', 'models', 'probe', 'unknown']);
  assert.equal(fake.usageLog.length, 0);
});
