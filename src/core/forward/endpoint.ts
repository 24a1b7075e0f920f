// The upstream's address and headers, parsed and checked before anything is sent. Pure.
import type { Signal } from '../otlp/records';

/** Header names a user may not set (the forwarder sets them, or they would break the request). */
const RESERVED_HEADERS = new Set(['content-type', 'content-encoding', 'content-length', 'transfer-encoding', 'host', 'connection', 'expect', 'te', 'upgrade']);
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
/** Bounds: a headers variable is a few auth headers, not a document. */
export const HEADER_LIMITS = { maxHeaders: 32, maxNameChars: 256, maxValueChars: 8192 } as const;

export class ForwardConfigError extends Error {
  override name = 'ForwardConfigError';
}

/**
 * Checks the upstream base URL (OTLP/HTTP, like OTEL_EXPORTER_OTLP_ENDPOINT): http or https only, a host,
 * no query or fragment. Returns the URL without a trailing slash. Throws ForwardConfigError saying why.
 */
export function parseEndpoint(raw: string): string {
  const text = raw.trim();
  let u: URL;
  try {
    u = new URL(text);
  } catch {
    throw new ForwardConfigError(`forward endpoint "${text}" is not a URL (expected e.g. https://collector.example.com:4318)`);
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new ForwardConfigError(`forward endpoint "${text}": only http:// and https:// are supported (got ${u.protocol})`);
  if (!u.hostname) throw new ForwardConfigError(`forward endpoint "${text}" has no host`);
  if (u.search || u.hash) throw new ForwardConfigError(`forward endpoint "${text}": a base URL takes no query or fragment`);
  if (u.username || u.password) throw new ForwardConfigError(`forward endpoint "${text}": put credentials in a header (forward.headers), not in the URL`);
  return u.toString().replace(/\/+$/, '');
}

/** OTLP/HTTP: the signal path is appended to the base URL (`/v1/logs` ...), as the SDK exporters do. */
export function signalUrl(base: string, signal: Signal): string {
  return `${base.replace(/\/+$/, '')}/v1/${signal}`;
}

/**
 * OTEL_EXPORTER_OTLP_HEADERS format: `Name=value,Name2=value2`, values URL-decoded (W3C baggage-like),
 * whitespace around names and values trimmed. Bad entries are reported, never silently kept.
 */
export function parseHeaderList(text: string): { headers: Record<string, string>; problems: string[] } {
  const headers: Record<string, string> = {};
  const problems: string[] = [];
  const entries = text.split(',').map((e) => e.trim()).filter((e) => e !== '');
  if (entries.length > HEADER_LIMITS.maxHeaders) problems.push(`more than ${HEADER_LIMITS.maxHeaders} headers (the rest ignored)`);
  for (const entry of entries.slice(0, HEADER_LIMITS.maxHeaders)) {
    const eq = entry.indexOf('=');
    if (eq <= 0) {
      problems.push(`"${entry.slice(0, 40)}" is not Name=value`);
      continue;
    }
    const name = entry.slice(0, eq).trim();
    let value: string;
    try {
      value = decodeURIComponent(entry.slice(eq + 1).trim());
    } catch {
      problems.push(`the value of ${name} is not valid URL encoding`);
      continue;
    }
    const problem = checkHeader(name, value);
    if (problem) problems.push(problem);
    else headers[name] = value;
  }
  return { headers, problems };
}

/** One header: a token name, not reserved, a value without control characters; undefined when fine. */
export function checkHeader(name: string, value: string): string | undefined {
  if (!TOKEN.test(name) || name.length > HEADER_LIMITS.maxNameChars) return `"${name.slice(0, 40)}" is not a valid header name`;
  if (RESERVED_HEADERS.has(name.toLowerCase())) return `${name} is set by the forwarder and cannot be configured`;
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u0008\u000a-\u001f\u007f]/.test(value) || value.length > HEADER_LIMITS.maxValueChars) return `the value of ${name} has control characters or is too long`;
  return undefined;
}
