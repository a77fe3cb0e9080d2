"""``rbcc plan``: what ``rbcc deploy`` would do against the recorded state, with reasons.

Exit status (as ``terraform plan -detailed-exitcode``): 0 no change, 2 changes pending.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from rbcc.cli.base import RbccCommand
from rbcc.cli.runtime_common import app_dir_of, state_dir_of, state_options


@click.command("plan", cls=RbccCommand)
@click.argument("source", type=click.Path(path_type=Path, exists=True))
@state_options
@click.option("--app-dir", type=click.Path(path_type=Path, file_okay=False, exists=True), help="For a plan file.")
@click.option("--profile", help="The container-metadata profile to compile with.")
@click.option("--json", "as_json", is_flag=True, help="The changes as one JSON document.")
def plan(source: Path, state_dir: Path | None, app_dir: Path | None, profile: str | None, as_json: bool) -> None:
    """Show the steps `rbcc deploy SOURCE` would run: create, deploy, start, retry, update, remove."""
    from rbcc.runtime import load_plan, plan_changes
    from rbcc.runtime.planner import render_text
    from rbcc.runtime.store import DB_FILE, Store

    loaded = load_plan(source, app_dir_of(source, app_dir), profile=profile)
    state = state_dir_of(source, state_dir)
    records = []
    bindings: dict[str, list[str]] = {}
    if (state / DB_FILE).is_file():
        from rbcc.runtime.bindings import load_bindings

        store = Store(state)
        try:
            records = store.instances()
            bindings = load_bindings(store)
        finally:
            store.close()
    result = plan_changes(loaded, records, bindings)
    if as_json:
        click.echo(json.dumps(result.to_json(), ensure_ascii=False, indent=2))
    else:
        click.echo(render_text(result), nl=False)
    sys.exit(2 if result.pending else 0)
