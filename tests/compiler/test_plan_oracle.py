"""The plan's exports agree with Roboconf: a differential test against the Java original's ``model`` command.

For the examples and for generated applications that both implementations accept, every instance's
``exports`` in the plan (full prefixed name → value or null) must equal what Roboconf resolves
(inheritance, facets, instance overrides, ``$(ROBOCONF_...)`` meta-variables).
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, assume, given, settings

from rbcc.compiler import CompileOptions, compile_application
from rbcc.compiler.targets.plan import PLAN_FILE
from rbcc.dsl import CODES
from tests.diffgen import Case, app_cases
from tests.oracle_client import run_oracle_model
from tests.support import REPO, need_oracle

pytestmark = pytest.mark.oracle

#: one JVM per example (~1 s): a quarter of the validator's differential budget
EXAMPLES = max(10, int(os.environ.get("RBCC_DIFF_EXAMPLES", "60")) // 4)
#: the compiler's own errors do not change what Roboconf resolves: accept them all here
ALL_COMPILE_CODES = frozenset(c for c in CODES if c.startswith("CMP_"))


@pytest.fixture(autouse=True, scope="module")
def _oracle() -> None:
    need_oracle()


def exports_by_path(root: Path) -> dict[str, dict[str, str | None]] | None:
    """The plan's exports per instance path, or None when rbcc refuses to compile the application."""
    result = compile_application(root, ["plan"], CompileOptions(allow=ALL_COMPILE_CODES))
    if result.errors:
        return None
    plan = json.loads(result.files[PLAN_FILE])
    return {i["path"]: i["exports"] for i in plan["instances"]}


def java_exports(root: Path) -> dict[str, dict[str, str | None]] | None:
    data = run_oracle_model(root)
    if data["errors"]:
        return None
    return {i["path"]: i["exports"] for i in data["instances"]}


def differences(ours: dict, java: dict) -> list[str]:
    out = []
    for path in sorted(set(ours) | set(java)):
        if ours.get(path) != java.get(path):
            out.append(f"{path}:\n  rbcc: {ours.get(path)}\n  java: {java.get(path)}")
    return out


@pytest.mark.parametrize("example", sorted(p.name for p in (REPO / "examples").iterdir() if (p / "instances").is_dir()))
def test_plan_exports_of_each_example_are_roboconfs(example: str):
    root = REPO / "examples" / example
    ours, java = exports_by_path(root), java_exports(root)
    assert ours is not None and java is not None, "both implementations accept the example"
    assert not differences(ours, java), "\n".join(differences(ours, java))


@settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=os.environ.get("RBCC_DIFF_RANDOM") != "1",
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(app_cases(max_mistakes=0, instances_only=True))
def test_plan_exports_of_generated_applications_are_roboconfs(case: Case):
    with tempfile.TemporaryDirectory() as tmp:
        root = case.write(Path(tmp))
        java = java_exports(root)
        assume(java is not None)
        ours = exports_by_path(root)
        assert ours is not None, f"rbcc refused an application Roboconf accepts:\n{case.describe()}"
        diff = differences(ours, java)
        assert not diff, "\n".join(diff) + "\n" + case.describe()
