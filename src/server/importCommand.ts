// `node dist/cli.js import --data DIR [--from DIR ...] [--json]`: one pass over Claude Code's transcript
// history into the store at DIR (created if needed), then a final snapshot. Exit 0 when the import ran,
// even if it skipped bad lines (they are counted in the summary); 1 when it could not run.
// `--from` names a folder of project folders like ~/.claude/projects (repeatable); the default is the
// same as the extension's: $CLAUDE_CONFIG_DIR/projects and ~/.claude/projects.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { streamLogger } from '../core/log';
import { formatSummary } from '../core/transcripts/importSummary';
import { DataDirLockedError, StoreClient } from './storeClient';
import { defaultTranscriptRoots, expandHome } from './transcripts/transcriptFiles';
import { TranscriptImporter } from './transcripts/transcriptImporter';

export interface ImportArgs {
  dataDir: string;
  roots: string[];
  json: boolean;
  capturePrompts: boolean;
  captureCommands: boolean;
  quiet: boolean;
}

export function parseImportArgs(argv: string[], env: NodeJS.ProcessEnv = process.env): ImportArgs {
  // node:util parseArgs (strict): unknown options and missing values fail with a message naming them.
  const { values: v } = parseArgs({
    args: argv,
    strict: true,
    options: {
      data: { type: 'string' },
      from: { type: 'string', multiple: true },
      json: { type: 'boolean' },
      'capture-prompts': { type: 'boolean' },
      'no-capture-commands': { type: 'boolean' },
      quiet: { type: 'boolean' },
    },
  });
  if (!v.data) throw new Error('--data DIR is required');
  const roots = v.from && v.from.length > 0 ? v.from.map((r) => path.resolve(expandHome(r))) : defaultTranscriptRoots(env);
  return {
    dataDir: path.resolve(v.data),
    roots,
    json: v.json ?? false,
    capturePrompts: v['capture-prompts'] ?? false,
    captureCommands: !(v['no-capture-commands'] ?? false),
    quiet: v.quiet ?? false,
  };
}

export async function runImportCommand(argv: string[]): Promise<number> {
  const args = parseImportArgs(argv);
  const log = streamLogger((l) => process.stderr.write(l), 'info');
  fs.mkdirSync(args.dataDir, { recursive: true, mode: 0o700 });
  let store: StoreClient;
  try {
    store = await StoreClient.open({
      dataDir: args.dataDir,
      workerPath: path.join(__dirname, 'dbWorker.js'),
      ingest: { storePromptText: args.capturePrompts, storeCommands: args.captureCommands },
      log: (level, msg) => (level === 'info' && args.quiet ? undefined : log[level](`[store] ${msg}`)),
    });
  } catch (err) {
    if (err instanceof DataDirLockedError) {
      process.stderr.write(
        `${err.message}\nA running ledger (VS Code or \`cli.js serve\`) follows the transcripts itself; in VS Code run "Claude Ledger: Import Claude Code History".\n`,
      );
      return 1;
    }
    throw err;
  }
  const importer = new TranscriptImporter({ store, roots: () => args.roots, log });
  let lastPrint = 0;
  try {
    const summary = await importer.importNow({
      onProgress: (p) => {
        if (args.quiet || args.json || !process.stderr.isTTY) return;
        const now = Date.now();
        if (now - lastPrint < 500 && p.filesDone < p.files) return;
        lastPrint = now;
        process.stderr.write(`\r${p.filesDone}/${p.files} files, ${p.requestsAdded} requests, ${(p.elapsedMs / 1000).toFixed(1)} s `);
      },
    });
    if (!args.quiet && !args.json && process.stderr.isTTY) process.stderr.write('\n');
    await importer.dispose();
    await store.snapshotNow();
    if (args.json) process.stdout.write(`${JSON.stringify({ ...summary, roots: args.roots }, null, 2)}\n`);
    else process.stdout.write(`Roots: ${args.roots.join(', ')}\n${formatSummary(summary)}`);
    return 0;
  } finally {
    await store.close();
  }
}
