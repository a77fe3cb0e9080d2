"""``rbcc agent``: run one machine's agent in this process, connected to a manager's WebSocket broker."""

from __future__ import annotations

import logging
from pathlib import Path

import click

from rbcc.cli.base import RbccCommand


@click.command("agent", cls=RbccCommand)
@click.option(
    "--user-data",
    "user_data",
    type=click.Path(path_type=Path, dir_okay=False, exists=True),
    required=True,
    help="The agent's user data (Java properties: identity, rbcc.token, rbcc.dm.url, settings).",
)
@click.option("-v", "--verbose", is_flag=True, help="Log connections and messages handled.")
def agent(user_data: Path, verbose: bool) -> None:
    """Run the agent a user data file describes, until SIGTERM (runtime.md §9 "Targets").

    The `process` target handler starts it; it reconnects with backoff while the manager is away
    and keeps running the recipes it was asked for meanwhile.
    """
    from rbcc.cli.runtime_common import run_async
    from rbcc.runtime.agent_process import run_agent

    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s"
    )
    run_async(run_agent(user_data.resolve()))
