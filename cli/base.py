"""What every subcommand shares: turning a tool failure into one line and an exit status."""

from __future__ import annotations

import sys
from typing import Any

import click

from rbcc.errors import RbccError


class RbccCommand(click.Command):
    """A click command that reports :class:`RbccError` as ``rbcc: <message>`` and its exit status
    (2), never as a traceback, whether it runs under the ``rbcc`` group or on its own."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except RbccError as exc:
            click.echo(f"rbcc: {exc}", err=True)
            sys.exit(exc.exit_status)
