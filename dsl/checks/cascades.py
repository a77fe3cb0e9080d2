"""Which later-stage problems are only consequences of an earlier error (docs/deviations.md §11).

In its default mode rbcc runs every stage on whatever is sound (Roboconf stops after the first
stage that finds an error).  A mistake in a block must then not come back as other errors at
later stages: a model check that looks at the piece of text a syntax or block error is about, a
reference to a component whose block could not be read to its end, the installer of a component
whose ``installer:`` line is wrong.  ``without_cascades`` removes those; it only removes problems
when a block-level *error* exists, so the verdict never changes.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from rbcc.dsl.model import inheritance as ih
from rbcc.dsl.model.elements import Graph, Instance, walk_instances
from rbcc.dsl.problems import Problem
from rbcc.dsl.text.files import SourceError, Sources
from rbcc.dsl.text.line_parser import split_lines
from rbcc.dsl.text.ranges import SourceRange
from rbcc.dsl.text.syntax import Holder, HolderKind, ParsedFile, Property, Unknown

#: codes of the stages that read text (syntax, then block checks)
BLOCK_STAGE = ("P_", "PM_")
#: stages whose errors explain problems reported at the same place by the model checks
EARLY = ("P_", "PM_", "CO_")
#: codes of the stages that work on the model built from the text
MODEL_STAGE = ("CO_", "RM_", "CMD_")
#: graph-wide checks that a block read only in part can turn wrong anywhere (a lost ``children:``
#: makes roots, a lost ``facets:`` makes orphan facets)
GRAPH_WIDE = frozenset(
    {
        "RM_ROOT_INSTALLER_MUST_BE_TARGET",
        "RM_NO_ROOT_COMPONENT",
        "RM_UNREACHABLE_COMPONENT",
        "RM_ORPHAN_FACET",
        "RM_ORPHAN_FACET_WITH_CHILDREN",
    }
)
INSTALLER = frozenset({"RM_EMPTY_COMPONENT_INSTALLER", "RM_ROOT_INSTALLER_MUST_BE_TARGET"})
UNKNOWN_NAME = frozenset(
    {"CO_INEXISTING_COMPONENT", "CO_INEXISTING_CHILD", "CO_INEXISTING_FACET", "CMD_INEXISTING_COMPONENT"}
)
#: what loading the files reports about a whole file (not a consequence of what is inside it)
FILE_LEVEL = frozenset({"CO_NOT_A_GRAPH", "CO_NOT_INSTANCES", "CO_UNREACHABLE_FILE"})
#: block errors on a name: references to that block cannot be trusted
BAD_NAME = frozenset({"PM_INVALID_NAME", "PM_DOT_IS_NOT_ALLOWED", "PM_EMPTY_COMPONENT_NAME", "PM_EMPTY_FACET_NAME"})
INSTANCE_NAME = frozenset({"RM_EMPTY_INSTANCE_NAME", "RM_INVALID_INSTANCE_NAME", "CO_ALREADY_DEFINED_INSTANCE"})
#: what depends on how instances nest (a block cut short changes it)
INSTANCE_TREE = frozenset({"RM_MISSING_INSTANCE_PARENT", "RM_INVALID_INSTANCE_PARENT", "CO_ALREADY_DEFINED_INSTANCE"})
_NAME = re.compile(r"[\w.-]+")
UNRESOLVED = frozenset({"RM_UNRESOLVABLE_VARIABLE", "RM_UNRESOLVABLE_FACET_VARIABLE"})


@dataclass
class _Places:
    """Ranges of one file, found by containment quickly (single-line ones indexed by line)."""

    by_line: dict[int, list[SourceRange]] = field(default_factory=dict)
    spans: list[SourceRange] = field(default_factory=list)

    def add(self, r: SourceRange) -> None:
        if r.start_line == r.end_line:
            self.by_line.setdefault(r.start_line, []).append(r)
        else:
            self.spans.append(r)

    def contain(self, r: SourceRange) -> bool:
        if r.start_line == r.end_line and any(_inside(r, e) for e in self.by_line.get(r.start_line, ())):
            return True
        return any(_inside(r, e) for e in self.spans)

    def within(self, r: SourceRange) -> bool:
        """Whether one of the ranges lies inside ``r``."""
        for line in range(r.start_line, r.end_line + 1):
            if any(_inside(e, r) for e in self.by_line.get(line, ())):
                return True
        return any(_inside(e, r) for e in self.spans)


def _inside(r: SourceRange, outer: SourceRange) -> bool:
    return (outer.start_line, outer.start_column) <= (r.start_line, r.start_column) and (r.end_line, r.end_column) <= (
        outer.end_line,
        outer.end_column,
    )


@dataclass
class _Unsound:
    """What the block-level errors make unreliable."""

    errors: dict[str, _Places] = field(default_factory=dict)
    #: per file: the places of conversion errors (CO_), which explain model problems there
    conversion: dict[str, _Places] = field(default_factory=dict)
    #: a relation of the graph was lost (a reference that does not resolve, a block read in
    #: part, a wrong ``children:``/``facets:``/``extends:``): roots, orphans, reachability change
    relations_lost: bool = False
    #: instances files with syntax errors: how their instances nest cannot be trusted
    broken_trees: set[str] = field(default_factory=set)
    #: instance blocks whose ``name:`` is wrong (their declaration and name ranges)
    bad_instance_names: set[SourceRange] = field(default_factory=set)
    #: per file: the top-level blocks not read to their end (sorted by first line)
    blocks: dict[str, list[SourceRange]] = field(default_factory=dict)
    #: components and facets whose block was not read to its end, or not created at all
    names: set[str] = field(default_factory=set)
    #: components whose installer is unreliable (wrong ``installer:``/``extends:``, or a property
    #: that does not apply to a component: maybe a misspelt ``installer``)
    installers: set[str] = field(default_factory=set)

    #: per file: the first lines of ``blocks`` (kept with them: ``in_block`` is asked for every problem)
    block_starts: dict[str, list[int]] = field(default_factory=dict)

    def in_block(self, r: SourceRange) -> bool:
        blocks = self.blocks.get(r.file)
        if not blocks:
            return False
        i = bisect.bisect_right(self.block_starts[r.file], r.start_line) - 1
        return i >= 0 and _inside(r, blocks[i])


def without_cascades(
    problems: list[Problem],
    files: dict[str, ParsedFile],
    graph: Graph | None,
    instances: Iterable[Instance],
    sources: Sources | None = None,
) -> list[Problem]:
    """``problems`` without the later-stage problems that an earlier error explains.

    ``sources`` gives the text of the graph files with syntax errors: a declaration Roboconf
    cancels (``facet F { x``) creates no block, and its name is read from its line.
    """
    earlier = [p for p in problems if p.is_error and p.range is not None and p.code.startswith(EARLY)]
    errors = [p for p in earlier if p.code.startswith(BLOCK_STAGE)]
    if not earlier:
        return problems
    graph_files = graph.files if graph is not None else {}
    unsound = _unsound(errors, files, graph_files, sources)
    for p in earlier:
        assert p.range is not None
        if p.code.startswith("CO_"):
            unsound.conversion.setdefault(p.range.file, _Places()).add(p.range)
            if p.range.file in graph_files and p.code not in FILE_LEVEL:
                unsound.relations_lost = True
    unsound.relations_lost = unsound.relations_lost or bool(unsound.names)
    uncertain = _uncertain_installers(graph, unsound)
    by_path = {i.path: i for i in walk_instances(list(instances))} if unsound.names else {}
    return [p for p in problems if not _cascade(p, unsound, uncertain, by_path)]


def _unsound(
    errors: list[Problem], files: dict[str, ParsedFile], graph_files: dict[str, ParsedFile], sources: Sources | None
) -> _Unsound:
    """The blocks errors make unreliable; only graph files' blocks make names unreliable."""
    out = _Unsound()
    names_at = {p.range for p in errors if p.code in BAD_NAME and p.range is not None}
    syntax: dict[str, list[SourceRange]] = {}
    for p in errors:
        assert p.range is not None
        out.errors.setdefault(p.range.file, _Places()).add(p.range)
        if p.code.startswith("P_"):
            syntax.setdefault(p.range.file, []).append(p.range)
    for rel, parsed in files.items():
        if rel not in out.errors:
            continue
        holders = sorted(parsed.holders, key=lambda h: h.range.start_line)
        starts = [h.range.start_line for h in holders]
        # a block cut short, or whose name is wrong (references to it cannot be trusted)
        broken: set[int] = {
            id(h) for h in holders if h.cancelled or h.name_range in names_at or h.decl_range in names_at
        }
        for r in syntax.get(rel, ()):
            i = bisect.bisect_right(starts, r.start_line) - 1
            if i >= 0 and holders[i].range.start_line <= r.start_line <= holders[i].range.end_line:
                broken.add(id(holders[i]))
        blocks = []
        for h in holders:
            if id(h) in broken:
                blocks.append(h.range)
                if h.kind is not HolderKind.INSTANCE and rel in graph_files:
                    out.names.add(h.name)
            else:
                if h.kind is HolderKind.COMPONENT and _installer_unreliable(h, out.errors[rel], errors):
                    out.installers.add(h.name)
                if rel in graph_files and _relation_unreliable(h, out.errors[rel]):
                    out.relations_lost = True
        out.blocks[rel] = blocks
        out.block_starts[rel] = [b.start_line for b in blocks]
        for b in parsed.blocks if rel in graph_files else ():
            if isinstance(b, Unknown):
                name = _declared_name(b.text)
                if name:
                    out.names.add(name)
        if rel in graph_files and sources is not None and syntax.get(rel):
            out.names.update(_cancelled_names(rel, syntax[rel], sources))
        if rel not in graph_files:
            _instance_names(parsed.holders, out.errors[rel], out.bad_instance_names)
            if syntax.get(rel):
                out.broken_trees.add(rel)
    return out


def _cancelled_names(rel: str, ranges: list[SourceRange], sources: Sources) -> set[str]:
    try:
        text = sources.read(rel)
    except SourceError:
        return set()
    if text is None:
        return set()
    lines = split_lines(text)
    found = set()
    for r in ranges:
        if 1 <= r.start_line <= len(lines):
            name = _declared_name(lines[r.start_line - 1])
            if name:
                found.add(name)
    return found


def _instance_names(holders: list[Holder], places: _Places, out: set[SourceRange]) -> None:
    for h in holders:
        if h.kind is not HolderKind.INSTANCE:
            continue
        prop = h.first("name")
        if prop is not None and places.within(prop.range):
            out.update((h.decl_range, prop.value_range))
        _instance_names(h.holders, places, out)


def _installer_unreliable(h: Holder, places: _Places, errors: list[Problem]) -> bool:
    for item in h.items:
        if not isinstance(item, Property):
            continue
        if item.name in ("installer", "extends") and places.within(item.range):
            return True
        if places.within(item.name_range) and any(
            p.code == "PM_PROPERTY_NOT_APPLIABLE" and p.range == item.name_range for p in errors
        ):
            return True
    return False


def _relation_unreliable(h: Holder, places: _Places) -> bool:
    return any(
        isinstance(item, Property) and item.name in ("children", "facets", "extends") and places.within(item.range)
        for item in h.items
    )


def _declared_name(text: str) -> str:
    """The name a declaration line that could not be read was about (``facet X {`` → ``X``)."""
    head = text.split("{", 1)[0].strip()
    if head.startswith("facet") and head[5:6].isspace():
        head = head[5:].strip()
    elif head.startswith(("instance", "import")):
        return ""
    return head if _NAME.fullmatch(head) else ""


def _uncertain_installers(graph: Graph | None, unsound: _Unsound) -> set[str]:
    """Components whose installer comes (maybe) from an unreliable block of their chain."""
    if graph is None:
        return set()
    # a component whose `extends` does not resolve has lost the installer it would inherit
    marked = unsound.installers | unsound.names
    marked.update(c.name for c in graph.components.values() if c.extends_ref is not None and c.super is None)
    if not marked:
        return set()
    return {c.name for c in graph.components.values() if any(x.name in marked for x in ih.chain(c))}


def _detail(p: Problem, kind: str) -> str | None:
    return next((v for k, v in p.details if k == kind), None)


def _cascade(p: Problem, unsound: _Unsound, uncertain: set[str], by_path: dict[str, Instance]) -> bool:
    if not p.code.startswith(MODEL_STAGE) or p.code in FILE_LEVEL:
        return False
    r = p.range
    if r is not None and r != SourceRange.file_start(r.file):  # a file-level anchor is no place
        places = unsound.errors.get(r.file)
        if places is not None and places.contain(r):
            return True  # the same place as a block-level error: the same mistake
        conversion = unsound.conversion.get(r.file)
        if not p.code.startswith("CO_") and conversion is not None and conversion.contain(r):
            return True  # a model problem where conversion failed (an instance of no component)
        if unsound.in_block(r):
            return True
        if p.code in INSTANCE_NAME and r in unsound.bad_instance_names:
            return True
        if p.code in INSTANCE_TREE and r.file in unsound.broken_trees:
            return True
    if unsound.relations_lost and p.code in GRAPH_WIDE:
        return True
    names = unsound.names
    if names:
        if p.code in INSTANCE_TREE:
            return True
        if p.code in UNKNOWN_NAME and any(v in names for _, v in p.details):
            return True
        if p.code in UNRESOLVED and (_detail(p, "VARIABLE") or "").split(".", 1)[0] in names:
            return True
        path = _detail(p, "INSTANCE")
        inst = by_path.get(path) if path is not None else None
        if inst is not None and (
            inst.component_name in names or (inst.parent is not None and inst.parent.component_name in names)
        ):
            return True
    return p.code in INSTALLER and _detail(p, "COMPONENT") in uncertain
