"""Differential tests: generated graphs and applications, rbcc against Roboconf's Java code.

Hypothesis builds small graphs and applications (valid ones, and ones with 1-3 mistakes from the
catalogue in ``diffgen.py``), we validate them and so does the oracle.  The verdict (any error
or not) must always be the same; the codes, compared as multisets, must be the same too except
for the differences documented in docs/deviations.md (``oracle_client.explained_difference``).

Every disagreement found so far is a fixture under ``tests/fixtures/differential/``, checked
without Java by ``test_differential_fixtures.py``.

Environment: ``RBCC_DIFF_EXAMPLES`` (default 60) examples per test; ``RBCC_DIFF_RANDOM=1`` to
draw new examples on every run instead of the reproducible (derandomized) ones.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings

from rbcc.dsl.codes import CODES, Level
from rbcc.dsl.validate import Validator

from diffgen import Case, app_cases, graph_cases
from oracle_client import explained_difference, run_oracle
from support import need_oracle

EXAMPLES = int(os.environ.get("RBCC_DIFF_EXAMPLES", "60"))
RANDOM = os.environ.get("RBCC_DIFF_RANDOM") == "1"

DIFF_SETTINGS = settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=not RANDOM,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    print_blob=True,
)

WARNING_CODES = frozenset(c for c, info in CODES.items() if info.level is Level.WARNING)


@pytest.fixture(autouse=True, scope="module")
def _oracle() -> None:
    need_oracle()


def is_error(code: str) -> bool:
    return CODES[code].level is Level.ERROR


def compare(case: Case) -> tuple[list[str], list[str], str | None]:
    """(our codes, Java's codes, None or what is wrong) for one generated case."""
    with tempfile.TemporaryDirectory(prefix="rbcc-diff-") as tmp:
        path = case.write(Path(tmp))
        ours = [p.code for p in Validator().validate(path).problems]
        errors, warnings = run_oracle(path)
    java = errors + warnings
    if any(is_error(c) for c in ours) != bool(errors):
        return ours, java, "verdict differs"
    return ours, java, explained_difference(ours, java, WARNING_CODES)


def check(case: Case) -> None:
    ours, java, wrong = compare(case)
    assert wrong is None, f"{wrong}\nrbcc:     {sorted(ours)}\nRoboconf: {sorted(java)}\n{case.describe()}"


@DIFF_SETTINGS
@given(graph_cases())
def test_graph_files_agree_with_roboconf(case: Case) -> None:
    check(case)


@DIFF_SETTINGS
@given(app_cases())
def test_applications_agree_with_roboconf(case: Case) -> None:
    check(case)
