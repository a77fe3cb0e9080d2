"""The docker target's properties, container names, user data and manager URL (no engine needed)."""

from __future__ import annotations

from pathlib import Path

import pytest

from rbcc.runtime.targets.base import TargetError
from rbcc.runtime.targets.docker import DockerMachine, reachable_url
from rbcc.runtime.targets.docker_properties import DEFAULT_IMAGE, V1_KEYS, DockerProperties, container_name


def read(props: dict[str, str], environ: dict[str, str] | None = None, where: Path | None = None) -> DockerProperties:
    return DockerProperties.read(
        {"handler": "docker", "id": "t", **props}, "app one", "/vm 1", "http", where, environ or {}
    )


def test_the_name_is_the_scoped_path_from_the_application_cleaned_as_roboconf_does():
    assert container_name("/vm1", "app") == "vm1_from_app"
    assert container_name("/vm1/sub vm", "my  app") == "vm1-sub_vm_from_my_app"
    assert container_name("/" + "a" * 80, "app") == "a" * 61
    assert container_name("/vm", "café") == "vm_from_caf_"  # Docker refuses é in names


def test_defaults_are_the_local_engine_and_rbccs_agent_image():
    props = read({})
    assert props.endpoint == "unix:///var/run/docker.sock"
    assert props.image == DEFAULT_IMAGE
    assert read({}, environ={"DOCKER_HOST": "unix:///tmp/x.sock"}).endpoint == "unix:///tmp/x.sock"
    assert read({"docker.endpoint": "tcp://10.0.0.1:2375"}, {"DOCKER_HOST": "unix:///a"}).endpoint == (
        "tcp://10.0.0.1:2375"
    )


def test_a_dockerfile_directory_is_relative_to_the_properties_file(tmp_path: Path):
    props = read({"docker.generate.image.from": "images/agent"}, where=tmp_path)
    assert props.dockerfile_dir == tmp_path / "images" / "agent"


def test_the_engine_socket_mount_names_a_container_path_of_a_unix_endpoint():
    props = read({"docker.engine.mount": "/var/run/docker.sock"}, environ={"DOCKER_HOST": "unix:///tmp/e.sock"})
    assert props.engine_mount == "/var/run/docker.sock" and props.endpoint == "unix:///tmp/e.sock"
    assert read({}).engine_mount is None
    with pytest.raises(TargetError, match="unix:// endpoint"):
        read({"docker.engine.mount": "/var/run/docker.sock", "docker.endpoint": "tcp://10.0.0.1:2375"})
    with pytest.raises(TargetError, match="absolute path"):
        read({"docker.engine.mount": "docker.sock"})


@pytest.mark.parametrize("key", sorted(V1_KEYS))
def test_version_1_keys_are_refused_with_what_to_use_instead(key: str):
    with pytest.raises(TargetError) as err:
        read({key: "x"})
    assert "Roboconf 0.8" in str(err.value) and key in str(err.value)
    assert V1_KEYS[key] in str(err.value)


def test_run_options_are_dash_insensitive_and_typed():
    props = read(
        {
            "docker.option.run.cap-add": "net_admin, CAP_SYS_PTRACE",
            "docker.option.run.memory": "256m",
            "docker.option.run.cpushares": "512",
            "docker.option.run.privileged": "false",
            "docker.option.run.Host-Name": "box",
            "docker.option.run.dns-search": "a.example,b.example",
        }
    )
    assert props.run_options == {
        "cap_add": ["NET_ADMIN", "SYS_PTRACE"],
        "mem_limit": "256m",
        "cpu_shares": 512,
        "privileged": False,
        "hostname": "box",
        "dns_search": ["a.example", "b.example"],
    }


@pytest.mark.parametrize(
    ("key", "value", "says"),
    [
        ("docker.option.run.cpu-shares", "lots", "an integer is expected"),
        ("docker.option.run.tty", "maybe", "a boolean is expected"),
        ("docker.option.run.cap-add", "FLY", "not a Linux capability"),
        ("docker.option.run.memory", "12 parsecs", "a size is expected"),
        ("docker.option.run.port-bindings", "80:80", "not a container option rbcc can set"),
        ("docker.option.run.env", "A=1", "docker.option.env.<VAR>"),
        ("docker.option.run.name", "x", "rbcc sets this option itself"),
        ("docker.imge", "x", "unknown docker target property"),
        ("docker.option.env.1BAD", "x", "not an environment variable name"),
        ("docker.option.env.X", "<application_name>", "unknown placeholder"),
        ("docker.endpoint", "localhost:4243", "expected unix:///path/docker.sock or tcp://host:port"),
    ],
)
def test_wrong_properties_say_what_is_wrong(key: str, value: str, says: str):
    with pytest.raises(TargetError, match=None) as err:
        read({key: value})
    assert says in str(err.value)


def test_environment_placeholders_are_replaced():
    props = read({"docker.option.env.WHO": "<scoped-instance-path> of <application-name> via <scoped-messaging_type>"})
    assert props.environment == {"WHO": "/vm 1 of app one via http"}


def test_a_loopback_manager_url_is_rewritten_to_the_gateway():
    assert reachable_url("ws://127.0.0.1:8181/rbcc/bus?x=1", "172.17.0.1") == "ws://172.17.0.1:8181/rbcc/bus?x=1"
    assert reachable_url("wss://localhost/rbcc/bus", "172.17.0.1") == "wss://172.17.0.1/rbcc/bus"
    assert reachable_url("ws://[::1]:9/b", "fd00::1") == "ws://[fd00::1]:9/b"
    assert reachable_url("ws://dm.example:8181/rbcc/bus", "172.17.0.1") == "ws://dm.example:8181/rbcc/bus"


def test_machine_ids_name_the_container_the_engine_and_the_user_data():
    machine = DockerMachine("vm1_from_app", "unix:///s.sock", Path("/st/docker/vm1_from_app"))
    assert DockerMachine.from_id(machine.to_id()) == machine
    with pytest.raises(TargetError):
        DockerMachine.from_id("local:/vm1")


def test_a_broker_on_loopback_is_reached_at_the_gateway_by_an_agent_over_rabbitmq(monkeypatch):
    from rbcc.runtime.targets.docker import DockerTarget

    target = DockerTarget()
    monkeypatch.setattr(target, "gateway", lambda client, network="bridge": "172.17.0.1")
    props = DockerProperties.read({"handler": "docker", "id": "t"}, "app", "/vm1", "rabbitmq", None, {})
    key = "net.roboconf.messaging.rabbitmq.server.ip"
    data = {"net.roboconf.messaging.type": "rabbitmq", key: "127.0.0.1:5672", "x": "y"}
    assert target.agent_user_data(None, props, data)[key] == "172.17.0.1:5672"  # type: ignore[arg-type]
    assert target.agent_user_data(None, props, {**data, key: "localhost"})[key] == "172.17.0.1"  # type: ignore[arg-type]
    elsewhere = {**data, key: "broker.example:5671"}
    assert target.agent_user_data(None, props, elsewhere) == elsewhere  # type: ignore[arg-type]
