"""Graph conversion (dsl.md §6): CO_ codes with Roboconf's gating, and the inheritance queries (§7).

Fixtures live in ``tests/fixtures/graph/``.  Relation errors point at the name that does not
resolve; duplicate declarations point at each name and relate to the other declarations.  The
inheritance expectations were checked against Roboconf's own helpers (ComponentHelpers).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from rbcc.dsl.model import inheritance as ih
from rbcc.dsl.model.graph_builder import load_graph
from rbcc.dsl.text.files import Sources
from rbcc.dsl.text.parser import ParseCache
from tests.support import FIXTURES_DIR

GRAPHS = FIXTURES_DIR / "graph"


def load(directory: Path, entry: str, root_rel: str = ""):
    return load_graph(entry, root_rel, Sources(directory), ParseCache())


def spans(problems) -> list[tuple]:
    out = []
    for p in problems:
        r = p.range
        out.append((p.code, p.level.value, r.file, r.start_line, r.start_column, r.end_column))
    return out


def related(problem) -> list[tuple]:
    return [(x.range.file, x.range.start_line, x.range.start_column, x.range.end_column) for x in problem.related]


def names(nodes) -> list[str]:
    return [n.name for n in nodes]


# -- files and imports (§5.5, §6.1) ------------------------------------------------------------------


def test_missing_import_is_reported_on_its_path_and_the_rest_still_loads():
    graph, problems = load(GRAPHS / "unreachable-import", "main.graph")
    assert spans(problems) == [("CO_UNREACHABLE_FILE", "error", "main.graph", 2, 8, 27)]
    assert "./lib/missing.graph" in problems[0].message
    assert sorted(graph.components) == ["Tomcat", "VM"]
    # the relation phases are gated by the problem: nothing about Tomcat
    assert graph.components["VM"].children == [graph.components["Tomcat"]]


def test_missing_entry_file_is_co_unreachable_file_at_its_start():
    _graph, problems = load(GRAPHS / "unreachable-import", "nope.graph")
    assert spans(problems) == [("CO_UNREACHABLE_FILE", "error", "nope.graph", 1, 1, 1)]


def test_instances_file_imported_from_a_graph_is_co_not_a_graph():
    graph, problems = load(GRAPHS / "not-a-graph", "main.graph")
    assert spans(problems) == [("CO_NOT_A_GRAPH", "error", "model.instances", 1, 1, 1)]
    assert "intsnace" in problems[0].message  # Roboconf's own spelling of the file type
    assert sorted(graph.components) == ["VM"]


def test_self_and_cyclic_imports_are_read_once():
    graph, problems = load(GRAPHS / "duplicates", "main.graph")
    assert sorted(graph.files) == ["main.graph", "other.graph"]
    assert all(p.code.startswith("CO_ALREADY_DEFINED") for p in problems)


def test_imports_are_relative_to_the_graph_root_not_to_the_importing_file(tmp_path):
    (tmp_path / "graph" / "lib").mkdir(parents=True)
    (tmp_path / "graph" / "main.graph").write_text("import lib/a.graph;\nVM {\n\tinstaller: target;\n}\n")
    (tmp_path / "graph" / "lib" / "a.graph").write_text("import b.graph;\nA {\n\tinstaller: x;\n}\n")
    (tmp_path / "graph" / "b.graph").write_text("B {\n\tinstaller: y;\n}\n")
    graph, problems = load(tmp_path, "graph/main.graph", "graph")
    assert problems == []
    assert sorted(graph.components) == ["A", "B", "VM"]


# -- global phases (§6.2) -------------------------------------------------------------------------


def test_component_and_facet_with_the_same_name_each_get_co_conflicting_name():
    _graph, problems = load(GRAPHS, "name-conflicts.graph")
    assert spans(problems) == [
        ("CO_CONFLICTING_NAME", "error", "name-conflicts.graph", 1, 1, 3),
        ("CO_CONFLICTING_NAME", "error", "name-conflicts.graph", 6, 7, 9),
    ]
    assert related(problems[0]) == [("name-conflicts.graph", 6, 7, 9)]
    assert related(problems[1]) == [("name-conflicts.graph", 1, 1, 3)]


def test_every_declaration_of_a_duplicate_is_reported_and_related_to_the_others():
    _graph, problems = load(GRAPHS / "duplicates", "main.graph")
    assert spans(problems) == [
        ("CO_ALREADY_DEFINED_COMPONENT", "error", "main.graph", 9, 1, 7),
        ("CO_ALREADY_DEFINED_COMPONENT", "error", "other.graph", 4, 1, 7),
        ("CO_ALREADY_DEFINED_FACET", "error", "main.graph", 13, 7, 10),
        ("CO_ALREADY_DEFINED_FACET", "error", "other.graph", 8, 7, 10),
    ]
    assert related(problems[0]) == [("other.graph", 4, 1, 7)]
    assert related(problems[3]) == [("main.graph", 13, 7, 10)]


def test_the_first_declaration_wins_in_the_model():
    graph, _ = load(GRAPHS / "duplicates", "main.graph")
    assert graph.components["Tomcat"].installer == "puppet"


def test_unresolved_component_references_point_at_the_name():
    graph, problems = load(GRAPHS, "unresolved-references.graph")
    f = "unresolved-references.graph"
    assert spans(problems) == [
        ("CO_INEXISTING_CHILD", "error", f, 3, 20, 27),  # `Tomcatt`
        ("CO_INEXISTING_FACET", "error", f, 8, 22, 32),  # `web-server`
        ("CO_INEXISTING_COMPONENT", "error", f, 17, 11, 25),  # `Server, Tomcat`: one super-component only
        ("CO_INEXISTING_COMPONENT", "error", f, 21, 11, 18),  # `Server ` keeps its trailing space
    ]
    assert problems[0].hint == "Did you mean `Tomcat`?"
    # facet resolution (phase 4: `extends: archive`, `children: War`) is gated by phase 3's errors
    assert not any(p.range.start_line >= 24 for p in problems)
    # ... but what resolves is linked
    assert graph.components["Tomcat"].super is graph.components["Server"]


def test_facet_references_are_resolved_once_components_are_clean():
    _graph, problems = load(GRAPHS, "facet-references.graph")
    f = "facet-references.graph"
    assert spans(problems) == [
        ("CO_INEXISTING_FACET", "error", f, 12, 11, 18),  # `archive`
        ("CO_INEXISTING_CHILD", "error", f, 13, 12, 15),  # `War`
    ]


def test_any_warning_disables_the_relation_phases(tmp_path):
    # Roboconf quirk (dsl.md §17.6): an empty imported file is a warning, and still gates CO_ phases
    (tmp_path / "main.graph").write_text("import empty.graph;\nVM {\n\tinstaller: target;\n\tchildren: Nope;\n}\n")
    (tmp_path / "empty.graph").write_text("# nothing yet\n")
    _graph, problems = load(tmp_path, "main.graph")
    assert spans(problems) == [("P_EMPTY_FILE", "warning", "empty.graph", 1, 1, 1)]


def test_a_broken_file_reports_no_relation_errors(tmp_path):
    (tmp_path / "main.graph").write_text("VM {\n\tinstaller: target;\n\tchildren: Nope;\n}\nX {\n\tinstaller\n}\n")
    _graph, problems = load(tmp_path, "main.graph")
    assert [p.code for p in problems] == ["P_INVALID_PROPERTY", "PM_INVALID_BLOCK_TYPE"]


# -- inheritance queries (§7) -------------------------------------------------------------------------


@pytest.fixture(scope="module")
def inheritance():
    graph, problems = load(GRAPHS, "inheritance.graph")
    assert problems == []
    return graph


def test_chain_follows_extends_up_to_the_root_component(inheritance):
    c = inheritance.components
    assert names(ih.chain(c["Tomcat8"])) == ["Tomcat8", "Tomcat", "Server"]
    assert names(ih.chain(c["VM"])) == ["VM"]


def test_installer_is_the_first_one_along_the_chain(inheritance):
    c = inheritance.components
    assert ih.installer(c["Tomcat"]) == "puppet"  # inherited from Server
    assert ih.installer(c["Tomcat8"]) == "script"  # its own


def test_sub_components_override_inherited_imports(inheritance):
    c = inheritance.components

    def flags(comp):
        return {k: d.optional for k, d in ih.imports(inheritance, comp).items()}

    assert flags(c["Server"]) == {"Database.ip": False, "Database.port": True}
    assert flags(c["Tomcat"]) == {"Database.ip": False, "Database.port": False}  # made mandatory
    assert flags(c["Tomcat8"]) == {"Database.ip": False, "Database.port": False}


def test_all_facets_include_inherited_facets_and_super_facets(inheritance):
    c = inheritance.components
    assert names(ih.all_facets(inheritance, c["Tomcat8"])) == ["java", "jvm", "web-server"]
    assert names(ih.all_facets(inheritance, c["Jetty"])) == ["java-server", "web-server"]


def test_a_facet_child_means_every_component_with_that_facet_or_a_sub_facet(inheritance):
    c = inheritance.components
    assert names(ih.all_children(inheritance, c["VM"])) == ["Server", "Tomcat", "Tomcat8", "Jetty", "Database"]


def test_children_are_inherited_through_extends_and_facets(inheritance):
    c = inheritance.components
    for comp in ("Server", "Tomcat", "Tomcat8", "Jetty"):
        assert names(ih.all_children(inheritance, c[comp])) == ["War"], comp


def test_all_ancestors_is_the_inverse_relation(inheritance):
    c = inheritance.components
    assert names(ih.all_ancestors(inheritance, c["War"])) == ["Server", "Tomcat", "Tomcat8", "Jetty"]
    assert names(ih.all_ancestors(inheritance, c["Tomcat8"])) == ["VM"]
    assert names(ih.root_components(inheritance)) == ["VM"]


def test_exports_through_facets_and_super_components(inheritance):
    c = inheritance.components
    assert ih.exports(inheritance, c["Tomcat"]) == {
        "jvm.heap": "512m",
        "java.version": "8",
        "Server.ip": None,
        "Server.port": "8080",  # overridden by suffix
        "Tomcat.port": "8080",
        "Tomcat.heap": "512m",
        "Tomcat.version": "8",
        "Tomcat.ip": None,
    }


@pytest.fixture(scope="module")
def exports_graph():
    graph, problems = load(GRAPHS, "exports.graph")
    assert problems == []
    return graph


@pytest.mark.parametrize(
    "component, expected",
    [
        ("MySQL", {"MySQL.ip": None, "MySQL.port": "3306"}),
        # a sub-component overriding by short name
        ("X", {"MySQL.ip": None, "MySQL.port": "1", "X.ip": None, "X.port": "1"}),
        # ... by full name of the super-component
        ("Y", {"MySQL.ip": None, "MySQL.port": "5", "Y.ip": None, "Y.port": "5"}),
        # ... by both full names: no replication over an explicit value
        (
            "My-Client-Database",
            {"MySQL.ip": None, "MySQL.port": "3307", "My-Client-Database.port": "3308", "My-Client-Database.ip": None},
        ),
        # components override facet values by suffix
        ("T", {"F.port": "1", "T.port": "1"}),
        # a dotted name is prefixed again; a later `exports` line overwrites an earlier one
        ("tomcat", {"tomcat.db.ip": None, "tomcat.url": "late"}),
    ],
)
def test_exported_variable_prefixing_follows_roboconf(exports_graph, component, expected):
    assert ih.exports(exports_graph, exports_graph.components[component]) == expected


def test_facet_exports_do_not_override_by_suffix(exports_graph):
    f = exports_graph.facets
    assert ih.facet_exports(exports_graph, f["F1"]) == {"F2.x": "2", "F2.y": None, "F1.x": "1"}
    assert ih.facet_exports(exports_graph, f["F2"]) == {"F2.x": "2", "F2.y": None}


def test_graph_exports_is_the_union_over_components(exports_graph):
    assert {"MySQL.port", "X.port", "T.port", "F.port", "tomcat.db.ip"} <= ih.graph_exports(exports_graph)


def test_cycles_in_extends_do_not_hang_the_queries(tmp_path):
    (tmp_path / "c.graph").write_text(
        "A {\n\tinstaller: target;\n\textends: B;\n\texports: a;\n}\n"
        "B {\n\textends: A;\n\texports: b;\n}\n"
        "facet F {\n\textends: G;\n}\nfacet G {\n\textends: F;\n}\n"
    )
    graph, problems = load(tmp_path, "c.graph")
    assert problems == []
    a, b = graph.components["A"], graph.components["B"]
    assert names(ih.chain(a)) == ["A", "B"]
    assert names(ih.extends_cycle(a)) == ["A", "B", "A"]
    assert set(ih.exports(graph, a)) >= {"A.a", "B.b"}
    assert names(ih.super_facets(graph.facets["F"])) == ["G", "F"]
    assert names(ih.all_children(graph, b)) == []
