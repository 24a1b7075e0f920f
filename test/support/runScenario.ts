// Run one Claude Code scenario by hand (see README.md in this folder):
//   node --import tsx test/support/runScenario.ts <scenario|all> [--out DIR] [--endpoint URL] [--keep] [--protocol http/json]
// Without --endpoint the OTLP payloads go to a local capture server and, with --out, are saved as
// <signal>-<seq>.bin|.json (+ .headers.json), next to the fake API's request log and usage log.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startFakeAnthropic, sumUsage } from './fakeAnthropic';
import { startOtlpCapture, signalOf } from './otlpCapture';
import { SCENARIOS, executeScenario, scenarioByName } from './scenarios';

async function main(argv: string[]): Promise<number> {
  const name = argv[0];
  if (!name || name.startsWith('-')) {
    process.stderr.write(`usage: runScenario.ts <${SCENARIOS.map((s) => s.name).join('|')}|all> [--out DIR] [--endpoint URL] [--keep]\n`);
    return 2;
  }
  const flag = (f: string): string | undefined => {
    const i = argv.indexOf(f);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  const out = flag('--out');
  const endpoint = flag('--endpoint');
  const keep = argv.includes('--keep');
  const protocol = flag('--protocol');
  if (protocol !== undefined && protocol !== 'http/json' && protocol !== 'http/protobuf') throw new Error('--protocol must be http/json or http/protobuf');
  const list = name === 'all' ? SCENARIOS : [scenarioByName(name)];

  const fake = await startFakeAnthropic({ turns: [] });
  const capture = endpoint ? undefined : await startOtlpCapture();
  let failed = 0;
  try {
    for (const scenario of list) {
      capture?.reset();
      const run = await executeScenario(scenario, { fake, otlpEndpoint: endpoint ?? capture?.endpoint, ...(protocol ? { telemetry: { protocol } } : {}) });
      const usage = sumUsage(run.usageLog);
      const line = {
        scenario: scenario.name,
        exitCode: run.result.exitCode,
        wallMs: run.result.wallMs,
        timedOut: run.result.timedOut,
        apiAnswers: run.usageLog.length,
        usage,
        unscripted: run.unscripted,
        remainingTurns: run.remainingTurns,
        mcpCalls: run.mcpCalls.length,
        payloads: capture?.requests.map((r) => `${r.path} ${r.headers['content-type'] ?? ''} ${r.headers['content-encoding'] ?? ''} ${r.body.length}B`),
        scratch: keep ? run.ctx : undefined,
      };
      process.stdout.write(JSON.stringify(line, null, 2) + '\n');
      if (run.result.exitCode !== scenario.expect.exitCode) {
        failed++;
        process.stderr.write(`--- stderr of ${scenario.name}:\n${run.result.stderr}\n`);
      }
      if (out) {
        const dir = join(out, scenario.name);
        mkdirSync(dir, { recursive: true });
        const seqs: Record<string, number> = {};
        // index.jsonl in the layout of test/fixtures/claude-code-otlp (arrival order across signals).
        const index: string[] = [];
        for (const r of capture?.requests ?? []) {
          const sig = signalOf(r.path) ?? 'unknown';
          seqs[sig] = (seqs[sig] ?? 0) + 1;
          const base = `${sig}-${String(seqs[sig]).padStart(3, '0')}`;
          const ext = (r.headers['content-type'] ?? '').includes('json') && !r.headers['content-encoding'] ? 'json' : 'bin';
          writeFileSync(join(dir, `${base}.${ext}`), r.body);
          writeFileSync(join(dir, `${base}.headers.json`), JSON.stringify({ path: r.path, headers: r.headers, bytes: r.body.length }, null, 2));
          index.push(JSON.stringify({ file: `${base}.${ext}`, signal: sig, transport: 'http', received_at: new Date(r.receivedAtMs).toISOString(), bytes: r.body.length, content_type: r.headers['content-type'] ?? null, content_encoding: r.headers['content-encoding'] ?? null }));
        }
        writeFileSync(join(dir, 'index.jsonl'), index.map((l) => `${l}\n`).join(''));
        writeFileSync(join(dir, 'fake-api-requests.json'), JSON.stringify(run.requests, null, 2));
        writeFileSync(join(dir, 'usage-log.json'), JSON.stringify(run.usageLog, null, 2));
        writeFileSync(join(dir, 'claude-stdout.txt'), run.result.stdout);
        writeFileSync(join(dir, 'claude-stderr.txt'), run.result.stderr);
      }
      if (!keep) run.dispose();
    }
  } finally {
    await fake.close();
    await capture?.close();
  }
  return failed ? 1 : 0;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`${err instanceof Error ? err.stack : String(err)}\n`);
    process.exit(1);
  },
);
