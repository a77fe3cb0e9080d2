"""Test 24 of runtime.md §9.1: applications bound to each other, deployed with separate state directories.

``Hosting`` exports ``apache.ip as lb_ip`` and ``apache.port as lb_port`` under ``exports-prefix =
Lamp``; ``Shop``'s ``shop`` imports ``external Lamp.lb_ip, external Lamp.lb_port`` (mandatory). Each
deployment has its own state directory and its own bus; they meet in a rendezvous directory
(``RBCC_INTER_APP_DIR``, :mod:`rbcc.runtime.inter_app`).
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from rbcc.cli import main
from rbcc.runtime.agent import Agent
from rbcc.runtime.plan import load_plan
from rbcc.runtime.session import Session
from rbcc.runtime.settings import Settings
from tests.runtime.apps import Harness, run, states
from tests.runtime.broker import Broker
from tests.runtime.inter_apps import write_consumer, write_provider

pytestmark = pytest.mark.slow

SHOP = "/front/shop"


class Two:
    """The provider and the consumer, their state directories, the recipes' log and environments."""

    def __init__(self, tmp: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        self.provider = write_provider(tmp / "hosting")
        self.consumer = write_consumer(tmp / "shop")
        self.h = Harness(self.consumer, tmp / "shop-state", tmp / "calls.log", tmp / "env", tmp / "ctl")
        self.h.env_dir.mkdir()
        self.h.ctl.mkdir()
        self.provider_state = tmp / "hosting-state"
        self.rendezvous = tmp / "rendezvous"
        for key, value in (
            ("RBCC_TEST_LOG", self.h.log),
            ("RBCC_TEST_ENV", self.h.env_dir),
            ("RBCC_TEST_CTL", self.h.ctl),
            ("RBCC_INTER_APP_DIR", self.rendezvous),
        ):
            monkeypatch.setenv(key, str(value))

    def session(self, provider: bool = False, **extra: object) -> Session:
        plan = load_plan(self.provider if provider else self.consumer)
        settings = Settings(heartbeat_period=0.2, max_parallel_steps=4, inter_app_period=0.1, **extra)  # type: ignore[arg-type]
        state = self.provider_state if provider else self.h.state
        return Session(plan.application, state, settings, app_dir=plan.app_dir)

    async def deploy(self, provider: bool) -> dict[str, str]:
        async with self.session(provider) as s:
            await s.deploy(load_plan(self.provider if provider else self.consumer))
            return states(s)

    def shop_calls(self) -> list[tuple[str, str]]:
        return [(p, step) for p, step in self.h.completed() if p == SHOP]


def test_24_unbound_export_is_cached_binding_applies_it_unbinding_leaves_the_consumer_unresolved(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    two = Two(tmp_path, monkeypatch)

    async def go() -> None:
        assert (await two.deploy(provider=True))["/web/apache"] == "DEPLOYED_STARTED"
        async with two.session() as s:
            await s.deploy(load_plan(two.consumer))
            # unbound: the export reached the consumer's agent and is cached, not applied
            assert states(s)[SHOP] == "UNRESOLVED"
            agent = s.manager.agents["/front"]
            assert isinstance(agent, Agent)
            cached = agent.external_cache["Lamp"][("Hosting", "/web/apache")]
            assert cached["exported_variables"] == {"Lamp.lb_ip": "127.0.0.1", "Lamp.lb_port": "8080"}
            assert agent.nodes[SHOP].imports == {}
            assert two.shop_calls() == [(SHOP, "deploy")]

            await s.bind("Lamp", "Hosting")
            assert states(s)[SHOP] == "DEPLOYED_STARTED"
            assert s.bindings() == {"Lamp": ["Hosting"]}
        env = two.h.env(SHOP, "start")
        assert env["Lamp_size"] == "1"
        assert env["Lamp_0_name"] == "/web/apache"
        assert (env["Lamp_0_lb_ip"], env["Lamp_0_lb_port"]) == ("127.0.0.1", "8080")

        async with two.session() as s:  # the binding is recorded: a later command keeps it
            assert s.bindings() == {"Lamp": ["Hosting"]}
            assert states(s)[SHOP] == "DEPLOYED_STARTED"
            await s.unbind("Lamp", "Hosting")
            assert states(s)[SHOP] == "UNRESOLVED"
            assert s.manager.items[SHOP].imports == {}
        assert two.shop_calls() == [(SHOP, "deploy"), (SHOP, "start"), (SHOP, "stop")]

    run(go(), timeout=60)


def test_a_provider_undeployed_while_the_consumer_runs_leaves_it_unresolved_and_redeployed_starts_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    two = Two(tmp_path, monkeypatch)

    async def wait_for(s: Session, wanted: str) -> None:
        for _ in range(100):
            await s.settle()
            if states(s)[SHOP] == wanted:
                return
            await asyncio.sleep(0.05)
        raise AssertionError(f"{SHOP} is {states(s)[SHOP]}, not {wanted}")

    async def go() -> None:
        await two.deploy(provider=True)
        async with two.session() as s:
            await s.deploy(load_plan(two.consumer))
            await s.bind("Lamp", "Hosting")
            assert states(s)[SHOP] == "DEPLOYED_STARTED"
            async with two.session(provider=True) as p:  # the other deployment, its own bus, at the same time
                await p.undeploy([])
            await wait_for(s, "UNRESOLVED")
        # the provider comes back while no command of the consumer runs: its next command starts it
        await two.deploy(provider=True)
        async with two.session() as s:
            await wait_for(s, "DEPLOYED_STARTED")
        assert two.shop_calls() == [(SHOP, "deploy"), (SHOP, "start"), (SHOP, "stop"), (SHOP, "start")]

    run(go(), timeout=60)


def test_process_agents_of_two_applications_reach_each_other_once_bound(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tests.runtime.test_network import kill_agents

    two = Two(tmp_path, monkeypatch)
    process = {"handler": "process", "agent_boot_timeout": 20.0}

    async def go() -> None:
        async with two.session(provider=True, **process) as p:
            await p.deploy(load_plan(two.provider))
        async with two.session(**process) as s:
            await s.deploy(load_plan(two.consumer))
            assert states(s)[SHOP] == "UNRESOLVED"
            await s.bind("Lamp", "Hosting")
            assert states(s)[SHOP] == "DEPLOYED_STARTED"
            await s.unbind("Lamp", "Hosting")
            assert states(s)[SHOP] == "UNRESOLVED"
            await s.undeploy([])
        async with two.session(provider=True, **process) as p:
            await p.undeploy([])

    try:
        run(go(), timeout=60)
    finally:
        kill_agents(two.h.state)
        kill_agents(two.provider_state)
    assert two.h.env(SHOP, "start")["Lamp_0_lb_port"] == "8080"
    assert two.shop_calls() == [(SHOP, "deploy"), (SHOP, "start"), (SHOP, "stop"), (SHOP, "undeploy")]


def test_cli_bind_unbind_and_status_show_bindings_with_clear_errors(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    two = Two(tmp_path, monkeypatch)
    cli = CliRunner()
    shop = [str(two.consumer), "--state-dir", str(two.h.state)]
    assert cli.invoke(main, ["deploy", str(two.provider), "--state-dir", str(two.provider_state)]).exit_code == 0
    deployed = cli.invoke(main, ["deploy", *shop[:1], *shop[1:]])
    assert deployed.exit_code == 1  # shop stays UNRESOLVED until bound
    assert f"{SHOP} waits for another application's Lamp exports: rbcc bind {two.consumer} Lamp" in deployed.output

    def status() -> dict:
        result = cli.invoke(main, ["status", *shop, "--json"])
        assert result.exit_code == 0, result.output
        return json.loads(result.output)

    assert status()["bindings"] == {"Lamp": []}
    planned = cli.invoke(main, ["plan", *shop])
    assert planned.exit_code == 2
    assert "it imports external Lamp.lb_ip, Lamp.lb_port, not bound (rbcc bind APP Lamp APPLICATION)" in planned.output
    assert "external Lamp: not bound" in cli.invoke(main, ["status", *shop]).output

    bound = cli.invoke(main, ["bind", str(two.consumer), "Lamp", "Hosting", "--state-dir", str(two.h.state)])
    assert bound.exit_code == 0, bound.output
    doc = status()
    assert doc["bindings"] == {"Lamp": ["Hosting"]}
    assert {i["path"]: i["state"] for i in doc["instances"]}[SHOP] == "DEPLOYED_STARTED"
    assert "external Lamp: bound to Hosting" in cli.invoke(main, ["status", *shop]).output

    def bind(*args: str) -> str:
        result = cli.invoke(main, [*args[:1], str(two.consumer), *args[1:], "--state-dir", str(two.h.state)])
        assert result.exit_code == 2, result.output
        return result.output

    assert "no external import 'Nope' (its external prefixes: Lamp)" in bind("bind", "Nope", "Hosting")
    assert "no application 'Elsewhere' is deployed on this machine" in bind("bind", "Lamp", "Elsewhere")
    assert "'Shop' exports nothing to other applications, not 'Lamp'" in bind("bind", "Lamp", "Shop")
    assert "'Lamp' is not bound to 'Other'" in bind("unbind", "Lamp", "Other")

    unbound = cli.invoke(main, ["unbind", str(two.consumer), "Lamp", "Hosting", "--state-dir", str(two.h.state)])
    assert unbound.exit_code == 0, unbound.output
    doc = status()
    assert doc["bindings"] == {"Lamp": []}
    assert {i["path"]: i["state"] for i in doc["instances"]}[SHOP] == "UNRESOLVED"


def test_exporters_left_in_the_rendezvous_by_an_earlier_deployment_are_forgotten(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from rbcc.runtime.inter_app import Rendezvous

    two = Two(tmp_path, monkeypatch)
    rendezvous = Rendezvous(two.rendezvous)
    stale = {"component": "apache", "variables": {"Lamp.lb_ip": "10.9.9.9", "Lamp.lb_port": "1"}}
    rendezvous.write_exports("Lamp", "Hosting", {"/old/apache": stale})  # e.g. its state directory was removed

    async def go() -> None:
        await two.deploy(provider=True)
        assert list(rendezvous.exporters_of("Lamp")["Hosting"]) == ["/web/apache"]
        async with two.session() as s:
            await s.deploy(load_plan(two.consumer))
            await s.bind("Lamp", "Hosting")
            assert states(s)[SHOP] == "DEPLOYED_STARTED"

    run(go(), timeout=60)
    env = two.h.env(SHOP, "start")
    assert (env["Lamp_size"], env["Lamp_0_name"]) == ("1", "/web/apache")


def test_a_binding_withdrawn_while_a_step_runs_never_applies_the_import_it_had_queued(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    two = Two(tmp_path, monkeypatch)
    backup = write_provider(tmp_path / "backup", name="Backup")
    third = write_provider(tmp_path / "third", name="Third")

    async def deploy(app: Path, state: str) -> None:
        plan = load_plan(app)
        async with Session(plan.application, tmp_path / state, Settings(heartbeat_period=0.2), app_dir=app) as p:
            await p.deploy(plan)

    async def go() -> list[str | None]:
        await two.deploy(provider=True)
        await deploy(backup, "backup-state")
        await deploy(third, "third-state")
        async with two.session() as s:
            await s.deploy(load_plan(two.consumer))
            await s.bind("Lamp", "Hosting")
            two.h.pause(SHOP, "update", 1.0)
            await s.manager.change_binding("Lamp", ["Backup", "Hosting"])  # update runs a second
            await asyncio.sleep(0.3)
            await s.manager.change_binding("Lamp", ["Backup", "Hosting", "Third"])  # queued behind it
            await asyncio.sleep(0.1)
            await s.manager.change_binding("Lamp", ["Backup", "Hosting"])  # withdrawn before it was applied
            await s.settle()
            assert states(s)[SHOP] == "DEPLOYED_STARTED"
            return [i.get("application") for i in s.manager.items[SHOP].imports["Lamp"]]

    assert sorted(run(go(), timeout=60)) == ["Backup", "Hosting"]  # type: ignore[arg-type]
    assert [step for _, step in two.shop_calls()] == ["deploy", "start", "update"]


def test_over_a_shared_rabbitmq_broker_two_running_applications_reach_each_other_directly(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, rabbit_broker: Broker
) -> None:
    import secrets

    from rbcc.runtime.bus_rabbitmq import RabbitConfig, RabbitMQBus

    two = Two(tmp_path, monkeypatch)
    domain = f"test-{secrets.token_hex(4)}"  # both applications on one domain: one inter-application exchange
    config = RabbitConfig(
        host=rabbit_broker.host,
        port=rabbit_broker.port,
        username=rabbit_broker.username,
        password=rabbit_broker.password,
        virtual_host=rabbit_broker.vhost,
    )

    def session(provider: bool, bus: RabbitMQBus) -> Session:
        plan = load_plan(two.provider if provider else two.consumer)
        # the rendezvous is read when a session starts, then not for 600 s: what follows comes through the broker
        settings = Settings(heartbeat_period=0.2, max_parallel_steps=4, inter_app_period=600.0)
        state = two.provider_state if provider else two.h.state
        return Session(plan.application, state, settings, app_dir=plan.app_dir, bus=bus)

    async def until(s: Session, wanted: str) -> None:
        for _ in range(100):
            await s.settle()
            if states(s)[SHOP] == wanted:
                return
            await asyncio.sleep(0.05)
        raise AssertionError(f"{SHOP} is {states(s)[SHOP]}, not {wanted}")

    async def go() -> None:
        buses = [await RabbitMQBus(config, domain).connect(), await RabbitMQBus(config, domain).connect()]
        try:
            async with session(True, buses[0]) as p, session(False, buses[1]) as s:
                await p.deploy(load_plan(two.provider))
                await p.undeploy([])  # Hosting is known on this machine, and exports nothing now
                await s.deploy(load_plan(two.consumer))
                await s.bind("Lamp", "Hosting")
                assert states(s)[SHOP] == "UNRESOLVED"
                await p.start([])  # its AddImport reaches the consumer's agent through the broker
                await until(s, "DEPLOYED_STARTED")
                await p.undeploy([])
                await until(s, "UNRESOLVED")
        finally:
            for bus in buses:
                await bus.close()

    run(go(), timeout=60)
    assert two.shop_calls() == [(SHOP, "deploy"), (SHOP, "start"), (SHOP, "stop")]
