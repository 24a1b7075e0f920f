// `node dist/cli.js statusline [--data DIR] [--port P]` (and dist/statusline.js, which the launcher in
// the ledger's data folder requires directly): Claude Code's `statusLine` command.
//
// Claude Code runs it after every message with its status line JSON on stdin and shows what it prints.
// So, by design: one process (no child process unless the user chained their own status line), no
// store, no SDK, no network but one loopback POST with a short time cap, and whatever happens one line
// on stdout and exit code 0 (never a stack trace). With no ledger listening the line is printed from
// stdin alone (connection refused is immediate; a hung ledger costs at most `postTimeoutMs`).
//
// Where the ledger is: --port, else $CLAUDE_LEDGER_PORT, else the port of $CLAUDE_LEDGER_MCP_URL (our
// terminals set it), else 4318. The bearer token: DIR/token with --data DIR (the extension's global
// storage folder or `cli.js serve --data DIR`), else $CLAUDE_LEDGER_TOKEN (our terminals set it), else
// the token file of the extension's default global storage folders.
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as os from 'node:os';
import * as path from 'node:path';
import { formatStatusLine, parseStatuslineInput } from '../../core/statusline/statuslineInput';
import type { StatuslineReplyDto } from '../../protocol/limitsDto';

/** Every bound of the command, with its reason. */
export const STATUSLINE_LIMITS = {
  /** Claude Code's JSON is a few KB; a MiB leaves room for long paths and future fields. More is not read. */
  maxStdinBytes: 1024 * 1024,
  /** Claude Code writes stdin at once and closes it; this only guards a caller that never closes. */
  stdinTimeoutMs: 1_000,
  /** The whole loopback round trip (connect, post, today's spend back). */
  postTimeoutMs: 400,
  /** The ledger's reply is a small JSON object. */
  maxReplyBytes: 64 * 1024,
  /** A chained (pre-existing) status line command: its time and output caps. */
  chainTimeoutMs: 2_000,
  maxChainOutputBytes: 64 * 1024,
} as const;

/** The extension's id: the folder name of its global storage. */
const EXTENSION_ID = 'claude-code-ledger.claude-code-ledger';

export interface StatuslineArgs {
  dataDir?: string;
  port?: number;
  /** A pre-existing status line command to show first (base64 of the command text, from Set Up Status Line). */
  chain?: string;
}

/** Lenient on purpose: an unknown flag must not cost the user their status line. */
export function parseStatuslineArgs(argv: readonly string[]): StatuslineArgs {
  const out: StatuslineArgs = {};
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const [flag, inline] = a.includes('=') ? [a.slice(0, a.indexOf('=')), a.slice(a.indexOf('=') + 1)] : [a, undefined];
    const value = () => inline ?? argv[++i];
    if (flag === '--data') out.dataDir = value();
    else if (flag === '--port') {
      const p = Number(value());
      if (Number.isInteger(p) && p > 0 && p < 65536) out.port = p;
    } else if (flag === '--chain-b64') {
      const v = value();
      if (v) out.chain = Buffer.from(v, 'base64').toString('utf8');
    }
  }
  return out;
}

/** The global storage folders VS Code-like editors give the extension by default (first existing token wins). */
export function defaultStorageDirs(env: NodeJS.ProcessEnv = process.env, platform = process.platform, home = os.homedir()): string[] {
  const products = ['Code', 'Code - Insiders', 'VSCodium', 'Cursor', 'Windsurf'];
  const bases: string[] = [];
  if (platform === 'darwin') bases.push(path.join(home, 'Library', 'Application Support'));
  else if (platform === 'win32') bases.push(env.APPDATA ?? path.join(home, 'AppData', 'Roaming'));
  else bases.push(env.XDG_CONFIG_HOME || path.join(home, '.config'));
  const dirs = bases.flatMap((b) => products.map((p) => path.join(b, p, 'User', 'globalStorage', EXTENSION_ID)));
  // code-server and VS Code server keep user data elsewhere.
  dirs.push(path.join(env.XDG_DATA_HOME || path.join(home, '.local', 'share'), 'code-server', 'User', 'globalStorage', EXTENSION_ID));
  dirs.push(path.join(home, '.vscode-server', 'data', 'User', 'globalStorage', EXTENSION_ID));
  return dirs;
}

function readToken(file: string): string | undefined {
  try {
    const t = fs.readFileSync(file, 'utf8').trim();
    return t.length >= 16 ? t : undefined;
  } catch {
    return undefined;
  }
}

export function resolveLedger(a: StatuslineArgs, env: NodeJS.ProcessEnv = process.env): { port: number; token: string | undefined } {
  let port = a.port;
  if (port === undefined && env.CLAUDE_LEDGER_PORT) {
    const p = Number(env.CLAUDE_LEDGER_PORT);
    if (Number.isInteger(p) && p > 0 && p < 65536) port = p;
  }
  if (port === undefined && env.CLAUDE_LEDGER_MCP_URL) {
    try {
      const p = Number(new URL(env.CLAUDE_LEDGER_MCP_URL).port);
      if (p > 0) port = p;
    } catch {
      // not a URL: fall through to the default
    }
  }
  let token: string | undefined;
  if (a.dataDir) token = readToken(path.join(a.dataDir, 'token'));
  if (token === undefined && env.CLAUDE_LEDGER_TOKEN && env.CLAUDE_LEDGER_TOKEN.length >= 16) token = env.CLAUDE_LEDGER_TOKEN;
  if (token === undefined && !a.dataDir) {
    for (const d of defaultStorageDirs(env)) {
      token = readToken(path.join(d, 'token'));
      if (token) break;
    }
  }
  return { port: port ?? 4318, token };
}

/** Reads stdin up to the cap and the time limit; the text read so far either way. */
export function readStdin(stream: NodeJS.ReadStream = process.stdin): Promise<string> {
  if (stream.isTTY) return Promise.resolve('');
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let done = false;
    const finish = (tooBig: boolean) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      stream.removeAllListeners('data');
      if (tooBig || !stream.readableEnded) stream.destroy();
      // Over the cap the JSON is cut, so it does not parse: the line then says what it can.
      resolve(tooBig ? '' : Buffer.concat(chunks, size).toString('utf8'));
    };
    const timer = setTimeout(() => finish(false), STATUSLINE_LIMITS.stdinTimeoutMs);
    stream.on('data', (c: Buffer) => {
      size += c.length;
      if (size > STATUSLINE_LIMITS.maxStdinBytes) return finish(true);
      chunks.push(c);
    });
    stream.on('end', () => finish(false));
    stream.on('error', () => finish(false));
  });
}

/** POST /api/statusline: the snapshot and session id in, today's spend out. undefined on any failure. */
export function postToLedger(port: number, token: string, body: unknown, timeoutMs: number = STATUSLINE_LIMITS.postTimeoutMs): Promise<StatuslineReplyDto | undefined> {
  return new Promise((resolve) => {
    const data = Buffer.from(JSON.stringify(body));
    let settled = false;
    const settle = (v: StatuslineReplyDto | undefined) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      req.destroy();
      resolve(v);
    };
    const req = http.request(
      {
        host: '127.0.0.1',
        port,
        path: '/api/statusline',
        method: 'POST',
        agent: false,
        headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json', 'Content-Length': data.length },
      },
      (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (c: Buffer) => {
          size += c.length;
          if (size > STATUSLINE_LIMITS.maxReplyBytes) return settle(undefined);
          chunks.push(c);
        });
        res.on('end', () => {
          if (res.statusCode !== 200) return settle(undefined);
          try {
            const v = JSON.parse(Buffer.concat(chunks).toString('utf8')) as Partial<StatuslineReplyDto>;
            settle(typeof v.todayUsd === 'number' ? { todayUsd: v.todayUsd, stored: v.stored === true } : undefined);
          } catch {
            settle(undefined);
          }
        });
        res.on('error', () => settle(undefined));
      },
    );
    const timer = setTimeout(() => settle(undefined), timeoutMs);
    req.on('error', () => settle(undefined));
    req.end(data);
  });
}

/** Runs the user's own status line command with the same stdin; its output, or '' on any failure. */
function runChained(command: string, input: string): Promise<string> {
  return new Promise((resolve) => {
    try {
      // Lazy: only users who chained their own status line pay for child_process.
      const { spawn } = require('node:child_process') as typeof import('node:child_process');
      const child = spawn(command, { shell: true, stdio: ['pipe', 'pipe', 'ignore'], windowsHide: true });
      let out = '';
      const timer = setTimeout(() => {
        child.kill();
        resolve(out);
      }, STATUSLINE_LIMITS.chainTimeoutMs);
      child.stdout.setEncoding('utf8');
      child.stdout.on('data', (d: string) => {
        if (out.length < STATUSLINE_LIMITS.maxChainOutputBytes) out += d;
      });
      child.on('error', () => {
        clearTimeout(timer);
        resolve('');
      });
      child.on('close', () => {
        clearTimeout(timer);
        resolve(out.slice(0, STATUSLINE_LIMITS.maxChainOutputBytes));
      });
      child.stdin.on('error', () => undefined);
      child.stdin.end(input);
    } catch {
      resolve('');
    }
  });
}

export interface StatuslineRun {
  /** What to print (one line of ours, after the chained command's output if any). */
  output: string;
  posted: boolean;
}

/** The whole command, minus process plumbing: testable in-process. */
export async function runStatusline(argv: readonly string[], stdinText: string, env: NodeJS.ProcessEnv = process.env, now = new Date()): Promise<StatuslineRun> {
  const args = parseStatuslineArgs(argv);
  const input = parseStatuslineInput(stdinText);
  const { port, token } = resolveLedger(args, env);
  const chained = args.chain ? runChained(args.chain, stdinText) : Promise.resolve('');
  // Post even without rate_limits: the session id tells the ledger this session has a status line,
  // and the answer carries today's spend.
  const reply = token && input.parsed ? await postToLedger(port, token, input.post) : undefined;
  const color = !(env.NO_COLOR !== undefined && env.NO_COLOR !== '');
  const ours = formatStatusLine(input.post, reply?.todayUsd, { color, now });
  const theirs = (await chained).replace(/\s+$/, '');
  return { output: `${theirs ? `${theirs}\n` : ''}${ours}\n`, posted: reply !== undefined };
}

/** Process entry: always one line, always exit code 0. */
export function statuslineMain(argv: readonly string[]): void {
  const fallback = () => {
    try {
      process.stdout.write('Claude Ledger\n');
    } finally {
      process.exit(0);
    }
  };
  process.on('uncaughtException', fallback);
  process.on('unhandledRejection', fallback);
  readStdin()
    .then((text) => runStatusline(argv, text))
    .then(
      (r) => process.stdout.write(r.output, () => process.exit(0)),
      () => fallback(),
    );
}
