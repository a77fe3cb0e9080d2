"""``rbcc deploy`` with ``handler = docker`` machines on a real engine (issue 12, runtime.md §7.1, §9).

Two machines, each a container of the agent image built offline: ``/vm1`` holds a database, ``/vm2``
a web application importing the database's ``ip`` and ``port``.  The agents connect back to the
manager's WebSocket broker through the bridge gateway (where the broker listens without being told),
the recipes run inside the containers (they
print the container's hostname), the import crosses containers (the web application receives the
first container's address), and ``rbcc undeploy`` leaves no container, network or volume behind.
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

pytestmark = pytest.mark.engine

APP = "Crossing"
GRAPH = """vm {
	installer: target;
	children: db, web;
}
db {
	installer: script;
	exports: ip, port = 3306;
}
web {
	installer: script;
	exports: ip;
	imports: db.ip, db.port;
}
"""
INSTANCES = """instance of vm {
	name: vm1;
	instance of db {
		name: db;
	}
}
instance of vm {
	name: vm2;
	instance of web {
		name: web;
	}
}
"""
RECIPE = """#!/bin/sh
echo "step=$ROBOCONF_STEP path=$ROBOCONF_INSTANCE_PATH host=$(hostname) ip=$ip db=${db_0_ip:-}:${db_0_port:-}"
"""


def write_app(root: Path, socket: Path) -> Path:
    (root / "descriptor").mkdir(parents=True)
    (root / "descriptor" / "application.properties").write_text(
        f"application-name = {APP}\napplication-version = 1.0\ndsl-id = roboconf-1.0\n"
        "graph-entry-point = main.graph\ninstance-entry-point = model.instances\n"
    )
    (root / "graph").mkdir()
    (root / "graph" / "main.graph").write_text(GRAPH)
    (root / "instances").mkdir()
    (root / "instances" / "model.instances").write_text(INSTANCES)
    (root / "graph" / "vm").mkdir()
    (root / "graph" / "vm" / "target.properties").write_text(
        f"handler = docker\nid = containers\ndocker.endpoint = unix://{socket}\n"
    )
    for component in ("db", "web"):
        scripts = root / "graph" / component / "scripts"
        scripts.mkdir(parents=True)
        for step in ("deploy", "start", "update", "stop", "undeploy"):
            (scripts / f"{step}.sh").write_text(RECIPE)
            (scripts / f"{step}.sh").chmod(0o755)
    return root


def rbcc(*args: str, timeout: float = 180) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "DOCKER_HOST"}
    return subprocess.run(
        [sys.executable, "-m", "rbcc.cli", *args], capture_output=True, text=True, timeout=timeout, env=env
    )


@pytest.fixture
def deployment(
    engine: Engine,
    client: docker.DockerClient,
    agent_image: str,
    tmp_path: Path,
) -> Iterator[tuple[Path, Path, str]]:
    app = write_app(tmp_path / "app", engine.socket)
    state = tmp_path / "state"
    gateway = DockerTarget().gateway(client)
    try:
        yield app, state, gateway
    finally:
        for c in client.containers.list(all=True, filters={"label": f"{LABEL_APPLICATION}={APP}"}):
            c.remove(force=True, v=True)


def step_log(state: Path, instance: str, step: str) -> str:
    return (state / "logs" / instance / f"{step}.log").read_text()


def test_machines_in_containers_run_recipes_exchange_imports_and_leave_nothing(
    deployment: tuple[Path, Path, str],
    client: docker.DockerClient,
):
    app, state, gateway = deployment
    common = ["--state-dir", str(state)]
    # no --bus-host: the broker also listens on the gateway the containers reach this host at
    done = rbcc("deploy", str(app), *common, "--target", "containers", "--json")
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    status = json.loads(rbcc("status", str(app), *common, "--json").stdout)
    assert {i["path"]: i["state"] for i in status["instances"]} == dict.fromkeys(
        ["/vm1", "/vm1/db", "/vm2", "/vm2/web"], "DEPLOYED_STARTED"
    )

    containers = {c.name: c for c in client.containers.list(filters={"label": f"{LABEL_APPLICATION}={APP}"})}
    assert sorted(containers) == ["vm1_from_Crossing", "vm2_from_Crossing"]
    vm1, vm2 = containers["vm1_from_Crossing"], containers["vm2_from_Crossing"]
    vm1_ip = vm1.attrs["NetworkSettings"]["IPAddress"]
    db_start = step_log(state, "vm1_db", "start")
    assert f"host={vm1.attrs['Config']['Hostname']}" in db_start, "the recipe ran inside the first container"
    assert f"ip={vm1_ip}" in db_start, "ip is the container's address"
    web_start = step_log(state, "vm2_web", "start")
    assert f"host={vm2.attrs['Config']['Hostname']}" in web_start, "the recipe ran inside the second container"
    assert f"db={vm1_ip}:3306" in web_start, "the import crossed containers"
    shown = rbcc("logs", str(app), "/vm2/web", *common, "--step", "start")
    assert shown.returncode == 0 and f"db={vm1_ip}:3306" in shown.stdout, "rbcc logs shows what ran inside"

    # another session, which serves the recorded gateway again: the agents reconnect
    gone = rbcc("undeploy", str(app), *common)
    assert gone.returncode == 0, gone.stdout[-3000:] + gone.stderr[-3000:]
    for instance, container in (("vm1_db", vm1), ("vm2_web", vm2)):
        for step in ("stop", "undeploy"):
            assert f"host={container.attrs['Config']['Hostname']}" in step_log(state, instance, step)
    label = {"label": f"{LABEL_APPLICATION}={APP}"}
    assert client.containers.list(all=True, filters=label) == []
    assert client.networks.list(filters=label) == []
    assert client.volumes.list(filters=label) == []
    assert not (state / "docker").exists() or not any((state / "docker").iterdir()), "user data removed"
    status = json.loads(rbcc("status", str(app), *common, "--json").stdout)
    assert {i["state"] for i in status["instances"]} == {"NOT_DEPLOYED"}
