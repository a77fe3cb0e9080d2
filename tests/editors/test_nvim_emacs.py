"""Real editors, headless, against the real server (editor.md §3a Neovim 0.7, §3d Emacs + eglot)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.lsp_client import make_app
from tests.support import REPO_DIR, need

pytestmark = pytest.mark.editors

REPO = REPO_DIR
SERVER = f"{sys.executable} -m rbcc.lsp.server"
#: 0-based positions in the sample below
POSITIONS = {
    "PROBE_COMPLETION": "5,1",  # start of "\tinstaller: target;" → property names
    "PROBE_HOVER": "4,0",  # VM
    "PROBE_DEFINITION": "6,12",  # Tomcat in "children:"
}
DEF_LINE = 17  # 1-based line of "Tomcat {"


def sample(tmp_path: Path) -> Path:
    app = make_app(tmp_path)
    main = app / "graph" / "main.graph"
    main.write_text(main.read_text().replace("children: Tomcat, MySQL;", "children: Tomcat, MySQL, Nope;"))
    return main


def env(**extra) -> dict:
    out = dict(os.environ)
    out["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO.parent), os.environ.get("PYTHONPATH")]))
    out.update(PROBE_SERVER=SERVER, **POSITIONS, **extra)
    return out


def test_neovim_headless(tmp_path):
    need(shutil.which("nvim") is not None, "nvim is not installed (apt-get install neovim)")
    main = sample(tmp_path)
    out = tmp_path / "out.json"
    proc = subprocess.run(
        ["nvim", "--headless", "-u", "NONE", "-i", "NONE", "-n", "-c", f"luafile {REPO / 'editors/nvim/probe.lua'}"],
        env=env(
            PROBE_FILE=str(main), PROBE_OUT=str(out), PROBE_ROOT=str(main.parents[1]), PROBE_DEF_LINE=str(DEF_LINE)
        ),
        capture_output=True,
        text=True,
        timeout=120,
        cwd=tmp_path,
    )
    result = dict(json.loads(out.read_text()))
    assert proc.returncode == 0, (proc.stderr, result)
    [diag] = result["diagnostics_on_open"]
    assert diag["code"] == "CO_INEXISTING_CHILD" and diag["lnum"] == 6 and diag["col"] == 26
    # the property on the cursor's line is offered, the one the block sets below it is not
    assert "installer: " in result["completion"] and "children: " not in result["completion"]
    assert "A virtual machine." in json.dumps(result["hover"])
    assert result["definition"][0]["range"]["start"]["line"] == DEF_LINE - 1
    assert result["cursor_after_definition"][0] == DEF_LINE
    after = result["diagnostics_after_edit"]
    assert after != "TIMEOUT" and any(d["lnum"] == 1 and d["code"].startswith("P_") for d in after)


def test_emacs_eglot_batch(tmp_path):
    need(shutil.which("emacs") is not None, "emacs is not installed (apt-get install emacs-nox elpa-eglot)")
    need(
        any(Path("/usr/share/emacs/site-lisp/elpa").glob("eglot*")) or _builtin_eglot(),
        "eglot is not installed (apt-get install elpa-eglot)",
    )
    main = sample(tmp_path)
    proc = subprocess.run(
        ["emacs", "-Q", "--batch", "-l", str(REPO / "editors/emacs/probe-eglot.el"), str(main)],
        env=env(),
        capture_output=True,
        text=True,
        timeout=120,
        cwd=tmp_path,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    [diag] = result["diagnostics"]
    assert diag[0] == 7 and "CO_INEXISTING_CHILD" in diag[2]
    assert "installer: " in result["completion"]
    assert "A virtual machine." in result["hover"]
    assert result["line-after-xref"] == DEF_LINE
    assert any(d[0] == 2 and "P_UNRECOGNIZED_BLOCK" in d[2] for d in result["after-edit"])


def _builtin_eglot() -> bool:
    try:
        out = subprocess.run(
            ["emacs", "-Q", "--batch", "--eval", '(princ (locate-library "eglot"))'],
            capture_output=True,
            text=True,
            timeout=30,
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return False
    return "eglot" in out
