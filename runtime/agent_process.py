"""``rbcc agent``: an agent in a process of its own, over the WebSocket or the RabbitMQ bus (runtime.md §2.3, §9).

The same :class:`~rbcc.runtime.agent.Agent` as a local machine's, with a
:class:`~rbcc.runtime.bus_websocket.WebSocketClientBus` instead of the in-process bus.  Its
identity, token, broker address and settings come from its user data (:mod:`rbcc.runtime.user_data`),
re-read before each reconnection so that a manager listening elsewhere can point it at the new
address.  When the user data says ``net.roboconf.messaging.type = rabbitmq`` (Roboconf's agents get
their messaging configuration so), the agent connects to that broker with the
``net.roboconf.messaging.rabbitmq.*`` credentials instead (:class:`~rbcc.runtime.bus_rabbitmq.RabbitMQBus`
with publisher confirms; a broker refusing them is logged and the agent exits with status 2, having
received nothing), and answers the manager's probes (:mod:`rbcc.runtime.probe_waves`) rather than
reporting message numbers.  At start it restores itself from its ``agent-state.json`` when it has one (a step found
in progress is not re-run blindly, :meth:`Agent.restore`); it heartbeats, keeps working while the
manager is away, and reports to the manager whether it is idle (``AgentState``, see
:mod:`rbcc.runtime.agent_link`).  SIGTERM (or SIGINT): running steps are cancelled, its state
saved, MachineDown sent, exit 0.

:func:`run_remote` is ``rbcc agent --dm URL --token T``: an agent started by hand that waits in the
manager's pool (:mod:`rbcc.runtime.targets.remote`) until it gets an identity (``AssignAgent``),
keeps it in its directory (so that it comes back after a restart of either side), runs as above,
and on ``ResetAgent`` forgets it and waits again.
"""

from __future__ import annotations

import asyncio
import logging
import os
import shutil
import signal
from pathlib import Path
from typing import Any

from rbcc.errors import RbccError
from rbcc.runtime import user_data as ud
from rbcc.runtime.agent import Agent, AgentHost
from rbcc.runtime.bus import Bus, dm_context
from rbcc.runtime.bus_websocket import WebSocketClientBus
from rbcc.runtime.probe_waves import ProbeAnswers, answer_probes

log = logging.getLogger("rbcc.runtime.agent_process")

REQUIRED = ("application.name", "scoped.instance.path", "rbcc.token", "rbcc.dm.url")
#: over RabbitMQ the broker's credentials (``net.roboconf.messaging.rabbitmq.*``) are the agent's
REQUIRED_RABBITMQ = ("application.name", "scoped.instance.path")
MESSAGING_TYPE = "net.roboconf.messaging.type"
#: seconds between two looks at whether the agent is idle
IDLE_POLL = 0.02


def over_rabbitmq(values: dict[str, str]) -> bool:
    """Whether a user data sends its agent to a RabbitMQ broker (Roboconf's ``messaging.type``)."""
    return values.get(MESSAGING_TYPE, "").strip() == "rabbitmq"


def _identity(values: dict[str, str], source: str) -> tuple[str, str, str]:
    required = REQUIRED_RABBITMQ if over_rabbitmq(values) else REQUIRED
    missing = [k for k in required if not values.get(k)]
    if missing:
        raise RbccError(f"{source}: the user data has no {', '.join(missing)}")
    return values["application.name"], values["scoped.instance.path"], values.get("rbcc.token", "")


async def _rabbitmq_bus(values: dict[str, str], app: str, path: str) -> tuple[Bus, ProbeAnswers]:
    """The agent's RabbitMQ bus, connected (publisher confirms on, probes answered apart): the broker
    refusing its credentials is an :class:`RbccError` naming the agent (logged, nothing received)."""
    from rbcc.runtime.bus_rabbitmq import RabbitMQBus, rabbit_config

    answers = ProbeAnswers()
    bus = RabbitMQBus(
        rabbit_config(values), domain=values.get("domain") or "default", confirms=True, control=answers.control
    )
    try:
        await bus.connect()
    except RbccError as exc:
        log.error("agent %s of %s: refused or unreachable, it receives nothing: %s", path, app, exc)
        raise RbccError(f"agent {path} of {app}: {exc}") from None
    return bus, answers


async def run_agent(user_data_file: Path, stop: asyncio.Event | None = None) -> str:
    """Run until SIGTERM (``"stopped"``) or a ``ResetAgent`` (``"reset"``); raises :class:`RbccError`
    when the broker refuses the token (WebSocket) or the credentials (RabbitMQ)."""
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
    reset = asyncio.Event()

    def control(msg: dict[str, Any]) -> bool:
        if msg.get("type") == "ResetAgent":
            reset.set()
            return True
        return False

    bus: Bus
    answers: ProbeAnswers | None = None
    if over_rabbitmq(values):
        bus, answers = await _rabbitmq_bus(values, app, path)
    else:
        bus = WebSocketClientBus(owner, token, url, ca_file=values.get("rbcc.tls.ca"), control=control)
    host = AgentHost(
        application=app,
        bus=bus,
        settings=settings,
        app_dir=Path(values.get("rbcc.app.dir") or home),
        state_dir=Path(values.get("rbcc.state.dir") or home),
        pool=asyncio.Semaphore(settings.max_parallel_steps),
        base_env=dict(os.environ),
        ship_logs=values.get(ud.SHIP_LOGS) == "true",
    )
    agent = Agent(host, path)
    restored = agent.restore()
    await bus.start()
    await agent.start()
    if restored:
        bus.inbox(owner).put_nowait({"type": "Restored", "application": app})
    log.info("agent %s of %s up (pid %d, restored: %s)", path, app, os.getpid(), restored)

    if stop is None:
        stop = _stop_on_signals()
    if answers is not None:
        on_reconnect = getattr(bus, "on_reconnect", None)
        if callable(on_reconnect):
            on_reconnect(agent.beat)  # the manager hears from it at once
        answers.on_manager = agent.beat
        reporter = asyncio.create_task(answer_probes(agent, bus, answers, app, path, IDLE_POLL))
    else:
        assert isinstance(bus, WebSocketClientBus)
        reporter = asyncio.create_task(_report_idle(agent, bus, app, path))

    def refused() -> str | None:
        return getattr(bus, "refused", None)

    try:
        while not stop.is_set() and not reset.is_set() and refused() is None:
            try:
                await asyncio.wait_for(stop.wait(), 0.2)
            except TimeoutError:
                pass
    finally:
        reporter.cancel()
        await agent.stop(wait_steps=False)
        if refused() is None:
            try:
                await bus.publish(
                    dm_context(app), {"type": "MachineDown", "application": app, "scoped_instance_path": path}
                )
            except Exception as exc:  # the broker away: the manager finds out by the missing heartbeats
                log.warning("agent %s of %s: MachineDown not sent (%s)", path, app, exc)
        await bus.close()
    message = refused()
    if message is not None:
        raise RbccError(message)
    log.info("agent %s of %s %s", path, app, "reset" if reset.is_set() else "down")
    return "reset" if reset.is_set() else "stopped"


def _stop_on_signals() -> asyncio.Event:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    return stop


ASSIGNED = "user-data.properties"


async def run_remote(dm_url: str, token: str, work_dir: Path, ca_file: str | None = None) -> None:
    """``rbcc agent --dm URL --token T``: wait in the pool, run the machine assigned, again after a reset."""
    work_dir.mkdir(parents=True, exist_ok=True)
    stop = _stop_on_signals()
    assigned = work_dir / ASSIGNED
    while not stop.is_set():
        if assigned.is_file():
            outcome = await run_agent(assigned, stop)
            if outcome == "reset":
                assigned.unlink(missing_ok=True)
                for name in ("agents", "app", "logs"):
                    shutil.rmtree(work_dir / name, ignore_errors=True)
            continue
        msg = await _wait_for_assignment(dm_url, token, ca_file, stop)
        if msg is None:
            break
        try:
            await asyncio.to_thread(_unpack, msg, dm_url, token, ca_file, work_dir / "app")
        except (RbccError, OSError, ValueError) as exc:  # tarfile errors are ValueError or OSError
            log.error("remote agent: the application's files could not be had (%s): waiting again", exc)
            continue
        values = dict(msg.get("user_data") or {})
        values.update({"rbcc.dm.url": dm_url, "rbcc.app.dir": str(work_dir / "app"), "rbcc.state.dir": str(work_dir)})
        values[ud.SHIP_LOGS] = "true"  # this host's files are not the manager's: recipe output goes back
        if ca_file:
            values["rbcc.tls.ca"] = ca_file
        else:
            values.pop("rbcc.tls.ca", None)
        ud.write(assigned, values)
        log.info("remote agent assigned %s of %s", values.get("scoped.instance.path"), values.get("application.name"))


async def _report_idle(agent: Agent, bus: WebSocketClientBus, app: str, path: str) -> None:
    """``AgentState{idle, seen}`` to the manager each time either changes; a heartbeat and a report on
    each reconnection."""
    reported: tuple[bool, int] | None = None
    while True:
        await asyncio.sleep(IDLE_POLL)
        if not bus.connected.is_set():
            reported = None
            continue
        if reported is None:
            agent.beat()  # (re)connected: the manager hears from it at once
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


async def _wait_for_assignment(
    dm_url: str, token: str, ca_file: str | None, stop: asyncio.Event
) -> dict[str, Any] | None:
    """Connected without an identity until the manager sends ``AssignAgent`` (None: stopped first)."""
    got: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()

    def control(msg: dict[str, Any]) -> bool:
        if msg.get("type") == "AssignAgent" and not got.done():
            got.set_result(msg)
        return True

    idle = WebSocketClientBus("", token, lambda: dm_url, ca_file=ca_file, control=control, retry_refused=True)
    await idle.start()
    log.info("remote agent waiting for a machine at %s", dm_url)
    waiting: asyncio.Future[Any] = asyncio.ensure_future(stop.wait())
    await asyncio.wait([got, waiting], return_when=asyncio.FIRST_COMPLETED)
    waiting.cancel()
    await idle.close()
    return got.result() if got.done() else None


def _unpack(msg: dict[str, Any], dm_url: str, token: str, ca_file: str | None, into: Path) -> None:
    """The application's files of an ``AssignAgent``: in the message, or fetched by their sha256."""
    import base64

    from rbcc.runtime.bus_websocket import fetch_blob
    from rbcc.runtime.targets.remote import unpack_archive

    ref = msg.get("files_ref")
    data = fetch_blob(dm_url, str(ref), token, ca_file) if ref else base64.b64decode(str(msg.get("files") or ""))
    shutil.rmtree(into, ignore_errors=True)
    unpack_archive(data, into)
