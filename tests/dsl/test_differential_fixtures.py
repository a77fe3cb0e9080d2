"""Regression fixtures from the differential tests (no Java needed).

Each ``tests/fixtures/differential/<name>.json`` records what Roboconf's Java code reported on
``<name>.graph`` (graph pipeline) or on the application directory ``<name>/``.  We must give the
same verdict, and the same codes (as a multiset) unless the JSON also lists ``rbcc``: our codes
when the difference is deliberate (docs/deviations.md); ``"java": null`` means that Roboconf
never terminates on that input; ``"verdict_deviation"`` (with its reason) marks the rare documented case where even the
verdict differs; ``"known_issue"`` marks a disagreement not fixed yet.  Record one with
``python tests/oracle_client.py PATH "what it is about" [--deviation]``.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from rbcc.dsl.catalogue import CODES, Level
from rbcc.dsl.validate import Validator
from tests.support import FIXTURES

DIR = FIXTURES / "differential"
CASES = sorted(DIR.glob("*.json"))


def _target(record: Path) -> Path:
    graph = record.with_suffix(".graph")
    return graph if graph.is_file() else record.with_suffix("")


def _param(record: Path):
    """``"known_issue"`` in a record: a disagreement not fixed yet (strict xfail, so that the
    fix is noticed and the entry removed)."""
    issue = json.loads(record.read_text(encoding="utf-8")).get("known_issue")
    marks = [pytest.mark.xfail(strict=True, reason=issue)] if issue else []
    return pytest.param(record, id=record.stem, marks=marks)


@pytest.mark.parametrize("record", [_param(c) for c in CASES])
def test_fixture_matches_recorded_result(record: Path) -> None:
    data = json.loads(record.read_text(encoding="utf-8"))
    target = _target(record)
    assert target.exists(), f"{record.name}: no {target.name}"
    ours = [p.code for p in Validator(compat="roboconf").validate(target).problems]
    if data["java"] is None:  # Roboconf never terminates on this input
        assert Counter(ours) == Counter(data["rbcc"]), f"rbcc {sorted(ours)}, expected {sorted(data['rbcc'])}"
        return
    java_errors = data["java"]["errors"]
    got_error = any(CODES[c].level is Level.ERROR for c in ours)
    if "verdict_deviation" in data:  # a documented case where Roboconf's verdict hurts users
        assert got_error != bool(java_errors), f"{record.name}: same verdict as Roboconf, drop `verdict_deviation`"
    else:
        assert got_error == bool(java_errors), f"verdict differs: rbcc {sorted(ours)}, Roboconf {sorted(java_errors)}"
    expected = data.get("rbcc", java_errors + data["java"]["warnings"])
    assert Counter(ours) == Counter(expected), f"rbcc {sorted(ours)}, expected {sorted(expected)} ({data['about']})"


def test_deviation_fixtures_differ_from_roboconf() -> None:
    """A fixture that lists ``rbcc`` codes documents a difference: it must still be one."""
    for record in CASES:
        data = json.loads(record.read_text(encoding="utf-8"))
        if "rbcc" in data and data["java"] is not None:
            java = data["java"]["errors"] + data["java"]["warnings"]
            assert Counter(data["rbcc"]) != Counter(java), f"{record.name}: same codes as Roboconf, drop `rbcc`"
