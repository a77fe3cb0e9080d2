"""Building the IR from a loaded application: instances, values, imports, recipes, start-up order.

Every problem is collected (never the first only) and sorted; the IR is returned even when there are
errors, so that a caller can still report what it found, but targets are only printed when there are
none (:func:`rbcc.compiler.compile_application`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from rbcc.compiler.ir.external import Published, bind, load_binding
from rbcc.compiler.ir.model import CompiledApplication, Exporter, ExternalIR, ImportIR, InstanceIR, TargetIR
from rbcc.compiler.ir.order import assign_waves, waits_of
from rbcc.compiler.ir.recipes import Recipe, recipes_for
from rbcc.compiler.ir.values import allocate_random_ports, roboconf_exports
from rbcc.compiler.wiring import ImportGroup, import_groups, resolve_wiring
from rbcc.dsl import (
    Application,
    Component,
    Graph,
    Instance,
    Problem,
    SourceRange,
    inheritance,
    problem,
    resource_dir,
    walk_instances,
)


@dataclass(frozen=True)
class CompileOptions:
    """What the user chose on the command line (or an editor in its settings)."""

    #: ports the random-port allocation must skip (the DM's ``forbidden.random.ports``)
    forbidden_ports: tuple[int, ...] = ()
    #: the metadata profile whose ``key@profile`` values win (``standin``), or None
    profile: str | None = None
    #: codes of downgradable errors the user accepts (reported as warnings)
    allow: frozenset[str] = field(default_factory=frozenset)
    #: warnings become errors
    strict: bool = False
    #: where the files will be written (build contexts are written relative to it)
    output: Path | None = None
    #: Swarm: ``vip`` (the default virtual IP) or ``dnsrr`` (DNS round robin, for kernels without IPVS)
    swarm_endpoint_mode: str = "vip"
    #: Swarm: publish ports through the ingress mesh (``ingress``) or on the node itself (``host``)
    swarm_port_mode: str = "ingress"
    #: ``--bind PREFIX=PATH``: external import prefixes bound to another application's exports.json
    bindings: tuple[tuple[str, Path], ...] = ()


def build_ir(app: Application, options: CompileOptions) -> CompiledApplication:
    """The IR of ``app`` (see :mod:`rbcc.compiler.ir.model`); problems are in ``.problems``."""
    desc = app.descriptor
    out = CompiledApplication(
        name=app.name, version=getattr(desc, "version", None) if desc is not None else None, root=app.root
    )
    if desc is not None and desc.exports_prefix and desc.external_exports:
        out.exports_prefix = desc.exports_prefix.strip()
        out.external_exports = {k: e.alias for k, e in sorted(desc.external_exports.items())}
    graph = app.graph
    if graph is None:
        return out
    flat = [i for i in walk_instances(app.instances) if i.component is not None]
    ports, failed = allocate_random_ports(graph, flat, options.forbidden_ports)
    for inst, variable, reason in failed:
        out.problems.append(problem("CMP_RANDOM_PORT", inst.name_range, ("VARIABLE", variable), note=reason))
    by_instance: dict[str, dict[str, int]] = {}
    for rp in ports:
        by_instance.setdefault(rp.instance, {})[rp.variable] = rp.port
    wiring = resolve_wiring(graph, flat)
    bindings: dict[int, list] = {}
    for b in wiring.bindings:
        bindings.setdefault(id(b.importer), []).append(b)
    externals: dict[int, list] = {}
    for e in wiring.external:
        externals.setdefault(id(e.importer), []).append(e)
    exports_cache: dict[int, dict[str, str | None]] = {id(i): roboconf_exports(graph, i) for i in flat}
    bound = {prefix: load_binding(prefix, path) for prefix, path in options.bindings}
    build = _Build(app, graph, exports_cache, bindings, externals, {id(i): i.path for i in flat}, bound)
    for inst in flat:
        out.instances.append(_instance(build, inst, by_instance.get(inst.path, {})))
    out.by_path = {i.path: i for i in out.instances}
    for ir in out.instances:
        ir.waits = waits_of(ir)
    assign_waves(out.instances)
    out.problems.extend(_start_problems(out))
    return out


@dataclass
class _Build:
    """What every instance's IR is built from, and what instances of one component share.

    Thousands of instances share a few hundred components and exporters: what depends only on the
    component (its import groups, its recipes directory, its recipes) or on one exporter and one
    import group (what it sends) is computed once, which keeps the IR linear in what it holds.
    """

    app: Application
    graph: Graph
    exports: dict[int, dict[str, str | None]]
    bindings: dict[int, list]
    externals: dict[int, list]
    paths: dict[int, str]
    #: external prefix → what the application bound to it publishes (``--bind``)
    bound: dict[str, Published] = field(default_factory=dict)
    groups: dict[str, list[ImportGroup]] = field(default_factory=dict)
    dirs: dict[str, Path | None] = field(default_factory=dict)
    recipes: dict[tuple[str | None, Path | None], list[Recipe]] = field(default_factory=dict)
    received: dict[tuple[int, str, bool, tuple[str, ...]], tuple[tuple[str, str | None], ...]] = field(
        default_factory=dict
    )

    def import_groups(self, component: Component) -> list[ImportGroup]:
        found = self.groups.get(component.name)
        if found is None:
            found = self.groups[component.name] = import_groups(self.graph, component)
        return found

    def resource_dir(self, component: Component) -> Path | None:
        if component.name not in self.dirs:
            self.dirs[component.name] = resource_dir(self.app.root / "graph", component)
        return self.dirs[component.name]

    def received_from(self, exporter: Instance, group: ImportGroup) -> tuple[tuple[str, str | None], ...]:
        key = (id(exporter), group.prefix, group.wildcard, group.names)
        found = self.received.get(key)
        if found is None:
            found = self.received[key] = _received(self.exports[id(exporter)], group)
        return found


def _instance(build: _Build, inst: Instance, ports: dict[str, int]) -> InstanceIR:
    assert inst.component is not None
    root = inst
    while root.parent is not None:
        root = root.parent
    paths = build.paths
    groups: dict[str, list] = {}
    for b in build.bindings.get(id(inst), ()):
        groups.setdefault(b.group.prefix, []).append(b)
    imports = []
    for g in build.import_groups(inst.component):
        if g.external:
            continue
        found = sorted(groups.get(g.prefix, ()), key=lambda b: paths[id(b.exporter)])
        exporters = tuple(Exporter(paths[id(b.exporter)], build.received_from(b.exporter, b.group)) for b in found)
        imports.append(ImportIR(g.prefix, g.names, g.optional, exporters))
    external = [_external(build, e.group) for e in build.externals.get(id(inst), ())]
    # recipes depend on the installer and the directory only: looked up once per component
    directory = build.resource_dir(inst.component)
    installer = inheritance.installer(inst.component)
    key = (installer, directory)
    recipes = build.recipes.get(key)
    if recipes is None:
        recipes = build.recipes[key] = recipes_for(installer, directory, build.app.root)
    exports = build.exports[id(inst)]
    return InstanceIR(
        path=inst.path,
        name=inst.name,
        component=inst.component.name,
        installer=installer,
        parent=inst.parent.path if inst.parent is not None else None,
        root=root.path,
        children=[c.path for c in inst.children if c.component is not None],
        exports=exports,
        random_ports=dict(sorted(ports.items())),
        imports=imports,
        external=external,
        properties={k: v for k, v in sorted(inst.overrides.items()) if k in exports and "." not in k},
        recipe_dir=directory.relative_to(build.app.root).as_posix() if directory is not None else None,
        recipes=list(recipes),
        waits=[],
        targets=_targets(build, inst.component.name) if (installer or "").strip().lower() == "target" else [],
        source=inst,
    )


def _targets(build: _Build, component: str) -> list[TargetIR]:
    return [
        TargetIR(t.id, t.handler, t.file, {k: e.value for k, e in t.entries.items()})
        for t in build.app.targets.get(component, [])
    ]


def _external(build: _Build, group: ImportGroup) -> ExternalIR:
    published = build.bound.get(group.prefix)
    if published is None:
        return ExternalIR(group.prefix, group.names, group.optional)
    exporters = tuple(Exporter(path, received) for path, received in bind(group.names, published))
    return ExternalIR(group.prefix, group.names, group.optional, published.application, exporters)


def _received(values: dict[str, str | None], group: ImportGroup) -> tuple[tuple[str, str | None], ...]:
    """What an importer receives from one exporter: every ``P.x`` for ``P.*``, else the named ones."""
    head = group.prefix + "."
    if group.wildcard:
        return tuple((k, v) for k, v in values.items() if k.startswith(head))
    names = set(group.names)
    return tuple((k, v) for k, v in values.items() if k in names)


def _start_problems(app: CompiledApplication) -> list[Problem]:
    """Instances that can never start: a mandatory import nobody exports, or a cycle of them.

    One problem per cause: an unresolved import on its importer, a cycle once (on its first member,
    naming the others); instances that only wait for those get none of their own.
    """
    out: list[Problem] = []
    stuck = [ir for ir in app.instances if ir.wave is None]
    stuck_paths = {ir.path for ir in stuck}
    deps: dict[str, list[str]] = {}
    for ir in stuck:
        missing = [imp for imp in ir.imports if not imp.optional and not imp.exporters]
        for imp in missing:
            out.append(
                problem(
                    "CMP_UNRESOLVED_IMPORT",
                    _where(ir),
                    ("INSTANCE", ir.path),
                    ("IMPORT", ", ".join(imp.names)),
                    note=f"Add an instance that exports {imp.prefix}.* variables, or mark the import (optional).",
                )
            )
        if missing:
            deps[ir.path] = []
            continue
        edges = [ir.parent] if ir.parent in stuck_paths else []
        for imp in ir.imports:
            paths = [e.path for e in imp.exporters]
            if not imp.optional and paths and all(p in stuck_paths for p in paths):
                edges.extend(paths)
        deps[ir.path] = edges
    for component in strongly_connected(deps):
        if len(component) < 2:
            continue
        first = app.by_path[component[0]]
        out.append(
            problem(
                "CMP_IMPORT_CYCLE",
                _where(first),
                ("INSTANCES", ", ".join(component)),
                note="Mandatory imports that wait for each other never start (Roboconf deadlocks too): "
                "make one of them (optional).",
            )
        )
    return out


def _where(ir: InstanceIR) -> SourceRange | None:
    return ir.source.name_range if ir.source is not None else None


def strongly_connected(graph: dict[str, list[str]]) -> list[list[str]]:
    """Tarjan's strongly connected components (iterative), each sorted, in a deterministic order."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    result: list[list[str]] = []
    counter = 0
    for start in graph:
        if start in index:
            continue
        work = [(start, iter(graph.get(start, ())))]
        index[start] = low[start] = counter
        counter += 1
        stack.append(start)
        on_stack.add(start)
        while work:
            node, it = work[-1]
            advanced = False
            for nxt in it:
                if nxt not in index:
                    index[nxt] = low[nxt] = counter
                    counter += 1
                    stack.append(nxt)
                    on_stack.add(nxt)
                    work.append((nxt, iter(graph.get(nxt, ()))))
                    advanced = True
                    break
                if nxt in on_stack:
                    low[node] = min(low[node], index[nxt])
            if advanced:
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                members = []
                while True:
                    m = stack.pop()
                    on_stack.discard(m)
                    members.append(m)
                    if m == node:
                        break
                result.append(sorted(members))
    return sorted(result)
