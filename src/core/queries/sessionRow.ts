// One session row (sessions list, timeline header, CSV). Per session: events when it has any
// api_request, else its metrics; lines from the lines_of_code metric when the session sent it.
import type { CostSource, SessionRowDto } from '../../protocol/dto';
import { toLocalIso } from '../time/range';

/** Columns to select from `sessions s` (plus `d.value AS sid`, `r.value AS repo`, models). */
export const SESSION_COLUMNS = `s.id, d.value AS sid, s.first_ms, s.last_ms, r.value AS repo, s.api_events, s.est_requests,
  s.cost_ev, s.in_ev, s.out_ev, s.cr_ev, s.cc_ev, s.cost_m, s.in_m, s.out_m, s.cr_m, s.cc_m, s.prompts, s.accepts, s.rejects,
  s.la_ev, s.lr_ev, s.la_m, s.lr_m, s.loc_metric,
  (SELECT group_concat(md.value, char(31)) FROM session_models sm JOIN dict md ON md.id = sm.model_id WHERE sm.session_id = s.id) AS models`;
export const SESSION_FROM = `sessions s JOIN dict d ON d.id = s.id LEFT JOIN dict r ON r.id = s.repo_id`;
/** Effective cost expression (for sorting). */
export const SESSION_COST = `(CASE WHEN s.api_events > 0 THEN s.cost_ev ELSE s.cost_m END)`;

export interface SessionDbRow {
  id: number;
  sid: string;
  first_ms: number;
  last_ms: number;
  repo: string | null;
  api_events: number;
  est_requests: number;
  cost_ev: number;
  in_ev: number;
  out_ev: number;
  cr_ev: number;
  cc_ev: number;
  cost_m: number;
  in_m: number;
  out_m: number;
  cr_m: number;
  cc_m: number;
  prompts: number;
  accepts: number;
  rejects: number;
  la_ev: number;
  lr_ev: number;
  la_m: number;
  lr_m: number;
  loc_metric: number;
  models: string | null;
}

export function sessionRowDto(s: SessionDbRow): SessionRowDto {
  const ev = s.api_events > 0;
  let costSource: CostSource;
  if (ev) costSource = s.est_requests === 0 ? 'reported' : s.est_requests === s.api_events ? 'estimated' : 'mixed';
  else costSource = s.cost_m !== 0 ? 'reported' : 'none';
  return {
    sessionId: s.sid,
    start: toLocalIso(s.first_ms),
    end: toLocalIso(s.last_ms),
    durationMs: s.last_ms - s.first_ms,
    costUsd: ev ? s.cost_ev : s.cost_m,
    costSource,
    requests: s.api_events,
    prompts: s.prompts,
    models: s.models ? s.models.split('\u001f').sort() : [],
    repo: s.repo,
    linesAdded: s.loc_metric ? s.la_m : s.la_ev,
    linesRemoved: s.loc_metric ? s.lr_m : s.lr_ev,
    accepts: s.accepts,
    rejects: s.rejects,
    tokens: ev
      ? { input: s.in_ev, output: s.out_ev, cacheRead: s.cr_ev, cacheCreation: s.cc_ev }
      : { input: s.in_m, output: s.out_m, cacheRead: s.cr_m, cacheCreation: s.cc_m },
  };
}
