"""The compiler's intermediate representation: what every target prints.

Built once from a validated application (:func:`rbcc.compiler.ir.build_ir`): instances after ``count``
expansion with Roboconf's resolved exports, allocated random ports, resolved imports, recipes and
start conditions; then the service units and their container settings.  Targets never look at the
dsl model again, which is what keeps names, ports and values identical across them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from rbcc.compiler.ir.containers import ContainerSpec
from rbcc.compiler.ir.external import Published
from rbcc.compiler.ir.recipes import Recipe
from rbcc.dsl import Instance, Problem


@dataclass(frozen=True, slots=True)
class Exporter:
    """One instance an import prefix resolves to, with the variables the importer receives from it."""

    path: str
    variables: tuple[tuple[str, str | None], ...]  # full name → Roboconf value, sorted


@dataclass(frozen=True, slots=True)
class ImportIR:
    """The imports of one instance that share a prefix (one subscription at runtime)."""

    prefix: str
    names: tuple[str, ...]  # as declared: ``zookeeper.ip``, ``zookeeper.*``
    optional: bool
    exporters: tuple[Exporter, ...]  # sorted by path: the ``<P>_<i>_*`` indices recipes see


@dataclass(frozen=True, slots=True)
class ExternalIR:
    """An import of another application's exports (:mod:`rbcc.compiler.ir.external`)."""

    prefix: str
    names: tuple[str, ...]
    optional: bool
    #: the application ``--bind`` bound the prefix to (None: unbound, the deployment supplies values)
    application: str | None = None
    #: its exporters, with the published variables this import receives (values as containers see them)
    exporters: tuple[Exporter, ...] = ()


@dataclass(frozen=True, slots=True)
class Wait:
    """A condition a step of an instance waits for, and why.

    ``any_of`` holds instance paths: the condition holds once one of them is in ``state``
    (a parent is a one-element ``any_of``; a mandatory import prefix lists every exporter).
    """

    step: str  # deploy | start
    kind: str  # parent | import
    any_of: tuple[str, ...]
    state: str  # deployed | started
    reason: str


@dataclass(frozen=True, slots=True)
class TargetIR:
    """A target file of a scoped instance's component (``graph/<C>/*.properties``): id, handler, every key."""

    id: str | None
    handler: str | None
    file: str  # relative to the application
    properties: dict[str, str]


@dataclass(slots=True)
class InstanceIR:
    path: str
    name: str
    component: str
    installer: str | None
    parent: str | None
    root: str
    children: list[str]
    exports: dict[str, str | None]
    random_ports: dict[str, int]
    imports: list[ImportIR]
    external: list[ExternalIR]
    #: instance-only properties of the instances file (not exports of the component)
    properties: dict[str, str]
    recipe_dir: str | None
    recipes: list[Recipe]
    waits: list[Wait]
    #: start-up wave (0 first); None when the instance can never start
    wave: int | None = None
    #: a scoped instance's target files, by file name (where the executor may run its machine)
    targets: list[TargetIR] = field(default_factory=list)
    source: Instance | None = field(default=None, repr=False, compare=False)

    def values(self) -> dict[str, str | None]:
        """Exports with the allocated random ports filled in (what exporters publish, before ``ip``)."""
        out = dict(self.exports)
        for name, port in self.random_ports.items():
            out[name] = str(port)
        return out


@dataclass(slots=True)
class CompiledApplication:
    """The whole IR of one application, or the problems that stopped it."""

    name: str
    version: str | None
    root: Path
    instances: list[InstanceIR] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    #: informational notes for the report (features a target ignores, choices made)
    notes: list[str] = field(default_factory=list)
    #: what the application exports to others (its ``exports.json``), when its descriptor says so
    published: Published | None = None
    #: the descriptor's ``exports-prefix`` and ``exports`` (internal name → alias), for the runtime plan
    exports_prefix: str | None = None
    external_exports: dict[str, str] = field(default_factory=dict)
    #: the service units, once lowered for container targets (:mod:`rbcc.compiler.ir.services`)
    services: list[Service] = field(default_factory=list)

    #: path → instance (filled by the builder)
    by_path: dict[str, InstanceIR] = field(default_factory=dict, repr=False)

    def instance(self, path: str) -> InstanceIR:
        return self.by_path[path]

    def waves(self) -> list[list[str]]:
        """Instance paths per start-up wave, in Roboconf's instance order within a wave."""
        out: list[list[str]] = []
        for inst in self.instances:
            if inst.wave is None:
                continue
            while len(out) <= inst.wave:
                out.append([])
            out[inst.wave].append(inst.path)
        return out


@dataclass(frozen=True, slots=True)
class Dependency:
    """Service ``on`` must be up before this one starts (Compose ``depends_on``, a Kubernetes wait)."""

    on: str  # service name
    condition: str  # service_healthy | service_started
    required: bool  # False for optional imports: start anyway when it is absent
    restart: bool  # restart this service when ``on`` is restarted (it has an update recipe)
    reason: str
    #: (host, port) pairs a wait gate can probe: the exporter's name and its container ports
    probes: tuple[tuple[str, int], ...] = ()


@dataclass(slots=True)
class Service:
    """One unit, ready to print: a container (or a replica group) and what it needs."""

    name: str
    instance: str  # the unit's instance path
    component: str
    mode: str  # container | machine
    colocated: list[str]
    hosts: list[str]
    root: str
    parent_service: str | None
    spec: ContainerSpec
    env: dict[str, str]
    depends: list[Dependency] = field(default_factory=list)
    has_update_recipe: bool = False
    #: names on the network shared between applications (it exports to other applications)
    shared_aliases: list[str] = field(default_factory=list)
    #: whether it joins that network (it exports to, or imports from, another application)
    shared: bool = False
    #: ``replicas = collapse``: the instances (copies of one ``count``) its replicas stand for
    copies: list[str] = field(default_factory=list)

    @property
    def replicas(self) -> int:
        return max(1, len(self.copies))
