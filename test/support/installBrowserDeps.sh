#!/usr/bin/env bash
# Installs Debian's chromium (driven by playwright-core with executablePath /usr/bin/chromium; no browser
# is ever downloaded from elsewhere) and a font, for the webview and end-to-end tests.
# Idempotent: a fast no-op when both are present; apt-get update runs once, only if something is missing.
set -euo pipefail
missing=()
[ -x /usr/bin/chromium ] || missing+=(chromium)
dpkg-query -W -f='${Status}' fonts-dejavu-core 2>/dev/null | grep -q "install ok installed" || missing+=(fonts-dejavu-core)
[ "${#missing[@]}" -eq 0 ] && exit 0
command -v apt-get >/dev/null || { echo "installBrowserDeps: missing ${missing[*]} and no apt-get to install them" >&2; exit 1; }
[ "$(id -u)" = 0 ] || { echo "installBrowserDeps: missing ${missing[*]}; run as root or install them" >&2; exit 1; }
echo "installBrowserDeps: apt-get install ${missing[*]} (chromium is ~100 MB to download; apt prints each package)"
apt-get update -qq
# apt's own lines: the total size, one "Get:" per download, one "Setting up" per package.
DEBIAN_FRONTEND=noninteractive apt-get install -y -q -o Dpkg::Use-Pty=0 "${missing[@]}" \
  | { grep -E '^(Need to get|After this operation|Get:|Setting up)' || true; }
[ -x /usr/bin/chromium ] || { echo "installBrowserDeps: /usr/bin/chromium still missing after apt-get install" >&2; exit 1; }
