"""``rbcc deploy --watch`` (a manager that keeps running until SIGTERM), ``rbcc events``, ``rbcc run-commands``."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from rbcc.cli import main
from tests.runtime.autonomic_apps import SCALE_UP, autonomic_app, rule

pytestmark = pytest.mark.slow


def test_watch_runs_rules_until_sigterm_then_events_and_run_commands_report(tmp_path: Path, monkeypatch) -> None:
    probes = {"lb.measures": "[EVENT file load-high]\nDelete if exists {{ ctl }}/high\n"}
    rules = {"up.drl": rule("up", "load-high", "scale-up", "sleep period is 60s")}
    with autonomic_app(
        tmp_path, monkeypatch, rules=rules, commands={"scale-up.commands": SCALE_UP}, probes=probes
    ) as h:
        state = ["--state-dir", str(h.state)]
        command = [sys.executable, "-m", "rbcc.cli", "deploy", str(h.app), *state, "--watch", "--json"]
        proc = subprocess.Popen(
            [*command, "--probe-period", "0.05"],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=dict(os.environ),
        )
        events: list[dict] = []
        try:
            assert proc.stdout is not None
            touched = False
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline:
                line = proc.stdout.readline()
                if not line:
                    break
                events.append(json.loads(line))
                if events[-1]["event"] == "summary" and not touched:
                    assert events[-1]["ok"], events[-1]
                    other = CliRunner().invoke(
                        main, ["run-commands", str(h.app), str(h.app / "commands" / "scale-up.commands"), *state]
                    )
                    assert other.exit_code == 2 and f"pid {proc.pid}" in other.output
                    other = CliRunner().invoke(main, ["deploy", str(h.app), *state, "--watch"])
                    assert other.exit_code == 2 and "already watches this deployment" in other.output
                    (h.ctl / "high").touch()
                    touched = True
                if events[-1] == {**events[-1], "event": "state", "path": "/vm 2/app", "state": "DEPLOYED_STARTED"}:
                    break
            proc.send_signal(signal.SIGTERM)
            assert proc.wait(timeout=30) == 0, proc.stderr.read() if proc.stderr else ""
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
        kinds = [e["event"] for e in events]
        assert "rule" in kinds and "commands" in kinds
        assert events[-1]["path"] == "/vm 2/app"

        cli = CliRunner()
        status = json.loads(cli.invoke(main, ["status", str(h.app), *state, "--json"]).output)
        assert {i["path"]: i["state"] for i in status["instances"]}["/vm 2/app"] == "DEPLOYED_STARTED"
        audit = [json.loads(x) for x in cli.invoke(main, ["events", str(h.app), *state, "--json"]).output.splitlines()]
        assert [e["kind"] for e in audit] == ["event", "firing", "command"]
        assert audit[1]["rule"] == "up" and audit[2]["result"] == "ok" and audit[2]["origin"] == "autonomic"
        table = cli.invoke(main, ["events", str(h.app), *state]).output
        assert "load-high" in table and "ok (autonomic" in table

        bad = tmp_path / "bad.commands"
        bad.write_text("stop all /vm 2\ncreate vm as vm 2\n")
        refused = cli.invoke(main, ["run-commands", str(h.app), str(bad), *state])
        assert refused.exit_code == 1
        assert f"{bad}:2:14: CMD_CONFLICTING_INSTANCE_NAME" in refused.output
        failing = tmp_path / "failing.commands"
        (h.ctl / "a-file").write_text("")
        failing.write_text(f"stop all /vm 2\nwrite x into {h.ctl}/a-file/x\n")
        failed = cli.invoke(main, ["run-commands", str(h.app), str(failing), *state])
        assert failed.exit_code == 1 and f"{failing}:2:1: failed" in failed.output
        ok = tmp_path / "ok.commands"
        ok.write_text("deploy and start all /vm 2\n")
        done = cli.invoke(main, ["run-commands", str(h.app), str(ok), *state])
        assert done.exit_code == 0, done.output
        audit = [json.loads(x) for x in cli.invoke(main, ["events", str(h.app), *state, "--json"]).output.splitlines()]
        assert [(e["command"], e["origin"], e["result"]) for e in audit if e["kind"] == "command"][1:] == [
            ("bad", "manual", "invalid"),
            ("failing", "manual", "failed"),
            ("ok", "manual", "ok"),
        ]


def test_events_last_keeps_the_most_recent_entries_in_time_order(tmp_path: Path, monkeypatch) -> None:
    rules = {"r.drl": rule("r", "e", "note")}
    with autonomic_app(tmp_path, monkeypatch, rules=rules, commands={"note.commands": "define x = $(UUID)\n"}) as h:
        from rbcc.runtime.bus import dm_context
        from tests.runtime.apps import run

        async def go() -> None:
            async with h.session() as s:
                s.manager.apply_plan(h.plan())
                s.enable_autonomic()
                for _ in range(5):
                    await s.bus.publish(
                        dm_context("Test"), {"type": "Autonomic", "application": "Test", "event_name": "e"}
                    )
                    await s.settle()

        run(go())
        state = ["--state-dir", str(h.state)]
        every = [
            json.loads(x)
            for x in CliRunner().invoke(main, ["events", str(h.app), *state, "--json"]).output.splitlines()
        ]
        last = [
            json.loads(x)
            for x in CliRunner()
            .invoke(main, ["events", str(h.app), *state, "--json", "--last", "4"])
            .output.splitlines()
        ]
        assert len(every) == 15 and [e["kind"] for e in every[:3]] == ["event", "firing", "command"]
        assert last == every[-4:]
