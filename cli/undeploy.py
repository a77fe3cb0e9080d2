"""``rbcc undeploy``: Undeploy INSTANCEs and their subtrees; a machine is terminated. Default: the whole application."""

from __future__ import annotations

from pathlib import Path

import click

from rbcc.cli.base import RbccCommand
from rbcc.cli.runtime_common import settings_options, state_options


@click.command("undeploy", cls=RbccCommand)
@click.argument("source", type=click.Path(path_type=Path, exists=True))
@click.argument("instances", nargs=-1)
@state_options
@settings_options
def undeploy_(
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
    """Undeploy INSTANCEs and their subtrees; a machine is terminated. Default: the whole application.

    SOURCE is the application directory (or plan file) given to `rbcc deploy`.
    """
    from rbcc.cli.lifecycle_common import run_operation

    settings = (failure_mode, cascade, max_parallel, recipe_timeout, forbidden_ports)
    run_operation("undeploy", source, instances, state_dir, app_dir, settings, as_json)
