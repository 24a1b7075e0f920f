// Zero-config capture: every integrated terminal gets the telemetry env from src/core/telemetryEnv.ts.
//
// OTEL_RESOURCE_ATTRIBUTES is computed here from the extension host's process.env and set with
// `replace`, not `append(',repo.name=…')`: with no user value, append would leave a leading comma;
// and in code-server the terminals are spawned by the pty host with the same environment as the
// extension host (both inherit the server's), so process.env is exactly the value a terminal would
// have had. The same holds in desktop VS Code, where both get the resolved shell environment.
import * as vscode from 'vscode';
import type { Logger } from '../core/log';
import type { LedgerSettings } from '../core/settings';
import { telemetryEnv } from '../core/telemetryEnv';

export function applyTerminalEnv(
  collection: vscode.GlobalEnvironmentVariableCollection,
  o: { settings: LedgerSettings; port: number; token: string; log: Logger },
): void {
  collection.clear();
  if (!o.settings.terminalEnvEnabled) {
    o.log.info('terminal environment injection is off (claudeLedger.terminalEnv.enabled)');
    return;
  }
  const folder = vscode.workspace.workspaceFolders?.[0];
  const env = telemetryEnv({
    port: o.port,
    token: o.token,
    toolDetails: o.settings.captureToolDetails,
    prompts: o.settings.capturePrompts,
    repoName: folder?.name,
    existingResourceAttributes: process.env.OTEL_RESOURCE_ATTRIBUTES,
  });
  for (const [k, v] of Object.entries(env)) {
    if (v !== undefined) collection.replace(k, v);
  }
  collection.description = new vscode.MarkdownString(
    `Claude Code Ledger: sends Claude Code's telemetry to the local receiver on 127.0.0.1:${o.port}` +
      `${o.settings.capturePrompts ? ' (prompt text included)' : ''}. Turn off with the setting \`claudeLedger.terminalEnv.enabled\`.`,
  );
  o.log.info(`terminal environment set: endpoint http://127.0.0.1:${o.port}${folder ? `, repo.name=${folder.name}` : ''}`);
}
