"""End to end on a real engine: the Storm example, compiled with the stand-in images, brought up with
``docker compose up --wait`` and as a single-node Swarm stack; from inside the containers, start-up
order held and every import arrived with its value; then everything is torn down.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import yaml

from tests.compile_support import run_rbcc
from tests.engine.harness import Engine
from tests.support import REPO

pytestmark = pytest.mark.engine

STORM = REPO / "examples" / "storm"
LOG = "/var/log/standin/received.log"


@pytest.fixture(scope="module")
def compiled(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("storm")
    proc = run_rbcc(
        "compile",
        str(STORM),
        "-t",
        "compose,swarm",
        "--profile",
        "standin",
        "--swarm-endpoint-mode",
        "dnsrr",
        "--swarm-port-mode",
        "host",
        "-o",
        str(out),
    )
    assert proc.returncode == 0, proc.stderr
    return out


def expectations(compose_file: Path) -> dict[str, dict[str, str]]:
    """Service → the Roboconf import variables its environment must carry (from the compiled file)."""
    services = yaml.safe_load(compose_file.read_text())["services"]
    wanted = {}
    for name, svc in services.items():
        env = {k: v.replace("$$", "$") for k, v in svc["environment"].items()}
        wanted[name] = {k: v for k, v in env.items() if re.match(r"^.+_(size|\d+_\w+)$", k)}
    return wanted


def check_logs(logs: dict[str, str], wanted: dict[str, dict[str, str]]) -> None:
    for service, variables in wanted.items():
        log = logs[service]
        assert "started" in log.splitlines(), f"{service} never started:\n{log}"
        for key, value in variables.items():
            assert f"received {key}={value}" in log, f"{service} did not receive {key}={value}:\n{log}"
        # exporters whose port the importer received (an import of `P.ip` alone carries no port)
        ports = ("port", "clientPort", "firstSlotPort")
        exporters = {
            v for k, v in variables.items() if k.endswith("_ip") and any(f"{k[:-3]}_{p}" in variables for p in ports)
        }
        reached = {line.split()[1].split(":")[0] for line in log.splitlines() if line.startswith("reached ")}
        assert "unreachable" not in log, f"{service} started before one of its exporters was up:\n{log}"
        assert exporters <= reached, f"{service} reached {sorted(reached)}, expected {sorted(exporters)}"


def test_compose_brings_storm_up_in_order_with_every_import(engine: Engine, compiled: Path):
    file = compiled / "compose" / "compose.yaml"
    wanted = expectations(file)
    engine.compose(file, "storm", "build", timeout=600)
    try:
        engine.compose(file, "storm", "up", "-d", "--wait", "--wait-timeout", "180", timeout=400)
        logs = {s: engine.compose(file, "storm", "exec", "-T", s, "cat", LOG).stdout for s in wanted}
        check_logs(logs, wanted)
        started = {}
        for s in wanted:
            cid = engine.compose(file, "storm", "ps", "-q", s).stdout.strip()
            started[s] = json.loads(engine.docker("inspect", cid).stdout)[0]["State"]["StartedAt"]
        services = yaml.safe_load(file.read_text())["services"]
        for s, svc in services.items():
            for dep in svc.get("depends_on", {}):
                assert started[dep] < started[s], f"{s} started at {started[s]}, before {dep} ({started[dep]})"
        # a published port answers on loopback
        ui = services["ui-vm"]
        assert ui.get("ports"), "the UI publishes its port"
    finally:
        engine.compose(file, "storm", "down", "-v", "-t", "1", check=False)
    assert engine.docker("ps", "-aq").stdout.strip() == ""


def test_swarm_stack_brings_storm_up_with_the_wait_gates(engine: Engine, compiled: Path):
    stack = compiled / "swarm" / "stack.yaml"
    wanted = expectations(compiled / "compose" / "compose.yaml")
    engine.compose(compiled / "compose" / "compose.yaml", "storm", "build", timeout=600)  # stacks do not build
    with engine.swarm():
        engine.docker("stack", "deploy", "--resolve-image", "never", "-c", str(stack), "st")
        try:

            def all_running() -> bool:
                out = engine.docker("service", "ls", "--format", "{{.Name}} {{.Replicas}}").stdout.split("\n")
                states = [line.split()[1] for line in out if line.strip()]
                return len(states) == len(wanted) and all(r == "1/1" for r in states)

            engine.wait_for(all_running, 180, "every stack service to run")

            def container(service: str) -> str:
                return engine.docker(
                    "ps", "-q", "--filter", f"label=com.docker.swarm.service.name=st_{service}"
                ).stdout.split()[0]

            def logs() -> dict[str, str]:
                return {s: engine.docker("exec", container(s), "cat", LOG, check=False).stdout for s in wanted}

            engine.wait_for(
                lambda: all("started" in v.splitlines() for v in logs().values()), 120, "every stand-in to start"
            )
            check_logs(logs(), wanted)
        finally:
            engine.docker("stack", "rm", "st", check=False)
            engine.wait_for(lambda: engine.docker("ps", "-aq").stdout.strip() == "", 60, "the stack's containers to go")
