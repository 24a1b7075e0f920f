// filesEdited(range, limit): files touched by edit tools (Write, Edit, MultiEdit, NotebookEdit).
import type { FilesEditedDto, QueryMethods } from '../../protocol/dto';
import { toLocalIso } from '../time/range';
import { rangeBuckets, type QueryContext } from './common';

export const FILES_LIMITS = { defaultLimit: 100, maxLimit: 1_000 } as const;

export function filesEditedQuery(ctx: QueryContext, p: QueryMethods['filesEdited']['params']): FilesEditedDto {
  const r = rangeBuckets(p.range, ctx.nowMs);
  const limit = Math.max(1, Math.min(FILES_LIMITS.maxLimit, Math.floor(p.limit ?? FILES_LIMITS.defaultLimit)));
  const rows = ctx.sql.all<{ path: string; edits: number; accepts: number; rejects: number; la: number; lr: number; sessions: number; last_ms: number }>(
    // Grouped first, then named: one dict lookup per file instead of one per rollup row.
    `SELECT d.value AS path, g.edits, g.accepts, g.rejects, g.la, g.lr, g.sessions, g.last_ms
     FROM (SELECT path_id, sum(edits) AS edits, sum(accepts) AS accepts, sum(rejects) AS rejects, sum(lines_added) AS la,
             sum(lines_removed) AS lr, count(DISTINCT session_id) AS sessions, max(last_ms) AS last_ms
           FROM file_rollup WHERE bucket >= ? AND bucket < ? GROUP BY path_id) g
     JOIN dict d ON d.id = g.path_id ORDER BY g.edits DESC, g.last_ms DESC, path LIMIT ?`,
    [r.b0, r.b1, limit],
  );
  return {
    range: r.resolved,
    files: rows.map((f) => ({
      path: f.path, edits: f.edits, accepts: f.accepts, rejects: f.rejects, linesAdded: f.la, linesRemoved: f.lr, sessions: f.sessions,
      lastEdited: toLocalIso(f.last_ms),
    })),
  };
}
