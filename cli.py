"""The ``rbcc`` command line: a thin shell over the dsl (and, later, compiler) APIs.

Exit statuses: 0 clean, 1 problems (errors, or warnings with ``--werror``), 2 usage or I/O
error.  Imports are kept inside commands so that ``rbcc validate`` starts fast.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import click

from . import __version__
from .atomic import write_atomically

FORMATS = ("text", "json", "sarif")


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="rbcc")
def main() -> None:
    """rbcc: validate, document, compile and deploy Roboconf applications."""


@main.command()
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
def validate(path: Path, fmt: str, werror: bool, output: Path | None, color: bool | None, srcroot: Path | None) -> None:
    """Validate an application directory (or a single file) with Roboconf's rules.

    Reports every problem at once with its Roboconf code, level and exact location.
    """
    if not path.exists():
        raise click.UsageError(f"{path}: no such file or directory (give an application directory or a .graph/.instances file)")
    from .dsl.validate import validate_path
    from .reporting import render_json, render_sarif, render_text

    result = validate_path(path)
    if fmt == "json":
        text = render_json(result.problems, result.root)
    elif fmt == "sarif":
        try:
            text = render_sarif(result.problems, result.root, tool_version=__version__, srcroot=srcroot)
        except ValueError as exc:
            raise click.UsageError(
                f"--srcroot: {result.root} is not inside {srcroot}; give the directory that contains the application"
            ) from exc
    else:
        if color is None:
            color = output is None and sys.stdout.isatty() and not os.environ.get("NO_COLOR")
        text = render_text(result.problems, result.root, color=color)
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


def _register_commands() -> None:
    """Commands defined next to the code they drive (their modules import only click)."""
    from .compiler.commands import doc, graph
    from .lsp.commands import fmt, lsp

    for command in (graph, doc, lsp, fmt):
        main.add_command(command)


_register_commands()


if __name__ == "__main__":  # pragma: no cover - python -m rbcc.cli
    main()
