"""``rbcc agent``: an agent in a process of its own, over the WebSocket bus (runtime.md §2.3, §9).

The same :class:`~rbcc.runtime.agent.Agent` as a local machine's, with a
:class:`~rbcc.runtime.bus_websocket.WebSocketClientBus` instead of the in-process bus.  Its
identity, token, broker address and settings come from its user data (:mod:`rbcc.runtime.user_data`),
re-read before each reconnection so that a manager listening elsewhere can point it at the new
address.  At start it restores itself from its ``agent-state.json`` when it has one (a step found
in progress is not re-run blindly, :meth:`Agent.restore`); it heartbeats, keeps working while the
manager is away, and reports to the manager whether it is idle (``AgentState``, see
:mod:`rbcc.runtime.agent_link`).  SIGTERM (or SIGINT): running steps are cancelled, its state
saved, MachineDown sent, exit 0.
"""

from __future__ import annotations

import asyncio
import logging
import os
import signal
from pathlib import Path

from rbcc.errors import RbccError
from rbcc.runtime import user_data as ud
from rbcc.runtime.agent import Agent, AgentHost
from rbcc.runtime.bus import dm_context
from rbcc.runtime.bus_websocket import WebSocketClientBus

log = logging.getLogger("rbcc.runtime.agent_process")

REQUIRED = ("application.name", "scoped.instance.path", "rbcc.token", "rbcc.dm.url")
#: seconds between two looks at whether the agent is idle
IDLE_POLL = 0.02


def _identity(values: dict[str, str], source: str) -> tuple[str, str, str]:
    missing = [k for k in REQUIRED if not values.get(k)]
    if missing:
        raise RbccError(f"{source}: the user data has no {', '.join(missing)}")
    return values["application.name"], values["scoped.instance.path"], values["rbcc.token"]


async def run_agent(user_data_file: Path) -> None:
    """Run until SIGTERM; raises :class:`RbccError` when the broker refuses the token."""
    values = ud.read(user_data_file)
    app, path, token = _identity(values, str(user_data_file))
    settings = ud.settings_of(values)
    home = user_data_file.parent

    def url() -> str:
        try:
            return ud.read(user_data_file).get("rbcc.dm.url") or values["rbcc.dm.url"]
        except RbccError:
            return values["rbcc.dm.url"]

    owner = f"{path} @ {app}"
    bus = WebSocketClientBus(owner, token, url, ca_file=values.get("rbcc.tls.ca"))
    host = AgentHost(
        application=app,
        bus=bus,
        settings=settings,
        app_dir=Path(values.get("rbcc.app.dir") or home),
        state_dir=Path(values.get("rbcc.state.dir") or home),
        pool=asyncio.Semaphore(settings.max_parallel_steps),
        base_env=dict(os.environ),
    )
    agent = Agent(host, path)
    restored = agent.restore()
    await bus.start()
    await agent.start()
    if restored:
        bus.inbox(owner).put_nowait({"type": "Restored", "application": app})
    log.info("agent %s of %s up (pid %d, restored: %s)", path, app, os.getpid(), restored)

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    reporter = asyncio.create_task(_report_idle(agent, bus, app, path))
    try:
        while not stop.is_set() and bus.refused is None:
            try:
                await asyncio.wait_for(stop.wait(), 0.2)
            except TimeoutError:
                pass
    finally:
        reporter.cancel()
        await agent.stop(wait_steps=False)
        if bus.refused is None:
            await bus.publish(
                dm_context(app), {"type": "MachineDown", "application": app, "scoped_instance_path": path}
            )
        await bus.close()
    if bus.refused is not None:
        raise RbccError(bus.refused)
    log.info("agent %s of %s down", path, app)


async def _report_idle(agent: Agent, bus: WebSocketClientBus, app: str, path: str) -> None:
    """``AgentState{idle, seen}`` to the manager each time either changes (and on each reconnection)."""
    reported: tuple[bool, int] | None = None
    while True:
        await asyncio.sleep(IDLE_POLL)
        if not bus.connected.is_set():
            reported = None
            continue
        now = (agent.idle(), bus.last_seq)
        if now != reported:
            reported = now
            await bus.publish(
                dm_context(app),
                {
                    "type": "AgentState",
                    "application": app,
                    "scoped_instance_path": path,
                    "idle": now[0],
                    "seen": now[1],
                },
            )
