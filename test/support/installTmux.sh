#!/usr/bin/env bash
# Installs Debian's tmux: the pseudo-terminal in which test/integration/statusline.test.ts runs the real
# Claude Code interactively (its status line only exists in the interactive UI, not in `claude -p`).
# Idempotent: a no-op when tmux is present.
set -euo pipefail
command -v tmux >/dev/null && exit 0
command -v apt-get >/dev/null || { echo "installTmux: tmux is missing and there is no apt-get to install it" >&2; exit 1; }
[ "$(id -u)" = 0 ] || { echo "installTmux: tmux is missing; run as root or install it" >&2; exit 1; }
echo "installTmux: apt-get install tmux"
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq tmux >/dev/null
command -v tmux >/dev/null || { echo "installTmux: tmux still missing after apt-get install" >&2; exit 1; }
