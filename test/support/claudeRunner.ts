// Runs the real Claude Code CLI (node_modules/.bin/claude, pinned in devDependencies) offline:
// against the fake Messages API (fakeAnthropic.ts), with a scratch HOME, and with its OpenTelemetry
// export pointed at an OTLP endpoint of the test's choosing.
//
// The environment is built from scratch (PATH, LANG, TERM + the helpers below), never inherited,
// so that a developer's own ANTHROPIC_* / OTEL_* variables cannot leak into a test run.
// "API env" and "telemetry env" are separate helpers because the VS Code e2e test gets its
// telemetry env from our extension (terminal environment) and only needs the API env from here.
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

/** Repository root (this file is test/support/claudeRunner.ts). */
export const REPO_ROOT = resolve(__dirname, '..', '..');
export const CLAUDE_BIN = join(REPO_ROOT, 'node_modules', '.bin', 'claude');

export type OtlpProtocol = 'http/protobuf' | 'http/json' | 'grpc';

export interface TelemetryOptions {
  /** OTEL_EXPORTER_OTLP_PROTOCOL; default http/protobuf. */
  protocol?: OtlpProtocol;
  /** OTEL_EXPORTER_OTLP_COMPRESSION; default none. */
  compression?: 'gzip' | 'none';
  /** OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE; Claude Code defaults to delta itself. */
  temporality?: 'delta' | 'cumulative';
  /** OTEL_LOG_TOOL_DETAILS=1 (tool_input / tool_parameters on events); default true. */
  logToolDetails?: boolean;
  /** OTEL_LOG_USER_PROMPTS=1; default true. */
  logUserPrompts?: boolean;
  /** CLAUDE_CODE_ENHANCED_TELEMETRY_BETA=1 (traces); default true. */
  traces?: boolean;
  /** OTEL_RESOURCE_ATTRIBUTES; default repo.name=demo, team.id=platform (as in the fixtures). */
  resourceAttributes?: Record<string, string>;
  /** Export intervals in ms. Short so multi-prompt runs produce several exports. */
  metricIntervalMs?: number;
  logsIntervalMs?: number;
  tracesIntervalMs?: number;
}

/** The telemetry environment of ../../../shared/notes/real-claude-code-offline.md. */
export function telemetryEnv(endpoint: string, opts: TelemetryOptions = {}): Record<string, string> {
  const resource = opts.resourceAttributes ?? { 'team.id': 'platform', 'repo.name': 'demo' };
  const env: Record<string, string> = {
    CLAUDE_CODE_ENABLE_TELEMETRY: '1',
    OTEL_METRICS_EXPORTER: 'otlp',
    OTEL_LOGS_EXPORTER: 'otlp',
    OTEL_EXPORTER_OTLP_PROTOCOL: opts.protocol ?? 'http/protobuf',
    OTEL_EXPORTER_OTLP_ENDPOINT: endpoint,
    OTEL_METRIC_EXPORT_INTERVAL: String(opts.metricIntervalMs ?? 1000),
    OTEL_LOGS_EXPORT_INTERVAL: String(opts.logsIntervalMs ?? 500),
    OTEL_TRACES_EXPORT_INTERVAL: String(opts.tracesIntervalMs ?? 500),
    OTEL_RESOURCE_ATTRIBUTES: Object.entries(resource)
      .map(([k, v]) => `${k}=${v}`)
      .join(','),
  };
  if (opts.traces ?? true) {
    env.CLAUDE_CODE_ENHANCED_TELEMETRY_BETA = '1';
    env.OTEL_TRACES_EXPORTER = 'otlp';
  }
  if (opts.logToolDetails ?? true) env.OTEL_LOG_TOOL_DETAILS = '1';
  if (opts.logUserPrompts ?? true) env.OTEL_LOG_USER_PROMPTS = '1';
  if (opts.compression && opts.compression !== 'none') env.OTEL_EXPORTER_OTLP_COMPRESSION = opts.compression;
  if (opts.temporality) env.OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE = opts.temporality;
  return env;
}

/**
 * What the CLI needs to talk to the fake API from a scratch HOME. The nonessential-traffic flag
 * avoids a title-generation side request (it does not gate OTel export, INVENTORY.md).
 */
export function apiEnv(fakeUrl: string, home: string): Record<string, string> {
  const tmp = join(home, 'tmp');
  mkdirSync(tmp, { recursive: true });
  return {
    HOME: home,
    ANTHROPIC_BASE_URL: fakeUrl,
    ANTHROPIC_API_KEY: 'sk-ant-fake',
    CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '1',
    TMPDIR: tmp,
    CLAUDE_CODE_TMPDIR: tmp,
  };
}

/** The minimal base environment every run gets (PATH so Bash tools and `node` for MCP work). */
export function baseEnv(): Record<string, string> {
  return {
    PATH: process.env.PATH ?? '/usr/local/bin:/usr/bin:/bin',
    LANG: 'C.UTF-8',
    TERM: 'xterm-256color',
  };
}

export interface RunClaudeOptions {
  /** Working directory (the "project"). */
  cwd: string;
  /** Scratch HOME; a fresh temp dir is made (and returned) when omitted. */
  home?: string;
  /** One prompt: `claude -p <prompt>`. */
  prompt?: string;
  /** Several prompts in one process via stream-json; each is sent after the previous result. */
  prompts?: string[];
  /** Pause between prompts (ms), so periodic metric exports happen in between. Default 0. */
  pauseMs?: number;
  /** Extra CLI arguments (permission mode, allowed tools...). */
  args?: string[];
  /** Extra environment, applied last. */
  env?: Record<string, string>;
  fakeApiUrl: string;
  /** When set, the telemetry env is added, pointing here. */
  otlpEndpoint?: string;
  protocol?: OtlpProtocol;
  compression?: 'gzip' | 'none';
  temporality?: 'delta' | 'cumulative';
  logToolDetails?: boolean;
  logUserPrompts?: boolean;
  telemetry?: TelemetryOptions;
  /** Hard limit; the process group is killed after it. Default 60 s. */
  timeoutMs?: number;
}

export interface RunClaudeResult {
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  timedOut: boolean;
  stdout: string;
  stderr: string;
  wallMs: number;
  home: string;
  argv: string[];
  env: Record<string, string>;
}

/** A fresh scratch HOME + project dir under the OS temp dir; `dispose()` removes both. */
export function makeScratch(prefix = 'ccl-claude-'): { root: string; home: string; cwd: string; dispose(): void } {
  const root = mkdtempSync(join(tmpdir(), prefix));
  const home = join(root, 'home');
  const cwd = join(root, 'project');
  mkdirSync(home, { recursive: true });
  mkdirSync(cwd, { recursive: true });
  return { root, home, cwd, dispose: () => rmSync(root, { recursive: true, force: true }) };
}

export function runClaude(opts: RunClaudeOptions): Promise<RunClaudeResult> {
  const home = opts.home ?? mkdtempSync(join(tmpdir(), 'ccl-home-'));
  const multi = opts.prompts !== undefined;
  if (multi === (opts.prompt !== undefined)) throw new Error('runClaude: give exactly one of prompt or prompts');
  const prompts = opts.prompts ?? [];
  if (multi && prompts.length === 0) throw new Error('runClaude: prompts is empty');

  const env: Record<string, string> = {
    ...baseEnv(),
    ...apiEnv(opts.fakeApiUrl, home),
    ...(opts.otlpEndpoint
      ? telemetryEnv(opts.otlpEndpoint, {
          ...opts.telemetry,
          ...(opts.protocol && { protocol: opts.protocol }),
          ...(opts.compression && { compression: opts.compression }),
          ...(opts.temporality && { temporality: opts.temporality }),
          ...(opts.logToolDetails !== undefined && { logToolDetails: opts.logToolDetails }),
          ...(opts.logUserPrompts !== undefined && { logUserPrompts: opts.logUserPrompts }),
        })
      : {}),
    ...opts.env,
  };
  const argv = multi
    ? ['-p', '--input-format', 'stream-json', '--output-format', 'stream-json', '--verbose', ...(opts.args ?? [])]
    : ['-p', opts.prompt as string, ...(opts.args ?? [])];
  const timeoutMs = opts.timeoutMs ?? 60_000;

  return new Promise((resolvePromise, reject) => {
    const started = performance.now();
    // detached: its own process group, so a timeout can end the CLI and everything it spawned
    // (MCP server, Bash tools) by the group id of this one child.
    const child = spawn(CLAUDE_BIN, argv, {
      cwd: opts.cwd,
      env,
      stdio: [multi ? 'pipe' : 'ignore', 'pipe', 'pipe'],
      detached: true,
    });
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    let sent = 0;
    let lineBuf = '';

    const sendPrompt = (): void => {
      const text = prompts[sent++];
      child.stdin?.write(JSON.stringify({ type: 'user', message: { role: 'user', content: text } }) + '\n');
    };
    const onResult = (): void => {
      if (sent < prompts.length) {
        setTimeout(sendPrompt, opts.pauseMs ?? 0);
      } else {
        child.stdin?.end();
      }
    };

    const out = child.stdout;
    const err = child.stderr;
    if (!out || !err) throw new Error('runClaude: spawn gave no stdout/stderr pipes');
    out.setEncoding('utf8');
    err.setEncoding('utf8');
    out.on('data', (d: string) => {
      stdout += d;
      if (!multi) return;
      lineBuf += d;
      let nl: number;
      while ((nl = lineBuf.indexOf('\n')) >= 0) {
        const line = lineBuf.slice(0, nl).trim();
        lineBuf = lineBuf.slice(nl + 1);
        if (!line.startsWith('{')) continue;
        let msg: { type?: string };
        try {
          msg = JSON.parse(line);
        } catch {
          continue; // a partial or non-JSON line of stream-json output is not ours to judge
        }
        if (msg.type === 'result') onResult();
      }
    });
    err.on('data', (d: string) => (stderr += d));
    child.stdin?.on('error', (err) => (stderr += `\n[runner] stdin error: ${String(err)}`));

    const timer = setTimeout(() => {
      timedOut = true;
      try {
        if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
      } catch (err) {
        stderr += `\n[runner] kill failed: ${String(err)}`;
      }
    }, timeoutMs);

    child.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolvePromise({
        exitCode: code,
        signal,
        timedOut,
        stdout,
        stderr,
        wallMs: Math.round(performance.now() - started),
        home,
        argv: ['claude', ...argv],
        env,
      });
    });
    if (multi) sendPrompt();
  });
}
