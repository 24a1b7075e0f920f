// The dashboard overview's one round trip, composed from named queries: the range's summary, series
// and acceptance; the summary of the period before it (same length) for the headline's change; the
// fixed periods (today, 7 and 30 days, this month) and the burn rate, which do not follow the range.
// Pure over a QueryApi (the store client in the leader, /api in a follower, runQuery in tests), so the
// host and the webview tests build the same DTO.
import type { QueryApi, RangeSpec } from '../../protocol/dto';
import type { OverviewDto } from '../../protocol/messages';
import { previousRange } from '../time/range';

export interface OverviewBudgets {
  dailyUsd: number | null;
  monthlyUsd: number | null;
}

export async function overviewOf(api: QueryApi, range: RangeSpec, budgets: OverviewBudgets, nowMs = Date.now()): Promise<OverviewDto> {
  const prev = previousRange(range, nowMs);
  const [summary, s7, s30, burnRate, costSeries, acceptance, previous] = await Promise.all([
    api.query('summary', { range }),
    api.query('summary', { range: { key: '7d' } }),
    api.query('summary', { range: { key: '30d' } }),
    api.query('burnRate', { dailyBudgetUsd: budgets.dailyUsd, monthlyBudgetUsd: budgets.monthlyUsd }),
    // No bucket: the query picks it from the range (seriesBucketFor), knowing where "all" starts.
    api.query('costSeries', { range }),
    api.query('acceptance', { range }),
    prev ? api.query('summary', { range: prev }) : Promise.resolve(null),
  ]);
  // A leader window of an older build answers without `buckets` (and with an hour/day bucket): its points' buckets then.
  if (!Array.isArray(costSeries.buckets)) costSeries.buckets = [...new Set(costSeries.points.map((p) => p.bucket))].sort();
  return {
    summary,
    previous: previous ? { range: previous.range, costUsd: previous.costUsd, requests: previous.requests } : null,
    spend: { today: burnRate.todayUsd, last7d: s7.costUsd, last30d: s30.costUsd, month: burnRate.monthUsd },
    burnRate,
    costSeries,
    acceptance,
  };
}
