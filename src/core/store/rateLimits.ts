// Writes of the status line's plan-limit snapshots (table rate_limit_snapshots, schema v5). Not
// journaled, like audit rows: the status line sends the current numbers again after every message, so
// a crash loses at most the numbers until the next message; the next idle snapshot keeps them.
import type { StatuslinePostDto } from '../../protocol/limitsDto';
import type { StatementCache } from './statementCache';

/** Snapshots older than this are deleted at the next write: a plan window is at most 7 days long. */
export const RATE_LIMIT_RETENTION_MS = 90 * 86_400_000;

interface SnapshotRow {
  id: number;
  five_hour_percent: number | null;
  five_hour_resets_ms: number | null;
  seven_day_percent: number | null;
  seven_day_resets_ms: number | null;
  session_id: string | null;
  model: string | null;
}

/** The account of a session the ledger knows (its user.id), '' when unknown. */
function accountOf(sql: StatementCache, sessionId: string | undefined): string {
  if (!sessionId) return '';
  const r = sql.get<{ account: string | null }>(
    `SELECT u.value AS account FROM dict d JOIN sessions s ON s.id = d.id LEFT JOIN dict u ON u.id = s.user_id WHERE d.value = ?`,
    [sessionId],
  );
  return r?.account ?? '';
}

/**
 * Stores the post's rate limits (when it has any). A repeat of the latest row of the account moves
 * last_ms only; anything else is a new row. Returns whether a row was stored or touched and whether
 * the numbers changed (the caller bumps the data version only then, so views do not refetch after
 * every message for nothing).
 */
export function recordRateLimits(sql: StatementCache, post: StatuslinePostDto, nowMs: number): { stored: boolean; changed: boolean } {
  if (!post.fiveHour && !post.sevenDay) return { stored: false, changed: false };
  const account = accountOf(sql, post.sessionId);
  const v = [
    post.fiveHour?.usedPercent ?? null,
    post.fiveHour?.resetsAtSec !== undefined ? post.fiveHour.resetsAtSec * 1000 : null,
    post.sevenDay?.usedPercent ?? null,
    post.sevenDay?.resetsAtSec !== undefined ? post.sevenDay.resetsAtSec * 1000 : null,
  ] as const;
  const last = sql.get<SnapshotRow>(
    `SELECT id, five_hour_percent, five_hour_resets_ms, seven_day_percent, seven_day_resets_ms, session_id, model
     FROM rate_limit_snapshots WHERE account = ? ORDER BY last_ms DESC, id DESC LIMIT 1`,
    [account],
  );
  const same =
    last !== undefined &&
    last.five_hour_percent === v[0] && last.five_hour_resets_ms === v[1] && last.seven_day_percent === v[2] && last.seven_day_resets_ms === v[3];
  if (same) {
    sql.run('UPDATE rate_limit_snapshots SET last_ms = ?, session_id = coalesce(?, session_id), model = coalesce(?, model) WHERE id = ?', [
      nowMs, post.sessionId ?? null, post.model ?? null, last.id,
    ]);
    return { stored: true, changed: false };
  }
  sql.run(
    `INSERT INTO rate_limit_snapshots (account, session_id, model, first_ms, last_ms, five_hour_percent, five_hour_resets_ms, seven_day_percent, seven_day_resets_ms)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    [account, post.sessionId ?? null, post.model ?? null, nowMs, nowMs, ...v],
  );
  sql.run('DELETE FROM rate_limit_snapshots WHERE last_ms < ?', [nowMs - RATE_LIMIT_RETENTION_MS]);
  return { stored: true, changed: true };
}
