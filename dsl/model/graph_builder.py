"""From graph files to a ``Graph``: Roboconf's FromGraphDefinition (dsl.md §6).

Always builds the best model it can (the language server and the compiler need one even while
a file is broken), and reports problems with Roboconf's gating: relation errors are only
reported once the files themselves are clean, so that one typo does not produce a cascade.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from typing import Literal, NotRequired, TypedDict

from rbcc.dsl.checks.blocks import validate_file
from rbcc.dsl.model.elements import Component, Facet, Graph, Ref
from rbcc.dsl.model.variables import ExportDecl, ImportDecl, parse_exports, parse_imports
from rbcc.dsl.problems import Problem, Related, has_errors, problem
from rbcc.dsl.text import lexical as lx
from rbcc.dsl.text.files import SourceError, Sources, join
from rbcc.dsl.text.parser import ParseCache
from rbcc.dsl.text.ranges import SourceRange
from rbcc.dsl.text.syntax import FileKind, Holder, HolderKind, Import, ParsedFile, Property


@dataclass
class FileLoad:
    """Result of loading a set of files reached from an entry point through imports."""

    problems: list[Problem] = field(default_factory=list)
    #: project-relative paths that were parsed, in processing order (as written, not normalised)
    processed: list[str] = field(default_factory=list)
    files: dict[str, ParsedFile] = field(default_factory=dict)
    #: the files whose content Roboconf uses: error-free and reached through error-free files only
    #: (Roboconf neither registers the blocks of a file with an error nor follows its imports)
    java_files: set[str] = field(default_factory=set)


#: ``graph.cache`` keys of results derived from Graph.java_components and Graph.java_links
JAVA_FINDABLE = ("java-findable",)
JAVA_VIEW = ("java-view",)


def load_files(
    entry: str,
    root_rel: str,
    sources: Sources,
    cache: ParseCache,
    expected: tuple[FileKind, ...],
    wrong_kind_code: str,
) -> FileLoad:
    """Parse ``entry`` and every file it imports (transitively), once each (§5.5, §6.1, §8.2)."""
    out = FileLoad()
    seen: set[str] = set()
    edges: dict[str, list[str]] = {}
    clean: set[str] = set()
    queue: list[tuple[str, Import | None, str | None]] = [(entry, None, None)]
    while queue:
        rel, via, importer = queue.pop(0)
        if rel in seen:
            continue
        seen.add(rel)
        where = via.uri_range if via is not None else SourceRange.file_start(rel)
        if not sources.inside(rel):
            out.problems.append(
                problem(
                    "CO_UNREACHABLE_FILE",
                    where,
                    ("FILE", rel),
                    note="Imports must stay inside the project; this one was not followed.",
                )
            )
            continue
        try:
            text = sources.read(rel)
        except SourceError as exc:
            out.problems.append(problem("P_IO_ERROR", where, ("FILE", rel), ("EXCEPTION", str(exc))))
            continue
        if text is None:
            out.problems.append(
                problem(
                    "CO_UNREACHABLE_FILE",
                    where,
                    ("FILE", rel),
                    note="Check the path: imports are relative to the "
                    + (f"`{root_rel}/` directory." if root_rel else "entry file's directory."),
                )
            )
            continue
        parsed = cache.parse(rel, text)
        out.processed.append(rel)
        out.files[rel] = parsed
        own = list(parsed.problems) + validate_file(parsed)
        if parsed.kind not in expected:
            label = "intsnace" if parsed.kind is FileKind.INSTANCE else parsed.kind.value
            own.append(problem(wrong_kind_code, SourceRange.file_start(rel), ("UNRECOGNIZED", label)))
        out.problems.extend(own)
        if not has_errors(own):
            clean.add(rel)
        edges[rel] = []
        for imp in parsed.imports:
            if lx.is_blank(imp.uri):
                continue
            target = join(root_rel, imp.uri)
            edges[rel].append(target)
            if target in seen:
                continue
            queue.append((target, imp, rel))
    pending = [entry] if entry in clean else []
    while pending:
        rel = pending.pop()
        if rel in out.java_files:
            continue
        out.java_files.add(rel)
        pending.extend(t for t in edges.get(rel, ()) if t in clean)
    return out


def load_graph(
    entry: str, root_rel: str, sources: Sources, cache: ParseCache, *, staged: bool = True
) -> tuple[Graph, list[Problem]]:
    """Load the graph reached from ``entry``; returns the model and its problems.

    ``staged`` (``--compat roboconf``): Roboconf's gating, exactly: a file with an error is not
    registered, and resolution problems are reported only for clean files, phase by phase.
    Otherwise (the default) every file is registered and every resolution phase is reported
    once Roboconf's verdict is known to be an error (docs/deviations.md §11); while nothing but
    warnings was found, both modes gate alike, so the verdict is Roboconf's.
    """
    load = load_files(
        entry, root_rel, sources, cache, (FileKind.GRAPH, FileKind.AGGREGATOR, FileKind.EMPTY), "CO_NOT_A_GRAPH"
    )
    graph = Graph(files=load.files)
    for rel in load.processed:
        _register(graph, load.files[rel])
    registered = load.java_files if staged else set(load.processed)
    graph.java_components = frozenset(
        name
        for name, decls in graph.declarations.items()
        if any(isinstance(d, Component) and d.file in registered for d in decls)
    )
    problems = list(load.problems)
    block_errors = has_errors(load.problems)
    ungated = not staged and (block_errors or not load.problems)
    resolve(graph, problems, report=not problems or ungated, gated=not ungated)
    # What Roboconf links (dsl.md §6.2): nothing when anything was reported before its
    # resolution phases (a warning is enough), only the components when their resolution
    # reported a missing name (the facets' phase is skipped), else everything.
    if load.problems or any(p.code in _BEFORE_RESOLUTION for p in problems):
        links: Literal["all", "components", "none"] = "none"
    else:
        links = "components" if problems else "all"
    graph.roboconf_links = links
    # the default mode checks the graph as written once the verdict is an error
    graph.java_links = "all" if not staged and has_errors(problems) else links
    return graph, problems


_BEFORE_RESOLUTION = frozenset({"CO_CONFLICTING_NAME", "CO_ALREADY_DEFINED_COMPONENT", "CO_ALREADY_DEFINED_FACET"})


def java_components(graph: Graph) -> frozenset[str] | None:
    """The components Roboconf's ComponentHelpers.findComponent finds (instances are looked up
    with it), or None for a graph not built by ``load_graph``.

    Roboconf registers the components of error-free files only, and finds those reachable from
    the root components of the graph as it linked it (java_view), through extends and
    containment, both ways.
    """
    registered = graph.java_components
    if registered is None:
        return None
    view = java_view(graph)

    def findable() -> frozenset[str]:
        from rbcc.dsl.model import inheritance as ih

        seen: dict[int, Component] = {}
        stack = list(ih.root_components(view))
        while stack:
            c = stack.pop()
            if id(c) in seen:
                continue
            seen[id(c)] = c
            if c.super is not None:
                stack.append(c.super)
            stack.extend(c.extending)
            stack.extend(ih.all_children(view, c))
            stack.extend(ih.all_ancestors(view, c))
        return frozenset(c.name for c in seen.values()) & registered

    return view.memo((*JAVA_FINDABLE, graph.java_links), findable)


def java_view(graph: Graph) -> Graph:
    """The graph as Roboconf links it: ``graph`` itself, or, when its conversion reported
    anything (a warning such as P_EMPTY_FILE is enough, dsl.md §6.2), the same components and
    facets with fewer relations (none, or those of the components only; see load_graph).  The
    model rbcc builds for editors keeps all its relations (docs/deviations.md); validation
    uses this view, so that the verdict is Roboconf's.
    """
    links = graph.java_links
    if links == "all":
        return graph

    def build() -> Graph:
        known = graph.java_components or frozenset()
        view = Graph(files=graph.files)
        for name, c in graph.components.items():
            if name in known:
                view.components[name] = replace(c, super=None, facets=[], children=[], ancestors=[], extending=[])
        for name, f in graph.facets.items():
            view.facets[name] = replace(f, extends=[], extending=[], children=[], ancestors=[], components=[])
        if links == "components":
            resolve(view, [], report=False, link_facets=False)
        return view

    return graph.memo((*JAVA_VIEW, links), build)


def _register(graph: Graph, parsed: ParsedFile) -> None:
    for h in parsed.holders:
        if h.kind is HolderKind.COMPONENT:
            component = _component(h, _declared(parsed, h))
            graph.components.setdefault(h.name, component)
            node: Component | Facet = component
        elif h.kind is HolderKind.FACET:
            facet = _facet(h, _declared(parsed, h))
            graph.facets.setdefault(h.name, facet)
            node = facet
        else:
            continue
        graph.declarations.setdefault(h.name, []).append(node)


class _Declared(TypedDict):
    """What one component or facet block declares, before any name is resolved."""

    installer: Property | None
    extends: Property | None
    facets: list[Ref]
    children: list[Ref]
    exports: dict[str, ExportDecl]
    imports: dict[str, ImportDecl]
    #: facets only: the facets it extends
    extends_list: NotRequired[list[Ref]]


def _declared(parsed: ParsedFile, h: Holder) -> _Declared:
    """What a block declares (refs, exports, imports), read once per parse of its file.

    The model is rebuilt on every validation (relations change when other files change), but
    what a block says only changes with its file's text, which the parse cache tracks.
    """

    def read() -> _Declared:
        declared: _Declared = {
            "installer": h.first("installer"),
            "extends": h.first("extends"),
            "facets": _refs(h.first("facets")),
            "children": _refs(h.first("children")),
            "exports": _exports(h),
            "imports": _imports(h) if h.kind is HolderKind.COMPONENT else {},
        }
        if h.kind is HolderKind.FACET:
            declared["extends_list"] = _refs(h.first("extends"))
        return declared

    return parsed.memo(("declared", id(h)), read)


def _refs(prop: Property | None) -> list[Ref]:
    if prop is None:
        return []
    r = prop.value_range
    base = r.start_column - 1
    out: list[Ref] = []
    names: set[str] = set()
    for item, s, e in lx.split_nicely(prop.value):
        if item and item not in names:
            names.add(item)
            out.append(Ref(item, SourceRange.line_span(r.file, r.start_line, base + s, base + e)))
    return out


def _exports(h: Holder) -> dict[str, ExportDecl]:
    out: dict[str, ExportDecl] = {}
    for p in h.all("exports"):
        decls, _ = parse_exports(p)
        for d in decls:
            if d.name:
                out[d.name] = d
    return out


def _imports(h: Holder) -> dict[str, ImportDecl]:
    out: dict[str, ImportDecl] = {}
    for p in h.all("imports"):
        for _raw, decl in parse_imports(p):
            if decl.name:
                out[decl.name] = decl
    return out


def _component(h: Holder, d: _Declared) -> Component:
    c = Component(h.name, h.name_range, h, doc=h.doc)
    inst = d["installer"]
    if inst is not None:
        c.installer, c.installer_range = inst.value, inst.value_range
    ext = d["extends"]
    if ext is not None and not lx.is_blank(ext.value):
        c.extends_ref = Ref(ext.value, ext.value_range)
    c.facet_refs = d["facets"]
    c.child_refs = d["children"]
    c.exports = d["exports"]
    c.imports = d["imports"]
    return c


def _facet(h: Holder, d: _Declared) -> Facet:
    f = Facet(h.name, h.name_range, h, doc=h.doc)
    f.exports = d["exports"]
    f.child_refs = d["children"]
    f.extends_refs = d["extends_list"]
    return f


#: other declarations shown with a duplicate: enough to find them, and N duplicates cost O(N), not O(N²)
MAX_RELATED_DECLARATIONS = 3


def _others(graph: Graph, node: Component | Facet) -> list[Related]:
    decls = graph.declarations.get(node.name, [])
    others: list[Related] = []
    for o in decls:
        if o is node:
            continue
        if len(others) == MAX_RELATED_DECLARATIONS:
            more = len(decls) - 1 - MAX_RELATED_DECLARATIONS
            last = others[-1]
            others[-1] = Related(last.range, f"{last.message} (and {more:,} more times)")
            break
        others.append(Related(o.name_range, f"`{o.name}` is also declared here"))
    return others


def resolve(graph: Graph, problems: list[Problem], report: bool, link_facets: bool = True, gated: bool = True) -> None:
    """Link relations (always; the facets' own ones only if ``link_facets``) and report CO_
    problems (when ``report``): in Roboconf's phases, each reported only if the previous ones
    found nothing (``gated``), or all of them."""
    found: list[Problem] = []
    # 1. component / facet name conflicts, 2. duplicates
    for name, decls in graph.declarations.items():
        kinds = {type(d) for d in decls}
        if len(kinds) > 1:
            for d in decls:
                found.append(problem("CO_CONFLICTING_NAME", d.name_range, ("NAME", name), related=_others(graph, d)))
    if not found or not gated:
        for name, decls in graph.declarations.items():
            if len(decls) < 2:
                continue
            for kind_of in (Component, Facet):
                same = [d for d in decls if isinstance(d, kind_of)]
                if len(same) < 2:
                    continue  # a conflicting name (component and facet), reported above
                for d in same:
                    code = "CO_ALREADY_DEFINED_COMPONENT" if isinstance(d, Component) else "CO_ALREADY_DEFINED_FACET"
                    kind = "COMPONENT" if isinstance(d, Component) else "FACET"
                    found.append(problem(code, d.name_range, (kind, name), related=_others(graph, d)))
    gate = bool(found) and gated
    # 3. components
    phase3: list[Problem] = []
    for c in graph.components.values():
        if c.extends_ref is not None:
            sup = graph.components.get(c.extends_ref.name)
            if sup is None:
                phase3.append(
                    problem(
                        "CO_INEXISTING_COMPONENT",
                        c.extends_ref.range,
                        ("COMPONENT", c.extends_ref.name),
                        note=_suggest(c.extends_ref.name, graph.components),
                    )
                )
            else:
                c.super = sup
                sup.extending.append(c)
        for ref in c.facet_refs:
            f = graph.facets.get(ref.name)
            if f is None:
                phase3.append(
                    problem(
                        "CO_INEXISTING_FACET", ref.range, ("FACET", ref.name), note=_suggest(ref.name, graph.facets)
                    )
                )
            else:
                c.facets.append(f)
                f.components.append(c)
        _link_children(graph, c, c.child_refs, phase3)
    # 4. facets
    phase4: list[Problem] = []
    for f in graph.facets.values() if link_facets else ():
        for ref in f.extends_refs:
            g = graph.facets.get(ref.name)
            if g is None:
                phase4.append(
                    problem(
                        "CO_INEXISTING_FACET", ref.range, ("FACET", ref.name), note=_suggest(ref.name, graph.facets)
                    )
                )
            else:
                f.extends.append(g)
                g.extending.append(f)
        _link_children(graph, f, f.child_refs, phase4)
    if report:
        problems.extend(found)
        if not gate:
            problems.extend(phase3)
            if not phase3 or not gated:
                problems.extend(phase4)


def _link_children(graph: Graph, parent: Component | Facet, refs: list[Ref], out: list[Problem]) -> None:
    for ref in refs:
        child = graph.components.get(ref.name) or graph.facets.get(ref.name)
        if child is None:
            names = {**graph.components, **graph.facets}
            out.append(problem("CO_INEXISTING_CHILD", ref.range, ("NAME", ref.name), note=_suggest(ref.name, names)))
            continue
        parent.children.append(child)
        child.ancestors.append(parent)


def _suggest(name: str, names: Iterable[str]) -> str | None:
    import difflib

    close = difflib.get_close_matches(name, list(names), n=1, cutoff=0.6)
    return f"Did you mean `{close[0]}`?" if close else None


def graph_from_files(files: dict[str, ParsedFile]) -> Graph:
    """Every component and facet of ``files``, linked, broken files included (the editor's view).

    No problem is reported: editors want a model of whatever was typed, even when the
    project's loader would reject it.
    """
    graph = Graph(files=files)
    for parsed in files.values():
        _register(graph, parsed)
    resolve(graph, [], report=False)
    return graph
