// Which OTLP protocol Claude Code will use per signal, and so where our injected env must point it.
// Pure: the host passes the `env` blocks of Claude Code's managed and user settings files and the
// environment terminals inherit. Why it matters: Claude Code applies its settings' `env` over the
// process environment, so a `OTEL_EXPORTER_OTLP_PROTOCOL=grpc` in ~/.claude/settings.json or in an
// organisation's managed-settings.json beats the `http/protobuf` we inject into terminals. Sending
// gRPC to the OTLP/HTTP port fails, so the endpoint we inject follows the protocol that will win:
// the gRPC port (claudeLedger.grpcPort) for gRPC signals, the HTTP port for the others, with
// per-signal endpoints when the signals differ (OTEL_EXPORTER_OTLP_{LOGS,METRICS,TRACES}_ENDPOINT).
import type { Signal } from './otlp/records';

export type ExportProtocol = 'grpc' | 'http/protobuf' | 'http/json';
export const EXPORT_SIGNALS = ['logs', 'metrics', 'traces'] as const satisfies readonly Signal[];

const UPPER: Record<Signal, string> = { logs: 'LOGS', metrics: 'METRICS', traces: 'TRACES' };
export const signalEndpointKey = (s: Signal) => `OTEL_EXPORTER_OTLP_${UPPER[s]}_ENDPOINT` as const;
const signalProtocolKey = (s: Signal) => `OTEL_EXPORTER_OTLP_${UPPER[s]}_PROTOCOL`;

/** Where each variable can come from, strongest first (Claude Code's own precedence). */
export interface ClaudeEnvLayers {
  /** `env` of managed-settings.json (the organisation's; wins over everything). */
  managed?: Record<string, unknown>;
  /** `env` of the user's settings (~/.claude/settings.json, or $CLAUDE_CONFIG_DIR/settings.json). */
  user?: Record<string, unknown>;
  /** The environment terminals inherit (the extension host's process.env). Below our injected env for the keys we set. */
  inherited?: Record<string, string | undefined>;
}

export interface ExportPlan {
  /** The protocol Claude Code will use per signal once our env is applied. */
  protocols: Record<Signal, ExportProtocol>;
  /** OTEL_EXPORTER_OTLP_PROTOCOL / _ENDPOINT to inject. */
  protocol: ExportProtocol;
  endpoint: string;
  /** Per-signal endpoints to inject (only when the signals' protocols differ from the general one). */
  signalEndpoints: Partial<Record<Signal, string>>;
  /** Sentences for the log: settings that decide for us, or that we cannot serve. */
  notes: string[];
}

const layerName = { managed: 'managed settings', user: 'Claude Code user settings', inherited: 'the environment' } as const;

function pick(layers: ClaudeEnvLayers, key: string, which: readonly (keyof ClaudeEnvLayers)[]): { value: string; from: keyof ClaudeEnvLayers } | undefined {
  for (const from of which) {
    const v = layers[from]?.[key];
    if (typeof v === 'string' && v.trim() !== '') return { value: v.trim(), from };
  }
  return undefined;
}

function asProtocol(v: string): ExportProtocol | undefined {
  const p = v.toLowerCase();
  return p === 'grpc' || p === 'http/protobuf' || p === 'http/json' ? p : undefined;
}

/** True when an endpoint URL names a loopback host with one of our ports. */
function pointsAtUs(url: string, ports: readonly number[]): boolean {
  try {
    const u = new URL(url);
    return ['127.0.0.1', 'localhost', '[::1]'].includes(u.hostname) && ports.includes(Number(u.port));
  } catch {
    return false;
  }
}

export function planExport(layers: ClaudeEnvLayers, ports: { http: number; grpc: number }): ExportPlan {
  const notes: string[] = [];
  const http = `http://127.0.0.1:${ports.http}`;
  const grpc = `http://127.0.0.1:${ports.grpc}`;
  // The general protocol: settings beat ours; the inherited value does not (we replace it).
  const general = pick(layers, 'OTEL_EXPORTER_OTLP_PROTOCOL', ['managed', 'user']);
  let generalProtocol: ExportProtocol = 'http/protobuf';
  if (general) {
    const p = asProtocol(general.value);
    if (p) generalProtocol = p;
    else notes.push(`OTEL_EXPORTER_OTLP_PROTOCOL="${general.value}" in ${layerName[general.from]} is not grpc, http/protobuf or http/json`);
  }
  const protocols = {} as Record<Signal, ExportProtocol>;
  for (const s of EXPORT_SIGNALS) {
    // We never set per-signal protocols, so the inherited environment counts for them.
    const own = pick(layers, signalProtocolKey(s), ['managed', 'user', 'inherited']);
    protocols[s] = (own && asProtocol(own.value)) || generalProtocol;
  }
  const grpcOff = ports.grpc === 0;
  const endpointFor = (p: ExportProtocol, s: Signal) => (p === 'grpc' ? grpc : `${http}/v1/${s}`);
  // A gRPC-only setup points the general endpoint at the gRPC port; any mix gets per-signal endpoints.
  const anyHttp = EXPORT_SIGNALS.some((s) => protocols[s] !== 'grpc');
  const endpoint = !anyHttp && !grpcOff ? grpc : http;
  const protocol: ExportProtocol = !anyHttp && !grpcOff ? 'grpc' : generalProtocol === 'grpc' ? 'http/protobuf' : generalProtocol;
  const signalEndpoints: Partial<Record<Signal, string>> = {};
  for (const s of EXPORT_SIGNALS) {
    if (protocols[s] === 'grpc' && grpcOff) {
      notes.push(`Claude Code is set to send ${s} over OTLP/gRPC, but claudeLedger.grpcPort is 0 (off): set it to 4317 or set OTEL_EXPORTER_OTLP_PROTOCOL to http/protobuf`);
      continue;
    }
    const servedBy = protocols[s] === 'grpc' ? 'grpc' : 'http';
    if (servedBy !== (endpoint === grpc ? 'grpc' : 'http')) signalEndpoints[s] = endpointFor(protocols[s], s);
  }
  if (general || EXPORT_SIGNALS.some((s) => protocols[s] !== 'http/protobuf')) {
    notes.push(`Claude Code's OTLP protocol: ${EXPORT_SIGNALS.map((s) => `${s} ${protocols[s]}`).join(', ')}${general ? ` (from ${layerName[general.from]})` : ''}`);
  }
  // Endpoints we cannot override: settings' env beats ours; an inherited per-signal one stays unless we set it.
  const fixed = pick(layers, 'OTEL_EXPORTER_OTLP_ENDPOINT', ['managed', 'user']);
  if (fixed && !pointsAtUs(fixed.value, [ports.http, ports.grpc])) {
    notes.push(`OTEL_EXPORTER_OTLP_ENDPOINT is fixed to ${fixed.value} by ${layerName[fixed.from]}: Claude Code sends there, not to this ledger (unless per-signal endpoints point here)`);
  }
  for (const s of EXPORT_SIGNALS) {
    const own = pick(layers, signalEndpointKey(s), signalEndpoints[s] ? ['managed', 'user'] : ['managed', 'user', 'inherited']);
    if (own && !pointsAtUs(own.value, [ports.http, ports.grpc])) {
      notes.push(`${signalEndpointKey(s)} is set to ${own.value} by ${layerName[own.from]}: Claude Code sends ${s} there, not to this ledger`);
    }
  }
  return { protocols, protocol, endpoint, signalEndpoints, notes };
}

/** Claude Code's managed settings file on each platform (the organisation's; read-only for us). */
export function managedSettingsPath(platform: NodeJS.Platform): string {
  if (platform === 'darwin') return '/Library/Application Support/ClaudeCode/managed-settings.json';
  if (platform === 'win32') return 'C:\\Program Files\\ClaudeCode\\managed-settings.json';
  return '/etc/claude-code/managed-settings.json';
}

/** The `env` object of a settings file's text; undefined for a missing, unreadable or odd file (never throws). */
export function settingsEnv(text: string | undefined): Record<string, unknown> | undefined {
  if (text === undefined || text.trim() === '') return undefined;
  try {
    const parsed: unknown = JSON.parse(text);
    const env = (parsed as { env?: unknown } | null)?.env;
    return typeof env === 'object' && env !== null && !Array.isArray(env) ? (env as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}
