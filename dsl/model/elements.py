"""The semantic model of a Roboconf application: components, facets, instances, with sources.

Every element keeps the range of its name and of each reference it makes (``Ref``), so that the
validator, the language server (definition, references, rename) and the compiler can all point
back at the text.  Relations are resolved by ``graph_builder``; derived views (inheritance,
exported variables, children) live in ``inheritance``.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterator
from dataclasses import dataclass, field
from typing import Literal, TypeVar, cast

from rbcc.dsl.model.variables import ExportDecl, ImportDecl
from rbcc.dsl.text.ranges import SourceRange
from rbcc.dsl.text.syntax import Holder, ParsedFile


@dataclass(frozen=True, slots=True)
class Ref:
    """A name written somewhere (``children: War`` → ``Ref("War", <range of War>)``)."""

    name: str
    range: SourceRange


@dataclass(slots=True, eq=False)
class Facet:
    name: str
    name_range: SourceRange
    block: Holder
    exports: dict[str, ExportDecl] = field(default_factory=dict)
    child_refs: list[Ref] = field(default_factory=list)
    extends_refs: list[Ref] = field(default_factory=list)
    doc: str | None = None
    # resolved
    extends: list[Facet] = field(default_factory=list)
    extending: list[Facet] = field(default_factory=list)
    children: list[Node] = field(default_factory=list)
    ancestors: list[Node] = field(default_factory=list)
    components: list[Component] = field(default_factory=list)  # directly associated

    @property
    def file(self) -> str:
        return self.name_range.file

    def __repr__(self) -> str:
        return f"Facet({self.name!r})"


@dataclass(slots=True, eq=False)
class Component:
    name: str
    name_range: SourceRange
    block: Holder
    installer: str | None = None
    installer_range: SourceRange | None = None
    extends_ref: Ref | None = None
    facet_refs: list[Ref] = field(default_factory=list)
    child_refs: list[Ref] = field(default_factory=list)
    exports: dict[str, ExportDecl] = field(default_factory=dict)
    imports: dict[str, ImportDecl] = field(default_factory=dict)
    doc: str | None = None
    # resolved
    super: Component | None = None
    facets: list[Facet] = field(default_factory=list)
    children: list[Node] = field(default_factory=list)
    ancestors: list[Node] = field(default_factory=list)
    extending: list[Component] = field(default_factory=list)

    @property
    def file(self) -> str:
        return self.name_range.file

    def __repr__(self) -> str:
        return f"Component({self.name!r})"


Node = Component | Facet

_T = TypeVar("_T")


@dataclass(slots=True, eq=False)
class Graph:
    """All components and facets of an application (the union of its graph files)."""

    components: dict[str, Component] = field(default_factory=dict)
    facets: dict[str, Facet] = field(default_factory=dict)
    #: every declaring block per name, including duplicates (for CO_ALREADY_DEFINED_*)
    declarations: dict[str, list[Component | Facet]] = field(default_factory=dict)
    files: dict[str, ParsedFile] = field(default_factory=dict)
    #: the names of the components Roboconf's graph has (those of its error-free files, see
    #: ``FileLoad.java_files``); None for a graph not built by ``load_graph``
    java_components: frozenset[str] | None = None
    #: the relations Roboconf links (see ``load_graph``): all, those of the components only, none
    java_links: Literal["all", "components", "none"] = "all"
    #: what Roboconf itself links, whatever the mode (``java_links`` is "all" in the default
    #: mode once an error was found: the model checks then see the graph as written)
    roboconf_links: Literal["all", "components", "none"] = "all"
    #: derived results (inheritance, checks), read and written through :meth:`memo`
    cache: dict[Hashable, object] = field(default_factory=dict, repr=False)

    def node(self, name: str) -> Node | None:
        return self.components.get(name) or self.facets.get(name)

    def memo(self, key: Hashable, compute: Callable[[], _T]) -> _T:
        """``compute()`` once per graph and ``key``: the model is immutable once resolved.

        A key always stands for the same computation, so the value stored under it has the type
        ``compute`` returns.
        """
        hit = self.cache.get(key)
        if hit is None:
            hit = self.cache[key] = compute()
        return cast(_T, hit)


@dataclass(slots=True, eq=False)
class Instance:
    name: str
    component_name: str
    block: Holder
    name_range: SourceRange
    component_range: SourceRange
    component: Component | None = None
    parent: Instance | None = None
    children: list[Instance] = field(default_factory=list)
    count: int = 1
    channels: list[str] = field(default_factory=list)
    data: dict[str, str | None] = field(default_factory=dict)
    state: str = "NOT_DEPLOYED"
    #: overridden exports as written (name → value), with the range of each property
    overrides: dict[str, str] = field(default_factory=dict)
    override_ranges: dict[str, SourceRange] = field(default_factory=dict)
    #: set on copies made by ``count`` expansion: the instance they were copied from
    copied_from: Instance | None = None

    @property
    def path(self) -> str:
        parts: list[str] = []
        node: Instance | None = self
        while node is not None:
            parts.append(node.name)
            node = node.parent
        return "/" + "/".join(reversed(parts))

    @property
    def file(self) -> str:
        return self.block.decl_range.file

    def walk(self) -> Iterator[Instance]:
        """This instance and its descendants, breadth first."""
        queue = [self]
        i = 0
        while i < len(queue):
            node = queue[i]
            i += 1
            yield node
            queue.extend(node.children)

    def __repr__(self) -> str:
        return f"Instance({self.path!r} of {self.component_name!r})"


def walk_instances(roots: list[Instance]) -> Iterator[Instance]:
    """Every instance of ``roots``, breadth first per root (Roboconf's order)."""
    for r in roots:
        yield from r.walk()
