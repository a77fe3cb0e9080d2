"""Project loading (dsl.md §12): PROJ_ and REC_ codes, gating, and what the loader reads.

Fixture applications live in ``tests/fixtures/apps/``: ``clean`` (no problem at all),
``layout-errors`` (misplaced and unreachable files, bad command and rule extensions) and
``recipe-errors`` (one broken resource directory per component).  Roboconf's Java loader gives
the same codes on these three (it has no ranges).  Smaller layouts are built in ``tmp_path``.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from rbcc.dsl.validate import Validator
from tests.support import FIXTURES_DIR

APPS = FIXTURES_DIR / "apps"


def validate(path: Path, compat: str | None = None):
    return Validator(compat=compat).validate(path)


def spans(problems) -> list[tuple]:
    return [
        (p.code, p.level.value, p.range.file, p.range.start_line, p.range.start_column, p.range.end_column)
        for p in problems
    ]


def write(root: Path, files: dict[str, str]) -> Path:
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root


DESCRIPTOR = "name = T\nversion = 1.0\ndsl-id = roboconf-1.0\ngraph-entry-point = main.graph\n"
VM = "VM {\n\tinstaller: target;\n}\n"


# -- fixtures --------------------------------------------------------------------------------------------


def test_clean_application_has_no_problem():
    result = validate(APPS / "clean")
    assert result.problems == []
    assert result.files == ["graph/main.graph", "graph/servers.graph", "instances/model.instances"]
    app = result.application
    assert sorted(app.graph.components) == ["Tomcat", "VM", "War"]
    assert [i.path for i in app.instances] == ["/vm 1", "/vm 2"]
    assert [c.path for c in app.instances[1].children] == ["/vm 2/tomcat"]


def test_layout_problems_are_reported_on_the_files_concerned():
    result = validate(APPS / "layout-errors")
    assert spans(result.problems) == [
        ("PROJ_INVALID_COMMAND_EXT", "error", "commands/notes.txt", 1, 1, 1),
        ("PROJ_INVALID_FILE_LOCATION", "warning", "docs/old.INSTANCES", 1, 1, 1),  # extension case-insensitive
        ("PROJ_INVALID_FILE_LOCATION", "warning", "docs/sketch.graph", 1, 1, 1),
        ("PROJ_NO_RESOURCE_DIRECTORY", "warning", "graph/main.graph", 1, 1, 3),  # on `VM`
        ("PROJ_UNREACHABLE_FILE", "warning", "graph/stray.graph", 1, 1, 1),
        # no instance-entry-point: the instances directory is ignored
        ("PROJ_UNREACHABLE_FILE", "warning", "instances/model.instances", 1, 1, 1),
        ("PROJ_INVALID_RULE_EXT", "error", "rules.autonomic/r.rule", 1, 1, 1),
    ]


def test_recipe_problems_are_reported_on_the_component_name():
    result = validate(APPS / "recipe-errors")
    found = sorted(spans(result.problems))
    g = "graph/main.graph"
    assert found == sorted(
        [
            ("REC_TARGET_NO_ID", "error", g, 2, 1, 3),  # VM/a.properties
            ("REC_TARGET_NO_HANDLER", "error", g, 2, 1, 3),  # VM/b.properties
            ("REC_TARGET_NO_NAME", "warning", g, 2, 1, 3),  # VM/b.properties
            ("REC_TARGET_CONFLICTING_ID", "error", g, 7, 1, 6),  # Cloud: `dup` twice
            ("REC_SCRIPT_NO_SCRIPTS_DIR", "error", g, 11, 1, 7),  # Tomcat
            ("REC_PUPPET_DISLIKES_WILDCARD_IMPORTS", "warning", g, 16, 1, 3),  # Db imports Queue.*
            ("REC_PUPPET_MISSING_PARAM_FROM_IMPORT", "warning", g, 16, 1, 3),  # no $queue
            ("REC_PUPPET_MISSING_PARAM_IMPORT_DIFF", "error", g, 16, 1, 3),
            ("REC_PUPPET_MISSING_PARAM_RUNNING_STATE", "error", g, 16, 1, 3),
            ("REC_PUPPET_HAS_TOO_MANY_RBCF_MODULES", "error", g, 22, 1, 6),  # Cache
            ("REC_PUPPET_HAS_NO_RBCF_MODULE", "error", g, 26, 1, 6),  # Queue
        ]
    )
    by_code = {p.code: p for p in result.problems}
    assert "a.properties" in by_code["REC_TARGET_NO_ID"].message
    assert "$queue" in by_code["REC_PUPPET_MISSING_PARAM_FROM_IMPORT"].message


# -- descriptor and entry points -----------------------------------------------------------------------------


def test_missing_graph_directory(tmp_path):
    write(tmp_path, {"descriptor/application.properties": DESCRIPTOR})
    assert [p.code for p in validate(tmp_path).problems] == ["PROJ_NO_GRAPH_DIR"]


def test_descriptor_directory_without_the_descriptor_file(tmp_path):
    write(tmp_path, {"descriptor/readme.txt": "x\n", "graph/main.graph": VM})
    assert spans(validate(tmp_path).problems) == [
        ("PROJ_NO_DESC_FILE", "error", "descriptor/application.properties", 1, 1, 1),
        ("PROJ_UNREACHABLE_FILE", "warning", "graph/main.graph", 1, 1, 1),
    ]


def test_missing_entry_points_point_at_the_descriptor_values(tmp_path):
    write(
        tmp_path,
        {
            "descriptor/application.properties": (
                "name = T\nversion = 1.0\ndsl-id = roboconf-1.0\n"
                "graph-entry-point = main.graph\ninstance-entry-point = nope.instances\n"
            ),
            "graph/main.graph": VM,
            "graph/VM/readme.txt": "x\n",
            "instances/model.instances": "instance of VM {\n\tname: vm;\n}\n",
        },
    )
    assert spans(validate(tmp_path).problems) == [
        ("PROJ_MISSING_INSTANCE_EP", "error", "descriptor/application.properties", 5, 24, 38),
        ("PROJ_UNREACHABLE_FILE", "warning", "instances/model.instances", 1, 1, 1),
    ]


def test_missing_graph_entry_point_means_no_graph_for_the_instances(tmp_path):
    write(
        tmp_path,
        {
            "descriptor/application.properties": DESCRIPTOR.replace("main.graph", "nope.graph"),
            "graph/main.graph": VM,
            "instances/model.instances": "instance of VM {\n\tname: vm;\n}\n",
        },
    )
    assert spans(validate(tmp_path).problems) == [
        ("CO_GRAPH_COULD_NOT_BE_BUILT", "error", "descriptor/application.properties", 1, 1, 1),
        ("PROJ_MISSING_GRAPH_EP", "error", "descriptor/application.properties", 4, 21, 31),
        ("PROJ_UNREACHABLE_FILE", "warning", "graph/main.graph", 1, 1, 1),
        ("PROJ_UNREACHABLE_FILE", "warning", "instances/model.instances", 1, 1, 1),
    ]


def test_invalid_external_exports_in_the_descriptor(tmp_path):
    write(
        tmp_path,
        {
            "descriptor/application.properties": DESCRIPTOR
            + "exports-prefix = T\nexports = VM.ip as ip, toto IS titi\n",
            "graph/main.graph": VM,
            "graph/VM/readme.txt": "x\n",
        },
    )
    assert spans(validate(tmp_path, "roboconf").problems) == [
        ("PROJ_INVALID_EXTERNAL_EXPORTS", "error", "descriptor/application.properties", 6, 24, 36),
    ]
    # by default the whole application is checked too: VM exports no `ip`
    assert [p[0] for p in spans(validate(tmp_path).problems)] == [
        "RM_INVALID_EXTERNAL_EXPORT",
        "PROJ_INVALID_EXTERNAL_EXPORTS",
    ]


# -- graph and instance loading inside a project -----------------------------------------------------------


def test_imports_are_resolved_from_the_graph_directory(tmp_path):
    write(
        tmp_path,
        {
            "descriptor/application.properties": DESCRIPTOR,
            "graph/main.graph": "import lib/servers.graph;\nVM {\n\tinstaller: target;\n\tchildren: T;\n}\n",
            "graph/lib/servers.graph": "import db.graph;\nT {\n\tinstaller: script;\n}\n",
            "graph/db.graph": "Db {\n\tinstaller: target;\n}\n",
            "graph/VM/x.txt": "x\n",
            "graph/T/scripts/deploy.sh": "x\n",
            "graph/Db/x.txt": "x\n",
        },
    )
    result = validate(tmp_path)
    assert result.problems == []
    assert result.files == ["graph/db.graph", "graph/lib/servers.graph", "graph/main.graph"]


def test_import_leaving_the_project_is_not_followed(tmp_path):
    write(
        tmp_path,
        {"descriptor/application.properties": DESCRIPTOR, "graph/main.graph": "import ../../etc/passwd;\n" + VM},
    )
    assert spans(validate(tmp_path, "roboconf").problems) == [
        ("CO_UNREACHABLE_FILE", "error", "graph/main.graph", 1, 8, 24)
    ]


def test_import_path_written_differently_is_another_file_as_in_roboconf(tmp_path):
    # `./main.graph` is not `main.graph` for Roboconf: the file is read twice, VM is defined twice
    write(
        tmp_path, {"descriptor/application.properties": DESCRIPTOR, "graph/main.graph": "import ./main.graph;\n" + VM}
    )
    assert Counter(p.code for p in validate(tmp_path, "roboconf").problems) == Counter(
        {"CO_ALREADY_DEFINED_COMPONENT": 2}
    )


def test_any_problem_in_the_instances_drops_them(tmp_path):
    write(
        tmp_path,
        {
            "descriptor/application.properties": DESCRIPTOR + "instance-entry-point = model.instances\n",
            "graph/main.graph": VM,
            "graph/VM/x.txt": "x\n",
            "instances/model.instances": "instance of VM {\n\tname: vm;\n\tcount: 1;\n}\n",
        },
    )
    result = validate(tmp_path)
    assert spans(result.problems) == [("PM_USELESS_INSTANCE_COUNT", "warning", "instances/model.instances", 3, 2, 11)]
    assert result.application.instances == []
    assert [i.path for i in result.application.all_instances] == ["/vm"]  # still there for editors


def test_graph_problem_gates_the_runtime_and_recipe_checks(tmp_path):
    write(
        tmp_path,
        {
            "descriptor/application.properties": DESCRIPTOR,
            "graph/main.graph": "VM {\n\tinstaller: script;\n\tchildren: Nope;\n}\n",
        },
    )
    # Roboconf: no RM_ROOT_INSTALLER_MUST_BE_TARGET, no PROJ_NO_RESOURCE_DIRECTORY while the graph is broken
    assert [p.code for p in validate(tmp_path, "roboconf").problems] == ["CO_INEXISTING_CHILD"]
    # by default, the independent problems of the later stages too, but not the graph-wide
    # checks that a lost relation can turn wrong (the typo may have named a real child)
    assert spans(validate(tmp_path).problems) == [
        ("PROJ_NO_RESOURCE_DIRECTORY", "warning", "graph/main.graph", 1, 1, 3),
        ("CO_INEXISTING_CHILD", "error", "graph/main.graph", 3, 12, 16),
    ]


def test_graph_warnings_are_reported_once(tmp_path):
    write(
        tmp_path,
        {
            "descriptor/application.properties": DESCRIPTOR,
            "graph/main.graph": VM + "facet f {\n}\n",
            "graph/VM/x.txt": "x\n",
        },
    )
    # Roboconf reports RM_ORPHAN_FACET twice (graph load, then application); rbcc once
    assert spans(validate(tmp_path).problems) == [("RM_ORPHAN_FACET", "warning", "graph/main.graph", 4, 7, 8)]


def test_reusable_recipe_project_filters_roboconfs_recipe_codes(tmp_path):
    # no descriptor and no instances: a reusable recipe (dsl.md §12.2)
    write(
        tmp_path,
        {
            "graph/tomcat.graph": "Tomcat {\n\tinstaller: script;\n}\nfacet web {\n}\n",
            "graph/Tomcat/scripts/a.sh": "x\n",
        },
    )
    result = validate(tmp_path)
    assert result.problems == []
    assert result.application.is_recipe


def test_single_graph_file_outside_a_project(tmp_path):
    (tmp_path / "alone.graph").write_text("VM {\n\tinstaller: script;\n}\n")
    assert spans(validate(tmp_path / "alone.graph").problems) == [
        ("RM_ROOT_INSTALLER_MUST_BE_TARGET", "error", "alone.graph", 2, 13, 19),
    ]


def test_single_file_of_a_project_gets_that_files_problems_only():
    result = validate(APPS / "recipe-errors" / "graph" / "main.graph")
    assert {p.range.file for p in result.problems} == {"graph/main.graph"}
    assert len(result.problems) == 11


@pytest.mark.parametrize("name", ["clean", "layout-errors", "recipe-errors"])
def test_validation_is_deterministic(name):
    first = validate(APPS / name).problems
    assert validate(APPS / name).problems == first
