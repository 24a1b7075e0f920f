// Row datasets for streaming CSV export, paged by keyset (id > cursor) so a 1M-row export never uses
// OFFSET. Aggregated datasets (daily, files, tools) are small and come in one page per call.
import { EXPORT_DATASETS, type ExportDataset, type RangeSpec } from '../../protocol/dto';
import { PriceSourceCode, RequestSource, type PriceSourceName } from '../store/columns';
import { localPeriodStart, toLocalDate, toLocalIso } from '../time/range';
import { localPeriodKey, rangeBuckets, usageSums, type QueryContext, type UsageSums } from './common';
import { SESSION_COLUMNS, SESSION_FROM, sessionRowDto, type SessionDbRow } from './sessionRow';
import { toolStatsQuery } from './toolStats';
import { filesEditedQuery, FILES_LIMITS } from './filesEdited';
import { periodFigures } from './productivity';

/** The datasets are EXPORT_DATASETS (src/protocol/dto.ts); the switch below is exhaustive over them. */
export type RowsDataset = ExportDataset;

/** api_requests.price_source code -> its CSV name (reported | learned | override | table | none). */
const PRICE_SOURCE_NAMES: Record<number, PriceSourceName> = Object.fromEntries(
  Object.entries(PriceSourceCode).map(([name, code]) => [code, name as PriceSourceName]),
);
export type CsvRow = Record<string, string | number | null>;

export interface RowsPage {
  rows: CsvRow[];
  /** Pass back to get the next page; undefined when this was the last page. */
  cursor?: number;
}

export class UnknownDatasetError extends Error {
  override name = 'UnknownDatasetError';
}

export function rowsPage(ctx: QueryContext, dataset: RowsDataset, range: RangeSpec, pageSize: number, cursor = 0): RowsPage {
  const r = rangeBuckets(range, ctx.nowMs);
  switch (dataset) {
    case 'requests': {
      const rows = ctx.sql.all<{
        id: number; time_ms: number; sid: string; dedup_key: string; model: string; qs: string | null; cost_usd: number; estimated: number;
        input_tokens: number; output_tokens: number; cache_read_tokens: number; cache_creation_tokens: number; duration_ms: number | null;
        ttft_ms: number | null; source: number; price_source: number;
      }>(
        `SELECT r.id, r.time_ms, sd.value AS sid, r.dedup_key, md.value AS model, qd.value AS qs, r.cost_usd, r.estimated, r.input_tokens,
           r.output_tokens, r.cache_read_tokens, r.cache_creation_tokens, r.duration_ms, r.ttft_ms, r.source, r.price_source
         FROM api_requests r JOIN dict sd ON sd.id = r.session_id JOIN dict md ON md.id = r.model_id LEFT JOIN dict qd ON qd.id = r.query_source_id
         WHERE r.id > ? AND r.time_ms >= ? AND r.time_ms < ? ORDER BY r.id LIMIT ?`,
        [cursor, r.fromMs, r.toMs, pageSize],
      );
      return {
        rows: rows.map((x) => ({
          time: toLocalIso(x.time_ms), session_id: x.sid, request_id: x.dedup_key.startsWith('#') ? null : x.dedup_key, model: x.model,
          query_source: x.qs, cost_usd: x.cost_usd, estimated: x.estimated, input_tokens: x.input_tokens, output_tokens: x.output_tokens,
          cache_read_tokens: x.cache_read_tokens, cache_creation_tokens: x.cache_creation_tokens, duration_ms: x.duration_ms, ttft_ms: x.ttft_ms,
          source: x.source === RequestSource.Transcript ? 'transcript' : 'otlp', price_source: PRICE_SOURCE_NAMES[x.price_source] ?? 'none',
        })),
        cursor: rows.length === pageSize ? rows[rows.length - 1].id : undefined,
      };
    }
    case 'sessions': {
      const rows = ctx.sql.all<SessionDbRow>(
        `SELECT ${SESSION_COLUMNS} FROM ${SESSION_FROM} WHERE s.id > ? AND s.last_ms >= ? AND s.first_ms < ? ORDER BY s.id LIMIT ?`,
        [cursor, r.fromMs, r.toMs, pageSize],
      );
      return {
        rows: rows.map((x) => {
          const s = sessionRowDto(x);
          return {
            session_id: s.sessionId, start: s.start, end: s.end, duration_ms: s.durationMs, cost_usd: s.costUsd, cost_source: s.costSource,
            requests: s.requests, prompts: s.prompts, models: s.models.join(' '), repo: s.repo, lines_added: s.linesAdded,
            lines_removed: s.linesRemoved, accepts: s.accepts, rejects: s.rejects, input_tokens: s.tokens.input, output_tokens: s.tokens.output,
            cache_read_tokens: s.tokens.cacheRead, cache_creation_tokens: s.tokens.cacheCreation,
          };
        }),
        cursor: rows.length === pageSize ? rows[rows.length - 1].id : undefined,
      };
    }
    case 'daily': {
      const day = localPeriodKey(ctx, 'effective_usage', 'e.bucket', r.b0, r.b1, 'day');
      const rows = ctx.sql.all<UsageSums & { first_bucket: number; model: string | null }>(
        `SELECT ${day.expr} AS day_key, min(e.bucket) AS first_bucket, d.value AS model, ${usageSums('e')}
         FROM effective_usage e LEFT JOIN dict d ON d.id = e.model_id WHERE e.bucket >= ? AND e.bucket < ? GROUP BY day_key, e.model_id ORDER BY day_key, model`,
        [...day.params, r.b0, r.b1],
      );
      // Productivity figures have no model (Claude Code reports active time, commits and PRs without
      // one): each day gets one row of its own with an empty model, so summing a column never counts
      // a figure once per model. Usage rows leave these columns empty, productivity rows the usage ones.
      const NO_PRODUCTIVITY = { active_user_seconds: null, active_cli_seconds: null, commits: null, pull_requests: null, lines_added: null, lines_removed: null };
      const out: { date: string; order: number; row: CsvRow }[] = rows.map((x) => ({
        date: toLocalDate(localPeriodStart(x.first_bucket, 'day')),
        order: 0,
        row: {
          date: toLocalDate(localPeriodStart(x.first_bucket, 'day')), model: x.model ?? 'unknown', cost_usd: x.cost_usd, estimated_cost_usd: x.estimated_cost_usd,
          requests: x.requests, input_tokens: x.input_tokens, output_tokens: x.output_tokens, cache_read_tokens: x.cache_read_tokens,
          cache_creation_tokens: x.cache_creation_tokens, ...NO_PRODUCTIVITY,
        },
      }));
      for (const [start, f] of periodFigures(ctx, r.b0, r.b1, 'day')) {
        if (f.activeSecondsUser + f.activeSecondsCli + f.commits + f.pullRequests + f.linesAdded + f.linesRemoved === 0) continue;
        const date = toLocalDate(start);
        out.push({
          date,
          order: 1,
          row: {
            date, model: '', cost_usd: null, estimated_cost_usd: null, requests: null, input_tokens: null, output_tokens: null, cache_read_tokens: null,
            cache_creation_tokens: null, active_user_seconds: f.activeSecondsUser, active_cli_seconds: f.activeSecondsCli, commits: f.commits,
            pull_requests: f.pullRequests, lines_added: f.linesAdded, lines_removed: f.linesRemoved,
          },
        });
      }
      out.sort((a, b) => a.date.localeCompare(b.date) || a.order - b.order);
      return { rows: out.map((x) => x.row) };
    }
    case 'files':
      return {
        rows: filesEditedQuery(ctx, { range, limit: FILES_LIMITS.maxLimit }).files.map((f) => ({
          path: f.path, edits: f.edits, accepts: f.accepts, rejects: f.rejects, lines_added: f.linesAdded, lines_removed: f.linesRemoved,
          sessions: f.sessions, last_edited: f.lastEdited,
        })),
      };
    case 'tools':
      return {
        rows: toolStatsQuery(ctx, { range }).tools.map((t) => ({
          tool: t.tool, mcp_server: t.mcpServer, calls: t.calls, failures: t.failures, success_rate: t.successRate, p50_ms: t.p50Ms, p95_ms: t.p95Ms,
        })),
      };
    default: {
      // Compile time: a dataset of EXPORT_DATASETS without a case fails here. Run time: a name from
      // the wire (/api/rows) that is not a dataset.
      const unknown: never = dataset;
      throw new UnknownDatasetError(`unknown dataset ${JSON.stringify(unknown)}; expected one of ${EXPORT_DATASETS.join(', ')}`);
    }
  }
}
