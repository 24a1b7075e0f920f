// VS Code side of the one settings reader: feeds vscode's configuration into the pure parser
// (src/core/settings.ts), which falls back to defaults with a log line naming the key.
import * as vscode from 'vscode';
import type { Logger } from '../core/log';
import { readSettings, type LedgerSettings } from '../core/settings';

export const CONFIG_SECTION = 'claudeLedger';

export function readConfig(log: Logger): LedgerSettings {
  const cfg = vscode.workspace.getConfiguration(CONFIG_SECTION);
  return readSettings((key) => cfg.get(key), log);
}

/** Which parts of the running system a settings change touches. */
export interface ConfigImpact {
  /** Port, capture, retention, pricing, MCP: the receiver scope must be rebuilt. */
  restart: boolean;
  terminalEnv: boolean;
  statusBar: boolean;
}

export function configImpact(e: vscode.ConfigurationChangeEvent): ConfigImpact {
  const a = (k: string) => e.affectsConfiguration(`${CONFIG_SECTION}.${k}`);
  return {
    restart: ['port', 'grpcPort', 'capture', 'retention', 'pricing', 'mcp', 'transcripts', 'forward'].some(a),
    terminalEnv: ['port', 'grpcPort', 'terminalEnv', 'capture'].some(a),
    statusBar: ['statusBar', 'budget', 'limits'].some(a),
  };
}

/** Writes the port setting where the user keeps it (workspace value if there is one, else global). */
export async function updatePort(port: number): Promise<void> {
  const cfg = vscode.workspace.getConfiguration(CONFIG_SECTION);
  const where = cfg.inspect<number>('port');
  const target = where?.workspaceValue !== undefined ? vscode.ConfigurationTarget.Workspace : vscode.ConfigurationTarget.Global;
  await cfg.update('port', port, target);
}
