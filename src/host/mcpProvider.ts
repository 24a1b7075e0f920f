// VS Code side of the MCP server: (1) the server definition provider, so VS Code's chat finds our /mcp
// endpoint with its bearer token and no setup; (2) "Connect Claude Code to MCP", which registers the
// endpoint with Claude Code in user scope by variable reference (see src/core/connectClaudeCode.ts for
// the variant and how it was verified with the real CLI). Thin: the decisions live in core.
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import {
  CLAUDE_MCP_SERVER_NAME,
  connectPlan,
  isNotRegisteredMessage,
  planCommandLine,
  registrationState,
  shellKindOf,
  TOKEN_ENV_VAR,
  type RegistrationState,
} from '../core/connectClaudeCode';
import type { Logger } from '../core/log';
import { MCP_TOOLS_VERSION } from '../server/mcp/mcpTypes';

export interface McpEndpoint {
  /** Full URL of the leader's /mcp, e.g. http://127.0.0.1:4318/mcp. */
  url: string;
  token: string;
}

export interface McpProviderDeps {
  /** The leading window's endpoint (this window or another), or undefined while none / MCP disabled. */
  getEndpoint(): McpEndpoint | undefined;
  onDidChangeEndpoint: vscode.Event<void>;
  log: Logger;
}

const LABEL = 'Claude Code Ledger';
/** Bound on one `claude mcp ...` run (it reads and writes ~/.claude.json, nothing slow). */
const CLAUDE_CLI_TIMEOUT_MS = 30_000;

function definitionFor(e: McpEndpoint): vscode.McpHttpServerDefinition {
  // version: VS Code refreshes the cached tool list when it changes (MCP_TOOLS_VERSION moves with tools.ts).
  return new vscode.McpHttpServerDefinition(LABEL, vscode.Uri.parse(e.url), { Authorization: `Bearer ${e.token}` }, MCP_TOOLS_VERSION);
}

/** Registers the provider `claudeLedger.mcp` (contributes.mcpServerDefinitionProviders). */
export function registerMcp(context: vscode.ExtensionContext, deps: McpProviderDeps): void {
  if (typeof vscode.lm?.registerMcpServerDefinitionProvider !== 'function') {
    deps.log.info('this VS Code has no MCP server definition API; VS Code chat will not list the ledger');
    return;
  }
  const changed = new vscode.EventEmitter<void>();
  // Fire only when the endpoint really changed: every fire makes VS Code re-read the definitions.
  let lastKey = JSON.stringify(deps.getEndpoint() ?? null);
  context.subscriptions.push(
    changed,
    deps.onDidChangeEndpoint(() => {
      const key = JSON.stringify(deps.getEndpoint() ?? null);
      if (key === lastKey) return;
      lastKey = key;
      deps.log.debug(`MCP endpoint changed: ${deps.getEndpoint()?.url ?? 'none'}`);
      changed.fire();
    }),
    vscode.lm.registerMcpServerDefinitionProvider('claudeLedger.mcp', {
      onDidChangeMcpServerDefinitions: changed.event,
      provideMcpServerDefinitions: () => {
        const e = deps.getEndpoint();
        return e ? [definitionFor(e)] : [];
      },
      // Called when VS Code starts the server: answer with the endpoint of this moment (the leader may
      // have moved to another window or port since the list was read).
      resolveMcpServerDefinition: (def) => {
        const e = deps.getEndpoint();
        if (!e) {
          deps.log.warn('VS Code asked for the MCP server while no receiver is running');
          return undefined;
        }
        return def instanceof vscode.McpHttpServerDefinition ? definitionFor(e) : def;
      },
    }),
  );
}

export interface ConnectDeps {
  getEndpoint(): McpEndpoint | undefined;
  log: Logger;
  /** claudeLedger.terminalEnv.enabled: without it, terminals lack CLAUDE_LEDGER_TOKEN. */
  terminalEnvEnabled(): boolean;
  /** `claude` executable; default: found on PATH. */
  claudeExecutable?: string;
}

function claudeConfigPath(): string {
  // Claude Code keeps user-scope MCP servers in ~/.claude.json, or under CLAUDE_CONFIG_DIR when set.
  const dir = process.env.CLAUDE_CONFIG_DIR;
  return dir ? path.join(dir, '.claude.json') : path.join(homedir(), '.claude.json');
}

async function readRegistration(port: number, log: Logger): Promise<RegistrationState> {
  const file = claudeConfigPath();
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return 'absent';
    throw err;
  }
  try {
    return registrationState(JSON.parse(text), port);
  } catch (err) {
    // Unreadable config: let the CLI decide (remove + add), it owns that file.
    log.warn(`${file} is not valid JSON (${(err as Error).message}); re-registering through the claude CLI`);
    return 'outdated';
  }
}

function runClaude(exe: string, argv: string[]): Promise<{ ok: boolean; output: string; notFound: boolean }> {
  return new Promise((resolve) => {
    execFile(exe, argv, { timeout: CLAUDE_CLI_TIMEOUT_MS, windowsHide: true }, (err, stdout, stderr) => {
      const output = `${stdout}${stderr}`.trim();
      if (!err) return resolve({ ok: true, output, notFound: false });
      const notFound = (err as NodeJS.ErrnoException).code === 'ENOENT';
      resolve({ ok: false, output: output || err.message, notFound });
    });
  });
}

/** "Claude Ledger: Connect Claude Code to MCP". */
export async function connectClaudeCode(deps: ConnectDeps): Promise<void> {
  const e = deps.getEndpoint();
  if (!e) throw new Error('the receiver is not running yet (or claudeLedger.mcp.enabled is off); try again when the status bar shows it');
  const port = Number(new URL(e.url).port);
  const state = await readRegistration(port, deps.log);
  const plan = connectPlan(state, port);
  const envNote = deps.terminalEnvEnabled()
    ? `Claude Code reads the token from ${TOKEN_ENV_VAR}, which VS Code terminals carry; restart claude in terminals opened before.`
    : `Claude Code reads the token from ${TOKEN_ENV_VAR}, but claudeLedger.terminalEnv.enabled is off, so terminals do not carry it: turn it on.`;
  if (plan.length === 0) {
    deps.log.info(`Claude Code already has "${CLAUDE_MCP_SERVER_NAME}" registered in user scope`);
    void vscode.window.showInformationMessage(`Claude Code Ledger: Claude Code is already connected (MCP server "${CLAUDE_MCP_SERVER_NAME}"). ${envNote}`);
    return;
  }
  // On Windows `claude` is often a .cmd shim that execFile cannot start without a shell; the
  // terminal route below covers it.
  const exe = deps.claudeExecutable ?? 'claude';
  let fallback = process.platform === 'win32' && deps.claudeExecutable === undefined;
  if (!fallback) {
    for (const argv of plan) {
      const r = await runClaude(exe, argv);
      deps.log.info(`claude ${argv.slice(0, 3).join(' ')} ...: ${r.ok ? 'ok' : 'failed'}${r.output ? ` — ${r.output.split('\n')[0]}` : ''}`);
      if (r.notFound) {
        fallback = true;
        break;
      }
      if (!r.ok && !(argv[1] === 'remove' && isNotRegisteredMessage(r.output))) {
        throw new Error(`claude ${argv.slice(0, 2).join(' ')} failed: ${r.output}`);
      }
    }
  }
  if (fallback) {
    // Run it where the user's claude lives: a terminal (its PATH is the user's shell PATH).
    const shell = shellKindOf(vscode.env.shell || '/bin/sh');
    const terminal = vscode.window.createTerminal({ name: 'Claude Code Ledger: Connect' });
    terminal.show();
    terminal.sendText(planCommandLine(plan, shell), true);
    deps.log.info('claude not found on the extension host PATH; sent the registration to a terminal');
    void vscode.window.showInformationMessage(`Claude Code Ledger: registering with Claude Code in a terminal. ${envNote}`);
    return;
  }
  void vscode.window.showInformationMessage(
    `Claude Code Ledger: Claude Code is connected (MCP server "${CLAUDE_MCP_SERVER_NAME}", user scope; no token was written to any file). ${envNote}`,
  );
}
