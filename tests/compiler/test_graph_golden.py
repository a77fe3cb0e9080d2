"""Golden DOT and JSON for the diagram fixtures.

Set ``RBCC_UPDATE_GOLDEN=1`` to rewrite the files under ``tests/golden/diagrams/`` after an
intended change, then review the diff (DOT diffs read well: one line per node or edge).
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from rbcc.compiler.views import dot as dotgen
from rbcc.compiler.views.diagrams import VIEWS, build_diagram
from rbcc.dsl.validate import Validator
from tests.support import FIXTURES, REPO

GOLDEN = REPO / "tests" / "golden" / "diagrams"
UPDATE = os.environ.get("RBCC_UPDATE_GOLDEN") == "1"
CASES = [(app, view) for app in ("relations", "broken") for view in VIEWS]
FOCUSED = [("relations", "components", "app-server", 1), ("relations", "wiring", "db", 1)]


def check(name: str, text: str) -> None:
    path = GOLDEN / name
    if UPDATE:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8", newline="")
        return
    assert path.is_file(), f"missing golden file {path}: run with RBCC_UPDATE_GOLDEN=1"
    expected = path.read_text(encoding="utf-8")
    assert text == expected, f"{name} differs from its golden file (RBCC_UPDATE_GOLDEN=1 to accept)"


def load(app: str):
    res = Validator().validate(FIXTURES / "diagrams" / app)
    a = res.application
    return a.graph, a.instances or a.all_instances, a.name


@pytest.mark.parametrize(("app", "view"), CASES, ids=[f"{a}-{v}" for a, v in CASES])
def test_golden_dot(app: str, view: str):
    graph, roots, title = load(app)
    d = build_diagram(view, graph, roots, title)
    check(f"{app}-{view}.dot", dotgen.to_dot(d))


@pytest.mark.parametrize(("app", "view"), CASES, ids=[f"{a}-{v}" for a, v in CASES])
def test_golden_json(app: str, view: str):
    graph, roots, title = load(app)
    d = build_diagram(view, graph, roots, title)
    check(f"{app}-{view}.json", json.dumps(d.to_json(), indent=2, ensure_ascii=False) + "\n")


@pytest.mark.parametrize(("app", "view", "focus", "depth"), FOCUSED, ids=[f"{a}-{v}-{f}" for a, v, f, _ in FOCUSED])
def test_golden_focused_dot(app: str, view: str, focus: str, depth: int):
    graph, roots, title = load(app)
    d = build_diagram(view, graph, roots, title, focus=focus, depth=depth)
    check(f"{app}-{view}-focus-{focus}-{depth}.dot", dotgen.to_dot(d, legend=False))


def test_no_stale_golden_files():
    expected = {f"{a}-{v}.{ext}" for a, v in CASES for ext in ("dot", "json")}
    expected |= {f"{a}-{v}-focus-{f}-{d}.dot" for a, v, f, d in FOCUSED}
    present = {p.name for p in GOLDEN.glob("*") if p.is_file()} if GOLDEN.is_dir() else set()
    assert present <= expected, f"golden files no test uses: {sorted(present - expected)}"


def test_golden_dot_is_valid_for_graphviz_when_installed():
    """The golden files themselves parse with ``dot`` (checked where it is installed)."""
    if dotgen.find_dot() is None:
        pytest.skip("Graphviz's dot is not installed (the rendering tests require it in CI)")
    for path in sorted(GOLDEN.glob("*.dot")):
        dotgen.render(path.read_text(encoding="utf-8"), "svg")


def test_update_flag_is_documented():
    assert "RBCC_UPDATE_GOLDEN" in (Path(__file__).read_text())
