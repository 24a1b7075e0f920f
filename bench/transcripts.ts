// Transcript benchmark (not a test): `npm run bench` calls runTranscriptBench(log); or alone with
//   LEDGER_BENCH_TRANSCRIPT_MB=100 node --expose-gc --import tsx bench/transcripts.ts
// after `node esbuild.mjs`. One generated corpus (bench/transcriptCorpus.ts, >= 1 GB by default) in
// os.tmpdir(), deleted at the end; on it, in the same run:
//  (a) ccusage 20.0.24 (its native linux-x64 binary, run directly): one `claude daily --offline --json`
//      report — wall time, peak RSS — and its daily tokens against the generator's ground truth;
//  (b) the ledger's `node dist/cli.js import --data D --from <corpus>/projects --json` — time, MB/s,
//      peak RSS, requests added against the ground truth;
//  (c) the ledger's daily report afterwards: `cli.js export --dataset daily` (a new process that
//      opens the store) and the same rows from an already open store (what the extension does);
// and the ratios against ccusage's one report. Figures are printed, never asserted.
import { accessSync, chmodSync, constants, existsSync, mkdirSync, mkdtempSync, openSync, closeSync, readFileSync, rmSync, statfsSync } from 'node:fs';
import { spawn } from 'node:child_process';
import { availableParallelism, tmpdir } from 'node:os';
import path from 'node:path';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { generateCorpus, type CorpusSummary, type TokenTotals } from './transcriptCorpus';
import { transcriptBaseline } from './transcriptBaseline';

type Log = (line: string) => void;

const ROOT = path.resolve(__dirname, '..');
/** The CLI under test: this checkout's build, or another build's (LEDGER_BENCH_CLI=/path/to/dist/cli.js). */
const CLI = path.resolve(process.env.LEDGER_BENCH_CLI ?? path.join(ROOT, 'dist', 'cli.js'));
const DEFAULT_MB = 1024;
/** The whole transcript bench should end within ~10 minutes on a 2-core machine. */
const BUDGET_MS = 10 * 60_000;
/** Each measured command is killed past this (a hung child must not hang `npm run bench`). */
const MAX_CHILD_MS = 7 * 60_000;
const SEED = 1;
const DAYS = 60;

interface Run {
  ms: number;
  /** Peak resident set size in MB (from /usr/bin/time -v, else polled from /proc). */
  rssMb: number | undefined;
  code: number | null;
  stdout: string;
  stderr: string;
  timedOut: boolean;
}

const fmt = (n: number, d = 1) => n.toFixed(d);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const hasGnuTime = (() => {
  try {
    accessSync('/usr/bin/time', constants.X_OK);
    return true;
  } catch {
    return false;
  }
})();

/** Runs one command with stdout/stderr to files, timing it and recording its peak RSS. */
async function measure(cmd: string, args: string[], env: NodeJS.ProcessEnv, work: string, timeoutMs = MAX_CHILD_MS): Promise<Run> {
  const outFile = path.join(work, 'child.out');
  const errFile = path.join(work, 'child.err');
  const timeFile = path.join(work, 'child.time');
  rmSync(timeFile, { force: true });
  const outFd = openSync(outFile, 'w');
  const errFd = openSync(errFile, 'w');
  const [c, a] = hasGnuTime ? ['/usr/bin/time', ['-v', '-o', timeFile, cmd, ...args]] : [cmd, args];
  const t0 = performance.now();
  const child = spawn(c, a, { env, stdio: ['ignore', outFd, errFd] });
  let polledKb = 0;
  const poll = hasGnuTime
    ? undefined
    : setInterval(() => {
        try {
          const m = /VmHWM:\s+(\d+)/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'));
          if (m) polledKb = Math.max(polledKb, Number(m[1]));
        } catch {
          // the process is gone or /proc is not there: keep the last reading
        }
      }, 50);
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    child.kill('SIGKILL');
  }, timeoutMs);
  const code = await new Promise<number | null>((resolve) => {
    child.on('exit', (code) => resolve(code));
    child.on('error', () => resolve(null));
  });
  const ms = performance.now() - t0;
  clearTimeout(timer);
  if (poll) clearInterval(poll);
  closeSync(outFd);
  closeSync(errFd);
  let rssKb: number | undefined = polledKb || undefined;
  if (hasGnuTime && existsSync(timeFile)) {
    const m = /Maximum resident set size \(kbytes\): (\d+)/.exec(readFileSync(timeFile, 'utf8'));
    if (m) rssKb = Number(m[1]);
  }
  return { ms, rssMb: rssKb === undefined ? undefined : rssKb / 1024, code, stdout: readFileSync(outFile, 'utf8'), stderr: readFileSync(errFile, 'utf8'), timedOut };
}

const rss = (r: Run) => (r.rssMb === undefined ? 'n/a' : `${fmt(r.rssMb, 0)} MB`);

/** ccusage's native binary for this platform (the npm `ccusage` wrapper only spawns it), or its wrapper. */
function ccusageCommand(): { cmd: string; pre: string[]; how: string } | undefined {
  try {
    const pkg = require.resolve(`@ccusage/ccusage-${process.platform}-${process.arch}/package.json`, { paths: [ROOT] });
    const bin = path.join(path.dirname(pkg), 'bin', process.platform === 'win32' ? 'ccusage.exe' : 'ccusage');
    try {
      accessSync(bin, constants.X_OK);
    } catch {
      chmodSync(bin, 0o755); // what the wrapper does on first run (npm does not keep the mode)
    }
    const version = (JSON.parse(readFileSync(pkg, 'utf8')) as { version: string }).version;
    return { cmd: bin, pre: [], how: `@ccusage/ccusage-${process.platform}-${process.arch}@${version} native binary` };
  } catch {
    try {
      const wrapper = require.resolve('ccusage/package.json', { paths: [ROOT] });
      return { cmd: process.execPath, pre: [path.join(path.dirname(wrapper), 'src', 'cli.js')], how: 'ccusage npm wrapper' };
    } catch {
      return undefined;
    }
  }
}

interface DayTokens {
  input: number;
  output: number;
  cacheCreation: number;
  cacheRead: number;
  /** Reported plus estimated cost (CSV only). */
  costUsd?: number;
}
const TOKEN_KEYS = ['input', 'output', 'cacheCreation', 'cacheRead'] as const;
const sumTokens = (t: DayTokens) => t.input + t.output + t.cacheCreation + t.cacheRead;

/** Compares per-day tokens with an expectation: total difference and the number of days that differ. */
function compareDays(got: Map<string, DayTokens>, want: Record<string, TokenTotals>): { diff: Record<(typeof TOKEN_KEYS)[number], number>; total: number; wantTotal: number; daysOff: number; days: number } {
  const diff = { input: 0, output: 0, cacheCreation: 0, cacheRead: 0 };
  let daysOff = 0;
  let wantTotal = 0;
  const days = new Set([...got.keys(), ...Object.keys(want)]);
  for (const d of days) {
    const g = got.get(d) ?? { input: 0, output: 0, cacheCreation: 0, cacheRead: 0 };
    const w = want[d] ?? { input: 0, output: 0, cacheCreation: 0, cacheRead: 0 };
    let off = false;
    for (const k of TOKEN_KEYS) {
      diff[k] += g[k] - w[k];
      if (g[k] !== w[k]) off = true;
    }
    wantTotal += sumTokens(w as DayTokens);
    if (off) daysOff++;
  }
  return { diff, total: diff.input + diff.output + diff.cacheCreation + diff.cacheRead, wantTotal, daysOff, days: days.size };
}

function describeDiff(c: ReturnType<typeof compareDays>): string {
  if (c.total === 0 && c.daysOff === 0) return `equal on all ${c.days} days`;
  const pct = c.wantTotal ? (100 * c.total) / c.wantTotal : 0;
  return `${c.total >= 0 ? '+' : ''}${c.total.toLocaleString()} tokens (${pct >= 0 ? '+' : ''}${fmt(pct, 3)}%), ${c.daysOff} of ${c.days} days differ (input ${c.diff.input}, output ${c.diff.output}, cache write ${c.diff.cacheCreation}, cache read ${c.diff.cacheRead})`;
}

/** Parses the ledger's daily CSV (one row per day and model) into tokens per day. */
function csvDays(text: string): Map<string, DayTokens> {
  const lines = text.split(/\r?\n/).filter(Boolean);
  const head = (lines.shift() ?? '').split(',').map((h) => h.replace(/^"|"$/g, '').trim().toLowerCase());
  const col = (...names: string[]) => head.findIndex((h) => names.includes(h));
  const [iDate, iIn, iOut, iCw, iCr] = [col('date', 'day'), col('input_tokens', 'input'), col('output_tokens', 'output'), col('cache_creation_tokens', 'cache_creation'), col('cache_read_tokens', 'cache_read')];
  // cost_usd is the whole cost; estimated_cost_usd is the part of it that is estimated (not added again).
  const iCost = col('cost_usd');
  const out = new Map<string, DayTokens>();
  if ([iDate, iIn, iOut, iCw, iCr].some((i) => i < 0)) return out;
  for (const l of lines) {
    const c = l.split(',').map((x) => x.replace(/^"|"$/g, ''));
    const d = out.get(c[iDate]) ?? { input: 0, output: 0, cacheCreation: 0, cacheRead: 0 };
    d.input += Number(c[iIn]) || 0;
    d.output += Number(c[iOut]) || 0;
    d.cacheCreation += Number(c[iCw]) || 0;
    d.cacheRead += Number(c[iCr]) || 0;
    d.costUsd = (d.costUsd ?? 0) + (iCost >= 0 ? Number(c[iCost]) || 0 : 0);
    out.set(c[iDate], d);
  }
  return out;
}

function chooseSize(log: Log, work: string): number {
  const asked = Number(process.env.LEDGER_BENCH_TRANSCRIPT_MB ?? DEFAULT_MB);
  let mb = Number.isFinite(asked) && asked > 0 ? asked : DEFAULT_MB;
  try {
    const fs = statfsSync(work);
    const freeMb = (fs.bavail * fs.bsize) / 1048576;
    // The corpus, plus the ledger's data dir (journal + snapshot), plus slack.
    const fits = Math.floor((freeMb - 512) / 2);
    if (fits < mb) {
      log(`only ${fmt(freeMb, 0)} MB free in ${tmpdir()}: corpus reduced from ${mb} MB to ${Math.max(fits, 0)} MB`);
      mb = Math.max(fits, 0);
    }
  } catch {
    // statfs not available: try the asked size
  }
  return mb;
}

export async function runTranscriptBench(log: Log): Promise<void> {
  log('== transcript benchmark (history import vs ccusage)');
  const started = performance.now();
  const left = () => BUDGET_MS - (performance.now() - started);
  const work = mkdtempSync(path.join(tmpdir(), 'ledger-tbench-'));
  try {
    const mb = chooseSize(log, work);
    if (mb < 1) {
      log('not enough disk space for a corpus: transcript bench skipped');
      return;
    }
    const corpus = path.join(work, 'corpus');
    const home = path.join(work, 'home'); // an empty HOME, so ccusage finds no other agent's data
    mkdirSync(home);
    const g0 = performance.now();
    const truth: CorpusSummary = generateCorpus({ outDir: corpus, mb, seed: SEED, days: DAYS });
    const genS = (performance.now() - g0) / 1000;
    const corpusMb = truth.bytes / 1048576;
    log(
      `corpus: ${fmt(corpusMb, 0)} MB (asked ${mb}), ${truth.files.toLocaleString()} files (${truth.subagentFiles.toLocaleString()} subagent), ${truth.lines.toLocaleString()} lines, ` +
        `${truth.sessions.toLocaleString()} sessions in ${truth.projects} projects over ${truth.days} days, ${truth.distinctRequests.toLocaleString()} requests ` +
        `in ${truth.assistantLines.toLocaleString()} assistant lines, ${truth.resumedSessions} resumed sessions (${truth.replayedNewRequestId} replayed messages under a new requestId); ` +
        `generated in ${fmt(genS)} s (seed ${SEED}, not counted below)`,
    );
    const truthTokens = truth.truth.totals.input + truth.truth.totals.output + truth.truth.totals.cacheCreation + truth.truth.totals.cacheRead;
    const env = { ...process.env, TZ: 'UTC', NO_COLOR: '1' };

    // (a) ccusage: one daily report.
    let ccMs: number | undefined;
    const cc = ccusageCommand();
    if (!cc) log('ccusage: not installed (npm ci installs the pinned devDependency); its figures are skipped');
    else {
      const args = [...cc.pre, 'claude', 'daily', '--offline', '--json', '--timezone', 'UTC'];
      const ccEnv = { ...env, HOME: home, CLAUDE_CONFIG_DIR: corpus };
      const r = await measure(cc.cmd, args, ccEnv, work, Math.min(MAX_CHILD_MS, Math.max(60_000, left())));
      if (r.code !== 0) log(`ccusage: failed (exit ${r.code}${r.timedOut ? ', killed after the time limit' : ''}): ${r.stderr.slice(0, 300)}`);
      else {
        // The first run is the figure (one report, as a user runs it); two more show the spread.
        const more: Run[] = [];
        for (let i = 0; i < 2 && left() > 6 * r.ms + 60_000; i++) more.push(await measure(cc.cmd, args, ccEnv, work));
        ccMs = r.ms;
        const all = [r, ...more].filter((x) => x.code === 0).map((x) => x.ms);
        log(
          `ccusage (${cc.how}) \`ccusage claude daily --offline --json --timezone UTC\`: ${fmt(r.ms / 1000, 2)} s, ${fmt(corpusMb / (r.ms / 1000), 0)} MB/s, peak RSS ${rss(r)}` +
            (all.length > 1 ? ` (runs: ${all.map((x) => fmt(x / 1000, 2)).join(', ')} s)` : ''),
        );
        if (left() > 4 * r.ms + 60_000) {
          const st = await measure(cc.cmd, [...args, '--single-thread'], ccEnv, work);
          if (st.code === 0) log(`ccusage with --single-thread (context: it loads files in parallel by default, on ${availableParallelism()} cores here): ${fmt(st.ms / 1000, 2)} s, peak RSS ${rss(st)}`);
        }
        const report = JSON.parse(r.stdout) as {
          daily: { date: string; inputTokens: number; outputTokens: number; cacheCreationTokens: number; cacheReadTokens: number; totalCost: number; modelBreakdowns?: { modelName: string; cost: number }[] }[];
          totals: { totalCost: number };
        };
        const days = new Map(report.daily.map((d) => [d.date, { input: d.inputTokens, output: d.outputTokens, cacheCreation: d.cacheCreationTokens, cacheRead: d.cacheReadTokens }]));
        log(`ccusage vs ground truth (each request once, by message.id, largest usage): ${describeDiff(compareDays(days, truth.truth.byDay))}`);
        log(`ccusage vs a (message.id, requestId) dedupe of the same files: ${describeDiff(compareDays(days, truth.ccusageStyle.byDay))} -> the difference to the truth is the replays under a new requestId`);
        // Cost: ccusage's prices (LiteLLM snapshot) against the bundled table on the same tokens.
        const ccByModel = new Map<string, number>();
        for (const d of report.daily) for (const m of d.modelBreakdowns ?? []) ccByModel.set(m.modelName, (ccByModel.get(m.modelName) ?? 0) + m.cost);
        const perModel = Object.entries(truth.ccusageStyle.byModel).map(([model, t]) => {
          const got = ccByModel.get(model);
          return `${model} ${got === undefined ? 'missing' : got === 0 ? '$0 (unpriced)' : Math.abs(got / t.costUsd - 1) < 1e-9 ? 'same' : `${fmt((got / t.costUsd - 1) * 100, 3)}%`}`;
        });
        log(
          `ccusage total cost $${fmt(report.totals.totalCost, 2)}; the bundled price table on the same tokens $${fmt(truth.ccusageStyle.totals.costUsd, 2)}, ` +
            `on the ground truth $${fmt(truth.truth.totals.costUsd, 2)} (${truthTokens.toLocaleString()} tokens); ccusage vs table by model: ${perModel.join(', ')}`,
        );
      }
    }

    // (b) the ledger's import.
    const data = path.join(work, 'ledger-data');
    if (!existsSync(CLI)) {
      log('ledger import: not available in this build (no dist/cli.js: run node esbuild.mjs)');
      return;
    }
    const budget = Math.min(MAX_CHILD_MS, Math.max(60_000, left()));
    const imp = await measure(process.execPath, [CLI, 'import', '--data', data, '--from', path.join(corpus, 'projects'), '--json'], env, work, budget);
    if (imp.code === 2 && /Unknown command/.test(imp.stderr)) {
      log('ledger import: not available in this build (dist/cli.js has no import command)');
      return;
    }
    if (imp.code !== 0) {
      log(`ledger import: failed (exit ${imp.code}${imp.timedOut ? `, killed after ${fmt(budget / 1000, 0)} s: the bench's time budget` : ''}) ${imp.stderr.slice(-400)}`);
      return;
    }
    let summary: Record<string, unknown> = {};
    try {
      summary = JSON.parse(imp.stdout.slice(imp.stdout.indexOf('{'))) as Record<string, unknown>;
    } catch {
      log(`ledger import: summary is not JSON: ${imp.stdout.slice(0, 200)}`);
    }
    log(
      `ledger import \`cli.js import --json\`: ${fmt(imp.ms / 1000, 2)} s, ${fmt(corpusMb / (imp.ms / 1000), 1)} MB/s, peak RSS ${rss(imp)}; ` +
        `requests added ${String(summary.requestsAdded ?? '?')} (ground truth ${truth.distinctRequests}), duplicates ${String(summary.duplicates ?? '?')}, ` +
        `lines ${String(summary.lines ?? '?')} (corpus ${truth.lines}), skipped ${JSON.stringify(summary.skipped ?? {})}`,
    );
    const problems = Array.isArray(summary.problems) ? (summary.problems as string[]) : [];
    if (problems.length > 0) log(`ledger import: ${problems.length} problem(s) reported, first: ${problems[0].slice(0, 300)}`);
    if (typeof summary.maxStallMs === 'number') log(`ledger import: longest main-thread stall ${fmt(summary.maxStallMs)} ms   [goal <= 50 ms]`);
    const importWorked = typeof summary.requestsAdded === 'number' && summary.requestsAdded > 0;
    if (importWorked) await printImportVsBare(log, path.join(corpus, 'projects'), summary, imp.ms);
    if (ccMs !== undefined) log(`ratio import / one ccusage report: ${fmt(imp.ms / ccMs, 2)}x   [goal <= 1.5x]${importWorked ? '' : ' (nothing imported: not meaningful)'}`);

    // (c) the daily report afterwards: a new CLI process (opens the store), then an open store.
    const csv = path.join(work, 'daily.csv');
    const exportArgs = [CLI, 'export', '--data', data, '--dataset', 'daily', '--range', 'all', '--out', csv];
    const runs: Run[] = [];
    for (let i = 0; i < 3 && left() > 30_000; i++) runs.push(await measure(process.execPath, exportArgs, env, work, 120_000));
    const ok = runs.filter((r) => r.code === 0);
    if (ok.length === 0) log(`ledger daily report (cli.js export): failed ${runs[0] ? runs[0].stderr.slice(-300) : '(no time left)'}`);
    else {
      const ms = median(ok.map((r) => r.ms));
      log(`ledger daily report \`cli.js export --dataset daily --range all\` (new process: start, open store, query, write CSV): p50 ${fmt(ms, 0)} ms of ${ok.length}, peak RSS ${rss(ok[0])}`);
      const days = csvDays(readFileSync(csv, 'utf8'));
      let cost = 0;
      for (const d of days.values()) cost += d.costUsd ?? 0;
      log(`ledger daily report vs ground truth: ${describeDiff(compareDays(days, truth.truth.byDay))}; cost $${fmt(cost, 2)} (cost_usd, all estimated from transcripts) vs the bundled table on the truth $${fmt(truth.truth.totals.costUsd, 2)}`);
      if (ccMs !== undefined) log(`ratio ccusage report time / ledger report time (new process): ${fmt(ccMs / ms, 1)}x   [goal >= 100x]${importWorked ? '' : ' (empty store: not meaningful)'}`);
    }
    const open = await openStoreReport(data);
    if (open) {
      log(`ledger daily report from an open store (the extension's case; store open ${fmt(open.openMs, 0)} ms not counted): p50 ${fmt(open.ms, 2)} ms, ${open.rows} rows`);
      if (ccMs !== undefined) log(`ratio ccusage report time / ledger report time (open store): ${fmt(ccMs / open.ms, 0)}x   [goal >= 100x]${importWorked ? '' : ' (empty store: not meaningful)'}`);
    }

    // (d) the extension's case: the importer in this process (the host) with the store in its worker.
    if (!importWorked) log('host import (stall, memory): skipped, the CLI import added no request');
    else if (left() < 1.5 * imp.ms + 30_000) log(`host import (stall, memory): skipped, ${fmt(left() / 1000, 0)} s left of the bench's budget`);
    else await hostImport(log, path.join(work, 'ledger-data-host'), path.join(corpus, 'projects'), corpusMb);
  } finally {
    rmSync(work, { recursive: true, force: true });
    log(`transcript bench: ${fmt((performance.now() - started) / 1000, 0)} s in all (corpus deleted)`);
  }
}

/**
 * The import as the extension runs it: TranscriptImporter on this thread, the store in its worker. The
 * main thread's longest stall and this process's peak RSS (main + worker) are the figures.
 */
async function hostImport(log: Log, dataDir: string, root: string, corpusMb: number): Promise<void> {
  // Loaded by path at run time: the importer is being built alongside this bench.
  const importerPath = path.join(ROOT, 'src', 'server', 'transcripts', 'transcriptImporter');
  let mod: { TranscriptImporter: new (o: { store: unknown; roots: () => string[]; log: unknown }) => { importNow(): Promise<Record<string, unknown>>; dispose?(): void } };
  try {
    mod = await import(importerPath);
  } catch (err) {
    log(`host import (stall, memory): no importer in this checkout (${(err as Error).message.split('\n')[0]})`);
    return;
  }
  const { StoreClient } = await import('../src/server/storeClient');
  const { streamLogger } = await import('../src/core/log');
  (globalThis as { gc?: () => void }).gc?.();
  const rss0 = process.memoryUsage().rss;
  let peak = rss0;
  const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 100);
  const store = await StoreClient.open({ dataDir, workerPath: path.join(path.dirname(CLI), 'dbWorker.js') });
  const importer = new mod.TranscriptImporter({ store, roots: () => [root], log: streamLogger(() => undefined) });
  const h = monitorEventLoopDelay({ resolution: 5 });
  h.enable();
  const t0 = performance.now();
  try {
    const s = await importer.importNow();
    const ms = performance.now() - t0;
    h.disable();
    log(
      `host import (TranscriptImporter in this thread, store worker): ${fmt(ms / 1000, 2)} s, ${fmt(corpusMb / (ms / 1000), 1)} MB/s, requests added ${String(s.requestsAdded)}; ` +
        `longest main-thread stall ${fmt(h.max / 1e6)} ms (p99 ${fmt(h.percentile(99) / 1e6)} ms)   [goal <= 50 ms]; ` +
        `process RSS peak ${fmt(peak / 1048576, 0)} MB (+${fmt((peak - rss0) / 1048576, 0)} MB over the start, main + worker)`,
    );
  } finally {
    clearInterval(sampler);
    importer.dispose?.();
    await store.close();
  }
}

/** The daily rows through an open store's worker, as the dashboard and MCP get them (median of 7). */
async function openStoreReport(dataDir: string): Promise<{ ms: number; openMs: number; rows: number } | undefined> {
  const { StoreClient } = await import('../src/server/storeClient');
  const tz = process.env.TZ;
  process.env.TZ = 'UTC';
  const t0 = performance.now();
  const store = await StoreClient.open({ dataDir, workerPath: path.join(path.dirname(CLI), 'dbWorker.js') });
  const openMs = performance.now() - t0;
  try {
    const xs: number[] = [];
    let rows = 0;
    for (let i = 0; i < 7; i++) {
      const s = performance.now();
      rows = 0;
      for await (const page of store.rows('daily', { key: 'all' })) rows += page.length;
      xs.push(performance.now() - s);
    }
    return { ms: median(xs), openMs, rows };
  } finally {
    await store.close();
    if (tz === undefined) delete process.env.TZ;
    else process.env.TZ = tz;
  }
}

if (require.main === module) {
  runTranscriptBench((l) => console.log(l)).catch((err: unknown) => {
    console.error(err);
    process.exitCode = 1;
  });
}

/** The import's rows per second beside bare sql.js inserts of the same rows (bench/transcriptBaseline.ts). */
async function printImportVsBare(log: Log, projectsDir: string, summary: Record<string, unknown>, importMs: number): Promise<void> {
  const rows = ['requestsAdded', 'toolUses', 'prompts'].reduce((n, k) => n + (typeof summary[k] === 'number' ? (summary[k] as number) : 0), 0);
  const b = await transcriptBaseline(projectsDir);
  const rate = rows / (importMs / 1000);
  log(
    `transcript import: ${fmt(rate / 1000, 1)}k rows/s (requests + tool uses + prompts written: ${rows.toLocaleString()}; whole CLI process) vs bare sql.js inserts of the same rows ` +
      `${fmt(b.bareRowsPerS / 1000, 1)}k rows/s (a ${fmt(b.sampleMb, 0)} MB sample, ${b.rows.toLocaleString()} rows) -> ${fmt(rate / b.bareRowsPerS, 2)}x   [goal >= 0.5x]`,
  );
  log(`  reading + parsing + collapsing alone (same sample, one thread, no store): ${fmt(b.parseMbPerS, 1)} MB/s, ${fmt(b.parseRowsPerS / 1000, 1)}k rows/s -> ${fmt(b.parseRowsPerS / b.bareRowsPerS, 2)}x bare`);
  log(`  floor: JSON.parse alone of every line of the sample (~${fmt(b.sampleMb > 0 ? 1048576 * b.sampleMb / Math.max(1, b.rows) : 0, 0)} bytes of JSON per row written): ${fmt(b.jsonParseRowsPerS / 1000, 1)}k rows/s -> ${fmt(b.jsonParseRowsPerS / b.bareRowsPerS, 2)}x bare`);
  const floor = 1 / (1 / b.jsonParseRowsPerS + 1 / b.bareRowsPerS);
  log(
    `  physical floor: 1 / (1/JSON.parse + 1/bare insert) = ${fmt(floor / 1000, 1)}k rows/s -> ${fmt(floor / b.bareRowsPerS, 2)}x bare` +
      (floor / b.bareRowsPerS < 0.5 ? '   [below 0.5x: the goal is out of reach with sql.js, even with no collapsing, keys or rollups]' : ''),
  );
}
