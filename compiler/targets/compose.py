"""The Compose target: one ``compose.yaml`` that ``docker compose up --wait`` brings up on one engine.

Per unit one service: image or build, the script plug-in's environment, published ports,
health check, restart policy, named volumes, ``depends_on`` with ``service_healthy`` where the
exporter has a health check (``required: false`` for optional imports, ``restart: true`` when the
importer has an update recipe), ``network_mode: service:<parent>`` for a container nested in
another.  Every literal ``$`` is written ``$$`` (Compose interpolates ``$``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from rbcc.compiler.ir.external import SHARED_NETWORK, unbound_problems
from rbcc.compiler.ir.model import CompiledApplication, Service
from rbcc.compiler.ir.names import dns_name
from rbcc.compiler.targets.common import (
    UNBOUND_NOTE,
    build_context,
    health,
    process,
    provenance,
    shared_networks,
    volume_name,
    volumes,
)
from rbcc.compiler.targets.yamltext import dump
from rbcc.dsl import Level, Problem

COMPOSE_FILE = "compose/compose.yaml"


def check(app: CompiledApplication) -> list[Problem]:
    """Beyond the container-target checks of :mod:`rbcc.compiler.ir.services`: unbound external imports."""
    return unbound_problems(app, Level.WARNING, UNBOUND_NOTE)


def service_document(app: CompiledApplication, s: Service, output_dir: Path | None) -> dict[str, Any]:
    spec = s.spec
    out: dict[str, Any] = {}
    if spec.image:
        out["image"] = spec.image
    ctx = build_context(app, s, output_dir, "compose")
    if ctx is not None:
        build: dict[str, Any] = {"context": ctx}
        if spec.dockerfile:
            build["dockerfile"] = spec.dockerfile
        out["build"] = build
    out.update(process(s))
    out["environment"] = dict(s.env)
    if s.parent_service is not None:
        out["network_mode"] = f"service:{s.parent_service}"
    else:
        if s.replicas == 1:  # replicas keep their own container names as host names
            out["hostname"] = s.name
        if s.shared:
            out["networks"] = shared_networks(s)
        published = []
        for p in spec.ports:
            if isinstance(p.publish, int):
                published.append(f"{p.publish}:{p.container}/{p.protocol}")
            elif p.publish == "random":
                published.append(f"{p.container}/{p.protocol}")
        if published:
            out["ports"] = published
    h = health(s)
    if h is not None:
        out["healthcheck"] = h
    if s.depends:
        deps: dict[str, Any] = {}
        for d in s.depends:
            entry: dict[str, Any] = {"condition": d.condition}
            if not d.required:
                entry["required"] = False
            if d.restart:
                entry["restart"] = True
            deps[d.on] = entry
        out["depends_on"] = deps
    out["restart"] = spec.restart
    if s.replicas > 1:
        out["deploy"] = {"replicas": s.replicas}
    if spec.cap_add:
        out["cap_add"] = list(spec.cap_add)
    if spec.stop_grace_period:
        out["stop_grace_period"] = spec.stop_grace_period
    vols = volumes(s)
    if vols:
        out["volumes"] = vols
    out["x-roboconf"] = provenance(s)
    return out


def document(app: CompiledApplication, output_dir: Path | None) -> dict[str, Any]:
    services = {s.name: service_document(app, s, output_dir) for s in app.services}
    doc: dict[str, Any] = {
        "name": dns_name(app.name),
        "x-roboconf": {"application": app.name, "version": app.version},
        "services": services,
    }
    named: dict[str, dict[str, str]] = {volume_name(s, n): {} for s in app.services for n in sorted(s.spec.volumes)}
    if named:
        doc["volumes"] = named
    if any(s.shared for s in app.services):
        doc["networks"] = {SHARED_NETWORK: {"name": SHARED_NETWORK, "external": True}}
    return doc


def render(app: CompiledApplication, output_dir: Path | None = None) -> dict[str, str]:
    return {COMPOSE_FILE: dump(document(app, output_dir), dollars=True)}
