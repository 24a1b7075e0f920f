// Reads what decides Claude Code's OTLP protocol and endpoints besides our injected env: the `env` of
// its managed settings (the organisation's) and of the user's settings file. Missing or unreadable
// files count as empty, never as an error: this only steers which port we point Claude Code at.
import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { managedSettingsPath, settingsEnv, type ClaudeEnvLayers } from '../core/claudeExportPlan';

/** Claude Code's user settings; it honours CLAUDE_CONFIG_DIR when set. */
export function claudeUserSettingsPath(env: NodeJS.ProcessEnv = process.env): string {
  const dir = env.CLAUDE_CONFIG_DIR || path.join(os.homedir(), '.claude');
  return path.join(dir, 'settings.json');
}

async function readText(file: string): Promise<string | undefined> {
  try {
    // Settings files are small; the cap only guards against a wrong path pointing at something huge.
    const h = await fs.open(file, 'r');
    try {
      const buf = Buffer.alloc(1024 * 1024);
      const { bytesRead } = await h.read(buf, 0, buf.length, 0);
      return buf.subarray(0, bytesRead).toString('utf8');
    } finally {
      await h.close();
    }
  } catch {
    return undefined;
  }
}

export async function readClaudeEnvLayers(env: NodeJS.ProcessEnv = process.env, platform: NodeJS.Platform = process.platform): Promise<ClaudeEnvLayers> {
  const [managed, user] = await Promise.all([readText(managedSettingsPath(platform)), readText(claudeUserSettingsPath(env))]);
  return { managed: settingsEnv(managed), user: settingsEnv(user), inherited: env };
}
