#!/usr/bin/env bash
# The extension in a real VS Code: a fresh code-server (pinned, from npm, cached), the freshly built
# .vsix installed into it, a fresh copy of test/live/app opened, driven by Debian's headless Chromium
# (scripts/live-driver.js).  Prints one line per check; exits 0 only when every check passed.
#
#   editors/vscode/scripts/test-live.sh            # screenshots in $RBCC_VSCODE_SHOTS (default: a temp dir)
#
# Needs node/npm (20), chromium, graphviz, ripgrep and the build tools of .ci/install-system-tools, and
# an `rbcc` to run: $RBCC_BIN, else the repository's .venv/bin/rbcc, else `rbcc` on the PATH (given to
# the extension by its rbcc.server.command setting: code-server's extension host takes its PATH from a
# login shell, not from this script).
set -euo pipefail
HERE=$(cd "$(dirname "$0")/.." && pwd)
REPO=$(cd "$HERE/../.." && pwd)
CACHE=${RBCC_VSCODE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/rbcc-vscode}
say() { echo "test-live: $*" >&2; }

rbcc_bin=${RBCC_BIN:-}
if [ -z "$rbcc_bin" ]; then
  if [ -x "$REPO/.venv/bin/rbcc" ]; then rbcc_bin=$REPO/.venv/bin/rbcc; else rbcc_bin=$(command -v rbcc || true); fi
fi
[ -n "$rbcc_bin" ] && [ -x "$rbcc_bin" ] || { say "no rbcc to run (set RBCC_BIN)"; exit 2; }
for tool in node npm dot; do command -v "$tool" >/dev/null || { say "$tool is missing"; exit 2; }; done
[ -x "${RBCC_CHROMIUM:-/usr/bin/chromium}" ] || { say "chromium is missing (apt-get install chromium)"; exit 2; }

# 1. the extension's npm dependencies (again only when the lockfile changed) and the .vsix
lock_hash=$(sha256sum "$HERE/package-lock.json" | cut -c1-16)
if [ "$(cat "$HERE/node_modules/.rbcc-lock" 2>/dev/null)" != "$lock_hash" ]; then
  say "npm ci"
  (cd "$HERE" && npm ci --no-audit --no-fund --loglevel=error >/dev/null)
  echo "$lock_hash" > "$HERE/node_modules/.rbcc-lock"
fi
(cd "$HERE" && npm run -s bundle >/dev/null 2>&1 && npm run -s package </dev/null >/dev/null)
VSIX=$HERE/dist/roboconf-rbcc.vsix

# 2. code-server (cached)
CODE_SERVER=$("$HERE/scripts/prepare-code-server.sh" "$CACHE")

# 3. a fresh run: its own HOME, user data, extensions and a fresh copy of the application
RUN=$(mktemp -d /tmp/rbcc-vscode-live.XXXXXX)
SHOTS=${RBCC_VSCODE_SHOTS:-$RUN/screenshots}
mkdir -p "$RUN/home" "$RUN/user/User" "$RUN/extensions" "$SHOTS"
cp -r "$HERE/test/live/app" "$RUN/workspace"
cat > "$RUN/user/User/settings.json" <<JSON
{
  "files.autoSave": "off",
  "files.hotExit": "off",
  "security.workspace.trust.enabled": false,
  "telemetry.telemetryLevel": "off",
  "update.mode": "none",
  "workbench.startupEditor": "none",
  "workbench.tips.enabled": false,
  "extensions.autoCheckUpdates": false,
  "extensions.autoUpdate": false,
  "editor.hover.delay": 100,
  "rbcc.debounceMs": 100,
  "rbcc.server.command": ["$rbcc_bin", "lsp"]
}
JSON
cs_env=(env HOME="$RUN/home" XDG_CONFIG_HOME="$RUN/home/.config" XDG_DATA_HOME="$RUN/home/.local/share")
cs_args=(--config "$RUN/config.yaml" --user-data-dir "$RUN/user" --extensions-dir "$RUN/extensions")
printf 'bind-addr: 127.0.0.1:0\nauth: none\ncert: false\n' > "$RUN/config.yaml"
"${cs_env[@]}" "$CODE_SERVER" "${cs_args[@]}" --install-extension "$VSIX" >"$RUN/install.log" 2>&1 \
  || { say "installing the .vsix failed:"; cat "$RUN/install.log" >&2; exit 1; }

port=$(node -e 'const s=require("net").createServer();s.listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})')
pgid=""
status=1
cleanup() {
  if [ -n "$pgid" ]; then kill -- "-$pgid" 2>/dev/null || true; sleep 0.5; kill -9 -- "-$pgid" 2>/dev/null || true; fi
  [ -z "${RBCC_VSCODE_KEEP:-}" ] || return 0
  rm -rf "$RUN/home" "$RUN/user" "$RUN/extensions" "$RUN/workspace"
  # passed with the screenshots elsewhere: nothing of the run is left; else its logs (and screenshots) stay
  if [ "$status" -eq 0 ] && [ "${SHOTS#"$RUN"}" = "$SHOTS" ]; then rm -rf "$RUN"; fi
}
trap cleanup EXIT
setsid "${cs_env[@]}" "$CODE_SERVER" "${cs_args[@]}" --auth none --bind-addr "127.0.0.1:$port" \
  --disable-telemetry --disable-update-check --disable-workspace-trust --disable-getting-started-override \
  "$RUN/workspace" >"$RUN/code-server.log" 2>&1 &
pgid=$!
for _ in $(seq 1 120); do
  if node -e 'require("http").get(process.argv[1],r=>process.exit(r.statusCode<500?0:1)).on("error",()=>process.exit(1))' \
    "http://127.0.0.1:$port/healthz" 2>/dev/null; then break; fi
  kill -0 "$pgid" 2>/dev/null || { say "code-server stopped:"; tail -20 "$RUN/code-server.log" >&2; exit 1; }
  sleep 0.5
done

# 4. the checks
status=0
# a short TMPDIR: Chromium's singleton socket path must stay under 108 bytes
(cd "$HERE" && TMPDIR=/tmp node scripts/live-driver.js "http://127.0.0.1:$port" "$RUN/workspace" "$SHOTS") || status=$?
if [ "$status" -eq 0 ]; then say "screenshots in $SHOTS"; else say "screenshots in $SHOTS; logs in $RUN"; fi
exit "$status"
