"""``process`` agents over a real RabbitMQ broker (runtime.md §5.4, §9; issue 12 "networked messaging").

The manager and each machine's ``rbcc agent`` are separate processes talking only through the
broker the test set-up starts on loopback (``rabbit_broker``); the manager knows the agents idle
through probe waves (:mod:`rbcc.runtime.probe_waves`).  The same application gives the same states
and per-instance recipe calls as the in-process bus with local agents; agents outlive a session and
the next one finds them; wrong credentials are refused, logged, and put the machine in PROBLEM.
"""

from __future__ import annotations

import asyncio
import os
import signal
from pathlib import Path
from typing import Any

import pytest

from rbcc.runtime.status import read_status
from tests.runtime.apps import harness, run
from tests.runtime.broker import Broker
from tests.runtime.test_crash import GRAPH
from tests.runtime.test_lifecycle import GRAPH as LIFECYCLE_GRAPH
from tests.runtime.test_lifecycle import INSTANCES as LIFECYCLE_INSTANCES
from tests.runtime.test_lifecycle import SCRIPTED
from tests.runtime.test_network import (
    INSTANCES,
    _until,
    agent_pids_by_path,
    agents_outlive_a_killed_manager,
    kill_agents,
    killed_mid_step_resumes,
    same_as_in_process,
)
from tests.runtime.test_rabbitmq_deploy import in_process, rabbit, scenario

pytestmark = pytest.mark.slow


def over_rabbitmq(broker: Broker, password: str | None = None, **extra: Any) -> dict[str, Any]:
    keys = {
        "server.ip": f"{broker.host}:{broker.port}",
        "server.username": broker.username,
        "server.password": password or broker.password,
        "server.virtual.host": broker.vhost,
    }
    messaging = tuple((f"net.roboconf.messaging.rabbitmq.{k}", v) for k, v in keys.items())
    settings: dict[str, Any] = {"bus": "rabbitmq", "messaging": messaging, "handler": "process"}
    settings.update({"agent_boot_timeout": 20.0, **extra})
    return settings


def test_process_agents_over_rabbitmq_match_the_in_process_bus(
    tmp_path: Path, monkeypatch, rabbit_broker: Broker
) -> None:
    same_as_in_process(tmp_path, monkeypatch, "rabbitmq", over_rabbitmq(rabbit_broker))


def _cli_messaging(broker: Broker) -> tuple[str, ...]:
    out: list[str] = ["--bus", "rabbitmq"]
    for key, value in over_rabbitmq(broker)["messaging"]:
        out += ["--messaging", f"{key}={value}"]
    return tuple(out)


def test_process_agents_over_rabbitmq_outlive_a_killed_manager_and_the_next_deploy_finds_them_busy(
    tmp_path: Path, rabbit_broker: Broker
) -> None:
    agents_outlive_a_killed_manager(tmp_path, ("--handler", "process"), _cli_messaging(rabbit_broker))


def test_a_process_agent_over_rabbitmq_killed_mid_step_resumes_without_repeating_steps(
    tmp_path: Path, monkeypatch, rabbit_broker: Broker
) -> None:
    killed_mid_step_resumes(tmp_path, monkeypatch, over_rabbitmq(rabbit_broker))


def test_a_silent_process_agent_over_rabbitmq_puts_its_machine_in_problem_and_its_subtree_unreachable(
    tmp_path: Path, monkeypatch, rabbit_broker: Broker
) -> None:
    settings = over_rabbitmq(rabbit_broker, missed_heartbeats_threshold=2)
    with harness(tmp_path, GRAPH, INSTANCES, ("svc", "client"), monkeypatch) as h:

        async def go() -> tuple[str, dict[str, bool], str]:
            async with h.session(**settings) as s:
                await s.deploy(h.plan())
                _user_data_is_roboconfs_and_private(h.state, rabbit_broker)
                pid, _ = dict(agent_pids_by_path(h.state))["/vm2"]
                os.kill(pid, signal.SIGSTOP)  # alive, but silent
                try:
                    await _until(lambda: s.manager.items["/vm2"].state.value == "PROBLEM", timeout=10)
                    await s.settle(timeout=10)  # a lost machine is not waited for
                    lost = {r["path"]: r["lost"] for r in read_status(h.state)}
                finally:
                    os.kill(pid, signal.SIGCONT)
                # heard from again: back to DEPLOYED_STARTED
                await _until(lambda: s.manager.items["/vm2"].state.value == "DEPLOYED_STARTED", timeout=10)
                await s.settle(timeout=10)
                return s.manager.items["/vm2"].last_problem or "", lost, s.manager.items["/vm1"].state.value

        try:
            problem, lost, other = run(go(), timeout=60)  # type: ignore[misc]
        finally:
            kill_agents(h.state)
    assert "no heartbeat" in problem
    assert lost["/vm2/c1"] and lost["/vm2/c2"]  # under a machine in PROBLEM
    assert not lost["/vm1"] and not lost["/vm1/svc"] and other == "DEPLOYED_STARTED"


def test_rbcc_agent_with_wrong_broker_credentials_is_refused_logs_it_and_exits(
    tmp_path: Path, rabbit_broker: Broker
) -> None:
    import subprocess

    from rbcc.runtime import user_data as ud
    from rbcc.runtime.targets.process import agent_command

    wrong = "wrong-" + os.urandom(4).hex()
    values = {
        "application.name": "Test",
        "scoped.instance.path": "/vm1",
        "net.roboconf.messaging.type": "rabbitmq",
        **dict(over_rabbitmq(rabbit_broker, password=wrong)["messaging"]),
    }
    ud.write(tmp_path / "user-data.properties", values)
    assert (tmp_path / "user-data.properties").stat().st_mode & 0o777 == 0o600
    done = subprocess.run(agent_command(tmp_path / "user-data.properties"), capture_output=True, text=True, timeout=60)
    assert done.returncode == 2, done.stderr
    assert "refused the user name or password" in done.stderr and "receives nothing" in done.stderr
    assert "Traceback" not in done.stderr and wrong not in done.stderr and " up (pid" not in done.stderr
    assert not (tmp_path / "agents").exists()  # it took nothing: no model, no state


def test_agents_refused_by_the_broker_put_their_machines_in_problem_saying_why(
    tmp_path: Path, monkeypatch, rabbit_broker: Broker
) -> None:
    """The manager is connected; the broker then stops accepting its user's password (changed by the
    broker's administrator): the agents it starts are refused, and their machines say so."""
    user, password = "rbcc-" + os.urandom(3).hex(), os.urandom(8).hex()
    rabbit_broker.ctl("add_user", user, password)
    try:
        rabbit_broker.ctl("set_permissions", "-p", rabbit_broker.vhost, user, ".*", ".*", ".*")
        settings = over_rabbitmq(rabbit_broker)
        settings["messaging"] = tuple(
            (k, user if k.endswith("username") else password if k.endswith("password") else v)
            for k, v in settings["messaging"]
        )
        with harness(tmp_path, GRAPH, INSTANCES, ("svc", "client"), monkeypatch) as h:

            async def go() -> dict[str, Any]:
                async with h.session(**settings) as s:
                    await asyncio.to_thread(rabbit_broker.ctl, "change_password", user, "changed-" + password)
                    summary = await s.deploy(h.plan())
                    return {p: (i.state.value, i.last_problem) for p, i in s.manager.items.items()} | {
                        "_states": summary.states
                    }

            try:
                got = run(go(), timeout=60)
            finally:
                kill_agents(h.state)
            logs = {p.parent.name: p.read_text() for p in (h.state / "machines").glob("*/agent.log")}
            calls = h.calls()
    finally:
        rabbit_broker.ctl("delete_user", user)
    assert assert_refused(got, logs, calls, password)


def assert_refused(got: dict[str, Any], logs: dict[str, str], calls: list[Any], password: str) -> bool:
    for vm in ("/vm1", "/vm2", "/vm3"):
        state, problem = got[vm]
        assert state == "PROBLEM", got
        assert "exited before its first heartbeat" in problem and "refused the user name or password" in problem
    assert set(logs) == {"vm1", "vm2", "vm3"}
    for text in logs.values():
        assert "refused or unreachable, it receives nothing" in text and password not in text
    assert calls == []  # no recipe ran: the refused agents received nothing
    return True


def test_stop_start_and_undeploy_with_process_agents_over_rabbitmq_give_the_in_process_results(
    tmp_path: Path, monkeypatch, rabbit_broker: Broker
) -> None:
    """Stopping a provider cascades to its consumer, starting it again, undeploying: the same states and
    recipes per instance as local agents on the in-process bus, after each step."""
    with harness(tmp_path / "local", LIFECYCLE_GRAPH, LIFECYCLE_INSTANCES, SCRIPTED, monkeypatch) as h:
        expected = scenario(h, in_process, "/vm1/db")
    with harness(tmp_path / "rabbit", LIFECYCLE_GRAPH, LIFECYCLE_INSTANCES, SCRIPTED, monkeypatch) as h:
        try:
            got = scenario(h, rabbit(rabbit_broker), "/vm1/db", handler="process", agent_boot_timeout=20.0)
        finally:
            kill_agents(h.state)
        assert (h.state / "machines").is_dir()  # the machines were `rbcc agent` processes
    assert got == expected
    assert set(got[0][0].values()) == {"DEPLOYED_STARTED"} and set(got[3][0].values()) == {"NOT_DEPLOYED"}


def _user_data_is_roboconfs_and_private(state: Path, broker: Broker) -> None:
    """The manager gives agents its broker in Roboconf's keys, in a file only its owner reads; the
    password is in neither ``status`` nor the agents' logs."""
    import json

    from rbcc.runtime import user_data as ud

    machine = state / "machines" / "vm1"
    values = ud.read(machine / "user-data.properties")
    assert values["net.roboconf.messaging.type"] == "rabbitmq"
    assert values["net.roboconf.messaging.rabbitmq.server.ip"] == f"{broker.host}:{broker.port}"
    assert values["net.roboconf.messaging.rabbitmq.server.username"] == broker.username
    assert values["net.roboconf.messaging.rabbitmq.server.password"] == broker.password
    assert "rbcc.dm.url" not in values
    assert (machine / "user-data.properties").stat().st_mode & 0o777 == 0o600
    assert broker.password not in json.dumps(read_status(state))
    for log in (state / "machines").glob("*/agent.log"):
        assert broker.password not in log.read_text()
