"""Behavioural test 19 of runtime.md §9.1: SIGKILL the manager mid-way through a 50-instance
deployment, restart it: it converges, no completed step runs twice (recipe logs), no state is lost."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest

from tests.runtime.apps import write_app

pytestmark = pytest.mark.slow

GRAPH = """
vm {
  installer: target;
  children: svc, client;
}
svc {
  installer: script;
  exports: ip, port = 9000;
}
client {
  installer: script;
  imports: svc.ip, svc.port;
}
"""


def instances(machines: int, clients: int) -> str:
    """``machines`` machines, each with one service and ``clients`` clients of every service."""
    out = []
    for m in range(1, machines + 1):
        out.append(f"instance of vm {{\n  name: vm{m};\n  instance of svc {{\n    name: svc;\n  }}")
        for i in range(1, clients + 1):
            out.append(f"  instance of client {{\n    name: client{i};\n  }}")
        out.append("}")
    return "\n".join(out) + "\n"


PATHS = [f"/vm{m}/svc" for m in range(1, 6)] + [f"/vm{m}/client{i}" for m in range(1, 6) for i in range(1, 10)]


def rbcc(*args: str, env: dict[str, str]) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "rbcc.cli", *args],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )


def ends(log: Path) -> list[tuple[str, str]]:
    if not log.exists():
        return []
    rows = [line.split("|") for line in log.read_text().splitlines() if line]
    # updates are logged with the import that changed: each (exporter, status) once per consumer
    return [(p, s) for p, s, phase in rows if phase == "end"]


def test_a_killed_manager_resumes_without_repeating_completed_steps(tmp_path: Path) -> None:
    app = write_app(tmp_path / "app", GRAPH, instances(5, 9), scripted=("svc", "client"))
    log, ctl = tmp_path / "calls.log", tmp_path / "ctl"
    ctl.mkdir()
    env = dict(os.environ, RBCC_TEST_LOG=str(log), RBCC_TEST_CTL=str(ctl), RBCC_TEST_SLEEP="0.1")
    state = tmp_path / "state"
    args = ("deploy", str(app), "--state-dir", str(state), "--max-parallel", "4", "--json")
    first = rbcc(*args, env=env)
    deadline = time.monotonic() + 60
    while len(ends(log)) < 60 and time.monotonic() < deadline and first.poll() is None:
        time.sleep(0.02)
    assert first.poll() is None, "the deployment ended before it could be killed"
    os.killpg(first.pid, signal.SIGKILL)
    first.wait()
    done_before = len(ends(log))
    assert 0 < done_before < 100

    second = rbcc(*args, env=env)
    out, err = second.communicate(timeout=120)
    assert second.returncode == 0, err
    summary = json.loads(out.strip().splitlines()[-1])
    assert summary["event"] == "summary" and summary["ok"]

    completed = Counter(ends(log))
    twice = [k for k, n in completed.items() if n > 1]
    assert twice == []
    for path in PATHS:
        assert completed[(path, "deploy")] == completed[(path, "start")] == 1

    status = subprocess.run(
        [sys.executable, "-m", "rbcc.cli", "status", str(app), "--state-dir", str(state), "--json"],
        capture_output=True,
        text=True,
        check=True,
    )
    rows = json.loads(status.stdout)["instances"]
    assert len(rows) == 55
    assert {r["state"] for r in rows} == {"DEPLOYED_STARTED"}
