"""``rbcc lsp``: the Roboconf language server, over stdio or TCP."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from rbcc.cli.base import RbccCommand


@click.command("lsp", cls=RbccCommand)
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
    from rbcc.lsp import serve

    serve(tcp)
