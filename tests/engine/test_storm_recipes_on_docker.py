"""The Storm example's own recipes on docker machines (runtime.md §7.3, "Pattern B" of compile.md).

``rbcc deploy examples/storm --target storm-on-docker``: each ``vm`` instance is an agent container of
the example's agent image (``graph/vm/agent-image/``: rbcc's agent image plus a docker CLI), whose
recipes start the ZooKeeper and Storm containers as its siblings on the same engine (the engine's
socket is bind-mounted into the agent containers), joined to the agent container's network. The
services are the stand-ins of ``examples/storm/standins/`` (``STORM_PROFILE=standin`` in the agents'
environment, the documented switch of the recipes), so no registry is needed.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import docker
import pytest

from rbcc.runtime.targets.docker import DockerTarget
from rbcc.runtime.targets.docker_properties import LABEL_APPLICATION
from tests.engine.harness import Engine
from tests.support import REPO

pytestmark = pytest.mark.engine

APP = "Storm"
TARGET = "storm-on-docker"
EXAMPLE = REPO / "examples" / "storm"
COMPONENTS = ("zookeeper", "storm_nimbus", "storm_worker", "storm_ui", "test_topology")
#: the service containers the recipes start (named after the reversed instance paths)
SERVICES = ["nimbus_vm", "ui_vm", "worker_vm_worker_1", "worker_vm_worker_2", "zookeeper_vm"]
MACHINES = ["vm_from_Storm", "vm_worker_1_from_Storm", "vm_worker_2_from_Storm"]


def rbcc(engine: Engine, *args: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "DOCKER_HOST": f"unix://{engine.socket}"}  # the target file's default engine
    return subprocess.run(
        [sys.executable, "-m", "rbcc.cli", *args], capture_output=True, text=True, timeout=timeout, env=env
    )


@pytest.fixture
def storm(engine: Engine, client: docker.DockerClient, agent_image: str, tmp_path: Path) -> Iterator[Path]:
    """A copy of the example with the switch of its target file turned on and a docker CLI for its
    agent image (as its Dockerfile says), and the stand-in images built."""
    app = tmp_path / "storm"
    shutil.copytree(EXAMPLE, app, ignore=shutil.ignore_patterns(".rbcc"))
    target = app / "graph" / "vm" / "target.properties"
    text = target.read_text()
    assert "# docker.option.env.STORM_PROFILE = standin" in text
    target.write_text(text.replace("# docker.option.env.STORM_PROFILE", "docker.option.env.STORM_PROFILE"))
    shutil.copy2(engine.cli, app / "graph" / "vm" / "agent-image" / "docker")
    for component in COMPONENTS:
        engine.build(app / "standins", f"rbcc-storm-{component}:standin", dockerfile=f"{component}.Dockerfile")
    try:
        yield app
    finally:
        for c in client.containers.list(all=True, filters={"label": f"{LABEL_APPLICATION}={APP}"}):
            c.remove(force=True, v=True)
        for name in SERVICES:
            engine.docker("rm", "-f", name, check=False)
        for name in SERVICES:
            engine.docker("volume", "rm", f"{name}-data", check=False)


def names(client: docker.DockerClient, **filters: str) -> list[str]:
    return sorted(c.name for c in client.containers.list(all=True, filters=filters))


def standin_log(engine: Engine, container: str) -> list[str]:
    return engine.exec(container, "cat", "/var/log/standin/received.log").stdout.splitlines()


def test_storm_recipes_start_standin_services_beside_docker_agents_and_undeploy_leaves_nothing(
    storm: Path, engine: Engine, client: docker.DockerClient, tmp_path: Path
) -> None:
    state = tmp_path / "state"
    gateway = DockerTarget().gateway(client)
    args = ["--state-dir", str(state), "--target", TARGET, "--bus-host", gateway]
    volumes_before = {v.name for v in client.volumes.list()}
    networks_before = {n.name for n in client.networks.list()}

    done = rbcc(engine, "deploy", str(storm), *args)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    status = json.loads(rbcc(engine, "status", str(storm), "--state-dir", str(state), "--json").stdout)
    assert {i["state"] for i in status["instances"]} == {"DEPLOYED_STARTED"} and len(status["instances"]) == 9
    assert names(client, label=f"{LABEL_APPLICATION}={APP}") == MACHINES
    running = {c.name: c for c in client.containers.list()}
    for service in SERVICES:
        assert service in running, f"{service} runs (started by a recipe inside an agent container)"
    assert client.images.get("rbcc-storm-agent:0.1.0").id == running["vm_from_Storm"].image.id

    # each service shares its agent container's network, and the imports cross machines
    vm_ip = running["vm_from_Storm"].attrs["NetworkSettings"]["IPAddress"]
    for service, machine in (("nimbus_vm", "vm_from_Storm"), ("worker_vm_worker_1", "vm_worker_1_from_Storm")):
        mode = running[service].attrs["HostConfig"]["NetworkMode"]
        assert mode == f"container:{running[machine].id}" or running[machine].id.startswith(mode.split(":")[1])
    for worker in ("worker_vm_worker_1", "worker_vm_worker_2"):
        conf = engine.exec(worker, "cat", "/conf/storm.yaml").stdout
        assert f'nimbus.seeds: ["{vm_ip}"]' in conf and f'storm.zookeeper.servers: ["{vm_ip}"]' in conf
        assert f"reached {vm_ip}:6627" in standin_log(engine, worker), "the worker reached nimbus on /vm"
    assert f"reached {vm_ip}:2181" in standin_log(engine, "nimbus_vm")
    assert any("WordCountTopology word-count" in line for line in standin_log(engine, "nimbus_vm")), (
        "the topology was submitted to nimbus"
    )

    gone = rbcc(engine, "undeploy", str(storm), *args)
    assert gone.returncode == 0, gone.stdout[-3000:] + gone.stderr[-3000:]
    status = json.loads(rbcc(engine, "status", str(storm), "--state-dir", str(state), "--json").stdout)
    assert {i["state"] for i in status["instances"]} == {"NOT_DEPLOYED"}
    label = {"label": f"{LABEL_APPLICATION}={APP}"}
    assert names(client, **label) == [] and client.networks.list(filters=label) == []
    assert client.volumes.list(filters=label) == []
    left = set(names(client)) & {*SERVICES, *MACHINES}
    assert left == set(), f"containers left: {left}"
    assert {v.name for v in client.volumes.list()} == volumes_before, "the services' data volumes are removed"
    assert {n.name for n in client.networks.list()} == networks_before
