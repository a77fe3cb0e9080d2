"""What the Compose and Swarm printers share: provenance, environment, health checks, volumes."""

from __future__ import annotations

import posixpath
from pathlib import Path
from typing import Any

from rbcc.compiler.ir.external import SHARED_NETWORK
from rbcc.compiler.ir.model import CompiledApplication, Service


def provenance(service: Service) -> dict[str, Any]:
    """The ``x-roboconf`` block: which Roboconf instances a service runs (Compose and stacks accept it)."""
    out: dict[str, Any] = {"instance": service.instance, "component": service.component, "root": service.root}
    if service.mode == "machine":
        out["mode"] = "machine"
    if service.colocated:
        out["colocated"] = list(service.colocated)
    return out


def health(service: Service, *, start_interval: bool = True) -> dict[str, Any] | None:
    h = service.spec.health
    if h is None:
        return None
    if h.test == ("NONE",):
        return {"disable": True}
    out: dict[str, Any] = {"test": list(h.test)}
    for key in ("interval", "timeout", "start_period"):
        value = getattr(h, key)
        if value is not None:
            out[key] = value
    if h.retries is not None:
        out["retries"] = h.retries
    return out


def volume_name(service: Service, name: str) -> str:
    return f"{service.name}-{name}"


def volumes(service: Service) -> list[str]:
    return [f"{volume_name(service, n)}:{path}" for n, path in sorted(service.spec.volumes.items())]


def build_context(app: CompiledApplication, service: Service, output_dir: Path | None, subdir: str) -> str | None:
    """The build context relative to the printed file (``<output>/<subdir>/``), or absolute without one."""
    ctx = service.spec.build_context
    if ctx is None:
        return None
    source = (app.root / ctx).resolve()
    if output_dir is None:
        return source.as_posix()
    base = (Path(output_dir) / subdir).resolve()
    rel = posixpath.relpath(source.as_posix(), base.as_posix())
    return rel if rel.startswith(".") else f"./{rel}"


def restart(service: Service) -> str:
    return service.spec.restart


def wait_script(service: Service) -> str:
    """A POSIX-sh loop that returns once every mandatory dependency answers (TCP, else DNS)."""
    checks: list[str] = []
    for d in service.depends:
        if not d.required:
            continue
        if d.probes:
            # nc -z where the image's nc has it, else a plain connection with nothing to send
            checks.extend(f"(nc -z -w 2 {host} {port} || nc -w 2 {host} {port} </dev/null)" for host, port in d.probes)
        else:
            checks.append(f"nslookup {d.on} >/dev/null 2>&1")
    if not checks:
        return ""
    return "until { " + " && ".join(checks) + "; } >/dev/null 2>&1; do echo 'rbcc: waiting for imports'; sleep 1; done"


def argv(service: Service) -> tuple[list[str] | None, list[str] | None]:
    """(entrypoint, command) to print: with ``wait = sh``, a gate runs first and then ``exec``s the real ones."""
    spec = service.spec
    script = wait_script(service) if spec.wait == "sh" else ""
    if not script:
        return spec.entrypoint, spec.command
    real = [*(spec.entrypoint or []), *(spec.command or [])]
    return ["sh", "-c", script + '; exec "$@"', "rbcc-wait"], real


def process(service: Service) -> dict[str, Any]:
    """``entrypoint``, ``command``, ``user`` and ``working_dir``, as Compose and stacks write them."""
    spec = service.spec
    out: dict[str, Any] = {}
    entrypoint, command = argv(service)
    if entrypoint is not None:
        out["entrypoint"] = list(entrypoint)
    if command is not None:
        out["command"] = list(command)
    if spec.user:
        out["user"] = spec.user
    if spec.working_dir:
        out["working_dir"] = spec.working_dir
    return out


#: what an unbound external import means in a Compose file or a stack
UNBOUND_NOTE = (
    "Its variables are required placeholders: set them when deploying, or compile with --bind PREFIX=DIR "
    "(the exporting application's output directory)."
)


def shared_networks(s: Service) -> dict[str, Any]:
    """The networks of a service that talks to other applications: its own and the shared one."""
    shared: dict[str, Any] = {"aliases": list(s.shared_aliases)} if s.shared_aliases else {}
    return {"default": {}, SHARED_NETWORK: shared}
