// The one typed reader of the claudeLedger.* settings. Pure: the host passes a getter over
// vscode.workspace.getConfiguration('claudeLedger'); tests pass a plain object. A bad value never
// reaches the services: it falls back to the default and says so in the log, naming the key.
import type { Logger } from './log';
import { FORWARD_CONTENT, type ForwardContent } from '../protocol/dto';
import { checkHeader, parseEndpoint } from './forward/endpoint';
import { DEFAULT_MAX_BACKLOG_MB } from './forward/forwardOptions';

export type StatusBarShow = 'today' | 'month' | 'session' | 'limits';

export interface PriceOverride {
  input: number;
  output: number;
  cacheWrite5m: number;
  cacheWrite1h: number;
  cacheRead: number;
}

export interface LedgerSettings {
  port: number;
  /** OTLP/gRPC receiver port on 127.0.0.1; 0 = off. */
  grpcPort: number;
  terminalEnvEnabled: boolean;
  captureToolDetails: boolean;
  capturePrompts: boolean;
  captureCommands: boolean;
  statusBarShow: StatusBarShow;
  budgetDailyUsd: number;
  budgetMonthlyUsd: number;
  retentionRawDays: number;
  retentionRollupDays: number;
  retentionMaxDbMB: number;
  pricingOverrides: Record<string, PriceOverride>;
  mcpEnabled: boolean;
  mcpRateLimitPerMinute: number;
  transcriptsEnabled: boolean;
  /** Folders of project folders to import; empty = the defaults ($CLAUDE_CONFIG_DIR/projects, ~/.claude/projects). */
  transcriptsPaths: string[];
  /** Notify at 80 % / 95 % of a plan window (once per window and threshold). */
  limitsNotifications: boolean;
  /** OTLP/HTTP base URL of the team's upstream (checked: http/https); '' = forwarding off. */
  forwardEndpoint: string;
  /** Names of the headers sent upstream; their values are in VS Code's SecretStorage. */
  forwardHeaders: string[];
  forwardContent: ForwardContent;
  forwardMaxBacklogMB: number;
}

type Spec =
  | { kind: 'int'; default: number; min: number; max: number }
  | { kind: 'number'; default: number; min: number; max: number }
  | { kind: 'bool'; default: boolean }
  | { kind: 'enum'; default: string; values: readonly string[] }
  | { kind: 'priceOverrides' }
  | { kind: 'paths'; maxItems: number }
  | { kind: 'url' }
  | { kind: 'headerNames'; maxItems: number };

/**
 * Setting key (without the `claudeLedger.` prefix) -> field and bounds. package.json's
 * contributes.configuration states the same defaults and bounds; a unit test keeps them equal.
 */
export const SETTING_SPECS: Record<string, { field: keyof LedgerSettings; spec: Spec }> = {
  port: { field: 'port', spec: { kind: 'int', default: 4318, min: 1024, max: 65535 } },
  // 0 = off; 4317 is the standard OTLP/gRPC port (an OpenTelemetry Collector may hold it: then pick another).
  grpcPort: { field: 'grpcPort', spec: { kind: 'int', default: 4317, min: 0, max: 65535 } },
  'terminalEnv.enabled': { field: 'terminalEnvEnabled', spec: { kind: 'bool', default: true } },
  'capture.toolDetails': { field: 'captureToolDetails', spec: { kind: 'bool', default: true } },
  'capture.prompts': { field: 'capturePrompts', spec: { kind: 'bool', default: false } },
  'capture.commands': { field: 'captureCommands', spec: { kind: 'bool', default: true } },
  'statusBar.show': { field: 'statusBarShow', spec: { kind: 'enum', default: 'today', values: ['today', 'month', 'session', 'limits'] } },
  // Budgets: 0 = no budget; the upper bound only catches typos (an extra few zeros).
  'budget.dailyUsd': { field: 'budgetDailyUsd', spec: { kind: 'number', default: 0, min: 0, max: 1_000_000 } },
  'budget.monthlyUsd': { field: 'budgetMonthlyUsd', spec: { kind: 'number', default: 0, min: 0, max: 10_000_000 } },
  'retention.rawDays': { field: 'retentionRawDays', spec: { kind: 'int', default: 90, min: 1, max: 3650 } },
  'retention.rollupDays': { field: 'retentionRollupDays', spec: { kind: 'int', default: 730, min: 1, max: 36500 } },
  'retention.maxDbMB': { field: 'retentionMaxDbMB', spec: { kind: 'int', default: 1024, min: 16, max: 65536 } },
  'pricing.overrides': { field: 'pricingOverrides', spec: { kind: 'priceOverrides' } },
  'mcp.enabled': { field: 'mcpEnabled', spec: { kind: 'bool', default: true } },
  'mcp.rateLimitPerMinute': { field: 'mcpRateLimitPerMinute', spec: { kind: 'int', default: 120, min: 1, max: 10_000 } },
  'transcripts.enabled': { field: 'transcriptsEnabled', spec: { kind: 'bool', default: true } },
  // A few roots at most; the bound only catches a pasted list by mistake.
  'transcripts.paths': { field: 'transcriptsPaths', spec: { kind: 'paths', maxItems: 32 } },
  'limits.notifications': { field: 'limitsNotifications', spec: { kind: 'bool', default: true } },
  'forward.endpoint': { field: 'forwardEndpoint', spec: { kind: 'url' } },
  'forward.headers': { field: 'forwardHeaders', spec: { kind: 'headerNames', maxItems: 32 } },
  'forward.content': { field: 'forwardContent', spec: { kind: 'enum', default: 'as-received', values: FORWARD_CONTENT } },
  // 1 MB catches a typo'd tiny bound only loosely on purpose (tests use it); 64 GB is more than any disk should hold.
  'forward.maxBacklogMB': { field: 'forwardMaxBacklogMB', spec: { kind: 'int', default: DEFAULT_MAX_BACKLOG_MB, min: 1, max: 65536 } },
};

const PRICE_FIELDS: readonly (keyof PriceOverride)[] = ['input', 'output', 'cacheWrite5m', 'cacheWrite1h', 'cacheRead'];

/** Defaults of every setting (what a fresh profile gets). */
export function defaultSettings(): LedgerSettings {
  return readSettings(() => undefined);
}

/**
 * Reads every setting through `get` (undefined = not set). Bad values -> default + one warn line
 * naming the key, the value and the rule it broke.
 */
export function readSettings(get: (key: string) => unknown, log?: Logger): LedgerSettings {
  const out: Partial<Record<keyof LedgerSettings, unknown>> = {};
  for (const [key, { field, spec }] of Object.entries(SETTING_SPECS)) {
    const raw = get(key);
    const { value, problem } = parseOne(spec, raw);
    if (problem !== undefined) log?.warn(`setting claudeLedger.${key}: ${problem}; using the default`);
    out[field] = value;
  }
  return out as LedgerSettings;
}

function parseOne(spec: Spec, raw: unknown): { value: unknown; problem?: string } {
  if (spec.kind === 'priceOverrides') return parsePriceOverrides(raw);
  if (spec.kind === 'paths') return parsePaths(raw, spec.maxItems);
  if (spec.kind === 'url') return parseUrl(raw);
  if (spec.kind === 'headerNames') return parseHeaderNames(raw, spec.maxItems);
  if (raw === undefined || raw === null) return { value: spec.default };
  switch (spec.kind) {
    case 'bool':
      return typeof raw === 'boolean' ? { value: raw } : { value: spec.default, problem: `${show(raw)} is not true/false` };
    case 'enum':
      return typeof raw === 'string' && spec.values.includes(raw)
        ? { value: raw }
        : { value: spec.default, problem: `${show(raw)} is not one of ${spec.values.join(', ')}` };
    case 'int':
    case 'number': {
      if (typeof raw !== 'number' || !Number.isFinite(raw)) return { value: spec.default, problem: `${show(raw)} is not a number` };
      if (spec.kind === 'int' && !Number.isInteger(raw)) return { value: spec.default, problem: `${show(raw)} is not a whole number` };
      if (raw < spec.min || raw > spec.max) return { value: spec.default, problem: `${show(raw)} is outside ${spec.min}..${spec.max}` };
      return { value: raw };
    }
  }
}

function parsePriceOverrides(raw: unknown): { value: Record<string, PriceOverride>; problem?: string } {
  if (raw === undefined || raw === null) return { value: {} };
  if (typeof raw !== 'object' || Array.isArray(raw)) return { value: {}, problem: `${show(raw)} is not an object` };
  const value: Record<string, PriceOverride> = {};
  const problems: string[] = [];
  for (const [family, entry] of Object.entries(raw as Record<string, unknown>)) {
    if (typeof entry !== 'object' || entry === null) {
      problems.push(`"${family}" is not an object`);
      continue;
    }
    const e = entry as Record<string, unknown>;
    const bad = PRICE_FIELDS.filter((f) => typeof e[f] !== 'number' || !Number.isFinite(e[f] as number) || (e[f] as number) < 0);
    if (bad.length > 0) {
      problems.push(`"${family}" needs non-negative numbers for ${bad.join(', ')}`);
      continue;
    }
    value[family] = Object.fromEntries(PRICE_FIELDS.map((f) => [f, e[f] as number])) as unknown as PriceOverride;
  }
  // A partly bad object keeps its good entries: dropping a valid override would silently change costs.
  return problems.length > 0 ? { value, problem: `${problems.join('; ')} (those entries ignored)` } : { value };
}

function parsePaths(raw: unknown, maxItems: number): { value: string[]; problem?: string } {
  if (raw === undefined || raw === null) return { value: [] };
  if (!Array.isArray(raw)) return { value: [], problem: `${show(raw)} is not a list of folders` };
  const value = raw.filter((x): x is string => typeof x === 'string' && x.trim() !== '').map((x) => x.trim());
  if (value.length > maxItems) return { value: value.slice(0, maxItems), problem: `more than ${maxItems} folders (the rest ignored)` };
  if (value.length !== raw.length) return { value, problem: 'entries that are not folder paths were ignored' };
  return { value };
}

function parseUrl(raw: unknown): { value: string; problem?: string } {
  if (raw === undefined || raw === null || raw === '') return { value: '' };
  if (typeof raw !== 'string') return { value: '', problem: `${show(raw)} is not a URL (forwarding stays off)` };
  try {
    return { value: raw.trim() === '' ? '' : parseEndpoint(raw) };
  } catch (err) {
    return { value: '', problem: `${(err as Error).message} (forwarding stays off)` };
  }
}

function parseHeaderNames(raw: unknown, maxItems: number): { value: string[]; problem?: string } {
  if (raw === undefined || raw === null) return { value: [] };
  if (!Array.isArray(raw)) return { value: [], problem: `${show(raw)} is not a list of header names` };
  const value = raw.filter((x): x is string => typeof x === 'string' && checkHeader(x.trim(), '') === undefined).map((x) => x.trim());
  if (value.length > maxItems) return { value: value.slice(0, maxItems), problem: `more than ${maxItems} headers (the rest ignored)` };
  if (value.length !== raw.length) return { value, problem: 'entries that are not valid header names (or are set by the forwarder) were ignored' };
  return { value };
}

function show(v: unknown): string {
  const s = JSON.stringify(v);
  return s === undefined ? String(v) : s.length > 60 ? `${s.slice(0, 57)}...` : s;
}
