#!/usr/bin/env bash
# The one test command (README: `npm ci && npm test`; .ci/run runs exactly that).
# Order: build -> type check -> unit -> integration (real OTel exporters, real Claude Code CLI, MCP SDK
# client) -> webview in real Chromium -> end to end in real VS Code (code-server).
# Nothing is skipped silently: a missing prerequisite fails the run with a message naming it.
set -euo pipefail
cd "$(dirname "$0")/.."

echo "== build"
node esbuild.mjs
echo "== typecheck"
npx tsc --noEmit -p .
if [ -f webview/main.ts ]; then npx tsc --noEmit -p webview; fi

shopt -s nullglob globstar
unit=(test/unit/**/*.test.ts)
slow=(test/integration/**/*.test.ts test/webview/**/*.test.ts test/e2e/**/*.test.ts)

# Prerequisites are installed, never skipped: a missing one fails the run with a message naming it.
if compgen -G "test/webview/*.test.ts" >/dev/null; then
  echo "== browser prerequisites (Debian chromium)"
  bash test/support/installBrowserDeps.sh
fi
if [ -f test/integration/statusline.test.ts ]; then
  echo "== pseudo-terminal prerequisite (tmux, for real Claude Code's interactive status line)"
  bash test/support/installTmux.sh
fi
if compgen -G "test/e2e/*.test.ts" >/dev/null; then
  echo "== VS Code prerequisites (code-server 4.139.1, Node 24 for it only)"
  bash test/e2e/install.sh
fi

echo "== unit tests (${#unit[@]} files)"
node --import tsx --test --test-reporter=spec "${unit[@]}"

if [ "${#slow[@]}" -gt 0 ]; then
  echo "== integration, webview and end-to-end tests (${#slow[@]} files, one at a time)"
  node --import tsx --test --test-concurrency=1 --test-reporter=spec "${slow[@]}"
fi
