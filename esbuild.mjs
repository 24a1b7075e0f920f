// One build context per target (host, CLI, workers, webview). Type checking is a separate
// `tsc --noEmit` step (npm run typecheck). Entries whose source file does not exist yet are skipped
// with a line saying so, so that a partial tree still builds.
import * as esbuild from 'esbuild';
import { copyFileSync, existsSync, mkdirSync, readFileSync, statSync } from 'node:fs';
import { gzipSync } from 'node:zlib';

const production = process.argv.includes('--production');
const watch = process.argv.includes('--watch');

const node = {
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  sourcemap: !production,
  minify: production,
  external: ['vscode'],
  logLevel: 'warning',
};

/** @type {Array<{name: string} & import('esbuild').BuildOptions>} */
const targets = [
  { name: 'host', ...node, entryPoints: ['src/host/extension.ts'], outfile: 'dist/extension.js' },
  { name: 'cli', ...node, entryPoints: ['src/cli.ts'], outfile: 'dist/cli.js' },
  // The status line command alone (Claude Code runs it after every message): loads almost nothing.
  { name: 'statusline', ...node, entryPoints: ['src/server/statusline/main.ts'], outfile: 'dist/statusline.js' },
  { name: 'db-worker', ...node, entryPoints: ['src/server/dbWorker.ts'], outfile: 'dist/dbWorker.js' },
  { name: 'forward-worker', ...node, entryPoints: ['src/server/forward/forwardWorker.ts'], outfile: 'dist/forwardWorker.js' },
  { name: 'sql-worker', ...node, entryPoints: ['src/server/mcp/sqlWorker.ts'], outfile: 'dist/sqlWorker.js' },
  { name: 'mcp', ...node, entryPoints: ['src/server/mcp/mcpHandler.ts'], outfile: 'dist/mcp.js' },
  // OTLP/gRPC (@grpc/grpc-js): required only when the gRPC port is on (src/server/grpc/grpcLoader.ts).
  { name: 'grpc', ...node, entryPoints: ['src/server/grpc/otlpService.ts'], outfile: 'dist/grpc.js' },
  {
    name: 'webview',
    bundle: true,
    platform: 'browser',
    format: 'esm',
    target: 'es2022',
    sourcemap: !production,
    minify: true,
    entryPoints: ['webview/main.ts'],
    outdir: 'dist/webview',
    loader: { '.ttf': 'file', '.css': 'css' },
    logLevel: 'warning',
  },
];

mkdirSync('dist', { recursive: true });
copyFileSync('node_modules/sql.js/dist/sql-wasm.wasm', 'dist/sql-wasm.wasm');

const active = targets.filter((t) => {
  const entry = t.entryPoints[0];
  if (!existsSync(entry)) {
    console.log(`[build] skip ${t.name}: ${entry} does not exist yet`);
    return false;
  }
  return true;
});

function printWebviewSize() {
  const js = 'dist/webview/main.js';
  if (!existsSync(js)) return;
  let raw = 0;
  let gz = 0;
  for (const f of [js, 'dist/webview/main.css']) {
    if (!existsSync(f)) continue;
    raw += statSync(f).size;
    gz += gzipSync(readFileSync(f)).length;
  }
  const budget = 120 * 1024;
  console.log(`[build] webview bundle ${(raw / 1024).toFixed(1)} KB, ${(gz / 1024).toFixed(1)} KB gzip (budget ${budget / 1024} KB gzip)${gz > budget ? ' OVER BUDGET' : ''}`);
}

if (watch) {
  for (const { name, ...opts } of active) {
    const ctx = await esbuild.context(opts);
    await ctx.watch();
    console.log(`[build] watching ${name}`);
  }
} else {
  await Promise.all(active.map(({ name, ...opts }) => esbuild.build(opts)));
  printWebviewSize();
  console.log(`[build] built ${active.map((t) => t.name).join(', ')}${production ? ' (production)' : ''}`);
}
