"""A deployment whose every message goes through a real RabbitMQ broker behaves as with the in-process bus.

The manager and the local agents run in this process, on one :class:`RabbitMQBus`; the same
scenario (deploy with an import chain, stopping the provider cascades to its consumers, starting
it again, undeploying everything) runs once over :class:`InProcessBus` and once over the broker,
and must end in the same states with the same recipe sequence per instance (runtime.md §9.1 test
20, for RabbitMQ).
"""

from __future__ import annotations

import secrets
from pathlib import Path

import pytest

from rbcc.runtime.bus import Bus, InProcessBus
from rbcc.runtime.bus_rabbitmq import RabbitConfig, RabbitMQBus
from rbcc.runtime.session import Session
from rbcc.runtime.settings import Settings
from rbcc.runtime.states import State
from tests.runtime.apps import Harness, harness, run, states
from tests.runtime.broker import Broker
from tests.runtime.test_lifecycle import GRAPH, INSTANCES, SCRIPTED, TWO_PROVIDERS

pytestmark = pytest.mark.slow


def session(h: Harness, bus: Bus, **settings: object) -> Session:
    values: dict[str, object] = {"heartbeat_period": 0.2, "max_parallel_steps": 4}
    values.update(settings)
    plan = h.plan()
    return Session(plan.application, h.state, Settings(**values), app_dir=plan.app_dir, bus=bus)  # type: ignore[arg-type]


def per_instance(h: Harness) -> dict[str, list[str]]:
    """Each instance's completed recipes, in order (instances run in parallel: only this order is fixed)."""
    out: dict[str, list[str]] = {}
    for path, step in h.completed():
        out.setdefault(path, []).append(step)
    return out


def scenario(
    h: Harness, make_bus, provider: str, **settings: object
) -> list[tuple[dict[str, str], dict[str, list[str]]]]:
    """deploy, stop the ``provider`` database, start it again, undeploy all: states and recipes after each."""

    async def go() -> list[tuple[dict[str, str], dict[str, list[str]]]]:
        seen = []
        bus = await make_bus()
        try:
            async with session(h, bus, **settings) as s:
                await s.deploy(h.plan())
                seen.append((states(s), per_instance(h)))
                h.log.unlink()
                await s.stop([provider])
                seen.append((states(s), per_instance(h)))
                h.log.unlink()
                await s.start([provider])
                seen.append((states(s), per_instance(h)))
                h.log.unlink()
                await s.undeploy([])
                seen.append((states(s), per_instance(h)))
        finally:
            if isinstance(bus, RabbitMQBus):
                await bus.close()
        return seen

    return run(go(), 60)  # type: ignore[return-value]


def rabbit(broker: Broker):
    config = RabbitConfig(
        host=broker.host,
        port=broker.port,
        username=broker.username,
        password=broker.password,
        virtual_host=broker.vhost,
    )

    async def make() -> Bus:
        return await RabbitMQBus(config, domain=f"test-{secrets.token_hex(4)}").connect()

    return make


async def in_process() -> Bus:
    return InProcessBus()


@pytest.mark.parametrize(
    "instances, provider, consumer_stops",
    [(INSTANCES, "/vm1/db", True), (TWO_PROVIDERS, "/vm1/db1", False)],
    ids=["only-provider-stops", "one-of-two-providers-stops"],
)
def test_the_same_deployment_over_rabbitmq_gives_the_same_states_and_recipes(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    rabbit_broker: Broker,
    instances: str,
    provider: str,
    consumer_stops: bool,
) -> None:
    with harness(tmp_path / "local", GRAPH, instances, SCRIPTED, monkeypatch) as h:
        expected = scenario(h, in_process, provider)
    with harness(tmp_path / "rabbit", GRAPH, instances, SCRIPTED, monkeypatch) as h:
        got = scenario(h, rabbit(rabbit_broker), provider)
    assert got == expected
    deployed, stopped, restarted, undeployed = got
    assert set(deployed[0].values()) == {State.DEPLOYED_STARTED.value}
    assert (stopped[0]["/vm1/tomcat"] == State.UNRESOLVED.value) is consumer_stops
    assert ("update" in stopped[1].get("/vm1/tomcat", [])) is not consumer_stops
    assert set(restarted[0].values()) == {State.DEPLOYED_STARTED.value}
    assert set(undeployed[0].values()) == {State.NOT_DEPLOYED.value}


def test_messages_of_a_rabbitmq_deployment_all_went_through_the_broker(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, rabbit_broker: Broker
) -> None:
    with harness(tmp_path, GRAPH, INSTANCES, SCRIPTED, monkeypatch) as h:

        async def go() -> tuple[dict[str, str], int, int]:
            bus = await rabbit(rabbit_broker)()
            assert isinstance(bus, RabbitMQBus)
            try:
                async with session(h, bus) as s:
                    await s.deploy(h.plan())
                    return states(s), sum(bus.counts.values()), bus.deliveries
            finally:
                await bus.close()

        final, published, delivered = run(go(), 60)  # type: ignore[misc]
    assert set(final.values()) == {State.DEPLOYED_STARTED.value}
    assert published > 0 and delivered >= published - 5  # a few heartbeats may still be in flight


def _messaging(broker: Broker, password: str | None = None) -> list[str]:
    keys = {
        "server.ip": f"{broker.host}:{broker.port}",
        "server.username": broker.username,
        "server.password": password or broker.password,
        "server.virtual.host": broker.vhost,
    }
    out = ["--bus", "rabbitmq"]
    for key, value in keys.items():
        out += ["--messaging", f"net.roboconf.messaging.rabbitmq.{key}={value}"]
    return out


def test_rbcc_deploy_over_rabbitmq_from_the_command_line(tmp_path: Path, monkeypatch, rabbit_broker: Broker) -> None:
    import json

    from click.testing import CliRunner

    from rbcc.cli import main

    with harness(tmp_path, GRAPH, INSTANCES, SCRIPTED, monkeypatch) as h:
        cli = CliRunner()
        state = ["--state-dir", str(h.state)]
        deployed = cli.invoke(main, ["deploy", str(h.app), *state, "--json", *_messaging(rabbit_broker)])
        assert deployed.exit_code == 0, deployed.output
        summary = json.loads(deployed.output.strip().splitlines()[-1])
        assert summary["ok"] and set(summary["states"].values()) == {"DEPLOYED_STARTED"}
        gone = cli.invoke(main, ["undeploy", str(h.app), *state, *_messaging(rabbit_broker)])
        assert gone.exit_code == 0, gone.output


def test_wrong_broker_credentials_are_a_clear_error_and_nothing_runs(
    tmp_path: Path, monkeypatch, rabbit_broker: Broker
) -> None:
    from click.testing import CliRunner

    from rbcc.cli import main

    with harness(tmp_path, GRAPH, INSTANCES, SCRIPTED, monkeypatch) as h:
        state = ["--state-dir", str(h.state)]
        result = CliRunner().invoke(
            main, ["deploy", str(h.app), *state, *_messaging(rabbit_broker, password="wrong-" + secrets.token_hex(4))]
        )
        assert result.exit_code == 2, result.output
        assert "refused the user name or password" in result.output and "Traceback" not in result.output
        assert h.completed() == []
