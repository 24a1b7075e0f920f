// One session row (sessions list, timeline header, CSV). Per session: events when it has any
// api_request, else its metrics; lines from the lines_of_code metric when the session sent it.
import type { CostSource, PriceSourceCounts, SessionRowDto } from '../../protocol/dto';
import { addPriceSource, zeroPriceSources } from './common';
import { Origin, SESSION_USAGE_COLUMNS, sessionUsageColumn, type SessionUsageColumn } from '../store/columns';
import { toLocalIso } from '../time/range';

const SESSION_TOTALS: readonly SessionUsageColumn[] = [Origin.Events, Origin.Metrics].flatMap((o) =>
  SESSION_USAGE_COLUMNS.map((c) => sessionUsageColumn(c, o)),
);

/** Columns to select from `sessions s` (plus `d.value AS sid`, `r.value AS repo`, models). */
export const SESSION_COLUMNS = `s.id, d.value AS sid, s.first_ms, s.last_ms, r.value AS repo, s.api_request_events, s.estimated_requests,
  ${SESSION_TOTALS.map((c) => `s.${c}`).join(', ')}, s.prompts, s.accepts, s.rejects,
  s.lines_added_events, s.lines_removed_events, s.lines_added_metrics, s.lines_removed_metrics, s.has_lines_metric,
  (SELECT group_concat(md.value, char(31)) FROM session_models sm JOIN dict md ON md.id = sm.model_id WHERE sm.session_id = s.id) AS models,
  s.transcript_requests, sd.title, sd.git_branch,
  CASE WHEN s.estimated_requests > 0 THEN (SELECT group_concat(ps.price_source || ':' || ps.n) FROM (SELECT price_source, count(*) AS n
    FROM api_requests ar WHERE ar.session_id = s.id AND ar.price_source <> 0 GROUP BY price_source) ps) END AS price_sources`;
// The price-source counts read the session's raw request rows (the (session_id, dedup_key) index), only
// for sessions that have estimates; rows pruned by retention are no longer counted there.
export const SESSION_FROM = `sessions s JOIN dict d ON d.id = s.id LEFT JOIN dict r ON r.id = s.repo_id LEFT JOIN session_details sd ON sd.session_id = s.id`;
/** Effective cost expression (for sorting). */
export const SESSION_COST = `(CASE WHEN s.api_request_events > 0 THEN s.cost_usd_events ELSE s.cost_usd_metrics END)`;

export type SessionDbRow = Record<SessionUsageColumn, number> & {
  id: number;
  sid: string;
  first_ms: number;
  last_ms: number;
  repo: string | null;
  api_request_events: number;
  estimated_requests: number;
  prompts: number;
  accepts: number;
  rejects: number;
  lines_added_events: number;
  lines_removed_events: number;
  lines_added_metrics: number;
  lines_removed_metrics: number;
  has_lines_metric: number;
  models: string | null;
  transcript_requests: number;
  title: string | null;
  git_branch: string | null;
  /** `<price_source>:<count>` pairs joined by commas, null without estimates. */
  price_sources: string | null;
};

export function sessionRowDto(s: SessionDbRow): SessionRowDto {
  const ev = s.api_request_events > 0;
  const o = ev ? Origin.Events : Origin.Metrics;
  const total = (c: (typeof SESSION_USAGE_COLUMNS)[number]) => s[sessionUsageColumn(c, o)];
  let costSource: CostSource;
  if (ev) costSource = s.estimated_requests === 0 ? 'reported' : s.estimated_requests === s.api_request_events ? 'estimated' : 'mixed';
  else costSource = s.cost_usd_metrics !== 0 ? 'reported' : 'none';
  return {
    sessionId: s.sid,
    start: toLocalIso(s.first_ms),
    end: toLocalIso(s.last_ms),
    durationMs: s.last_ms - s.first_ms,
    costUsd: total('cost_usd'),
    costSource,
    requests: s.api_request_events,
    prompts: s.prompts,
    models: s.models ? s.models.split('\u001f').sort() : [],
    repo: s.repo,
    linesAdded: s.has_lines_metric ? s.lines_added_metrics : s.lines_added_events,
    linesRemoved: s.has_lines_metric ? s.lines_removed_metrics : s.lines_removed_events,
    accepts: s.accepts,
    rejects: s.rejects,
    tokens: {
      input: total('input_tokens'),
      output: total('output_tokens'),
      cacheRead: total('cache_read_tokens'),
      cacheCreation: total('cache_creation_tokens'),
    },
    source: s.transcript_requests === 0 ? 'otlp' : s.transcript_requests >= s.api_request_events ? 'transcript' : 'both',
    transcriptRequests: s.transcript_requests,
    estimatesByPriceSource: priceSourcesOf(s.price_sources),
    title: s.title,
    branch: s.git_branch,
  };
}

function priceSourcesOf(pairs: string | null): PriceSourceCounts {
  const c = zeroPriceSources();
  for (const p of pairs ? pairs.split(',') : []) {
    const [code, n] = p.split(':');
    addPriceSource(c, Number(code), Number(n));
  }
  return c;
}
