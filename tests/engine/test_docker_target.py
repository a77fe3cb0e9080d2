"""The ``docker`` target handler and the agent image on a real engine (runtime.md §7.1, §9 "Targets").

The handler is driven through its contract (create, configure, is-running, terminate) with a small
busybox image built from a Dockerfile (``docker.generate.image.from``), and the agent image is
built offline as ``rbcc agent-image build`` builds it.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import docker
import pytest

from rbcc.dsl.java import read_properties_text
from rbcc.runtime.targets.agent_image import LABEL_SOURCE, image_is_current, source_digest
from rbcc.runtime.targets.base import MachineRequest, TargetError
from rbcc.runtime.targets.docker import DockerMachine, DockerTarget
from rbcc.runtime.targets.docker_properties import LABEL_APPLICATION, LABEL_MACHINE
from tests.engine.harness import Engine

pytestmark = pytest.mark.engine

SLEEPER = 'FROM busybox:local\nCMD ["sleep", "600"]\n'


@pytest.fixture(scope="module")
def broker_port(client: docker.DockerClient) -> Iterator[int]:
    """A port listening on the bridge gateway, where a manager's bus would (nothing is ever sent to it)."""
    gateway = DockerTarget().gateway(client)
    with socket.create_server((gateway, 0)) as server:
        yield server.getsockname()[1]


def request(
    engine: Engine, port: int, tmp_path: Path, app: str = "app", path: str = "/vm 1", **props: str
) -> MachineRequest:
    (tmp_path / "sleeper").mkdir(exist_ok=True)
    (tmp_path / "sleeper" / "Dockerfile").write_text(SLEEPER)
    properties = {
        "handler": "docker",
        "id": "sleepers",
        "docker.endpoint": f"unix://{engine.socket}",
        "docker.image": "rbcc-test-sleeper:1",
        "docker.generate.image.from": "sleeper",
        **props,
    }
    user_data = {
        "application.name": app,
        "scoped.instance.path": path,
        "domain": "default",
        "net.roboconf.messaging.type": "rbcc-websocket",
        "rbcc.token": "secret-token",
        "rbcc.dm.url": f"ws://127.0.0.1:{port}/rbcc/bus",
        "rbcc.app.dir": str(tmp_path),
        "rbcc.state.dir": str(tmp_path / "state"),
        "rbcc.settings.agent_ip": "127.0.0.1",
    }
    return MachineRequest(app, path, properties, user_data, tmp_path / "state", tmp_path)


async def configured(handler: DockerTarget, req: MachineRequest) -> str:
    """A machine created and configured (its container started), as the manager does; its id."""
    machine_id = await handler.create_machine(req)
    await handler.configure_machine(machine_id, req)
    return machine_id


def labelled(client: docker.DockerClient, app: str) -> dict[str, list[object]]:
    """What the engine holds with this application's label: containers (stopped ones too), networks, volumes."""
    label = f"{LABEL_APPLICATION}={app}"
    return {
        "containers": client.containers.list(all=True, filters={"label": label}),
        "networks": client.networks.list(filters={"label": label}),
        "volumes": client.volumes.list(filters={"label": label}),
    }


async def test_a_machine_is_a_container_named_labelled_and_given_its_user_data(
    engine: Engine, client: docker.DockerClient, broker_port: int, tmp_path: Path
):
    handler = DockerTarget()
    req = request(
        engine,
        broker_port,
        tmp_path,
        **{
            "docker.option.run.cap-add": "NET_ADMIN",
            "docker.option.run.memory": "64m",
            "docker.option.run.hostname": "machine-one",
            "docker.option.env.WHO": "<scoped-instance-path>@<application-name>/<scoped-messaging_type>",
        },
    )
    machine_id = await handler.create_machine(req)
    machine = DockerMachine.from_id(machine_id)
    assert machine.container == "vm_1_from_app"
    assert not labelled(client, "app")["containers"], "create_machine only names the machine"
    try:
        await handler.configure_machine(machine_id, req)
        assert await handler.is_machine_running(machine_id)
        info = client.containers.get("vm_1_from_app").attrs
        env = dict(e.split("=", 1) for e in info["Config"]["Env"])
        assert env["AGENT_PARAMETERS"] == "file:/tmp/user-data/parameters.properties"
        assert env["WHO"] == "/vm 1@app/rbcc-websocket" and env["RBCC_VERSION"]
        assert info["Config"]["Labels"][LABEL_MACHINE] == "/vm 1"
        assert info["HostConfig"]["CapAdd"] == ["NET_ADMIN"]
        assert info["HostConfig"]["Memory"] == 64 * 1024 * 1024
        assert info["Config"]["Hostname"] == "machine-one"
        mounts = {m["Destination"]: (m["Type"], m["Source"], m["RW"]) for m in info["Mounts"]}
        state = tmp_path / "state"
        assert mounts == {
            "/tmp/user-data": ("bind", str(state / "docker" / "vm_1_from_app"), False),
            str(tmp_path): ("bind", str(tmp_path), False),
            str(state / "agents" / "vm_1"): ("bind", str(state / "agents" / "vm_1"), True),
            str(state / "logs"): ("bind", str(state / "logs"), True),
        }, "user data at /tmp/user-data; the application, the agent's directory and the logs where the host has them"
        inside = engine.exec("vm_1_from_app", "cat", "/tmp/user-data/parameters.properties").stdout
        seen = read_properties_text(inside)
        gateway = info["NetworkSettings"]["Gateway"]
        assert seen["rbcc.dm.url"] == f"ws://{gateway}:{broker_port}/rbcc/bus", (
            "a loopback manager is unreachable from inside"
        )
        assert seen["rbcc.token"] == "secret-token" and seen["scoped.instance.path"] == "/vm 1"
        assert handler.manager_host(req.properties) == gateway
        assert seen["rbcc.settings.agent_ip"] == info["NetworkSettings"]["IPAddress"], "ip = the container's address"
        assert engine.exec("vm_1_from_app", "cat", "/proc/1/cmdline").stdout.split("\0")[:2] == ["sleep", "600"]
    finally:
        await handler.terminate_machine(machine_id)
    assert not await handler.is_machine_running(machine_id)
    assert labelled(client, "app") == {"containers": [], "networks": [], "volumes": []}
    assert not machine.user_data_dir.exists() and not (tmp_path / "state" / "agents" / "vm_1").exists()
    await handler.terminate_machine(machine_id)  # gone already: fine
    handler.close()


async def test_a_restarted_manager_asks_a_new_handler_about_the_recorded_id_and_may_revive_it(
    engine: Engine, client: docker.DockerClient, broker_port: int, tmp_path: Path
):
    first = DockerTarget()
    req = request(engine, broker_port, tmp_path, app="restarted")
    machine_id = await configured(first, req)
    first.close()
    second = DockerTarget()  # nothing in memory: the id says everything
    try:
        assert await second.is_machine_running(machine_id)
        machine = DockerMachine.from_id(machine_id)
        second.rewrite_url(machine_id, "ws://127.0.0.1:9999/rbcc/bus")  # the next session's broker
        values = read_properties_text((machine.user_data_dir / "parameters.properties").read_bytes())
        gateway = client.containers.get(machine.container).attrs["NetworkSettings"]["Gateway"]
        assert values["rbcc.dm.url"] == f"ws://{gateway}:9999/rbcc/bus"
        client.containers.get(machine.container).kill()
        assert not await second.is_machine_running(machine_id), "a killed container is not running"
        assert await second.revive(machine_id) == machine_id
        assert await second.is_machine_running(machine_id), "revived: the same container started again"
    finally:
        await second.terminate_machine(machine_id)
        second.close()
    assert not labelled(client, "restarted")["containers"]


async def test_a_container_left_by_an_earlier_run_is_replaced_and_a_strangers_is_not(
    engine: Engine, client: docker.DockerClient, broker_port: int, tmp_path: Path
):
    handler = DockerTarget()
    req = request(engine, broker_port, tmp_path, app="again")
    machine_id = await configured(handler, req)
    old = client.containers.get("vm_1_from_again").id
    await handler.configure_machine(machine_id, req)  # a crash after configuring, before recording
    assert client.containers.get("vm_1_from_again").id != old
    assert len(labelled(client, "again")["containers"]) == 1
    await handler.terminate_machine(machine_id)

    client.containers.create("busybox:local", ["sleep", "600"], name="vm_1_from_stranger")
    try:
        strange = request(engine, broker_port, tmp_path, app="stranger")
        with pytest.raises(TargetError, match="already exists .* not this deployment's machine"):
            await handler.configure_machine(await handler.create_machine(strange), strange)
        assert client.containers.get("vm_1_from_stranger").status == "created", "someone else's is left alone"
    finally:
        client.containers.get("vm_1_from_stranger").remove(force=True)
        handler.close()


async def test_images_are_found_by_tag_substring_and_a_missing_one_is_a_clear_error(
    engine: Engine, client: docker.DockerClient, broker_port: int, tmp_path: Path
):
    handler = DockerTarget()
    req = request(engine, broker_port, tmp_path, app="imgs")
    machine_id = await configured(handler, req)  # builds rbcc-test-sleeper:1
    await handler.terminate_machine(machine_id)
    by_substring = request(engine, broker_port, tmp_path, app="imgs", **{"docker.image": "test-sleep"})
    del by_substring.properties["docker.generate.image.from"]
    machine_id = await handler.create_machine(by_substring)
    await handler.configure_machine(machine_id, by_substring)
    image = client.containers.get("vm_1_from_imgs").image
    assert "rbcc-test-sleeper:1" in image.tags
    await handler.terminate_machine(machine_id)

    missing = request(engine, broker_port, tmp_path, app="imgs", **{"docker.image": "no-such-image:9"})
    del missing.properties["docker.generate.image.from"]
    with pytest.raises(TargetError, match="no image matches 'no-such-image:9'.*rbcc agent-image build"):
        await handler.configure_machine(await handler.create_machine(missing), missing)
    broken = request(engine, broker_port, tmp_path, app="imgs", **{"docker.image": "rbcc-test-broken:1"})
    (tmp_path / "broken").mkdir()
    (tmp_path / "broken" / "Dockerfile").write_text("FROM busybox:local\nRUN exit 3\n")
    broken.properties["docker.generate.image.from"] = "broken"
    with pytest.raises(TargetError, match="building rbcc-test-broken:1 from .* failed"):
        await handler.configure_machine(await handler.create_machine(broken), broken)
    assert labelled(client, "imgs") == {"containers": [], "networks": [], "volumes": []}
    handler.close()


async def test_a_manager_listening_on_loopback_only_is_reported_before_any_container_is_made(
    engine: Engine, client: docker.DockerClient, tmp_path: Path
):
    with socket.create_server(("127.0.0.1", 0)) as loopback_only:
        port = loopback_only.getsockname()[1]
        handler = DockerTarget()
        req = request(engine, port, tmp_path, app="unreachable")
        with pytest.raises(TargetError, match="containers cannot reach; .* deploy with --bus-host 172"):
            await handler.configure_machine(await handler.create_machine(req), req)
    assert labelled(client, "unreachable")["containers"] == []
    handler.close()


async def test_version_1_properties_fail_before_the_engine_is_touched(engine: Engine, tmp_path: Path):
    handler = DockerTarget()
    req = request(engine, 1, tmp_path, **{"docker.run.exec": '["/usr/local/roboconf-agent/start.sh"]'})
    with pytest.raises(TargetError, match="docker.run.exec is a Roboconf 0.8 .* key"):
        await handler.create_machine(req)


def test_the_agent_image_holds_rbcc_and_runs_the_agent(engine: Engine, client: docker.DockerClient, agent_image: str):
    info = client.images.get(agent_image).attrs
    assert info["Config"]["Cmd"] == ["rbcc", "agent", "--user-data", "/tmp/user-data/parameters.properties"]
    assert info["Config"]["Labels"][LABEL_SOURCE] == source_digest()
    assert image_is_current(client, agent_image)
    out = engine.docker("run", "--rm", agent_image, "rbcc", "--version").stdout
    assert "0.1.0" in out
    probe = "import docker, rbcc.runtime.targets.docker, json; print(json.dumps(docker.__version__))"
    shown = engine.docker("run", "--rm", agent_image, "/opt/rbcc/bin/python", "-c", probe).stdout
    assert json.loads(shown)


def test_rbcc_agent_image_build_reuses_the_cached_base(engine: Engine, client: docker.DockerClient, agent_image: str):
    env = {**os.environ, "DOCKER_HOST": f"unix://{engine.socket}"}
    done = subprocess.run(
        [sys.executable, "-m", "rbcc.cli", "agent-image", "build"], capture_output=True, text=True, env=env, timeout=300
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith(f"built {agent_image} ({client.images.get(agent_image).id[:19]})")
    assert "debootstrap" not in done.stderr, "the base's root file system comes from the cache"
