"""The executor's command line: plan (exit 0 / 2, reasons), deploy, status --json, stop, logs, undeploy."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from rbcc.cli import main
from tests.runtime.apps import harness
from tests.runtime.test_machines import GRAPH, ONE_VM

pytestmark = pytest.mark.slow


def test_plan_deploy_status_stop_logs_undeploy(tmp_path: Path, monkeypatch) -> None:
    with harness(tmp_path, GRAPH, ONE_VM, ("db", "tomcat"), monkeypatch) as h:
        cli = CliRunner()
        state = ["--state-dir", str(h.state)]
        planned = cli.invoke(main, ["plan", str(h.app), *state, "--json"])
        assert planned.exit_code == 2, planned.output
        changes = {c["path"]: c for c in json.loads(planned.output)["changes"]}
        assert changes["/vm1/tomcat"]["action"] == "create"
        assert any("imports db.ip, db.port (mandatory) from /vm1/db" in r for r in changes["/vm1/tomcat"]["reasons"])

        deployed = cli.invoke(main, ["deploy", str(h.app), *state])
        assert deployed.exit_code == 0, deployed.output
        assert "3 instances (3 DEPLOYED_STARTED)" in deployed.output
        again = cli.invoke(main, ["plan", str(h.app), *state])
        assert again.exit_code == 0 and again.output.startswith("No changes")

        status = json.loads(cli.invoke(main, ["status", str(h.app), *state, "--json"]).output)
        assert [(i["path"], i["component"], i["state"]) for i in status["instances"]] == [
            ("/vm1", "vm", "DEPLOYED_STARTED"),
            ("/vm1/db", "db", "DEPLOYED_STARTED"),
            ("/vm1/tomcat", "tomcat", "DEPLOYED_STARTED"),
        ]

        stopped = cli.invoke(main, ["stop", str(h.app), "/vm1/db", *state])
        assert stopped.exit_code == 0, stopped.output
        text = cli.invoke(main, ["plan", str(h.app), *state]).output
        assert "start   /vm1/db (start)" in text and "recorded UNRESOLVED" in text

        logs = cli.invoke(main, ["logs", str(h.app), "/vm1/db", "--step", "stop", *state])
        assert "=== stop" in logs.output and "exit 0" in logs.output
        unknown = cli.invoke(main, ["logs", str(h.app), "/nope", *state])
        assert unknown.exit_code == 2 and "no instance '/nope'" in unknown.output

        gone = cli.invoke(main, ["undeploy", str(h.app), *state])
        assert gone.exit_code == 0, gone.output
        status = json.loads(cli.invoke(main, ["status", str(h.app), *state, "--json"]).output)
        assert {i["state"] for i in status["instances"]} == {"NOT_DEPLOYED"}


def test_status_without_a_deployment_is_a_clear_error(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["status", str(tmp_path)])
    assert result.exit_code == 2
    assert "no deployment recorded here" in result.output


def test_a_compiled_plan_deploys_with_its_application_directory(tmp_path: Path, monkeypatch) -> None:
    with harness(tmp_path, GRAPH, ONE_VM, ("db", "tomcat"), monkeypatch) as h:
        cli = CliRunner()
        out = tmp_path / "out"
        compiled = cli.invoke(main, ["compile", str(h.app), "-t", "plan", "-o", str(out)])
        assert compiled.exit_code == 0, compiled.output
        plan = out / "plan" / "plan.json"
        args = ["--state-dir", str(h.state), "--app-dir", str(h.app)]
        deployed = cli.invoke(main, ["deploy", str(plan), *args, "--json"])
        assert deployed.exit_code == 0, deployed.output
        events = [json.loads(line) for line in deployed.output.splitlines() if line.startswith("{")]
        assert events[0]["event"] == "plan" and events[-1]["event"] == "summary" and events[-1]["ok"]
        assert {"state", "step"} <= {e["event"] for e in events}
        assert ("/vm1/tomcat", "start") in h.completed()
        assert cli.invoke(main, ["undeploy", str(plan), *args]).exit_code == 0
