// File layout of forwarding (used by the journal, which writes it, and by the forwarder, which reads it).
//
//   DATA/forward/spool/000000000042.seg   journal segments not yet forwarded, numbered in order. They are
//                                          HARD LINKS: the highest one is the live journal.bin itself (same
//                                          inode), the lower ones were journal.bin before a snapshot rotated it.
//   DATA/forward/cursor-<16 hex>.json     one cursor per upstream (hex = sha256 of the endpoint URL):
//                                          { endpoint, seq, offset, counters } = the next frame to send.
//
// Only the journal creates segments (at open and at snapshot: coveredBySnapshot); only the forwarder
// deletes them (a segment below its cursor, never the highest). With forwarding off the whole folder is
// removed when the store opens, so disk use is what it was before forwarding existed.
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, rmSync, statSync } from 'node:fs';
import path from 'node:path';

export const FORWARD_DIR = 'forward';
export const SPOOL_DIR = 'spool';

export function spoolDirOf(dataDir: string): string {
  return path.join(dataDir, FORWARD_DIR, SPOOL_DIR);
}

export function segmentName(seq: number): string {
  return `${String(seq).padStart(12, '0')}.seg`;
}

/** Sequence numbers of the segments in a spool folder, ascending (other files are ignored). */
export function listSegments(spoolDir: string): number[] {
  let names: string[];
  try {
    names = readdirSync(spoolDir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
  const out: number[] = [];
  for (const n of names) {
    const m = /^(\d{12})\.seg$/.exec(n);
    if (m) out.push(Number(m[1]));
  }
  return out.sort((a, b) => a - b);
}

/** The cursor file of one upstream (keyed by its endpoint URL). */
export function cursorFileOf(dataDir: string, endpoint: string): string {
  const key = createHash('sha256').update(endpoint).digest('hex').slice(0, 16);
  return path.join(dataDir, FORWARD_DIR, `cursor-${key}.json`);
}

/**
 * Forwarding is off: removes the spool and cursors (what was not forwarded is not kept: "off" means the
 * disk use of a ledger without forwarding). Returns the bytes that were still waiting, for the log.
 */
export function removeForwardDir(dataDir: string): { segments: number; bytes: number } | undefined {
  const dir = path.join(dataDir, FORWARD_DIR);
  if (!existsSync(dir)) return undefined;
  const spool = spoolDirOf(dataDir);
  let bytes = 0;
  const segs = listSegments(spool);
  for (const s of segs) {
    try {
      bytes += statSync(path.join(spool, segmentName(s))).size;
    } catch {
      // gone meanwhile: nothing to count
    }
  }
  rmSync(dir, { recursive: true, force: true });
  return { segments: segs.length, bytes };
}
