// Entry of dist/statusline.js: the status line command's own small bundle. `cli.js statusline` and the
// launcher in the ledger's data folder both end here, so Claude Code's per-message call loads only this
// file (the number formatter, the status line parser, node:http) and never the store, server or SDK.
import { statuslineMain } from './statuslineCommand';

const args = process.argv.slice(2);
// Through `cli.js statusline ...` the subcommand is still the first argument.
if (args[0] === 'statusline') args.shift();
statuslineMain(args);
