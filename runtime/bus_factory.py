"""Which bus a session uses (``--bus inprocess|websocket|rabbitmq``, :attr:`Settings.bus`).

The WebSocket broker keeps its port across the sessions of one deployment: the port it got is
recorded in the store (``bus.port``) and asked for again next time, so that agents that outlived
the previous session (``process``, ``remote``) find the new broker where the old one was.

Agents in containers reach this host at their network's gateway (the default bridge's is
172.17.0.1), not on loopback: when the plan's machines go to ``docker`` targets, the broker also
listens there, on the same port, without ``--bus-host``; those addresses are recorded too
(``bus.also``), so that a later command without the plan (``stop``, ``undeploy``) serves them again.
"""

from __future__ import annotations

import importlib
import logging

from rbcc.errors import RbccError
from rbcc.runtime.bus import Bus, InProcessBus, agent_context
from rbcc.runtime.plan import Plan
from rbcc.runtime.settings import Settings
from rbcc.runtime.store import Store

log = logging.getLogger("rbcc.runtime.bus_factory")

PORT_KEY = "bus.port"
ALSO_KEY = "bus.also"
#: the bus kind of the session that last made machines run out of the rbcc process
KIND_KEY = "bus.kind"


async def open_bus(settings: Settings, store: Store, plan: Plan | None = None) -> Bus:
    """The bus ``settings`` ask for, listening or connected; its port recorded (see :func:`remember_bus`).

    ``plan``, when the session is given one, tells which machines go to containers (see the module's text)."""
    bus = make_bus(settings, store, plan)
    connect = getattr(bus, "connect", None)
    if callable(connect):  # the RabbitMQ bus connects rather than starts
        await connect()
    else:
        admit_recorded_agents(bus, store)
        await bus.start()
    remember_bus(bus, store)
    return bus


def admit_recorded_agents(bus: Bus, store: Store) -> None:
    """Let the agents of recorded machines in before the broker listens.

    Agents that outlived the previous session reconnect as soon as the port opens: admitted only
    later (when the session restores their machine), the first of them would be refused with 4401
    and exit.  The manager admits them again when it restores each machine (same token).
    """
    allow = getattr(bus, "allow", None)
    application = store.meta("application")
    if not callable(allow) or application is None:
        return
    for machine, token in store.tokens().items():
        allow(f"{machine} @ {application}", token, (agent_context(application, machine),))


def make_bus(settings: Settings, store: Store, plan: Plan | None = None) -> Bus:
    """The bus ``settings`` ask for, not yet started (see :meth:`Bus.start`)."""
    kind = settings.bus
    if kind == "auto":
        kind = "websocket" if needs_network(settings, store) else "inprocess"
        if kind == "websocket" and store.meta(KIND_KEY) == "rabbitmq" and _agents_out_of_process(store):
            raise RbccError(
                "the agents of this deployment run over RabbitMQ: give --bus rabbitmq and its --messaging settings"
            )
    if kind == "inprocess":
        return InProcessBus()
    if kind == "websocket":
        from rbcc.runtime.bus_websocket import WebSocketBus

        port = settings.bus_port
        recorded = store.meta(PORT_KEY)
        if port == 0 and recorded is not None:
            port = int(recorded)
        recorded_also = [h for h in (store.meta(ALSO_KEY) or "").split(",") if h]
        also = tuple(dict.fromkeys([*recorded_also, *container_gateways(plan, settings)]))
        return WebSocketBus(
            settings.bus_host, port, settings.bus_replay, settings.tls_cert, settings.tls_key, also_on=also
        )
    if kind == "rabbitmq":
        try:
            module = importlib.import_module("rbcc.runtime.bus_rabbitmq")
        except ImportError as exc:
            raise RbccError(f"the RabbitMQ bus is not available in this installation ({exc})") from None
        bus: Bus = module.RabbitMQBus(module.rabbit_config(dict(settings.messaging)))
        return bus
    raise RbccError(f"unknown bus {settings.bus!r}")


def container_gateways(plan: Plan | None, settings: Settings) -> list[str]:
    """Where the machines of ``plan`` that go to ``docker`` targets reach this host (their networks'
    gateways); nothing for a broker that listens on every address already."""
    if plan is None or settings.bus_host in ("0.0.0.0", "::", ""):
        return []
    from rbcc.runtime.targets.registry import choose_target

    wanted = [choose_target(i, settings) for i in plan.instances if i.scoped]
    docker_targets = [c for c in wanted if c.handler == "docker"]
    if not docker_targets:
        return []
    try:
        from rbcc.runtime.targets.docker import DockerTarget

        target = DockerTarget()
    except ImportError:  # the docker target will say it is not installed
        return []
    out: list[str] = []
    for choice in docker_targets:
        try:
            host = target.manager_host(choice.properties)
        except Exception as exc:  # no engine, no network: the machine's creation reports it
            log.warning("cannot find where containers reach this host: %s", exc)
            continue
        if host is not None and host not in out:
            out.append(host)
    return out


def needs_network(settings: Settings, store: Store) -> bool:
    """Whether some machine runs, or is asked to run, out of the rbcc process."""
    if settings.handler not in (None, "local") or settings.targets:
        return True
    return any(
        r.scoped and r.data.get("machine.id") and (r.data.get("target.handler") or "local") != "local"
        for r in store.instances()
    )


def _agents_out_of_process(store: Store) -> bool:
    return any(
        r.scoped and r.data.get("machine.id") and (r.data.get("target.handler") or "local") != "local"
        for r in store.instances()
    )


def remember_bus(bus: Bus, store: Store) -> None:
    """Record where a started broker listens, and which kind of bus it is, for the deployment's next sessions."""
    port = getattr(bus, "port", None)
    kind = "rabbitmq" if callable(getattr(bus, "agent_user_data", None)) else None
    if kind is None and hasattr(bus, "allow"):
        kind = "websocket"
    with store.transaction() as tx:
        if isinstance(port, int) and port and store.meta(PORT_KEY) != str(port):
            tx.set_meta(PORT_KEY, str(port))
        if kind is not None and store.meta(KIND_KEY) != kind:
            tx.set_meta(KIND_KEY, kind)
        also = ",".join(getattr(bus, "also_on", ()) or ())
        if also and store.meta(ALSO_KEY) != also:
            tx.set_meta(ALSO_KEY, also)
