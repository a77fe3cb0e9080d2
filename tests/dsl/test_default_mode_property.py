"""The default mode against ``--compat roboconf`` on generated projects (no Java needed).

The default mode reports every independent problem in one run (docs/deviations.md §11); on any
input it must keep Roboconf's verdict, report every code Roboconf's staging reports except the
cascades Roboconf makes out of a dropped file (``ROBOCONF_CASCADES``), keep every range inside its
file, and never fail.  The generated projects are those of the differential tests
(``tests/diffgen.py``: valid graphs and applications with 0-3 mistakes of the catalogue).
"""

from __future__ import annotations

import os
import tempfile
from collections import Counter
from pathlib import Path

from hypothesis import HealthCheck, given, settings

from rbcc.dsl import split_lines
from rbcc.dsl.problems import Problem
from rbcc.dsl.validate import Validator
from tests.diffgen import Case, app_cases, graph_cases

#: Roboconf codes that only come from its staging (a component or instance missing because the
#: file declaring it had an error): the default mode registers that file, so they do not appear
ROBOCONF_CASCADES = frozenset({"CO_INEXISTING_COMPONENT", "CMD_INEXISTING_COMPONENT", "CMD_NO_MATCHING_INSTANCE"})

PROPERTY_SETTINGS = settings(
    max_examples=int(os.environ.get("RBCC_DEFAULT_MODE_EXAMPLES", "30")),
    deadline=None,
    derandomize=os.environ.get("RBCC_DIFF_RANDOM") != "1",
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


def missing_from_default(staged: list[Problem], default: list[Problem]) -> set[str]:
    return {p.code for p in staged} - {p.code for p in default} - ROBOCONF_CASCADES


def ranges_outside_their_file(root: Path, problems: list[Problem]) -> list[Problem]:
    bad = []
    for p in problems:
        r = p.range
        if r is None:
            continue
        target = root / r.file
        if not target.is_file():
            if (r.start_line, r.start_column) != (1, 1):
                bad.append(p)
            continue
        lines = split_lines(target.read_bytes().decode("utf-8", errors="replace"))
        if not 1 <= r.start_line <= max(len(lines), 1) or not 1 <= r.end_line <= max(len(lines), 1) + 1:
            bad.append(p)
    return bad


def check(case: Case) -> None:
    with tempfile.TemporaryDirectory(prefix="rbcc-default-") as tmp:
        root = Path(tmp)
        path = case.write(root)
        staged = Validator(compat="roboconf").validate(path).problems
        default = Validator().validate(path).problems
        outside = ranges_outside_their_file(root, default)
    what = f"\ncompat:  {sorted(p.code for p in staged)}\ndefault: {sorted(p.code for p in default)}\n{case.describe()}"
    assert any(p.is_error for p in default) == any(p.is_error for p in staged), "verdict differs" + what
    assert not missing_from_default(staged, default), f"missing {missing_from_default(staged, default)}" + what
    assert not outside, what
    assert Counter(p for p in default) == Counter(set(default)), "a problem reported twice" + what


@PROPERTY_SETTINGS
@given(graph_cases())
def test_default_mode_keeps_the_verdict_and_roboconfs_codes_on_graph_files(case: Case) -> None:
    check(case)


@PROPERTY_SETTINGS
@given(app_cases())
def test_default_mode_keeps_the_verdict_and_roboconfs_codes_on_applications(case: Case) -> None:
    check(case)


@PROPERTY_SETTINGS
@given(app_cases(instances_only=True))
def test_default_mode_keeps_the_verdict_and_roboconfs_codes_on_instances(case: Case) -> None:
    check(case)


def check_files(files: dict[str, str]) -> None:
    """``check`` for an application given as its files (the mutated fixtures of the robustness tests)."""
    from tests.dsl.test_robustness import write_app

    with tempfile.TemporaryDirectory(prefix="rbcc-default-") as tmp:
        root = write_app(Path(tmp), files)
        staged = Validator(compat="roboconf").validate(root).problems
        default = Validator().validate(root).problems
        outside = ranges_outside_their_file(root, default) + ranges_outside_their_file(root, staged)
    what = f"\ncompat:  {sorted(p.code for p in staged)}\ndefault: {sorted(p.code for p in default)}\n{files}"
    assert any(p.is_error for p in default) == any(p.is_error for p in staged), "verdict differs" + what
    assert not missing_from_default(staged, default), f"missing {missing_from_default(staged, default)}" + what
    assert not outside, f"ranges outside their file: {outside}" + what


def _mutated_applications():
    from hypothesis import strategies as st

    from tests.dsl.test_robustness import GRAPH_SEEDS, INSTANCE_SEEDS, app_files, mutated

    return st.builds(lambda g, i: app_files(graph=g, instances=i), mutated(GRAPH_SEEDS), mutated(INSTANCE_SEEDS))


@PROPERTY_SETTINGS
@given(_mutated_applications())
def test_mutated_applications_keep_the_verdict_roboconfs_codes_and_ranges_in_their_file(files) -> None:
    check_files(files)
