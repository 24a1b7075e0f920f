// Headless entry: `node dist/cli.js serve|import|export ...`.
// Each subcommand lives in its own module under src/server; this file only dispatches.
// The subcommands are imported when run, so `cli.js statusline` (after every Claude Code message)
// does not initialise the store, server and worker client modules it never uses.
import { EXPORT_DATASETS, RANGE_KEYS } from './protocol/dto';

const USAGE = `Claude Code Ledger (headless)

Usage:
  node dist/cli.js serve  --port P --data DIR [--token T] [--host 127.0.0.1] [--transcripts DIR|default ...]
                          [--forward URL [--forward-content as-received|without-content]
                           [--forward-max-backlog-mb N] [--forward-timeout-ms N] [--forward-backoff-ms N]]
                          (--forward: OTLP/HTTP base URL of the team's collector; headers from
                           CLAUDE_LEDGER_FORWARD_HEADERS='Name=value,Name2=value2', never from argv)
                          [--grpc-port P] (OTLP/gRPC on 127.0.0.1:P too, e.g. 4317; off by default)
  node dist/cli.js import --data DIR [--from DIR ...] [--json] [--capture-prompts]
                          (--from: a folder of project folders like ~/.claude/projects;
                           default: $CLAUDE_CONFIG_DIR/projects and ~/.claude/projects)
  node dist/cli.js statusline [--data DIR] [--port P]
                          (Claude Code's statusLine command: status line JSON on stdin, one line out)
  node dist/cli.js export --data DIR --dataset ${EXPORT_DATASETS.join('|')}
                          --range ${RANGE_KEYS.join('|')} --out FILE
`;

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (command === 'statusline') {
    // Its own bundle next to this one (dist/statusline.js): it reads process.argv, prints one line and
    // exits 0 whatever happens. Required at run time so this bundle does not carry it twice.
    require(require('node:path').join(__dirname, 'statusline.js'));
    return new Promise<number>(() => {});
  }
  switch (command) {
    case 'serve':
      return (await import('./server/serveCommand')).runServeCommand(rest);
    case 'import':
      return (await import('./server/importCommand')).runImportCommand(rest);
    case 'export':
      return (await import('./server/exportCommand')).runExportCommand(rest);
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
