"""Where the WebSocket broker listens: ``--bus-host``, plus the gateways machines in containers reach."""

from __future__ import annotations

import asyncio
import dataclasses
import socket
from pathlib import Path

import pytest

from rbcc.runtime import bus_factory
from rbcc.runtime.bus_websocket import WebSocketBus
from rbcc.runtime.plan import TargetSpec, load_plan
from rbcc.runtime.settings import Settings
from rbcc.runtime.store import Store
from tests.runtime.apps import write_app
from tests.runtime.test_durable_state import GRAPH, INSTANCES


def _connects(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=1):
            return True
    except OSError:
        return False


def test_the_broker_serves_its_other_addresses_on_the_same_port() -> None:
    async def go() -> tuple[bool, bool, bool]:
        bus = WebSocketBus("127.0.0.1", 0, also_on=("127.0.0.2",))
        await bus.start()
        try:
            both = _connects("127.0.0.1", bus.port), _connects("127.0.0.2", bus.port)
        finally:
            await bus.close()
        return (*both, _connects("127.0.0.2", bus.port))

    assert asyncio.run(go()) == (True, True, False)  # and closed with the broker


def _plan_with_docker_machines(tmp_path: Path):  # type: ignore[no-untyped-def]
    plan = load_plan(write_app(tmp_path / "app", GRAPH, INSTANCES))
    target = TargetSpec("containers", "docker", "graph/vm/containers.properties", {"handler": "docker"})
    instances = tuple(dataclasses.replace(i, targets=(target,)) if i.scoped else i for i in plan.instances)
    return dataclasses.replace(plan, instances=instances)


def test_machines_going_to_containers_add_their_gateway_and_it_is_remembered(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from rbcc.runtime.targets import docker as docker_target

    asked: list[dict[str, str]] = []

    def manager_host(self, properties):  # type: ignore[no-untyped-def]
        asked.append(properties)
        return "127.0.0.3"

    monkeypatch.setattr(docker_target.DockerTarget, "__init__", lambda self: None)
    monkeypatch.setattr(docker_target.DockerTarget, "manager_host", manager_host)
    plan = _plan_with_docker_machines(tmp_path)
    settings = Settings(bus="websocket", targets=("containers",))
    store = Store(tmp_path / "state")
    try:
        bus = bus_factory.make_bus(settings, store, plan)
        assert isinstance(bus, WebSocketBus) and bus.also_on == ("127.0.0.3",)
        assert asked, "the docker target was asked where containers reach this host"

        async def go() -> None:
            started = await bus_factory.open_bus(settings, store, plan)
            await started.close()

        asyncio.run(go())
        # a later command without the plan (stop, undeploy) serves the recorded address again
        again = bus_factory.make_bus(settings, store)
        assert isinstance(again, WebSocketBus) and again.also_on == ("127.0.0.3",)
    finally:
        store.close()


def test_local_machines_and_a_broker_on_every_address_add_nothing(tmp_path: Path) -> None:
    plan = load_plan(write_app(tmp_path / "app", GRAPH, INSTANCES))
    assert bus_factory.container_gateways(plan, Settings(bus="websocket")) == []
    docker_plan = _plan_with_docker_machines(tmp_path / "other")
    everywhere = Settings(bus="websocket", bus_host="0.0.0.0", targets=("containers",))
    assert bus_factory.container_gateways(docker_plan, everywhere) == []
