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
from collections.abc import Iterable
from dataclasses import dataclass, field

from rbcc.dsl.model import inheritance as ih
from rbcc.dsl.model.elements import Graph, Instance, walk_instances
from rbcc.dsl.problems import Problem
from rbcc.dsl.text.ranges import SourceRange
from rbcc.dsl.text.syntax import Holder, HolderKind, ParsedFile, Property, Unknown

#: codes of the stages that read text (syntax, then block checks)
BLOCK_STAGE = ("P_", "PM_")
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


def _inside(r: SourceRange, outer: SourceRange) -> bool:
    return (outer.start_line, outer.start_column) <= (r.start_line, r.start_column) and (r.end_line, r.end_column) <= (
        outer.end_line,
        outer.end_column,
    )


@dataclass
class _Unsound:
    """What the block-level errors make unreliable."""

    errors: dict[str, _Places] = field(default_factory=dict)
    #: per file: the top-level blocks not read to their end (sorted by first line)
    blocks: dict[str, list[SourceRange]] = field(default_factory=dict)
    #: components and facets whose block was not read to its end, or not created at all
    names: set[str] = field(default_factory=set)
    #: components whose installer is unreliable (wrong ``installer:``/``extends:``, or a property
    #: that does not apply to a component: maybe a misspelt ``installer``)
    installers: set[str] = field(default_factory=set)

    def in_block(self, r: SourceRange) -> bool:
        blocks = self.blocks.get(r.file)
        if not blocks:
            return False
        i = bisect.bisect_right([b.start_line for b in blocks], r.start_line) - 1
        return i >= 0 and _inside(r, blocks[i])


def without_cascades(
    problems: list[Problem], files: dict[str, ParsedFile], graph: Graph | None, instances: Iterable[Instance]
) -> list[Problem]:
    """``problems`` without the model-stage problems that an earlier block-level error explains."""
    errors = [p for p in problems if p.is_error and p.range is not None and p.code.startswith(BLOCK_STAGE)]
    if not errors:
        return problems
    unsound = _unsound(errors, files)
    uncertain = _uncertain_installers(graph, unsound)
    by_path = {i.path: i for i in walk_instances(list(instances))} if unsound.names else {}
    return [p for p in problems if not _cascade(p, unsound, uncertain, by_path)]


def _unsound(errors: list[Problem], files: dict[str, ParsedFile]) -> _Unsound:
    out = _Unsound()
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
        broken: set[int] = {id(h) for h in holders if h.cancelled}
        for r in syntax.get(rel, ()):
            i = bisect.bisect_right(starts, r.start_line) - 1
            if i >= 0 and holders[i].range.start_line <= r.start_line <= holders[i].range.end_line:
                broken.add(id(holders[i]))
        blocks = []
        for h in holders:
            if id(h) in broken:
                blocks.append(h.range)
                if h.kind is not HolderKind.INSTANCE:
                    out.names.add(h.name)
            elif h.kind is HolderKind.COMPONENT and _installer_unreliable(h, out.errors[rel], errors):
                out.installers.add(h.name)
        out.blocks[rel] = blocks
        for b in parsed.blocks:
            if isinstance(b, Unknown):
                name = _declared_name(b.text)
                if name:
                    out.names.add(name)
    return out


def _installer_unreliable(h: Holder, places: _Places, errors: list[Problem]) -> bool:
    for item in h.items:
        if not isinstance(item, Property):
            continue
        if item.name in ("installer", "extends") and places.contain(item.range):
            return True
        if places.contain(item.name_range) and any(
            p.code == "PM_PROPERTY_NOT_APPLIABLE" and p.range == item.name_range for p in errors
        ):
            return True
    return False


def _declared_name(text: str) -> str:
    """The name a declaration line that could not be read was about (``facet X {`` → ``X``)."""
    head = text.split("{", 1)[0].strip()
    if head.startswith("facet") and head[5:6].isspace():
        head = head[5:].strip()
    elif head.startswith(("instance", "import")):
        return ""
    return head if head and not any(ch.isspace() for ch in head) else ""


def _uncertain_installers(graph: Graph | None, unsound: _Unsound) -> set[str]:
    """Components whose installer comes (maybe) from an unreliable block of their chain."""
    marked = unsound.installers | unsound.names
    if graph is None or not marked:
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
        if unsound.in_block(r):
            return True
    names = unsound.names
    if names:
        if p.code in GRAPH_WIDE:
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
