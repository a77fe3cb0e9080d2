"""The Storm flagship's autonomic management (runtime.md §8.2), live, with simulated services.

``examples/storm`` as shipped (rules, commands, the UI's REST probes), its recipes replaced by
``fixtures/storm_simulated`` and its UI port pointed at the simulated UI: a saturated cluster adds a
supervisor machine (three records within a minute), an idle one removes it again, never below the
two initial workers; a supervisor reported dead makes a rule restart the supervisors.
"""

from __future__ import annotations

import json
import os
import signal
from pathlib import Path

import pytest

from rbcc.runtime.states import State
from tests.runtime.apps import Harness, run
from tests.runtime.autonomic_apps import until
from tests.runtime.test_storm import kill_simulated_services, simulated_copy

pytestmark = pytest.mark.slow


def test_storm_scales_out_when_saturated_in_when_idle_and_restarts_dead_workers(tmp_path: Path, monkeypatch) -> None:
    app = simulated_copy(tmp_path / "storm")
    ctl = tmp_path / "ctl"
    ctl.mkdir()
    # the docker probe needs an engine; here a supervisor's death is reported through a file
    (app / "probes" / "storm_worker.measures").write_text(f"[EVENT file worker-dead]\nDelete if exists {ctl}/dead\n")
    log = tmp_path / "calls.log"
    monkeypatch.setenv("RBCC_TEST_LOG", str(log))
    h = Harness(app, tmp_path / "state", log, tmp_path, ctl)
    pids: list[int] = []

    def sim(s, path: str) -> Path:
        agent = s.manager.agents[s.manager.scoped_of(path)]
        return agent.instance_dir(agent.nodes[path]) / "sim"

    def worker_pid(s, path: str) -> int:
        pid = int((sim(s, path) / "pid").read_text())
        pids.append(pid)
        return pid

    async def go() -> None:
        async with h.session(autonomic=True, probe_period=0.05, max_parallel_steps=4) as s:
            assert (await s.deploy(h.plan())).ok
            ui = sim(s, "/vm/ui")
            (ui / "slots.total").write_text("8")
            (ui / "slots.used").write_text("8")  # saturated: no free slot
            (app / "probes" / "storm_ui.measures.properties").write_text(f"ui_port = {(ui / 'ui.port').read_text()}\n")

            await until(lambda: "/vm_worker 3/worker" in s.manager.items, timeout=20)
            await until(lambda: s.manager.items["/vm_worker 3/worker"].state is State.DEPLOYED_STARTED, timeout=20)
            topology = sim(s, "/vm/topology")
            await until(lambda: (topology / "rebalance.log").exists())
            await until(
                lambda: "DEPLOYED_STARTED /vm_worker 3/worker" in (topology / "rebalance.log").read_text().splitlines()
            )
            config = json.loads((sim(s, "/vm_worker 3/worker") / "config.json").read_text())
            assert config["imports"]["storm_nimbus"][0]["name"] == "/vm/nimbus"
            worker_pid(s, "/vm_worker 3/worker")

            (ui / "slots.used").write_text("0")  # idle: the added machine goes
            await until(lambda: "/vm_worker 3" not in s.manager.items, timeout=20)
            await until(
                lambda: (
                    (topology / "rebalance.log").read_text().splitlines()[-1] == "DEPLOYED_STOPPED /vm_worker 3/worker"
                )
            )
            down = s.manager.autonomic.run("scale-down")  # never below the two initial workers
            assert down.result == "ok-with-skipped"
            assert {"/vm_worker 1/worker", "/vm_worker 2/worker"} <= set(s.manager.items)
            (app / "probes" / "storm_ui.measures.properties").write_text("ui_port = 1\n")  # no more scaling

            before = {p: worker_pid(s, p) for p in ("/vm_worker 1/worker", "/vm_worker 2/worker")}
            os.kill(before["/vm_worker 1/worker"], signal.SIGKILL)
            (ctl / "dead").touch()  # what the docker probe would see
            await until(lambda: not (ctl / "dead").exists())
            for path, pid in before.items():
                await until(lambda p=path, old=pid: (sim(s, p) / "pid").exists() and worker_pid(s, p) != old)
            await s.settle()
            assert all(s.manager.items[p].state is State.DEPLOYED_STARTED for p in before)
            rules = [r for (r,) in s.store.db.execute("SELECT rule FROM rule_firings ORDER BY id")]
            assert rules == ["scale-up", "scale-down", "restart-workers"]
            await s.undeploy([])

    try:
        run(go(), timeout=90)
    finally:
        kill_simulated_services(h.state, pids)
