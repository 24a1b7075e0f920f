// Decode + normalize throughput on genuine Claude Code payloads, next to a bare decode of the same
// bytes in the same run (protobufjs Type.decode of our schema / JSON.parse). Figures are ratios.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { decodeAndNormalize } from '../src/core/otlp/ingest';
import { otlpTypes } from '../src/core/otlp/otlpSchema';
import { DEFAULT_INGEST_OPTIONS, type Signal } from '../src/core/otlp/records';

const FIX = join(__dirname, '..', 'test', 'fixtures', 'claude-code-otlp');

/** Replicates a fixture's records `times` times into one request (the shape of a busy export). */
function enlarge(signal: Signal, file: string, times: number): { body: Uint8Array; records: number } {
  const t = otlpTypes();
  const type = signal === 'logs' ? t.logsRequest : signal === 'metrics' ? t.metricsRequest : t.traceRequest;
  const obj = type.toObject(type.decode(readFileSync(join(FIX, file))), { longs: String }) as Record<string, any>;
  const key = signal === 'logs' ? ['resourceLogs', 'scopeLogs', 'logRecords'] : signal === 'metrics' ? ['resourceMetrics', 'scopeMetrics', 'metrics'] : ['resourceSpans', 'scopeSpans', 'spans'];
  let records = 0;
  for (const r of obj[key[0]]) for (const s of r[key[1]]) {
    const items = s[key[2]];
    s[key[2]] = Array.from({ length: times }, () => items).flat();
    records += s[key[2]].length;
  }
  if (signal === 'metrics') records = countPoints(obj);
  return { body: type.encode(type.fromObject(obj)).finish(), records };
}

function countPoints(obj: any): number {
  let n = 0;
  for (const r of obj.resourceMetrics) for (const s of r.scopeMetrics) for (const m of s.metrics) n += (m.sum ?? m.gauge ?? m.histogram ?? {}).dataPoints?.length ?? 0;
  return n;
}

function rate(fn: () => void, records: number, minMs: number): number {
  let n = 0;
  const t0 = performance.now();
  while (performance.now() - t0 < minMs) {
    fn();
    n++;
  }
  return (n * records) / ((performance.now() - t0) / 1000);
}

/**
 * Ours and the bare baseline in alternating short rounds, the best round of each: on a shared machine
 * a slow spell then hits both sides alike instead of one whole measurement.
 */
function compare(ours: () => void, bare: () => void, records: number, rounds = 15, roundMs = 100): { ours: number; bare: number } {
  for (let i = 0; i < 5; i++) {
    ours();
    bare();
  }
  let best = { ours: 0, bare: 0 };
  for (let i = 0; i < rounds; i++) {
    best = { ours: Math.max(best.ours, rate(ours, records, roundMs)), bare: Math.max(best.bare, rate(bare, records, roundMs)) };
  }
  return best;
}

export async function runDecodeBench(print: (line: string) => void): Promise<void> {
  const t = otlpTypes();
  print('## OTLP decode + normalize (records/s; ratio = ours / bare decode of the same bytes)');
  for (const [signal, file] of [['logs', 'h-long-session/logs-002.bin'], ['metrics', 'b-write-edit-bash/metrics-001.bin'], ['traces', 'b-write-edit-bash/traces-001.bin']] as const) {
    const { body, records } = enlarge(signal, file, 40);
    const type = signal === 'logs' ? t.logsRequest : signal === 'metrics' ? t.metricsRequest : t.traceRequest;
    const { ours, bare } = compare(() => decodeAndNormalize(signal, 'protobuf', body, DEFAULT_INGEST_OPTIONS), () => type.decode(body), records);
    print(`${signal.padEnd(8)} protobuf ${String(records).padStart(5)} records/request ${(body.length / 1024).toFixed(0).padStart(4)} KB: ours ${fmt(ours)}/s, bare protobufjs decode ${fmt(bare)}/s, ratio ${(ours / bare).toFixed(2)}x   [goal >= 0.5x]`);
  }
  const json = readFileSync(join(FIX, 'f-write-edit-bash-json', 'logs-001.json'));
  const parsed = JSON.parse(json.toString());
  const records = parsed.resourceLogs[0].scopeLogs[0].logRecords.length;
  parsed.resourceLogs[0].scopeLogs[0].logRecords = Array.from({ length: 40 }, () => parsed.resourceLogs[0].scopeLogs[0].logRecords).flat();
  const big = Buffer.from(JSON.stringify(parsed));
  const { ours, bare } = compare(() => decodeAndNormalize('logs', 'json', big, DEFAULT_INGEST_OPTIONS), () => JSON.parse(big.toString('utf8')), records * 40);
  print(`logs     json     ${String(records * 40).padStart(5)} records/request ${(big.length / 1024).toFixed(0).padStart(4)} KB: ours ${fmt(ours)}/s, bare JSON.parse ${fmt(bare)}/s, ratio ${(ours / bare).toFixed(2)}x   [goal >= 0.5x]`);
}

const fmt = (n: number) => `${(n / 1000).toFixed(1)}k`;
