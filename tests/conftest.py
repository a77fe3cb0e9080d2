"""Shared fixtures and the markers of the slow families.

``pytest -m "not slow"`` is the inner loop (see CONTRIBUTING.md).  A test that needs a system
tool, the shared corpus or a real engine marks itself with its family *and* ``slow``; a family
marker alone implies ``slow`` (added here) so that nobody can forget it.
"""

from __future__ import annotations

import pytest

#: Families whose tests start external programs or run for seconds each.
SLOW_FAMILIES = ("oracle", "browser", "editors", "engine")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        if any(item.get_closest_marker(f) for f in SLOW_FAMILIES) and not item.get_closest_marker("slow"):
            item.add_marker(pytest.mark.slow)
