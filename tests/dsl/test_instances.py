"""Instances (dsl.md §8): building, CO_ codes, ``count`` expansion and overridden exports.

Fixtures: ``tests/fixtures/instances/`` (``app.graph`` and ``overrides.graph`` are the graphs the
instance files are written against).  The expected paths and exported values were checked against
Roboconf's own model (InstanceHelpers).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from rbcc.dsl.model import inheritance as ih
from rbcc.dsl.model.elements import walk_instances
from rbcc.dsl.model.graph_builder import load_graph
from rbcc.dsl.model.instances_builder import expand_counts, load_instances
from rbcc.dsl.text.files import Sources
from rbcc.dsl.text.parser import ParseCache
from tests.support import FIXTURES_DIR

HERE = FIXTURES_DIR / "instances"


def load(entry: str, graph_file: str = "app.graph", directory: Path = HERE):
    cache = ParseCache()
    sources = Sources(directory)
    graph, problems = load_graph(graph_file, "", sources, cache)
    assert problems == []
    roots, problems, _files = load_instances(entry, "", graph, sources, cache)
    return graph, roots, problems


def spans(problems) -> list[tuple]:
    return [
        (p.code, p.level.value, p.range.file, p.range.start_line, p.range.start_column, p.range.end_column)
        for p in problems
    ]


def paths(roots) -> list[str]:
    return [i.path for i in walk_instances(roots)]


def by_path(roots) -> dict:
    return {i.path: i for i in walk_instances(roots)}


# -- count expansion (§8.4) -----------------------------------------------------------------------------


def test_count_naming_keeps_the_space_typed_before_the_semicolon():
    _g, roots, problems = load("counts.instances")
    assert problems == []
    assert [r.name for r in roots[:3]] == ["VM 1", "VM 2", "VM 3"]


def test_count_pads_to_the_width_of_n_without_separator():
    _g, roots, _ = load("counts.instances")
    assert [r.name for r in roots[3:]] == [f"i-vm-{i:02d}" for i in range(1, 11)]


def test_count_copies_the_subtree_and_expands_children_first():
    _g, roots, _ = load("counts.instances")
    assert paths(roots[:1]) == ["/VM 1", "/VM 1/tomcat1", "/VM 1/tomcat2", "/VM 1/tomcat1/app", "/VM 1/tomcat2/app"]
    assert paths(roots[2:3]) == ["/VM 3", "/VM 3/tomcat1", "/VM 3/tomcat2", "/VM 3/tomcat1/app", "/VM 3/tomcat2/app"]
    assert len(paths(roots)) == 3 * 5 + 10


def test_count_copies_keep_overrides_and_channels_but_not_data_or_state():
    _g, roots, _ = load("counts.instances")
    inst = by_path(roots)
    first, copy = inst["/VM 1"], inst["/VM 2"]
    assert first.data == {"ec2.elastic.ip": "192.168.1.10", "ip.address": "10.0.0.1", "machine.id": "i-42"}
    assert first.state == "DEPLOYED_STARTED"  # case-insensitive
    assert (copy.data, copy.state) == ({}, "NOT_DEPLOYED")
    assert first.channels == copy.channels == ["c1", "c2"]
    assert inst["/VM 3/tomcat2"].overrides == {"port": "9000"}
    assert copy.copied_from is first


@pytest.mark.parametrize("n, first, last", [(3, "x1", "x3"), (10, "x01", "x10"), (1020, "x0001", "x1020")])
def test_count_width_examples(tmp_path, n, first, last):
    (tmp_path / "g.graph").write_text("VM {\n\tinstaller: target;\n}\n")
    (tmp_path / "i.instances").write_text(f"instance of VM {{\n\tname: x;\n\tcount: {n};\n}}\n")
    _g, roots, problems = load("i.instances", "g.graph", tmp_path)
    assert problems == []
    assert (len(roots), roots[0].name, roots[-1].name) == (n, first, last)


def test_inferred_instance_conflicting_with_a_declared_root():
    # Roboconf's quirk: only `i-vm-2` is reported; the clash with the renamed `i-vm-1` is not
    _g, roots, problems = load("inferred-conflicts.instances")
    assert spans(problems) == [
        ("CO_CONFLICTING_INFERRED_INSTANCE", "error", "inferred-conflicts.instances", 5, 1, 17),
    ]
    assert "i-vm-2" in problems[0].message
    assert [(r.range.start_line, r.range.start_column) for r in problems[0].related] == [(10, 1)]
    assert [r.name for r in roots] == ["i-vm-1", "i-vm-1", "i-vm-2", "i-vm-3"]


def test_copies_under_a_parent_yield_to_a_declared_sibling(tmp_path):
    (tmp_path / "g.graph").write_text("VM {\n\tinstaller: target;\n\tchildren: T;\n}\nT {\n\tinstaller: x;\n}\n")
    (tmp_path / "i.instances").write_text(
        "instance of VM {\n\tname: vm;\n"
        "\tinstance of T {\n\t\tname: t2;\n\t\tport: declared;\n\t}\n"
        "\tinstance of T {\n\t\tname: t;\n\t\tcount: 3;\n\t}\n}\n"
    )
    _g, roots, problems = load("i.instances", "g.graph", tmp_path)
    assert problems == []  # silently merged, no CO_CONFLICTING_INFERRED_INSTANCE for children
    children = {c.name: c for c in roots[0].children}
    assert sorted(children) == ["t1", "t2", "t3"]
    assert children["t2"].overrides == {"port": "declared"}


def test_any_problem_disables_count_expansion(tmp_path):
    (tmp_path / "g.graph").write_text("VM {\n\tinstaller: target;\n}\n")
    (tmp_path / "i.instances").write_text(
        "instance of VM {\n\tname: a;\n\tcount: 1;\n}\ninstance of VM {\n\tname: b;\n\tcount: 2;\n}\n"
    )
    _g, roots, problems = load("i.instances", "g.graph", tmp_path)
    assert [p.code for p in problems] == ["PM_USELESS_INSTANCE_COUNT"]
    assert [r.name for r in roots] == ["a", "b"]


def test_expand_counts_is_usable_on_its_own():
    _g, roots, problems = load("overrides.instances", "overrides.graph")
    roots[0].children[0].count = 2
    expanded = expand_counts(roots, problems)
    assert [c.name for c in expanded[0].children][:3] == ["by-suffix1", "ambiguous", "full-name"]
    assert "by-suffix2" in [c.name for c in expanded[0].children]


# -- CO_ codes (§8.2) ------------------------------------------------------------------------------------


def test_every_block_of_a_duplicate_path_is_reported_on_its_name():
    _g, roots, problems = load("duplicates.instances")
    assert spans(problems) == [
        ("CO_ALREADY_DEFINED_INSTANCE", "error", "duplicates.instances", 4, 8, 10),
        ("CO_ALREADY_DEFINED_INSTANCE", "error", "more.instances", 2, 8, 10),
        ("CO_ALREADY_DEFINED_INSTANCE", "error", "duplicates.instances", 6, 9, 15),
        ("CO_ALREADY_DEFINED_INSTANCE", "error", "duplicates.instances", 9, 9, 15),
    ]
    assert [(r.range.file, r.range.start_line) for r in problems[0].related] == [("more.instances", 1)]
    # children of one parent form a set: the second `tomcat` is merged away
    assert paths(roots) == ["/vm", "/vm/tomcat"]


def test_unknown_component_is_reported_on_its_name_and_its_children_are_skipped():
    _g, roots, problems = load("unknown-component.instances")
    assert spans(problems) == [
        ("CO_INEXISTING_COMPONENT", "error", "unknown-component.instances", 3, 14, 21),
        ("CO_INEXISTING_COMPONENT", "error", "unknown-component.instances", 11, 13, 16),
    ]
    assert "`web` is a facet" in (problems[1].hint or "")
    assert paths(roots) == ["/vm", "/vm/tomcat", "/w"]


def test_graph_file_imported_from_instances_is_co_not_instances():
    _g, roots, problems = load("imports-a-graph.instances")
    assert spans(problems) == [("CO_NOT_INSTANCES", "error", "app.graph", 1, 1, 1)]
    assert paths(roots) == ["/vm"]


# -- properties and overridden exports (§8.1, §8.5) ------------------------------------------------------


@pytest.fixture(scope="module")
def overrides():
    graph, roots, problems = load("overrides.instances", "overrides.graph")
    assert problems == []
    return graph, by_path(roots)


def test_instance_properties_are_sorted_into_data_overrides_and_keywords(overrides):
    _graph, inst = overrides
    magic = inst["/vm/magic"]
    assert magic.data == {"note": "kept as data"}
    # quotes around a value are removed (inner spaces kept); `channel` is an overridden export
    assert magic.overrides == {"colour": " blue ", "channel": "c"}
    assert magic.channels == []
    assert inst["/vm/full-name"].overrides == {"Base.port": "7"}
    assert inst["/vm/by-suffix"].overrides == {"admin": "9000", "path": "/app "}  # not right-trimmed


def test_override_range_is_the_property_name(overrides):
    _graph, inst = overrides
    r = inst["/vm/magic"].override_ranges["colour"]
    assert (r.start_line, r.start_column, r.end_column) == (19, 3, 9)


def test_override_by_unique_suffix_replaces_that_variable(overrides):
    graph, inst = overrides
    values = ih.instance_exports(graph, inst["/vm/by-suffix"])
    assert values["Sub.admin"] == "9000"  # a random variable may be forced
    assert "admin" not in values


def test_override_by_ambiguous_suffix_replaces_all_and_adds_the_raw_name(overrides):
    graph, inst = overrides
    assert ih.instance_exports(graph, inst["/vm/ambiguous"]) == {
        "Base.port": "5",
        "Base.path": "/",
        "Sub.port": "5",
        "Sub.admin": None,
        "Sub.path": "/",
        "port": "5",
    }


def test_override_by_full_name_replaces_only_that_variable(overrides):
    graph, inst = overrides
    values = ih.instance_exports(graph, inst["/vm/full-name"])
    assert (values["Base.port"], values["Sub.port"]) == ("7", "2")


def test_magic_overrides_are_added_as_written(overrides):
    graph, inst = overrides
    values = ih.instance_exports(graph, inst["/vm/magic"])
    assert (values["colour"], values["channel"]) == (" blue ", "c")


def test_instance_data_items_split_at_the_first_equals(tmp_path):
    (tmp_path / "g.graph").write_text("VM {\n\tinstaller: target;\n}\n")
    (tmp_path / "i.instances").write_text(
        "instance of VM {\n\tname: vm;\n\tinstance-data: a = b = c, =x, bare, ;\n\tinstance-state: nonsense;\n}\n"
    )
    _g, roots, problems = load("i.instances", "g.graph", tmp_path)
    assert problems == []
    assert roots[0].data == {"a": "b = c", "=x": None, "bare": None, "": None}
    assert roots[0].state == "NOT_DEPLOYED"
