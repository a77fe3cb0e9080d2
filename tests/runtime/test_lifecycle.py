"""Behavioural tests 1–14 of runtime.md §9.1: local agents, recipes that log each call."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from rbcc.runtime.session import Session
from rbcc.runtime.states import State
from tests.runtime.apps import harness, run, states

pytestmark = pytest.mark.slow

STARTED = State.DEPLOYED_STARTED
STOPPED = State.DEPLOYED_STOPPED

# A machine with a server holding a web application; a database the server needs;
# a balancer that needs the server (runtime.md's usual example, cut down).
GRAPH = """
vm {
  installer: target;
  exports: ip;
  children: db, tomcat, lb;
}
db {
  installer: script;
  exports: ip, port = 3306;
}
tomcat {
  installer: script;
  exports: ip, port = 8080;
  imports: db.ip, db.port;
  children: war;
}
war {
  installer: script;
  exports: context = app;
}
lb {
  installer: script;
  imports: tomcat.ip, tomcat.port;
}
"""
INSTANCES = """
instance of vm {
  name: vm1;
  instance of db {
    name: db;
  }
  instance of tomcat {
    name: tomcat;
    instance of war {
      name: war;
    }
  }
  instance of lb {
    name: lb;
  }
}
"""
SCRIPTED = ("db", "tomcat", "war", "lb")


async def machine_up(s: Session, vm: str = "/vm1") -> None:
    s.manager.request(vm, STARTED)
    await s.settle()
    assert s.manager.items[vm].state is STARTED


async def ask(s: Session, path: str, state: State) -> None:
    s.manager.request(path, state)
    await s.settle()


def test_started_on_not_deployed_runs_deploy_then_start_and_reports_each_state(tmp_path: Path, monkeypatch) -> None:
    events: list[dict] = []
    with harness(tmp_path, GRAPH, INSTANCES, SCRIPTED, monkeypatch) as h:

        async def go() -> None:
            async with h.session(events) as s:
                s.manager.apply_plan(h.plan())
                await machine_up(s)
                await ask(s, "/vm1/db", STARTED)

        run(go())
        seen = [e["state"] for e in events if e.get("event") == "state" and e["path"] == "/vm1/db"]
        assert seen == ["DEPLOYING", "DEPLOYED_STOPPED", "STARTING", "DEPLOYED_STARTED"]
        assert h.completed() == [("/vm1/db", "deploy"), ("/vm1/db", "start")]


def test_deploying_a_child_under_a_not_deployed_parent_does_nothing(tmp_path: Path, monkeypatch) -> None:
    with harness(tmp_path, GRAPH, INSTANCES, SCRIPTED, monkeypatch) as h:

        async def go() -> dict:
            async with h.session() as s:
                s.manager.apply_plan(h.plan())
                await machine_up(s)
                await ask(s, "/vm1/tomcat/war", STOPPED)
                return states(s)

        final = run(go())
        assert final["/vm1/tomcat/war"] == "NOT_DEPLOYED"
        assert h.calls() == []


def test_a_child_never_starts_before_its_parent_is_started(tmp_path: Path, monkeypatch) -> None:
    with harness(tmp_path, GRAPH, INSTANCES, SCRIPTED, monkeypatch) as h:

        async def go() -> dict:
            async with h.session() as s:
                s.manager.apply_plan(h.plan())
                await machine_up(s)
                await ask(s, "/vm1/tomcat", STOPPED)
                await ask(s, "/vm1/tomcat/war", STARTED)
                return states(s)

        final = run(go())
        assert final["/vm1/tomcat"] == "DEPLOYED_STOPPED"
        assert final["/vm1/tomcat/war"] == "DEPLOYED_STOPPED"
        assert ("/vm1/tomcat/war", "start") not in h.completed()
        assert ("/vm1/tomcat/war", "deploy") in h.completed()


def test_child_of_an_unresolved_parent_waits_then_starts_after_the_parent(tmp_path: Path, monkeypatch) -> None:
    with harness(tmp_path, GRAPH, INSTANCES, SCRIPTED, monkeypatch) as h:

        async def go() -> tuple[dict, dict]:
            async with h.session() as s:
                s.manager.apply_plan(h.plan())
                await machine_up(s)
                await ask(s, "/vm1/tomcat", STARTED)
                await ask(s, "/vm1/tomcat/war", STARTED)
                before = states(s)
                await ask(s, "/vm1/db", STARTED)
                return before, states(s)

        before, after = run(go())
        assert before["/vm1/tomcat"] == "UNRESOLVED"
        assert before["/vm1/tomcat/war"] == "WAITING_FOR_ANCESTOR"
        assert after["/vm1/tomcat"] == after["/vm1/tomcat/war"] == "DEPLOYED_STARTED"
        starts = [p for p, s in h.completed() if s == "start"]
        assert starts == ["/vm1/db", "/vm1/tomcat", "/vm1/tomcat/war"]


def test_missing_mandatory_import_leaves_unresolved_until_the_provider_starts(tmp_path: Path, monkeypatch) -> None:
    with harness(tmp_path, GRAPH, INSTANCES, SCRIPTED, monkeypatch) as h:

        async def go() -> tuple[dict, dict]:
            async with h.session() as s:
                s.manager.apply_plan(h.plan())
                await machine_up(s)
                await ask(s, "/vm1/tomcat", STARTED)
                before = states(s)
                await ask(s, "/vm1/db", STARTED)
                return before, states(s)

        before, after = run(go())
        assert before["/vm1/tomcat"] == "UNRESOLVED"
        assert after["/vm1/tomcat"] == "DEPLOYED_STARTED"
        assert [c for c in h.calls() if c[0] == "/vm1/tomcat" and c[1] == "start"][0][2] == "begin"
        env = h.env("/vm1/tomcat", "start")
        assert (env["db_size"], env["db_0_name"], env["db_0_ip"], env["db_0_port"]) == (
            "1",
            "/vm1/db",
            "127.0.0.1",
            "3306",
        )


OPTIONAL_GRAPH = """
vm {
  installer: target;
  children: cache, web;
}
cache {
  installer: script;
  exports: ip, port = 11211;
}
web {
  installer: script;
  imports: cache.ip (optional), cache.port (optional);
}
"""
OPTIONAL_INSTANCES = """
instance of vm {
  name: vm1;
  instance of cache {
    name: cache;
  }
  instance of web {
    name: web;
  }
}
"""


def test_optional_imports_never_block_and_a_late_provider_runs_update(tmp_path: Path, monkeypatch) -> None:
    with harness(tmp_path, OPTIONAL_GRAPH, OPTIONAL_INSTANCES, ("cache", "web"), monkeypatch) as h:

        async def go() -> tuple[dict, dict]:
            async with h.session() as s:
                s.manager.apply_plan(h.plan())
                await machine_up(s)
                await ask(s, "/vm1/web", STARTED)
                before = states(s)
                await ask(s, "/vm1/cache", STARTED)
                return before, states(s)

        before, after = run(go())
        assert before["/vm1/web"] == "DEPLOYED_STARTED"
        assert ("/vm1/web", "update") in h.completed()
        env = h.env("/vm1/web", "update")
        assert env["ROBOCONF_UPDATE_STATUS"] == "DEPLOYED_STARTED"
        assert env["ROBOCONF_IMPORT_CHANGED_INSTANCE_PATH"] == "/vm1/cache"
        assert env["ROBOCONF_IMPORT_CHANGED_COMPONENT"] == "cache"
        assert env["ROBOCONF_IMPORT_CHANGED_ip"] == "127.0.0.1"
        assert env["ROBOCONF_IMPORT_CHANGED_port"] == "11211"
        assert after["/vm1/web"] == "DEPLOYED_STARTED"


def test_stopping_the_only_provider_unresolves_consumers_and_restart_brings_all_back(
    tmp_path: Path, monkeypatch
) -> None:
    with harness(tmp_path, GRAPH, INSTANCES, SCRIPTED, monkeypatch) as h:

        async def go() -> tuple[dict, dict]:
            async with h.session() as s:
                await s.deploy(h.plan())
                h.log.unlink()
                await ask(s, "/vm1/db", STOPPED)
                stopped = states(s)
                h.log.unlink()
                await ask(s, "/vm1/db", STARTED)
                return stopped, states(s)

        stopped, after = run(go())
        assert stopped["/vm1/db"] == "DEPLOYED_STOPPED"
        assert stopped["/vm1/tomcat"] == "UNRESOLVED"
        assert stopped["/vm1/tomcat/war"] == "WAITING_FOR_ANCESTOR"
        assert stopped["/vm1/lb"] == "UNRESOLVED"
        assert set(after.values()) == {"DEPLOYED_STARTED"}
        starts = [p for p, s in h.completed() if s == "start"]
        assert starts.index("/vm1/db") < starts.index("/vm1/tomcat") < starts.index("/vm1/tomcat/war")
        assert starts.index("/vm1/tomcat") < starts.index("/vm1/lb")


TWO_PROVIDERS = """
instance of vm {
  name: vm1;
  instance of db {
    name: db1;
  }
  instance of db {
    name: db2;
  }
  instance of tomcat {
    name: tomcat;
  }
}
"""


def test_one_of_two_providers_stopping_runs_update_with_deployed_stopped(tmp_path: Path, monkeypatch) -> None:
    with harness(tmp_path, GRAPH, TWO_PROVIDERS, SCRIPTED, monkeypatch) as h:

        async def go() -> dict:
            async with h.session() as s:
                await s.deploy(h.plan())
                h.log.unlink()
                await ask(s, "/vm1/db2", STOPPED)
                return states(s)

        after = run(go())
        assert after["/vm1/tomcat"] == "DEPLOYED_STARTED"
        # db2 withdraws its exports before its stop recipe runs (runtime.md §1.4), so tomcat's update
        # runs concurrently with that recipe: either may finish first
        assert sorted(h.completed()) == [("/vm1/db2", "stop"), ("/vm1/tomcat", "update")]
        env = h.env("/vm1/tomcat", "update")
        assert env["ROBOCONF_UPDATE_STATUS"] == "DEPLOYED_STOPPED"
        assert env["ROBOCONF_IMPORT_CHANGED_INSTANCE_PATH"] == "/vm1/db2"
        assert env["db_size"] == "1"
        assert env["db_0_name"] == "/vm1/db1"


CLUSTER_GRAPH = """
vm {
  installer: target;
  children: node, watcher;
}
node {
  installer: script;
  exports: ip, port = 7000, role = member;
  imports: node.* (optional);
}
watcher {
  installer: script;
  imports: node.port;
}
"""
CLUSTER_INSTANCES = """
instance of vm {
  name: vm1;
  instance of node {
    name: n1;
  }
  instance of node {
    name: n2;
  }
  instance of node {
    name: n3;
  }
  instance of watcher {
    name: w;
  }
}
"""


def test_cluster_members_never_import_themselves_and_wildcards_take_every_variable(tmp_path: Path, monkeypatch) -> None:
    with harness(tmp_path, CLUSTER_GRAPH, CLUSTER_INSTANCES, ("node", "watcher"), monkeypatch) as h:

        async def go() -> Session:
            async with h.session() as s:
                await s.deploy(h.plan())
                return s

        s = run(go())
        for n in ("n1", "n2", "n3"):
            imports = s.manager.items[f"/vm1/{n}"].imports["node"]
            assert sorted(i["instance_path"] for i in imports) == sorted(
                f"/vm1/{o}" for o in ("n1", "n2", "n3") if o != n
            )
            assert set(imports[0]["exported_vars"]) == {"node.ip", "node.port", "node.role"}
        watched = s.manager.items["/vm1/w"].imports["node"]
        assert len(watched) == 3 and all(set(i["exported_vars"]) == {"node.port"} for i in watched)
        # whatever the order, the last recipe each member ran saw its two peers
        for n in ("n1", "n2", "n3"):
            last = [st for p, st in h.completed() if p == f"/vm1/{n}" and st in ("start", "update")][-1]
            assert h.env(f"/vm1/{n}", last)["node_size"] == "2"
        env = h.env("/vm1/w", "start")
        assert "node_0_port" in env and "node_0_ip" not in env


def test_a_changed_republished_value_runs_update_once_and_an_unchanged_one_nothing(tmp_path: Path, monkeypatch) -> None:
    with harness(tmp_path, GRAPH, INSTANCES, SCRIPTED, monkeypatch) as h:

        async def once() -> dict:
            async with h.session() as s:
                await s.deploy(h.plan())
                return states(s)

        run(once())
        h.log.unlink()
        run(once())  # a new session republishes everything: nothing changed, nothing runs
        assert h.completed() == []
        graph = h.app / "graph" / "main.graph"
        graph.write_text(graph.read_text().replace("port = 3306", "port = 3307"))
        run(once())
        assert h.completed() == [("/vm1/tomcat", "update")]
        assert h.env("/vm1/tomcat", "update")["db_0_port"] == "3307"

        async def stored() -> dict:
            async with h.session() as s:
                return s.manager.items["/vm1/tomcat"].imports

        assert run(stored())["db"][0]["exported_vars"]["db.port"] == "3307"


@pytest.mark.parametrize("cascade", [False, True])
def test_manual_stop_of_a_parent(tmp_path: Path, monkeypatch, cascade: bool) -> None:
    with harness(tmp_path, GRAPH, INSTANCES, SCRIPTED, monkeypatch) as h:

        async def go() -> dict:
            async with h.session(cascade_recipes=cascade) as s:
                await s.deploy(h.plan())
                h.log.unlink()
                await ask(s, "/vm1/tomcat", STOPPED)
                return states(s)

        after = run(go())
        assert after["/vm1/tomcat"] == after["/vm1/tomcat/war"] == "DEPLOYED_STOPPED"
        assert after["/vm1/lb"] == "UNRESOLVED"  # the server's exports were withdrawn
        stops = [p for p, st in h.completed() if st == "stop"]
        # the server withdraws its exports before its recipes run, so the balancer stops meanwhile
        assert "/vm1/lb" in stops
        mine = [p for p in stops if p.startswith("/vm1/tomcat")]
        assert mine == (["/vm1/tomcat/war", "/vm1/tomcat"] if cascade else ["/vm1/tomcat"])


def test_undeploy_from_started_runs_stop_then_undeploy_and_deletes_the_directory(tmp_path: Path, monkeypatch) -> None:
    with harness(tmp_path, GRAPH, INSTANCES, SCRIPTED, monkeypatch) as h:

        async def go() -> tuple[dict, list[Path]]:
            async with h.session(cascade_recipes=False) as s:
                await s.deploy(h.plan())
                agent = s.manager.agents["/vm1"]
                dirs = [agent.instance_dir(agent.nodes[p]) for p in ("/vm1/tomcat", "/vm1/tomcat/war")]
                assert all(d.is_dir() for d in dirs)
                h.log.unlink()
                await ask(s, "/vm1/tomcat", State.NOT_DEPLOYED)
                return states(s), dirs

        after, dirs = run(go())
        assert after["/vm1/tomcat"] == after["/vm1/tomcat/war"] == "NOT_DEPLOYED"
        mine = [(p, st) for p, st in h.completed() if p.startswith("/vm1/tomcat")]
        assert mine == [("/vm1/tomcat", "stop"), ("/vm1/tomcat", "undeploy")]
        assert not any(d.exists() for d in dirs)


def test_roboconf_failure_mode_restores_the_previous_state(tmp_path: Path, monkeypatch) -> None:
    with harness(tmp_path, GRAPH, TWO_PROVIDERS, SCRIPTED, monkeypatch) as h:

        async def go() -> list[dict]:
            out = []
            async with h.session(failure_mode="roboconf") as s:
                s.manager.apply_plan(h.plan())
                await machine_up(s)
                h.fail("/vm1/db1", "deploy")
                await ask(s, "/vm1/db1", STARTED)
                out.append(states(s))
                h.fail("/vm1/db1", "deploy", False)
                h.fail("/vm1/db1", "start")
                await ask(s, "/vm1/db1", STARTED)
                out.append(states(s))
                out.append(dict(s.manager.agents["/vm1"].nodes["/vm1/db1"].imports))
                h.fail("/vm1/db1", "undeploy")
                await ask(s, "/vm1/db1", State.NOT_DEPLOYED)
                out.append(states(s))
                await ask(s, "/vm1/tomcat", STARTED)
                out.append(states(s))
            return out

        after_deploy, after_start, _, after_undeploy, consumer = run(go())
        assert after_deploy["/vm1/db1"] == "NOT_DEPLOYED"
        assert after_start["/vm1/db1"] == "DEPLOYED_STOPPED"
        assert after_undeploy["/vm1/db1"] == "DEPLOYED_STOPPED"
        assert consumer["/vm1/tomcat"] == "UNRESOLVED"  # db1 never published anything


def test_problem_failure_mode_isolates_the_failed_instance_and_a_new_request_retries(
    tmp_path: Path, monkeypatch
) -> None:
    with harness(tmp_path, GRAPH, TWO_PROVIDERS, SCRIPTED, monkeypatch) as h:
        h.fail("/vm1/db1", "start")

        async def go() -> tuple[dict, object, dict]:
            async with h.session() as s:
                await s.deploy(h.plan())
                first = states(s)
                problem = s.manager.items["/vm1/db1"].last_problem
                h.fail("/vm1/db1", "start", False)
                await ask(s, "/vm1/db1", STARTED)
                return first, problem, states(s)

        first, problem, retried = run(go())
        assert first["/vm1/db1"] == "PROBLEM"
        assert first["/vm1/db2"] == first["/vm1/tomcat"] == "DEPLOYED_STARTED"
        assert problem["step"] == "start" and problem["exit_code"] == 1
        assert "failing on purpose" in problem["output"]
        assert retried["/vm1/db1"] == "DEPLOYED_STARTED"


ENV_GRAPH = """
vm {
  installer: target;
  exports: ip, zone = eu;
  children: app;
}
app {
  installer: script;
  exports: ip, my-setting = default, size = small;
}
"""
ENV_INSTANCES = """
instance of vm {
  name: my vm;
  instance of app {
    name: web-server 1;
    size: large;
  }
}
"""


def test_recipe_environment_and_working_directory(tmp_path: Path, monkeypatch) -> None:
    with harness(tmp_path, ENV_GRAPH, ENV_INSTANCES, ("app",), monkeypatch) as h:

        async def go() -> Path:
            async with h.session() as s:
                await s.deploy(h.plan())
                agent = s.manager.agents["/my vm"]
                return agent.instance_dir(agent.nodes["/my vm/web-server 1"])

        directory = run(go())
        env = h.env("/my vm/web-server 1", "start")
        assert env["ROBOCONF_INSTANCE_NAME"] == "web-server 1"
        assert env["ROBOCONF_INSTANCE_PATH"] == "/my vm/web-server 1"
        assert env["ROBOCONF_COMPONENT_NAME"] == "app"
        assert env["ROBOCONF_CLEAN_INSTANCE_PATH"] == "my_vm_web_server_1"
        assert env["ROBOCONF_CLEAN_REVERSED_INSTANCE_PATH"] == "web_server_1_my_vm"
        assert env["ROBOCONF_APPLICATION_NAME"] == "Test"
        assert env["ROBOCONF_STEP"] == "start"
        assert env["ROBOCONF_FILES_DIR"] == str(directory / "files")
        assert env["ANCESTOR_vm_ip"] == "127.0.0.1" and env["ANCESTOR_vm_zone"] == "eu"
        assert env["ip"] == "127.0.0.1"
        assert env["my_setting"] == "default"
        assert env["size"] == "large"
        assert h.cwd("/my vm/web-server 1", "start") == str(directory / "scripts")
        assert "ROBOCONF_UPDATE_STATUS" not in env


def test_recipe_timeout_kills_the_step(tmp_path: Path, monkeypatch) -> None:
    with harness(tmp_path, ENV_GRAPH, ENV_INSTANCES, ("app",), monkeypatch) as h:
        h.pause("/my vm/web-server 1", "deploy", 30)

        async def go() -> tuple[dict, object]:
            async with h.session(recipe_timeout=0.5) as s:
                await s.deploy(h.plan())
                return states(s), s.manager.items["/my vm/web-server 1"].last_problem

        began = time.monotonic()
        final, problem = run(go())
        assert time.monotonic() - began < 10
        assert final["/my vm/web-server 1"] == "PROBLEM"
        assert problem["reason"] == "timeout" and problem["step"] == "deploy"
        assert ("/my vm/web-server 1", "deploy") not in h.completed()
