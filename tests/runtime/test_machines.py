"""Behavioural tests 15–18 of runtime.md §9.1: machines (scoped instances), heartbeats, random ports."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from rbcc.runtime.agent import Agent
from rbcc.runtime.bus import importers_context
from rbcc.runtime.states import State
from tests.runtime.apps import harness, run, states

pytestmark = pytest.mark.slow

STARTED = State.DEPLOYED_STARTED

PORTS_GRAPH = """
vm {
  installer: target;
  children: svc;
}
svc {
  installer: script;
  exports: ip, random[port] http, random[port] admin;
}
"""
PORTS_INSTANCES = """
instance of vm {
  name: vm1;
  instance of svc {
    name: a;
  }
}
instance of vm {
  name: vm2;
  instance of svc {
    name: b;
  }
}
"""


def test_ip_is_the_agent_address_and_random_ports_are_per_agent_and_stable(tmp_path: Path, monkeypatch) -> None:
    with harness(tmp_path, PORTS_GRAPH, PORTS_INSTANCES, ("svc",), monkeypatch) as h:

        async def first() -> dict:
            async with h.session() as s:
                await s.deploy(h.plan())
                return {p: dict(s.manager.items[p].exports) for p in ("/vm1/a", "/vm2/b")}

        exports = run(first())
        assert (exports["/vm1/a"]["svc.admin"], exports["/vm1/a"]["svc.http"]) == ("10000", "10001")
        assert exports["/vm2/b"]["svc.admin"] == "10000"
        env = h.env("/vm1/a", "start")
        assert (env["ip"], env["admin"], env["http"]) == ("127.0.0.1", "10000", "10001")
        # a restart with other forbidden ports keeps what was allocated; a new instance skips them
        instances = h.app / "instances" / "model.instances"
        instances.write_text(
            instances.read_text().replace("name: a;\n  }", "name: a;\n  }\n  instance of svc {\n    name: c;\n  }")
        )

        async def second() -> dict:
            async with h.session(forbidden_ports=(10002, 10003)) as s:
                await s.deploy(h.plan())
                return {p: dict(s.manager.items[p].exports) for p in ("/vm1/a", "/vm1/c")}

        again = run(second())
        assert (again["/vm1/a"]["svc.admin"], again["/vm1/a"]["svc.http"]) == ("10000", "10001")
        assert (again["/vm1/c"]["svc.admin"], again["/vm1/c"]["svc.http"]) == ("10004", "10005")


GRAPH = """
vm {
  installer: target;
  children: db, tomcat;
}
db {
  installer: script;
  exports: ip, port = 3306;
}
tomcat {
  installer: script;
  exports: ip, port = 8080;
  imports: db.ip, db.port;
}
"""
ONE_VM = """
instance of vm {
  name: vm1;
  instance of db {
    name: db;
  }
  instance of tomcat {
    name: tomcat;
  }
}
"""
TWO_VMS = """
instance of vm {
  name: vm1;
  instance of db {
    name: db;
  }
}
instance of vm {
  name: vm2;
  instance of tomcat {
    name: tomcat;
  }
}
"""


def test_machines_ignore_stopped_and_hold_requests_until_their_first_heartbeat(tmp_path: Path, monkeypatch) -> None:
    gate: dict[str, asyncio.Event] = {}
    original = Agent._heartbeats

    async def late_heartbeats(self: Agent) -> None:
        await gate["open"].wait()
        await original(self)

    monkeypatch.setattr(Agent, "_heartbeats", late_heartbeats)
    with harness(tmp_path, GRAPH, ONE_VM, ("db", "tomcat"), monkeypatch) as h:

        async def go() -> tuple[str, str, dict]:
            gate["open"] = asyncio.Event()
            async with h.session() as s:
                s.manager.apply_plan(h.plan())
                s.manager.request("/vm1", State.DEPLOYED_STOPPED)  # ignored: NOT_DEPLOYED stays
                ignored = s.manager.items["/vm1"].state.value
                s.manager.request("/vm1", STARTED)
                s.manager.request("/vm1/db", STARTED)
                s.manager.request("/vm1/db", State.DEPLOYED_STOPPED)
                s.manager.request("/vm1/tomcat", STARTED)
                await asyncio.sleep(0.6)
                booting = s.manager.items["/vm1"].state.value
                assert h.calls() == []
                gate["open"].set()
                await s.settle()
                s.manager.request("/vm1", State.DEPLOYED_STOPPED)  # ignored: the machine stays up
                await s.settle()
                return ignored, booting, states(s)

        ignored, booting, final = run(go())
        assert ignored == "NOT_DEPLOYED"
        assert booting == "DEPLOYING"
        assert final["/vm1"] == "DEPLOYED_STARTED"
        assert final["/vm1/db"] == "DEPLOYED_STOPPED"
        assert final["/vm1/tomcat"] == "UNRESOLVED"
        assert [(p, st) for p, st in h.completed() if p == "/vm1/db"] == [
            ("/vm1/db", "deploy"),
            ("/vm1/db", "start"),
            ("/vm1/db", "stop"),
        ]


def test_a_silent_agent_is_a_problem_until_it_beats_again(tmp_path: Path, monkeypatch) -> None:
    with harness(tmp_path, GRAPH, ONE_VM, ("db", "tomcat"), monkeypatch) as h:

        async def go() -> tuple[dict, dict]:
            async with h.session(heartbeat_period=0.1) as s:
                await s.deploy(h.plan())
                s.manager.agents["/vm1"].silent = True
                for _ in range(50):
                    await asyncio.sleep(0.1)
                    if s.manager.items["/vm1"].state is State.PROBLEM:
                        break
                lost = states(s)
                s.manager.agents["/vm1"].silent = False
                for _ in range(50):
                    await asyncio.sleep(0.1)
                    if s.manager.items["/vm1"].state is STARTED:
                        break
                return lost, states(s)

        lost, back = run(go())
        assert lost["/vm1"] == "PROBLEM"
        assert lost["/vm1/db"] == lost["/vm1/tomcat"] == "DEPLOYED_STARTED"
        assert set(back.values()) == {"DEPLOYED_STARTED"}


def test_undeploying_a_machine_withdraws_its_exports_and_unresolves_consumers(tmp_path: Path, monkeypatch) -> None:
    with harness(tmp_path, GRAPH, TWO_VMS, ("db", "tomcat"), monkeypatch) as h:

        async def go() -> tuple[dict, list[dict], Path]:
            async with h.session() as s:
                await s.deploy(h.plan())
                workdir = s.manager.agents["/vm1"].workdir
                await s.bus.subscribe("spy", importers_context(s.application, "db"))
                s.manager.undeploy_all("/vm1")
                await s.settle()
                seen = []
                inbox = s.bus.inbox("spy")
                while not inbox.empty():
                    seen.append(inbox.get_nowait())
                return states(s), seen, workdir

        final, seen, workdir = run(go())
        assert final["/vm1"] == final["/vm1/db"] == "NOT_DEPLOYED"
        assert final["/vm2/tomcat"] == "UNRESOLVED"
        assert any(msg["type"] == "RemoveImport" and msg["instance_path"] == "/vm1/db" for msg in seen)
        assert ("/vm1/db", "undeploy") in h.completed()
        assert not workdir.exists()
