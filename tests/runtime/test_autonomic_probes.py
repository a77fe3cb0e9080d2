"""Behavioural test 23 of runtime.md §9.1 (probes on agents) and autonomic management end to end:
a probe crosses a threshold, a rule fires, commands scale the application out and in, and repair it.

Local agents, probes every 0.05 s, heartbeats every 0.2 s; recipes log each call.
"""

from __future__ import annotations

import asyncio
import http.server
import json
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from rbcc.runtime.bus import dm_context
from rbcc.runtime.states import State
from rbcc.runtime.store import Store
from tests.runtime.apps import run
from tests.runtime.autonomic_apps import SCALE_DOWN, SCALE_UP, autonomic_app, counts, live, rule, until

pytestmark = pytest.mark.slow


def events_of(s, name: str | None = None) -> list[tuple[str, str]]:
    rows = s.store.db.execute("SELECT event, instance_path FROM autonomic_events ORDER BY id").fetchall()
    return [(e, p) for e, p in rows if name is None or e == name]


# ---------------------------------------------------------------------- 23: probes
def test_delete_if_exists_fires_once_and_deletes_the_file(tmp_path: Path, monkeypatch) -> None:
    probes = {"lb.measures": "[EVENT file flag]\nDelete if exists {{ ctl }}/flag\n"}
    with autonomic_app(tmp_path, monkeypatch, probes=probes) as h:

        async def go() -> None:
            async with live(h) as s:
                assert (await s.deploy(h.plan())).ok
                (h.ctl / "flag").touch()
                await until(lambda: len(events_of(s)) == 1)
                sampler = s.manager.agents["/front"].sampler
                rounds = sampler.rounds
                await until(lambda: sampler.rounds >= rounds + 5)
                assert events_of(s) == [("flag", "/front/lb")]
                assert not (h.ctl / "flag").exists()

        run(go())


def test_only_started_instances_are_probed(tmp_path: Path, monkeypatch) -> None:
    probes = {"app.measures": "[EVENT file up]\n{{ ctl }}/present\n"}
    with autonomic_app(tmp_path, monkeypatch, probes=probes) as h:
        (h.ctl / "present").touch()

        async def go() -> None:
            async with live(h) as s:
                assert (await s.deploy(h.plan())).ok
                await until(lambda: len(events_of(s, "up")) >= 2)
                await s.stop(["/vm 1/app"])
                sampler = s.manager.agents["/vm 1"].sampler
                seen = len(events_of(s, "up"))
                rounds = sampler.rounds
                await until(lambda: sampler.rounds >= rounds + 5)
                assert len(events_of(s, "up")) <= seen + 1  # at most one sampling that had begun
                assert s.manager.items["/vm 1/app"].state is State.DEPLOYED_STOPPED

        run(go())


@pytest.fixture
def cluster_summary() -> Iterator[tuple[str, dict]]:
    """A loopback HTTP server answering one-line JSON (its content is the test's to change)."""
    doc: dict = {"slots": {"free": 3}}

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            body = json.dumps(doc).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            return None

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}/summary", doc
    finally:
        server.shutdown()
        server.server_close()


def test_a_rest_probe_reads_one_line_json_and_a_lasting_condition_fires_each_period(
    tmp_path: Path, monkeypatch, cluster_summary
) -> None:
    url, doc = cluster_summary
    probes = {"lb.measures": f"[EVENT rest saturated]\nCheck {url} THAT slots.free <= 0\n"}
    with autonomic_app(tmp_path, monkeypatch, probes=probes) as h:

        async def go() -> None:
            async with live(h) as s:
                assert (await s.deploy(h.plan())).ok
                sampler = s.manager.agents["/front"].sampler
                rounds = sampler.rounds
                await until(lambda: sampler.rounds >= rounds + 3)
                assert events_of(s) == []
                doc["slots"]["free"] = 0
                rounds = sampler.rounds
                await until(lambda: sampler.rounds >= rounds + 6)
                fired = len(events_of(s, "saturated"))
                assert fired >= 4  # every period while it lasts, no de-duplication
                info = s.store.db.execute("SELECT info FROM autonomic_events LIMIT 1").fetchone()[0]
                assert info == "slots.free = 0"

        run(go())


# ---------------------------------------------------------------------- end to end
def test_a_probe_scales_out_then_in_through_rules_and_commands(tmp_path: Path, monkeypatch) -> None:
    probes = {
        "lb.measures": "[EVENT file load-high]\n{{ ctl }}/high\n\n[EVENT file load-low]\n{{ ctl }}/low\n",
    }
    rules = {
        "up.drl": rule("up", "load-high", "scale-up", "sleep period is 30s\noccurrences is 2"),
        "down.drl": rule("down", "load-low", "scale-down", "sleep period is 30s"),
    }
    commands = {"scale-up.commands": SCALE_UP, "scale-down.commands": SCALE_DOWN}
    with autonomic_app(tmp_path, monkeypatch, rules=rules, commands=commands, probes=probes) as h:

        async def go() -> None:
            async with live(h) as s:
                assert (await s.deploy(h.plan())).ok
                (h.ctl / "high").touch()
                await until(lambda: s.manager.items.get("/vm 2/app") is not None)
                await until(lambda: s.manager.items["/vm 2/app"].state is State.DEPLOYED_STARTED)
                await until(lambda: ("/front/lb", "update") in h.completed())
                sampler = s.manager.agents["/front"].sampler
                rounds = sampler.rounds
                await until(lambda: sampler.rounds >= rounds + 5)
                (h.ctl / "high").unlink()
                # the condition lasted: many records, one firing (sleep period)
                assert len(events_of(s, "load-high")) >= 6
                firings = s.store.db.execute("SELECT rule FROM rule_firings").fetchall()
                assert firings == [("up",)]
                assert s.manager.items["/vm 2"].state is State.DEPLOYED_STARTED
                lb = s.manager.items["/front/lb"].imports["app"]
                assert sorted(i["instance_path"] for i in lb) == ["/vm 1/app", "/vm 2/app"]
                assert ("/front/lb", "update:/vm 2/app:DEPLOYED_STARTED", "end") in h.calls()

                (h.ctl / "low").touch()
                await until(lambda: "/vm 2" not in s.manager.items)
                (h.ctl / "low").unlink()
                await until(lambda: ("/front/lb", "update:/vm 2/app:DEPLOYED_STOPPED", "end") in h.calls())
                await s.settle()
                assert sorted(s.manager.items) == ["/front", "/front/lb", "/vm 1", "/vm 1/app"]
                lb = s.manager.items["/front/lb"].imports["app"]
                assert [i["instance_path"] for i in lb] == ["/vm 1/app"]

        run(go(), timeout=60)
        assert [c for c in h.completed() if c[0] == "/vm 2/app"] == [
            ("/vm 2/app", "deploy"),
            ("/vm 2/app", "start"),
            ("/vm 2/app", "stop"),
            ("/vm 2/app", "undeploy"),
        ]
        store = Store(h.state)
        assert "/vm 2" not in {r.path for r in store.instances()}
        history = store.db.execute("SELECT command, origin, result FROM command_history ORDER BY id").fetchall()
        store.close()
        assert history == [("scale-up", "autonomic", "ok"), ("scale-down", "autonomic", "ok")]
        assert not (h.state / "agents" / "vm_2").exists()


REPAIR = """instance of vm {
\tname: vm 1;
\tinstance of svc {
\t\tname: svc;
\t}
}
"""


def test_a_probe_reporting_an_instance_dead_makes_a_rule_restart_it(tmp_path: Path, monkeypatch) -> None:
    probes = {"svc.measures": "[EVENT file svc-dead]\nNotify if not exists {{ ctl }}/alive\n"}
    rules = {"repair.drl": rule("repair", "svc-dead", "restart", "sleep period is 30s")}
    commands = {
        "restart.commands": "change status of /vm 1/svc to DEPLOYED_STOPPED\n"
        "change status of /vm 1/svc to DEPLOYED_STARTED\n"
    }
    with autonomic_app(tmp_path, monkeypatch, rules=rules, commands=commands, probes=probes, instances=REPAIR) as h:

        async def go() -> None:
            async with live(h) as s:
                assert (await s.deploy(h.plan())).ok
                assert (h.ctl / "alive").exists()
                starts = h.completed().count(("/vm 1/svc", "start"))
                (h.ctl / "alive").unlink()  # the service dies behind the agent's back
                await until(lambda: h.completed().count(("/vm 1/svc", "start")) == starts + 1)
                await s.settle()
                assert (h.ctl / "alive").exists()
                assert s.manager.items["/vm 1/svc"].state is State.DEPLOYED_STARTED
                assert [r for (r,) in s.store.db.execute("SELECT rule FROM rule_firings")] == ["repair"]

        run(go(), timeout=60)
        assert h.completed()[-2:] == [("/vm 1/svc", "stop"), ("/vm 1/svc", "start")]


def test_failing_commands_never_stop_the_manager(tmp_path: Path, monkeypatch) -> None:
    rules = {"broken.drl": rule("broken", "boom", "broken")}
    commands = {
        "broken.commands": "change status of /vm 1/app to DEPLOYED_STOPPED\n"
        "write x into {{ ctl }}/a-file/x\n"  # a file is no directory: an I/O error at run time
        "change status of /vm 1/app to DEPLOYED_STARTED\n"
    }
    with autonomic_app(tmp_path, monkeypatch, rules=rules, commands=commands) as h:
        (h.ctl / "a-file").write_text("")

        async def go() -> None:
            async with live(h) as s:
                assert (await s.deploy(h.plan())).ok
                ctx = dm_context("Test")
                await s.bus.publish(ctx, {"type": "Autonomic", "application": "Test", "event_name": "boom"})
                await s.settle()
                assert s.manager.items["/vm 1/app"].state is State.DEPLOYED_STOPPED  # ran up to the failure
                assert counts(s)["command_history"] == 1
                assert s.manager.autonomic.counters.failed_commands == 1
                summary = await s.start(["/vm 1"])  # the manager still answers
                assert summary.ok

        run(go())


# ---------------------------------------------------------------------- soak
def test_ten_thousand_events_are_all_recorded_and_fire_as_the_timing_allows(tmp_path: Path, monkeypatch) -> None:
    rules = {
        "every.drl": rule("every", "tick", "note"),
        "paced.drl": rule("paced", "tick", "note", "sleep period is 1s"),
        "third.drl": rule("third", "tock", "note", "time window is 60s\noccurrences is 3"),
    }
    commands = {"note.commands": "define x = $(NANO_TIME)\n"}
    with autonomic_app(tmp_path, monkeypatch, rules=rules, commands=commands) as h:

        async def go() -> None:
            async with h.session() as s:
                s.manager.apply_plan(h.plan())
                reactor = s.enable_autonomic()
                ctx = dm_context("Test")
                loop = asyncio.get_running_loop()
                began = loop.time()
                for i in range(10_000):
                    name = "tick" if i % 10 else "tock"
                    await s.bus.publish(ctx, {"type": "Autonomic", "application": "Test", "event_name": name})
                    if i % 200 == 199:
                        await asyncio.sleep(0.01)
                await until(lambda: reactor.counters.events == 10_000, timeout=60)
                elapsed = loop.time() - began
                rows = dict(s.store.db.execute("SELECT rule, COUNT(*) FROM rule_firings GROUP BY rule").fetchall())
                assert counts(s)["autonomic_events"] == 10_000
                assert rows["every"] == 9_000  # one firing per record of its event, never two
                assert 1 <= rows["paced"] <= int(elapsed) + 1
                assert rows["third"] == 1_000 - 2  # from the third record on
                assert all(len(q) <= 3 for q in reactor.engine.records.values())  # bounded memory
                assert counts(s)["command_history"] == sum(rows.values())

        run(go(), timeout=120)
