// The headless ledger as a test peer: `dist/cli.js` subcommands, a `serve` process on a free port and
// its token-protected /api (tests only; one copy for every integration test that drives the CLI).
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import http from 'node:http';
import net from 'node:net';
import path from 'node:path';
import type { ImportSummary } from '../../src/core/transcripts/importSummary';
import type { SummaryDto } from '../../src/protocol/dto';

export const REPO_ROOT = path.resolve(__dirname, '../..');
export const CLI = path.join(REPO_ROOT, 'dist/cli.js');
export const TEST_TOKEN = 'ledger-cli-test-token-0123456789abcdef';

export function runCli(args: string[], env?: NodeJS.ProcessEnv): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CLI, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: env ?? process.env });
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

/** `cli.js import --json` of one root; asserts exit 0 and returns the printed summary. */
export async function importJson(dataDir: string, root: string): Promise<ImportSummary> {
  const r = await runCli(['import', '--data', dataDir, '--from', root, '--json']);
  assert.equal(r.code, 0, `import failed: ${r.stderr}`);
  return JSON.parse(r.stdout) as ImportSummary;
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
    s.on('error', reject);
  });
}

/** Starts `cli.js serve` and resolves once it listens (on its "listening on" line, not after a delay). */
export function startServe(port: number, dataDir: string, extra: string[] = []): Promise<ChildProcess> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, 'serve', '--port', String(port), '--data', dataDir, '--token', TEST_TOKEN, ...extra], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('listening on')) resolve(child);
    });
    child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
    child.on('exit', (code) => reject(new Error(`serve exited early (${code}): ${err}`)));
  });
}

/** SIGTERM (final snapshot, lock released) and wait for the exit. */
export async function stopServe(child: ChildProcess): Promise<void> {
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  await exited;
}

export function apiCall<T>(port: number, method: string, urlPath: string, body?: unknown): Promise<T> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      { host: '127.0.0.1', port, path: urlPath, method, headers: { Authorization: `Bearer ${TEST_TOKEN}`, 'Content-Type': 'application/json' } },
      (res) => {
        let text = '';
        res.on('data', (d) => (text += d));
        res.on('end', () => (res.statusCode === 200 ? resolve(JSON.parse(text) as T) : reject(new Error(`${res.statusCode} ${text}`))));
      },
    );
    req.on('error', reject);
    req.end(body === undefined ? undefined : JSON.stringify(body));
  });
}

export async function summaryOf(port: number): Promise<SummaryDto> {
  return (await apiCall<{ result: SummaryDto }>(port, 'POST', '/api/query', { method: 'summary', params: { range: { key: 'all' } } })).result;
}
