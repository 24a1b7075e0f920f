// A tiny stdio MCP server for the Claude Code scenario "mcp": the real CLI starts it from .mcp.json
// and really calls its tools when the fake model asks for mcp__fixture__add / mcp__fixture__lookup_ticket.
// Each call is appended as one JSON line to $FIXTURE_MCP_CALL_LOG, the proof that the CLI invoked it.
// Plain .mjs (not TypeScript) because Claude Code spawns it with plain `node`.
import { appendFileSync } from 'node:fs';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { z } from 'zod';

const callLog = process.env.FIXTURE_MCP_CALL_LOG;

function logCall(tool, args, result) {
  if (!callLog) return;
  appendFileSync(callLog, JSON.stringify({ t: new Date().toISOString(), pid: process.pid, tool, args, result }) + '\n');
}

const server = new McpServer({ name: 'fixture', version: '1.0.0' });

server.registerTool(
  'add',
  { description: 'Add two numbers.', inputSchema: { a: z.number(), b: z.number() } },
  async ({ a, b }) => {
    logCall('add', { a, b }, `sum=${a + b}`);
    return { content: [{ type: 'text', text: `sum=${a + b}` }] };
  },
);

server.registerTool(
  'lookup_ticket',
  { description: 'Look up a ticket by id.', inputSchema: { id: z.string() } },
  async ({ id }) => {
    if (id === 'missing') {
      logCall('lookup_ticket', { id }, 'error');
      // isError: a tool-level failure Claude Code reports as tool_result success=false.
      return { isError: true, content: [{ type: 'text', text: `ticket ${id} not found` }] };
    }
    logCall('lookup_ticket', { id }, 'found');
    return { content: [{ type: 'text', text: `ticket ${id}: open` }] };
  },
);

await server.connect(new StdioServerTransport());
