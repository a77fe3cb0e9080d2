"""Helpers of the compiler tests: tiny applications written on the fly, golden trees, running the CLI."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.support import REPO

GOLDEN = REPO / "tests" / "golden" / "compile"
UPDATE = os.environ.get("RBCC_UPDATE_GOLDEN") == "1"

DESCRIPTOR = """application-name = {name}
application-version = 1.0.0
application-dsl-id = roboconf-1.0
graph-entry-point = main.graph
instance-entry-point = main.instances
"""


def make_app(root: Path, graph: str, instances: str, files: dict[str, str] | None = None, name: str = "demo") -> Path:
    """An application directory with a descriptor, ``graph/main.graph``, ``instances/main.instances``
    and any extra ``files`` (relative path → text; a path ending in ``/`` makes a directory)."""
    (root / "descriptor").mkdir(parents=True, exist_ok=True)
    (root / "descriptor" / "application.properties").write_text(DESCRIPTOR.format(name=name), encoding="utf-8")
    (root / "graph").mkdir(exist_ok=True)
    (root / "graph" / "main.graph").write_text(graph, encoding="utf-8")
    (root / "instances").mkdir(exist_ok=True)
    (root / "instances" / "main.instances").write_text(instances, encoding="utf-8")
    for rel, text in (files or {}).items():
        path = root / rel
        if rel.endswith("/"):
            path.mkdir(parents=True, exist_ok=True)
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root


def check_golden_tree(name: str, files: dict[str, str]) -> None:
    """Compare ``files`` with ``tests/golden/compile/<name>/`` (rewritten with ``RBCC_UPDATE_GOLDEN=1``)."""
    base = GOLDEN / name
    if UPDATE:
        if base.exists():
            for old in sorted(base.rglob("*"), reverse=True):
                old.unlink() if old.is_file() else old.rmdir()
        for rel, text in files.items():
            path = base / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8", newline="")
        return
    assert base.is_dir(), f"missing golden directory {base}: run with RBCC_UPDATE_GOLDEN=1"
    expected = {p.relative_to(base).as_posix() for p in base.rglob("*") if p.is_file()}
    assert set(files) == expected, f"{name}: files differ from the golden tree (RBCC_UPDATE_GOLDEN=1 to accept)"
    for rel, text in files.items():
        want = (base / rel).read_text(encoding="utf-8")
        assert text == want, f"{name}/{rel} differs from its golden file (RBCC_UPDATE_GOLDEN=1 to accept)"


def run_rbcc(*args: str, cwd: Path | None = None, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    """``rbcc ARGS`` in a fresh interpreter (so ``PYTHONHASHSEED`` and the working directory really vary)."""
    full_env = {**os.environ, **(env or {})}
    return subprocess.run(
        [sys.executable, "-m", "rbcc.cli", *args], capture_output=True, text=True, cwd=cwd, env=full_env, check=False
    )


def read_tree(root: Path) -> dict[str, str]:
    return {
        p.relative_to(root).as_posix(): p.read_text(encoding="utf-8") for p in sorted(root.rglob("*")) if p.is_file()
    }
