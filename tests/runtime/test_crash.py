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


def rbcc(*args: str, env: dict[str, str], out: int | None = subprocess.PIPE) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "rbcc.cli", *args],
        env=env,
        stdout=out,
        stderr=subprocess.PIPE if out == subprocess.PIPE else subprocess.DEVNULL,
        text=True,
        start_new_session=True,
    )


def rows(log: Path) -> list[list[str]]:
    if not log.exists():
        return []
    return [line.split("|") for line in log.read_text().splitlines() if line.count("|") == 2]


def ends(log: Path) -> list[tuple[str, str]]:
    # updates are logged with the import that changed: each (exporter, status) once per consumer
    return [(p, s) for p, s, phase in rows(log) if phase == "end"]


def test_a_killed_manager_resumes_without_repeating_completed_steps(tmp_path: Path) -> None:
    app = write_app(tmp_path / "app", GRAPH, instances(5, 9), scripted=("svc", "client"))
    log, ctl = tmp_path / "calls.log", tmp_path / "ctl"
    ctl.mkdir()
    env = dict(os.environ, RBCC_TEST_LOG=str(log), RBCC_TEST_CTL=str(ctl), RBCC_TEST_SLEEP="0.1")
    state = tmp_path / "state"
    args = ("deploy", str(app), "--state-dir", str(state), "--max-parallel", "4", "--json")
    # Four starts that hang hold the four recipe slots: once they all run, every other recipe has
    # ended and been recorded, and the manager is killed with steps in progress and steps to come
    # (killed at a random instant, a recipe could end just before its manager records it: that
    # step was interrupted, not completed, and runs again, as Roboconf's recipes allow).
    blockers = [f"/vm{m}/client5" for m in range(1, 5)]
    for path in blockers:
        (ctl / f"{path.strip('/').replace('/', '_')}.start.sleep").write_text("60")
    first = rbcc(*args, env=env, out=subprocess.DEVNULL)  # nobody reads its events
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and first.poll() is None:
        begun = {p for p, s, phase in rows(log) if s == "start" and phase == "begin"}
        if begun.issuperset(blockers):
            break
        time.sleep(0.02)
    assert first.poll() is None, "the deployment ended before it could be killed"
    time.sleep(0.3)
    os.killpg(first.pid, signal.SIGKILL)
    first.wait()
    done_before = len(ends(log))
    assert 0 < done_before < 100
    for path in blockers:
        (ctl / f"{path.strip('/').replace('/', '_')}.start.sleep").unlink()

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
    listed = json.loads(status.stdout)["instances"]
    assert len(listed) == 55
    assert {r["state"] for r in listed} == {"DEPLOYED_STARTED"}
