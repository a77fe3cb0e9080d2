"""Service units: which instance becomes a container, which run inside it, which are only placement.

compile.md §2.2, in order: an instance whose component (or a super-component) has container
metadata is a *containerized* instance and becomes a unit; its descendants without metadata are
*co-located* in that unit's container; its ancestors without metadata are *hosts* (placement, and
the source of ``ANCESTOR_*`` values).  A root instance without containerized descendants whose
target has ``handler = docker`` becomes a unit itself (Roboconf's "container as a machine"), and
its whole subtree runs inside it.  Any other instance that is neither a host nor inside a unit has
nowhere to run (``CMP_NO_CONTAINER_FOR_INSTANCE``).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from rbcc.compiler.ir.model import CompiledApplication, InstanceIR
from rbcc.compiler.ir.names import service_name
from rbcc.dsl import Application, Component, Problem, Setting, TargetFile, effective_container, problem

#: keys whose presence makes a component containerized
IMAGE_KEYS = ("image", "build")


@dataclass(slots=True)
class UnitShape:
    """The partition of one unit, before its container settings are rendered."""

    name: str
    instance: str  # the containerized instance (or the machine-mode root)
    mode: str  # container | machine
    colocated: list[str] = field(default_factory=list)
    hosts: list[str] = field(default_factory=list)  # ancestors, outermost first
    parent_unit: str | None = None  # nested containerized instance: the unit it lives in
    settings: dict[str, Setting] = field(default_factory=dict)
    dockerfile: str | None = None  # the Dockerfile found by convention (component or a super)
    target: TargetFile | None = None  # machine mode: the docker target of the root
    #: ``replicas = collapse``: the copies of ``count`` this unit stands for (itself first)
    copies: list[str] = field(default_factory=list)


def metadata_of(app: Application, ir: InstanceIR, profile: str | None) -> tuple[dict[str, Setting], str | None] | None:
    """The instance's merged container settings and conventional Dockerfile, or None if it has none."""
    graph = app.graph
    if graph is None or ir.source is None or ir.source.component is None:
        return None
    component = ir.source.component
    settings = effective_container(graph, app.containers, component, profile)
    dockerfile = None
    node: Component | None = component
    while node is not None:
        meta = app.containers.get(node.name)
        if meta is not None and meta.dockerfile is not None:
            dockerfile = meta.dockerfile
            break
        node = node.super
    if settings is None and dockerfile is None:
        return None
    settings = dict(settings or {})
    if not any(k in settings for k in IMAGE_KEYS) and dockerfile is None:
        return None
    return settings, dockerfile


def docker_target(app: Application, ir: InstanceIR) -> TargetFile | None:
    """The ``handler = docker`` target of a root instance's component, if it has one."""
    for t in app.targets.get(ir.component, []):
        if (t.handler or "").strip().lower() == "docker":
            return t
    return None


def partition(
    app: Application, compiled: CompiledApplication, profile: str | None
) -> tuple[list[UnitShape], list[Problem]]:
    """Units in instance order (see the module docstring) and the instances that have nowhere to run."""
    problems: list[Problem] = []
    meta: dict[str, tuple[dict[str, Setting], str | None]] = {}
    for ir in compiled.instances:
        found = metadata_of(app, ir, profile)
        if found is not None:
            meta[ir.path] = found
    containerized_below: set[str] = set()
    for path in meta:
        node = compiled.by_path[path].parent
        while node is not None:
            containerized_below.add(node)
            node = compiled.by_path[node].parent
    units: dict[str, UnitShape] = {}
    owner: dict[str, str] = {}  # instance path → unit instance path
    idle: list[str] = []  # machines without instances
    for ir in compiled.instances:  # parents before children
        parent_owner = owner.get(ir.parent) if ir.parent else None
        if ir.path in meta:
            settings, dockerfile = meta[ir.path]
            hosts = _hosts(compiled, ir)
            shape = UnitShape(
                service_name(ir.path),
                ir.path,
                "container",
                hosts=hosts,
                parent_unit=parent_owner,
                settings=settings,
                dockerfile=dockerfile,
            )
            units[ir.path] = shape
            owner[ir.path] = ir.path
            continue
        if parent_owner is not None:
            units[parent_owner].colocated.append(ir.path)
            owner[ir.path] = parent_owner
            continue
        if ir.path in containerized_below:
            continue  # a host
        if ir.parent is None:
            if not ir.children:
                idle.append(ir.path)
                continue
            target = docker_target(app, ir)
            if target is not None:
                own = None
                if app.graph is not None and ir.source is not None and ir.source.component is not None:
                    own = effective_container(app.graph, app.containers, ir.source.component, profile)
                shape = UnitShape(service_name(ir.path), ir.path, "machine", settings=dict(own or {}), target=target)
                units[ir.path] = shape
                owner[ir.path] = ir.path
                continue
        where = ir.source.name_range if ir.source is not None else None
        problems.append(
            problem(
                "CMP_NO_CONTAINER_FOR_INSTANCE",
                where,
                ("INSTANCE", ir.path),
                ("COMPONENT", ir.component),
                note=f"Add graph/{ir.component}/container.properties with `image = ...` (or a Dockerfile) "
                "for this component or one of its ancestors.",
            )
        )
    if idle:
        shown = ", ".join(idle[:5]) + (f" and {len(idle) - 5} more" if len(idle) > 5 else "")
        machines = "1 machine has" if len(idle) == 1 else f"{len(idle)} machines have"
        compiled.notes.append(f"{machines} nothing to run (no instances): left out: {shown}")
    return list(units.values()), problems


def _hosts(compiled: CompiledApplication, ir: InstanceIR) -> list[str]:
    out = []
    node = ir.parent
    while node is not None:
        out.append(node)
        node = compiled.by_path[node].parent
    return list(reversed(out))
