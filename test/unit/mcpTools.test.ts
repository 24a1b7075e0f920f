// The tool set is a public contract (issue 6): names and output fields. VS Code caches a server's tool
// list per definition version, so any change to tools.ts must bump MCP_TOOLS_VERSION. This test pins
// the pair (version, hash of every tool's name, description and schemas): change one, change both.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { test } from 'node:test';
import * as z from 'zod/v4';
import { toJsonSchemaCompat } from '@modelcontextprotocol/sdk/server/zod-json-schema-compat.js';
import { MCP_TOOLS_VERSION } from '../../src/server/mcp/mcpTypes';
import { formatCount as count, formatUsd as usd } from '../../src/core/format/numbers';
import { TOOLS } from '../../src/server/mcp/tools';

const PINNED = { version: '6', hash: '959c25253e310329' };

function toolSetHash(): string {
  const desc = TOOLS.map((t) => ({
    name: t.name,
    title: t.title,
    description: t.description,
    input: toJsonSchemaCompat(z.object(t.inputSchema)),
    output: toJsonSchemaCompat(z.object(t.outputSchema)),
  }));
  return createHash('sha256').update(JSON.stringify(desc)).digest('hex').slice(0, 16);
}

test('MCP_TOOLS_VERSION moves with the tool set', () => {
  const hash = toolSetHash();
  assert.deepEqual(
    { version: MCP_TOOLS_VERSION, hash },
    PINNED,
    'tools.ts changed: bump MCP_TOOLS_VERSION in mcpTypes.ts and update PINNED here',
  );
});

test('the public output fields of issue 6 are in the schemas', () => {
  const out = (name: string) => Object.keys(TOOLS.find((t) => t.name === name)!.outputSchema);
  for (const f of ['range', 'costUsd', 'costSource', 'requests', 'sessions', 'tokens', 'cacheHitRate', 'byModel']) {
    assert.ok(out('usage_summary').includes(f), f);
  }
  assert.deepEqual(out('list_sessions').includes('sessions'), true);
  assert.deepEqual(out('files_edited').includes('files'), true);
  for (const f of ['overall', 'byTool', 'byLanguage', 'bySource']) assert.ok(out('acceptance_rates').includes(f), f);
  assert.deepEqual(out('tool_stats'), ['range', 'tools']);
  assert.deepEqual(out('query_sql'), ['columns', 'rows', 'truncated']);
  for (const f of ['source', 'transcriptRequests', 'estimatesByPriceSource', 'title', 'branch']) {
    assert.ok(Object.keys((TOOLS.find((t) => t.name === 'list_sessions')!.outputSchema.sessions as z.ZodArray<z.ZodObject>).element.shape).includes(f), f);
  }
  assert.ok(out('usage_summary').includes('estimates'));
  assert.deepEqual(out('pricing'), ['learned', 'table', 'overrides', 'estimatesByModel']);
  for (const t of TOOLS.filter((x) => !['session_timeline', 'burn_rate', 'describe_schema', 'query_sql', 'pricing', 'plan_limits'].includes(x.name))) {
    assert.deepEqual(Object.keys(t.inputSchema).slice(0, 3), ['range', 'from', 'to'], t.name);
  }
});

test('text helpers state units (the shared rule, src/core/format/numbers.ts)', () => {
  assert.equal(usd(3.4159), '$3.42');
  assert.equal(usd(0.00123), '$0.001');
  assert.equal(usd(0), '$0.00');
  assert.equal(count(1234), '1,234');
  assert.equal(count(45_678), '45.7k');
  assert.equal(count(3_400_000), '3.40M');
});
