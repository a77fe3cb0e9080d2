"""Projects without a descriptor: which mode was chosen and why, and ``--as`` (docs/validate-output.md).

``auto`` validates a folder with neither ``descriptor/`` nor an ``.instances`` file as a reusable
recipe, one with instances as an application with a generated descriptor (Roboconf's flexible
loading); ``application`` demands the descriptor; ``recipe`` loads flexibly and skips the checks
that need a whole application.  Without a descriptor, the graph entry point is the first
``*.graph`` file of ``graph/`` in alphabetical order, and the reason says so.
"""

from __future__ import annotations

import os
import shutil
from collections import Counter
from pathlib import Path

import pytest

from rbcc.dsl.validate import Validator
from tests.support import FIXTURES

MODES = FIXTURES / "project-modes"
DIFFERENTIAL = FIXTURES / "differential"


def run(path: Path, as_: str = "auto"):
    result = Validator(as_=as_).validate(path)
    return result, Counter(p.code for p in result.problems)


def test_no_descriptor_and_no_instances_is_a_recipe_and_says_why():
    result, codes = run(MODES / "several-graph-files")
    mode, reason = result.mode
    assert mode == "recipe"
    assert "no descriptor/ and no .instances file" in reason
    assert "--as application" in reason
    assert codes == Counter({"PROJ_UNREACHABLE_FILE": 2})


def test_several_graph_files_the_alphabetically_first_is_the_entry_and_the_reason_names_it():
    result, _ = run(MODES / "several-graph-files")
    assert result.application.graph_entry == "graph/alpha.graph"
    assert "graph entry point graph/alpha.graph: the first of 3 .graph files" in result.mode[1]
    assert sorted(p.range.file for p in result.problems) == ["graph/mid.graph", "graph/zeta.graph"]


def test_the_entry_point_does_not_depend_on_the_order_files_were_created(tmp_path):
    for order in (["zeta", "alpha", "mid"], ["mid", "zeta", "alpha"]):
        root = tmp_path / "-".join(order)
        (root / "graph").mkdir(parents=True)
        for name in order:
            (root / "graph" / f"{name}.graph").write_text(f"{name.title()} {{\n\tinstaller: target;\n}}\n")
        assert Validator().validate(root).application.graph_entry == "graph/alpha.graph"


def test_no_descriptor_with_instances_is_an_application_with_a_generated_descriptor():
    result, codes = run(MODES / "application-without-descriptor")
    mode, reason = result.mode
    assert mode == "application"
    assert "generated descriptor" in reason and "instances are not loaded" in reason
    # as Roboconf's flexible loading (checked with the oracle): application checks apply
    assert codes == Counter(
        {"RM_ROOT_INSTALLER_MUST_BE_TARGET": 1, "REC_SCRIPT_NO_SCRIPTS_DIR": 1, "PROJ_UNREACHABLE_FILE": 1}
    )


def test_as_recipe_skips_the_checks_that_need_a_whole_application():
    result, codes = run(MODES / "application-without-descriptor", "recipe")
    assert result.mode[0] == "recipe" and result.mode[1].startswith("--as recipe")
    assert "RM_ROOT_INSTALLER_MUST_BE_TARGET" not in codes
    assert codes == Counter({"REC_SCRIPT_NO_SCRIPTS_DIR": 1, "PROJ_UNREACHABLE_FILE": 1})


def test_as_application_without_a_descriptor_is_roboconfs_plain_loader():
    result, codes = run(MODES / "several-graph-files", "application")
    assert result.mode == ("application", result.mode[1])
    assert result.mode[1].startswith("--as application")
    [desc] = [p for p in result.problems if p.code == "PROJ_NO_DESC_DIR"]
    assert (desc.range.file, desc.range.start_line) == ("descriptor/application.properties", 1)
    # no generated descriptor, so no graph entry point: every graph file is unreachable
    assert codes == Counter({"PROJ_NO_DESC_DIR": 1, "PROJ_UNREACHABLE_FILE": 3})


@pytest.mark.parametrize("as_", ["auto", "recipe"])
def test_instances_without_a_graph_cannot_build_the_graph(as_):
    # Roboconf (oracle, --flexible and --recipe): PROJ_NO_GRAPH_DIR and CO_GRAPH_COULD_NOT_BE_BUILT
    _, codes = run(DIFFERENTIAL / "flexible-instances-without-graph", as_)
    assert codes == Counter({"PROJ_NO_GRAPH_DIR": 1, "CO_GRAPH_COULD_NOT_BE_BUILT": 1, "PROJ_UNREACHABLE_FILE": 1})


def test_a_recipe_without_graph_or_instances_only_lacks_its_graph(tmp_path):
    (tmp_path / "README").write_text("x\n")
    _, codes = run(tmp_path, "recipe")
    assert codes == Counter({"PROJ_NO_GRAPH_DIR": 1})


def test_with_a_descriptor_the_mode_is_plain(tmp_path):
    shutil.copytree(FIXTURES / "independent-errors" / "four-unrelated-mistakes", tmp_path / "app")
    result, _ = run(tmp_path / "app")
    assert result.mode == ("application", "descriptor/ found")


def test_a_single_file_has_no_project_mode():
    result = Validator().validate(MODES / "several-graph-files" / "graph" / "alpha.graph")
    assert result.mode is None
    assert os.path.basename(result.files[0]) == "alpha.graph"
