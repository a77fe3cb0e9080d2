"""``replicas = collapse``: the copies of one ``count`` become one replicated service.

By default every copy made by ``count: N`` is a service of its own (``replicas = expand``): each keeps
its identity, its ports and its place in importers' lists (``<P>_0_*`` … ``<P>_{N-1}_*``).  When a
component's metadata says ``replicas = collapse``, the copies of one declaration become one service
with N replicas (Compose and Swarm ``deploy.replicas``, a Deployment's ``replicas``), which is what a
user scaling stateless workers expects, at a price compile.md §3 spells out: importers then see one
exporter (``<P>_size = 1``) whose name resolves to every replica (``CMP_REPLICAS_CHANGE_LISTS``).

Copies can only be replicas when nothing tells them apart: no instance overrides, no random ports,
no fixed host port (replicas cannot share it), no volume, no nested containers and no imports between them (a
cluster's members need each other's names).  Otherwise they stay expanded and a note says why.
"""

from __future__ import annotations

from dataclasses import dataclass

from rbcc.compiler.ir.model import CompiledApplication, InstanceIR
from rbcc.compiler.ir.names import service_name
from rbcc.compiler.ir.units import UnitShape


@dataclass(frozen=True, slots=True)
class Collapsed:
    """One replicated service made of the copies of one declaration."""

    name: str  # the service name: the declared instance's, without the copy index
    kept: str  # the instance path whose unit becomes the service (the first copy)
    copies: tuple[str, ...]  # every copy's instance path, the kept one first


def collapse_groups(
    compiled: CompiledApplication, shapes: list[UnitShape], taken: set[str]
) -> tuple[list[Collapsed], list[str]]:
    """The groups to collapse, and notes for those that must stay expanded (and why)."""
    groups: dict[int, list[UnitShape]] = {}
    for shape in shapes:
        setting = shape.settings.get("replicas")
        if setting is None or setting.value.strip() != "collapse":
            continue
        source = compiled.by_path[shape.instance].source
        if source is None:
            continue
        declared = source.copied_from or source
        groups.setdefault(id(declared), []).append(shape)
    out: list[Collapsed] = []
    notes: list[str] = []
    nested = {s.parent_unit for s in shapes if s.parent_unit is not None}
    for members in groups.values():
        if len(members) < 2:
            continue
        irs = [compiled.by_path[m.instance] for m in members]
        reason = _why_not(irs, members, nested)
        first = irs[0]
        if reason is not None:
            notes.append(f"{first.path}: replicas = collapse not applied to its {len(irs)} copies ({reason})")
            continue
        name = _name(first, len(irs), taken)
        taken.add(name)
        out.append(Collapsed(name, first.path, tuple(ir.path for ir in irs)))
    return out, notes


def _why_not(irs: list[InstanceIR], members: list[UnitShape], nested: set[str]) -> str | None:
    paths = {ir.path for ir in irs}
    for ir, shape in zip(irs, members, strict=True):
        if ir.properties or (ir.source is not None and ir.source.overrides):
            return f"{ir.path} overrides a value"
        if ir.random_ports:
            return f"{ir.path} has random ports, one per copy"
        if shape.instance in nested:
            return f"{ir.path} holds nested containers"
        if shape.parent_unit is not None:
            return f"{ir.path} is nested in another container"
        for key, setting in shape.settings.items():
            if key.startswith("volume."):
                return f"{ir.path} has a volume, which replicas would share"
            if key.startswith("publish.") and setting.value.strip().isdigit():
                return f"{ir.path} publishes the fixed host port {setting.value.strip()}"
        for imp in ir.imports:
            if any(e.path in paths for e in imp.exporters):
                return "the copies import each other: a cluster's members need each other's names"
    return None


def _name(first: InstanceIR, count: int, taken: set[str]) -> str:
    """``/vm/worker1`` of ``count: 3`` → the service name of ``/vm/worker`` (unique among services)."""
    width = len(str(count))
    base = first.name[:-width] if len(first.name) > width else first.name
    parent = first.parent or ""
    name = service_name(f"{parent}/{base}")
    candidate, n = name, 2
    while candidate in taken:
        candidate, n = f"{name}-{n}", n + 1
    return candidate
