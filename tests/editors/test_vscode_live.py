"""The VS Code extension in a real VS Code (editor.md §3c'): ``editors/vscode/scripts/test-live.sh``.

code-server (pinned, from npm, cached under ~/.cache/rbcc-vscode) with the freshly built .vsix, driven
by Debian's headless Chromium; the script prints one ``ok``/``FAIL`` line per check.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support import REPO_DIR, need

pytestmark = pytest.mark.editors

SCRIPT = REPO_DIR / "editors" / "vscode" / "scripts" / "test-live.sh"
CHECKS = (
    "language",
    "diagnostics",
    "status bar item",
    "completion",
    "hover",
    "go to definition",
    "show graph",
    "graph view picker",
    "graph node opens",
    "fix clears the error",
    "status bar after fix",
    "commands highlighted",
)
#: first run on a machine: npm install + native builds of code-server (~90 s), then ~25-60 s a run
TIMEOUT_S = 600


def _rbcc() -> Path:
    return Path(sys.executable).parent / "rbcc"


def _run(tmp_path: Path) -> subprocess.CompletedProcess[str]:
    tmp_path.mkdir(parents=True, exist_ok=True)
    env = dict(os.environ, RBCC_BIN=str(_rbcc()), RBCC_VSCODE_SHOTS=str(tmp_path / "screenshots"))
    return subprocess.run(
        ["bash", str(SCRIPT)], env=env, capture_output=True, text=True, timeout=TIMEOUT_S, stdin=subprocess.DEVNULL
    )


def _outcomes(stdout: str) -> dict[str, bool]:
    out: dict[str, bool] = {}
    for line in stdout.splitlines():
        status, _, rest = line.partition(" ")
        if status in ("ok", "FAIL"):
            name = rest.strip().split("  ")[0].strip()
            out[name] = status == "ok"
    return out


def test_extension_works_in_a_real_vscode(tmp_path):
    for tool in ("node", "npm", "dot", "rg", "make"):
        need(shutil.which(tool) is not None, f"{tool} is not installed (see .ci/install-system-tools)")
    need(Path("/usr/bin/chromium").exists(), "chromium is not installed (apt-get install chromium)")
    need(_rbcc().exists(), f"no rbcc script next to {sys.executable}")
    proc = _run(tmp_path / "first")
    if proc.returncode != 0:  # one retry: the workbench is a browser application on a shared machine
        first = proc
        proc = _run(tmp_path / "retry")
        if proc.returncode != 0:
            pytest.fail(
                f"live test failed twice\n--- first\n{first.stdout}{first.stderr[-2000:]}\n--- retry\n"
                f"{proc.stdout}{proc.stderr[-2000:]}"
            )
    outcomes = _outcomes(proc.stdout)
    assert outcomes == dict.fromkeys(CHECKS, True), proc.stdout
    assert (tmp_path / "first" / "screenshots" / "graph.png").exists() or (
        tmp_path / "retry" / "screenshots" / "graph.png"
    ).exists()
