"""``rbcc bind`` / ``rbcc unbind``: which applications an external import prefix is bound to (runtime.md §3.5).

Roboconf's application bindings: ``rbcc bind SOURCE Lamp Hosting`` makes the instances of the
application deployed from SOURCE that import ``external Lamp.*`` receive the exports the application
``Hosting`` publishes under its ``exports-prefix = Lamp``; ``rbcc unbind`` withdraws them (a mandatory
import left without provider stops its instance: UNRESOLVED).  Both open a session on SOURCE's
state, push the change to its agents (ChangeBinding), and wait until the application settles.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

from rbcc.cli.base import RbccCommand
from rbcc.cli.runtime_common import (
    app_dir_of,
    make_settings,
    network_options,
    run_async,
    settings_options,
    state_dir_of,
    state_options,
)


def _run(
    operation: str,
    source: Path,
    prefix: str,
    application: str,
    state_dir: Path | None,
    app_dir: Path | None,
    settings_args: tuple[str, bool, int | None, float, str | None],
    as_json: bool,
    network: dict[str, Any],
) -> None:
    from rbcc.cli.live_view import print_summary, view_for
    from rbcc.runtime import Session
    from rbcc.runtime.autonomic.watch import refuse_if_watched
    from rbcc.runtime.status import application_of, read_status

    settings = make_settings(*settings_args, **network)
    state = state_dir_of(source, state_dir)
    refuse_if_watched(state, operation)
    name = application_of(state)
    view = view_for(as_json, [r["path"] for r in read_status(state)])

    async def go() -> object:
        with view:
            async with Session(name, state, settings, on_event=view, app_dir=app_dir_of(source, app_dir)) as s:
                await getattr(s, operation)(prefix, application)
                return s.summary()

    summary = run_async(go())
    print_summary(summary, as_json, f"{operation} {name} {prefix} {application}")
    sys.exit(0)  # instances left UNRESOLVED by an unbinding are what was asked for


def _command(operation: str, doc: str) -> click.Command:
    def command(
        source: Path,
        prefix: str,
        application: str,
        state_dir: Path | None,
        app_dir: Path | None,
        failure_mode: str,
        cascade: bool,
        max_parallel: int | None,
        recipe_timeout: float,
        forbidden_ports: str | None,
        as_json: bool,
        **network: Any,
    ) -> None:
        settings = (failure_mode, cascade, max_parallel, recipe_timeout, forbidden_ports)
        _run(operation, source, prefix, application, state_dir, app_dir, settings, as_json, network)

    command.__doc__ = doc
    decorated = network_options(settings_options(state_options(command)))
    decorated = click.argument("application")(decorated)
    decorated = click.argument("prefix")(decorated)
    decorated = click.argument("source", type=click.Path(path_type=Path, exists=True))(decorated)
    return click.command(operation, cls=RbccCommand)(decorated)


bind = _command(
    "bind",
    """Bind the external import PREFIX of the application deployed from SOURCE to APPLICATION.

    APPLICATION is another application deployed on this machine whose descriptor has
    `exports-prefix = PREFIX`; its exports reach SOURCE's instances that import `external PREFIX.*`.
    A prefix may be bound to several applications. `rbcc status SOURCE` shows the bindings.
    """,
)
unbind = _command(
    "unbind",
    """Unbind the external import PREFIX of the application deployed from SOURCE from APPLICATION.

    Its exports are withdrawn: an instance whose mandatory external import loses its only provider
    is stopped (UNRESOLVED) until a binding gives it one again.
    """,
)
