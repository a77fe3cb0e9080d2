"""Every independent error in one run, across stages (docs/deviations.md §11).

By default a block-level mistake invalidates that property or block, not the file; conversion and
model checks still run on what is sound; nothing cascades from the dropped piece; the verdict is
Roboconf's.  ``compat="roboconf"`` keeps Roboconf's staging (one stage's errors hide the next).
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from rbcc.dsl.validate import Validator
from tests.support import FIXTURES

HERE = FIXTURES / "independent-errors"
DIFFERENTIAL = FIXTURES / "differential"
DESCRIPTOR = "name = T\nversion = 1.0\ndsl-id = roboconf-1.0\ngraph-entry-point = main.graph\n"
WITH_INSTANCES = DESCRIPTOR + "instance-entry-point = model.instances\n"


def spans(path: Path, compat: str | None = None) -> list[tuple]:
    problems = Validator(compat=compat).validate(path).problems
    return [(p.code, p.range.file, p.range.start_line, p.range.start_column, p.range.end_column) for p in problems]


def codes(path: Path, compat: str | None = None) -> Counter[str]:
    return Counter(p.code for p in Validator(compat=compat).validate(path).problems)


def write(root: Path, files: dict[str, str]) -> Path:
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root


def test_four_unrelated_mistakes_are_four_errors_in_one_run():
    app = HERE / "four-unrelated-mistakes"
    assert spans(app) == [
        ("CO_INEXISTING_CHILD", "graph/main.graph", 3, 17, 22),  # children: App, Ghost
        ("CO_ALREADY_DEFINED_COMPONENT", "graph/main.graph", 6, 1, 4),  # App, twice
        ("PM_INVALID_EXPORTED_VAR_NAME", "graph/main.graph", 8, 11, 19),  # exports: 1bad = 2
        ("RM_UNRESOLVABLE_VARIABLE", "graph/main.graph", 9, 11, 19),  # imports: Nobody.*
        ("CO_ALREADY_DEFINED_COMPONENT", "graph/main.graph", 12, 1, 4),
    ]
    # Roboconf drops the file at its first parsing-model error
    assert spans(app, "roboconf") == [("PM_INVALID_EXPORTED_VAR_NAME", "graph/main.graph", 8, 11, 19)]


def test_a_single_graph_file_gets_every_error_too():
    graph = HERE / "four-unrelated-mistakes" / "graph" / "main.graph"
    assert codes(graph) == Counter(
        {
            "CO_ALREADY_DEFINED_COMPONENT": 2,
            "CO_INEXISTING_CHILD": 1,
            "PM_INVALID_EXPORTED_VAR_NAME": 1,
            "RM_UNRESOLVABLE_VARIABLE": 1,
        }
    )
    assert codes(graph, "roboconf") == Counter({"PM_INVALID_EXPORTED_VAR_NAME": 1})


def test_components_of_a_file_with_an_error_stay_known():
    # Roboconf does not register VM (its file has a syntax error): its instance is "unknown"
    app = DIFFERENTIAL / "broken-graph-file-hides-its-components"
    assert codes(app, "roboconf") == Counter({"P_PROPERTY_ENDS_WITH_SEMI_COLON": 1, "CO_INEXISTING_COMPONENT": 1})
    # by default VM is known; Ghost, nested in its instance, is really unknown (twice)
    assert spans(app) == [
        ("PROJ_NO_RESOURCE_DIRECTORY", "graph/main.graph", 1, 1, 3),
        ("P_PROPERTY_ENDS_WITH_SEMI_COLON", "graph/main.graph", 2, 19, 19),
        ("CO_INEXISTING_COMPONENT", "instances/model.instances", 3, 14, 19),
        ("CO_INEXISTING_COMPONENT", "instances/model.instances", 6, 14, 19),
    ]


def test_commands_are_not_blamed_for_a_component_of_a_file_with_an_error():
    app = DIFFERENTIAL / "commands-against-component-of-broken-graph-file"
    assert codes(app, "roboconf") == Counter({"PM_INVALID_EXPORTED_VAR_NAME": 1, "CMD_INEXISTING_COMPONENT": 1})
    assert codes(app) == Counter({"PM_INVALID_EXPORTED_VAR_NAME": 1, "PROJ_NO_RESOURCE_DIRECTORY": 2})


def test_a_block_read_in_part_causes_nothing_elsewhere(tmp_path):
    # App's block has a syntax error: references to App and its instance are not blamed, its
    # missing installer is not reported; Db's unresolvable import is independent and reported
    app = write(
        tmp_path,
        {
            "descriptor/application.properties": WITH_INSTANCES,
            "graph/main.graph": (
                "VM {\n\tinstaller: target;\n\tchildren: App, Db;\n}\n\n"
                "App {\n\tinstaller script;\n\texports: port = 80;\n}\n\n"
                "Db {\n\tinstaller: script;\n\timports: Nobody.port;\n}\n"
            ),
            "instances/model.instances": "instance of VM {\n\tname: vm;\n\tinstance of App {\n\t\tname: app;\n\t}\n}\n",
            "graph/VM/x.txt": "x\n",
            "graph/App/scripts/deploy.sh": "x\n",
            "graph/Db/scripts/deploy.sh": "x\n",
        },
    )
    assert spans(app) == [
        ("PM_INVALID_BLOCK_TYPE", "graph/main.graph", 6, 1, 6),  # Roboconf's two errors for the line
        ("P_INVALID_PROPERTY", "graph/main.graph", 7, 2, 19),
        ("RM_UNRESOLVABLE_VARIABLE", "graph/main.graph", 13, 11, 22),
    ]
    # Roboconf: the file is dropped, so VM is unknown to the instances
    assert spans(app, "roboconf") == [
        ("PM_INVALID_BLOCK_TYPE", "graph/main.graph", 6, 1, 6),
        ("P_INVALID_PROPERTY", "graph/main.graph", 7, 2, 19),
        ("CO_INEXISTING_COMPONENT", "instances/model.instances", 1, 13, 15),
    ]


def test_a_cancelled_facet_is_not_reported_as_unknown(tmp_path):
    text = "facet F { oops\n\texports: x = 1;\n}\n\nVM {\n\tinstaller: target;\n\tfacets: F;\n\timports: F.*;\n}\n"
    graph = write(tmp_path, {"main.graph": text}) / "main.graph"
    # Roboconf creates no facet F; VM's references to it are not blamed (no CO_INEXISTING_FACET,
    # no RM_UNRESOLVABLE_VARIABLE); the file type comes from the blocks before the cancel, as in Roboconf
    assert spans(graph) == [
        ("P_EMPTY_FILE", "main.graph", 1, 1, 1),
        ("P_O_C_BRACKET_EXTRA_CHARACTERS", "main.graph", 1, 11, 15),
    ]


def test_a_wrong_installer_line_is_one_error(tmp_path):
    empty = write(tmp_path / "empty", {"main.graph": "VM {\n\tinstaller: ;\n}\n"}) / "main.graph"
    assert spans(empty) == [("PM_EMPTY_PROPERTY_VALUE", "main.graph", 2, 2, 14)]
    misspelt = write(tmp_path / "misspelt", {"main.graph": "VM {\n\tinstaler: target;\n}\n"}) / "main.graph"
    assert spans(misspelt) == [("PM_PROPERTY_NOT_APPLIABLE", "main.graph", 2, 2, 10)]
    # not also RM_INVALID_COMPONENT_INSTALLER nor RM_ROOT_INSTALLER_MUST_BE_TARGET on the same text
    invalid = write(tmp_path / "invalid", {"main.graph": "VM {\n\tinstaller: tar/get;\n}\n"}) / "main.graph"
    assert spans(invalid) == [("PM_INVALID_INSTALLER_NAME", "main.graph", 2, 13, 20)]


def test_an_instance_of_an_unknown_component_is_one_error_and_its_siblings_are_checked(tmp_path):
    app = write(
        tmp_path,
        {
            "descriptor/application.properties": WITH_INSTANCES,
            "graph/main.graph": "VM {\n\tinstaller: target;\n\texports: port = 1;\n}\n",
            "graph/VM/x.txt": "x\n",
            "instances/model.instances": (
                "instance of Nope {\n\tname: n;\n}\n\ninstance of VM {\n\tname: vm;\n\tmagic: 1;\n}\n"
            ),
        },
    )
    assert spans(app) == [
        ("CO_INEXISTING_COMPONENT", "instances/model.instances", 1, 13, 17),
        ("RM_MAGIC_INSTANCE_VARIABLE", "instances/model.instances", 7, 2, 7),
    ]
    # Roboconf drops every instance after a conversion error
    assert spans(app, "roboconf") == [("CO_INEXISTING_COMPONENT", "instances/model.instances", 1, 13, 17)]


def test_a_wrong_instance_name_is_one_error(tmp_path):
    app = write(
        tmp_path,
        {
            "descriptor/application.properties": WITH_INSTANCES,
            "graph/main.graph": "VM {\n\tinstaller: target;\n}\n",
            "graph/VM/x.txt": "x\n",
            "instances/model.instances": "instance of VM {\n\tname: ;\n}\n\ninstance of VM {\n\tname: ;\n}\n",
        },
    )
    # Roboconf's own two block errors per instance, but not RM_EMPTY_INSTANCE_NAME nor
    # CO_ALREADY_DEFINED_INSTANCE for the two nameless instances
    assert (
        codes(app) == codes(app, "roboconf") == Counter({"PM_EMPTY_PROPERTY_VALUE": 2, "PM_INVALID_INSTANCE_NAME": 2})
    )


def test_warnings_alone_gate_as_in_roboconf():
    # an empty imported file (a warning) makes Roboconf unlink the graph: the verdict (an error)
    # and the codes are the same in both modes
    app = DIFFERENTIAL / "empty-imported-graph-file-unlinks-the-graph"
    assert codes(app) == codes(app, "roboconf")


def test_the_verdict_is_roboconfs_on_every_differential_fixture():
    for record in sorted(DIFFERENTIAL.glob("*.json")):
        target = record.with_suffix(".graph") if record.with_suffix(".graph").is_file() else record.with_suffix("")
        staged = Validator(compat="roboconf").validate(target).problems
        default = Validator().validate(target).problems
        assert any(p.is_error for p in default) == any(p.is_error for p in staged), record.name
