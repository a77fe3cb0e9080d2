"""The three diagrams: every model relation is an edge of the right kind and the right style."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from rbcc.compiler.views import dot as dotgen
from rbcc.compiler.views.diagrams import (
    CHILDREN,
    CONTAINS,
    EXTENDS,
    EXTERNAL_IMPORT,
    HAS_FACET,
    IMPORTS,
    UNRESOLVED,
    WIRING,
    UnknownFocus,
    build_diagram,
    node_id,
)
from rbcc.compiler.wiring import resolve_wiring
from rbcc.dsl.model.elements import Component, walk_instances
from rbcc.dsl.validate import Validator
from tests.support import FIXTURES, REPO_DIR

RELATIONS = FIXTURES / "diagrams" / "relations"
BROKEN = FIXTURES / "diagrams" / "broken"
EXAMPLES = REPO_DIR / "examples"


def load(path: Path):
    app = Validator().validate(path).application
    assert app is not None and app.graph is not None
    return app


def diagram(path: Path, view: str, **kw):
    app = load(path)
    return build_diagram(view, app.graph, app.instances or app.all_instances, app.name, **kw)


def ref(node) -> str:
    return node_id("c" if isinstance(node, Component) else "f", node.name)


# ------------------------------------------------------------------------------------------
# DOT parsing (just enough to read our own output back)
# ------------------------------------------------------------------------------------------

_EDGE = re.compile(r'^\s*("(?:[^"\\]|\\.)*"|[\w.]+) -> ("(?:[^"\\]|\\.)*"|[\w.]+) \[(.*)\]$')
_ATTR = re.compile(r'(\w+)=("(?:[^"\\]|\\.)*"|<.*?>(?=\s\w+=|$)|[^\s"]+)')


def _unquote(s: str) -> str:
    return s[1:-1].replace('\\"', '"') if s.startswith('"') else s


def dot_edges(source: str) -> list[tuple[str, str, dict[str, str]]]:
    out = []
    for line in source.splitlines():
        m = _EDGE.match(line)
        if m:
            attrs = {k: _unquote(v) for k, v in _ATTR.findall(m.group(3))}
            out.append((_unquote(m.group(1)), _unquote(m.group(2)), attrs))
    return out


# ------------------------------------------------------------------------------------------
# components
# ------------------------------------------------------------------------------------------


def expected_component_edges(graph) -> set[tuple]:
    """Every relation of the model, computed from the model itself (not from the diagram code)."""
    out = set()
    for c in graph.components.values():
        if c.super is not None:
            out.add((ref(c), ref(c.super), EXTENDS, False))
        for f in c.facets:
            out.add((ref(c), ref(f), HAS_FACET, False))
        for child in c.children:
            out.add((ref(c), ref(child), CHILDREN, False))
        prefixes: dict[tuple[str, bool], list] = {}
        for decl in c.imports.values():
            prefixes.setdefault((decl.prefix, decl.external), []).append(decl)
        for (prefix, external), decls in prefixes.items():
            optional = all(d.optional for d in decls)
            if external:
                out.add((ref(c), node_id("x", prefix), EXTERNAL_IMPORT, optional))
            else:
                target = graph.node(prefix)
                out.add((ref(c), ref(target) if target else node_id("m", prefix), IMPORTS, optional))
    for f in graph.facets.values():
        for g in f.extends:
            out.add((ref(f), ref(g), EXTENDS, False))
        for child in f.children:
            out.add((ref(f), ref(child), CHILDREN, False))
    return out


@pytest.mark.parametrize("path", [RELATIONS, BROKEN, EXAMPLES / "lamp", EXAMPLES / "storm"], ids=lambda p: p.name)
def test_every_model_relation_is_an_edge_of_its_kind(path):
    assert path.is_dir(), f"{path} is missing"
    app = load(path)
    d = build_diagram("components", app.graph, [], app.name)
    got = {(e.source, e.target, e.kind, e.optional) for e in d.edges}
    assert got == expected_component_edges(app.graph)
    assert len(d.edges) == len(got), "one edge per relation"
    for e in d.edges:
        assert e.source in d.nodes and e.target in d.nodes


def test_the_fixture_covers_every_component_edge_kind_and_variant():
    d = diagram(RELATIONS, "components")
    kinds = {e.kind for e in d.edges}
    assert kinds == {CHILDREN, EXTENDS, HAS_FACET, IMPORTS, EXTERNAL_IMPORT}
    imports = {(e.source, e.target): e for e in d.edges if e.kind == IMPORTS}
    assert imports[("c/lb", "f/web")].optional and imports[("c/lb", "f/web")].wildcard
    assert imports[("c/lb", "f/web")].label == "web.*"
    assert not imports[("c/server", "c/db")].optional and imports[("c/server", "c/db")].label == ""
    assert imports[("c/db", "c/db")].optional  # a self-import is drawn as a loop
    # facet children, facet inheritance
    assert ("c/app-server", "f/deployable", CHILDREN) in {(e.source, e.target, e.kind) for e in d.edges}
    assert ("f/deployable", "f/artifact", EXTENDS) in {(e.source, e.target, e.kind) for e in d.edges}


def test_inherited_relations_are_not_repeated_on_sub_components():
    d = diagram(RELATIONS, "components")
    # app-server inherits server's imports of db: drawn once, on server
    assert not any(e.source == "c/app-server" and e.kind == IMPORTS for e in d.edges)


def test_each_edge_kind_has_its_own_style_in_dot():
    app = load(RELATIONS)
    d = build_diagram("components", app.graph, [], app.name)
    edges = dot_edges(dotgen.to_dot(d, legend=False))
    assert len(edges) == len(d.edges)
    by_class: dict[str, list] = {}
    for tail, head, attrs in edges:
        by_class.setdefault(attrs["class"].split()[0], []).append((tail, head, attrs))
    # containment: from the parent, a diamond on the parent's side
    for _tail, _head, a in by_class[CHILDREN]:
        assert a["arrowtail"] == "diamond" and a["dir"] == "back" and "style" not in a
    # inheritance: drawn from the super-type (which ranks above) with a hollow triangle on it
    ext = {(t, h) for t, h, _ in by_class[EXTENDS]}
    assert ("c/server", "c/app-server") in ext and ("f/artifact", "f/deployable") in ext
    for _, _, a in by_class[EXTENDS]:
        assert a["arrowtail"] == "empty" and a["dir"] == "back" and "style" not in a
    # facet membership: dotted, hollow triangle on the facet
    for t, _, a in by_class[HAS_FACET]:
        assert t.startswith("f/") and a["style"] == "dotted" and a["arrowtail"] == "empty"
    # imports: vee heads, not constraining the layout, dashed exactly when optional
    for _, _, a in by_class[IMPORTS]:
        assert a["arrowhead"] == "vee" and a["constraint"] == "false"
        assert (a.get("style") == "dashed") == ("optional" in a["class"].split())
        assert ("xlabel" in a) == ("wildcard" in a["class"].split())  # clusters: labels placed after layout
    # colours tell kinds apart too
    colours = {k: {a["color"] for _, _, a in v} for k, v in by_class.items()}
    assert all(len(c) == 1 for c in colours.values())
    assert len({next(iter(c)) for k, c in colours.items() if k != CHILDREN}) == len(colours) - 1


def test_clusters_by_root_when_there_are_several_roots():
    d = diagram(RELATIONS, "components")
    assert sorted(d.clusters) == ["root/host", "root/vm"]
    assert d.nodes["c/runtime"].cluster == "root/host"
    assert d.nodes["c/war"].cluster == "root/vm"
    assert d.nodes["f/artifact"].cluster == "root/host"  # all its components are in one cluster
    assert d.nodes["x/Auth"].cluster is None
    single = diagram(BROKEN, "components")
    assert single.clusters == {}


def test_missing_import_target_is_a_node_of_its_own():
    d = diagram(BROKEN, "components")
    assert d.nodes["m/cache"].kind == "missing"
    assert [(e.source, e.target, e.kind) for e in d.edges if e.kind == IMPORTS] == [("c/api", "m/cache", IMPORTS)]


# ------------------------------------------------------------------------------------------
# instances and wiring
# ------------------------------------------------------------------------------------------


def test_instances_view_is_the_declared_tree_with_counts():
    d = diagram(RELATIONS, "instances")
    assert sorted(d.clusters) == ["root/host", "root/vm-app", "root/vm-db1"]
    vm_db = d.nodes["i//vm-db1"]
    assert vm_db.label == "vm-db ×2" and vm_db.kind == "target"
    assert "'vm-db1', 'vm-db2'" in vm_db.tooltip
    assert "i//vm-db2" not in d.nodes  # the copy is not drawn again
    tree = {(e.source, e.target) for e in d.edges}
    assert tree == {
        ("i//vm-db1", "i//vm-db1/db"),
        ("i//vm-app", "i//vm-app/app"),
        ("i//vm-app", "i//vm-app/lb"),
        ("i//vm-app/app", "i//vm-app/app/shop"),
        ("i//host", "i//host/rt"),
    }
    assert {e.kind for e in d.edges} == {CONTAINS}
    assert d.nodes["i//vm-app/app"].detail == "app-server"


def test_wiring_view_has_one_edge_per_binding():
    app = load(RELATIONS)
    w = resolve_wiring(app.graph, walk_instances(app.instances))
    d = build_diagram("wiring", app.graph, app.instances, app.name)
    got = {(e.source, e.target) for e in d.edges if e.kind == WIRING}
    assert got == {(node_id("i", b.importer.path), node_id("i", b.exporter.path)) for b in w.bindings}
    assert len([e for e in d.edges if e.kind == WIRING]) == len(w.bindings)
    ext = [(e.source, e.target, e.label) for e in d.edges if e.kind == EXTERNAL_IMPORT]
    assert ext == [("i//vm-app/lb", "x/Auth", "Auth.token")]
    # machines that take no part stay out; count copies are real instances here
    assert "i//host/rt" not in d.nodes and "i//vm-db2/db" in d.nodes
    edges = dot_edges(dotgen.to_dot(d, legend=False))
    for _, _, a in edges:
        if a["class"].startswith(WIRING):
            assert (a.get("style") == "dashed") == ("optional" in a["class"])


def test_wiring_view_shows_unresolved_mandatory_imports():
    d = diagram(BROKEN, "wiring")
    assert [(e.source, e.target, e.kind, e.label) for e in d.edges] == [
        ("i//vm/api", "m/cache", UNRESOLVED, "cache.host")
    ]


# ------------------------------------------------------------------------------------------
# focus, determinism, JSON, legend
# ------------------------------------------------------------------------------------------


def test_focus_keeps_the_neighbourhood():
    d = diagram(RELATIONS, "components", focus="war", depth=1)
    assert set(d.nodes) == {"c/war", "f/deployable", "c/app-server"}
    assert all(e.source in d.nodes and e.target in d.nodes for e in d.edges)
    assert set(d.clusters) == {"root/vm"}
    d2 = diagram(RELATIONS, "components", focus="war", depth=2)
    assert {"c/server", "f/artifact"} <= set(d2.nodes)
    d0 = diagram(RELATIONS, "components", focus="war", depth=0)
    assert set(d0.nodes) == {"c/war"} and d0.edges == []


def test_focus_on_instance_views_selects_instances_of_the_component():
    d = diagram(RELATIONS, "wiring", focus="db", depth=1)
    assert set(d.nodes) == {"i//vm-db1/db", "i//vm-db2/db", "i//vm-app/app"}
    d = diagram(RELATIONS, "instances", focus="deployable", depth=0)  # a facet: its components' instances
    assert set(d.nodes) == {"i//vm-app/app/shop"}


def test_focus_on_an_unknown_name_suggests():
    with pytest.raises(UnknownFocus, match="did you mean server"):
        diagram(RELATIONS, "components", focus="servr")


@pytest.mark.parametrize("view", ["components", "instances", "wiring"])
def test_output_is_deterministic(view):
    a = dotgen.to_dot(diagram(RELATIONS, view))
    b = dotgen.to_dot(diagram(RELATIONS, view))
    assert a == b
    assert json.dumps(diagram(RELATIONS, view).to_json()) == json.dumps(diagram(RELATIONS, view).to_json())


def test_json_document():
    doc = diagram(RELATIONS, "components").to_json()
    assert doc["format"] == "rbcc-diagram" and doc["version"] == 1 and doc["view"] == "components"
    ids = {n["id"] for n in doc["nodes"]}
    assert all(e["source"] in ids and e["target"] in ids for e in doc["edges"])
    assert {n["kind"] for n in doc["nodes"]} == {"component", "target", "facet", "external"}
    json.dumps(doc)  # serialisable


def test_legend_lists_what_is_drawn():
    source = dotgen.to_dot(diagram(BROKEN, "wiring"))
    legend = next(line for line in source.splitlines() if line.strip().startswith("legend "))
    assert "unresolved mandatory import" in legend and "a prefix no component or instance exports" in legend
    assert "has facet" not in legend
    assert "legend [" not in dotgen.to_dot(diagram(BROKEN, "wiring"), legend=False)


def test_awkward_names_stay_valid_dot():
    from rbcc.compiler.views.diagrams import Diagram, Edge, Node

    d = Diagram("components", 'A "quoted" \\ title')
    d.add(Node(node_id("i", '/a:b/"c"\\'), "instance", "x", 'x <b> & "y"', "line1\nline2"))
    d.add(Node(node_id("i", "/z"), "instance", "z", "z"))
    d.link(Edge(node_id("i", '/a:b/"c"\\'), node_id("i", "/z"), WIRING, 'la"bel\\', tooltip="t\\"))
    source = dotgen.to_dot(d)
    assert ":" not in node_id("i", "/a:b")
    assert "&lt;b&gt; &amp; &quot;y&quot;" in source
    assert len(dot_edges(source)) == 1


def test_empty_diagram():
    from rbcc.compiler.views.diagrams import Diagram

    source = dotgen.to_dot(Diagram("instances", "Empty"))
    assert source.startswith("// rbcc graph --view instances: Empty\ndigraph instances {")


# ------------------------------------------------------------------------------------------
# Large applications
# ------------------------------------------------------------------------------------------


def test_large_components_view_leaves_imports_then_clusters_out(monkeypatch):
    from rbcc.compiler.views import diagrams

    monkeypatch.setattr(diagrams, "LARGE", 5)
    d = diagram(RELATIONS, "components")
    assert not any(e.kind in (IMPORTS, EXTERNAL_IMPORT) for e in d.edges)
    assert d.clusters and d.note.startswith("6 imports not drawn (11 components and facets)")
    assert "6 imports not drawn" in dotgen.to_dot(d)
    monkeypatch.setattr(diagrams, "LARGE_CLUSTERS", 5)
    d = diagram(RELATIONS, "components")
    assert d.clusters == {} and "and the root clusters" in d.note
    # --full and --focus draw everything
    assert any(e.kind == IMPORTS for e in diagram(RELATIONS, "components", full=True).edges)
    focused = diagram(RELATIONS, "components", focus="lb")
    assert focused.note == "" and any(e.kind == IMPORTS for e in focused.edges)


def test_large_wiring_is_drawn_machine_to_machine(monkeypatch):
    from rbcc.compiler.views import diagrams

    monkeypatch.setattr(diagrams, "LARGE_WIRING", 2)
    d = diagram(RELATIONS, "wiring")
    assert d.note == "6 instance imports, grouped by machine: use --focus COMPONENT or --full"
    assert set(d.nodes) == {"i//vm-app", "i//vm-db1", "i//vm-db2", "x/Auth"}
    edges = {(e.source, e.target): e for e in d.edges}
    assert edges[("i//vm-app", "i//vm-db1")].label == "1 × db"
    assert edges[("i//vm-app", "i//vm-app")].label == "2 × app-server, web"  # within the machine
    assert edges[("i//vm-db1", "i//vm-db2")].optional
    assert edges[("i//vm-app", "x/Auth")].kind == EXTERNAL_IMPORT
    assert d.nodes["i//vm-app"].detail == "vm, 4 instances"
    assert diagram(RELATIONS, "wiring", full=True).note == ""


@pytest.mark.parametrize("view", ["components", "instances", "wiring"])
def test_a_generated_application_renders(tmp_path_factory, view):
    """A realistic synthetic application (benchmarks/generate.py) renders with the real dot."""
    import sys

    from tests.support import REPO, need

    gen = REPO / "benchmarks" / "generate.py"
    assert gen.is_file(), "benchmarks/generate.py is missing"
    need(dotgen.find_dot() is not None, "Graphviz's dot is not installed (Debian package graphviz)")
    root = tmp_path_factory.getbasetemp() / "generated-120"
    if not (root / "descriptor").is_dir():
        sys.path.insert(0, str(gen.parent))
        try:
            from generate import generate
        finally:
            sys.path.remove(str(gen.parent))
        generate(120, 1, root)
    d = diagram(root, view)
    svg = dotgen.render(dotgen.to_dot(d), "svg", timeout=120).decode("utf-8")
    assert svg.count('class="edge ') == len(d.edges)


def test_too_dense():
    from rbcc.compiler.views.diagrams import Diagram, Edge, Node

    def make(nodes: int, edges: int) -> Diagram:
        d = Diagram("wiring", "t")
        for i in range(nodes):
            d.add(Node(f"n{i}", "instance", str(i), str(i)))
        d.edges = [Edge(f"n{i % nodes}", f"n{(i * 7) % nodes}", WIRING) for i in range(edges)]
        return d

    assert dotgen.too_dense(make(100, 1001))  # 10 edges per node
    assert not dotgen.too_dense(make(300, 1001))  # 3.3 per node
    assert not dotgen.too_dense(make(10, 900))  # few edges in all
    assert not dotgen.too_dense(diagram(RELATIONS, "wiring"))
