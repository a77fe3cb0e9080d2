"""``rbcc start|stop|undeploy``: one shape, three operations of :class:`rbcc.runtime.Session`."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

from rbcc.cli.runtime_common import app_dir_of, make_settings, run_async, state_dir_of


def run_operation(
    operation: str,
    source: Path,
    instances: tuple[str, ...],
    state_dir: Path | None,
    app_dir: Path | None,
    settings_args: tuple[str, bool, int | None, float, str | None],
    as_json: bool,
    network: dict[str, Any] | None = None,
) -> None:
    from rbcc.cli.live_view import print_summary, view_for
    from rbcc.runtime import Session
    from rbcc.runtime.status import application_of, read_status

    settings = make_settings(*settings_args, **(network or {}))
    state = state_dir_of(source, state_dir)
    from rbcc.runtime.autonomic.watch import refuse_if_watched

    refuse_if_watched(state, f"{operation}")
    application = application_of(state)
    paths = [r["path"] for r in read_status(state)]
    view = view_for(as_json, paths)

    async def go() -> object:
        with view:
            async with Session(application, state, settings, on_event=view, app_dir=app_dir_of(source, app_dir)) as s:
                return await getattr(s, operation)(list(instances))

    summary = run_async(go())
    print_summary(summary, as_json, f"{operation} {application}")
    wanted_ok = summary.ok
    if not wanted_ok:
        click.echo("rbcc: some instances did not reach the state asked for", err=True)
    sys.exit(0 if wanted_ok else 1)


def lifecycle_command(operation: str, summary: str) -> click.Command:
    """The ``rbcc <operation> SOURCE [INSTANCE…]`` command: the same arguments for the three operations."""
    from rbcc.cli.base import RbccCommand
    from rbcc.cli.runtime_common import network_options, settings_options, state_options

    def command(
        source: Path,
        instances: tuple[str, ...],
        state_dir: Path | None,
        app_dir: Path | None,
        failure_mode: str,
        cascade: bool,
        max_parallel: int | None,
        recipe_timeout: float,
        forbidden_ports: str | None,
        as_json: bool,
        **network: Any,
    ) -> None:
        settings = (failure_mode, cascade, max_parallel, recipe_timeout, forbidden_ports)
        run_operation(operation, source, instances, state_dir, app_dir, settings, as_json, network)

    command.__doc__ = (
        f"{summary}\n\n    SOURCE is the application directory (or plan file) given to `rbcc deploy`.\n    "
    )
    decorated = network_options(settings_options(state_options(command)))
    decorated = click.argument("instances", nargs=-1)(decorated)
    decorated = click.argument("source", type=click.Path(path_type=Path, exists=True))(decorated)
    return click.command(operation, cls=RbccCommand)(decorated)
