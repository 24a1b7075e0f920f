// POST /api/statusline: what `cli.js statusline` sends after every Claude Code message (session id,
// model, Claude Code's session cost, the plan's rate-limit windows), answered with today's spend in the
// same round trip. The edge's checks as every /api route: no browser (any Origin -> 403), bearer token
// (401), POST only (405), a small JSON body (413 beyond the cap); the body is checked field by field
// with the status line's own bounds (src/core/statusline/statuslineInput.ts) -> 400.
import type { StatuslinePostDto, StatuslineReplyDto } from '../../protocol/limitsDto';
import { checkStatuslinePost } from '../../core/statusline/statuslineInput';
import { checkBearer, checkMethod, checkOrigin, HttpError, parseJsonBody, readBody, textErrorBody, writeJson, type BodyCaps, type Route } from './edge';

/** The store as this route sees it (StoreClient satisfies it). Optional: a store without it answers 501. */
export interface StatuslineStore {
  recordStatusline?(post: StatuslinePostDto): Promise<StatuslineReplyDto>;
}

export interface StatuslineRouteOptions {
  store: StatuslineStore;
  token: string;
  port(): number;
  /** ReceiverLimits.maxStatuslineBodyBytes: the status line's post is a few hundred bytes. */
  caps: BodyCaps;
}

export function statuslineRoutes(o: StatuslineRouteOptions): Record<string, Route> {
  return {
    '/api/statusline': {
      errorBody: textErrorBody,
      async handle(req, res) {
        checkOrigin(req, o.port(), 'refuse', 'the internal API');
        checkBearer(req, o.token);
        checkMethod(req, 'POST');
        const post = checkStatuslinePost(parseJsonBody(await readBody(req, o.caps)));
        if (typeof post === 'string') throw new HttpError(400, post);
        if (!o.store.recordStatusline) throw new HttpError(501, 'this ledger does not store status line snapshots');
        writeJson(res, 200, await o.store.recordStatusline(post));
      },
    },
  };
}
