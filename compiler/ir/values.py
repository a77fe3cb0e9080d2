"""Exported values per instance, as Roboconf resolves them, and ``random[port]`` allocation.

:func:`roboconf_exports` is Roboconf's model-level view (``InstanceHelpers.findAllExportedVariables``,
runtime.md §3.1 steps 1, 2 and 4): graph defaults after inheritance, the instance's overrides by local
name, and the ``$(ROBOCONF_...)`` meta-variables replaced; ``ip`` and unassigned random ports stay
``None`` (the deployment manager fills them in).  The differential tests compare it with the Java
original's ``model`` output.

:func:`allocate_random_ports` is the deployment manager's algorithm (runtime.md §3.2): the lowest free
port in [10000, 65500), skipping a forbidden list; a value written in the instances file wins and is
reserved first.  The manager keeps ports unique per agent; the compiler keeps them unique per
application, because one Docker host or one swarm ingress publishes every service's ports.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from rbcc.compiler.ir.names import clean_path, clean_reversed_path
from rbcc.dsl import Graph, Instance, inheritance

RANDOM_PORT_MIN = 10000
RANDOM_PORT_MAX = 65500  # exclusive, as the DM's RandomMngrImpl


def meta_variables(inst: Instance) -> dict[str, str]:
    """The ``$(ROBOCONF_...)`` meta-variables of an instance (and the script plug-in's names for them)."""
    path = inst.path
    return {
        "ROBOCONF_INSTANCE_NAME": inst.name,
        "ROBOCONF_INSTANCE_PATH": path,
        "ROBOCONF_COMPONENT_NAME": inst.component_name,
        "ROBOCONF_CLEAN_INSTANCE_PATH": clean_path(path),
        "ROBOCONF_CLEAN_REVERSED_INSTANCE_PATH": clean_reversed_path(path),
    }


def substitute_meta(value: str, meta: dict[str, str]) -> str:
    """Replace every ``$(ROBOCONF_X)`` of ``value`` (plain text replacement, as Roboconf does)."""
    if "$(" not in value:
        return value
    for key, replacement in meta.items():
        value = value.replace(f"$({key})", replacement)
    return value


def roboconf_exports(graph: Graph, inst: Instance) -> dict[str, str | None]:
    """Full variable name → value (``None`` where Roboconf leaves it unset), sorted by name."""
    meta = meta_variables(inst)
    resolved = inheritance.instance_exports(graph, inst)
    return {k: (None if v is None else substitute_meta(v, meta)) for k, v in sorted(resolved.items())}


@dataclass(frozen=True, slots=True)
class RandomPort:
    """One ``random[port]`` export of one instance: where it came from and the port it got."""

    instance: str  # path
    variable: str  # full name (``app.httpPort``)
    port: int
    explicit: bool  # written in the instances file (reserved) rather than allocated


def random_variables(graph: Graph, inst: Instance) -> list[tuple[str, str]]:
    """``(full name, local name)`` of the random-port exports declared by the instance's component itself."""
    if inst.component is None:
        return []
    out = []
    for full, decl in sorted(inheritance.random_exports(graph, inst.component).items()):
        if (decl.random_kind or "").strip().lower() == "port":
            out.append((full, decl.name))
    return out


def allocate_random_ports(
    graph: Graph, instances: Iterable[Instance], forbidden: Iterable[int] = ()
) -> tuple[list[RandomPort], list[tuple[Instance, str, str]]]:
    """Ports for every random export of ``instances`` (in Roboconf's order), and the ones that got none.

    Returns the allocations and, for exhaustion or an explicit value that is not a port,
    ``(instance, variable, reason)`` triples for the caller to report.
    """
    pool = list(instances)
    taken = set(forbidden)
    out: list[RandomPort] = []
    failed: list[tuple[Instance, str, str]] = []
    wanted: list[tuple[Instance, str]] = []
    for inst in pool:
        for full, local in random_variables(graph, inst):
            written = inst.overrides.get(local)
            if written is None:
                wanted.append((inst, full))
                continue
            try:
                port = int(written.strip())
            except ValueError:
                failed.append((inst, full, f"the instances file sets it to {written!r}, which is not a port number"))
                continue
            taken.add(port)
            out.append(RandomPort(inst.path, full, port, True))
    candidate = RANDOM_PORT_MIN
    for inst, full in wanted:
        while candidate < RANDOM_PORT_MAX and candidate in taken:
            candidate += 1
        if candidate >= RANDOM_PORT_MAX:
            failed.append((inst, full, f"every port in [{RANDOM_PORT_MIN}, {RANDOM_PORT_MAX}) is taken"))
            continue
        taken.add(candidate)
        out.append(RandomPort(inst.path, full, candidate, False))
    return out, failed
