"""``rbcc simulate``: rules timing, commands against the instance tree, the Storm sample streams."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from click.testing import CliRunner

from rbcc.cli import main
from rbcc.dsl import load_application
from rbcc.dsl.rules.parser import Rule
from rbcc.runtime.autonomic.rules import RuleEngine
from rbcc.runtime.autonomic.simulate import EventsError, read_events, simulate
from tests.compile_support import make_app
from tests.support import REPO

STORM = REPO / "examples" / "storm"
GOLDEN = REPO / "tests" / "golden" / "simulate"
UPDATE = os.environ.get("RBCC_UPDATE_GOLDEN") == "1"


def fired(engine: RuleEngine, event: str, now: float) -> list[str]:
    return [d.rule for d in engine.on_event(event, now) if d.fired]


def test_a_rule_fires_once_per_record_of_its_event():
    engine = RuleEngine({"r": Rule("r", "cpu")})
    assert fired(engine, "cpu", 0) == ["r"]
    assert fired(engine, "other", 1) == []  # the same record of cpu: already fired
    assert fired(engine, "cpu", 2) == ["r"]


def test_the_sleep_period_spaces_firings_and_the_time_window_drops_old_records():
    engine = RuleEngine({"r": Rule("r", "cpu", sleep_period=60, time_window=10)})
    assert fired(engine, "cpu", 0) == ["r"]
    assert fired(engine, "cpu", 30) == []  # sleeping
    # at 70 the record of 30 is older than the window: it never fires for it
    assert fired(engine, "disk", 70) == []
    assert fired(engine, "cpu", 75) == ["r"]


def test_occurrences_wait_for_enough_records_within_the_window():
    engine = RuleEngine({"r": Rule("r", "cpu", time_window=30, occurrences=3)})
    assert fired(engine, "cpu", 0) == [] and fired(engine, "cpu", 10) == []
    assert fired(engine, "cpu", 50) == []  # the records of 0 and 10 fell out of the window
    assert fired(engine, "cpu", 60) == [] and fired(engine, "cpu", 70) == ["r"]


def test_rules_are_decided_in_name_order_and_only_for_recorded_events():
    engine = RuleEngine({"b": Rule("b", "x"), "a": Rule("a", "x"), "c": Rule("c", "y")})
    decisions = engine.on_event("x", 0)
    assert [d.rule for d in decisions] == ["a", "b", "c"]
    assert [d.fired for d in decisions] == [True, True, False] and "never happened" in decisions[2].reason


@pytest.mark.parametrize("stream", ["saturation", "idle"])
def test_the_storm_sample_streams_simulate_as_documented(stream: str):
    app = load_application(STORM)
    sim = simulate(app, read_events(STORM / "events" / f"{stream}.jsonl"))
    text = CliRunner().invoke(main, ["simulate", str(STORM), str(STORM / "events" / f"{stream}.jsonl")]).output
    golden = GOLDEN / f"{stream}.txt"
    if UPDATE:
        golden.parent.mkdir(parents=True, exist_ok=True)
        golden.write_text(text, encoding="utf-8")
    assert text == golden.read_text(encoding="utf-8"), "RBCC_UPDATE_GOLDEN=1 to accept"
    assert sim.failures == 0


def test_saturation_adds_a_worker_machine_at_most_every_sleep_period():
    sim = simulate(load_application(STORM), read_events(STORM / "events" / "saturation.jsonl"))
    times = [s.event.time for s in sim.steps if s.fired]
    assert times == [40, 160, 280]  # third occurrence, then every 120 s
    paths = [i["path"] for i in sim.final.document()]
    assert {"/vm_worker 3/worker", "/vm_worker 4/worker", "/vm_worker 5/worker"} <= set(paths)
    assert all(i["state"] == "DEPLOYED_STARTED" for i in sim.final.document())


def test_idle_removes_only_machines_added_by_scale_up():
    sim = simulate(load_application(STORM), read_events(STORM / "events" / "idle.jsonl"))
    paths = {i["path"] for i in sim.final.document()}
    assert "/vm_worker 3" not in paths and {"/vm_worker 1", "/vm_worker 2"} <= paths
    later = [r for s in sim.steps for f in s.fired for r in f.runs if r.name == "scale-down"][1:]
    assert later and all(r.result == "ok-with-skipped" and not r.changes for r in later)


def test_json_output_lists_each_firing_with_the_application_after_it():
    result = CliRunner().invoke(main, ["simulate", "--json", str(STORM), str(STORM / "events" / "saturation.jsonl")])
    assert result.exit_code == 0, result.output
    doc = json.loads(result.output)
    assert doc["events"] == 16 and doc["firings"] == 3 and doc["failures"] == 0
    first = next(s for s in doc["steps"] if s["fired"])
    [firing] = first["fired"]
    assert firing["rule"] == "scale-up" and firing["commands"][0]["result"] == "ok"
    assert {"path": "/vm_worker 3/worker", "component": "storm_worker", "state": "DEPLOYED_STARTED"} in firing[
        "instances"
    ]


GRAPH = "vm {\n\tinstaller: target;\n\tchildren: app;\n}\napp {\n\tinstaller: script;\n}\n"
INSTANCES = "instance of vm {\n\tname: vm;\n}\n"


def small_app(tmp_path: Path, commands: str) -> Path:
    return make_app(
        tmp_path / "app",
        GRAPH,
        INSTANCES,
        {
            "graph/vm/target.properties": "id = t\nhandler = in-memory\nname = t\n",
            "graph/app/scripts/": "",
            "commands/grow.commands": commands,
            "rules.autonomic/grow.drl": 'rule "grow"\nwhen\n\tload\nthen\n\tgrow\nend\n',
        },
    )


def test_a_command_that_would_fail_makes_the_exit_status_1(tmp_path: Path):
    root = small_app(tmp_path, "create vm as vm2\ncreate vm as vm3\n")
    events = tmp_path / "e.jsonl"
    events.write_text('{"time": 0, "event": "load"}\n', encoding="utf-8")
    result = CliRunner().invoke(main, ["simulate", "--max-vms", "1", str(root), str(events)])
    assert result.exit_code == 1
    assert "failed: create vm as vm3: the autonomic VM cap (1 machines) is reached" in result.output
    assert "+ /vm2 (vm)" in result.output  # no rollback, as in Roboconf


def test_commands_are_validated_against_the_tree_as_it_is_when_they_run(tmp_path: Path):
    root = small_app(tmp_path, "create app as a under /vm\n")
    events = tmp_path / "e.jsonl"
    events.write_text('{"time": 0, "event": "load"}\n{"time": 1, "event": "load"}\n', encoding="utf-8")
    sim = simulate(load_application(root), read_events(events))
    second = sim.steps[1].fired[0].runs[0]
    assert second.result == "invalid" and "CMD_" in (second.error or "")  # /vm/a exists by then
    assert sim.failures == 1


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("{\n", r"e.jsonl:1:2: not JSON"),
        ('{"time": 0}\n', r'e.jsonl:1:1: each line needs "event"'),
        ('{"time": 5, "event": "a"}\n{"time": 1, "event": "a"}\n', r"e.jsonl:2:1: time goes backwards"),
        ('{"time": "soon", "event": "a"}\n', r"e.jsonl:1:1: \"time\" must be seconds or an ISO 8601"),
        ("\n", "no event"),
    ],
    ids=["json", "no-event", "backwards", "bad-time", "empty"],
)
def test_a_bad_event_stream_names_the_line_and_what_to_write(tmp_path: Path, text: str, message: str):
    events = tmp_path / "e.jsonl"
    events.write_text(text, encoding="utf-8")
    with pytest.raises(EventsError, match=message):
        read_events(events)
    result = CliRunner().invoke(main, ["simulate", str(STORM), str(events)])
    assert result.exit_code == 2 and result.output.startswith("rbcc: ")


def test_iso_timestamps_are_relative_to_the_first_event(tmp_path: Path):
    events = tmp_path / "e.jsonl"
    events.write_text(
        '{"time": "2026-12-03T10:00:00Z", "event": "a"}\n{"time": "2026-12-03T10:01:30+00:00", "event": "a"}\n',
        encoding="utf-8",
    )
    assert [e.time for e in read_events(events)] == [0, 90]


def test_the_documentation_shows_the_output_the_test_checks():
    page = (REPO / "docs" / "autonomic.md").read_text(encoding="utf-8")
    golden = (GOLDEN / "saturation.txt").read_text(encoding="utf-8").splitlines()
    assert "\n".join(golden[:32]) in page and golden[-1] in page
