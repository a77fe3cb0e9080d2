"""The executor's tests never touch the user's rendezvous directory (``~/.local/state/rbcc/inter-app``)."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture(autouse=True)
def _private_rendezvous(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RBCC_INTER_APP_DIR", str(tmp_path / "inter-app"))
