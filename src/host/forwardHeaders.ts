// Forwarding headers: their names are a setting (claudeLedger.forward.headers), their values secrets in
// VS Code's SecretStorage (never in settings.json, never logged). "Set Forwarding Header…" sets one.
import * as vscode from 'vscode';
import { checkHeader } from '../core/forward/endpoint';
import type { Logger } from '../core/log';
import { CONFIG_SECTION } from './config';

const SECRET_PREFIX = 'claudeLedger.forward.header.';

export function secretKeyOf(name: string): string {
  return `${SECRET_PREFIX}${name.toLowerCase()}`;
}

export function isForwardSecret(key: string): boolean {
  return key.startsWith(SECRET_PREFIX);
}

/** The values of the configured header names; a name without a value is left out and logged. */
export async function readForwardHeaders(secrets: vscode.SecretStorage, names: readonly string[], log: Logger): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const name of names) {
    const value = await secrets.get(secretKeyOf(name));
    if (value === undefined || value === '') log.warn(`forward header ${name} has no value (run "Claude Ledger: Set Forwarding Header…"); not sent`);
    else out[name] = value;
  }
  return out;
}

export async function setForwardHeaderCommand(secrets: vscode.SecretStorage, names: readonly string[], log: Logger): Promise<void> {
  const NEW = '$(add) Another header…';
  let name: string | undefined = names.length === 0 ? NEW : await vscode.window.showQuickPick([...names, NEW], { title: 'Claude Ledger: forwarding header', placeHolder: 'Which header to set' });
  if (name === undefined) return;
  if (name === NEW) {
    name = await vscode.window.showInputBox({
      title: 'Claude Ledger: forwarding header name',
      prompt: 'Header sent with every forwarded request, e.g. Authorization',
      value: 'Authorization',
      validateInput: (v) => checkHeader(v.trim(), ''),
    });
    if (name === undefined) return;
    name = name.trim();
  }
  const value = await vscode.window.showInputBox({
    title: `Claude Ledger: value of ${name}`,
    prompt: 'Stored in VS Code\'s Secret Storage, never in settings. Empty: remove the value.',
    password: true,
    ignoreFocusOut: true,
    validateInput: (v) => (v === '' ? undefined : checkHeader(name!, v)),
  });
  if (value === undefined) return;
  if (value === '') await secrets.delete(secretKeyOf(name));
  else await secrets.store(secretKeyOf(name), value);
  if (!names.some((n) => n.toLowerCase() === name!.toLowerCase())) {
    await vscode.workspace.getConfiguration(CONFIG_SECTION).update('forward.headers', [...names, name], vscode.ConfigurationTarget.Global);
  }
  log.info(`forward header ${name} ${value === '' ? 'removed' : 'set'} (value in Secret Storage)`);
  void vscode.window.showInformationMessage(`Claude Ledger: forwarding header ${name} ${value === '' ? 'removed' : 'saved'}.`);
}
