"""``rbcc status``: the recorded state of every instance of a deployment (table or JSON)."""

from __future__ import annotations

import json
from pathlib import Path

import click

from rbcc.cli.base import RbccCommand
from rbcc.cli.runtime_common import state_dir_of, state_options


@click.command("status", cls=RbccCommand)
@click.argument("source", type=click.Path(path_type=Path, exists=True), default=".")
@state_options
@click.option(
    "--json",
    "as_json",
    is_flag=True,
    help='{"instances": [{"path", "component", "state"}, …], "bindings": {prefix: [application, …]}}',
)
def status(source: Path, state_dir: Path | None, as_json: bool) -> None:
    """Show the state of every instance deployed from SOURCE (default: the current directory)."""
    from rbcc.runtime import read_status
    from rbcc.runtime.status import read_bindings

    where = state_dir_of(source, state_dir)
    rows = read_status(where)
    bindings = read_bindings(where)
    if as_json:
        doc = {
            "instances": [
                {
                    "path": r["path"],
                    "component": r["component"],
                    "state": r["state"],
                    "lost": r["lost"],
                    "last_problem": r["last_problem"],
                }
                for r in rows
            ],
            "bindings": bindings,
        }
        click.echo(json.dumps(doc, ensure_ascii=False, indent=2))
        return
    from rich.console import Console
    from rich.table import Table

    from rbcc.cli.live_view import STATE_STYLE

    table = Table(box=None, pad_edge=False)
    for name in ("instance", "component", "state", "problem"):
        table.add_column(name)
    for r in rows:
        style = STATE_STYLE.get(r["state"], "cyan")
        state = f"[{style}]{r['state']}[/]" + (" [red](lost)[/]" if r["lost"] else "")
        problem = r["last_problem"]
        if isinstance(problem, dict):
            problem = f"{problem.get('step')}: {problem.get('reason')}"
        table.add_row(r["path"], r["component"], state, str(problem or ""))
    console = Console(width=200)
    console.print(table)
    for prefix, apps in bindings.items():
        console.print(f"external {prefix}: " + (f"bound to {', '.join(apps)}" if apps else "[yellow]not bound[/]"))
