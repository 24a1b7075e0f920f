// Finds Claude Code's transcript files under the configured roots (folders of project folders, like
// ~/.claude/projects). Layout: <root>/<project-dir>/<session-id>.jsonl and subagents under
// <root>/<project-dir>/<session-id>/subagents/agent-*.jsonl. Async fs only (the host's event loop never
// blocks on a big folder), bounded in depth and count, and safe against symlink loops (every directory
// is visited once by its real path).
import { promises as fsp } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { TranscriptFileRef } from '../../core/transcripts/importSummary';

export interface TranscriptScanLimits {
  /** Files listed per scan; past it the rest waits for the next scan (and a problem is reported). */
  maxFiles: number;
  /** Directory depth below a root: project (1), session folder (2), subagents (3). */
  maxDepth: number;
}

export const DEFAULT_SCAN_LIMITS: TranscriptScanLimits = {
  // A heavy user has a few thousand sessions; 200k files bounds the memory of one listing (~40 MB).
  maxFiles: 200_000,
  maxDepth: 3,
};

/** The default roots: `$CLAUDE_CONFIG_DIR/projects` when set, and `~/.claude/projects`. */
export function defaultTranscriptRoots(env: NodeJS.ProcessEnv = process.env, home: string = os.homedir()): string[] {
  const roots: string[] = [];
  const configDir = env.CLAUDE_CONFIG_DIR?.trim();
  if (configDir) for (const d of configDir.split(',')) if (d.trim()) roots.push(path.join(expandHome(d.trim(), home), 'projects'));
  roots.push(path.join(home, '.claude', 'projects'));
  return [...new Set(roots.map((r) => path.resolve(r)))];
}

export function expandHome(p: string, home: string = os.homedir()): string {
  return p === '~' ? home : p.startsWith('~/') ? path.join(home, p.slice(2)) : p;
}

export interface ScanResult {
  files: TranscriptFileRef[];
  /** Roots that do not exist (normal for a user without Claude Code): not problems. */
  missingRoots: string[];
  problems: string[];
}

export async function scanTranscriptRoots(roots: readonly string[], limits: TranscriptScanLimits = DEFAULT_SCAN_LIMITS): Promise<ScanResult> {
  const out: ScanResult = { files: [], missingRoots: [], problems: [] };
  const seenDirs = new Set<string>();
  const seenFiles = new Set<string>();

  const walk = async (dir: string, depth: number, projectDir: string | undefined, inSubagents: boolean): Promise<void> => {
    let real: string;
    try {
      real = await fsp.realpath(dir);
    } catch (err) {
      if (depth > 0) out.problems.push(`${dir}: ${(err as Error).message}`);
      return;
    }
    if (seenDirs.has(real)) return; // a symlink loop or two names of one folder
    seenDirs.add(real);
    let entries: import('node:fs').Dirent[];
    try {
      entries = await fsp.readdir(dir, { withFileTypes: true });
    } catch (err) {
      out.problems.push(`${dir} could not be read: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
      return;
    }
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)); // deterministic across file systems
    for (const e of entries) {
      if (out.files.length >= limits.maxFiles) {
        out.problems.push(`more than ${limits.maxFiles} transcript files; the rest is read on a later scan`);
        return;
      }
      const full = path.join(dir, e.name);
      let isDir = e.isDirectory();
      let isFile = e.isFile();
      if (e.isSymbolicLink()) {
        try {
          const st = await fsp.stat(full);
          isDir = st.isDirectory();
          isFile = st.isFile();
        } catch {
          continue; // a dangling link
        }
      }
      if (isDir) {
        if (depth >= limits.maxDepth) continue;
        // depth 0: project folders; below them only <session>/subagents holds transcripts.
        if (depth === 0) await walk(full, 1, e.name, false);
        else if (depth === 1) await walk(full, 2, projectDir, false);
        else if (depth === 2 && e.name === 'subagents') await walk(full, 3, projectDir, true);
        continue;
      }
      if (!isFile || !e.name.endsWith('.jsonl') || depth === 0) continue;
      if (depth === 2) continue; // only subagents/ below a session folder
      try {
        const st = await fsp.stat(full);
        // One file under two names (a link) is read once; dev + inode is the identity (no realpath per file).
        const identity = `${st.dev}:${st.ino}`;
        if (seenFiles.has(identity)) continue;
        seenFiles.add(identity);
        out.files.push({ path: full, projectDir: projectDir ?? '', isSubagent: inSubagents, size: st.size, mtimeMs: st.mtimeMs, ino: st.ino });
      } catch (err) {
        // Deleted between readdir and stat: its data (if any was imported) stays in the ledger.
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT') out.problems.push(`${full}: ${(err as Error).message}`);
      }
    }
  };

  for (const root of roots) {
    try {
      const st = await fsp.stat(root);
      if (!st.isDirectory()) {
        out.problems.push(`${root} is not a folder`);
        continue;
      }
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') out.missingRoots.push(root);
      else out.problems.push(`${root} could not be read: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
      continue;
    }
    await walk(root, 0, undefined, false);
  }
  // Oldest first: an original session is read before the sessions that resumed (and replayed) it.
  out.files.sort((a, b) => a.mtimeMs - b.mtimeMs || a.path.localeCompare(b.path));
  return out;
}
