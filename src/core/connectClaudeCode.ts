// "Connect Claude Code to MCP": what we register with Claude Code, and the argv that does it. Pure.
//
// Claude Code does not read MCP servers registered in VS Code, so we register ours in Claude Code's
// USER scope (~/.claude.json, the user's home, never a repository file) with references instead of
// values: `${CLAUDE_LEDGER_TOKEN}` in the Authorization header and `${CLAUDE_LEDGER_MCP_URL:-<url>}` as
// the URL. Our terminal environment injects both, so the token is never written to any file by this
// command, and a port change needs no re-registration inside VS Code terminals.
//
// Verified with the real CLI 2.1.197 offline (test/integration/mcpClaudeCode.test.ts): `claude mcp
// add --scope user` stores the references verbatim; Claude Code expands them from its environment
// when it connects (`claude mcp get` shows "Connected"; a print-mode run calls
// mcp__claude-ledger__usage_summary and sends our cost back to the model). Without the variable,
// `claude mcp list` says "Failed to connect" and warns "Missing environment variables: CLAUDE_LEDGER_TOKEN".
// `claude mcp add` refuses an existing name (exit 1), hence remove-then-add.

/** Server name in Claude Code; tools appear as mcp__claude-ledger__<tool>. */
export const CLAUDE_MCP_SERVER_NAME = 'claude-ledger';
/** Set in VS Code terminals by the extension (src/core/telemetryEnv.ts). */
export const TOKEN_ENV_VAR = 'CLAUDE_LEDGER_TOKEN';
/** Optional; when a terminal lacks it, the URL of the port at connect time is used. */
export const MCP_URL_ENV_VAR = 'CLAUDE_LEDGER_MCP_URL';

export interface ClaudeMcpHttpConfig {
  type: 'http';
  url: string;
  headers: Record<string, string>;
}

export function mcpUrl(port: number): string {
  // 127.0.0.1, not localhost: the receiver binds IPv4 loopback only.
  return `http://127.0.0.1:${port}/mcp`;
}

/** The user-scope entry: references to environment variables only, no secret. */
export function claudeMcpConfig(port: number): ClaudeMcpHttpConfig {
  return {
    type: 'http',
    url: `\${${MCP_URL_ENV_VAR}:-${mcpUrl(port)}}`,
    headers: { Authorization: `Bearer \${${TOKEN_ENV_VAR}}` },
  };
}

/**
 * argv (after the `claude` executable) that registers the server in user scope. `mcp add` rather than
 * `mcp add-json`: no JSON argument, whose inner quotes Windows PowerShell 5 strips from native commands.
 */
export function connectArgv(port: number): string[] {
  const c = claudeMcpConfig(port);
  return [
    'mcp',
    'add',
    '--scope',
    'user',
    '--transport',
    'http',
    CLAUDE_MCP_SERVER_NAME,
    c.url,
    '--header',
    `Authorization: ${c.headers.Authorization}`,
  ];
}

/** argv that removes an earlier registration (add refuses an existing name). */
export function removeArgv(): string[] {
  return ['mcp', 'remove', CLAUDE_MCP_SERVER_NAME, '--scope', 'user'];
}

/** `claude mcp remove` of a name that is not registered: expected on the first connect. */
export function isNotRegisteredMessage(output: string): boolean {
  return /No (?:user-scoped )?MCP server (?:found )?(?:named|with name)|not found/i.test(output);
}

export type RegistrationState = 'absent' | 'current' | 'outdated';

/**
 * What ~/.claude.json (parsed) says about our server: absent, current (exactly our entry), or
 * outdated (another URL/header, e.g. from an older version, or a literal token someone pasted).
 */
export function registrationState(claudeJson: unknown, port: number): RegistrationState {
  const servers = (claudeJson as { mcpServers?: Record<string, unknown> } | null)?.mcpServers;
  const entry = servers?.[CLAUDE_MCP_SERVER_NAME];
  if (entry === undefined) return 'absent';
  return JSON.stringify(entry) === JSON.stringify(claudeMcpConfig(port)) ? 'current' : 'outdated';
}

export type ShellKind = 'posix' | 'powershell' | 'cmd';

/**
 * One command line for a terminal or the clipboard. Quoting keeps `${...}` literal: single quotes in
 * POSIX shells and PowerShell (where `$` would expand otherwise); cmd.exe does not expand `${}`.
 */
export function commandLine(argv: readonly string[], shell: ShellKind, executable = 'claude'): string {
  const quote = (a: string): string => {
    if (/^[A-Za-z0-9_./:=@-]+$/.test(a)) return a;
    if (shell === 'cmd') return `"${a.replace(/"/g, '\\"')}"`;
    if (shell === 'powershell') return `'${a.replace(/'/g, "''")}'`;
    return `'${a.replace(/'/g, `'\\''`)}'`;
  };
  return [executable, ...argv].map(quote).join(' ');
}

/** The claude invocations (argv lists, in order) that bring a registration in `state` to current. */
export function connectPlan(state: RegistrationState, port: number): string[][] {
  switch (state) {
    case 'current':
      return [];
    case 'absent':
      return [connectArgv(port)];
    case 'outdated':
      return [removeArgv(), connectArgv(port)];
  }
}

/** Which shell a terminal runs, from its executable path (vscode.env.shell). */
export function shellKindOf(shellPath: string): ShellKind {
  const base = shellPath.replace(/\\/g, '/').split('/').pop()?.toLowerCase() ?? '';
  if (base.startsWith('pwsh') || base.startsWith('powershell')) return 'powershell';
  if (base === 'cmd.exe' || base === 'cmd') return 'cmd';
  return 'posix';
}

/** One line running the plan in a terminal (the fallback when `claude` is not on the host's PATH). */
export function planCommandLine(plan: readonly string[][], shell: ShellKind): string {
  return plan.map((argv) => commandLine(argv, shell)).join(shell === 'cmd' ? ' & ' : '; ');
}
