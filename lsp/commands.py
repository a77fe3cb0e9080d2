"""The ``rbcc lsp`` and ``rbcc fmt`` commands (registered in ``cli.py``)."""

from __future__ import annotations

import difflib
import sys
from pathlib import Path

import click


@click.command("lsp")
@click.option("--stdio", is_flag=True, help="Talk over stdin/stdout (the default; accepted for vscode-languageclient).")
@click.option("--tcp", metavar="HOST:PORT", help="Listen on TCP instead of stdio (for debugging).")
@click.option("--log-file", type=click.Path(dir_okay=False, path_type=Path), help="Write the server log to FILE.")
@click.option("-v", "--verbose", count=True, help="More logging (-v info, -vv debug).")
def lsp(stdio: bool, tcp: str | None, log_file: Path | None, verbose: int) -> None:
    """Run the Roboconf language server (stdio by default).

    \b
    Examples:
      rbcc lsp                       # stdio, what editors start
      rbcc lsp --tcp 127.0.0.1:2087  # attach a client by hand
    """
    import logging

    level = logging.WARNING - 10 * min(verbose, 2)
    if log_file:
        logging.basicConfig(filename=str(log_file), level=level)
    else:
        logging.basicConfig(stream=sys.stderr, level=level)
    if stdio and tcp:
        raise click.UsageError("--stdio and --tcp exclude each other")
    if tcp and ":" not in tcp:
        raise click.UsageError("--tcp wants HOST:PORT")
    from .server import main

    main(tcp)


def _targets(paths: tuple[Path, ...]) -> list[Path]:
    out: list[Path] = []
    for p in paths:
        if p.is_dir():
            out.extend(sorted(q for q in p.rglob("*") if q.suffix.lower() in (".graph", ".instances") and q.is_file()))
        else:
            out.append(p)
    return out


@click.command("fmt")
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
@click.option("--check", is_flag=True, help="Change nothing; exit 1 when a file would be reformatted.")
@click.option("--diff", "show_diff", is_flag=True, help="Print a unified diff instead of writing.")
def fmt(paths: tuple[Path, ...], check: bool, show_diff: bool) -> None:
    """Format .graph and .instances files (tabs, one property per line, comments kept).

    Files with syntax errors are left untouched and reported.  Exit status: 0 nothing to do
    (or formatted), 1 with --check/--diff when a file would change, 2 on unreadable files.

    \b
    Examples:
      rbcc fmt examples/lamp          # rewrite every file in place
      rbcc fmt --check graph/         # CI: fail if anything is not formatted
      rbcc fmt --diff main.graph      # show what would change
    """
    from ..atomic import write_atomically
    from ..dsl.formatter import format_text

    changed = skipped = 0
    status = 0
    for path in _targets(paths):
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            click.echo(f"rbcc fmt: cannot read {path}: {exc}", err=True)
            status = 2
            continue
        result = format_text(text, str(path))
        if result is None:
            skipped += 1
            click.echo(f"{path}: not formatted (syntax errors)", err=True)
            continue
        if result == text:
            continue
        changed += 1
        if show_diff:
            sys.stdout.writelines(
                difflib.unified_diff(text.splitlines(True), result.splitlines(True), f"a/{path}", f"b/{path}")
            )
        elif check:
            click.echo(f"would reformat {path}")
        else:
            write_atomically(path, result)
            click.echo(f"reformatted {path}", err=True)
    if status:
        sys.exit(status)
    if (check or show_diff) and changed:
        sys.exit(1)
