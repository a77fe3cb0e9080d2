"""Exports between applications: what an application publishes, and what binds another's imports.

Roboconf lets one application import another's exports: the exporting descriptor declares
``exports-prefix = Lamp`` and ``exports = Apache.ip as lb_ip`` (``Apache.ip`` is published as
``Lamp.lb_ip``), importers write ``imports: external Lamp.lb_ip;``, and the deployment manager binds
the prefix to an application at run time.  Compiled outputs have no manager, so the binding is made at
compile time (compile.md §3, the external row):

* compiling the exporting application writes ``exports.json`` at the top of the output directory:
  every exporter of a published variable, with values as another application's containers see
  them. An ``ip`` is the exporter's alias on the shared network ``roboconf-ext``
  (``<application>-<service>``), which the exporter's container joins;
* ``rbcc compile --bind Lamp=DIR`` reads that file (``DIR`` is the exporter's output directory or
  the file itself); the importers receive the values under the script plug-in's names
  (``Lamp_size``, ``Lamp_0_name``, ``Lamp_0_lb_ip``) and their containers join ``roboconf-ext``;
* an unbound mandatory import becomes a required placeholder, ``${RBCC_EXT_LAMP_LB_IP:?...}``,
  which Compose and ``docker stack`` refuse to deploy without; Kubernetes cannot interpolate, so
  there the variable is read from a ConfigMap ``<application>-external`` that the deployment
  creates (the Pod does not start without it).  Either way ``CMP_EXTERNAL_UNBOUND`` says so.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rbcc.compiler.ir.names import dns_name, env_name
from rbcc.dsl import Descriptor, Level, Problem, SourceRange, inheritance, problem
from rbcc.errors import RbccError

if TYPE_CHECKING:
    from rbcc.compiler.ir.model import CompiledApplication, InstanceIR

SHARED_NETWORK = "roboconf-ext"
EXPORTS_FILE = "exports.json"
FORMAT = "rbcc-exports/1"


class BindingError(RbccError):
    """A ``--bind`` that cannot be used (no such file, not an exports file, another prefix)."""


class Placeholder(str):
    """A value the deployment supplies: ``${VAR:?message}``, written without ``$`` escaping.

    ``variable`` is ``VAR``: Kubernetes, which has no interpolation, reads it from a ConfigMap the
    deployment creates instead.
    """

    variable: str

    def __new__(cls, text: str, variable: str) -> Placeholder:
        made = super().__new__(cls, text)
        made.variable = variable
        return made


@dataclass(frozen=True, slots=True)
class PublishedExporter:
    """One instance of the exporting application whose variables are published."""

    path: str
    component: str
    service: str | None  # the service running it (None in a plan-only compile, or on a host)
    alias: str | None  # its name on the shared network
    variables: dict[str, str | None]  # published name (``Lamp.lb_ip``) → value


@dataclass(frozen=True, slots=True)
class Published:
    """What an application exports to others (its ``exports.json``)."""

    application: str
    version: str | None
    prefix: str
    exporters: tuple[PublishedExporter, ...]

    def document(self) -> dict[str, Any]:
        return {
            "format": FORMAT,
            "application": self.application,
            "version": self.version,
            "prefix": self.prefix,
            "network": SHARED_NETWORK,
            "exporters": [
                {
                    "path": e.path,
                    "component": e.component,
                    "service": e.service,
                    "alias": e.alias,
                    "variables": dict(sorted(e.variables.items())),
                }
                for e in self.exporters
            ],
        }

    def text(self) -> str:
        return json.dumps(self.document(), indent=2, ensure_ascii=False) + "\n"


def alias_name(application: str, service: str) -> str:
    """The exporter's DNS name on the shared network: unique across the applications that share it."""
    return dns_name(f"{application}-{service}")[:63].rstrip("-")


def load_binding(prefix: str, path: Path) -> Published:
    """The exports another application's compile published, for ``--bind PREFIX=PATH``."""
    path = Path(path)
    file = path / EXPORTS_FILE if path.is_dir() else path
    where = f"--bind {prefix}={path}"
    if not file.is_file():
        raise BindingError(
            f"{where}: no {EXPORTS_FILE} there; compile the exporting application first "
            f"(rbcc compile APP -o DIR) and bind its output directory"
        )
    try:
        doc = json.loads(file.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise BindingError(f"{where}: {file} is not readable JSON ({exc})") from exc
    if not isinstance(doc, dict) or doc.get("format") != FORMAT:
        raise BindingError(f"{where}: {file} is not an exports file written by rbcc compile (format {FORMAT})")
    if doc.get("prefix") != prefix:
        raise BindingError(
            f"{where}: {file} publishes the prefix {doc.get('prefix')!r}, not {prefix!r}; "
            f"bind it as --bind {doc.get('prefix')}={path}"
        )
    try:
        exporters = tuple(
            PublishedExporter(
                str(e["path"]),
                str(e["component"]),
                e.get("service"),
                e.get("alias"),
                {str(k): (None if v is None else str(v)) for k, v in dict(e["variables"]).items()},
            )
            for e in doc["exporters"]
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise BindingError(f"{where}: {file} has a malformed exporter entry ({exc})") from exc
    return Published(str(doc["application"]), doc.get("version"), prefix, exporters)


def placeholder_name(prefix: str, variable: str) -> str:
    """``Lamp``, ``Lamp.lb_ip`` → ``RBCC_EXT_LAMP_LB_IP``: the variable a deployment sets when unbound."""
    local = variable.split(".", 1)[1] if "." in variable else variable
    return f"RBCC_EXT_{env_name(prefix).upper()}_{env_name(local).upper()}"


def placeholder(prefix: str, variable: str) -> Placeholder:
    name = placeholder_name(prefix, variable)
    return Placeholder(f"${{{name}:?set {name} or compile with --bind {prefix}=DIR}}", name)


def external_config_map(application: str) -> str:
    """The ConfigMap a Kubernetes deployment creates with the values of unbound external imports."""
    return dns_name(f"{application}-external")[:63].rstrip("-")


def publish(
    compiled: CompiledApplication,
    descriptor: Descriptor | None,
    value_of: Callable[[InstanceIR, str], str | None],
    service_of: dict[str, str],
) -> Published | None:
    """The application's ``exports.json``, when its descriptor has ``exports-prefix`` and ``exports``.

    ``value_of`` gives an export's value as containers see it (``service_of``: instance path → the
    top-level service it runs in); an ``ip`` becomes the exporter's alias on the shared network.
    """
    if descriptor is None or not descriptor.exports_prefix or not descriptor.external_exports:
        return None
    prefix = descriptor.exports_prefix.strip()
    exporters = []
    for inst in compiled.instances:
        published = {
            internal: f"{prefix}.{export.alias}"
            for internal, export in descriptor.external_exports.items()
            if internal in inst.exports
        }
        if not published:
            continue
        service = service_of.get(inst.path)
        alias = alias_name(compiled.name, service) if service is not None else None
        variables: dict[str, str | None] = {}
        for internal, name in sorted(published.items()):
            local = internal.split(".", 1)[1] if "." in internal else internal
            variables[name] = alias if local.lower() == "ip" else value_of(inst, internal)
        exporters.append(PublishedExporter(inst.path, inst.component, service, alias, variables))
    return Published(compiled.name, compiled.version, prefix, tuple(exporters))


def bind(names: tuple[str, ...], published: Published) -> tuple[tuple[str, tuple[tuple[str, str | None], ...]], ...]:
    """(exporter path, received variables) for an import of ``names`` (``P.x``, ``P.*``) of ``published``."""
    wildcard = any(n.endswith(".*") for n in names)
    out = []
    for e in published.exporters:
        received = tuple((k, v) for k, v in sorted(e.variables.items()) if wildcard or k in names)
        if received:
            out.append((e.path, received))
    return tuple(sorted(out))


def unbound_problems(compiled: CompiledApplication, level: Level, note: str) -> list[Problem]:
    """``CMP_EXTERNAL_UNBOUND`` once per importing component and prefix, on its ``imports:`` entry."""
    out: list[Problem] = []
    seen: set[tuple[str, str]] = set()
    for inst in compiled.instances:
        for ext in inst.external:
            if ext.application is not None or ext.optional or (inst.component, ext.prefix) in seen:
                continue
            seen.add((inst.component, ext.prefix))
            where = _declaration(inst, ext.prefix)
            p = problem("CMP_EXTERNAL_UNBOUND", where, ("IMPORT", ", ".join(ext.names)), note=note)
            out.append(p if p.level is level else _with_level(p, level))
    return out


def _with_level(p: Problem, level: Level) -> Problem:
    return dataclasses.replace(p, level=level)


def _declaration(inst: InstanceIR, prefix: str) -> SourceRange | None:
    """The ``imports: external P...`` entry of the instance's component (or a super-component)."""
    source = inst.source
    if source is None or source.component is None:
        return None
    for c in inheritance.chain(source.component):
        for decl in c.imports.values():
            if decl.external and decl.prefix == prefix:
                return decl.range
    return source.name_range
