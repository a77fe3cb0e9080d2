"""Values as containers see them, and each unit's environment in the script plug-in's naming.

Inside a compiled application an ``ip`` export is the DNS name of the service that runs the
instance, and an export mapped to a container port by ``port.<var>`` is that port; random ports are
the allocated ones (compile.md §2.4).  The environment of a unit follows Roboconf's script plug-in
(runtime.md §4.2), so that entrypoints and recipes written for Roboconf read the same variables:
own exports and ``ANCESTOR_<Component>_<var>`` first, then ``ROBOCONF_*``, then per import prefix
``<P>_size``, ``<P>_<i>_name`` and ``<P>_<i>_<var>`` (exporters sorted by path), later groups winning
on a clash; ``env.*`` metadata comes last, since the user wrote it on purpose.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field

from rbcc.compiler.ir.external import placeholder
from rbcc.compiler.ir.model import CompiledApplication, Exporter, ExternalIR, InstanceIR
from rbcc.compiler.ir.names import env_name
from rbcc.compiler.ir.values import meta_variables


@functools.lru_cache(maxsize=1 << 16)
def local_name(full: str) -> str:
    """``zookeeper.port`` → ``port``; a name without a prefix is itself."""
    return full.split(".", 1)[1] if "." in full else full


@dataclass(frozen=True)
class ValueView:
    """How values read from inside the containers of one compiled application."""

    app: CompiledApplication
    #: instance path → the service name of the unit it runs in (hosts have none)
    service_of: dict[str, str]
    #: containerized instance path → local variable → container port
    container_ports: dict[str, dict[str, int]]
    #: instance path of a collapsed copy → the kept copy it is a replica of (importers list that one)
    representative: dict[str, str] = field(default_factory=dict)
    #: instance path → its resolved values (computed once per view)
    _resolved: dict[str, dict[str, str | None]] = field(default_factory=dict, repr=False, compare=False)

    def resolved(self, inst: InstanceIR) -> dict[str, str | None]:
        """Full name → value of every export of ``inst`` as containers see it (``ip`` of a host: None)."""
        found = self._resolved.get(inst.path)
        if found is None:
            found = {full: self._value(inst, full) for full in sorted(inst.exports)}
            self._resolved[inst.path] = found
        return found

    def _value(self, inst: InstanceIR, full: str) -> str | None:
        local = local_name(full)
        if local.lower() == "ip":
            return self.service_of.get(inst.path)
        mapped = self.container_ports.get(inst.path, {}).get(local)
        if mapped is not None:
            return str(mapped)
        if full in inst.random_ports:
            return str(inst.random_ports[full])
        return inst.exports.get(full)

    def value(self, inst: InstanceIR, full: str, viewer: str | None = None) -> str | None:
        """The value of ``inst``'s export ``full`` for a container (``viewer``: the unit looking, for hosts)."""
        value = self.resolved(inst).get(full)
        if value is None and viewer is not None and local_name(full).lower() == "ip":
            return viewer
        return value

    def listed(self, exporters: tuple[Exporter, ...]) -> list[Exporter]:
        """The exporters an importer lists: one per service, replicas of a collapsed one counted once."""
        if not self.representative:
            return list(exporters)
        return [e for e in exporters if e.path not in self.representative]

    def own(self, inst: InstanceIR, viewer: str | None = None) -> dict[str, str | None]:
        """Local name → value of every export of ``inst`` (the last full name of a local name wins, sorted)."""
        out: dict[str, str | None] = {}
        host = viewer is not None and inst.path not in self.service_of
        for full, value in self.resolved(inst).items():
            local = local_name(full)
            out[local] = viewer if host and local.lower() == "ip" else value
        return out


def environment(view: ValueView, inst: InstanceIR, application: str) -> dict[str, str]:
    """The script plug-in's variables for ``inst``, as the container of its unit receives them."""
    viewer = view.service_of.get(inst.path)
    env: dict[str, str] = {}
    for local, value in view.own(inst, viewer).items():
        if value is not None:
            env[env_name(local)] = value
    node = inst.parent
    while node is not None:
        ancestor = view.app.by_path[node]
        for local, value in view.own(ancestor, viewer).items():
            if value is not None:
                env[f"ANCESTOR_{env_name(ancestor.component)}_{env_name(local)}"] = value
        node = ancestor.parent
    env.update(meta_variables_of(inst))
    env["ROBOCONF_APPLICATION_NAME"] = application
    for imp in inst.imports:
        prefix = env_name(imp.prefix)
        exporters = view.listed(imp.exporters)
        env[f"{prefix}_size"] = str(len(exporters))
        for i, exporter in enumerate(exporters):
            values = view.resolved(view.app.by_path[exporter.path])
            env[f"{prefix}_{i}_name"] = exporter.path
            for full, _ in exporter.variables:
                value = values.get(full)
                if value is not None:
                    env[f"{prefix}_{i}_{_env_local(full)}"] = value
    for ext in inst.external:
        env.update(external_environment(ext))
    return env


@functools.lru_cache(maxsize=1 << 16)
def _env_local(full: str) -> str:
    """``P.my-var`` → ``my_var``: the environment spelling of a variable's local name."""
    return env_name(local_name(full))


def external_environment(ext: ExternalIR) -> dict[str, str]:
    """An import of another application: its bound exporters, or what the deployment must supply.

    Bound (``--bind``): the script plug-in's names, values as published.  Unbound: a mandatory
    named variable becomes a required placeholder (``${RBCC_EXT_P_X:?...}``); an optional import
    has no exporter (``P_size=0``), as in Roboconf before a binding exists.
    """
    prefix = env_name(ext.prefix)
    env: dict[str, str] = {}
    if ext.application is not None:
        env[f"{prefix}_size"] = str(len(ext.exporters))
        for i, exporter in enumerate(ext.exporters):
            env[f"{prefix}_{i}_name"] = exporter.path
            for full, value in exporter.variables:
                if value is not None:
                    env[f"{prefix}_{i}_{env_name(local_name(full))}"] = value
        return env
    named = [n for n in ext.names if not n.endswith(".*")]
    if ext.optional or not named:
        env[f"{prefix}_size"] = "0"
        return env
    env[f"{prefix}_size"] = "1"
    for full in named:
        env[f"{prefix}_0_{env_name(local_name(full))}"] = placeholder(ext.prefix, full)
    return env


def meta_variables_of(inst: InstanceIR) -> dict[str, str]:
    if inst.source is not None:
        return meta_variables(inst.source)
    return {"ROBOCONF_INSTANCE_NAME": inst.name, "ROBOCONF_INSTANCE_PATH": inst.path}


def template_context(view: ValueView, inst: InstanceIR, application: str) -> dict[str, object]:
    """The Mustache context of ``inst``'s container metadata (docs/container-metadata.md).

    Own exports and instance properties by local name, the ``ROBOCONF_*`` names, and one list per
    import prefix whose items hold the exporter's variables by local name plus ``name`` (its path),
    ``index``, ``first`` and ``last``.
    """
    viewer = view.service_of.get(inst.path)
    ctx: dict[str, object] = {}
    for local, value in view.own(inst, viewer).items():
        ctx[local] = "" if value is None else value
    ctx.update(meta_variables_of(inst))
    ctx["ROBOCONF_APPLICATION_NAME"] = application
    for imp in inst.imports:
        items = []
        exporters = view.listed(imp.exporters)
        n = len(exporters)
        for i, exporter in enumerate(exporters):
            values = view.resolved(view.app.by_path[exporter.path])
            item: dict[str, object] = {}
            for full, _ in exporter.variables:
                value = values.get(full)
                item[local_name(full)] = "" if value is None else value
            item.update({"name": exporter.path, "index": i, "first": i == 0, "last": i == n - 1})
            items.append(item)
        ctx[imp.prefix] = items
    for ext in inst.external:  # bound only: an unbound import lists nothing
        n = len(ext.exporters)
        ctx[ext.prefix] = [
            {
                **{local_name(full): "" if value is None else value for full, value in exporter.variables},
                "name": exporter.path,
                "index": i,
                "first": i == 0,
                "last": i == n - 1,
            }
            for i, exporter in enumerate(ext.exporters)
        ]
    return ctx
