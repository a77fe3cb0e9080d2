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
from tests.runtime.test_network import (
    INSTANCES,
    _deploy_then_undeploy_in_two_sessions,
    _until,
    agent_pids,
    agent_pids_by_path,
    kill_agents,
    per_instance,
)

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
    results = {}
    for kind, settings in (("inprocess", {}), ("rabbitmq", over_rabbitmq(rabbit_broker))):
        with harness(tmp_path / kind, GRAPH, INSTANCES, ("svc", "client"), monkeypatch) as h:
            try:
                deployed, undeployed = run(_deploy_then_undeploy_in_two_sessions(h, **settings), timeout=60)
            finally:
                kill_agents(h.state)
            results[kind] = (deployed, undeployed, per_instance(h))
    assert results["rabbitmq"][0] == results["inprocess"][0]
    assert set(results["rabbitmq"][0].values()) == {"DEPLOYED_STARTED"}
    assert results["rabbitmq"][1] == results["inprocess"][1]
    assert set(results["rabbitmq"][1].values()) == {"NOT_DEPLOYED"}
    strip = {k: [c for c in v if not c.startswith("update")] for k, v in results["inprocess"][2].items()}
    got = {k: [c for c in v if not c.startswith("update")] for k, v in results["rabbitmq"][2].items()}
    assert got == strip
