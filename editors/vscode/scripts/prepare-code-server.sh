#!/usr/bin/env bash
# Install a pinned code-server from npm into a cache folder, offline-safe (editor.md §3c/§3c').
# Plain `npm install code-server` cannot work here: its postinstall downloads prebuilt binaries
# from GitHub.  So: install without scripts, build the native modules against the system Node
# headers, and use Debian's ripgrep.  Prints the path of the code-server executable.
# Usage: prepare-code-server.sh [CACHE_DIR]   (default: $XDG_CACHE_HOME/rbcc-vscode)
set -euo pipefail
VERSION=4.100.3   # = VS Code 1.100.3; needs Node 20 exactly (>= 4.104 needs Node 22)
CACHE=${1:-${RBCC_VSCODE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/rbcc-vscode}}
DEST="$CACHE/code-server-$VERSION"
BIN="$DEST/node_modules/.bin/code-server"
if [ -f "$DEST/.complete" ] && [ -x "$BIN" ]; then
  echo "$BIN"
  exit 0
fi
for tool in node npm rg make g++ pkg-config; do
  command -v "$tool" >/dev/null || { echo "prepare-code-server: $tool is missing (see .ci/install-system-tools)" >&2; exit 2; }
done
GYP=$(dirname "$(readlink -f "$(command -v npm)")")/../node_modules/node-gyp/bin/node-gyp.js
[ -f "$GYP" ] || { echo "prepare-code-server: node-gyp not found next to npm ($GYP)" >&2; exit 2; }
rm -rf "$DEST" && mkdir -p "$DEST"
cd "$DEST"
log="$DEST/install.log"
npm_quiet=(--no-audit --no-fund --ignore-scripts --loglevel=error)
{
  echo '{"name":"rbcc-code-server-host","version":"0.0.0","private":true}' > package.json
  npm install "${npm_quiet[@]}" "code-server@$VERSION"
  (cd node_modules/argon2 && npm_config_nodedir=/usr ../.bin/node-pre-gyp install --fallback-to-build --nodedir=/usr)
  VS=node_modules/code-server/lib/vscode
  (cd "$VS" && npm install "${npm_quiet[@]}" --omit=dev)
  for p in kerberos @vscode/deviceid @vscode/spdlog native-watchdog node-pty; do
    (cd "$VS/node_modules/$p" && node "$GYP" rebuild --nodedir=/usr)
  done
  mkdir -p "$VS/node_modules/@vscode/ripgrep/bin" && cp "$(command -v rg)" "$VS/node_modules/@vscode/ripgrep/bin/rg"
  (cd "$VS" && ln -sfn node_modules node_modules.asar)
  (cd "$VS/bin/remote-cli" && ln -sfn code-linux.sh code-server)
  (cd "$VS/bin/helpers" && ln -sfn browser-linux.sh browser.sh)
  (cd "$VS/extensions" && npm install "${npm_quiet[@]}" --omit=dev)
  "$BIN" --version
} >"$log" 2>&1 || { echo "prepare-code-server: install failed, see $log" >&2; tail -20 "$log" >&2; exit 2; }
touch "$DEST/.complete"
echo "$BIN"
