"""The three diagrams of an application as plain data: ``components``, ``instances``, ``wiring``.

A ``Diagram`` is a list of typed nodes, typed edges and clusters, independent of Graphviz:
``dotgen`` turns it into DOT (and SVG, PNG, PDF through ``dot``), ``to_json`` into the
``--format json`` document that editors use.  Builders never fail on a broken application:
they draw whatever the loader could build.

Edges keep their *semantic* direction (``extends``: sub → super; ``children``: parent → child;
``facet``: component → facet; ``imports`` and ``wiring``: importer → exporter); how each kind is
drawn is ``dotgen``'s business.  Everything is sorted, so the same input gives the same diagram.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from rbcc.compiler.wiring import ImportGroup, Wiring, import_groups, resolve_wiring
from rbcc.dsl import Component, Facet, Graph, Instance, walk_instances
from rbcc.dsl import inheritance as ih
from rbcc.errors import RbccError

VIEWS = ("components", "instances", "wiring")
#: every view ``rbcc graph`` draws: the site's three, and the start-up order
ALL_VIEWS = (*VIEWS, "startup")

#: node kinds
COMPONENT, TARGET, FACET, INSTANCE, EXTERNAL, MISSING = (
    "component",
    "target",
    "facet",
    "instance",
    "external",
    "missing",
)
#: edge kinds
CHILDREN, EXTENDS, HAS_FACET, IMPORTS, EXTERNAL_IMPORT, CONTAINS, WIRING, UNRESOLVED = (
    "children",
    "extends",
    "facet",
    "imports",
    "external",
    "contains",
    "wiring",
    "unresolved",
)
#: start-up edges: after the parent, after one exporter of a mandatory import
AFTER_PARENT, AFTER_IMPORT, AFTER_ANY = ("after-parent", "after-import", "after-any")

JSON_FORMAT = "rbcc-diagram"
JSON_VERSION = 1


@dataclass
class Node:
    id: str
    kind: str
    name: str  # component/facet name, instance path, application prefix
    label: str  # first line of the drawn label
    detail: str = ""  # second line (installer, component type...)
    cluster: str | None = None
    component: str | None = None  # for focus: the component this node stands for
    tooltip: str = ""
    url: str | None = None


@dataclass
class Edge:
    source: str
    target: str
    kind: str
    label: str = ""
    optional: bool = False
    wildcard: bool = False
    tooltip: str = ""


@dataclass
class Cluster:
    id: str
    label: str
    parent: str | None = None


@dataclass
class Diagram:
    view: str
    title: str
    nodes: dict[str, Node] = field(default_factory=dict)
    edges: list[Edge] = field(default_factory=list)
    clusters: dict[str, Cluster] = field(default_factory=dict)
    #: what was left out, said under the title (``""``: everything is drawn)
    note: str = ""

    def add(self, node: Node) -> Node:
        return self.nodes.setdefault(node.id, node)

    def link(self, edge: Edge) -> None:
        self.edges.append(edge)

    def edge_kinds(self) -> list[str]:
        return sorted({e.kind for e in self.edges})

    def node_kinds(self) -> list[str]:
        return sorted({n.kind for n in self.nodes.values()})

    def focus(self, seeds: Iterable[str], depth: int) -> Diagram:
        """The sub-diagram of nodes at most ``depth`` edges away from ``seeds`` (any direction)."""
        neighbours: dict[str, set[str]] = {}
        for e in self.edges:
            neighbours.setdefault(e.source, set()).add(e.target)
            neighbours.setdefault(e.target, set()).add(e.source)
        keep = {s for s in seeds if s in self.nodes}
        frontier = set(keep)
        for _ in range(depth):
            frontier = {n for f in frontier for n in neighbours.get(f, ())} - keep
            if not frontier:
                break
            keep |= frontier
        out = Diagram(self.view, self.title, note=self.note)
        out.nodes = {k: v for k, v in self.nodes.items() if k in keep}
        out.edges = [e for e in self.edges if e.source in keep and e.target in keep]
        used = {n.cluster for n in out.nodes.values() if n.cluster}
        for cid in list(used):
            parent = self.clusters[cid].parent
            while parent is not None and parent not in used:
                used.add(parent)
                parent = self.clusters[parent].parent
        out.clusters = {k: v for k, v in self.clusters.items() if k in used}
        return out

    def to_json(self) -> dict:
        """The ``--format json`` document (documented in docs/graph-and-doc.md)."""
        return {
            "format": JSON_FORMAT,
            "version": JSON_VERSION,
            "view": self.view,
            "title": self.title,
            "note": self.note,
            "clusters": [{"id": c.id, "label": c.label, "parent": c.parent} for c in self.clusters.values()],
            "nodes": [
                {
                    "id": n.id,
                    "kind": n.kind,
                    "name": n.name,
                    "label": n.label,
                    "detail": n.detail,
                    "cluster": n.cluster,
                    "component": n.component,
                }
                for n in self.nodes.values()
            ],
            "edges": [
                {
                    "source": e.source,
                    "target": e.target,
                    "kind": e.kind,
                    "label": e.label,
                    "optional": e.optional,
                    "wildcard": e.wildcard,
                    "tooltip": e.tooltip,
                }
                for e in self.edges
            ],
        }


class UnknownFocus(RbccError, ValueError):
    """``--focus`` names no component or facet of the application."""

    def __init__(self, name: str, known: Iterable[str]) -> None:
        close = difflib.get_close_matches(name, sorted(known), n=3)
        hint = f" (did you mean {', '.join(close)}?)" if close else ""
        super().__init__(f"no component or facet named {name!r}{hint}")
        self.name = name


# ------------------------------------------------------------------------------------------
# Identifiers
# ------------------------------------------------------------------------------------------


def node_id(kind: str, name: str) -> str:
    """A DOT-safe, stable node identifier (no ``:``, which DOT reads as a port)."""
    safe = "".join(ch if (ch.isalnum() or ch in "_-./ ") else f"%{ord(ch):02X}" for ch in name)
    return f"{kind}/{safe}"


def _component_id(name: str) -> str:
    return node_id("c", name)


def _facet_id(name: str) -> str:
    return node_id("f", name)


def _instance_id(inst: Instance) -> str:
    return node_id("i", inst.path)


# ------------------------------------------------------------------------------------------
# components
# ------------------------------------------------------------------------------------------

LinkFn = Callable[[str, str], "str | None"]  # (kind, name) -> URL, for the documentation site


def components_diagram(
    graph: Graph, title: str, links: LinkFn | None = None, *, imports: bool = True, clusters: bool = True
) -> Diagram:
    """Components and facets with containment, inheritance, facets and imports (as declared).

    Inherited relations are not repeated on sub-components: they follow from the ``extends``
    edges.  With several root components, each root's subtree is drawn in its own cluster.
    ``imports=False`` leaves the import edges out, ``clusters=False`` the clusters (see ``LARGE``).
    """
    d = Diagram("components", title)
    comps = sorted(graph.components.values(), key=lambda c: c.name)
    facets = sorted(graph.facets.values(), key=lambda f: f.name)
    cluster_of = _root_clusters(graph, d) if clusters else {}
    for c in comps:
        inst = ih.installer(c)
        kind = TARGET if inst is not None and inst.strip().lower() == "target" else COMPONENT
        d.add(
            Node(
                _component_id(c.name),
                kind,
                c.name,
                c.name,
                inst or "(no installer)",
                cluster_of.get(c.name),
                c.name,
                _doc_tooltip(c.doc, c.name),
                links(COMPONENT, c.name) if links else None,
            )
        )
    for f in facets:
        d.add(
            Node(
                _facet_id(f.name),
                FACET,
                f.name,
                f.name,
                "facet",
                _facet_cluster(f, cluster_of),
                f.name,
                _doc_tooltip(f.doc, f.name),
                links(FACET, f.name) if links else None,
            )
        )

    def ref_id(node: Component | Facet) -> str:
        return _component_id(node.name) if isinstance(node, Component) else _facet_id(node.name)

    for c in comps:
        cid = _component_id(c.name)
        if c.super is not None:
            d.link(Edge(cid, _component_id(c.super.name), EXTENDS))
        for f in sorted(c.facets, key=lambda x: x.name):
            d.link(Edge(cid, _facet_id(f.name), HAS_FACET))
        for child in sorted(c.children, key=lambda x: (isinstance(x, Facet), x.name)):
            d.link(Edge(cid, ref_id(child), CHILDREN))
        for group in _own_import_groups(graph, c) if imports else ():
            names = ", ".join(group.names)
            if group.external:
                target = d.add(
                    Node(node_id("x", group.prefix), EXTERNAL, group.prefix, group.prefix, "external application")
                )
                d.link(Edge(cid, target.id, EXTERNAL_IMPORT, group.label(), group.optional, group.wildcard, names))
                continue
            node = graph.node(group.prefix)
            if node is None:
                target = d.add(
                    Node(node_id("m", group.prefix), MISSING, group.prefix, group.prefix, "nothing exports it")
                )
                tid = target.id
            else:
                tid = ref_id(node)
            label = f"{group.prefix}.*" if group.wildcard else ""
            d.link(Edge(cid, tid, IMPORTS, label, group.optional, group.wildcard, names))
    for f in facets:
        fid = _facet_id(f.name)
        for sup in sorted(f.extends, key=lambda x: x.name):
            d.link(Edge(fid, _facet_id(sup.name), EXTENDS))
        for child in sorted(f.children, key=lambda x: (isinstance(x, Facet), x.name)):
            d.link(Edge(fid, ref_id(child), CHILDREN))
    return d


def _own_import_groups(graph: Graph, c: Component):
    """Import groups of the imports ``c`` declares itself (inherited ones are drawn on its super)."""
    own = set(c.imports)
    for group in import_groups(graph, c):
        names = tuple(n for n in group.names if n in own)
        if names:
            decls = [c.imports[n] for n in names]
            yield ImportGroup(group.prefix, names, all(x.optional for x in decls), group.external)


def _root_clusters(graph: Graph, d: Diagram) -> dict[str, str]:
    """component name → cluster id, one cluster per root, when there are several roots."""
    roots = sorted(ih.root_components(graph), key=lambda c: c.name)
    if len(roots) < 2:
        return {}
    out: dict[str, str] = {}
    for r in roots:
        cid = f"root/{r.name}"
        d.clusters[cid] = Cluster(cid, f"root {r.name}")
        queue = [r]
        while queue:
            c = queue.pop(0)
            if c.name in out:
                continue
            out[c.name] = cid
            queue.extend(sorted(ih.all_children(graph, c), key=lambda x: x.name))
    used = set(out.values())
    d.clusters = {k: v for k, v in d.clusters.items() if k in used}
    return out


def _facet_cluster(f: Facet, cluster_of: dict[str, str]) -> str | None:
    where = {cluster_of.get(c.name) for c in f.components}
    if len(where) == 1:
        return where.pop()
    return None


def _doc_tooltip(doc: str | None, name: str) -> str:
    return doc.strip() if doc else name


# ------------------------------------------------------------------------------------------
# instances
# ------------------------------------------------------------------------------------------


def declared_name(inst: Instance) -> str:
    """The name written in the instances file (before ``count`` renamed the first copy)."""
    prop = inst.block.first("name") if inst.block is not None else None
    return prop.value if prop is not None else inst.name


def copies(inst: Instance, roots: list[Instance]) -> list[Instance]:
    """``inst`` and the copies ``count`` made of it, among its siblings (``roots`` for a root)."""
    siblings = inst.parent.children if inst.parent is not None else roots
    return [inst] + [s for s in siblings if s.copied_from is inst]


def instances_diagram(roots: list[Instance], title: str, links: LinkFn | None = None) -> Diagram:
    """The instance tree, one cluster per root instance (a machine or container).

    Instances declared with ``count: N`` are drawn once, with ``×N``: their copies are identical.
    """
    d = Diagram("instances", title)
    for root in roots:
        if root.copied_from is not None:
            continue
        cid = f"root{root.path}"
        d.clusters[cid] = Cluster(cid, _instance_title(root))
        stack = [root]
        while stack:
            inst = stack.pop(0)
            nid = _instance_id(inst)
            d.add(
                Node(
                    nid,
                    TARGET if inst.parent is None and _is_target(inst) else INSTANCE,
                    inst.path,
                    _instance_title(inst),
                    inst.component_name,
                    cid,
                    inst.component_name,
                    _instance_tooltip(inst, roots),
                    links(INSTANCE, inst.path) if links else None,
                )
            )
            for child in inst.children:
                if child.copied_from is not None:
                    continue
                d.link(Edge(nid, _instance_id(child), CONTAINS))
                stack.append(child)
    return d


def _is_target(inst: Instance) -> bool:
    installer = ih.installer(inst.component) if inst.component is not None else None
    return installer is not None and installer.strip().lower() == "target"


def _instance_title(inst: Instance) -> str:
    n = inst.count
    if n > 1:
        return f"{declared_name(inst).strip()} ×{n}"
    return inst.name


def _instance_tooltip(inst: Instance, roots: list[Instance]) -> str:
    if inst.count <= 1:
        return inst.path
    names = [c.name for c in copies(inst, roots)]
    return f"{inst.count} instances: " + ", ".join(repr(x) for x in names)


# ------------------------------------------------------------------------------------------
# wiring
# ------------------------------------------------------------------------------------------


def wiring_diagram(
    graph: Graph, roots: list[Instance], title: str, links: LinkFn | None = None, wiring: Wiring | None = None
) -> Diagram:
    """Who imports what from whom once imports are resolved (``wiring.resolve_wiring``).

    One node per real instance (``count`` copies included) taking part in an import, clustered by
    root instance; unresolved mandatory imports point at a red *missing* node, external imports
    at the other application.
    """
    wiring = wiring or resolve_wiring(graph, walk_instances(roots))
    d = Diagram("wiring", title)
    involved: set[int] = set()
    for b in wiring.bindings:
        involved.update((id(b.importer), id(b.exporter)))
    for u in wiring.unresolved:
        if u.blocking:
            involved.add(id(u.importer))
    for x in wiring.external:
        involved.add(id(x.importer))
    for root in roots:
        members = [i for i in root.walk() if id(i) in involved]
        if not members:
            continue
        cid = f"root{root.path}"
        d.clusters[cid] = Cluster(cid, root.name)
        for inst in members:
            d.add(
                Node(
                    _instance_id(inst),
                    INSTANCE,
                    inst.path,
                    inst.name,
                    inst.component_name,
                    cid,
                    inst.component_name,
                    inst.path,
                    links(INSTANCE, inst.path) if links else None,
                )
            )
    for b in wiring.bindings:
        received = ", ".join(f"{k} = {v}" if v is not None else k for k, v in b.variables) or "(no variable yet)"
        d.link(
            Edge(
                _instance_id(b.importer),
                _instance_id(b.exporter),
                WIRING,
                b.group.label(),
                b.optional,
                b.group.wildcard,
                received,
            )
        )
    for u in wiring.unresolved:
        if not u.blocking:
            continue
        target = d.add(
            Node(node_id("m", u.group.prefix), MISSING, u.group.prefix, f"{u.group.prefix}.*", "no exporting instance")
        )
        d.link(
            Edge(
                _instance_id(u.importer),
                target.id,
                UNRESOLVED,
                u.group.label(),
                False,
                u.group.wildcard,
                ", ".join(u.group.names),
            )
        )
    for x in wiring.external:
        target = d.add(
            Node(node_id("x", x.group.prefix), EXTERNAL, x.group.prefix, x.group.prefix, "external application")
        )
        d.link(
            Edge(
                _instance_id(x.importer),
                target.id,
                EXTERNAL_IMPORT,
                x.group.label(),
                x.group.optional,
                x.group.wildcard,
                ", ".join(x.group.names),
            )
        )
    return d


def machine_wiring_diagram(roots: list[Instance], title: str, wiring: Wiring, links: LinkFn | None = None) -> Diagram:
    """The wiring of a large application summed up per root instance (machine to machine)."""
    d = Diagram("wiring", title)

    def root_of(inst: Instance) -> Instance:
        while inst.parent is not None:
            inst = inst.parent
        return inst

    size = {id(r): sum(1 for _ in r.walk()) for r in roots}

    def machine(inst: Instance) -> str:
        r = root_of(inst)
        nid = _instance_id(r)
        if nid not in d.nodes:
            kind = TARGET if _is_target(r) else INSTANCE
            n = size.get(id(r), 1)
            d.add(
                Node(
                    nid,
                    kind,
                    r.path,
                    r.name,
                    f"{r.component_name}, {n} instance{'s' if n > 1 else ''}",
                    None,
                    r.component_name,
                    r.path,
                    links(INSTANCE, r.path) if links else None,
                )
            )
        return nid

    pairs: dict[tuple[str, str], list] = {}
    for b in wiring.bindings:
        pairs.setdefault((machine(b.importer), machine(b.exporter)), []).append(b)
    for (src, dst), group in pairs.items():
        prefixes = sorted({b.prefix for b in group})
        shown = ", ".join(prefixes[:3]) + (", …" if len(prefixes) > 3 else "")
        d.link(
            Edge(
                src, dst, WIRING, f"{len(group)} × {shown}", all(b.optional for b in group), False, ", ".join(prefixes)
            )
        )
    missing: dict[tuple[str, str], int] = {}
    for u in wiring.unresolved:
        if u.blocking:
            key = (machine(u.importer), u.group.prefix)
            missing[key] = missing.get(key, 0) + 1
    for (src, prefix), n in missing.items():
        target = d.add(Node(node_id("m", prefix), MISSING, prefix, f"{prefix}.*", "no exporting instance"))
        d.link(Edge(src, target.id, UNRESOLVED, f"{n} × {prefix}"))
    external: dict[tuple[str, str], list] = {}
    for x in wiring.external:
        external.setdefault((machine(x.importer), x.group.prefix), []).append(x)
    for (src, prefix), group in external.items():
        target = d.add(Node(node_id("x", prefix), EXTERNAL, prefix, prefix, "external application"))
        d.link(Edge(src, target.id, EXTERNAL_IMPORT, f"{len(group)} × {prefix}", all(x.group.optional for x in group)))
    return d


# ------------------------------------------------------------------------------------------
# Front door
# ------------------------------------------------------------------------------------------


#: above this many components and facets, the whole components view leaves imports out, and
#: above this many instance imports the wiring view is drawn machine by machine, unless ``full``
#: or a focus is asked: Graphviz's dot needs minutes (or fails) to lay out thousands of edges
#: crossing the clusters (see benchmarks/bench_graph.py), and nobody could read them anyway.
LARGE = 300
LARGE_WIRING = 300
#: above this many components and facets, the roots are not clustered either: at 5,000 components
#: dot ran over 10 minutes on its 400 clusters (and reported "trouble in init_rank"), 49 s without them
LARGE_CLUSTERS = 2000


def build_diagram(
    view: str,
    graph: Graph | None,
    roots: list[Instance],
    title: str,
    *,
    focus: str | None = None,
    depth: int = 1,
    links: LinkFn | None = None,
    full: bool = False,
    root: Path | None = None,
) -> Diagram:
    """Build ``view`` for a graph (possibly ``None``) and its root instances, optionally focused.

    Large applications get a lighter diagram (see ``LARGE``) unless ``full`` or ``focus``; the
    diagram's ``note`` then says what was left out.
    """
    if view not in ALL_VIEWS:
        raise ValueError(f"unknown view {view!r}; expected one of {', '.join(ALL_VIEWS)}")
    graph = graph or Graph()
    if view == "startup":
        d = startup_diagram(graph, roots, title, links, root=root)
        if focus is not None:
            if graph.node(focus) is None:
                raise UnknownFocus(focus, list(graph.components) + list(graph.facets))
            wanted = {c.name for c in _focus_components(graph, focus)}
            d = d.focus([n.id for n in d.nodes.values() if n.component in wanted], depth)
        return d
    detailed = full or focus is not None
    if view == "components":
        size = len(graph.components) + len(graph.facets)
        draw = detailed or size <= LARGE
        cluster = detailed or size <= LARGE_CLUSTERS
        d = components_diagram(graph, title, links, imports=draw, clusters=cluster)
        if not draw:
            count = sum(len(c.imports) for c in graph.components.values())
            left = f"{count} imports" + ("" if cluster else " and the root clusters")
            d.note = f"{left} not drawn ({size} components and facets): use --focus COMPONENT or --full"
    elif view == "instances":
        d = instances_diagram(roots, title, links)
    else:
        wiring = resolve_wiring(graph, walk_instances(roots))
        if detailed or len(wiring.bindings) <= LARGE_WIRING:
            d = wiring_diagram(graph, roots, title, links, wiring)
        else:
            d = machine_wiring_diagram(roots, title, wiring, links)
            d.note = f"{len(wiring.bindings)} instance imports, grouped by machine: use --focus COMPONENT or --full"
    if focus is not None:
        if graph.node(focus) is None:
            raise UnknownFocus(focus, list(graph.components) + list(graph.facets))
        if view == "components":
            seeds = [n.id for n in d.nodes.values() if n.component == focus and n.kind != INSTANCE]
        else:
            wanted = {c.name for c in _focus_components(graph, focus)}
            seeds = [n.id for n in d.nodes.values() if n.kind in (INSTANCE, TARGET) and n.component in wanted]
        d = d.focus(seeds, depth)
    return d


def startup_diagram(
    graph: Graph, roots: list[Instance], title: str, links: LinkFn | None = None, *, root: Path | None = None
) -> Diagram:
    """The start-up order: one cluster per wave, an edge for every condition, with its reason.

    Waves and conditions are the compiler's (:mod:`rbcc.compiler.ir.order`): an instance starts after
    its parent and after one started exporter of each mandatory import prefix; when a prefix has
    several exporters, its edges are dashed (any one of them is enough).  Instances that can never
    start are grouped apart.
    """
    from rbcc.compiler.ir.build import CompileOptions, build_ir
    from rbcc.dsl import Application

    app = Application(root or Path("."), graph=graph, instances=roots)
    ir = build_ir(app, CompileOptions())
    d = Diagram("startup", title)
    ids = {}
    for inst in ir.instances:
        wave = inst.wave
        cid = f"wave{wave}" if wave is not None else "never"
        if cid not in d.clusters:
            label = f"wave {wave}" if wave is not None else "never starts"
            d.clusters[cid] = Cluster(cid, label)
        nid = node_id("instance", inst.path)
        ids[inst.path] = nid
        kind = TARGET if inst.parent is None and (inst.installer or "").lower() == "target" else INSTANCE
        d.add(
            Node(
                nid,
                kind,
                inst.path,
                inst.path,
                inst.component,
                cid,
                inst.component,
                "\n".join(w.reason for w in inst.waits if w.step == "start") or "no condition: starts first",
                links(INSTANCE, inst.path) if links else None,
            )
        )
    for inst in ir.instances:
        for w in inst.waits:
            if w.step != "start":
                continue
            for member in w.any_of:
                if member not in ids:
                    continue
                kind = AFTER_PARENT if w.kind == "parent" else AFTER_ANY if len(w.any_of) > 1 else AFTER_IMPORT
                label = "" if w.kind == "parent" else w.reason.split(" (mandatory)")[0].removeprefix("it imports ")
                d.link(Edge(ids[member], ids[inst.path], kind, label, tooltip=w.reason))
    never = [i.path for i in ir.instances if i.wave is None]
    if never:
        d.note = f"{len(never)} instance(s) can never start: see `rbcc compile`"
    return d


def _focus_components(graph: Graph, name: str) -> list[Component]:
    """The components a focus name stands for in instance views: itself, or a facet's components."""
    c = graph.components.get(name)
    if c is not None:
        return [c]
    f = graph.facets[name]
    return [x for sub in ih.sub_facets(f) for comp in sub.components for x in ih.sub_components(comp)]
