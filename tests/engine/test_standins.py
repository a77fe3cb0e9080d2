"""The Storm example's stand-in images (examples/storm/standins), run by hand with the environment a
compiled file gives them: each logs what it received, reaches its exporters at its first try when
they are up (and says so when they are not), listens on its component's ports and marks itself started.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.engine.harness import Engine
from tests.support import REPO

pytestmark = pytest.mark.engine

STANDINS = REPO / "examples" / "storm" / "standins"
COMPONENTS = ("zookeeper", "storm_nimbus", "storm_worker", "storm_ui", "test_topology")
NETWORK = "rbcc-standins"
LOG = "/var/log/standin/received.log"
HEALTH = ["--health-cmd", "test -f /run/rbcc/started", "--health-interval", "300ms", "--health-retries", "30"]

# What rbcc compile passes (its own exports unprefixed, one <prefix>_<i>_<var> per import).
ZOOKEEPER_IMPORT = {"zookeeper_size": "1", "zookeeper_0_name": "/vm/zookeeper", "zookeeper_0_ip": "zk"}
ZOOKEEPER_IMPORT |= {"zookeeper_0_port": "2181", "zookeeper_0_peerPort": "2888", "zookeeper_0_electionPort": "3888"}
NIMBUS_IMPORT = {"storm_nimbus_size": "1", "storm_nimbus_0_ip": "nimbus", "storm_nimbus_0_port": "6627"}


def image(component: str) -> str:
    return f"rbcc-storm-{component}:standin"


@pytest.fixture(scope="module")
def standins(engine: Engine) -> Iterator[Engine]:
    for component in COMPONENTS:
        engine.build(STANDINS, image(component), dockerfile=f"{component}.Dockerfile")
    engine.docker("network", "create", NETWORK)
    try:
        yield engine
    finally:
        ids = engine.docker("ps", "-aq", "--filter", f"network={NETWORK}").stdout.split()
        if ids:
            engine.docker("rm", "-f", *ids, check=False)
        engine.docker("network", "rm", NETWORK, check=False)


def start(engine: Engine, name: str, component: str, role: str, env: dict[str, str]) -> None:
    flags = [f for key, value in env.items() for f in ("-e", f"{key}={value}")]
    engine.docker("run", "-d", "--name", name, "--network", NETWORK, *HEALTH, *flags, image(component), role)
    engine.wait_for(lambda: health(engine, name) == "healthy", 30, f"{name} to be healthy")


def health(engine: Engine, name: str) -> str:
    return engine.docker("inspect", "-f", "{{.State.Health.Status}}", name, check=False).stdout.strip()


def log(engine: Engine, name: str) -> list[str]:
    return engine.exec(name, "cat", LOG).stdout.splitlines()


def test_each_standin_reaches_its_exporters_and_answers_on_its_ports(standins: Engine):
    engine = standins
    start(engine, "zk", "zookeeper", "zookeeper", {"ip": "zk", "port": "2181"})
    start(engine, "nimbus", "storm_nimbus", "nimbus", {"ip": "nimbus", "port": "6627", **ZOOKEEPER_IMPORT})
    worker_env = {"ip": "worker", "slots": "4", "firstSlotPort": "6700", **ZOOKEEPER_IMPORT, **NIMBUS_IMPORT}
    start(engine, "worker", "storm_worker", "supervisor", worker_env)
    start(engine, "ui", "storm_ui", "ui", {"ip": "ui", "port": "8080", **NIMBUS_IMPORT})
    topology_env = {"topology": "word-count", **NIMBUS_IMPORT, "storm_worker_size": "1", "storm_worker_0_ip": "worker"}
    start(engine, "topology", "test_topology", "topology", topology_env)

    logs = {name: log(engine, name) for name in ("zk", "nimbus", "worker", "ui", "topology")}
    nimbus = logs["nimbus"]
    assert "received zookeeper_0_ip=zk" in nimbus and "received zookeeper_size=1" in nimbus, nimbus
    assert "reached zk:2181" in nimbus and "started" in nimbus, nimbus
    assert "got hello from nimbus" in logs["zk"]
    assert {"reached zk:2181", "reached nimbus:6627", "listening on 6700"} <= set(logs["worker"]), logs["worker"]
    assert "reached nimbus:6627" in logs["ui"] and "reached nimbus:6627" in logs["topology"]
    assert not [line for lines in logs.values() for line in lines if "unreachable" in line], logs
    listeners = (
        ("zk", 2181, "zookeeper"),
        ("nimbus", 6627, "nimbus"),
        ("worker", 6700, "supervisor"),
        ("ui", 8080, "ui"),
    )
    script = "; ".join(f"echo ping | nc -w 3 {host} {port}" for host, port, _ in listeners)
    answers = engine.exec("topology", "sh", "-c", script).stdout.split()
    assert answers == [role for _, _, role in listeners], answers


def test_a_standin_whose_exporter_is_down_says_unreachable(standins: Engine):
    """The start-up order check can fail: an importer started before its exporter logs it."""
    env = {"ip": "lonely", "port": "6627", **ZOOKEEPER_IMPORT, "zookeeper_0_ip": "nozk"}
    start(standins, "lonely", "storm_nimbus", "nimbus", env)
    lines = log(standins, "lonely")
    assert "unreachable nozk:2181" in lines and "reached nozk:2181" not in lines, lines
