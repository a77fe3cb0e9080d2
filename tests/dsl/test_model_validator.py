"""Runtime-model validation (Roboconf's RuntimeModelValidator, dsl.md §9): RM_ codes and ranges.

``tests/fixtures/graph/runtime-model-errors.graph`` and
``tests/fixtures/instances/runtime-model-errors.instances`` are clean for the parser and the
converters and trigger the graph and instance checks; Roboconf reports the same codes (it
locates them on block lines only).
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from rbcc.dsl.checks.model import validate_graph, validate_instances
from rbcc.dsl.model.elements import Component, Graph, Instance
from rbcc.dsl.model.graph_builder import load_graph
from rbcc.dsl.model.instances_builder import load_instances
from rbcc.dsl.text.files import Sources
from rbcc.dsl.text.parser import ParseCache
from rbcc.dsl.text.ranges import SourceRange
from tests.support import FIXTURES_DIR

FIXTURES = FIXTURES_DIR


def graph_of(directory: Path, entry: str) -> Graph:
    graph, problems = load_graph(entry, "", Sources(directory), ParseCache())
    assert problems == [], problems
    return graph


def graph_problems(directory: Path, entry: str):
    return validate_graph(graph_of(directory, entry), SourceRange.file_start(entry))


def instance_problems(directory: Path, graph_file: str, entry: str, **kw):
    cache = ParseCache()
    sources = Sources(directory)
    graph, problems = load_graph(graph_file, "", sources, cache)
    assert problems == []
    roots, problems, _ = load_instances(entry, "", graph, sources, cache)
    assert problems == []
    return validate_instances(graph, roots, **kw)


def spans(problems) -> list[tuple]:
    return [(p.code, p.level.value, p.range.start_line, p.range.start_column, p.range.end_column) for p in problems]


def graph_text(tmp_path: Path, text: str):
    (tmp_path / "g.graph").write_text(text)
    return graph_problems(tmp_path, "g.graph")


# -- graphs (§9.1-9.3) --------------------------------------------------------------------------------------


def test_graph_fixture_reports_each_runtime_model_problem_on_its_token():
    problems = graph_problems(FIXTURES / "graph", "runtime-model-errors.graph")
    assert sorted(spans(problems)) == sorted(
        [
            ("RM_INVALID_RANDOM_KIND", "error", 9, 26, 44),  # `random[string] jmx`
            ("RM_NO_VALUE_FOR_RANDOM", "error", 9, 46, 71),  # `random[port] admin = 9000`
            ("RM_COMPONENT_IMPORTS_EXPORTS", "error", 10, 11, 22),  # `Server.port` (not optional)
            ("RM_UNRESOLVABLE_VARIABLE", "error", 10, 46, 52),  # `Db.url`
            ("RM_UNRESOLVABLE_FACET_VARIABLE", "error", 10, 54, 61),  # `cache.*`
            ("RM_ROOT_INSTALLER_MUST_BE_TARGET", "error", 14, 13, 19),  # Worker: nobody's child
            ("RM_EMPTY_COMPONENT_INSTALLER", "error", 17, 1, 12),  # `Noinstaller`
            ("RM_CYCLE_IN_COMPONENTS", "error", 21, 1, 7),  # Loop-A -> Loop-B -> Loop-A
            ("RM_CYCLE_IN_COMPONENTS", "error", 26, 1, 7),
            ("RM_ROOT_INSTALLER_MUST_BE_TARGET", "error", 31, 1, 8),  # Child-A: its installer is inherited
            ("RM_CYCLE_IN_COMPONENTS_INHERITANCE", "error", 32, 11, 18),  # `extends: Child-B`
            ("RM_ROOT_INSTALLER_MUST_BE_TARGET", "error", 36, 13, 19),  # Child-B's own installer
            ("RM_CYCLE_IN_COMPONENTS_INHERITANCE", "error", 37, 11, 18),
            ("RM_CYCLE_IN_FACETS_INHERITANCE", "error", 40, 7, 10),  # web
            ("RM_CYCLE_IN_FACETS_INHERITANCE", "error", 44, 7, 11),  # web2
            ("RM_ORPHAN_FACET", "warning", 44, 7, 11),  # web2: only extended, never used directly
            ("RM_ORPHAN_FACET", "warning", 48, 7, 12),  # cache
            ("RM_ORPHAN_FACET_WITH_CHILDREN", "warning", 52, 7, 13),  # lonely
            ("RM_UNREACHABLE_COMPONENT", "error", 56, 1, 7),  # Orphan, only a child of `lonely`
            ("RM_ROOT_INSTALLER_MUST_BE_TARGET", "error", 57, 13, 19),  # ... hence a root too
        ]
    )


def test_graph_fixture_codes_are_roboconfs():
    # what Roboconf's own validator reports on this graph (checked with the Java implementation)
    problems = graph_problems(FIXTURES / "graph", "runtime-model-errors.graph")
    assert Counter(p.code for p in problems) == Counter(
        {
            "RM_ROOT_INSTALLER_MUST_BE_TARGET": 4,
            "RM_CYCLE_IN_COMPONENTS_INHERITANCE": 2,
            "RM_CYCLE_IN_FACETS_INHERITANCE": 2,
            "RM_CYCLE_IN_COMPONENTS": 2,
            "RM_ORPHAN_FACET": 2,
            "RM_NO_VALUE_FOR_RANDOM": 1,
            "RM_INVALID_RANDOM_KIND": 1,
            "RM_COMPONENT_IMPORTS_EXPORTS": 1,
            "RM_EMPTY_COMPONENT_INSTALLER": 1,
            "RM_UNRESOLVABLE_VARIABLE": 1,
            "RM_UNRESOLVABLE_FACET_VARIABLE": 1,
            "RM_ORPHAN_FACET_WITH_CHILDREN": 1,
            "RM_UNREACHABLE_COMPONENT": 1,
        }
    )


def test_clean_graphs_have_no_runtime_problem():
    assert [p.code for p in graph_problems(FIXTURES / "graph", "inheritance.graph")] == ["RM_ORPHAN_FACET"]  # jvm
    assert [p.code for p in graph_problems(FIXTURES / "instances", "app.graph")] == ["RM_ORPHAN_FACET"]  # web


def test_graph_without_root_is_reported_at_the_start_of_the_entry_file(tmp_path):
    problems = graph_text(
        tmp_path, "A {\n\tinstaller: x;\n\tchildren: B;\n}\nB {\n\tinstaller: y;\n\tchildren: A;\n}\n"
    )
    assert spans(problems) == [("RM_NO_ROOT_COMPONENT", "error", 1, 1, 1)]
    assert problems[0].range.file == "g.graph"


def test_facets_only_graph_has_no_root(tmp_path):
    assert [p.code for p in graph_text(tmp_path, "facet f {\n}\n")] == ["RM_NO_ROOT_COMPONENT", "RM_ORPHAN_FACET"]


def test_root_installer_must_be_exactly_target(tmp_path):
    problems = graph_text(
        tmp_path, "A {\n\tinstaller: target ;\n}\nB {\n\tinstaller: TARGET;\n}\nC {\n\tinstaller: target;\n}\n"
    )
    assert spans(problems) == [
        ("RM_ROOT_INSTALLER_MUST_BE_TARGET", "error", 2, 13, 20),  # `target ` with its space
        ("RM_ROOT_INSTALLER_MUST_BE_TARGET", "error", 5, 13, 19),
    ]


def test_component_imports_exports_covers_wildcards_of_itself_its_supers_and_facets(tmp_path):
    problems = graph_text(
        tmp_path,
        "VM {\n\tinstaller: target;\n\tchildren: Db, Base;\n}\n"
        "Base {\n\tinstaller: script;\n\texports: x;\n}\n"
        "Db {\n\textends: Base;\n\tfacets: f;\n\texports: ip;\n"
        "\timports: Db.*, Base.*, f.*, Db.ip (optional), Base.x;\n}\n"
        "facet f {\n\texports: y;\n}\n",
    )
    assert [(c, line, col, end) for c, _, line, col, end in spans(problems)] == [
        ("RM_COMPONENT_IMPORTS_EXPORTS", 13, 11, 15),
        ("RM_COMPONENT_IMPORTS_EXPORTS", 13, 17, 23),
        ("RM_COMPONENT_IMPORTS_EXPORTS", 13, 25, 28),
        ("RM_COMPONENT_IMPORTS_EXPORTS", 13, 48, 54),
    ]


def test_external_imports_are_never_resolved(tmp_path):
    assert graph_text(tmp_path, "VM {\n\tinstaller: target;\n\timports: external Other.ip, externalX.*;\n}\n") == []


def test_unresolvable_variable_names_are_case_sensitive(tmp_path):
    problems = graph_text(
        tmp_path,
        "VM {\n\tinstaller: target;\n\tchildren: App, MySql;\n}\n"
        "MySql {\n\tinstaller: x;\n\texports: port = 3306;\n}\n"
        "App {\n\tinstaller: x;\n\timports: MYSQL.*, MySql.*, MySql.port;\n}\n",
    )
    assert spans(problems) == [("RM_UNRESOLVABLE_VARIABLE", "error", 11, 11, 18)]


def test_orphan_facet_variable_imported_by_full_name_is_not_a_facet_variable(tmp_path):
    # dsl.md §17.13: `F.ip` of an orphan facet is RM_UNRESOLVABLE_VARIABLE, `F.*` is the facet code
    problems = graph_text(
        tmp_path,
        "VM {\n\tinstaller: target;\n\timports: F.ip, F.*;\n}\nfacet F {\n\texports: ip;\n}\n",
    )
    assert [p.code for p in problems] == [
        "RM_UNRESOLVABLE_VARIABLE",
        "RM_UNRESOLVABLE_FACET_VARIABLE",
        "RM_ORPHAN_FACET",
    ]


def test_programmatic_models_get_the_name_checks(tmp_path):
    graph = graph_of(FIXTURES / "instances", "app.graph")
    vm = graph.components["VM"]
    bad = Component("my.comp", vm.name_range, vm.block, installer="target")
    graph.components["my.comp"] = bad
    graph.cache.clear()
    codes = [p.code for p in validate_graph(graph, SourceRange.file_start("app.graph"))]
    assert "RM_DOT_IS_NOT_ALLOWED" in codes


# -- instances (§9.4) -----------------------------------------------------------------------------------------


def test_instance_fixture_reports_parents_overrides_and_missing_values():
    problems = instance_problems(FIXTURES / "instances", "app.graph", "runtime-model-errors.instances")
    assert spans(problems) == [
        ("RM_MISSING_INSTANCE_PARENT", "error", 2, 13, 19),  # `Tomcat` must live in a VM
        ("RM_INVALID_INSTANCE_PARENT", "error", 8, 14, 16),  # a VM inside a VM
        ("RM_MAGIC_INSTANCE_VARIABLE", "warning", 13, 3, 9),  # `colour`
        ("RM_MISSING_VARIABLE_VALUE", "error", 14, 3, 7),  # `port: ;` blanks MySQL.port
    ]
    assert "Expected: VM" in problems[0].message
    assert [(r.range.start_line, r.range.start_column) for r in problems[1].related] == [(6, 1)]


def test_roots_only_validation_is_what_project_loading_does_first():
    problems = instance_problems(FIXTURES / "instances", "app.graph", "runtime-model-errors.instances", roots_only=True)
    assert [p.code for p in problems] == ["RM_MISSING_INSTANCE_PARENT"]


def test_ambiguous_and_magic_overrides_are_warnings_on_the_property_name():
    problems = instance_problems(FIXTURES / "instances", "overrides.graph", "overrides.instances")
    assert spans(problems) == [
        ("RM_AMBIGUOUS_OVERRIDING", "warning", 7, 3, 7),  # `path`: Base.path and Sub.path
        ("RM_AMBIGUOUS_OVERRIDING", "warning", 11, 3, 7),  # `port`
        ("RM_MAGIC_INSTANCE_VARIABLE", "warning", 19, 3, 9),  # `colour`
        ("RM_MAGIC_INSTANCE_VARIABLE", "warning", 20, 3, 10),  # `channel` (not `channels`)
    ]
    assert "Base.path" in problems[0].message and "Sub.path" in problems[0].message


def test_inherited_random_variables_are_not_exempted_from_missing_values(tmp_path):
    (tmp_path / "g.graph").write_text(
        "VM {\n\tinstaller: target;\n\tchildren: Base, Sub;\n}\n"
        "Base {\n\tinstaller: script;\n\texports: random[port] p, ip;\n}\n"
        "Sub {\n\textends: Base;\n}\n"
    )
    (tmp_path / "i.instances").write_text(
        "instance of VM {\n\tname: vm;\n"
        "\tinstance of Base {\n\t\tname: base;\n\t}\n"
        "\tinstance of Sub {\n\t\tname: sub;\n\t}\n}\n"
    )
    problems = instance_problems(tmp_path, "g.graph", "i.instances")
    assert [p.code for p in problems] == ["RM_MISSING_VARIABLE_VALUE", "RM_MISSING_VARIABLE_VALUE"]
    assert all("/vm/sub" in p.message for p in problems)
    assert sorted("Variable: Sub.p." in p.message for p in problems) == [False, True]
    assert sorted("Variable: Base.p." in p.message for p in problems) == [False, True]
    # both on the declaration of the `sub` instance, since no property of it is involved
    assert {(p.range.start_line, p.range.start_column, p.range.end_column) for p in problems} == {(6, 2, 19)}


def test_programmatic_instance_without_name_or_component(tmp_path):
    graph = graph_of(FIXTURES / "instances", "app.graph")
    vm = graph.components["VM"]
    blank = Instance("", "VM", vm.block, vm.name_range, vm.name_range, vm)
    nameless = Instance("a/b", "Nope", vm.block, vm.name_range, vm.name_range, None)
    codes = [p.code for p in validate_instances(graph, [blank, nameless])]
    assert codes == ["RM_EMPTY_INSTANCE_NAME", "RM_INVALID_INSTANCE_NAME", "RM_EMPTY_INSTANCE_COMPONENT"]
