// "Set Up Claude Code Everywhere" / "Remove Claude Code Setup" / "Copy Shell Setup": the same env
// block as the terminals, for Claude Code sessions started outside VS Code. The file edit itself is
// pure (src/core/claudeSettings.ts); here: locate, preview in a modal, write atomically.
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { describeChanges, mergeEnvIntoSettings, removeEnvFromSettings, type SettingsEdit } from '../core/claudeSettings';
import type { Logger } from '../core/log';
import type { LedgerSettings } from '../core/settings';
import { planExport } from '../core/claudeExportPlan';
import { OUR_ENV_KEYS, shellExportLines, telemetryEnv } from '../core/telemetryEnv';
import { claudeUserSettingsPath, readClaudeEnvLayers } from '../server/claudeEnvLayers';

export interface SetupDeps {
  log: Logger;
  getSettings(): LedgerSettings;
  port(): number;
  token: string;
}

/** Claude Code's user settings; it honours CLAUDE_CONFIG_DIR when set. */
export function claudeSettingsPath(): string {
  return claudeUserSettingsPath();
}

/**
 * The block for sessions outside VS Code: no repo.name (the folder is unknown there). Protocol and
 * endpoints follow Claude Code's managed and user settings (gRPC there -> our gRPC port).
 */
async function globalEnv(d: SetupDeps): Promise<Record<string, string>> {
  const s = d.getSettings();
  const plan = planExport(await readClaudeEnvLayers(), { http: d.port(), grpc: s.grpcPort });
  const env = telemetryEnv({ port: d.port(), token: d.token, toolDetails: s.captureToolDetails, prompts: s.capturePrompts, plan });
  return Object.fromEntries(Object.entries(env).filter((e): e is [string, string] => e[1] !== undefined));
}

export async function setupEverywhere(d: SetupDeps): Promise<void> {
  const env = await globalEnv(d);
  await editWithPreview(d, 'Set up', (text) => mergeEnvIntoSettings(text, env));
}

export async function removeSetup(d: SetupDeps): Promise<void> {
  await editWithPreview(d, 'Remove', (text) => removeEnvFromSettings(text, OUR_ENV_KEYS));
}

export async function copyShellSetup(d: SetupDeps): Promise<void> {
  await vscode.env.clipboard.writeText(shellExportLines(await globalEnv(d)));
  void vscode.window.showInformationMessage('Shell setup copied: paste the export lines into your shell profile (~/.bashrc, ~/.zshrc).');
}

async function editWithPreview(d: SetupDeps, verb: 'Set up' | 'Remove', edit: (text: string | undefined) => SettingsEdit): Promise<void> {
  const file = claudeSettingsPath();
  let text: string | undefined;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
  }
  let result: SettingsEdit;
  try {
    result = edit(text);
  } catch (e) {
    void vscode.window.showErrorMessage(`${file}: ${(e as Error).message}`);
    d.log.error(`claude settings: ${(e as Error).message}`);
    return;
  }
  if (result.changes.length === 0) {
    void vscode.window.showInformationMessage(verb === 'Set up' ? `${file} already has the Claude Code Ledger settings.` : `${file} has no Claude Code Ledger settings.`);
    return;
  }
  const apply = verb === 'Set up' ? 'Apply' : 'Remove';
  const choice = await vscode.window.showWarningMessage(
    verb === 'Set up' ? `Change ${file} so Claude Code everywhere reports to Claude Code Ledger?` : `Remove Claude Code Ledger's settings from ${file}?`,
    { modal: true, detail: `${describeChanges(result.changes)}\n\nEvery other setting stays as it is.` },
    apply,
  );
  if (choice !== apply) return;
  await fs.mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
  // Atomic replace: a crash mid-write must not leave a truncated settings file. Keep the file's mode.
  const mode = await fs.stat(file).then((s) => s.mode & 0o777, () => 0o600);
  const tmp = `${file}.${process.pid}.tmp`;
  await fs.writeFile(tmp, result.text, { mode });
  await fs.rename(tmp, file);
  d.log.info(`${verb === 'Set up' ? 'merged' : 'removed'} ${result.changes.length} env keys in ${file}`);
  void vscode.window.showInformationMessage(
    verb === 'Set up' ? `Claude Code sessions started anywhere now report to the Ledger (${file}).` : `Removed the Ledger's settings from ${file}.`,
  );
}
