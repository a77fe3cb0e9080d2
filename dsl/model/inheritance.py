"""Derived views of a graph: extends chains, facets, children, ancestors, exported variables.

Exactly Roboconf's ComponentHelpers / InstanceHelpers algorithms (dsl.md §7, §8.5); results are
memoised in ``graph.cache`` because validation and the compiler ask the same questions many
times.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from functools import partial
from typing import Literal, TypeVar

from rbcc.dsl.model.elements import Component, Facet, Graph, Instance, Node
from rbcc.dsl.model.variables import ExportDecl, ImportDecl

_T = TypeVar("_T")
#: a component or a facet, the same on the way in and out (both have ``extending``)
_Extended = TypeVar("_Extended", Component, Facet)


def memo(graph: Graph, key: tuple[Hashable, ...], compute: Callable[[], _T]) -> _T:
    """``compute()`` once per graph and ``key``: the model is immutable once resolved."""
    return graph.memo(key, compute)


def chain(c: Component) -> list[Component]:
    """``[C, super(C), super(super(C)), ...]`` stopping at a repetition (§7.1)."""
    out = [c]
    seen = {id(c)}
    cur = c.super
    while cur is not None and id(cur) not in seen:
        out.append(cur)
        seen.add(id(cur))
        cur = cur.super
    return out


def extends_cycle(c: Component) -> list[Component] | None:
    """The cycle ``C -> ... -> C`` if C's extends chain comes back to C."""
    path = [c]
    seen = {id(c)}
    cur = c.super
    while cur is not None:
        if cur is c:
            return path + [c]
        if id(cur) in seen:
            return None
        path.append(cur)
        seen.add(id(cur))
        cur = cur.super
    return None


def installer(c: Component) -> str | None:
    for x in chain(c):
        if x.installer is not None:
            return x.installer
    return None


def imports(graph: Graph, c: Component) -> dict[str, ImportDecl]:
    """Effective imports: union along the chain, sub-components override (§7.1)."""

    def compute() -> dict[str, ImportDecl]:
        out: dict[str, ImportDecl] = {}
        for x in reversed(chain(c)):
            out.update(x.imports)
        return out

    return memo(graph, ("imports", id(c)), compute)


def super_facets(f: Facet) -> list[Facet]:
    """Transitive closure of a facet's ``extends`` (cycles tolerated, f excluded unless cyclic)."""
    out: list[Facet] = []
    seen: set[int] = set()
    stack = list(f.extends)
    while stack:
        x = stack.pop(0)
        if id(x) in seen:
            continue
        seen.add(id(x))
        out.append(x)
        stack.extend(x.extends)
    return out


def sub_facets(f: Facet) -> list[Facet]:
    """``f`` and every facet extending it, transitively."""
    return _extending_closure(f)


def _extending_closure(start: _Extended) -> list[_Extended]:
    """``start`` and everything extending it, transitively, breadth first (cycles tolerated)."""
    out = [start]
    seen = {id(start)}
    i = 0
    while i < len(out):
        for x in out[i].extending:
            if id(x) not in seen:
                seen.add(id(x))
                out.append(x)
        i += 1
    return out


def all_facets(graph: Graph, c: Component) -> list[Facet]:
    """Facets of every component of the chain plus their super-facets (§7.2)."""

    def compute() -> list[Facet]:
        out: list[Facet] = []
        seen: set[int] = set()
        for x in chain(c):
            for f in x.facets:
                for g in [f, *super_facets(f)]:
                    if id(g) not in seen:
                        seen.add(id(g))
                        out.append(g)
        return out

    return memo(graph, ("facets", id(c)), compute)


def sub_components(c: Component) -> list[Component]:
    """``c`` and every component extending it, transitively."""
    return _extending_closure(c)


def _expand(nodes: list[Node]) -> list[Component]:
    out: list[Component] = []
    seen: set[int] = set()

    def add(x: Component) -> None:
        if id(x) not in seen:
            seen.add(id(x))
            out.append(x)

    for n in nodes:
        if isinstance(n, Component):
            for x in sub_components(n):
                add(x)
        else:
            for f in sub_facets(n):
                for comp in f.components:
                    for x in sub_components(comp):
                        add(x)
    return out


def all_children(graph: Graph, c: Component) -> list[Component]:
    """findAllChildren (§7.3): inherited and facet-derived children, expanded to components."""
    return _inherited_relation(graph, c, "children")


def all_ancestors(graph: Graph, c: Component) -> list[Component]:
    """findAllAncestors (§7.3), the mirror of ``all_children``."""
    return _inherited_relation(graph, c, "ancestors")


def _inherited_relation(graph: Graph, c: Component, relation: Literal["children", "ancestors"]) -> list[Component]:
    """``relation`` (children or ancestors) of every component of the chain and of its facets."""

    def related(x: Node) -> list[Node]:
        return x.children if relation == "children" else x.ancestors

    def compute() -> list[Component]:
        nodes: list[Node] = []
        for x in chain(c):
            nodes.extend(related(x))
            for f in all_facets(graph, x):
                nodes.extend(related(f))
        return _expand(nodes)

    return memo(graph, (relation, id(c)), compute)


def _fix(prefix: str, v: str) -> str:
    return v if v.startswith(prefix + ".") else f"{prefix}.{v}"


def _suffix(k: str) -> str:
    return k.split(".", 1)[1] if "." in k else k


def facet_exports(graph: Graph, f: Facet) -> dict[str, str | None]:
    """Resolved exported variables of a facet (§7.4)."""

    def compute() -> dict[str, str | None]:
        if not _facet_cycles(graph):
            # farthest super-facets first, so that the recursion below only meets memoised results
            for g in reversed(super_facets(f)):
                memo(graph, ("fexports", id(g)), partial(_facet_exports, graph, g))
        return _facet_exports(graph, f)

    return memo(graph, ("fexports", id(f)), compute)


def _facet_cycles(graph: Graph) -> bool:
    """Whether some facet extends itself, directly or not."""
    return memo(
        graph, ("facet-cycles",), lambda: any(any(g is f for g in super_facets(f)) for f in graph.facets.values())
    )


def _facet_exports(graph: Graph, f: Facet) -> dict[str, str | None]:
    """Java's findAllExportedVariables(Facet): a facet that extends itself (directly or not)
    exports nothing at all, not even its own variables; the others take the resolved variables
    of the facets they extend (so an extended facet in a cycle contributes nothing), then their own.
    """
    if _in_facet_cycle(graph, f):
        return {}
    r: dict[str, str | None] = {}
    for g in f.extends:
        # a facet outside every cycle cannot reach itself: the recursion ends at cyclic facets
        r.update(facet_exports(graph, g))
    for v, decl in f.exports.items():
        if v in r:
            r[v] = decl.value
        else:
            r[_fix(f.name, v)] = decl.value
    return r


def _in_facet_cycle(graph: Graph, f: Facet) -> bool:
    if not _facet_cycles(graph):
        return False
    return memo(graph, ("facet-in-cycle", id(f)), lambda: any(g is f for g in super_facets(f)))


def exports(graph: Graph, c: Component) -> dict[str, str | None]:
    """findAllExportedVariables (§7.5), exactly; values are the graph defaults (None = no value)."""

    def compute() -> dict[str, str | None]:
        supers = chain(c)[1:]
        if not supers or supers[-1].super is None:
            # farthest ancestor first, so that each resolution only meets memoised results
            for s in reversed(supers):
                memo(graph, ("exports", id(s)), partial(_component_exports, graph, s, frozenset()))
        return _component_exports(graph, c, frozenset())

    return memo(graph, ("exports", id(c)), compute)


def _component_exports(graph: Graph, c: Component, seen: frozenset[int]) -> dict[str, str | None]:
    # Without a cycle in the extends chain, ``seen`` cannot matter and each super-component is
    # resolved once (memoised); resolving the whole chain again for every level is exponential.
    ch = chain(c)
    acyclic = ch[-1].super is None
    r: dict[str, str | None] = {}
    for f in c.facets:
        r.update(facet_exports(graph, f))
    for s in reversed(ch):
        if s is c or id(s) in seen:
            continue
        r.update(exports(graph, s) if acyclic else _component_exports(graph, s, seen | {id(c)}))
    n: dict[str, str | None] = {}
    for v, decl in c.exports.items():
        value = decl.value
        if v in r:
            n[v] = value
        else:
            n[_fix(c.name, v)] = value
        for k in r:
            if _suffix(k) == v:
                n[k] = value
    r.update(n)
    m: dict[str, str | None] = {}
    for k, value in r.items():
        if "." in k:
            prefix, suffix = k.split(".", 1)
        else:
            prefix, suffix = k, ""
        own = f"{c.name}.{suffix}"
        if prefix != c.name and own not in r:
            m[own] = value
    r.update(m)
    return r


def random_exports(graph: Graph, c: Component) -> dict[str, ExportDecl]:
    """Random variables declared by ``c`` itself (full name → decl)."""
    return {_fix(c.name, d.name): d for d in c.exports.values() if d.is_random}


def graph_exports(graph: Graph) -> set[str]:
    """Every resolved exported variable name of the graph (union over components)."""

    def compute() -> set[str]:
        out: set[str] = set()
        for c in graph.components.values():
            out.update(exports(graph, c))
        return out

    return memo(graph, ("all-exports",), compute)


def reachable_components(graph: Graph) -> list[Component]:
    """Components reachable from the roots through extends and containment, both ways.

    Roboconf's ComponentHelpers.findAllComponents: what its validators look at.  Components
    only inside a containment cycle are not reachable.
    """

    def compute() -> list[Component]:
        from collections import deque

        out: list[Component] = []
        seen: set[int] = set()
        queue = deque(root_components(graph))
        while queue:
            c = queue.popleft()
            if id(c) in seen:
                continue
            seen.add(id(c))
            out.append(c)
            if c.super is not None:
                queue.append(c.super)
            queue.extend(c.extending)
            queue.extend(all_children(graph, c))
            queue.extend(all_ancestors(graph, c))
        return out

    return memo(graph, ("reachable",), compute)


def suffix_index(graph: Graph, c: Component) -> dict[str, list[str]]:
    """The component's resolved export names grouped by suffix (text after the first dot)."""

    def compute() -> dict[str, list[str]]:
        out: dict[str, list[str]] = {}
        for k in exports(graph, c):
            out.setdefault(_suffix(k), []).append(k)
        return out

    return memo(graph, ("suffixes", id(c)), compute)


def instance_exports(graph: Graph, inst: Instance) -> dict[str, str | None]:
    """Exports of an instance after overrides (§8.5), before runtime substitutions."""
    if inst.component is None:
        return dict(inst.overrides)
    return apply_overrides(graph, inst.component, inst.overrides)


def apply_overrides(graph: Graph, c: Component, overrides: dict[str, str]) -> dict[str, str | None]:
    """The component's exports with an instance's overrides applied (§8.5)."""
    base = dict(exports(graph, c))
    by_suffix = suffix_index(graph, c)
    for k, v in overrides.items():
        full = by_suffix.get(k, [])
        if not full:
            base[k] = v
        elif len(full) == 1:
            base[full[0]] = v
        else:
            base[k] = v
            for name in full:
                base[name] = v
    return base


def suffix(name: str) -> str:
    """Text after the first dot (Roboconf's variable suffix)."""
    return _suffix(name)


def root_components(graph: Graph) -> list[Component]:
    """Components without ancestors (dsl.md §6.3), in declaration order."""
    return list(memo(graph, ("roots",), lambda: [c for c in graph.components.values() if not all_ancestors(graph, c)]))
