// Shared setup of the MCP integration tests (not a test file): the two worker bundles built fresh
// from source into a temp dir (so a stale dist/ cannot pass for the code under test), the real
// StoreClient fed with every fixture payload, and an MCP SDK client over HTTP.
import { copyFileSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import * as http from 'node:http';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { gunzipSync } from 'node:zlib';
import * as esbuild from 'esbuild';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { Signal } from '../../src/core/otlp/records';

export const ROOT = resolve(__dirname, '..', '..');
export const FIXTURES = join(ROOT, 'test', 'fixtures', 'claude-code-otlp');

export interface Bundles {
  dir: string;
  dbWorker: string;
  sqlWorker: string;
}

/** Builds dbWorker.js and sqlWorker.js (+ sql-wasm.wasm beside them) into a fresh temp dir. */
export async function buildWorkers(): Promise<Bundles> {
  const dir = mkdtempSync(join(tmpdir(), 'ccl-mcp-build-'));
  await esbuild.build({
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    logLevel: 'warning',
    entryPoints: { dbWorker: join(ROOT, 'src/server/dbWorker.ts'), sqlWorker: join(ROOT, 'src/server/mcp/sqlWorker.ts') },
    outdir: dir,
  });
  copyFileSync(join(ROOT, 'node_modules/sql.js/dist/sql-wasm.wasm'), join(dir, 'sql-wasm.wasm'));
  return { dir, dbWorker: join(dir, 'dbWorker.js'), sqlWorker: join(dir, 'sqlWorker.js') };
}

export interface FixturePayload {
  scenario: string;
  file: string;
  signal: Signal;
  encoding: 'protobuf' | 'json';
  contentType: string;
  /** Decompressed (the receiver decompresses before the store sees a body). */
  body: Buffer;
}

/** Every fixture payload of every scenario, in each scenario's arrival order. */
export function fixturePayloads(): FixturePayload[] {
  const out: FixturePayload[] = [];
  const scenarios = readdirSync(FIXTURES, { withFileTypes: true })
    .filter((d) => d.isDirectory())
    .map((d) => d.name)
    .sort();
  for (const scenario of scenarios) {
    const dir = join(FIXTURES, scenario);
    for (const line of readFileSync(join(dir, 'index.jsonl'), 'utf8').split('\n').filter(Boolean)) {
      const e = JSON.parse(line) as { file: string; signal: Signal; content_type: string; content_encoding: string | null };
      let body: Buffer = readFileSync(join(dir, e.file));
      if (e.content_encoding === 'gzip') body = gunzipSync(body);
      out.push({
        scenario,
        file: e.file,
        signal: e.signal,
        encoding: e.content_type.includes('json') ? 'json' : 'protobuf',
        contentType: e.content_type,
        body,
      });
    }
  }
  return out;
}

export async function connectClient(url: string, token: string | undefined, headers: Record<string, string> = {}): Promise<Client> {
  const client = new Client({ name: 'ccl-mcp-test', version: '0.0.0' });
  const transport = new StreamableHTTPClientTransport(new URL(url), {
    requestInit: { headers: { ...(token !== undefined && { Authorization: `Bearer ${token}` }), ...headers } },
  });
  await client.connect(transport);
  return client;
}

export interface RawResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

/** A raw HTTP request with full control of Host, Origin and body (the SDK client sets its own). */
export function rawRequest(
  port: number,
  o: { method?: string; path?: string; headers?: Record<string, string>; body?: string | Buffer },
): Promise<RawResponse> {
  return new Promise((resolvePromise, reject) => {
    const req = http.request(
      {
        host: '127.0.0.1',
        port,
        method: o.method ?? 'POST',
        path: o.path ?? '/mcp',
        headers: { Host: `127.0.0.1:${port}`, ...o.headers },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolvePromise({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', reject);
      },
    );
    req.on('error', (err: NodeJS.ErrnoException) => {
      // The server closes the connection after a 413; the response has been read by then.
      if (err.code !== 'ECONNRESET' && err.code !== 'EPIPE') reject(err);
    });
    req.end(o.body);
  });
}

/** A JSON-RPC initialize body (what any MCP client sends first). */
export function initializeBody(): string {
  return JSON.stringify({
    jsonrpc: '2.0',
    id: 1,
    method: 'initialize',
    params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'raw', version: '0' } },
  });
}

/** A JSON-RPC tools/list body. */
export function toolsListBody(): string {
  return JSON.stringify({ jsonrpc: '2.0', id: 2, method: 'tools/list', params: {} });
}

/** A JSON-RPC tools/call body (a stateless server takes it without a prior initialize on the same POST). */
export function toolCallBody(name: string, args: Record<string, unknown>): string {
  return JSON.stringify({ jsonrpc: '2.0', id: 3, method: 'tools/call', params: { name, arguments: args } });
}

export const MCP_ACCEPT = { 'Content-Type': 'application/json', Accept: 'application/json, text/event-stream' };
