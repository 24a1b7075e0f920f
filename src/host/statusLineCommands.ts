// "Claude Ledger: Set Up Status Line" / "Remove Status Line": Claude Code's statusLine setting in
// ~/.claude/settings.json points at the launcher in the ledger's data folder (the Set Up Everywhere
// pattern: pure edit in src/core/claudeStatusLine.ts, a modal preview here, an atomic write).
import * as fs from 'node:fs';
import * as fsp from 'node:fs/promises';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { launcherScript, LAUNCHER_FILE, mergeStatusLine, quoteArg, removeStatusLine } from '../core/claudeStatusLine';
import type { SettingsEdit } from '../core/claudeSettings';
import type { Logger } from '../core/log';
import { claudeSettingsPath } from './claudeSettingsCommands';

export interface StatusLineDeps {
  log: Logger;
  /** The extension's global storage folder (holds the token file; the launcher goes next to it). */
  storageDir: string;
  distDir: string;
  port(): number;
}

export function launcherPath(storageDir: string): string {
  return path.join(storageDir, LAUNCHER_FILE);
}

/** (Re)writes the launcher: at every start and port change, so it names this install and this port. */
export async function writeLauncher(d: StatusLineDeps): Promise<void> {
  const file = launcherPath(d.storageDir);
  const text = launcherScript({ statuslineJs: path.join(d.distDir, 'statusline.js'), port: d.port() });
  const old = await fsp.readFile(file, 'utf8').catch(() => undefined);
  if (old === text) return;
  const tmp = `${file}.${process.pid}.tmp`;
  await fsp.writeFile(tmp, text, { mode: 0o600 });
  await fsp.rename(tmp, file);
}

/**
 * How Claude Code's shell starts Node: `node` when it is on PATH (fast), else this editor's own runtime
 * in Node mode (Electron needs ELECTRON_RUN_AS_NODE; a server's runtime is Node already).
 */
export function nodeCommand(): string {
  const exe = process.platform === 'win32' ? 'node.exe' : 'node';
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    if (!dir) continue;
    try {
      fs.accessSync(path.join(dir, exe), fs.constants.X_OK);
      return 'node';
    } catch {
      // not here
    }
  }
  const runtime = quoteArg(process.execPath);
  return process.versions.electron && process.platform !== 'win32' ? `ELECTRON_RUN_AS_NODE=1 ${runtime}` : runtime;
}

export async function setupStatusLine(d: StatusLineDeps): Promise<void> {
  await writeLauncher(d);
  await edit(d, 'Set up', (text) => mergeStatusLine(text, { nodeCommand: nodeCommand(), launcherPath: launcherPath(d.storageDir) }));
}

export async function removeStatusLineCommand(d: StatusLineDeps): Promise<void> {
  await edit(d, 'Remove', removeStatusLine);
}

async function edit(d: StatusLineDeps, verb: 'Set up' | 'Remove', f: (text: string | undefined) => SettingsEdit): Promise<void> {
  const file = claudeSettingsPath();
  let text: string | undefined;
  try {
    text = await fsp.readFile(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
  }
  let result: SettingsEdit;
  try {
    result = f(text);
  } catch (e) {
    void vscode.window.showErrorMessage(`${file}: ${(e as Error).message}`);
    d.log.error(`claude settings: ${(e as Error).message}`);
    return;
  }
  if (result.changes.length === 0) {
    void vscode.window.showInformationMessage(verb === 'Set up' ? `${file} already uses the Claude Ledger status line.` : `${file} has no Claude Ledger status line.`);
    return;
  }
  const c = result.changes[0];
  const detail =
    (c.before !== undefined ? `- statusLine = ${c.before}\n` : '') +
    (c.after !== undefined ? `+ statusLine = ${c.after}\n` : '') +
    (verb === 'Set up' && c.before !== undefined ? '\nYour status line is kept: it is shown first, then the Ledger’s line. "Remove Status Line" restores it.\n' : '') +
    '\nEvery other setting stays as it is.';
  const apply = verb === 'Set up' ? 'Apply' : 'Remove';
  const choice = await vscode.window.showWarningMessage(
    verb === 'Set up'
      ? `Change ${file} so Claude Code's status line shows plan limits and today's spend, and reports the limits to the Ledger?`
      : `Remove the Claude Ledger status line from ${file}?`,
    { modal: true, detail },
    apply,
  );
  if (choice !== apply) return;
  await fsp.mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
  const mode = await fsp.stat(file).then((s) => s.mode & 0o777, () => 0o600);
  const tmp = `${file}.${process.pid}.tmp`;
  await fsp.writeFile(tmp, result.text, { mode });
  await fsp.rename(tmp, file);
  d.log.info(`${verb === 'Set up' ? 'set' : 'removed'} the status line in ${file}`);
  void vscode.window.showInformationMessage(
    verb === 'Set up' ? `Claude Code's status line now shows the Ledger's line (new Claude Code sessions; ${file}).` : `Removed the Ledger's status line from ${file}.`,
  );
}
