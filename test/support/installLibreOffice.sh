#!/usr/bin/env bash
# Installs Debian's LibreOffice Calc without a GUI (libreoffice-calc-nogui), for the CSV export test that
# opens our CSV in a real spreadsheet to prove it loads and that no formula executes.
# Idempotent: a fast no-op when `soffice` is present; apt-get update runs only when the package index
# does not know the package yet (apt-cache policy shows no candidate).
set -euo pipefail
command -v soffice >/dev/null 2>&1 && exit 0
command -v apt-get >/dev/null || { echo "installLibreOffice: soffice missing and no apt-get to install it" >&2; exit 1; }
[ "$(id -u)" = 0 ] || { echo "installLibreOffice: soffice missing; run as root or apt-get install libreoffice-calc-nogui" >&2; exit 1; }
# (Output captured first: `apt-cache ... | grep -q` under pipefail fails on SIGPIPE.)
has_candidate() { local out; out=$(apt-cache policy "$1" 2>/dev/null || true); [[ "$out" =~ Candidate:\ [0-9] ]]; }
pkg=libreoffice-calc-nogui
has_candidate "$pkg" || apt-get update -qq
has_candidate "$pkg" || pkg=libreoffice-calc
echo "installLibreOffice: apt-get install $pkg"
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$pkg" >/dev/null
command -v soffice >/dev/null 2>&1 || { echo "installLibreOffice: soffice still missing after apt-get install $pkg" >&2; exit 1; }
