// POST /mcp: the MCP endpoint. The module (SDK + zod, ~110 ms to require) is loaded on the first request
// that passes the edge checks, so an unauthenticated request never makes us load it.
import type * as http from 'node:http';
import type { Logger } from '../../core/log';
import type { McpHandler } from '../mcp/mcpTypes';
import { checkBearer, checkMethod, checkOrigin, HttpError, jsonRpcErrorBody, type Route } from './edge';

/**
 * The edge checks of an MCP request after Host: Origin (loopback with our port, the MCP spec's rule) ->
 * 403, method -> 405, bearer -> 401. The MCP handler runs the same function itself, so it is safe when
 * mounted on another server (defence in depth, one copy of the code).
 */
export function checkMcpRequest(req: http.IncomingMessage, port: number, token: string): void {
  checkOrigin(req, port, 'loopback', 'the MCP server');
  // Stateless server: no standalone SSE stream (GET) and no session to end (DELETE).
  checkMethod(req, 'POST', ' (this MCP server is stateless)');
  checkBearer(req, token);
}

export interface McpRouteOptions {
  /** claudeLedger.mcp.enabled: false answers 404 and never loads the module. */
  enabled: boolean;
  token: string;
  port(): number;
  log: Logger;
  load(): Promise<McpHandler>;
}

export interface McpRoutes {
  routes: Record<string, Route>;
  /** Closes the handler if it was loaded (ends its SQL worker). */
  close(): Promise<void>;
}

export function mcpRoutes(o: McpRouteOptions): McpRoutes {
  let handler: Promise<McpHandler> | undefined;
  const route: Route = {
    errorBody: jsonRpcErrorBody,
    async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
      checkOrigin(req, o.port(), 'loopback', 'the MCP server');
      if (!o.enabled) throw new HttpError(404, 'the MCP server is disabled (setting claudeLedger.mcp.enabled)');
      checkMcpRequest(req, o.port(), o.token);
      handler ??= o.load();
      const h = await handler.catch((err: unknown) => {
        handler = undefined;
        throw new HttpError(500, `MCP server failed to load: ${(err as Error).message}`);
      });
      return h.handle(req, res);
    },
  };
  return {
    routes: { '/mcp': route },
    async close() {
      const h = handler ? await handler.catch(() => undefined) : undefined;
      await h?.close();
    },
  };
}
