"""``rbcc agent``: run one machine's agent in this process, connected to a manager's WebSocket broker
or to a RabbitMQ broker (as its user data says)."""

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
    help="The agent's user data (Java properties: identity, rbcc.token and rbcc.dm.url, or "
    "net.roboconf.messaging.type=rabbitmq and the net.roboconf.messaging.rabbitmq.* keys; settings).",
)
@click.option("--dm", "dm_url", metavar="URL", help="A remote agent: the manager's broker, ws[s]://HOST:PORT/rbcc/bus.")
@click.option("--token", help="A remote agent: its token in the pool of the target (remote.pool).")
@click.option(
    "--work-dir",
    type=click.Path(path_type=Path, file_okay=False),
    default=Path(".rbcc-agent"),
    show_default=True,
    help="A remote agent: where it keeps its identity, the application's recipes and its instances.",
)
@click.option(
    "--ca", type=click.Path(dir_okay=False, exists=True), help="The certificate a wss:// broker is trusted with."
)
@click.option("-v", "--verbose", is_flag=True, help="Log connections and messages handled.")
def agent(
    user_data: Path | None, dm_url: str | None, token: str | None, work_dir: Path, ca: str | None, verbose: bool
) -> None:
    """Run one machine's agent until SIGTERM (runtime.md §9 "Targets").

    With --user-data (the `process` handler starts it so): the agent that file describes. With --dm
    and --token (started by hand, the `remote` handler): an agent that waits until the manager assigns
    it a machine. Either reconnects with backoff while the manager is away and keeps running the
    recipes it was asked for meanwhile.
    """
    from rbcc.cli.runtime_common import run_async
    from rbcc.runtime.agent_process import run_agent, run_remote

    if (user_data is None) == (dm_url is None or token is None):
        raise click.UsageError("give either --user-data FILE, or --dm URL and --token T")
    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s"
    )
    logging.getLogger("websockets").setLevel(logging.WARNING)
    if user_data is not None:
        run_async(run_agent(user_data.resolve()))
    else:
        assert dm_url is not None and token is not None
        run_async(run_remote(dm_url, token, work_dir.resolve(), ca))
