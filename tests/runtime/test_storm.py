"""Behavioural test 25 of runtime.md §9.1: the Storm flagship with local agents and simulated services.

A copy of ``examples/storm`` whose recipes are replaced by ``fixtures/storm_simulated/sim.py``
(Python processes standing for the daemons: no Java, no Docker, nothing beyond loopback).
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import time
import urllib.request
from pathlib import Path

import pytest

from rbcc.runtime.states import State
from tests.runtime.apps import run, states

pytestmark = pytest.mark.slow

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "storm"
SIM = Path(__file__).resolve().parent / "fixtures" / "storm_simulated" / "sim.py"
COMPONENTS = ("zookeeper", "storm_nimbus", "storm_worker", "storm_ui", "test_topology")
STEP_SCRIPT = '#!/bin/sh\nexec python3 "$(dirname "$0")/sim.py"\n'


def simulated_copy(target: Path) -> Path:
    shutil.copytree(EXAMPLE, target, ignore=shutil.ignore_patterns(".rbcc"))
    for component in COMPONENTS:
        scripts = target / "graph" / component / "scripts"
        shutil.rmtree(scripts)
        scripts.mkdir()
        shutil.copy(SIM, scripts / "sim.py")
        for step in ("deploy", "start", "update", "stop", "undeploy"):
            (scripts / f"{step}.sh").write_text(STEP_SCRIPT)
            (scripts / f"{step}.sh").chmod(0o755)
    return target


def set_workers(app: Path, count: int) -> None:
    workers = app / "instances" / "workers.instances"
    text = workers.read_text()
    import re

    workers.write_text(re.sub(r"count: \d+;", f"count: {count};", text))


def calls(log: Path) -> list[tuple[str, str, str]]:
    return [tuple(line.split("|")) for line in log.read_text().splitlines() if line]  # type: ignore[misc]


def alive(pid: int) -> bool:
    """Running (a zombie nobody reaped yet counts as gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return False
    return fields[0] != "Z"


def kill_simulated_services(state: Path, pids: list[int]) -> None:
    """What a failed test left running: the services it saw and every one a ``sim/pid`` file names."""
    for pid_file in state.rglob("sim/pid"):
        try:
            pids.append(int(pid_file.read_text()))
        except (OSError, ValueError):
            pass
    for pid in pids:
        if alive(pid):
            os.kill(pid, signal.SIGKILL)


def test_storm_deploys_scales_and_undeploys_cleanly(tmp_path: Path, monkeypatch) -> None:
    from tests.runtime.apps import Harness

    app = simulated_copy(tmp_path / "storm")
    log = tmp_path / "calls.log"
    monkeypatch.setenv("RBCC_TEST_LOG", str(log))
    h = Harness(app, tmp_path / "state", log, tmp_path, tmp_path)
    pids: list[int] = []

    async def deploy() -> dict:
        async with h.session() as s:
            summary = await s.deploy(h.plan())
            assert summary.ok, summary.problems
            for agent in s.manager.agents.values():
                for node in agent.nodes.values():
                    pid = agent.instance_dir(node) / "sim" / "pid"
                    if pid.exists():
                        pids.append(int(pid.read_text()))
            return states(s)

    try:
        first = run(deploy(), timeout=60)
        assert set(first.values()) == {"DEPLOYED_STARTED"} and len(first) == 9
        ended = [(p, st) for p, st, phase in calls(log) if phase == "end" and st == "start"]
        order = [p for p, _ in ended]
        assert order.index("/vm/zookeeper") < order.index("/vm/nimbus")
        for later in ("/vm/ui", "/vm_worker 1/worker", "/vm_worker 2/worker", "/vm/topology"):
            assert order.index("/vm/nimbus") < order.index(later)
        begun = [p for p, st, phase in calls(log) if phase == "begin" and st == "start"]
        first_worker = min(order.index("/vm_worker 1/worker"), order.index("/vm_worker 2/worker"))
        assert [p for p, _ in ended[: first_worker + 1]].count("/vm/topology") == 0
        assert "/vm/topology" in begun
        topology = h.state / "agents" / "vm" / "script" / "vm_topology" / "sim"
        config = json.loads((topology / "config.json").read_text())
        assert config["imports"]["storm_nimbus"][0]["name"] == "/vm/nimbus"
        ui = h.state / "agents" / "vm" / "script" / "vm_ui" / "sim"
        port = int((ui / "ui.port").read_text())
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/v1/cluster/summary", timeout=5) as r:
            summary = json.loads(r.read())
        assert summary == {"slotsTotal": 0, "slotsUsed": 0, "slotsFree": 0}  # the UI imports no worker

        # scale up: a third worker machine; the topology's update rebalances
        set_workers(app, 3)
        log.write_text("")
        scaled = run(deploy(), timeout=60)
        assert scaled["/vm_worker 3/worker"] == "DEPLOYED_STARTED"
        rebalance = (topology / "rebalance.log").read_text().splitlines()
        assert rebalance[-1] == "DEPLOYED_STARTED /vm_worker 3/worker"

        # scale down: the third machine goes, the topology rebalances again
        set_workers(app, 2)
        down = run(deploy(), timeout=60)
        assert "/vm_worker 3/worker" not in down and "/vm_worker 3" not in down
        assert (topology / "rebalance.log").read_text().splitlines()[-1] == "DEPLOYED_STOPPED /vm_worker 3/worker"

        async def undeploy() -> dict:
            async with h.session() as s:
                await s.undeploy([])
                return states(s)

        gone = run(undeploy(), timeout=60)
        assert set(gone.values()) == {State.NOT_DEPLOYED.value}
        deadline = time.monotonic() + 5
        while any(alive(p) for p in pids) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert [p for p in pids if alive(p)] == []
        assert list((h.state / "agents").iterdir()) == []
    finally:
        kill_simulated_services(h.state, pids)
