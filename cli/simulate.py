"""``rbcc simulate``: replay an event stream against the application's autonomic rules, offline."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from rbcc.cli.base import RbccCommand


@click.command("simulate", cls=RbccCommand)
@click.argument("app", type=click.Path(path_type=Path, exists=True, file_okay=False))
@click.argument("events", type=click.Path(path_type=Path, exists=True, dir_okay=False))
@click.option("--json", "as_json", is_flag=True, help="Print the simulation as one JSON document.")
@click.option(
    "--max-vms",
    type=int,
    default=None,
    metavar="N",
    help="Machines rule-triggered commands may create (Roboconf's autonomic.maximum.vm.number).",
)
def simulate(app: Path, events: Path, as_json: bool, max_vms: int | None) -> None:
    """Which rules of APP would fire on the EVENTS stream (JSON lines), and what their commands would do.

    No agent, no container: the application starts as its instances, all DEPLOYED_STARTED. Exit
    status 1 when a command of the stream would fail (or the application has errors).

    \b
      rbcc simulate examples/storm examples/storm/events/saturation.jsonl
    """
    import json

    from rbcc.dsl import has_errors, is_application_dir, load_application
    from rbcc.reporting import render_text as render_problems
    from rbcc.runtime.autonomic.simulate import read_events, render_text
    from rbcc.runtime.autonomic.simulate import simulate as run

    if not is_application_dir(app):
        raise click.UsageError(f"{app}: not a Roboconf application directory (descriptor/, graph/, instances/)")
    stream = read_events(events)
    application = load_application(app)
    if has_errors(application.problems):
        click.echo(render_problems(application.problems, app, color=False).rstrip("\n"), err=True)
        click.echo("rbcc: the application has errors: fix them (rbcc validate) before simulating it", err=True)
        sys.exit(1)
    if not application.rules:
        click.echo(f"rbcc: {app} has no rules (rules.autonomic/*.drl): nothing would ever fire", err=True)
    sim = run(application, stream, max_vms)
    if as_json:
        click.echo(json.dumps(sim.document(), indent=2, ensure_ascii=False))
    else:
        click.echo(render_text(sim), nl=False)
    sys.exit(1 if sim.failures else 0)
