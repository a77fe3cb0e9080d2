"""Hypothesis: random small applications either compile to outputs the real consumers accept, or fail with
a known code, never with an exception.

Applications come from the differential generator (``tests/diffgen.py``: components with containment,
facets, ``extends``, exports with defaults and random ports, imports, instances with ``count``), given
container metadata on every non-root component.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rbcc.compiler import CompileOptions, compile_application, write_tree
from rbcc.compiler.targets.compose import COMPOSE_FILE
from rbcc.compiler.targets.swarm import STACK_FILE
from rbcc.dsl import CODES, load_application
from tests.consumers import compose_config, explain, kube_validate, kube_versions, kustomize, stack_config
from tests.diffgen import Case, app_cases

pytestmark = pytest.mark.slow

EXAMPLES = max(10, int(os.environ.get("RBCC_DIFF_EXAMPLES", "60")) // 4)


def add_metadata(root: Path, draw_health: bool) -> None:
    app = load_application(root)
    if app.graph is None:
        return
    roots = {c.name for c in app.graph.components.values() if not c.ancestors}
    for c in app.graph.components.values():
        if c.name in roots:
            continue
        d = root / "graph" / c.name
        d.mkdir(parents=True, exist_ok=True)
        (d / "scripts").mkdir(exist_ok=True)
        (d / "scripts" / "README").write_text("no recipe\n")
        lines = [f"image = example/{c.name.lower()}:1"]
        if draw_health:
            lines.append("healthcheck = CMD-SHELL true")
        (d / "container.properties").write_text("\n".join(lines) + "\n")


@settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=os.environ.get("RBCC_DIFF_RANDOM") != "1",
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(app_cases(max_mistakes=1, instances_only=True), st.booleans())
def test_random_applications_compile_to_accepted_outputs_or_fail_with_known_codes(case: Case, health: bool):
    with tempfile.TemporaryDirectory() as tmp:
        root = case.write(Path(tmp) / "app")
        add_metadata(root, health)
        out = Path(tmp) / "out"
        result = compile_application(root, ["compose", "swarm", "k8s", "plan"], CompileOptions(output=out))
        unknown = [p.code for p in result.problems if p.code not in CODES]
        assert not unknown, f"unknown codes {unknown}\n{case.describe()}"
        if result.errors:
            assert result.files == {}
            return
        write_tree(out, result.files)
        checks = [
            ("compose", compose_config(out / COMPOSE_FILE)),
            ("swarm", stack_config(out / STACK_FILE)),
        ]
        rendered = kustomize(out / "k8s")
        checks.append(("kustomize", rendered))
        if rendered.returncode == 0:
            checks.append(("kubernetes", kube_validate(rendered.stdout, kube_versions()[1])))
        for name, proc in checks:
            assert proc.returncode == 0, f"{name} refused the output: {explain(proc)}\n{case.describe()}"
