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
from hypothesis import HealthCheck, assume, given, settings

from rbcc.dsl.catalogue import CODES, Level
from rbcc.dsl.model import inheritance as ih
from rbcc.dsl.model.graph_builder import load_files, load_graph
from rbcc.dsl.text.files import Sources, join
from rbcc.dsl.text.parser import ParseCache
from rbcc.dsl.text.syntax import FileKind
from rbcc.dsl.validate import Validator
from tests.diffgen import Case, app_cases, graph_cases
from tests.oracle_client import CANCEL_CODES, explained_difference, run_oracle_json
from tests.support import need_oracle

pytestmark = pytest.mark.oracle

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

#: how the oracle loads each layout of application (see diffgen.Case.layout)
ORACLE_OPTIONS = {"descriptor": (), "flexible": ("--flexible",), "recipe": ("--recipe",)}
GRAPH_KINDS = (FileKind.GRAPH, FileKind.AGGREGATOR, FileKind.EMPTY)
INSTANCE_KINDS = (FileKind.INSTANCE, FileKind.AGGREGATOR, FileKind.EMPTY)
WARNING_CODES = frozenset(c for c, info in CODES.items() if info.level is Level.WARNING)


@pytest.fixture(autouse=True, scope="module")
def _oracle() -> None:
    need_oracle()


def is_error(code: str) -> bool:
    return CODES[code].level is Level.ERROR


def java_read_files(case: Case, root: Path) -> tuple[set[str], set[str], set[str]]:
    """(files rbcc reads, files Roboconf reads, files whose imports Roboconf follows): Roboconf
    does not follow the imports of a file with an error, rbcc does (docs/deviations.md, "Imports
    of a broken file are followed")."""
    ours: set[str] = set()
    java: set[str] = set()
    registered: set[str] = set()
    if case.kind == "graph":
        entries = [("main.graph", "", GRAPH_KINDS, "CO_NOT_A_GRAPH")]
    else:
        entries = [("graph/main.graph", "graph", GRAPH_KINDS, "CO_NOT_A_GRAPH")]
        if case.layout == "descriptor" and "instances/model.instances" in case.files:
            entries.append(("instances/model.instances", "instances", INSTANCE_KINDS, "CO_NOT_INSTANCES"))
    for entry, root_rel, kinds, code in entries:
        load = load_files(entry, root_rel, Sources(root), ParseCache(), kinds, code)
        ours.update(load.processed)
        # Roboconf reads the entry and what its error-free files import
        java.add(entry)
        for rel in load.java_files:
            java.update(join(root_rel, imp.uri) for imp in load.files[rel].imports)
        registered.update(load.java_files)
    return ours, java, registered


def roboconf_hangs(case: Case, root: Path) -> bool:
    """Roboconf never terminates when a component extends into an extends cycle it is not part
    of (searchForInheritanceCycle loops): such cases cannot be compared."""
    entry, root_rel = ("main.graph", "") if case.kind == "graph" else ("graph/main.graph", "graph")
    graph, _ = load_graph(entry, root_rel, Sources(root), ParseCache())
    for c in graph.components.values():
        chain = ih.chain(c)
        if chain[-1].super is not None and chain[-1].super is not c:
            return True
    return False


def compare(case: Case) -> tuple[list[str], list[str], str | None]:
    """(our codes, Java's codes, None or what is wrong) for one generated case."""
    with tempfile.TemporaryDirectory(prefix="rbcc-diff-") as tmp:
        root = Path(tmp)
        path = case.write(root)
        assume(not roboconf_hangs(case, root))
        problems = Validator(compat="roboconf").validate(path).problems
        data = run_oracle_json(path, *ORACLE_OPTIONS[case.layout])
        read_ours, read_java, registered = java_read_files(case, root)
    ours = [p.code for p in problems]
    if case.layout != "descriptor":
        # Documented verdict deviation (docs/deviations.md, generated descriptors): Roboconf's
        # generated descriptor has the version "generated", which fails its own version check.
        data["problems"] = [x for x in data["problems"] if x["code"] != "RM_INVALID_APPLICATION_VERSION"]
        data["errors"] = [c for c in data["errors"] if c != "RM_INVALID_APPLICATION_VERSION"]
    java = data["errors"] + data["warnings"]
    if any(is_error(c) for c in ours) != bool(data["errors"]):
        return ours, java, "verdict differs"
    # Files only rbcc reads (imported by a file with an error): their problems, and the imports
    # they or the broken files make, are rbcc's only; Roboconf reports them as unreachable.
    unread = read_ours - read_java
    kept_ours = [
        p.code
        for p in problems
        if p.file not in unread and not (p.code in ("CO_UNREACHABLE_FILE", "P_IO_ERROR") and p.file not in registered)
    ]
    kept_java = [
        x["code"] for x in data["problems"] if not (x["code"] == "PROJ_UNREACHABLE_FILE" and x.get("file") in unread)
    ]
    return ours, java, explained_difference(kept_ours, kept_java, WARNING_CODES)


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


@DIFF_SETTINGS
@given(app_cases(instances_only=True))
def test_instances_agree_with_roboconf(case: Case) -> None:
    check(case)


#: Roboconf's cascades of a dropped file, which the default mode does not report (deviations.md §11),
#: and the unreachable files Roboconf reports where rbcc follows the imports of a broken file (§5)
DEFAULT_MODE_MAY_LACK = frozenset(
    {"CO_INEXISTING_COMPONENT", "CMD_INEXISTING_COMPONENT", "CMD_NO_MATCHING_INSTANCE", "PROJ_UNREACHABLE_FILE"}
)


def compare_default_mode(case: Case) -> str | None:
    """None when the default mode has Roboconf's verdict and (as sets) a superset of its codes."""
    with tempfile.TemporaryDirectory(prefix="rbcc-diff-") as tmp:
        root = Path(tmp)
        path = case.write(root)
        assume(not roboconf_hangs(case, root))
        ours = [p.code for p in Validator().validate(path).problems]
        data = run_oracle_json(path, *ORACLE_OPTIONS[case.layout])
    java_errors = list(data["errors"])
    if case.layout != "descriptor":  # the generated descriptor's version (deviations.md §7)
        java_errors = [c for c in java_errors if c != "RM_INVALID_APPLICATION_VERSION"]
    java = set(java_errors) | set(data["warnings"])
    if any(is_error(c) for c in ours) != bool(java_errors):
        return f"verdict differs\nrbcc:     {sorted(ours)}\nRoboconf: {sorted(java)}\n{case.describe()}"
    lacking = java - set(ours) - DEFAULT_MODE_MAY_LACK - {"RM_INVALID_APPLICATION_VERSION"}
    if CANCEL_CODES & java:  # rbcc reads a block to its end: the name after the error is seen (§1)
        lacking.discard("PM_MISSING_INSTANCE_NAME")
    if lacking:
        return f"missing {sorted(lacking)}\nrbcc:     {sorted(ours)}\nRoboconf: {sorted(java)}\n{case.describe()}"
    return None


@settings(DIFF_SETTINGS, max_examples=max(EXAMPLES // 2, 1))
@given(app_cases())
def test_default_mode_agrees_with_roboconfs_verdict_and_codes(case: Case) -> None:
    wrong = compare_default_mode(case)
    assert wrong is None, wrong
