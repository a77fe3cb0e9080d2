"""From instances files to instance trees: Roboconf's FromInstanceDefinition (dsl.md §8).

Builds instances (component lookup, data, state, overridden exports), checks duplicate paths and
expands ``count`` with Roboconf's naming (zero padding, no separator, first copy renamed).
"""

from __future__ import annotations

import re
from collections import defaultdict

from rbcc.dsl.model.elements import Graph, Instance
from rbcc.dsl.model.graph_builder import java_components, load_files
from rbcc.dsl.problems import Problem, Related, has_errors, problem
from rbcc.dsl.text import lexical as lx
from rbcc.dsl.text.files import Sources
from rbcc.dsl.text.parser import ParseCache
from rbcc.dsl.text.syntax import FileKind, Holder, HolderKind, ParsedFile

_QUOTED_VALUE = re.compile(r'\s*".*"\s*', re.ASCII | re.DOTALL)
STATES = (
    "NOT_DEPLOYED",
    "DEPLOYING",
    "DEPLOYED_STOPPED",
    "UNRESOLVED",
    "STARTING",
    "DEPLOYED_STARTED",
    "STOPPING",
    "UNDEPLOYING",
    "PROBLEM",
    "WAITING_FOR_ANCESTOR",
)


def load_instances(
    entry: str, root_rel: str, graph: Graph, sources: Sources, cache: ParseCache, *, staged: bool = True
) -> tuple[list[Instance], list[Problem], dict[str, ParsedFile]]:
    """Load instances reached from ``entry``: root instances (expanded), problems, parsed files.

    ``staged`` (``--compat roboconf``): as in Roboconf, only error-free files build instances
    that report, and duplicate detection and ``count`` expansion run only when nothing else was
    reported.  Otherwise every file's instances report, and both run unless only warnings were
    reported (the verdict stays Roboconf's).  The returned
    roots are always usable by the language server.
    """
    load = load_files(
        entry, root_rel, sources, cache, (FileKind.INSTANCE, FileKind.AGGREGATOR, FileKind.EMPTY), "CO_NOT_INSTANCES"
    )
    problems = list(load.problems)
    roots: list[Instance] = []
    blocks: list[Instance] = []
    # Roboconf builds the instances of error-free files only, against the components it finds
    # in its graph (see java_components): only those can report CO_INEXISTING_COMPONENT.
    known = java_components(graph)
    for rel in load.processed:
        report = rel in load.java_files or not staged
        for h in load.files[rel].holders:
            if h.kind is HolderKind.INSTANCE:
                inst = _build(h, None, graph, problems, blocks, report, known)
                if inst is not None:
                    _attach(roots, inst)
    # the default mode goes on once the verdict is an error (a warning still stops both modes)
    go_on = not staged and has_errors(problems)
    if not problems or go_on:
        problems.extend(_duplicates(blocks))
    if not problems or go_on:
        roots = expand_counts(roots, problems)
    return roots, problems, load.files


def _attach(siblings: list[Instance], inst: Instance) -> None:
    # Children of one parent form a set keyed by path: a second one with the same name is merged away.
    if any(s.name == inst.name for s in siblings):
        return
    siblings.append(inst)


def _build(
    h: Holder,
    parent: Instance | None,
    graph: Graph,
    problems: list[Problem],
    blocks: list[Instance],
    report: bool = True,
    known: frozenset[str] | None = None,
) -> Instance | None:
    name_prop = h.first("name")
    name = name_prop.value if name_prop is not None else ""
    name_range = name_prop.value_range if name_prop is not None else h.decl_range
    comp = graph.components.get(h.name)
    inst = Instance(name, h.name, h, name_range, h.name_range, comp, parent)
    blocks.append(inst)
    hidden = comp is not None and known is not None and h.name not in known
    if report and (comp is None or hidden):
        note = None
        if h.name in graph.facets:
            note = f"`{h.name}` is a facet; instances are of components."
        elif hidden and h.name not in (graph.java_components or ()):
            note = f"`{h.name}` is declared in {comp.file if comp else h.name}, which has errors (or is imported by a file with errors)."
        elif hidden:
            note = f"`{h.name}` is not reachable from a root component of the graph."
        problems.append(problem("CO_INEXISTING_COMPONENT", h.name_range, ("COMPONENT", h.name), note=note))
    if hidden:
        report = False  # Roboconf skips the children of an instance of an unknown component
    for p in h.properties:
        key = p.name
        if key == "name":
            continue
        if key == "count":
            n = lx.parse_java_int(p.value)
            inst.count = n if n is not None and n > 1 else 1
        elif key == "channels":
            inst.channels = [x for x, _, _ in lx.split_nicely(p.value)]
        elif key == "instance-data":
            for item, _, _ in lx.split_nicely(p.value):
                eq = item.find("=")
                if eq <= 0:
                    inst.data[item] = None
                else:
                    inst.data[lx.java_trim(item[:eq])] = lx.java_trim(item[eq + 1 :])
        elif key == "instance-state":
            state = lx.java_trim(p.value).upper()
            inst.state = state if state in STATES else "NOT_DEPLOYED"
        elif key.lower().startswith("data."):
            inst.data[key[5:]] = p.value
        else:
            value = p.value
            if _QUOTED_VALUE.fullmatch(value):
                value = lx.java_trim(value)[1:-1]
            inst.overrides[key] = value
            inst.override_ranges[key] = p.name_range
    if comp is None:
        return inst
    for sub in h.holders:
        child = _build(sub, inst, graph, problems, blocks, report, known)
        if child is not None:
            _attach(inst.children, child)
    return inst


def _duplicates(blocks: list[Instance]) -> list[Problem]:
    by_path: dict[str, list[Instance]] = defaultdict(list)
    for b in blocks:
        by_path[b.path].append(b)
    out: list[Problem] = []
    for path, group in by_path.items():
        if len(group) > 1:
            for b in group:
                others = [Related(o.block.decl_range, f"`{path}` is also defined here") for o in group if o is not b]
                out.append(
                    problem(
                        "CO_ALREADY_DEFINED_INSTANCE",
                        b.name_range,
                        ("INSTANCE", path),
                        ("ALREADY_DEFINED", path),
                        related=others,
                    )
                )
    return out


def expand_counts(roots: list[Instance], problems: list[Problem]) -> list[Instance]:
    """§8.4: copies named ``name + zero-padded index``; the original becomes index 1.

    Linear in the number of copies: the names of each sibling list are kept in a set (a copy
    whose name a sibling already has is merged away, as Roboconf's set of children does), and
    the copies of a root are spliced in once instead of inserted one by one.
    """
    result = list(roots)
    declared_roots = {r.name: r for r in roots}
    renamed: set[int] = set()
    #: names of each sibling list (keyed by the list's identity), built on first use
    names: dict[int, set[str]] = {}

    def names_of(siblings: list[Instance]) -> set[str]:
        key = id(siblings)
        if key not in names:
            names[key] = {s.name for s in siblings}
        return names[key]

    for root in list(roots):
        order = list(root.walk())
        for inst in reversed(order):
            n = inst.count
            if n <= 1:
                continue
            width = len(str(n))
            base = inst.name
            if inst.parent is None:
                _expand_root(inst, n, width, result, declared_roots, renamed, problems)
            else:
                siblings = inst.parent.children
                taken = names_of(siblings)
                for i in range(2, n + 1):
                    name = base + str(i).zfill(width)
                    if name in taken:
                        continue
                    copy = _copy(inst, inst.parent)
                    copy.name = name
                    siblings.append(copy)
                    taken.add(name)
                taken.discard(base)
                taken.add(base + "1".zfill(width))
            inst.name = base + "1".zfill(width)
            renamed.add(id(inst))
    return result


def _expand_root(
    inst: Instance,
    n: int,
    width: int,
    result: list[Instance],
    declared_roots: dict[str, Instance],
    renamed: set[int],
    problems: list[Problem],
) -> None:
    """The copies of a root instance, placed where inserting copy ``i`` at ``index + i - 1`` puts
    them (a copy that clashes with a declared root is reported and skipped, and the later ones
    still go to ``index + i - 1``, past the roots that follow)."""
    base = inst.name
    placed: list[tuple[int, Instance]] = []  # (offset after inst, copy), offsets increasing
    for i in range(2, n + 1):
        name = base + str(i).zfill(width)
        clash = declared_roots.get(name)
        if clash is not None and id(clash) not in renamed:
            problems.append(
                problem(
                    "CO_CONFLICTING_INFERRED_INSTANCE",
                    inst.block.decl_range,
                    ("INSTANCE", name),
                    related=[Related(clash.block.decl_range, f"`{name}` is declared here")],
                )
            )
            continue
        copy = _copy(inst, None)
        copy.name = name
        placed.append((i - 1, copy))
    if not placed:
        return
    at = result.index(inst) + 1
    tail = result[at:]
    merged: list[Instance] = []
    t = 0
    for offset, copy in placed:
        # inserting at ``at + offset - 1`` in a list that grows by one per insert: the elements
        # of the tail fill the positions before it
        while len(merged) < offset - 1 and t < len(tail):
            merged.append(tail[t])
            t += 1
        merged.append(copy)
    merged.extend(tail[t:])
    result[at:] = merged


def _copy(inst: Instance, parent: Instance | None) -> Instance:
    c = Instance(
        inst.name, inst.component_name, inst.block, inst.name_range, inst.component_range, inst.component, parent
    )
    c.channels = list(inst.channels)
    c.overrides = dict(inst.overrides)
    c.override_ranges = dict(inst.override_ranges)
    c.copied_from = inst
    c.children = [_copy(ch, c) for ch in inst.children]
    return c
