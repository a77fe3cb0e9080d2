"""``rbcc validate``: Roboconf's verdicts, every problem at once, as text, JSON or SARIF."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import click

from rbcc import __version__
from rbcc.atomic import write_atomically
from rbcc.cli.base import RbccCommand

FORMATS = ("text", "json", "sarif")


@click.command(cls=RbccCommand)
@click.argument("path", type=click.Path(path_type=Path))
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="text", show_default=True, help="Output format.")
@click.option("--werror", is_flag=True, help="Treat warnings as errors (exit status 1).")
@click.option("-o", "--output", type=click.Path(path_type=Path, dir_okay=False), help="Write the report to FILE.")
@click.option("--color/--no-color", default=None, help="Colour the text report (default: when printing to a terminal).")
@click.option(
    "--srcroot",
    type=click.Path(path_type=Path, file_okay=False),
    help="SARIF: make paths relative to DIR (the repository root, for GitHub code scanning).",
)
@click.option(
    "--compat",
    type=click.Choice(["roboconf"]),
    default=None,
    help="Report exactly what Roboconf reports (it stops after the first stage that finds an error).",
)
@click.option(
    "--as",
    "as_",
    type=click.Choice(["auto", "application", "recipe"]),
    default="auto",
    show_default=True,
    help="Validate a directory as an application (it needs descriptor/) or a reusable recipe; "
    "auto: a recipe when it has neither descriptor/ nor .instances files.",
)
@click.option(
    "--max-problems",
    type=click.IntRange(min=0),
    default=100,  # rbcc.dsl.DEFAULT_MAX_PROBLEMS (not imported here: `rbcc validate` starts fast)
    show_default=True,
    metavar="N",
    help="Report at most N problems per file, then how many more there are (0: no limit).",
)
def validate(
    path: Path,
    fmt: str,
    werror: bool,
    output: Path | None,
    color: bool | None,
    srcroot: Path | None,
    compat: str | None,
    as_: str,
    max_problems: int,
) -> None:
    """Validate an application directory (or a single file) with Roboconf's rules.

    Reports every problem at once with its Roboconf code, level and exact location.
    """
    if not path.exists():
        raise click.UsageError(
            f"{path}: no such file or directory (give an application directory or a .graph/.instances file)"
        )
    from rbcc.dsl import validate_path
    from rbcc.reporting import ProjectMode, render_json, render_sarif, render_text

    result = validate_path(path, compat=compat, as_=as_, max_problems=max_problems)
    mode = result.mode
    project = None
    if mode is not None:  # an application directory: say what it was validated as (--as)
        project = ProjectMode(mode[0], mode[1], noteworthy=mode[1] != "descriptor/ found")
    if fmt == "json":
        text = render_json(
            result.problems,
            result.root,
            project=project,
            suppressed=result.suppressed,
            max_problems=result.max_problems,
        )
    elif fmt == "sarif":
        try:
            text = render_sarif(
                result.problems,
                result.root,
                tool_version=__version__,
                srcroot=srcroot,
                project=project,
                suppressed=result.suppressed,
                max_problems=result.max_problems,
            )
        except ValueError as exc:
            raise click.UsageError(
                f"--srcroot: {result.root} is not inside {srcroot}; give the directory that contains the application"
            ) from exc
    else:
        if color is None:
            color = output is None and sys.stdout.isatty() and not os.environ.get("NO_COLOR")
        text = render_text(result.problems, result.root, color=color, project=project, suppressed=result.suppressed)
    if not text.endswith("\n"):
        text += "\n"
    if output is not None:
        try:
            write_atomically(output, text)
        except OSError as exc:
            click.echo(f"rbcc: cannot write {output}: {exc.strerror or exc}", err=True)
            sys.exit(2)
    else:
        click.echo(text, nl=False)
    failed = result.errors > 0 or (werror and result.warnings > 0)
    sys.exit(1 if failed else 0)
