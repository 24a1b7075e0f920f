// Forwarding (issue 12): (1) the local ingest latency Claude Code sees, forwarding off vs on (the forwarder
// busy sending every frame to an upstream that accepts at once), as a ratio of medians in the same run;
// (2) forwarding throughput: a backlog built while the upstream is down, then drained once it is up
// (requests/s and MB/s of journal frames, as-received and without-content). Real `dist/cli.js serve`
// processes; the upstream is the tests' fault server answering 200 (an in-process sink, not a Collector).
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { ForwardStatusDto, StatusSnapshotDto } from '../src/protocol/dto';
import { FaultOtlpServer } from '../test/support/faultOtlpServer';
import { apiCall, freePort, startServe, stopServe } from '../test/support/ledgerCli';

const ROOT = path.resolve(__dirname, '..');
const JSON_LOGS = readFileSync(path.join(ROOT, 'test/fixtures/claude-code-otlp/f-write-edit-bash-json/logs-001.json'), 'utf8');
const SESSION = '4781e320-d350-4937-a649-b56fa707eee7';

function batch(k: number): Buffer {
  return Buffer.from(JSON_LOGS.split(SESSION).join(`bench-${k}`).split('req_fake').join(`req_b${k}_`));
}

const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
function post(port: number, body: Buffer): Promise<number> {
  return new Promise((resolve, reject) => {
    const t0 = process.hrtime.bigint();
    const req = http.request({ host: '127.0.0.1', port, path: '/v1/logs', method: 'POST', agent, headers: { 'Content-Type': 'application/json' } }, (res) => {
      res.resume();
      res.on('end', () => (res.statusCode === 200 ? resolve(Number(process.hrtime.bigint() - t0) / 1e6) : reject(new Error(`HTTP ${res.statusCode}`))));
    });
    req.on('error', reject);
    req.end(body);
  });
}

function pct(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))];
}

async function forwardStatus(port: number): Promise<ForwardStatusDto | null | undefined> {
  return (await apiCall<{ result: StatusSnapshotDto }>(port, 'POST', '/api/query', { method: 'status', params: {} })).result.forward;
}

async function until(port: number, ok: (s: ForwardStatusDto) => boolean): Promise<ForwardStatusDto> {
  for (;;) {
    const s = await forwardStatus(port);
    if (s && ok(s)) return s;
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Per-request latency of `n` sequential posts (after `warm` unmeasured ones). */
async function latencies(port: number, from: number, n: number, warm = 20): Promise<number[]> {
  for (let k = 0; k < warm; k++) await post(port, batch(from + k));
  const out: number[] = [];
  for (let k = 0; k < n; k++) out.push(await post(port, batch(from + warm + k)));
  return out;
}

export async function runForwardBench(print: (l: string) => void, n = 300): Promise<void> {
  print('');
  print('## Forwarding');
  const sink = await FaultOtlpServer.start();
  const dirs: string[] = [];
  const tmp = () => {
    const d = mkdtempSync(path.join(tmpdir(), 'ccl-bench-fwd-'));
    dirs.push(d);
    return d;
  };
  try {
    // (1) Ingest latency, off vs on, alternating rounds so machine noise hits both.
    const off: number[] = [];
    const on: number[] = [];
    const portOff = await freePort();
    const portOn = await freePort();
    const a = await startServe(portOff, tmp());
    const b = await startServe(portOn, tmp(), ['--forward', sink.url]);
    await until(portOn, () => true);
    for (let round = 0; round < 3; round++) {
      off.push(...(await latencies(portOff, 100_000 * (round + 1), n / 3)));
      on.push(...(await latencies(portOn, 100_000 * (round + 1), n / 3)));
    }
    const sent = await until(portOn, (s) => s.backlogRequests === 0);
    await stopServe(a);
    await stopServe(b);
    const p50off = pct(off, 50);
    const p50on = pct(on, 50);
    print(`ingest latency (${off.length} sequential 18 KB OTLP/JSON posts each; the forwarder sent ${sent.sentRequests} meanwhile):`);
    print(`  forwarding off  p50 ${p50off.toFixed(2)} ms  p95 ${pct(off, 95).toFixed(2)} ms`);
    print(`  forwarding on   p50 ${p50on.toFixed(2)} ms  p95 ${pct(on, 95).toFixed(2)} ms   ratio on/off p50 ${(p50on / p50off).toFixed(2)}x, p95 ${(pct(on, 95) / pct(off, 95)).toFixed(2)}x`);

    // (2) Throughput: backlog built with the upstream down, then drained.
    for (const content of ['as-received', 'without-content'] as const) {
      const down = await freePort();
      const port = await freePort();
      const dir = tmp();
      const args = ['--forward', `http://127.0.0.1:${down}`, '--forward-content', content, '--forward-backoff-ms', '50'];
      const s1 = await startServe(port, dir, args);
      const frames = 1000;
      for (let k = 0; k < frames; k++) await post(port, batch(500_000 + k));
      const backlog = await until(port, (s) => s.backlogRequests === frames);
      await stopServe(s1);
      // Upstream up on the port the forwarder knows: a sink listening there.
      const up = await FaultOtlpServer.start(down);
      const t0 = Date.now();
      const s2 = await startServe(port, dir, args);
      const tStarted = Date.now();
      await until(port, (s) => s.backlogRequests === 0 && s.sentRequests >= frames);
      const secs = (Date.now() - tStarted) / 1000;
      await stopServe(s2);
      const wire = up.received.reduce((x, r) => x + r.wireBytes, 0);
      print(`throughput ${content}: ${frames} requests (${(backlog.backlogBytes / 1e6).toFixed(1)} MB of journal frames) drained in ${secs.toFixed(2)} s after start (start ${((tStarted - t0) / 1000).toFixed(2)} s): ${(frames / secs).toFixed(0)} requests/s, ${(backlog.backlogBytes / 1e6 / secs).toFixed(2)} MB/s; ${(wire / 1e6).toFixed(2)} MB on the wire (gzip)`);
      await up.close();
    }
  } finally {
    await sink.close();
    agent.destroy();
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  }
}

if (require.main === module) {
  runForwardBench((l) => process.stdout.write(`${l}\n`)).catch((err: unknown) => {
    process.stderr.write(`${(err as Error).stack ?? err}\n`);
    process.exitCode = 1;
  });
}
