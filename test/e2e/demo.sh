#!/usr/bin/env bash
# `npm run demo`: install what is needed (cached), build and package the extension, start a real
# VS Code (code-server) on 127.0.0.1 with the .vsix installed and a sample workspace, run a scripted
# real Claude Code session in its terminal against the fake Messages API, print the URL to open.
# Ctrl+C stops everything it started (by PID).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
bash test/e2e/install.sh
exec node --import tsx test/e2e/demo.ts "$@"
