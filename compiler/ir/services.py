"""Lowering the IR for container targets: units with rendered settings, environments and dependencies.

The diagnostics that hold for every container target are here (compile.md §2.6): instances with
nowhere to run, name collisions, host-port conflicts, recipes that would not run, health conditions
without a health check, any-of imports written as all-of, update recipes that containers lose.
Target-specific limits (Swarm's, Kubernetes') are in the targets.
"""

from __future__ import annotations

import functools
import re
from collections import defaultdict

from rbcc.compiler.ir.build import CompileOptions, strongly_connected
from rbcc.compiler.ir.containers import ContainerSpec, build_spec, container_ports
from rbcc.compiler.ir.environment import ValueView, environment, template_context
from rbcc.compiler.ir.external import SHARED_NETWORK, publish
from rbcc.compiler.ir.model import CompiledApplication, Dependency, InstanceIR, Service
from rbcc.compiler.ir.replicas import collapse_groups
from rbcc.compiler.ir.units import UnitShape, partition
from rbcc.dsl import Application, Graph, Problem, Setting, SourceRange, inheritance, problem

#: what Roboconf's Docker target runs when a target names no image
DEFAULT_AGENT_IMAGE = "roboconf/roboconf-agent:latest"
_SHELL_SAFE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
#: Roboconf's Docker target placeholders in docker.option.env.* values
_PLACEHOLDERS = ("<application-name>", "<scoped-instance-path>", "<scoped-messaging_type>")
#: docker.option.run.* options that have a container-settings equivalent
_RUN_OPTIONS = {"cap-add": "cap_add", "capadd": "cap_add", "user": "user", "working-dir": "working_dir"}


def lower_services(app: Application, compiled: CompiledApplication, options: CompileOptions) -> list[Problem]:
    """Fill ``compiled.services``; returns the problems found on the way."""
    shapes, problems = partition(app, compiled, options.profile)
    if not shapes:
        return problems
    for shape in shapes:
        if shape.mode == "machine":
            problems.extend(_machine_settings(shape, compiled.name))
            if "image" not in shape.settings and "build" not in shape.settings and shape.dockerfile is None:
                assert shape.target is not None
                where = shape.target.entries.get("handler")
                r = where.value_range if where else SourceRange.file_start(shape.target.file)
                shape.settings["image"] = Setting("image", None, DEFAULT_AGENT_IMAGE, r, r)
                compiled.notes.append(
                    f"{shape.instance}: its docker target names no docker.image; Roboconf's default "
                    f"{DEFAULT_AGENT_IMAGE} is used"
                )
    shapes, representative = _collapse(compiled, shapes, problems)
    service_of: dict[str, str] = {}
    for shape in shapes:
        for path in [shape.instance, *shape.colocated]:
            service_of[path] = shape.name
    for copy, kept in representative.items():
        if kept in service_of:
            service_of[copy] = service_of[kept]
    ports: dict[str, dict[str, tuple[int, str]]] = {}
    for shape in shapes:
        found, bad = container_ports(shape.settings)
        ports[shape.instance] = found
        problems.extend(bad)
    # A container nested in another shares its network: its address is the outermost unit's name.
    unit_by_instance = {shape.instance: shape for shape in shapes}
    address_of: dict[str, str] = {}
    for shape in shapes:
        top = shape
        while top.parent_unit is not None:
            top = unit_by_instance[top.parent_unit]
        for path in [shape.instance, *shape.colocated]:
            address_of[path] = top.name
    for copy, kept in representative.items():
        if kept in address_of:
            address_of[copy] = address_of[kept]
    view = ValueView(
        compiled, address_of, {k: {v: p for v, (p, _) in m.items()} for k, m in ports.items()}, representative
    )
    by_name: dict[str, list[UnitShape]] = defaultdict(list)
    for shape in shapes:
        by_name[shape.name].append(shape)
    for name, same in sorted(by_name.items()):
        if len(same) > 1:
            first = compiled.by_path[same[0].instance]
            problems.append(
                problem(
                    "CMP_NAME_COLLISION",
                    first.source.name_range if first.source else None,
                    ("NAME", name),
                    ("INSTANCES", ", ".join(s.instance for s in same)),
                    note="Rename one of the instances.",
                )
            )
    warned_update: set[str] = set()  # components already told about their update recipe
    for shape in shapes:
        inst = compiled.by_path[shape.instance]
        spec, bad = build_spec(
            shape.settings,
            shape.dockerfile,
            functools.partial(template_context, view, inst, compiled.name),
            ports[shape.instance],
        )
        problems.extend(bad)
        env = environment(view, inst, compiled.name)
        env.update(spec.env)
        service = Service(
            name=shape.name,
            instance=shape.instance,
            component=inst.component,
            mode=shape.mode,
            colocated=list(shape.colocated),
            hosts=list(shape.hosts),
            root=inst.root,
            parent_service=service_of.get(shape.parent_unit) if shape.parent_unit else None,
            spec=spec,
            env=dict(sorted(env.items())),
            has_update_recipe=any(
                r.step == "update" and r.kind in ("script", "template", "instructions")
                for p in [shape.instance, *shape.colocated]
                for r in compiled.by_path[p].recipes
            ),
            copies=list(shape.copies),
        )
        compiled.services.append(service)
        problems.extend(_unit_checks(compiled, service, inst, warned_update))
        if spec.executor == "yes" and f"executor:{service.component}" not in warned_update:
            warned_update.add(f"executor:{service.component}")
            compiled.notes.append(
                f"{service.component}: executor = yes has no effect yet (images with rbcc's executor come with "
                "rbcc deploy)"
            )
    compiled.published = publish(compiled, app.descriptor, view.value, address_of)
    _join_shared_network(compiled, address_of)
    problems.extend(_dependencies(compiled, service_of, ports, app.graph))
    problems.extend(_host_ports(compiled))
    return problems


def _collapse(
    compiled: CompiledApplication, shapes: list[UnitShape], problems: list[Problem]
) -> tuple[list[UnitShape], dict[str, str]]:
    """Apply ``replicas = collapse`` (:mod:`rbcc.compiler.ir.replicas`).

    Returns the units left and, for each instance of a dropped copy, the kept copy's instance it
    is a replica of: importers list the kept one only.
    """
    groups, notes = collapse_groups(compiled, shapes, {s.name for s in shapes})
    compiled.notes.extend(notes)
    if not groups:
        return shapes, {}
    by_instance = {s.instance: s for s in shapes}
    representative: dict[str, str] = {}
    for g in groups:
        kept = by_instance[g.kept]
        kept.name = g.name
        kept.copies = list(g.copies)
        for copy in g.copies[1:]:
            representative[copy] = g.kept
            for child in by_instance[copy].colocated:
                twin = g.kept + child[len(copy) :]
                if twin in kept.colocated:
                    representative[child] = twin
        importers = sorted(
            ir.path
            for ir in compiled.instances
            if ir.path not in g.copies
            and any(
                e.path in representative and representative[e.path] == g.kept for i in ir.imports for e in i.exporters
            )
        )
        if importers:
            first = compiled.by_path[g.kept]
            problems.append(
                problem(
                    "CMP_REPLICAS_CHANGE_LISTS",
                    first.source.name_range if first.source else None,
                    ("SERVICE", g.name),
                    ("IMPORTERS", _some(importers)),
                    note=f"{len(g.copies)} copies are listed as one exporter named {g.name}.",
                )
            )
        compiled.notes.append(f"{', '.join(g.copies[:1])} and its copies run as {g.name} with {len(g.copies)} replicas")
    dropped = set(representative)
    return [s for s in shapes if s.instance not in dropped], representative


def _join_shared_network(compiled: CompiledApplication, address_of: dict[str, str]) -> None:
    """Services exporting to, or importing from, another application join the network they share.

    An exporter carries its alias there (the ``ip`` other applications receive); a nested container
    shares its outermost unit's network, so that unit joins for it.
    """
    by_name = {s.name: s for s in compiled.services}
    if compiled.published is not None:
        for e in compiled.published.exporters:
            top = by_name.get(address_of.get(e.path, ""))
            if top is not None and e.alias is not None and e.alias not in top.shared_aliases:
                top.shared = True
                top.shared_aliases.append(e.alias)
    for path, top_name in address_of.items():
        if any(ext.application is not None for ext in compiled.by_path[path].external):
            by_name[top_name].shared = True
    if any(s.shared for s in compiled.services):
        compiled.notes.append(
            f"services talk to other applications over the external network {SHARED_NETWORK}: create it once "
            f"with `docker network create {SHARED_NETWORK}` (Swarm: `docker network create -d overlay "
            f"--attachable {SHARED_NETWORK}`)"
        )


def _machine_settings(shape: UnitShape, application: str) -> list[Problem]:
    """Settings of a root running as a container from its Docker target's keys (compile.md §2.4)."""
    target = shape.target
    assert target is not None
    problems: list[Problem] = []
    entries = target.entries
    for key, entry in sorted(entries.items()):
        if key == "docker.image":
            shape.settings.setdefault("image", Setting("image", None, entry.value, entry.key_range, entry.value_range))
        elif key == "docker.generate.image.from":
            shape.settings.setdefault("build", Setting("build", None, entry.value, entry.key_range, entry.value_range))
        elif key.startswith("docker.option.env."):
            name = key[len("docker.option.env.") :]
            value = entry.value
            for placeholder in _PLACEHOLDERS:
                replacement = application if placeholder == "<application-name>" else shape.instance
                if placeholder == "<scoped-messaging_type>":
                    replacement = "rbcc"
                value = value.replace(placeholder, replacement)
            shape.settings.setdefault(
                f"env.{name}", Setting(f"env.{name}", None, value, entry.key_range, entry.value_range)
            )
        elif key.startswith("docker.option.run."):
            option = key[len("docker.option.run.") :].lower()
            mapped = _RUN_OPTIONS.get(option)
            if mapped is None:
                problems.append(problem("CMP_UNSUPPORTED_DOCKER_OPTION", entry.key_range, ("OPTION", key)))
            else:
                shape.settings.setdefault(
                    mapped, Setting(mapped, None, entry.value, entry.key_range, entry.value_range)
                )
    return problems


def _unit_checks(
    compiled: CompiledApplication, service: Service, inst: InstanceIR, warned_update: set[str]
) -> list[Problem]:
    out: list[Problem] = []
    spec: ContainerSpec = service.spec
    where = inst.source.name_range if inst.source else None
    recipe_bearing = [
        p for p in service.colocated if any(r.kind not in ("none", "log") for r in compiled.by_path[p].recipes)
    ]
    if recipe_bearing:
        out.append(
            problem(
                "CMP_RECIPES_NEED_EXECUTOR",
                where,
                ("SERVICE", service.name),
                ("INSTANCES", ", ".join(recipe_bearing)),
                note="Give those components their own container.properties, or move what their recipes do "
                "into the image.",
            )
        )
    if service.has_update_recipe and service.component not in warned_update:
        warned_update.add(service.component)
        out.append(problem("CMP_UPDATE_SCRIPT_IGNORED", where, ("COMPONENT", service.component)))
    for name in service.env:
        if not _SHELL_SAFE.fullmatch(name):
            out.append(problem("CMP_ENV_NAME_NOT_SHELL_SAFE", where, ("SERVICE", service.name), ("VARIABLE", name)))
    if spec.image is None and spec.build_context is None:
        out.append(
            problem(
                "CMP_NO_CONTAINER_FOR_INSTANCE",
                where,
                ("INSTANCE", inst.path),
                note="Its container metadata renders an empty image: set `image` or `build`.",
            )
        )
    return out


def _dependencies(
    compiled: CompiledApplication,
    service_of: dict[str, str],
    ports: dict[str, dict[str, tuple[int, str]]],
    graph: Graph | None = None,
) -> list[Problem]:
    """Unit-level edges: the union of the unit's instances' imports, minus edges inside the unit.

    Mandatory imports first (a unit-level cycle among them that the instances do not have is dropped
    with a warning); then optional ones, only where they close no cycle, and never between peers of a
    cluster (instances of one component importing each other: they start in any order).
    """
    out: list[Problem] = []
    services = {s.name: s for s in compiled.services}
    healthy = {s.name: s.spec.health is not None and s.spec.health.test != ("NONE",) for s in compiled.services}
    probes_of = {
        s.name: tuple((s.name, p) for p, _ in sorted(ports.get(s.instance, {}).values())) for s in compiled.services
    }
    mandatory: dict[str, dict[str, Dependency]] = {s.name: {} for s in compiled.services}
    optional: list[tuple[str, Dependency]] = []
    warned_health: set[tuple[str, str]] = set()
    #: (component, import) → the services whose start it approximates: one warning per ``imports:``
    any_of: dict[tuple[str, str, str], list[str]] = {}
    for s in compiled.services:
        if s.parent_service is not None:
            cond = "service_healthy" if healthy[s.parent_service] else "service_started"
            mandatory[s.name][s.parent_service] = Dependency(
                s.parent_service, cond, True, False, "runs inside its parent's network", probes_of[s.parent_service]
            )
        for path in [s.instance, *s.colocated]:
            inst = compiled.by_path[path]
            for imp in inst.imports:
                exporters = [e.path for e in imp.exporters if e.path in service_of]
                targets = sorted({service_of[p] for p in exporters} - {s.name})
                if not targets:
                    continue
                reason = f"{path} imports {', '.join(imp.names)}" + (" (optional)" if imp.optional else "")
                if imp.optional:
                    for t in targets:
                        if services[t].component == s.component:
                            continue  # a cluster's peers
                        optional.append(
                            (s.name, Dependency(t, "service_started", False, s.has_update_recipe, reason, probes_of[t]))
                        )
                    continue
                if len(targets) > 1:
                    any_of.setdefault((inst.component, imp.prefix, ", ".join(imp.names)), []).append(s.name)
                for t in targets:
                    if not healthy[t] and (s.name, t) not in warned_health:
                        warned_health.add((s.name, t))
                        exporter = compiled.by_path[services[t].instance]
                        out.append(
                            problem(
                                "CMP_HEALTHY_WITHOUT_CHECK",
                                exporter.source.name_range if exporter.source else None,
                                ("SERVICE", t),
                                ("IMPORTER", s.name),
                            )
                        )
                    if t not in mandatory[s.name]:
                        cond = "service_healthy" if healthy[t] else "service_started"
                        mandatory[s.name][t] = Dependency(t, cond, True, s.has_update_recipe, reason, probes_of[t])
    for (importer, prefix, names), approximated in any_of.items():
        where = _import_range(graph, importer, prefix)
        out.append(
            problem(
                "CMP_ANY_OF_APPROXIMATED",
                where,
                ("IMPORT", names),
                ("SERVICES", _some(approximated)),
                note="Every exporter is meant to start, so this only delays the importers until the slowest is ready.",
            )
        )
    for component in strongly_connected({n: list(e) for n, e in mandatory.items()}):
        if len(component) < 2:
            continue
        members = set(component)
        for n in component:
            for t in [t for t in mandatory[n] if t in members]:
                del mandatory[n][t]
        first = compiled.by_path[services[component[0]].instance]
        out.append(
            problem(
                "CMP_SERVICE_CYCLE",
                first.source.name_range if first.source else None,
                ("SERVICES", ", ".join(component)),
            )
        )
    # Optional edges only go down a topological order of the mandatory ones: never a cycle, in one pass.
    rank = _topological_rank(mandatory)
    edges = {n: dict(e) for n, e in mandatory.items()}
    for name, dep in optional:
        if dep.on not in edges[name] and rank[dep.on] < rank[name]:
            edges[name][dep.on] = dep
    for s in compiled.services:
        s.depends = [edges[s.name][t] for t in sorted(edges[s.name])]
    return out


def _topological_rank(edges: dict[str, dict[str, Dependency]]) -> dict[str, int]:
    """A position per service such that every service comes after what it depends on (edges are acyclic)."""
    rank: dict[str, int] = {}
    for start in edges:
        if start in rank:
            continue
        stack = [(start, iter(sorted(edges[start])))]
        on_path = {start}
        while stack:
            node, it = stack[-1]
            nxt = next(it, None)
            if nxt is None:
                stack.pop()
                on_path.discard(node)
                rank[node] = len(rank)
            elif nxt not in rank and nxt not in on_path:
                on_path.add(nxt)
                stack.append((nxt, iter(sorted(edges.get(nxt, {})))))
    return rank


def _host_ports(compiled: CompiledApplication) -> list[Problem]:
    out: list[Problem] = []
    seen: dict[int, str] = {}
    for s in compiled.services:
        for port in s.spec.ports:
            if isinstance(port.publish, int):
                if port.publish in seen:
                    where = s.spec.where.get(f"publish.{port.variable}")
                    out.append(
                        problem(
                            "CMP_HOST_PORT_CONFLICT",
                            where.value_range if where else None,
                            ("PORT", str(port.publish)),
                            ("SERVICES", f"{seen[port.publish]}, {s.name}"),
                        )
                    )
                else:
                    seen[port.publish] = s.name
    return out


def _import_range(graph: Graph | None, component: str, prefix: str) -> SourceRange | None:
    """Where ``component`` (or the component or facet it inherits it from) declares imports of ``prefix``."""
    if graph is None or (c := graph.components.get(component)) is None:
        return None
    found = [d.range for d in inheritance.imports(graph, c).values() if d.prefix == prefix]
    return min(found, key=lambda r: (r.file, r.start_line, r.start_column)) if found else None


def _some(names: list[str], shown: int = 3) -> str:
    """``a, b, c and 4 more``: what one grouped problem is about, without a flood of names."""
    unique = list(dict.fromkeys(names))
    head = ", ".join(unique[:shown])
    return head if len(unique) <= shown else f"{head} and {len(unique) - shown} more"
