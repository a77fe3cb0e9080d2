"""The language server's ``compat`` setting (initialization options or configuration), on the
workspace directly: ``"roboconf"`` gives Roboconf's exact staging, as ``rbcc validate --compat``."""

from __future__ import annotations

import shutil
from pathlib import Path

from rbcc.lsp.workspace import Workspace
from tests.support import FIXTURES

FOUR = FIXTURES / "independent-errors" / "four-unrelated-mistakes"


def codes(ws: Workspace, app: Path) -> list[str]:
    state = ws.app_for(app / "graph" / "main.graph")
    assert state is not None
    return sorted(p.code for problems in ws.validate(state).values() for p in problems)


def test_the_compat_setting_switches_to_roboconfs_staging_and_back(tmp_path):
    app = tmp_path / "app"
    shutil.copytree(FOUR, app)
    ws = Workspace()
    ws.add_folder(tmp_path)
    assert len(codes(ws, app)) == 5
    assert ws.configure({"compat": "roboconf"}) is True
    assert codes(ws, app) == ["PM_INVALID_EXPORTED_VAR_NAME"]
    assert ws.configure({"compat": "roboconf"}) is False  # unchanged: nothing to re-validate
    assert ws.configure({"debounceMs": 10}) is False  # other settings leave it alone
    assert ws.configure({"compat": None}) is True
    assert len(codes(ws, app)) == 5


def test_an_unknown_compat_value_means_the_default(tmp_path):
    ws = Workspace()
    assert ws.configure({"compat": "java"}) is False
    assert ws.compat is None
