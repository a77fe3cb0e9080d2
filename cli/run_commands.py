"""``rbcc run-commands``: run a commands file by hand against the deployed application."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

from rbcc.cli.base import RbccCommand
from rbcc.cli.runtime_common import (
    app_dir_of,
    autonomic_options,
    make_settings,
    run_async,
    settings_options,
    state_dir_of,
    state_options,
    with_autonomic,
)


@click.command("run-commands", cls=RbccCommand)
@click.argument("source", type=click.Path(path_type=Path, exists=True))
@click.argument("file", type=click.Path(path_type=Path, exists=True, dir_okay=False))
@state_options
@settings_options
@autonomic_options
def run_commands(
    source: Path,
    file: Path,
    state_dir: Path | None,
    app_dir: Path | None,
    failure_mode: str,
    cascade: bool,
    max_parallel: int | None,
    recipe_timeout: float,
    forbidden_ports: str | None,
    as_json: bool,
    preferences_file: Path | None,
    preference_pairs: tuple[str, ...],
    probe_period: float,
) -> None:
    """Run the commands FILE against the application deployed from SOURCE (origin: manual).

    The whole file is validated first against the application as it is (one invalid line: nothing
    runs); then its instructions run in order, and the first failure stops it (no rollback). The
    session then waits until the requests it made are done, as `rbcc start` does. Exit status 1
    when the file is invalid or fails, with the file, line and column of the first problem.
    """
    import json

    from rbcc.cli.live_view import print_summary, view_for
    from rbcc.runtime import Session
    from rbcc.runtime.status import application_of, read_status

    settings = make_settings(failure_mode, cascade, max_parallel, recipe_timeout, forbidden_ports)
    settings = with_autonomic(settings, preferences_file, preference_pairs, probe_period, False)
    state = state_dir_of(source, state_dir)
    from rbcc.runtime.autonomic.watch import refuse_if_watched

    refuse_if_watched(state, "running commands by hand")
    application = application_of(state)
    view = view_for(as_json, [r["path"] for r in read_status(state)])

    async def go() -> tuple[Any, Any]:
        with view:
            async with Session(application, state, settings, on_event=view, app_dir=app_dir_of(source, app_dir)) as s:
                run = await s.run_commands(file)
                return run, s.summary()

    run, summary = run_async(go())
    if as_json:
        doc = {
            "event": "commands",
            "name": run.name,
            "result": run.result,
            "error": run.error,
            "changes": [c.document() for c in run.changes],
            "effects": run.effects,
            "skipped": run.skipped,
        }
        click.echo(json.dumps(doc, ensure_ascii=False))
    else:
        for c in run.changes:
            click.echo(c.text())
        for e in run.effects:
            click.echo(f"  {e}")
        for t in run.skipped:
            click.echo(f"  skipped: {t}")
    print_summary(summary, as_json, f"{file.name} on {application}")
    if run.failed:
        if run.result == "invalid":
            click.echo(f"rbcc: invalid, nothing ran: {run.error}", err=True)
        else:
            where = run.location or str(file)
            click.echo(f"rbcc: {where}: {run.result}: {run.error}", err=True)
        sys.exit(1)
    sys.exit(0)
