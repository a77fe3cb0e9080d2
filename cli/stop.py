"""``rbcc stop``: Stop INSTANCEs (a machine: each of its children); default: the whole application."""

from __future__ import annotations

from pathlib import Path

import click

from rbcc.cli.base import RbccCommand
from rbcc.cli.runtime_common import settings_options, state_options


@click.command("stop", cls=RbccCommand)
@click.argument("source", type=click.Path(path_type=Path, exists=True))
@click.argument("instances", nargs=-1)
@state_options
@settings_options
def stop_(
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
) -> None:
    """Stop INSTANCEs (a machine: each of its children); default: the whole application.

    SOURCE is the application directory (or plan file) given to `rbcc deploy`.
    """
    from rbcc.cli.lifecycle_common import run_operation

    settings = (failure_mode, cascade, max_parallel, recipe_timeout, forbidden_ports)
    run_operation("stop", source, instances, state_dir, app_dir, settings, as_json)
