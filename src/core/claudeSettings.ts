// Pure edit of Claude Code's user settings file (~/.claude/settings.json): merge our env block into
// its `env` key, or remove exactly our keys. Every other key and value is kept as parsed. The host
// shows `describeChanges` in a modal before writing anything.

export class ClaudeSettingsError extends Error {
  override name = 'ClaudeSettingsError';
}

export interface EnvChange {
  key: string;
  kind: 'add' | 'change' | 'remove';
  before?: string;
  after?: string;
}

export interface SettingsEdit {
  /** New file text (2-space JSON, trailing newline), or the input unchanged when nothing changes. */
  text: string;
  changes: EnvChange[];
}

/** Parses the file text; missing/empty file = {}. Refuses anything we could not write back faithfully. */
export function parseClaudeSettings(text: string | undefined): Record<string, unknown> {
  if (text === undefined || text.trim() === '') return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (e) {
    // Never overwrite a file we cannot read: the user's other settings would be lost.
    throw new ClaudeSettingsError(`settings.json is not valid JSON (${e instanceof Error ? e.message : String(e)}); fix or move it first`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new ClaudeSettingsError('settings.json does not hold a JSON object');
  }
  const env = (parsed as Record<string, unknown>).env;
  if (env !== undefined && (typeof env !== 'object' || env === null || Array.isArray(env))) {
    throw new ClaudeSettingsError('settings.json has an "env" that is not an object');
  }
  return parsed as Record<string, unknown>;
}

/** Sets each of `ours` in env (adding env if needed). Idempotent: a second merge changes nothing. */
export function mergeEnvIntoSettings(text: string | undefined, ours: Record<string, string>): SettingsEdit {
  const settings = parseClaudeSettings(text);
  const env = { ...((settings.env as Record<string, unknown> | undefined) ?? {}) };
  const changes: EnvChange[] = [];
  for (const [key, after] of Object.entries(ours)) {
    const before = env[key];
    if (before === after) continue;
    changes.push(before === undefined ? { key, kind: 'add', after } : { key, kind: 'change', before: String(before), after });
    env[key] = after;
  }
  if (changes.length === 0) return { text: text ?? '', changes };
  return { text: serialize({ ...settings, env }), changes };
}

/**
 * Removes `keys` from env; leaves everything else. Drops `env` itself only if it becomes empty and
 * we emptied it (an `env: {}` the user wrote stays).
 */
export function removeEnvFromSettings(text: string | undefined, keys: readonly string[]): SettingsEdit {
  const settings = parseClaudeSettings(text);
  const envIn = settings.env as Record<string, unknown> | undefined;
  if (envIn === undefined) return { text: text ?? '', changes: [] };
  const env = { ...envIn };
  const changes: EnvChange[] = [];
  for (const key of keys) {
    if (!(key in env)) continue;
    changes.push({ key, kind: 'remove', before: String(env[key]) });
    delete env[key];
  }
  if (changes.length === 0) return { text: text ?? '', changes };
  const next: Record<string, unknown> = { ...settings, env };
  if (Object.keys(env).length === 0) delete next.env;
  return { text: serialize(next), changes };
}

/** Diff-like lines for the confirmation modal. Secret-looking values are masked (the modal may be screenshared). */
export function describeChanges(changes: readonly EnvChange[], secretKeys: readonly string[] = ['CLAUDE_LEDGER_TOKEN']): string {
  const v = (key: string, value: string | undefined) =>
    value === undefined ? '' : secretKeys.includes(key) ? `${value.slice(0, 4)}…(${value.length} chars)` : value;
  return changes
    .map((c) =>
      c.kind === 'add'
        ? `+ env.${c.key} = ${v(c.key, c.after)}`
        : c.kind === 'remove'
          ? `- env.${c.key} = ${v(c.key, c.before)}`
          : `~ env.${c.key}: ${v(c.key, c.before)} -> ${v(c.key, c.after)}`,
    )
    .join('\n');
}

function serialize(o: Record<string, unknown>): string {
  return `${JSON.stringify(o, null, 2)}\n`;
}
