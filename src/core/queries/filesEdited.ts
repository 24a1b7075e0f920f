// filesEdited(range, limit): files touched by edit tools (Write, Edit, MultiEdit, NotebookEdit).
import type { FilesEditedDto, QueryMethods } from '../../protocol/dto';
import { toLocalIso } from '../time/range';
import { rangeBuckets, type QueryContext } from './common';

export const FILES_LIMITS = { defaultLimit: 100, maxLimit: 1_000 } as const;

export function filesEditedQuery(ctx: QueryContext, p: QueryMethods['filesEdited']['params']): FilesEditedDto {
  const r = rangeBuckets(p.range, ctx.nowMs);
  const limit = Math.max(1, Math.min(FILES_LIMITS.maxLimit, Math.floor(p.limit ?? FILES_LIMITS.defaultLimit)));
  const rows = ctx.sql.all<{ path: string; edits: number; accepts: number; rejects: number; la: number; lr: number; sessions: number; last_ms: number }>(
    `SELECT d.value AS path, sum(f.edits) AS edits, sum(f.accepts) AS accepts, sum(f.rejects) AS rejects, sum(f.lines_added) AS la,
       sum(f.lines_removed) AS lr, count(DISTINCT f.session_id) AS sessions, max(f.last_ms) AS last_ms
     FROM file_rollup f JOIN dict d ON d.id = f.path_id WHERE f.bucket >= ? AND f.bucket < ?
     GROUP BY f.path_id ORDER BY edits DESC, last_ms DESC, path LIMIT ?`,
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
