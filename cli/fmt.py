"""``rbcc fmt``: format ``.graph`` and ``.instances`` files in place, or check them (CI)."""

from __future__ import annotations

import difflib
import sys
from pathlib import Path

import click

from rbcc.cli.base import RbccCommand


def _targets(paths: tuple[Path, ...]) -> list[Path]:
    out: list[Path] = []
    for p in paths:
        if p.is_dir():
            out.extend(sorted(q for q in p.rglob("*") if q.suffix.lower() in (".graph", ".instances") and q.is_file()))
        else:
            out.append(p)
    return out


@click.command("fmt", cls=RbccCommand)
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
@click.option(
    "--check", is_flag=True, help="Change nothing; exit 1 when a file would be reformatted or cannot be formatted."
)
@click.option("--diff", "show_diff", is_flag=True, help="Print a unified diff instead of writing.")
def fmt(paths: tuple[Path, ...], check: bool, show_diff: bool) -> None:
    """Format .graph and .instances files (tabs, one property per line, comments kept).

    Files with syntax errors are left untouched and reported (FILE:LINE:COL: the first error).
    Exit status: 0 nothing to do (or formatted), 1 when a file has syntax errors or, with
    --check/--diff, would change, 2 on unreadable files.

    \b
    Examples:
      rbcc fmt examples/lamp          # rewrite every file in place
      rbcc fmt --check graph/         # CI: fail if anything is not formatted
      rbcc fmt --diff main.graph      # show what would change
    """
    from rbcc.atomic import write_atomically
    from rbcc.dsl import format_text, parse_text

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
            click.echo(_first_error(parse_text(str(path), text), path), err=True)
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
    if skipped or ((check or show_diff) and changed):
        sys.exit(1)


def _first_error(parsed, path: Path) -> str:
    """``FILE:LINE:COL: CODE message`` of the first problem that keeps ``path`` from formatting."""
    problems = sorted(parsed.problems, key=lambda p: not p.is_error)
    if not problems or problems[0].range is None:
        return f"{path}:1:1: not formatted: syntax errors"
    p = problems[0]
    return f"{path}:{p.range.start_line}:{p.range.start_column}: not formatted: {p.code} {p.message}"
