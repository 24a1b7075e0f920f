// Status line cost (issue 13): Claude Code runs the statusLine command after every message, so its
// wall time is compared with a bare `node -e ""` measured alternately in the same run (goal: p50 within
// 1.5x), and its peak RSS with the bare process (goal <= 50 MB). Variants: dist/statusline.js with no
// ledger listening, against a live `cli.js serve` (post + today's spend back), through the launcher
// in the data folder, and `cli.js statusline`. Wall = spawn to exit as seen by the parent (spawnSync);
// RSS = max resident set of the child (/usr/bin/time -f %M, measured in separate runs).
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { launcherScript } from '../src/core/claudeStatusLine';

const ROOT = path.resolve(__dirname, '..');
const DIST = path.join(ROOT, 'dist');

function pct(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))];
}

export async function runStatuslineBench(print: (l: string) => void, rounds = 30): Promise<void> {
  const sl = path.join(DIST, 'statusline.js');
  if (!existsSync(sl)) {
    print('statusline bench: dist/statusline.js missing (run node esbuild.mjs)');
    return;
  }
  const dir = mkdtempSync(path.join(tmpdir(), 'ccl-bench-sl-'));
  const serve = spawn(process.execPath, [path.join(DIST, 'cli.js'), 'serve', '--port', '0', '--data', dir], { stdio: ['ignore', 'pipe', 'ignore'] });
  try {
    const port = await new Promise<number>((resolve, reject) => {
      let out = '';
      serve.stdout!.on('data', (d) => {
        out += d;
        const m = /listening on http:\/\/127\.0\.0\.1:(\d+)/.exec(out);
        if (m) resolve(Number(m[1]));
      });
      serve.on('exit', (c) => reject(new Error(`serve exited ${c}`)));
    });
    const launcher = path.join(dir, 'claude-ledger-statusline.js');
    writeFileSync(launcher, launcherScript({ statuslineJs: sl, port }));
    const now = Math.floor(Date.now() / 1000);
    const input = JSON.stringify({
      session_id: 'bench-session', model: { id: 'claude-opus-4-5', display_name: 'Opus 4.5' }, cost: { total_cost_usd: 0.42 },
      rate_limits: { five_hour: { used_percentage: 43, resets_at: now + 7200 }, seven_day: { used_percentage: 12, resets_at: now + 400000 } },
    });
    const token = readFileSync(path.join(dir, 'token'), 'utf8').trim();
    const variants: { name: string; args: string[]; env?: Record<string, string> }[] = [
      { name: 'bare node -e ""', args: ['-e', ''] },
      { name: 'statusline.js, no ledger', args: [sl, '--port', '1'], env: { CLAUDE_LEDGER_TOKEN: token } },
      { name: 'statusline.js, live ledger', args: [sl, '--data', dir, '--port', String(port)] },
      { name: 'launcher, live ledger', args: [launcher] },
      { name: 'cli.js statusline, live ledger', args: [path.join(DIST, 'cli.js'), 'statusline', '--data', dir, '--port', String(port)] },
    ];
    const env = (v: (typeof variants)[number]) => ({ PATH: process.env.PATH ?? '', HOME: dir, NO_COLOR: '1', ...v.env });
    // Warm the page cache once per variant, then alternate.
    for (const v of variants) spawnSync(process.execPath, v.args, { input, env: env(v) });
    const wall = new Map<string, number[]>(variants.map((v) => [v.name, []]));
    for (let i = 0; i < rounds; i++) {
      for (const v of variants) {
        const t = performance.now();
        const r = spawnSync(process.execPath, v.args, { input, env: env(v) });
        wall.get(v.name)!.push(performance.now() - t);
        if (r.status !== 0) throw new Error(`${v.name} exited ${r.status}: ${r.stderr}`);
      }
    }
    const rss = new Map<string, number[]>();
    const time = '/usr/bin/time';
    if (existsSync(time)) {
      for (let i = 0; i < 5; i++) {
        for (const v of variants) {
          const out = path.join(dir, 'rss');
          spawnSync(time, ['-f', '%M', '-o', out, process.execPath, ...v.args], { input, env: env(v) });
          const kb = Number(readFileSync(out, 'utf8').trim().split('\n').pop());
          if (!rss.has(v.name)) rss.set(v.name, []);
          rss.get(v.name)!.push(kb / 1024);
        }
      }
    }
    const bare = pct(wall.get(variants[0].name)!, 50);
    print(`status line (${rounds} alternated rounds; goal: p50 <= 1.5x bare node, RSS <= 50 MB):`);
    for (const v of variants) {
      const w = wall.get(v.name)!;
      const p50 = pct(w, 50);
      const r = rss.get(v.name);
      print(
        `  ${v.name.padEnd(32)} p50 ${p50.toFixed(1)} ms  p90 ${pct(w, 90).toFixed(1)} ms  ratio ${(p50 / bare).toFixed(2)}x` +
          (r ? `  RSS p50 ${pct(r, 50).toFixed(1)} MB (max ${Math.max(...r).toFixed(1)})` : '  RSS n/a (no /usr/bin/time)'),
      );
    }
    print(`  output: ${spawnSync(process.execPath, variants[2].args, { input, env: env(variants[2]) }).stdout.toString().trim()}`);
  } finally {
    serve.kill('SIGTERM');
    await new Promise((r) => serve.once('exit', r));
    rmSync(dir, { recursive: true, force: true });
  }
}

if (require.main === module) {
  runStatuslineBench((l) => process.stdout.write(`${l}\n`)).catch((err: unknown) => {
    process.stderr.write(`${(err as Error).stack ?? err}\n`);
    process.exitCode = 1;
  });
}
