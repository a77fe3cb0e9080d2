"""Checks on the resolved model: Roboconf's RuntimeModelValidator (dsl.md §9).

Graph checks (installers, variables, cycles, roots, unresolvable imports, orphan facets) and
instance checks (parents, overridden exports, missing values).
"""

from __future__ import annotations

from rbcc.dsl.model import inheritance as ih
from rbcc.dsl.model.elements import Component, Facet, Graph, Instance, walk_instances
from rbcc.dsl.model.graph_builder import java_view
from rbcc.dsl.problems import Problem, Related, problem
from rbcc.dsl.text import lexical as lx
from rbcc.dsl.text.ranges import SourceRange


def validate_graph(graph: Graph, where: SourceRange) -> list[Problem]:
    """§9.3: ``where`` locates problems about the graph as a whole (the entry file).

    Roboconf validates the graph twice while loading a project; the result is memoised.
    """
    graph = java_view(graph)
    return list(ih.memo(graph, ("validate_graph", where), lambda: _validate_graph(graph, where)))


def _validate_graph(graph: Graph, where: SourceRange) -> list[Problem]:
    out: list[Problem] = []
    roots = ih.root_components(graph)
    if not roots:
        out.append(
            problem(
                "RM_NO_ROOT_COMPONENT",
                where,
                note="A root component (one that is nobody's child) must use `installer: target;`.",
            )
        )
    reachable = ih.reachable_components(graph)
    imports_needed: list[tuple[Component, str, SourceRange]] = []
    exported: set[str] = set()
    validated_facets: set[int] = set()
    for c in reachable:
        _component(graph, c, out)
        for f in ih.all_facets(graph, c):
            if id(f) not in validated_facets:
                validated_facets.add(id(f))
                _facet(f, out)
        for name, decl in ih.imports(graph, c).items():
            if not decl.external:
                imports_needed.append((c, name, decl.range))
        for k in ih.exports(graph, c):
            exported.add(k)
            exported.add(k.split(".", 1)[0] + ".*")
    facet_raw = {v for f in graph.facets.values() for v in f.exports}
    for c, name, rng in imports_needed:
        if name in exported:
            continue
        prefix = name.split(".", 1)[0]
        facet_var = (name.endswith(".*") and prefix in graph.facets) or name in facet_raw
        code = "RM_UNRESOLVABLE_FACET_VARIABLE" if facet_var else "RM_UNRESOLVABLE_VARIABLE"
        note = (
            f"No component uses facet `{prefix}`."
            if facet_var
            else f"No component exports `{name}`; mark it `(optional)` or export it."
        )
        # the importing component is named: an inherited import is reported by each sub-component
        out.append(problem(code, rng, ("VARIABLE", name), ("COMPONENT", c.name), note=note))
    for f in graph.facets.values():
        if f.components:
            continue
        if f.children:  # linked children: none in Roboconf's unlinked graph (java_view)
            out.append(problem("RM_ORPHAN_FACET_WITH_CHILDREN", f.name_range, ("FACET", f.name)))
        else:
            out.append(problem("RM_ORPHAN_FACET", f.name_range, ("FACET", f.name)))
        for child in f.children:
            if isinstance(child, Component):
                out.append(
                    problem(
                        "RM_UNREACHABLE_COMPONENT",
                        child.name_range,
                        ("COMPONENT", child.name),
                        ("FACET", f.name),  # one problem per orphan facet, as in Roboconf
                        related=[Related(f.name_range, f"facet `{f.name}`, used by no component")],
                    )
                )
    return out


def _component(graph: Graph, c: Component, out: list[Problem]) -> None:
    name = c.name
    if lx.is_blank(name):
        out.append(problem("RM_EMPTY_COMPONENT_NAME", c.name_range))
    elif not lx.is_flex_id(name):
        out.append(problem("RM_INVALID_COMPONENT_NAME", c.name_range, ("COMPONENT", name)))
    elif "." in name:
        out.append(problem("RM_DOT_IS_NOT_ALLOWED", c.name_range, ("COMPONENT", name)))
    inst = ih.installer(c)
    if lx.is_blank(inst):
        out.append(
            problem(
                "RM_EMPTY_COMPONENT_INSTALLER",
                c.name_range,
                ("COMPONENT", name),
                note="Add `installer: ...;` (e.g. script, puppet, target).",
            )
        )
    elif not lx.is_flex_id(inst or ""):
        out.append(problem("RM_INVALID_COMPONENT_INSTALLER", _installer_range(c), ("COMPONENT", name)))
    elif not ih.all_ancestors(graph, c) and inst != "target":
        out.append(
            problem(
                "RM_ROOT_INSTALLER_MUST_BE_TARGET",
                # its own installer, else its name: an inherited installer is right for the parent
                c.installer_range if c.installer is not None and c.installer_range is not None else c.name_range,
                ("COMPONENT", name),
                note="This component is nobody's child, so it is a root: use `installer: target;` or list it in a `children:`.",
            )
        )
    for decl in c.exports.values():
        if lx.is_blank(decl.name):
            out.append(problem("RM_EMPTY_VARIABLE_NAME", decl.range))
        elif not lx.is_id(decl.name):
            out.append(problem("RM_INVALID_VARIABLE_NAME", decl.range, ("VARIABLE", decl.name)))
        if decl.is_random:
            if (decl.random_kind or "").lower() != "port":
                out.append(problem("RM_INVALID_RANDOM_KIND", decl.range, ("UNRECOGNIZED", decl.random_kind or "")))
            if decl.value is not None:
                out.append(problem("RM_NO_VALUE_FOR_RANDOM", decl.range, ("VARIABLE", decl.name)))
    own = set(ih.exports(graph, c))
    own.update(f"{x.name}.*" for x in ih.chain(c))
    own.update(f"{f.name}.*" for f in ih.all_facets(graph, c))
    for iname, imp in ih.imports(graph, c).items():
        if lx.is_blank(iname):
            out.append(problem("RM_EMPTY_VARIABLE_NAME", imp.range))
        elif not lx.PATTERN_IMPORT.fullmatch(iname):
            out.append(problem("RM_INVALID_VARIABLE_NAME", imp.range, ("VARIABLE", iname)))
        elif not imp.optional and iname in own:
            out.append(
                problem(
                    "RM_COMPONENT_IMPORTS_EXPORTS",
                    imp.range,
                    ("VARIABLE", iname),
                    ("COMPONENT", c.name),
                    note="Mark the import `(optional)` if instances of this component may talk to each other.",
                )
            )
    cyc = ih.extends_cycle(c)
    if cyc:
        out.append(
            problem(
                "RM_CYCLE_IN_COMPONENTS_INHERITANCE",
                c.extends_ref.range if c.extends_ref else c.name_range,
                ("CYCLE", " -> ".join(x.name for x in cyc)),
                related=[Related(x.name_range, f"`{x.name}` is part of the cycle") for x in cyc[1:-1]],
            )
        )
    cycle = _containment_cycle(graph, c)
    if cycle is not None and cycle.startswith(c.name):
        out.append(problem("RM_CYCLE_IN_COMPONENTS", c.name_range, ("CYCLE", cycle)))


def _installer_range(c: Component) -> SourceRange:
    for x in ih.chain(c):
        if x.installer is not None and x.installer_range is not None:
            return x.installer_range
    return c.name_range


def _graph_has_containment_cycle(graph: Graph) -> bool:
    """Whether any containment cycle exists (one iterative pass over the whole graph).

    Searching from every component separately, as Roboconf does, is quadratic on large graphs;
    most graphs have no cycle at all, and then no per-component search is needed.
    """

    def compute() -> bool:
        state: dict[int, int] = {}  # 1 = on the current path, 2 = done
        for root in graph.components.values():
            if id(root) in state:
                continue
            stack = [(root, iter(ih.all_children(graph, root)))]
            state[id(root)] = 1
            while stack:
                node, children = stack[-1]
                child = next(children, None)
                if child is None:
                    state[id(node)] = 2
                    stack.pop()
                    continue
                mark = state.get(id(child))
                if mark == 1:
                    return True
                if mark is None:
                    state[id(child)] = 1
                    stack.append((child, iter(ih.all_children(graph, child))))
        return False

    return ih.memo(graph, ("has-containment-cycle",), compute)


def _containment_cycle(graph: Graph, start: Component) -> str | None:
    """Depth-first search over findAllChildren; the first cycle found, as ``A -> B -> A``."""
    if not _graph_has_containment_cycle(graph):
        return None
    path: list[Component] = []
    on_path: set[int] = set()
    done: set[int] = set()

    def dfs(c: Component) -> str | None:
        path.append(c)
        on_path.add(id(c))
        # Roboconf's findAllChildren is a TreeSet sorted by name: the order decides which cycle
        # is found first, and so which component reports it.
        for child in sorted(ih.all_children(graph, c), key=lambda x: x.name):
            if id(child) in on_path:
                i = next(k for k, x in enumerate(path) if x is child)
                return " -> ".join(x.name for x in path[i:] + [child])
            if id(child) in done:
                continue
            found = dfs(child)
            if found:
                return found
        path.pop()
        on_path.discard(id(c))
        done.add(id(c))
        return None

    try:
        return dfs(start)
    except RecursionError:
        return None


def _facet(f: Facet, out: list[Problem]) -> None:
    if lx.is_blank(f.name):
        out.append(problem("RM_EMPTY_FACET_NAME", f.name_range))
    elif not lx.is_flex_id(f.name):
        out.append(problem("RM_INVALID_FACET_NAME", f.name_range, ("FACET", f.name)))
    elif "." in f.name:
        out.append(problem("RM_DOT_IS_NOT_ALLOWED", f.name_range, ("FACET", f.name)))
    for decl in f.exports.values():
        if lx.is_blank(decl.name):
            out.append(problem("RM_EMPTY_VARIABLE_NAME", decl.range))
        elif not lx.is_id(decl.name):
            out.append(problem("RM_INVALID_VARIABLE_NAME", decl.range, ("VARIABLE", decl.name)))
    if any(g is f for g in ih.super_facets(f)):
        cyc = _facet_cycle(f)
        out.append(problem("RM_CYCLE_IN_FACETS_INHERITANCE", f.name_range, ("CYCLE", cyc)))


def _facet_cycle(f: Facet) -> str:
    # shortest path f -> ... -> f through extends
    prev: dict[int, Facet | None] = {id(f): None}
    queue = [f]
    while queue:
        x = queue.pop(0)
        for g in x.extends:
            if g is f:
                names = [g.name]
                cur: Facet | None = x
                while cur is not None and cur is not f:
                    names.append(cur.name)
                    cur = prev[id(cur)]
                names.append(f.name)
                return " -> ".join(reversed(names))
            if id(g) not in prev:
                prev[id(g)] = x
                queue.append(g)
    return f.name


def validate_instances(graph: Graph, roots: list[Instance], *, roots_only: bool = False) -> list[Problem]:
    """§9.4 for every instance of ``roots`` (breadth first per root), or the roots alone."""
    graph = java_view(graph)
    out: list[Problem] = []
    for inst in roots if roots_only else walk_instances(roots):
        validate_instance(graph, inst, out)
    return out


def _in(graph: Graph, c: Component | None) -> Component | None:
    """``c``'s counterpart in ``graph`` (the java_view of the graph the instances were built with)."""
    return c if c is None else graph.components.get(c.name, c)


def validate_instance(graph: Graph, inst: Instance, out: list[Problem]) -> None:
    rng = inst.name_range
    # The instance's path is part of every message: the copies made by `count` share the ranges
    # of their block, and Roboconf reports each copy.
    here = ("INSTANCE", inst.path)
    if lx.is_blank(inst.name):
        out.append(problem("RM_EMPTY_INSTANCE_NAME", inst.block.decl_range, here))
    elif not lx.is_flex_id(inst.name):
        out.append(problem("RM_INVALID_INSTANCE_NAME", rng, here))
    c = _in(graph, inst.component)
    if c is None:
        out.append(problem("RM_EMPTY_INSTANCE_COMPONENT", inst.component_range, here))
        return
    ancestors = ih.all_ancestors(graph, c)
    if inst.parent is None:
        if ancestors:
            out.append(
                problem(
                    "RM_MISSING_INSTANCE_PARENT",
                    inst.component_range,
                    here,
                    *[("EXPECTED", a.name) for a in ancestors],
                    note=f"Declare it inside an instance of {', '.join(sorted(a.name for a in ancestors))}.",
                )
            )
    else:
        pc = _in(graph, inst.parent.component)
        if pc is None or pc not in ancestors or c not in ih.all_children(graph, pc):
            out.append(
                problem(
                    "RM_INVALID_INSTANCE_PARENT",
                    inst.component_range,
                    here,
                    *[("EXPECTED", a.name) for a in ancestors],
                    related=[Related(inst.parent.block.decl_range, f"parent instance `{inst.parent.name}`")],
                )
            )
    full = ih.exports(graph, c)
    by_suffix = ih.suffix_index(graph, c)
    for k in inst.overrides:
        if k in full:
            continue
        matches = by_suffix.get(k, [])
        where = inst.override_ranges.get(k, rng)
        if not matches:
            out.append(
                problem(
                    "RM_MAGIC_INSTANCE_VARIABLE",
                    where,
                    ("VARIABLE", k),
                    here,
                    note=f"`{c.name}` exports no variable named `{k}`.",
                )
            )
        elif len(matches) > 1:
            out.append(
                problem(
                    "RM_AMBIGUOUS_OVERRIDING",
                    where,
                    ("VARIABLE", k),
                    here,
                    *[("CONFLICTING", m) for m in sorted(matches)],
                    note="Use the full name (`Component.variable`).",
                )
            )
    for k in _missing_values(graph, c, inst.overrides):
        out.append(
            problem(
                "RM_MISSING_VARIABLE_VALUE",
                # the override that blanked it (by full name or by suffix), else the instance
                inst.override_ranges.get(k) or inst.override_ranges.get(ih.suffix(k), inst.block.decl_range),
                ("VARIABLE", k),
                here,
                note=f"Give it a default in the graph or add `{ih.suffix(k)}: ...;` to this instance.",
            )
        )


def _missing_values(graph: Graph, c: Component, overrides: dict[str, str]) -> list[str]:
    """Variables left without a value (§9.4 step 5), memoised per component and overrides.

    The random variables the component itself declares get a dummy value first (the DM
    generates them); ``ip`` variables are filled at runtime.  Copies made by ``count`` share
    their overrides, so most instances hit the memo.
    """

    def compute() -> list[str]:
        probe = dict(overrides)
        # Roboconf's trick overrides them by their names as written (``rport``), so that by
        # suffix the dummy also reaches the inherited variables of the same name (``Base.rport``)
        for decl in c.exports.values():
            if decl.is_random:
                probe.setdefault(decl.name, "0")
        missing = []
        for k, v in ih.apply_overrides(graph, c, probe).items():
            if v is not None and not lx.is_blank(v):
                continue
            low = k.lower()
            if low == "ip" or low.endswith(".ip"):
                continue
            missing.append(k)
        return missing

    key = ("missing-values", id(c), tuple(overrides.items()))
    return ih.memo(graph, key, compute)
