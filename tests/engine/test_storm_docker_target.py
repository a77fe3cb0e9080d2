"""The Storm flagship (runtime.md §8.2, §9.1 test 25) with ``handler = docker`` machines and simulated services.

The same copy of ``examples/storm`` as tests/runtime/test_storm.py (recipes replaced by the Python
processes of ``fixtures/storm_simulated/sim.py``), deployed with a target file choosing the docker
handler: ``/vm``, ``/vm_worker 1`` and ``/vm_worker 2`` are containers of the agent image, the
services run inside them, workers in their own containers import nimbus from ``/vm``'s, a third
worker machine comes and goes with the instance count, and undeploy leaves no container behind.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import docker
import pytest

from rbcc.runtime.targets.docker import DockerTarget
from rbcc.runtime.targets.docker_properties import LABEL_APPLICATION
from tests.engine.harness import Engine
from tests.runtime.test_storm import calls, set_workers, simulated_copy

pytestmark = pytest.mark.engine

APP = "Storm"
TARGET = "rbcc-docker"


def rbcc(*args: str, timeout: float = 240) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "DOCKER_HOST"}
    return subprocess.run(
        [sys.executable, "-m", "rbcc.cli", *args], capture_output=True, text=True, timeout=timeout, env=env
    )


@pytest.fixture
def storm(engine: Engine, client: docker.DockerClient, agent_image: str, tmp_path: Path) -> Iterator[Path]:
    app = simulated_copy(tmp_path / "storm")
    state = tmp_path / "state"
    # every container appends to one call log: the recipe logs directory is shared with the host
    log = state / "logs" / "calls.log"
    (app / "graph" / "vm" / f"{TARGET}.target.properties").write_text(
        f"handler = docker\nid = {TARGET}\ndocker.endpoint = unix://{engine.socket}\n"
        f"docker.option.env.RBCC_TEST_LOG = {log}\n"
    )
    try:
        yield app
    finally:
        for c in client.containers.list(all=True, filters={"label": f"{LABEL_APPLICATION}={APP}"}):
            c.remove(force=True, v=True)


def containers(client: docker.DockerClient) -> list[str]:
    return sorted(c.name for c in client.containers.list(all=True, filters={"label": f"{LABEL_APPLICATION}={APP}"}))


def test_storm_on_docker_machines_deploys_scales_and_undeploys_cleanly(
    storm: Path, client: docker.DockerClient, tmp_path: Path
) -> None:
    state = tmp_path / "state"
    gateway = DockerTarget().gateway(client)
    args = ["--state-dir", str(state), "--target", TARGET, "--bus-host", gateway]

    done = rbcc("deploy", str(storm), *args)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    status = json.loads(rbcc("status", str(storm), "--state-dir", str(state), "--json").stdout)
    assert {i["state"] for i in status["instances"]} == {"DEPLOYED_STARTED"} and len(status["instances"]) == 9
    assert containers(client) == ["vm_from_Storm", "vm_worker_1_from_Storm", "vm_worker_2_from_Storm"]

    log = state / "logs" / "calls.log"
    ended = [p for p, step, phase in calls(log) if phase == "end" and step == "start"]
    assert ended.index("/vm/zookeeper") < ended.index("/vm/nimbus")
    for later in ("/vm/ui", "/vm_worker 1/worker", "/vm_worker 2/worker", "/vm/topology"):
        assert ended.index("/vm/nimbus") < ended.index(later), "workers in other containers wait for nimbus"
    worker = state / "agents" / "vm_worker_1" / "script" / "vm_worker_1_worker" / "sim" / "config.json"
    nimbus = json.loads(worker.read_text())["imports"]["storm_nimbus"][0]
    vm_ip = client.containers.get("vm_from_Storm").attrs["NetworkSettings"]["IPAddress"]
    assert nimbus["name"] == "/vm/nimbus" and vm_ip in json.dumps(nimbus), "nimbus's ip is its container's"

    set_workers(storm, 3)
    scaled = rbcc("deploy", str(storm), *args)
    assert scaled.returncode == 0, scaled.stdout[-3000:] + scaled.stderr[-3000:]
    assert "vm_worker_3_from_Storm" in containers(client)
    topology = state / "agents" / "vm" / "script" / "vm_topology" / "sim"
    assert (topology / "rebalance.log").read_text().splitlines()[-1] == "DEPLOYED_STARTED /vm_worker 3/worker"

    set_workers(storm, 2)
    down = rbcc("deploy", str(storm), *args)
    assert down.returncode == 0, down.stdout[-3000:] + down.stderr[-3000:]
    assert containers(client) == ["vm_from_Storm", "vm_worker_1_from_Storm", "vm_worker_2_from_Storm"]
    assert (topology / "rebalance.log").read_text().splitlines()[-1] == "DEPLOYED_STOPPED /vm_worker 3/worker"

    gone = rbcc("undeploy", str(storm), *args)
    assert gone.returncode == 0, gone.stdout[-3000:] + gone.stderr[-3000:]
    assert containers(client) == []
    label = {"label": f"{LABEL_APPLICATION}={APP}"}
    assert client.networks.list(filters=label) == [] and client.volumes.list(filters=label) == []
    status = json.loads(rbcc("status", str(storm), "--state-dir", str(state), "--json").stdout)
    assert {i["state"] for i in status["instances"]} == {"NOT_DEPLOYED"}
