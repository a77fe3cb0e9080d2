"""Attaching the autonomic side to a session's manager (``rbcc deploy --watch``, ``rbcc run-commands``)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from rbcc.errors import RbccError
from rbcc.runtime.autonomic.reactor import Reactor
from rbcc.runtime.settings import Settings

if TYPE_CHECKING:
    from rbcc.runtime.manager import Manager


def attach(manager: Manager, app_dir: Path, settings: Settings) -> Reactor:
    """The manager's :class:`Reactor`, made from the application in ``app_dir`` on first use."""
    if isinstance(manager.autonomic, Reactor):
        return manager.autonomic
    from rbcc.dsl import has_errors, is_application_dir, load_application

    if not is_application_dir(app_dir):
        raise RbccError(f"{app_dir}: not an application directory: its rules and commands cannot be read")
    app = load_application(app_dir)
    if has_errors(app.problems):
        from rbcc.reporting import render_text

        report = render_text(app.problems, app_dir, color=False).rstrip("\n")
        raise RbccError(f"{app_dir}: the application has errors (rbcc validate):\n{report}")
    reactor = Reactor(manager, app, settings)
    manager.autonomic = reactor
    return reactor
