// The HTTP edge: the ONLY copy of the checks every route relies on. Routes (otlpRoutes, apiRoutes,
// mcpRoutes) and the MCP handler (when mounted on its own) call these; none writes its own.
//
//  - Host must be a loopback name with our port: DNS rebinding -> 421.
//  - Origin per route: 'refuse' (OTLP, /api: a web page must not post fake spend or read usage) or
//    'loopback' (/mcp: the MCP spec's rule, only a loopback origin with our port) -> 403.
//  - Bearer token compared in constant time (both sides hashed first, so the length leaks nothing) -> 401.
//  - Bodies read with a wire cap, an inflate cap and a time cap, all enforced while bytes arrive
//    (chunked bodies without Content-Length included) -> 413 / 408; unknown Content-Encoding -> 415.
//  - Errors written once, in the route's format; for 413/408 the answer goes out before the connection
//    is dropped, so the client reads the status instead of a reset.
// No CORS headers are ever sent.
import type * as http from 'node:http';
import { createHash, timingSafeEqual } from 'node:crypto';
import { createGunzip, createInflate, type Gunzip, type Inflate } from 'node:zlib';

export class HttpError extends Error {
  override name = 'HttpError';
  constructor(
    readonly status: number,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

const LOOPBACK_NAMES = new Set(['127.0.0.1', 'localhost', '[::1]']);

/** 421 unless the Host header names a loopback name with our port. */
export function checkHost(req: http.IncomingMessage, port: number): void {
  const problem = hostProblem(req.headers.host, port);
  if (problem !== undefined) throw new HttpError(421, problem);
}

/**
 * Why a Host header (or an HTTP/2 :authority, for OTLP/gRPC) does not name this server, or undefined
 * when it names a loopback name with our port. The one copy of the rule for every transport.
 */
export function hostProblem(hostHeader: string | undefined, port: number): string | undefined {
  if (!hostHeader) return 'missing Host header';
  const m = /^(\[[^\]]+\]|[^:]+)(?::(\d+))?$/.exec(hostHeader.toLowerCase());
  const name = m?.[1];
  const p = m?.[2] ? Number(m[2]) : 80;
  if (!name || !LOOPBACK_NAMES.has(name) || p !== port) {
    return `Host "${hostHeader}" is not this server (expected 127.0.0.1:${port} or localhost:${port})`;
  }
  return undefined;
}

/** 'refuse': any Origin is refused (no browser may call). 'loopback': only http://<loopback>:<our port>. */
export type OriginPolicy = 'refuse' | 'loopback';

export function checkOrigin(req: http.IncomingMessage, port: number, policy: OriginPolicy, what: string): void {
  const origin = req.headers.origin;
  if (origin === undefined) return;
  if (policy === 'loopback' && isLoopbackOrigin(origin, port)) return;
  throw new HttpError(403, `${what} refuses requests from a browser (Origin "${origin}")`);
}

function isLoopbackOrigin(origin: string, port: number): boolean {
  try {
    const u = new URL(origin);
    return u.protocol === 'http:' && LOOPBACK_NAMES.has(u.hostname) && Number(u.port || 80) === port && u.pathname === '/';
  } catch {
    return false;
  }
}

/** 405 with Allow unless the method is the one the route serves. */
export function checkMethod(req: http.IncomingMessage, method: 'GET' | 'POST', why = ''): void {
  if (req.method !== method) throw new HttpError(405, `use ${method} for ${(req.url ?? '').split('?')[0]}${why}`, { Allow: method });
}

function digest(s: string): Buffer {
  return createHash('sha256').update(s).digest();
}

/** Constant-time comparison of a presented `Authorization: Bearer <token>` header with ours. */
export function bearerMatches(header: string | undefined, token: string): boolean {
  const m = /^Bearer\s+(\S+)\s*$/i.exec(header ?? '');
  if (!m) return false;
  return timingSafeEqual(digest(m[1]), digest(token));
}

/** 401 with WWW-Authenticate unless the bearer token is ours. */
export function checkBearer(req: http.IncomingMessage, token: string): void {
  if (bearerMatches(req.headers.authorization, token)) return;
  throw new HttpError(401, `Unauthorized: ${req.headers.authorization ? 'wrong' : 'missing'} bearer token (Authorization: Bearer <token>)`, {
    'WWW-Authenticate': 'Bearer realm="claude-code-ledger"',
  });
}

/** The caps of one body read; every number comes from ReceiverLimits or McpRuntimeOptions. */
export interface BodyCaps {
  /** Bytes on the wire (compressed as sent). */
  maxBytes: number;
  /** Bytes after gzip/deflate inflation (a gzip bomb is cut off here); only with `compression`. */
  maxDecompressedBytes: number;
  /** The whole body must arrive within this (slowloris) -> 408. */
  timeoutMs: number;
  /** Accept Content-Encoding gzip/deflate (OTLP exporters compress; JSON APIs do not). */
  compression: boolean;
}

/** Reads a body with every cap enforced as bytes arrive. */
export function readBody(req: http.IncomingMessage, caps: BodyCaps): Promise<Buffer> {
  const declared = Number(req.headers['content-length'] ?? NaN);
  if (Number.isFinite(declared) && declared > caps.maxBytes) {
    return Promise.reject(new HttpError(413, `body of ${declared} bytes exceeds the ${caps.maxBytes}-byte limit`));
  }
  const ce = (req.headers['content-encoding'] ?? 'identity').toLowerCase().trim();
  let inflater: Gunzip | Inflate | undefined;
  if (ce === 'gzip' || ce === 'x-gzip') inflater = createGunzip();
  else if (ce === 'deflate') inflater = createInflate();
  else if (ce !== 'identity' && ce !== '') return Promise.reject(new HttpError(415, `unsupported Content-Encoding "${ce}": use gzip, deflate or none`));
  if (inflater && !caps.compression) return Promise.reject(new HttpError(415, 'compressed bodies are not accepted here'));
  const maxHeld = inflater ? caps.maxDecompressedBytes : caps.maxBytes;

  return new Promise<Buffer>((resolve, reject) => {
    const chunks: Buffer[] = [];
    let wire = 0;
    let size = 0;
    let settled = false;
    const timer = setTimeout(() => fail(new HttpError(408, `body not received within ${caps.timeoutMs} ms`)), caps.timeoutMs);
    const fail = (e: HttpError) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      req.unpipe();
      inflater?.destroy();
      reject(e);
    };
    const done = () => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(Buffer.concat(chunks, size));
    };
    const onData = (c: Buffer) => {
      if (settled) return;
      size += c.length;
      if (size > maxHeld) {
        fail(new HttpError(413, inflater ? `decompressed body exceeds the ${maxHeld}-byte limit` : `body exceeds the ${maxHeld}-byte limit`));
        return;
      }
      chunks.push(c);
    };
    req.on('data', (c: Buffer) => {
      wire += c.length;
      if (wire > caps.maxBytes) fail(new HttpError(413, `body exceeds the ${caps.maxBytes}-byte limit`));
    });
    req.on('aborted', () => fail(new HttpError(400, 'the client aborted the request')));
    req.on('error', (err) => fail(new HttpError(400, `request error: ${err.message}`)));
    if (inflater) {
      inflater.on('data', onData);
      inflater.on('end', done);
      inflater.on('error', (err) => fail(new HttpError(400, `body is not valid ${ce}: ${err.message}`)));
      req.pipe(inflater);
    } else {
      req.on('data', onData);
      req.on('end', done);
    }
  });
}

/** JSON.parse with a 400 instead of a SyntaxError; `whenEmpty` (if given) stands for an empty body. */
export function parseJsonBody(buf: Buffer, whenEmpty?: unknown): unknown {
  const text = buf.toString('utf8');
  if (text === '' && whenEmpty !== undefined) return whenEmpty;
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new HttpError(400, `body is not valid JSON: ${(err as Error).message}`);
  }
}

export function writeJson(res: http.ServerResponse, status: number, value: unknown): void {
  const body = Buffer.from(JSON.stringify(value));
  res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': body.length, 'Cache-Control': 'no-store' });
  res.end(body);
}

/** How a route words an error: OTLP Status message, JSON-RPC error, or plain text. */
export type ErrorBody = (e: HttpError, req: http.IncomingMessage) => { body: Buffer; contentType: string };

export const textErrorBody: ErrorBody = (e) => ({ body: Buffer.from(`${e.message}\n`), contentType: 'text/plain; charset=utf-8' });

/** A JSON-RPC 2.0 error without an id (the request may not have been parsed): the MCP routes' format. */
export const jsonRpcErrorBody: ErrorBody = (e) => ({
  body: Buffer.from(JSON.stringify({ jsonrpc: '2.0', error: { code: e.status === 400 ? -32700 : -32000, message: e.message }, id: null })),
  contentType: 'application/json',
});

/** One route: its handler and how its errors are worded. The server checks Host before any route runs. */
export interface Route {
  errorBody: ErrorBody;
  handle(req: http.IncomingMessage, res: http.ServerResponse, url: URL): Promise<void>;
}

/** Any thrown value as an HttpError (anything that is not one is ours: 500). */
export function asHttpError(err: unknown): HttpError {
  return err instanceof HttpError ? err : new HttpError(500, (err as Error)?.message ?? String(err));
}

/**
 * Writes the error answer once. After headers went out the only honest signal left is to drop the
 * connection. For 413/408 the body may still be arriving: answer first, then close.
 */
export function writeError(req: http.IncomingMessage, res: http.ServerResponse, e: HttpError, format: ErrorBody): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const { body, contentType } = format(e, req);
  const closing = e.status === 413 || e.status === 408;
  res.writeHead(e.status, { 'Content-Type': contentType, 'Content-Length': body.length, ...e.headers, ...(closing ? { Connection: 'close' } : {}) });
  res.end(body, () => {
    if (closing) setTimeout(() => req.socket.destroy(), 100).unref();
  });
  if (closing) req.resume();
}
