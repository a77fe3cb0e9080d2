"""Import resolution between instances: which instance receives which variables from which.

This is Roboconf's runtime rule (the agents' messaging, dsl.md §7.5, §7.6, §8.5), computed
statically for a set of instances:

* an instance *exports* its component's resolved variables after its own overrides
  (``inheritance.instance_exports``), published per **prefix** (the text before the first
  ``.``: the component itself, a super-component or a facet);
* an instance *imports*, for each prefix ``P`` of its component's effective non-external imports,
  from **every other** instance that exports at least one variable prefixed by ``P``, anywhere in
  the application (an instance never imports from itself: a ZooKeeper ensemble importing
  ``zookeeper.*`` sees its peers only);
* what it receives from one exporter is *tailored*: ``P.*`` brings every ``P.x`` variable,
  ``P.v`` brings ``P.v`` when the exporter has it;
* a prefix is *mandatory* when one of its imports is not optional; an instance with a mandatory
  prefix that no instance exports stays unresolved (it cannot start);
* ``external`` imports name another application's exports-prefix: they are bound at runtime and
  only listed here.

Values are the graph defaults after overrides, before runtime substitutions (``ip``,
``$(ROBOCONF_...)``).  The result is deterministic: instances keep the order they are given in,
prefixes are sorted.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from rbcc.dsl import Component, Graph, ImportDecl, Instance
from rbcc.dsl import inheritance as ih


def prefix_of(name: str) -> str:
    """``"MySQL.port"`` → ``"MySQL"``; a name without a dot has no prefix (``""``)."""
    head, dot, _ = name.partition(".")
    return head if dot else ""


@dataclass(frozen=True, slots=True)
class ImportGroup:
    """The imports of one component that share a prefix: one subscription at runtime."""

    prefix: str
    names: tuple[str, ...]  # declared import names, sorted (``P.ip``, ``P.*``...)
    optional: bool  # True when every import of the prefix is optional
    external: bool
    #: whether one of the names is ``P.*`` (derived from ``names``, kept because it is asked often)
    wildcard: bool = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "wildcard", any(n.endswith(".*") for n in self.names))

    def wants(self, variable: str) -> bool:
        """Whether an exported ``variable`` (prefixed by this group's prefix) is received."""
        return self.wildcard or variable in self.names

    def label(self) -> str:
        """Compact text of the imported names: ``P.*``, ``P.ip`` or ``P.{ip, port}``."""
        if self.wildcard:
            return f"{self.prefix}.*"
        suffixes = [n.split(".", 1)[1] for n in self.names]
        if len(suffixes) == 1:
            return f"{self.prefix}.{suffixes[0]}"
        return f"{self.prefix}.{{{', '.join(suffixes)}}}"


def import_groups(graph: Graph, component: Component) -> list[ImportGroup]:
    """The effective imports of ``component`` (inherited ones included) grouped by prefix."""
    by_key: dict[tuple[str, bool], list[ImportDecl]] = {}
    for decl in ih.imports(graph, component).values():
        p = prefix_of(decl.name)
        if p:
            by_key.setdefault((p, decl.external), []).append(decl)
    out = []
    for (p, external), decls in sorted(by_key.items()):
        out.append(ImportGroup(p, tuple(sorted(d.name for d in decls)), all(d.optional for d in decls), external))
    return out


def exports_by_prefix(graph: Graph, instance: Instance) -> dict[str, dict[str, str | None]]:
    """What ``instance`` publishes: prefix → {full variable name → value}, both sorted."""
    out: dict[str, dict[str, str | None]] = {}
    for name, value in sorted(ih.instance_exports(graph, instance).items()):
        p = prefix_of(name)
        if p:
            out.setdefault(p, {})[name] = value
    return out


@dataclass(frozen=True, slots=True)
class Binding:
    """``importer`` receives ``variables`` from ``exporter`` through the imports of ``group``."""

    importer: Instance
    exporter: Instance
    group: ImportGroup
    variables: tuple[tuple[str, str | None], ...]

    @property
    def prefix(self) -> str:
        return self.group.prefix

    @property
    def optional(self) -> bool:
        return self.group.optional


@dataclass(frozen=True, slots=True)
class Unresolved:
    """No instance exports anything prefixed by ``group.prefix`` for ``importer``."""

    importer: Instance
    group: ImportGroup

    @property
    def blocking(self) -> bool:
        """A mandatory import: the importer cannot start."""
        return not self.group.optional


@dataclass(frozen=True, slots=True)
class ExternalImport:
    """An import from another application (its exports-prefix is ``group.prefix``)."""

    importer: Instance
    group: ImportGroup


@dataclass
class Wiring:
    """Every import of a set of instances, resolved."""

    instances: list[Instance]
    bindings: list[Binding] = field(default_factory=list)
    unresolved: list[Unresolved] = field(default_factory=list)
    external: list[ExternalImport] = field(default_factory=list)

    def imports_of(self, instance: Instance) -> list[Binding]:
        return [b for b in self.bindings if b.importer is instance]

    def exports_of(self, instance: Instance) -> list[Binding]:
        return [b for b in self.bindings if b.exporter is instance]

    @property
    def blocked(self) -> list[Instance]:
        """Instances with a mandatory import that nothing satisfies, in order."""
        seen: set[int] = set()
        out = []
        for u in self.unresolved:
            if u.blocking and id(u.importer) not in seen:
                seen.add(id(u.importer))
                out.append(u.importer)
        return out


def resolve_wiring(graph: Graph, instances: Iterable[Instance]) -> Wiring:
    """Resolve the imports of ``instances`` against their exports (see the module docstring).

    ``instances`` is a flat collection (``model.walk_instances(roots)`` for a whole application,
    or only the deployed ones for an executor); instances without a component are ignored.
    """
    pool = [i for i in instances if i.component is not None]
    wiring = Wiring(pool)
    exporters: dict[str, list[tuple[Instance, dict[str, str | None]]]] = {}
    for inst in pool:
        for p, variables in exports_by_prefix(graph, inst).items():
            exporters.setdefault(p, []).append((inst, variables))
    groups: dict[str, list[ImportGroup]] = {}
    received_cache: dict[tuple[int, ImportGroup], tuple[tuple[str, str | None], ...]] = {}
    for inst in pool:
        assert inst.component is not None
        own = groups.get(inst.component.name)
        if own is None:
            own = groups[inst.component.name] = import_groups(graph, inst.component)
        for group in own:
            if group.external:
                wiring.external.append(ExternalImport(inst, group))
                continue
            found = False
            for exporter, variables in exporters.get(group.prefix, ()):
                if exporter is inst:
                    continue
                found = True
                key = (id(exporter), group)
                received = received_cache.get(key)
                if received is None:
                    received = received_cache[key] = tuple((k, v) for k, v in variables.items() if group.wants(k))
                wiring.bindings.append(Binding(inst, exporter, group, received))
            if not found:
                wiring.unresolved.append(Unresolved(inst, group))
    return wiring
