"""The Swarm target: a stack file for ``docker stack deploy`` (the legacy v3 schema its loader uses).

Differences from Compose, all from compile.md §2.5 and §4.4: no top-level ``name``; images only
(``build`` is ignored by stacks: a built-only service is an error); ``depends_on`` as a plain list,
which stacks ignore (``CMP_ORDERING_NOT_ENFORCED``), so order converges through health checks and a
restart policy (``condition: any``); long-form ports with a publishing mode; ``endpoint_mode`` for
kernels without IPVS; no ``network_mode`` (nested containers are an error); no ``restart`` key
(``deploy.restart_policy`` instead); health checks without ``start_interval``.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from rbcc.compiler.ir.build import CompileOptions
from rbcc.compiler.ir.external import SHARED_NETWORK, unbound_problems
from rbcc.compiler.ir.model import CompiledApplication, Service
from rbcc.compiler.targets.common import (
    UNBOUND_NOTE,
    health,
    process,
    provenance,
    shared_networks,
    volume_name,
    volumes,
)
from rbcc.compiler.targets.yamltext import dump
from rbcc.dsl import Level, Problem, problem

STACK_FILE = "swarm/stack.yaml"
_RESTART = {"no": "none", "always": "any", "unless-stopped": "any", "on-failure": "on-failure"}


def _where(app: CompiledApplication, s: Service):
    inst = app.by_path[s.instance]
    return inst.source.name_range if inst.source else None


def check(app: CompiledApplication) -> list[Problem]:
    out: list[Problem] = []
    for s in app.services:
        if not s.spec.image:
            out.append(problem("CMP_SWARM_NEEDS_IMAGE", _where(app, s), ("SERVICE", s.name), ("TARGET", "swarm")))
        if s.parent_service is not None:
            out.append(
                problem("CMP_NESTED_CONTAINERS", _where(app, s), ("SERVICE", s.name), ("PARENT", s.parent_service))
            )
    out.extend(unbound_problems(app, Level.WARNING, UNBOUND_NOTE))
    mandatory = [s for s in app.services if any(d.required for d in s.depends)]
    if mandatory and not all(s.spec.wait == "sh" for s in mandatory):
        first = mandatory[0]
        out.append(
            dataclasses.replace(
                problem("CMP_ORDERING_NOT_ENFORCED", _where(app, first), ("SERVICE", first.name)), level=Level.WARNING
            )
        )
    return out


def service_document(s: Service, options: CompileOptions) -> dict[str, Any]:
    spec = s.spec
    out: dict[str, Any] = {"image": spec.image}
    out.update(process(s))
    out["hostname"] = s.name
    out["environment"] = dict(s.env)
    if s.shared:
        out["networks"] = shared_networks(s)
    ports = []
    for p in spec.ports:
        if p.publish is None:
            continue
        entry: dict[str, Any] = {"target": p.container}
        if isinstance(p.publish, int):
            entry["published"] = p.publish
        entry["protocol"] = p.protocol
        entry["mode"] = options.swarm_port_mode
        ports.append(entry)
    if ports:
        out["ports"] = ports
    h = health(s, start_interval=False)
    if h is not None:
        out["healthcheck"] = h
    if s.depends:
        out["depends_on"] = [d.on for d in s.depends]
    deploy: dict[str, Any] = {
        "replicas": s.replicas,
        "endpoint_mode": options.swarm_endpoint_mode,
        "restart_policy": {"condition": _RESTART[spec.restart], "delay": "5s"},
        "labels": {"net.roboconf.instance": s.instance, "net.roboconf.component": s.component},
    }
    out["deploy"] = deploy
    if spec.stop_grace_period:
        out["stop_grace_period"] = spec.stop_grace_period
    vols = volumes(s)
    if vols:
        out["volumes"] = vols
    out["x-roboconf"] = provenance(s)
    return out


def document(app: CompiledApplication, options: CompileOptions) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "version": "3.8",
        "services": {s.name: service_document(s, options) for s in app.services},
    }
    named: dict[str, dict[str, str]] = {volume_name(s, n): {} for s in app.services for n in sorted(s.spec.volumes)}
    if named:
        doc["volumes"] = named
    if any(s.shared for s in app.services):
        doc["networks"] = {SHARED_NETWORK: {"name": SHARED_NETWORK, "external": True}}
    return doc


def render(app: CompiledApplication, options: CompileOptions) -> dict[str, str]:
    return {STACK_FILE: dump(document(app, options), dollars=True)}
