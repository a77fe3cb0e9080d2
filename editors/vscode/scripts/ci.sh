#!/usr/bin/env bash
# The extension's static checks, offline: install the locked npm dependencies, type-check, bundle,
# run the grammar tests, package the .vsix and check what it holds.  Called by .ci/run.
set -euo pipefail
cd "$(dirname "$0")/.."
step() { echo "editors/vscode: $*"; }
step "npm ci";          npm ci --no-audit --no-fund --loglevel=error
sha256sum package-lock.json | cut -c1-16 > node_modules/.rbcc-lock   # test-live.sh then skips its npm ci
step "tsc --noEmit";    npx tsc --noEmit
step "bundle";          npm run -s bundle
step "unit tests";      npm run -s test:unit
step "grammar tests";   npm run -s test:grammar
step "vsce package";    npm run -s package </dev/null
step "package contents"; node scripts/check-package.js dist/roboconf-rbcc.vsix
