// One session row (sessions list, timeline header, CSV). Per session: events when it has any
// api_request, else its metrics; lines from the lines_of_code metric when the session sent it.
import { SESSION_HEADLINE_CHARS, type CostSource, type PriceSourceCounts, type SessionRowDto } from '../../protocol/dto';
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
  s.transcript_requests, sd.title, sd.git_branch, sd.cwd,
  (SELECT substr(p.text, 1, ${SESSION_HEADLINE_CHARS + 1}) FROM prompts p WHERE p.session_id = s.id AND p.text IS NOT NULL AND p.text <> '' ORDER BY p.time_ms LIMIT 1) AS first_prompt,
  (SELECT pa.value FROM tool_calls t JOIN dict pa ON pa.id = t.path_id WHERE t.session_id = s.id ORDER BY t.time_ms LIMIT 1) AS first_file,
  (SELECT td.value FROM tool_calls t JOIN dict td ON td.id = t.tool_id WHERE t.session_id = s.id ORDER BY t.time_ms LIMIT 1) AS first_tool,
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
  /** Working folder from the transcript. */
  cwd: string | null;
  /** Captured text of the first prompt (cut), null without prompt capture. */
  first_prompt: string | null;
  first_file: string | null;
  first_tool: string | null;
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
    headline: headlineOf(s),
  };
}

/** Title, else first prompt, else first file (relative to the session's folder), else first tool. */
function headlineOf(s: SessionDbRow): SessionRowDto['headline'] {
  if (s.title) return { text: s.title, from: 'title' };
  const prompt = s.first_prompt?.replace(/\s+/g, ' ').trim();
  if (prompt) return { text: prompt.length > SESSION_HEADLINE_CHARS ? `${prompt.slice(0, SESSION_HEADLINE_CHARS - 1)}…` : prompt, from: 'prompt' };
  if (s.first_file) {
    const rel = relativePath(s.first_file, s.cwd);
    // Without the session's folder, the last two segments say enough for a list ("acme-web/hello.py").
    return { text: rel !== s.first_file ? rel : s.first_file.split(/[\\/]/).filter(Boolean).slice(-2).join('/'), from: 'file' };
  }
  if (s.first_tool) return { text: s.first_tool, from: 'tool' };
  return null;
}

/** A path relative to a folder when it is inside it ('/' or '\\' separators), else unchanged. */
export function relativePath(path: string, folder: string | null | undefined): string {
  if (!folder) return path;
  const f = folder.replace(/[\\/]+$/, '');
  if (path.length > f.length + 1 && path.startsWith(f) && (path[f.length] === '/' || path[f.length] === '\\')) return path.slice(f.length + 1);
  return path;
}

function priceSourcesOf(pairs: string | null): PriceSourceCounts {
  const c = zeroPriceSources();
  for (const p of pairs ? pairs.split(',') : []) {
    const [code, n] = p.split(':');
    addPriceSource(c, Number(code), Number(n));
  }
  return c;
}

/**
 * The folder paths of a session are shown relative to: its working folder when the transcript named
 * it, else the deepest folder holding all of its files (telemetry names no working folder).
 */
export function sessionFolder(cwd: string | null, paths: readonly string[]): string | null {
  if (cwd) return cwd;
  const abs = paths.filter((p) => p.startsWith('/') || /^[A-Za-z]:[\\/]/.test(p));
  if (abs.length === 0) return null;
  let common = abs[0].split(/[\\/]/).slice(0, -1);
  for (const p of abs.slice(1)) {
    const parts = p.split(/[\\/]/).slice(0, -1);
    let i = 0;
    while (i < common.length && i < parts.length && common[i] === parts[i]) i++;
    common = common.slice(0, i);
  }
  // '' + one segment ("/home") is too shallow to be a project folder.
  return common.length >= 3 ? common.join(abs[0].includes('\\') && !abs[0].includes('/') ? '\\' : '/') : null;
}
