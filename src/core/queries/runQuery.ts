// Dispatch of the named queries (one handler per QueryMethods key; a missing one is a compile error).
import type { QueryMethods, QueryName } from '../../protocol/dto';
import { acceptanceQuery } from './acceptance';
import { activityBlocksQuery } from './activityBlocks';
import { planLimitsQuery } from './planLimits';
import { apiErrorsQuery } from './apiErrors';
import { burnRateQuery } from './burnRate';
import type { QueryContext } from './common';
import { costSeriesQuery } from './costSeries';
import { filesEditedQuery } from './filesEdited';
import { pricesQuery } from './prices';
import { productivityQuery } from './productivity';
import { sessionsQuery } from './sessions';
import { sessionTimelineQuery } from './sessionTimeline';
import { statusQuery } from './status';
import { summaryQuery } from './summary';
import { toolStatsQuery } from './toolStats';

type Handlers = { [M in QueryName]: (ctx: QueryContext, p: QueryMethods[M]['params']) => QueryMethods[M]['result'] };

export const QUERY_HANDLERS: Handlers = {
  summary: summaryQuery,
  costSeries: costSeriesQuery,
  sessions: sessionsQuery,
  sessionTimeline: sessionTimelineQuery,
  filesEdited: filesEditedQuery,
  acceptance: acceptanceQuery,
  toolStats: toolStatsQuery,
  apiErrors: apiErrorsQuery,
  burnRate: burnRateQuery,
  status: statusQuery,
  prices: pricesQuery,
  planLimits: planLimitsQuery,
  activityBlocks: activityBlocksQuery,
  productivity: productivityQuery,
};

export class UnknownQueryError extends Error {
  override name = 'UnknownQueryError';
}

export function runQuery<M extends QueryName>(ctx: QueryContext, method: M, params: QueryMethods[M]['params']): QueryMethods[M]['result'] {
  const h = (QUERY_HANDLERS as Record<string, ((c: QueryContext, p: unknown) => unknown) | undefined>)[method];
  if (!Object.prototype.hasOwnProperty.call(QUERY_HANDLERS, method) || !h) throw new UnknownQueryError(`unknown query ${JSON.stringify(method)}`);
  return h(ctx, params ?? {}) as QueryMethods[M]['result'];
}
