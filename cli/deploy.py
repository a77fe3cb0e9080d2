"""``rbcc deploy``: run an application (directory or compiled plan) with rbcc's executor.

It applies exactly what ``rbcc plan`` shows, and resumes after a crash: desired states are recorded
before anything runs, and a restarted deployment picks up from the recorded state.
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


@click.command("deploy", cls=RbccCommand)
@click.argument("source", type=click.Path(path_type=Path, exists=True))
@state_options
@settings_options
@network_options
@click.option("--profile", help="The container-metadata profile to compile with (application directories).")
def deploy(
    source: Path,
    state_dir: Path | None,
    app_dir: Path | None,
    failure_mode: str,
    cascade: bool,
    max_parallel: int | None,
    recipe_timeout: float,
    forbidden_ports: str | None,
    as_json: bool,
    profile: str | None,
    **network: Any,
) -> None:
    """Deploy and start every instance of SOURCE (an application directory or a plan.json).

    Exit status: 0 everything DEPLOYED_STARTED, 1 some instance did not get there.
    """
    from rbcc.cli.live_view import print_summary, view_for
    from rbcc.runtime import Session, load_plan, plan_changes
    from rbcc.runtime.store import Store

    settings = make_settings(failure_mode, cascade, max_parallel, recipe_timeout, forbidden_ports, **network)
    plan = load_plan(source, app_dir_of(source, app_dir), profile=profile)
    state = state_dir_of(source, state_dir)
    store = Store(state)
    try:
        changes = plan_changes(plan, store.instances())
    finally:
        store.close()
    view = view_for(as_json, [i.path for i in plan.instances])

    async def go() -> object:
        with view:
            view({"event": "plan", **changes.to_json()})
            async with Session(plan.application, state, settings, on_event=view, app_dir=plan.app_dir) as session:
                return await session.deploy(plan)

    summary = run_async(go())
    print_summary(summary, as_json, f"deployed {plan.application}")
    sys.exit(0 if summary.ok else 1)
