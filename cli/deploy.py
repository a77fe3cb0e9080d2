"""``rbcc deploy``: run an application (directory or compiled plan) with rbcc's executor.

It applies exactly what ``rbcc plan`` shows, and resumes after a crash: desired states are recorded
before anything runs, and a restarted deployment picks up from the recorded state.
"""

from __future__ import annotations

import asyncio
import signal
import sys
from pathlib import Path
from typing import Any

import click

from rbcc.cli.base import RbccCommand
from rbcc.cli.runtime_common import (
    app_dir_of,
    autonomic_options,
    make_settings,
    network_options,
    run_async,
    settings_options,
    state_dir_of,
    state_options,
    with_autonomic,
)


@click.command("deploy", cls=RbccCommand)
@click.argument("source", type=click.Path(path_type=Path, exists=True))
@state_options
@settings_options
@network_options
@click.option("--profile", help="The container-metadata profile to compile with (application directories).")
@click.option(
    "--watch",
    is_flag=True,
    help="Then keep managing (heartbeats, probes, rules, commands) until SIGINT or SIGTERM.",
)
@autonomic_options
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
    watch: bool,
    preferences_file: Path | None,
    preference_pairs: tuple[str, ...],
    probe_period: float,
    **network: Any,
) -> None:
    """Deploy and start every instance of SOURCE (an application directory or a plan.json).

    Exit status: 0 everything DEPLOYED_STARTED, 1 some instance did not get there.

    With --watch the manager keeps running after the deployment: agents sample the probes
    (probes/*.measures) every --probe-period seconds, the rules (rules.autonomic/*.drl) decide
    and their commands run against the live application (docs/autonomic.md); SIGINT or SIGTERM
    ends it cleanly (the state stays recorded, services keep running, exit status 0).
    """
    from rbcc.cli.live_view import print_summary, view_for
    from rbcc.runtime import Session, load_plan, plan_changes
    from rbcc.runtime.store import Store

    settings = make_settings(failure_mode, cascade, max_parallel, recipe_timeout, forbidden_ports, **network)
    settings = with_autonomic(settings, preferences_file, preference_pairs, probe_period, watch)
    plan = load_plan(source, app_dir_of(source, app_dir), profile=profile)
    state = state_dir_of(source, state_dir)
    from rbcc.runtime.autonomic.watch import WatchLock, refuse_if_watched

    lock = WatchLock(state)
    if watch:
        lock.acquire()  # one watching manager per deployment
    else:
        refuse_if_watched(state, "deploying")
    store = Store(state)
    try:
        from rbcc.runtime.bindings import load_bindings

        changes = plan_changes(plan, store.instances(), load_bindings(store))
    finally:
        store.close()
    view = view_for(as_json, [i.path for i in plan.instances])
    unbound: list[tuple[str, str]] = []

    async def go() -> object:
        with view:
            view({"event": "plan", **changes.to_json()})
            async with Session(
                plan.application, state, settings, on_event=view, app_dir=plan.app_dir, plan=plan
            ) as session:
                summary = await session.deploy(plan)
                unbound.extend(session.unbound_imports())
                if not watch:
                    return summary
                print_summary(summary, as_json, f"deployed {plan.application}")
                stop = asyncio.Event()
                loop = asyncio.get_running_loop()
                for sig in (signal.SIGINT, signal.SIGTERM):
                    loop.add_signal_handler(sig, stop.set)
                if not as_json:
                    click.echo(f"rbcc: watching {plan.application} (SIGINT or SIGTERM to stop)", err=True)
                try:
                    await session.watch(stop)
                finally:
                    for sig in (signal.SIGINT, signal.SIGTERM):
                        loop.remove_signal_handler(sig)
                return None

    summary = run_async(go())
    if summary is None:  # --watch, stopped by a signal
        if not as_json:
            click.echo(f"rbcc: stopped watching {plan.application}", err=True)
        sys.exit(0)
    print_summary(summary, as_json, f"deployed {plan.application}")
    if not as_json:
        for path, prefix in unbound:
            click.echo(
                f"rbcc: {path} waits for another application's {prefix} exports: rbcc bind {source} {prefix} APPLICATION",
                err=True,
            )
    sys.exit(0 if summary.ok else 1)
