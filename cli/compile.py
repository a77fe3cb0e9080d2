"""``rbcc compile``: an application as Compose, Swarm, Kubernetes or runtime-plan files.

Problems (Roboconf's validation, then the compiler's own ``CMP_*`` codes) are reported on standard
error as ``rbcc validate`` does; with any error nothing is written and the exit status is 1.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from rbcc.cli.base import RbccCommand


def _targets(value: tuple[str, ...]) -> list[str]:
    out: list[str] = []
    for chunk in value:
        for name in chunk.split(","):
            name = name.strip()
            if name and name not in out:
                out.append(name)
    return out


def _ports(text: str | None) -> tuple[int, ...]:
    if not text:
        return ()
    out = []
    for item in text.split(","):
        item = item.strip()
        if not item:
            continue
        if not item.isdigit() or not 0 < int(item) < 65536:
            raise click.BadParameter(f"{item!r} is not a port number", param_hint="--forbidden-ports")
        out.append(int(item))
    return tuple(out)


def _bindings(values: tuple[str, ...]) -> tuple[tuple[str, Path], ...]:
    out: dict[str, Path] = {}
    for value in values:
        prefix, eq, path = value.partition("=")
        if not eq or not prefix.strip() or not path.strip():
            raise click.BadParameter(f"{value!r}: write PREFIX=DIR, e.g. --bind Lamp=../lamp/out", param_hint="--bind")
        if prefix.strip() in out:
            raise click.BadParameter(f"{prefix.strip()} is bound twice", param_hint="--bind")
        out[prefix.strip()] = Path(path.strip())
    return tuple(sorted(out.items()))


@click.command("compile", cls=RbccCommand)
@click.argument("app", type=click.Path(path_type=Path))
@click.option(
    "-t",
    "--target",
    "targets",
    multiple=True,
    required=True,
    metavar="TARGET[,TARGET...]",
    help="compose, swarm, k8s or plan; several separated by commas, or the option repeated.",
)
@click.option(
    "-o",
    "--output",
    type=click.Path(path_type=Path, file_okay=False),
    required=True,
    help="Output directory: each target writes its own subdirectory (compose/, swarm/, k8s/, plan/).",
)
@click.option("--profile", help="Use the `key@PROFILE` values of the container metadata (e.g. standin).")
@click.option("--forbidden-ports", metavar="P,P...", help="Ports the random-port allocation must not use.")
@click.option("--allow", multiple=True, metavar="CODE", help="Accept this downgradable error (reported as a warning).")
@click.option("--strict", is_flag=True, help="Treat warnings as errors.")
@click.option(
    "--swarm-endpoint-mode",
    type=click.Choice(("vip", "dnsrr")),
    default="vip",
    show_default=True,
    help="Swarm service discovery; dnsrr where the kernel has no IPVS.",
)
@click.option(
    "--swarm-port-mode",
    type=click.Choice(("ingress", "host")),
    default="ingress",
    show_default=True,
    help="Swarm published ports: through the routing mesh, or on the node running the task.",
)
@click.option(
    "--bind",
    "binds",
    multiple=True,
    metavar="PREFIX=DIR",
    help="Bind the external imports of PREFIX to the application compiled into DIR (its exports.json).",
)
@click.option("--color/--no-color", default=None, help="Colour the report (default: on a terminal).")
def compile_(
    app: Path,
    targets: tuple[str, ...],
    output: Path,
    profile: str | None,
    forbidden_ports: str | None,
    allow: tuple[str, ...],
    strict: bool,
    swarm_endpoint_mode: str,
    swarm_port_mode: str,
    binds: tuple[str, ...],
    color: bool | None,
) -> None:
    """Compile an application for Compose, Swarm, Kubernetes or rbcc's executor (plan).

    Every output is deterministic and written atomically; with an error, nothing is written.
    """
    import os

    from rbcc.compiler import CompileOptions, compile_application, write_tree
    from rbcc.reporting import render_text

    if not app.exists():
        raise click.UsageError(f"{app}: no such directory (give an application directory)")
    options = CompileOptions(
        forbidden_ports=_ports(forbidden_ports),
        profile=profile,
        allow=frozenset(allow),
        strict=strict,
        swarm_endpoint_mode=swarm_endpoint_mode,
        swarm_port_mode=swarm_port_mode,
        output=output,
        bindings=_bindings(binds),
    )
    result = compile_application(app, _targets(targets), options)
    if color is None:
        color = sys.stderr.isatty() and not os.environ.get("NO_COLOR")
    if result.problems:
        click.echo(render_text(result.problems, app, color=color).rstrip("\n"), err=True)
    if result.errors:
        click.echo(f"rbcc: nothing written to {output}", err=True)
        sys.exit(1)
    written = write_tree(output, result.files)
    for note in result.application.notes if result.application else ():
        click.echo(f"note: {note}", err=True)
    click.echo(f"wrote {len(written)} file{'s' if len(written) != 1 else ''} to {output}", err=True)
