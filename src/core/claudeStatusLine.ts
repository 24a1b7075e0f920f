// "Set Up Status Line" / "Remove Status Line": pure edits of Claude Code's user settings
// (~/.claude/settings.json) `statusLine` key, and the launcher script the command points at.
//
// Chaining: a user who already has a status line keeps it. Our command then carries theirs
// (`--chain-b64 <base64 of their command>`): the status line command runs it with the same stdin and
// prints its output first, then our line. "Remove" restores exactly their statusLine object from it, so
// no state is kept anywhere but in the settings file itself.
import { parseClaudeSettings, type SettingsEdit } from './claudeSettings';

/** The launcher's file name in the ledger's data folder (what marks a status line as ours). */
export const LAUNCHER_FILE = 'claude-ledger-statusline.js';

export interface StatusLineSetting {
  type: 'command';
  command: string;
  padding?: number;
  [key: string]: unknown;
}

export function isOurStatusLine(v: unknown): boolean {
  return typeof v === 'object' && v !== null && typeof (v as { command?: unknown }).command === 'string' && (v as { command: string }).command.includes(LAUNCHER_FILE);
}

/** POSIX-shell / cmd double quoting of a path (Claude Code runs the command through a shell). */
export function quoteArg(s: string): string {
  return /^[A-Za-z0-9_./:=,@+-]+$/.test(s) ? s : `"${s.replace(/(["\\$`])/g, '\\$1')}"`;
}

/** Our command: `<node> <data folder>/claude-ledger-statusline.js` (+ the chained command, base64). */
export function ourStatusLineCommand(o: { nodeCommand: string; launcherPath: string; chain?: string }): string {
  const base = `${o.nodeCommand} ${quoteArg(o.launcherPath)}`;
  return o.chain ? `${base} --chain-b64 ${Buffer.from(o.chain, 'utf8').toString('base64')}` : base;
}

function chainedOf(command: string): string | undefined {
  const m = /--chain-b64[ =]([A-Za-z0-9+/=]+)/.exec(command);
  return m ? Buffer.from(m[1], 'base64').toString('utf8') : undefined;
}

function serialize(o: Record<string, unknown>): string {
  return `${JSON.stringify(o, null, 2)}\n`;
}

/** Preview lines for the modal. */
function line(kind: 'add' | 'change' | 'remove', before?: unknown, after?: unknown): { key: string; kind: 'add' | 'change' | 'remove'; before?: string; after?: string } {
  const show = (v: unknown) => (v === undefined ? undefined : JSON.stringify(v));
  return { key: 'statusLine', kind, before: show(before), after: show(after) };
}

/**
 * Sets statusLine to ours. An existing status line of the user's is chained (kept, shown first); an
 * existing one of ours is replaced by the current command (launcher path or node moved) keeping its chain.
 */
export function mergeStatusLine(text: string | undefined, o: { nodeCommand: string; launcherPath: string }): SettingsEdit {
  const settings = parseClaudeSettings(text);
  const before = settings.statusLine as StatusLineSetting | undefined;
  let chain: string | undefined;
  let padding: number | undefined;
  if (before !== undefined) {
    if (isOurStatusLine(before)) chain = chainedOf(before.command);
    else if (typeof before === 'object' && before !== null && typeof before.command === 'string' && before.command.trim() !== '') chain = before.command;
    if (typeof before?.padding === 'number') padding = before.padding;
  }
  const after: StatusLineSetting = { type: 'command', command: ourStatusLineCommand({ ...o, chain }), ...(padding !== undefined && { padding }) };
  if (JSON.stringify(before) === JSON.stringify(after)) return { text: text ?? '', changes: [] };
  return { text: serialize({ ...settings, statusLine: after }), changes: [line(before === undefined ? 'add' : 'change', before, after)] };
}

/** Removes our statusLine: restores the chained one (the user's) or deletes the key. Others' are left alone. */
export function removeStatusLine(text: string | undefined): SettingsEdit {
  const settings = parseClaudeSettings(text);
  const before = settings.statusLine as StatusLineSetting | undefined;
  if (!isOurStatusLine(before)) return { text: text ?? '', changes: [] };
  const chained = chainedOf((before as StatusLineSetting).command);
  const next: Record<string, unknown> = { ...settings };
  if (chained) {
    const restored: StatusLineSetting = { type: 'command', command: chained, ...(typeof before?.padding === 'number' && { padding: before.padding }) };
    next.statusLine = restored;
    return { text: serialize(next), changes: [line('change', before, restored)] };
  }
  delete next.statusLine;
  return { text: serialize(next), changes: [line('remove', before)] };
}

/**
 * The launcher written into the ledger's data folder: a stable path for Claude Code's settings that
 * survives extension updates. It requires the status line bundle of the install it was written by
 * (rewritten at every start), or, when that folder is gone (updated, moved), the newest sibling install
 * of the extension; then runs it in this same process (no child process) with --data <this folder>
 * and --port <the receiver's port>.
 */
export function launcherScript(o: { statuslineJs: string; port: number; extensionPrefix?: string }): string {
  const prefix = (o.extensionPrefix ?? 'claude-code-ledger.claude-code-ledger-').toLowerCase();
  return `// Claude Code Ledger: the command of Claude Code's statusLine setting. Written by the extension at
// each start (do not edit; "Claude Ledger: Remove Status Line" takes it out of Claude Code's settings).
'use strict';
const fs = require('fs');
const path = require('path');
const known = ${JSON.stringify(o.statuslineJs)};
const port = ${JSON.stringify(o.port)};
function find() {
  if (fs.existsSync(known)) return known;
  try {
    const parent = path.dirname(path.dirname(path.dirname(known)));
    return fs.readdirSync(parent)
      .filter((n) => n.toLowerCase().startsWith(${JSON.stringify(prefix)}))
      .map((n) => path.join(parent, n, 'dist', 'statusline.js'))
      .filter((f) => fs.existsSync(f))
      .sort((a, b) => fs.statSync(b).mtimeMs - fs.statSync(a).mtimeMs)[0];
  } catch {
    return undefined;
  }
}
const args = process.argv.slice(2);
if (!args.includes('--port')) args.unshift('--port', String(port));
if (!args.includes('--data')) args.unshift('--data', __dirname);
const found = find();
if (found) {
  process.argv = [process.argv[0], found, ...args];
  require(found);
} else {
  process.stdout.write('Claude Ledger: extension not found\\n');
}
`;
}
