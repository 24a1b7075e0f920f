// The productivity query's figures with their per-session rules applied at ingest (schema v10), so the
// query reads a row per bucket for its series and a row per (first bucket x identity) for its groups,
// not a row per session of its range (661 ms over 34k sessions in 30 days at 5M records).
//
// The rules (the query applied them per session before v10; ARCHITECTURE "productivity"):
// - lines: the claude_code.lines_of_code.count metric when the session sent one, else its tool events /
//   transcript lines (summary's rule);
// - edit decisions: the code_edit_tool.decision metric when the session sent one, else tool_decision
//   events (acceptance's rule); "own" = not decided by a config rule or hook;
// - cost: the effective usage (api_request events when the session has any, else its cost metric).
// Each rule flips once per session (no source -> metric / events). The flip takes back what the other
// source had put in (retractEventLines / retractEventDecisions, and apply.ts's metric-cost retraction),
// so the stored figures always equal the rule applied to everything the session sent so far.
//
// Tables:
// - productivity_rollup (bucket x session): every figure; the sessions at the edges of a range read it.
//   Session 0 = metric points without session.id (metric figures only).
// - productivity_buckets (bucket): the same summed over sessions; the series read it.
// - session_productivity (a row per session with activity): the session's whole figures, the bucket
//   span of its activity, and its identity (repository, user, e-mail, team) at the last flush.
// - edit_language_rollup (bucket x language): edit decisions by the same rule, for acceptance by
//   language (it read every edit-decision rollup row of its range with its session's flag).
// - productivity_groups (first bucket x identity): the sums of the sessions that start in that bucket,
//   with the per-session parts (session counts, cost of sessions with active time). A range takes the
//   groups of its buckets and corrects for the few sessions crossing its edges (queries/productivity.ts).
//   A changed session moves its old contribution out of its group and its new one in (a recomputation of
//   the group from its sessions per change cost a third of apply); the sums stay within ~1e-12 of the
//   sessions' (test/unit/productivityFigures.test.ts checks it). Retention recomputes the groups it cuts.
import { BatchRows } from './batchRows';
import type { StatementCache } from './statementCache';

/** Every figure column of productivity_rollup, session_productivity and productivity_groups (all summed). */
export const FIGURE_COLUMNS = [
  'active_seconds_user', 'active_seconds_cli', 'commits', 'pull_requests',
  'lines_added', 'lines_removed', 'edit_accepts', 'edit_rejects', 'own_edit_accepts', 'own_edit_rejects', 'cost_usd',
] as const;
export type FigureColumn = (typeof FIGURE_COLUMNS)[number];

/** The columns schema v10 adds to productivity_rollup (v9 had the four metric figures). */
const V10_COLUMNS = FIGURE_COLUMNS.slice(4);

/** Edit-decision sources that are not the person's own decision (acceptance and productivity split on them). */
export const AUTO_DECISION_SOURCES: ReadonlySet<string> = new Set(['config', 'hook']);
const AUTO_IN = [...AUTO_DECISION_SOURCES].map((s) => `'${s.replace(/'/g, "''")}'`).join(', ');

/** A session's e-mail and team as it is grouped by: '' for none (text values only, as the query took them). */
const METRIC_IDENTITY_SQL = `SELECT CASE WHEN typeof(email) = 'text' THEN email ELSE '' END AS email,
    CASE WHEN typeof(team) = 'text' THEN team ELSE '' END AS team
  FROM session_identity WHERE session_id = ?`;

/** A session's repository and user (dict ids) from its sessions row, pending or stored; undefined without a row. */
export type SessionIds = (sid: number) => { repoId: number; userId: number } | undefined;

const GROUP_KEY = ['first_bucket', 'repo_id', 'user_id', 'email', 'team'] as const;
const KEY_WHERE = GROUP_KEY.map((k) => `${k} = ?`).join(' AND ');
/** A session counts as active (for the cost per active hour) when it has active time. */
const ACTIVE = 'active_seconds_user + active_seconds_cli > 0';
/** Columns of a session_productivity row after its session id. */
const SESSION_COLUMNS = ['first_bucket', 'last_bucket', 'repo_id', 'user_id', 'email', 'team', 'has_metrics', ...FIGURE_COLUMNS] as const;
/** Columns of a productivity_groups row after its key, all summed over the group's sessions. */
const GROUP_COLUMNS = ['sessions', 'metric_sessions', 'active_cost_usd', 'active_seconds', ...FIGURE_COLUMNS] as const;
/** A group's row from its sessions (the per-session parts are computed per session here; contribution() in JS). */
const GROUP_SELECT = `SELECT ${GROUP_KEY.join(', ')}, count(*), total(has_metrics),
    total(CASE WHEN ${ACTIVE} THEN cost_usd ELSE 0 END), total(CASE WHEN ${ACTIVE} THEN active_seconds_user + active_seconds_cli ELSE 0 END),
    ${FIGURE_COLUMNS.map((c) => `total(${c})`).join(', ')}
  FROM session_productivity`;

type GroupKey = [number, number, number, string, string];
type Figures = Record<FigureColumn, number>;
interface SessionRow extends Figures {
  first_bucket: number;
  last_bucket: number;
  repo_id: number;
  user_id: number;
  email: string;
  team: string;
  has_metrics: number;
}

/** What a batch changed of one session: its activity span and figure deltas (in FIGURE_COLUMNS order). */
interface SessionChange {
  lo: number;
  hi: number;
  delta: number[];
  /** session_identity was written in this batch. */
  metricIdentity?: boolean;
}

const FIGURE_INDEX = Object.fromEntries(FIGURE_COLUMNS.map((c, i) => [c, i])) as Record<FigureColumn, number>;

/** A session's part of its group, in GROUP_COLUMNS order (GROUP_SELECT's per-session terms). */
function contribution(hasMetrics: number, f: readonly number[]): number[] {
  const active = f[FIGURE_INDEX.active_seconds_user] + f[FIGURE_INDEX.active_seconds_cli];
  return [1, hasMetrics, active > 0 ? f[FIGURE_INDEX.cost_usd] : 0, active > 0 ? active : 0, ...f];
}

export class ProductivityFigures {
  private readonly rollup: BatchRows;
  private readonly buckets: BatchRows;
  private readonly groups: BatchRows;
  private readonly languages: BatchRows;
  private readonly changed = new Map<number, SessionChange>();
  /** Decision source dict id -> decided by a config rule or hook (ids never change meaning within a transaction). */
  private readonly autoSource = new Map<number, boolean>();

  constructor(private readonly sql: StatementCache) {
    const cols = FIGURE_COLUMNS.map((name) => ({ name, op: 'sum' as const }));
    this.rollup = new BatchRows(sql, { table: 'productivity_rollup', keys: ['bucket', 'session_id'], cols });
    this.buckets = new BatchRows(sql, { table: 'productivity_buckets', keys: ['bucket'], cols });
    this.languages = new BatchRows(sql, { table: 'edit_language_rollup', keys: ['bucket', 'language_id'], cols: [{ name: 'accepts', op: 'sum' }, { name: 'rejects', op: 'sum' }] });
    this.groups = new BatchRows(sql, { table: 'productivity_groups', keys: GROUP_KEY, cols: GROUP_COLUMNS.map((name) => ({ name, op: 'sum' as const })) });
  }

  private change(sid: number): SessionChange {
    let c = this.changed.get(sid);
    if (!c) this.changed.set(sid, (c = { lo: Infinity, hi: -Infinity, delta: FIGURE_COLUMNS.map(() => 0) }));
    return c;
  }

  /** The session had activity in `bucket` (apply.ts touchSession: every record that writes activity_rollup). */
  touch(sid: number, bucket: number): void {
    if (!sid) return;
    const c = this.change(sid);
    if (bucket < c.lo) c.lo = bucket;
    if (bucket > c.hi) c.hi = bucket;
  }

  /** The session's repository may have changed (its sessions row): its group is looked at again at flush. */
  repositoryChanged(sid: number): void {
    if (sid) this.change(sid);
  }

  /** The session's e-mail or team may have changed (session_identity was written): read again at flush. */
  metricIdentityChanged(sid: number): void {
    if (sid) this.change(sid).metricIdentity = true;
  }

  /** Adds to one figure of (bucket, session); session 0 only to the rollup (metric points without session.id). */
  add(bucket: number, sid: number, col: FigureColumn, v: number): void {
    if (!v) return;
    const vals = FIGURE_COLUMNS.map(() => 0);
    const i = FIGURE_INDEX[col];
    vals[i] = v;
    this.rollup.upsert([bucket, sid], vals);
    this.buckets.upsert([bucket], vals);
    if (!sid) return;
    this.change(sid).delta[i] += v;
  }

  /** Adds edit decisions (accepts, rejects) of a language by a decision source; `own` splits on AUTO_DECISION_SOURCES. */
  addDecisions(bucket: number, sid: number, languageId: number, sourceId: number, accepts: number, rejects: number): void {
    if (accepts || rejects) this.languages.upsert([bucket, languageId], [accepts, rejects]);
    this.add(bucket, sid, 'edit_accepts', accepts);
    this.add(bucket, sid, 'edit_rejects', rejects);
    if (this.isAutoSource(sourceId)) return;
    this.add(bucket, sid, 'own_edit_accepts', accepts);
    this.add(bucket, sid, 'own_edit_rejects', rejects);
  }

  private isAutoSource(id: number): boolean {
    if (!id) return false;
    let auto = this.autoSource.get(id);
    if (auto === undefined) {
      const v = this.sql.get<{ value: string }>('SELECT value FROM dict WHERE id = ?', [id])?.value;
      auto = v !== undefined && AUTO_DECISION_SOURCES.has(v);
      this.autoSource.set(id, auto);
    }
    return auto;
  }

  /**
   * The session's first lines metric: its event lines so far leave the figures (summary's rule). The
   * caller wrote the session's pending activity rows; [b0, b1] is the session's span so far.
   */
  retractEventLines(sid: number, b0: number, b1: number): void {
    for (const x of this.sql.all<{ bucket: number; la: number; lr: number }>(
      `SELECT bucket, lines_added_events AS la, lines_removed_events AS lr FROM activity_rollup
       WHERE bucket >= ? AND bucket <= ? AND session_id = ? AND (lines_added_events <> 0 OR lines_removed_events <> 0)`,
      [b0, b1, sid],
    )) {
      this.add(x.bucket, sid, 'lines_added', -x.la);
      this.add(x.bucket, sid, 'lines_removed', -x.lr);
    }
  }

  /** The session's first decision metric: its tool_decision events so far leave the figures (acceptance's rule). */
  retractEventDecisions(sid: number, b0: number, b1: number): void {
    for (const x of this.sql.all<{ bucket: number; language: number; source: number; acc: number; rej: number }>(
      `SELECT bucket, language_id AS language, decision_source_id AS source, accepts AS acc, rejects AS rej FROM edit_decision_rollup
       WHERE bucket >= ? AND bucket <= ? AND session_id = ? AND from_metrics = 0`,
      [b0, b1, sid],
    )) {
      this.addDecisions(x.bucket, sid, x.language, x.source, -x.acc, -x.rej);
    }
  }

  /**
   * Writes the batch: the rollup rows, then each changed session's row (span, identity, figures) and
   * the groups it left and joined. `ids` reads the sessions rows (the caller flushes them after this).
   */
  flush(sessionIds: SessionIds): void {
    this.rollup.flush();
    this.buckets.flush();
    this.languages.flush();
    const left: GroupKey[] = [];
    for (const [sid, c] of this.changed) {
      const old = this.sql.get<SessionRow>(
        `SELECT first_bucket, last_bucket, repo_id, user_id, email, team, has_metrics, ${FIGURE_COLUMNS.join(', ')} FROM session_productivity WHERE session_id = ?`,
        [sid],
      );
      if (!old && c.lo === Infinity) continue; // no activity yet: nothing to show (a figure always comes with activity)
      const ids = sessionIds(sid);
      if (!ids) continue; // no sessions row: not a session the query shows (none is written without one)
      // E-mail and team: as stored unless session_identity changed (a session's first metric series or a new one).
      let metric: { email: string; team: string; has_metrics: number } | undefined = old;
      if (!old || c.metricIdentity) {
        const m = this.sql.get<{ email: string; team: string }>(METRIC_IDENTITY_SQL, [sid]);
        metric = { email: m?.email ?? '', team: m?.team ?? '', has_metrics: m ? 1 : 0 };
      }
      const id = { repo_id: ids.repoId, user_id: ids.userId, ...metric! };
      const first = old ? Math.min(old.first_bucket, c.lo) : c.lo;
      const last = old ? Math.max(old.last_bucket, c.hi) : c.hi;
      const oldFigures = FIGURE_COLUMNS.map((col) => (old ? old[col] : 0));
      const figures = oldFigures.map((v, i) => v + c.delta[i]);
      const row = [first, last, id.repo_id, id.user_id, id.email, id.team, id.has_metrics, ...figures];
      // An UPDATE leaves the index entries whose columns did not change as they are.
      if (old) this.sql.run(`UPDATE session_productivity SET ${SESSION_COLUMNS.map((col) => `${col} = ?`).join(', ')} WHERE session_id = ?`, [...row, sid]);
      else this.sql.run(`INSERT INTO session_productivity (session_id, ${SESSION_COLUMNS.join(', ')}) VALUES (?, ${SESSION_COLUMNS.map(() => '?').join(', ')})`, [sid, ...row]);
      // Out of the old group, into the new one (often the same row: one change of its sums).
      const key: GroupKey = [first, id.repo_id, id.user_id, id.email, id.team];
      const added = contribution(id.has_metrics, figures);
      if (old) {
        const oldKey: GroupKey = [old.first_bucket, old.repo_id, old.user_id, old.email, old.team];
        const removed = contribution(old.has_metrics, oldFigures);
        if (oldKey.every((k, i) => k === key[i])) {
          this.groups.upsert(key, added.map((v, i) => v - removed[i]));
          continue;
        }
        this.groups.upsert(oldKey, removed.map((v) => -v));
        left.push(oldKey);
      }
      this.groups.upsert(key, added);
    }
    this.changed.clear();
    this.groups.flush();
    for (const k of left) this.sql.run(`DELETE FROM productivity_groups WHERE ${KEY_WHERE} AND sessions = 0`, k);
  }

  /** Drops what the batch had pending (after a rollback). */
  discard(): void {
    this.rollup.discard();
    this.buckets.discard();
    this.groups.discard();
    this.languages.discard();
    this.changed.clear();
    this.autoSource.clear();
  }
}

/** Rewrites one productivity_groups row from its sessions (deleted when none is left). */
function regroupSessions(sql: StatementCache, key: GroupKey): void {
  sql.run(`DELETE FROM productivity_groups WHERE ${KEY_WHERE}`, key);
  sql.run(`INSERT INTO productivity_groups ${GROUP_SELECT} WHERE ${KEY_WHERE} GROUP BY ${GROUP_KEY.join(', ')}`, key);
}

/**
 * Retention: rollups older than `cutoffBucket` are gone, so sessions that started before it are cut to
 * what is left (or dropped when nothing is), at most `batch` sessions per call. Returns the sessions changed.
 */
export function pruneSessionFigures(sql: StatementCache, cutoffBucket: number, batch: number): number {
  const stale = sql.all<SessionRow & { session_id: number }>(
    `SELECT session_id, first_bucket, last_bucket, repo_id, user_id, email, team, has_metrics FROM session_productivity WHERE first_bucket < ? LIMIT ?`,
    [cutoffBucket, batch],
  );
  const groups = new Map<string, GroupKey>();
  const regroup = (k: GroupKey) => groups.set(k.join('\u0001'), k);
  for (const s of stale) {
    regroup([s.first_bucket, s.repo_id, s.user_id, s.email, s.team]);
    const first = s.last_bucket < cutoffBucket
      ? null
      : sql.get<{ b: number | null }>(`SELECT min(bucket) AS b FROM activity_rollup WHERE bucket >= ? AND bucket <= ? AND session_id = ?`, [cutoffBucket, s.last_bucket, s.session_id])?.b ?? null;
    if (first === null) {
      sql.run('DELETE FROM session_productivity WHERE session_id = ?', [s.session_id]);
      continue;
    }
    sql.run(
      `UPDATE session_productivity SET first_bucket = ?, (${FIGURE_COLUMNS.join(', ')}) =
         (SELECT ${FIGURE_COLUMNS.map((c) => `total(${c})`).join(', ')} FROM productivity_rollup WHERE bucket >= ? AND bucket <= ? AND session_id = ?)
       WHERE session_id = ?`,
      [first, first, s.last_bucket, s.session_id, s.session_id],
    );
    regroup([first, s.repo_id, s.user_id, s.email, s.team]);
  }
  for (const k of groups.values()) regroupSessions(sql, k);
  return stale.length;
}

/**
 * Schema v10 DDL and the backfill: the rules applied to the rollups an older version kept (the SQL the
 * v9 query ran per request), then the sessions and their groups.
 */
export const PRODUCTIVITY_SCHEMA_V10 = `
${V10_COLUMNS.map((c) => `ALTER TABLE productivity_rollup ADD COLUMN ${c} REAL NOT NULL DEFAULT 0;`).join('\n')}
INSERT INTO productivity_rollup (bucket, session_id, lines_added, lines_removed)
  SELECT * FROM (
    SELECT a.bucket, a.session_id,
      CASE WHEN s.has_lines_metric THEN a.lines_added_metrics ELSE a.lines_added_events END,
      CASE WHEN s.has_lines_metric THEN a.lines_removed_metrics ELSE a.lines_removed_events END
    FROM activity_rollup a JOIN sessions s ON s.id = a.session_id
  ) WHERE true
  ON CONFLICT (bucket, session_id) DO UPDATE SET lines_added = excluded.lines_added, lines_removed = excluded.lines_removed;
INSERT INTO productivity_rollup (bucket, session_id, edit_accepts, edit_rejects, own_edit_accepts, own_edit_rejects)
  SELECT * FROM (
    SELECT x.bucket, x.session_id, total(x.accepts), total(x.rejects),
      total(CASE WHEN d.value IN (${AUTO_IN}) THEN 0 ELSE x.accepts END),
      total(CASE WHEN d.value IN (${AUTO_IN}) THEN 0 ELSE x.rejects END)
    FROM edit_decision_rollup x JOIN sessions s ON s.id = x.session_id LEFT JOIN dict d ON d.id = x.decision_source_id
    WHERE x.from_metrics = s.has_edit_decision_metric
    GROUP BY x.bucket, x.session_id
  ) WHERE true
  ON CONFLICT (bucket, session_id) DO UPDATE SET edit_accepts = excluded.edit_accepts, edit_rejects = excluded.edit_rejects,
    own_edit_accepts = excluded.own_edit_accepts, own_edit_rejects = excluded.own_edit_rejects;
INSERT INTO productivity_rollup (bucket, session_id, cost_usd)
  SELECT * FROM (
    SELECT u.bucket, u.session_id, total(u.cost_usd)
    FROM usage_rollup u JOIN sessions s ON s.id = u.session_id
    WHERE u.from_metrics = 0 OR s.api_request_events = 0
    GROUP BY u.bucket, u.session_id
  ) WHERE true
  ON CONFLICT (bucket, session_id) DO UPDATE SET cost_usd = excluded.cost_usd;
CREATE TABLE edit_language_rollup (
  bucket INTEGER NOT NULL, language_id INTEGER NOT NULL, accepts INTEGER NOT NULL DEFAULT 0, rejects INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (bucket, language_id)
) WITHOUT ROWID;
INSERT INTO edit_language_rollup
  SELECT x.bucket, x.language_id, sum(x.accepts), sum(x.rejects)
  FROM edit_decision_rollup x JOIN sessions s ON s.id = x.session_id
  WHERE x.from_metrics = s.has_edit_decision_metric
  GROUP BY x.bucket, x.language_id;
CREATE TABLE productivity_buckets (
  bucket INTEGER PRIMARY KEY,
  ${FIGURE_COLUMNS.map((c) => `${c} REAL NOT NULL DEFAULT 0`).join(', ')}
);
INSERT INTO productivity_buckets SELECT bucket, ${FIGURE_COLUMNS.map((c) => `total(${c})`).join(', ')} FROM productivity_rollup GROUP BY bucket;
CREATE TABLE session_productivity (
  session_id INTEGER PRIMARY KEY,
  first_bucket INTEGER NOT NULL, last_bucket INTEGER NOT NULL,
  repo_id INTEGER NOT NULL, user_id INTEGER NOT NULL, email TEXT NOT NULL, team TEXT NOT NULL, has_metrics INTEGER NOT NULL,
  ${FIGURE_COLUMNS.map((c) => `${c} REAL NOT NULL DEFAULT 0`).join(', ')}
);
CREATE INDEX session_productivity_first ON session_productivity(first_bucket);
CREATE INDEX session_productivity_span ON session_productivity(last_bucket, first_bucket);
INSERT INTO session_productivity
  SELECT a.session_id, a.first_bucket, a.last_bucket, s.repo_id, s.user_id,
    CASE WHEN typeof(si.email) = 'text' THEN si.email ELSE '' END,
    CASE WHEN typeof(si.team) = 'text' THEN si.team ELSE '' END,
    si.session_id IS NOT NULL,
    ${FIGURE_COLUMNS.map((c) => `coalesce(p.${c}, 0)`).join(', ')}
  FROM (SELECT session_id, min(bucket) AS first_bucket, max(bucket) AS last_bucket FROM activity_rollup GROUP BY session_id) a
  JOIN sessions s ON s.id = a.session_id
  LEFT JOIN session_identity si ON si.session_id = a.session_id
  LEFT JOIN (SELECT session_id, ${FIGURE_COLUMNS.map((c) => `total(${c}) AS ${c}`).join(', ')} FROM productivity_rollup GROUP BY session_id) p
    ON p.session_id = a.session_id;
CREATE TABLE productivity_groups (
  first_bucket INTEGER NOT NULL, repo_id INTEGER NOT NULL, user_id INTEGER NOT NULL, email TEXT NOT NULL, team TEXT NOT NULL,
  sessions INTEGER NOT NULL, metric_sessions INTEGER NOT NULL, active_cost_usd REAL NOT NULL, active_seconds REAL NOT NULL,
  ${FIGURE_COLUMNS.map((c) => `${c} REAL NOT NULL`).join(', ')},
  PRIMARY KEY (${GROUP_KEY.join(', ')})
) WITHOUT ROWID;
INSERT INTO productivity_groups ${GROUP_SELECT} GROUP BY ${GROUP_KEY.join(', ')};
`;
