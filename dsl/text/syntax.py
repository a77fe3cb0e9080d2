"""Parse trees of graph and instances files: Roboconf's "blocks", each with its source range.

These are what the parser produces and what the formatter, the language server and the
parsing-model validator read.  The semantic model (components, facets, instances) is built from
them by ``graph_builder`` and ``instances_builder``.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from enum import Enum
from typing import TypeVar, cast

from rbcc.dsl.problems import Problem
from rbcc.dsl.text.ranges import SourceRange


class FileKind(str, Enum):
    """Roboconf's file types, computed from the top-level blocks (dsl.md §3.4)."""

    GRAPH = "graph"
    INSTANCE = "instance"
    AGGREGATOR = "aggregator"
    EMPTY = "empty"
    UNDETERMINED = "undetermined"


class HolderKind(str, Enum):
    COMPONENT = "component"
    FACET = "facet"
    INSTANCE = "instance"


@dataclass(slots=True, eq=False)
class Blank:
    line: int


@dataclass(slots=True, eq=False)
class Comment:
    text: str
    range: SourceRange


@dataclass(slots=True, eq=False)
class Import:
    """``import <uri>;`` at top level."""

    uri: str
    range: SourceRange
    uri_range: SourceRange


@dataclass(slots=True, eq=False)
class Unknown:
    """A line Roboconf could not classify, or a cancelled top-level component declaration."""

    text: str
    range: SourceRange


@dataclass(slots=True, eq=False)
class Property:
    """``name: value;`` — ``value`` has one trailing ``;`` removed and is *not* right-trimmed."""

    name: str
    value: str
    name_range: SourceRange
    value_range: SourceRange
    range: SourceRange
    comment: str | None = None

    @property
    def line(self) -> int:
        return self.range.start_line


@dataclass(slots=True, eq=False)
class Holder:
    """A component, facet or ``instance of`` block."""

    kind: HolderKind
    name: str
    name_range: SourceRange
    decl_range: SourceRange
    items: list[Item] = field(default_factory=list)
    end_line: int | None = None
    doc: str | None = None
    cancelled: bool = False

    @property
    def line(self) -> int:
        return self.decl_range.start_line

    @property
    def closed(self) -> bool:
        return self.end_line is not None

    @property
    def range(self) -> SourceRange:
        """From the declaration to the closing brace (or the last line read)."""
        end = self.end_line if self.end_line is not None else self._last_line()
        return SourceRange(self.decl_range.file, self.decl_range.start_line, 1, end, 2)

    def _last_line(self) -> int:
        last = self.decl_range.start_line
        for item in self.items:
            if isinstance(item, Holder):
                last = max(last, item.range.end_line)
            elif isinstance(item, Blank):
                last = max(last, item.line)
            else:
                last = max(last, item.range.end_line)
        return last

    @property
    def properties(self) -> list[Property]:
        return [i for i in self.items if isinstance(i, Property)]

    @property
    def holders(self) -> list[Holder]:
        return [i for i in self.items if isinstance(i, Holder)]

    def first(self, name: str) -> Property | None:
        """The first property called ``name`` (case-sensitive, as Roboconf reads them)."""
        for item in self.items:
            if isinstance(item, Property) and item.name == name:
                return item
        return None

    def all(self, name: str) -> list[Property]:
        return [i for i in self.items if isinstance(i, Property) and i.name == name]


Item = Property | Holder | Comment | Blank
Block = Import | Holder | Comment | Blank | Unknown

_T = TypeVar("_T")


@dataclass(slots=True, eq=False)
class ParsedFile:
    """One parsed ``.graph`` or ``.instances`` file."""

    path: str
    kind: FileKind
    blocks: list[Block]
    problems: list[Problem]
    line_count: int
    #: True when Roboconf would have stopped reading this file (a CANCEL); rbcc recovered.
    recovered: bool = False
    #: results derived from the blocks alone (file-level checks...), kept with the cached parse;
    #: read and written through :meth:`memo`, which keeps each key's type
    derived: dict[Hashable, object] = field(default_factory=dict, repr=False)

    def memo(self, key: Hashable, compute: Callable[[], _T]) -> _T:
        """``compute()``, run once per parse for ``key`` (its result depends on the blocks alone).

        A key always stands for the same computation, so the value stored under it has the type
        ``compute`` returns.
        """
        hit = self.derived.get(key)
        if hit is None:
            hit = self.derived[key] = compute()
        return cast(_T, hit)

    @property
    def holders(self) -> list[Holder]:
        return [b for b in self.blocks if isinstance(b, Holder)]

    @property
    def imports(self) -> list[Import]:
        return [b for b in self.blocks if isinstance(b, Import)]

    @property
    def has_errors(self) -> bool:
        return any(p.is_error for p in self.problems)
