"""Shared fixtures and the markers of the slow families.

``pytest -m "not slow"`` is the inner loop (see CONTRIBUTING.md).  A test that needs a system
tool, the shared corpus or a real engine marks itself with its family *and* ``slow``; a family
marker alone implies ``slow`` (added here) so that nobody can forget it.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

#: Families whose tests start external programs or run for seconds each.
SLOW_FAMILIES = ("oracle", "browser", "editors", "engine")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        if any(item.get_closest_marker(f) for f in SLOW_FAMILIES) and not item.get_closest_marker("slow"):
            item.add_marker(pytest.mark.slow)


@pytest.fixture(autouse=True, scope="session")
def _private_rendezvous(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """Every deployment a test makes, in this process or in the ``rbcc`` processes it starts (they
    inherit the environment), meets other applications in a directory of the test session, never
    in the user's ``~/.local/state/rbcc/inter-app`` (rbcc.runtime.inter_app).  Tests that need a
    directory of their own set ``RBCC_INTER_APP_DIR`` themselves."""
    before = os.environ.get("RBCC_INTER_APP_DIR")
    os.environ["RBCC_INTER_APP_DIR"] = str(tmp_path_factory.mktemp("inter-app"))
    yield
    if before is None:
        os.environ.pop("RBCC_INTER_APP_DIR", None)
    else:
        os.environ["RBCC_INTER_APP_DIR"] = before
