"""``rbcc logs``: the captured output of an instance's recipes, one file per step."""

from __future__ import annotations

import time
from pathlib import Path

import click

from rbcc.cli.base import RbccCommand
from rbcc.cli.runtime_common import state_dir_of, state_options

STEPS = ("deploy", "start", "update", "stop", "undeploy")


@click.command("logs", cls=RbccCommand)
@click.argument("source", type=click.Path(path_type=Path, exists=True))
@click.argument("instance")
@state_options
@click.option("--step", type=click.Choice(STEPS), help="Only this step's output.")
@click.option("-f", "--follow", is_flag=True, help="Keep printing what the step's log gets (Ctrl-C ends).")
def logs(source: Path, instance: str, state_dir: Path | None, step: str | None, follow: bool) -> None:
    """Print the output the recipes of INSTANCE wrote (SOURCE: as given to `rbcc deploy`)."""
    from rbcc.errors import RbccError
    from rbcc.runtime.agent import clean_dir_name
    from rbcc.runtime.status import read_status

    state = state_dir_of(source, state_dir)
    if instance not in {r["path"] for r in read_status(state)}:
        raise RbccError(f"no instance {instance!r} in this deployment")
    directory = state / "logs" / clean_dir_name(instance)
    files = [directory / f"{s}.log" for s in ([step] if step else STEPS)]
    present = [f for f in files if f.is_file()]
    if not follow:
        if not present:
            click.echo(f"no output recorded for {instance}" + (f" ({step})" if step else ""), err=True)
        for f in sorted(present, key=lambda p: p.stat().st_mtime):
            click.echo(f.read_text(encoding="utf-8", errors="replace"), nl=False)
        return
    offsets = dict.fromkeys(files, 0)
    try:
        while True:
            for f in files:
                if f.is_file() and f.stat().st_size > offsets[f]:
                    with f.open("rb") as handle:
                        handle.seek(offsets[f])
                        data = handle.read()
                    offsets[f] += len(data)
                    click.echo(data.decode("utf-8", "replace"), nl=False)
            time.sleep(0.2)
    except KeyboardInterrupt:
        return
