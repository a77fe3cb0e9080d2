"""What the local agent writes to ``agent-state.json``, and when (runtime.md §9 "Durable state")."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from rbcc.runtime.agent_journal import load as load_state
from rbcc.runtime.environment import Received
from rbcc.runtime.model import Node
from rbcc.runtime.plan import load_plan
from rbcc.runtime.states import State
from tests.runtime.apps import harness, run, write_app

GRAPH = """
vm {
  installer: target;
  children: db, app;
}
db {
  installer: script;
  exports: ip, port = 5432;
}
app {
  installer: script;
  imports: db.ip, db.port;
}
"""
INSTANCES = """
instance of vm {
  name: vm1;
  instance of db {
    name: db;
  }
  instance of app {
    name: app1;
  }
  instance of app {
    name: app2;
  }
  instance of app {
    name: app3;
  }
}
"""


def _recorded(state_dir: Path) -> dict[str, dict[str, object]]:
    raw = load_state(state_dir / "agents" / "vm1")
    assert raw is not None
    return {n["spec"]["path"]: n for n in raw["model"]}


@pytest.mark.slow
def test_a_step_is_recorded_as_ended_before_its_end_is_reported(tmp_path: Path, monkeypatch) -> None:
    with harness(tmp_path, GRAPH, INSTANCES, ("db", "app"), monkeypatch) as h:
        seen: list[tuple[str, str, object]] = []

        def on_event(event: dict[str, object]) -> None:
            if event.get("event") == "step" and event.get("phase") == "end":
                node = _recorded(h.state)[str(event["path"])]
                seen.append((str(event["path"]), str(event["step"]), node["running"]))

        async def go() -> None:
            async with h.session(max_parallel_steps=8) as s:
                s.manager.on_event = on_event
                await s.deploy(h.plan())

        run(go())
    assert len(seen) == 8  # deploy and start of four instances
    for path, step, running in seen:
        # the file never shows an ended step as still running (a restart would run it again)
        assert not (isinstance(running, dict) and running.get("step") == step and "done" not in running), (path, step)


def test_a_nodes_snapshot_text_follows_every_change_even_in_place(tmp_path: Path) -> None:
    plan = load_plan(write_app(tmp_path / "app", GRAPH, INSTANCES))
    spec = next(i for i in plan.instances if i.path == "/vm1/app1")
    node = Node(spec, {})

    def same() -> bool:
        return json.loads(node.to_text()) == node.to_json()

    assert same()
    node.state = State.DEPLOYING
    node.stable_from = State.NOT_DEPLOYED
    assert same()
    node.running = {"step": "deploy", "pid": None, "since": 1.0}
    assert same()
    node.running["pid"] = 4242
    assert same()
    node.running = {"step": "deploy", "done": True}
    assert same()
    node.imports.setdefault("db", []).append(Received("/vm1/db", "db", {"db.ip": "127.0.0.1"}))
    assert same()
    node.imports["db"][0] = Received("/vm1/db", "db", {"db.ip": "127.0.0.2"})
    assert same()
    node.imports["db"].append(Received("/vm2/db", "db", {"db.ip": "127.0.0.3"}))
    assert same()
    node.imports["db"].pop(0)
    assert same()
    node.imports.pop("db")
    assert same()
    node.last_problem = {"step": "start", "exit_code": 1, "reason": "exit code 1", "output": "x"}
    node.state, node.problem_from = State.PROBLEM, State.DEPLOYED_STOPPED
    assert same()
    node.last_problem["output"] = "y"
    assert same()
    node.exports = {"app.port": "80"}
    assert same()
    node.exports["app.port"] = "81"
    assert same()
    node.spec = next(i for i in plan.instances if i.path == "/vm1/app2")
    assert same()


def test_a_transition_failing_inside_a_batch_is_rolled_back_alone(tmp_path: Path) -> None:
    from rbcc.runtime.store import Store

    store = Store(tmp_path / "state")
    with store.transaction() as outer:
        outer.set_meta("first", "1")
        with pytest.raises(RuntimeError):
            with store.transaction() as inner:
                inner.set_meta("half", "done")
                raise RuntimeError("a transition that breaks half-way")
        with store.transaction() as inner:
            inner.set_meta("second", "2")
    reopened = Store(tmp_path / "state")
    assert (reopened.meta("first"), reopened.meta("half"), reopened.meta("second")) == ("1", None, "2")
    assert store.transactions == 2  # the schema's and the batch's: one commit for the three
    store.close()
    reopened.close()


def test_an_instance_row_is_replaced_whole(tmp_path: Path) -> None:
    from rbcc.runtime.store import InstanceRecord, Store

    store = Store(tmp_path / "state")
    first = InstanceRecord("/vm/a", 0, "a", False, "NOT_DEPLOYED", None, {"p": []}, {"k": "v"}, "oops", {"m": 1})
    with store.transaction() as tx:
        tx.put_instance(first)
    second = InstanceRecord("/vm/a", 3, "a", False, "DEPLOYED_STARTED", "DEPLOYED_STARTED", {}, {}, None, {"m": 2})
    with store.transaction() as tx:
        tx.put_instance(second)
    assert store.instances() == [second]
    store.close()


@pytest.mark.slow
def test_what_an_agent_recorded_is_its_model_after_every_kind_of_change(tmp_path: Path, monkeypatch) -> None:
    """Snapshot plus journal read back as the agent's live model: states, steps, imports added and
    removed in place (the journal records only the nodes whose version moved)."""
    with harness(tmp_path, GRAPH, INSTANCES, ("db", "app"), monkeypatch) as h:
        checked: list[str] = []

        def same_as_live(s) -> None:  # type: ignore[no-untyped-def]
            agent = s.manager.agents["/vm1"]
            recorded = load_state(h.state / "agents" / "vm1")
            assert recorded is not None
            live = {n.path: n.to_json() for n in agent.nodes.values()}
            assert {n["spec"]["path"]: n for n in recorded["model"]} == live
            checked.append(str(len(live)))

        async def go() -> None:
            async with h.session(max_parallel_steps=8) as s:
                await s.deploy(h.plan())
                same_as_live(s)
                await s.stop(["/vm1/db"])  # the apps lose their import: edited in place
                same_as_live(s)
                await s.start(["/vm1/db"])
                same_as_live(s)

        run(go())
    assert checked == ["5", "5", "5"]


def test_a_shipped_log_is_this_runs_output_and_its_end_when_too_long(tmp_path: Path, monkeypatch) -> None:
    from rbcc.runtime import agent

    log = tmp_path / "start.log"
    log.write_text("=== start earlier run\nold\n")
    before = log.stat().st_size
    with log.open("a") as out:
        out.write("=== start now\n" + "x" * 100 + "\nlast line\n")
    assert agent._read_from(log, before) == "=== start now\n" + "x" * 100 + "\nlast line\n"
    monkeypatch.setattr(agent, "SHIPPED_LOG_BYTES", 20)
    cut = agent._read_from(log, before)
    assert cut.endswith("\n" + "x" * 9 + "\nlast line\n") and "stayed on the agent's host" in cut
    assert agent._read_from(tmp_path / "missing.log", 0) == ""
