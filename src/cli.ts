// Headless entry: `node dist/cli.js serve ...` and `node dist/cli.js export ...`.
// Each subcommand lives in its own module under src/server; this file only dispatches.
import { runServeCommand } from './server/serveCommand';
import { runExportCommand } from './server/exportCommand';
import { EXPORT_DATASETS, RANGE_KEYS } from './protocol/dto';

const USAGE = `Claude Code Ledger (headless)

Usage:
  node dist/cli.js serve  --port P --data DIR [--token T] [--host 127.0.0.1]
  node dist/cli.js export --data DIR --dataset ${EXPORT_DATASETS.join('|')}
                          --range ${RANGE_KEYS.join('|')} --out FILE
`;

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  switch (command) {
    case 'serve':
      return runServeCommand(rest);
    case 'export':
      return runExportCommand(rest);
    case undefined:
    case '-h':
    case '--help':
    case 'help':
      process.stdout.write(USAGE);
      return command === undefined ? 2 : 0;
    default:
      process.stderr.write(`Unknown command "${command}".\n\n${USAGE}`);
      return 2;
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    if (code !== 0) process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`error: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 1;
  },
);
