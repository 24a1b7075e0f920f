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
import type { ClaudeEnvLayers } from '../core/claudeExportPlan';
import { planExport } from '../core/claudeExportPlan';
import { telemetryEnv } from '../core/telemetryEnv';

/** `layers`: Claude Code's managed/user settings env and process.env (readClaudeEnvLayers), which decide its protocol. */
export function applyTerminalEnv(
  collection: vscode.GlobalEnvironmentVariableCollection,
  o: { settings: LedgerSettings; port: number; token: string; log: Logger; layers: ClaudeEnvLayers },
): void {
  collection.clear();
  if (!o.settings.terminalEnvEnabled) {
    o.log.info('terminal environment injection is off (claudeLedger.terminalEnv.enabled)');
    return;
  }
  const folder = vscode.workspace.workspaceFolders?.[0];
  const plan = planExport(o.layers, { http: o.port, grpc: o.settings.grpcPort });
  for (const note of plan.notes) o.log.info(note);
  const env = telemetryEnv({
    plan,
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
    `Claude Code Ledger: sends Claude Code's telemetry to the local receiver on ${plan.endpoint.replace('http://', '')}` +
      `${o.settings.capturePrompts ? ' (prompt text included)' : ''}. Turn off with the setting \`claudeLedger.terminalEnv.enabled\`.`,
  );
  const perSignal = Object.entries(plan.signalEndpoints).map(([sig, url]) => `, ${sig} ${url}`).join('');
  o.log.info(`terminal environment set: ${plan.protocol} endpoint ${plan.endpoint}${perSignal}${folder ? `, repo.name=${folder.name}` : ''}`);
}
