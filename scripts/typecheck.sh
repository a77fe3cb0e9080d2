#!/usr/bin/env bash
# mypy over the rbcc package.  The repository root *is* the package (pyproject maps rbcc to "."),
# so mypy gets a directory holding a link named rbcc to it.
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
link_dir="$(mktemp -d)"
trap 'rm -rf "$link_dir"' EXIT
ln -s "$repo" "$link_dir/rbcc"
cd "$repo"
MYPYPATH="$link_dir" python -m mypy --config-file "$repo/pyproject.toml" -p rbcc "$@"
