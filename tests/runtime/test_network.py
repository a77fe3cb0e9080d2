"""Behavioural test 20 of runtime.md §9.1 and the second half of test 19: agents in processes of their
own over the WebSocket bus give what the in-process bus gives; tokens, TLS, replay; a killed agent."""

from __future__ import annotations

import asyncio
import datetime
import json
import logging
import os
import signal
import time
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from rbcc.runtime.bus import Context, agent_context, dm_context
from rbcc.runtime.bus_websocket import WebSocketBus, WebSocketClientBus
from rbcc.runtime.status import read_status
from rbcc.runtime.store import Store
from rbcc.runtime.targets.process import parse_id, start_time
from tests.runtime.apps import Harness, harness, run
from tests.runtime.test_crash import GRAPH  # the same two-instance application

pytestmark = pytest.mark.slow


INSTANCES = """
instance of vm {
  name: vm1;
  instance of svc {
    name: svc;
  }
  instance of client {
    name: c1;
  }
}
instance of vm {
  name: vm2;
  instance of client {
    name: c1;
  }
  instance of client {
    name: c2;
  }
}
instance of vm {
  name: vm3;
  instance of svc {
    name: svc;
  }
}
"""


def agent_pids(state: Path) -> list[tuple[int, str]]:
    """(pid, start time) of every ``process`` agent the store records."""
    if not (state / "rbcc.db").exists():
        return []
    store = Store(state)
    try:
        out = []
        for r in store.instances():
            mid = r.data.get("machine.id")
            if r.scoped and r.data.get("target.handler") == "process" and mid:
                pid, ticks, _ = parse_id(mid)
                out.append((pid, ticks))
        return out
    finally:
        store.close()


def kill_agents(state: Path) -> None:
    for pid, ticks in agent_pids(state):
        if start_time(pid) == ticks:
            os.kill(pid, signal.SIGKILL)


def per_instance(h: Harness) -> dict[str, list[str]]:
    """Each instance's recipe calls, in order (the order between instances may differ between runs)."""
    out: dict[str, list[str]] = {}
    for path, step, phase in h.calls():
        out.setdefault(path, []).append(f"{step}|{phase}")
    return out


async def _deploy_then_undeploy_in_two_sessions(h: Harness, **settings: Any) -> tuple[dict[str, str], dict[str, str]]:
    async with h.session(**settings) as s:
        deployed = (await s.deploy(h.plan())).states
    # process agents outlive the session; the next session's broker is where the first one was
    async with h.session(**settings) as s:
        undeployed = (await s.undeploy([])).states
    return deployed, undeployed


def same_as_in_process(tmp_path: Path, monkeypatch: Any, kind: str, settings: dict[str, Any]) -> dict[str, list[str]]:
    """Deploy then undeploy (two sessions) in-process and with ``settings``: the same states, the
    same recipes in the same order per instance (updates differ only by which provider came
    first); the in-process recipe calls, updates left out."""
    results = {}
    for run_kind, run_settings in (("inprocess", {}), (kind, settings)):
        with harness(tmp_path / run_kind, GRAPH, INSTANCES, ("svc", "client"), monkeypatch) as h:
            try:
                deployed, undeployed = run(_deploy_then_undeploy_in_two_sessions(h, **run_settings), timeout=60)
            finally:
                kill_agents(h.state)
            results[run_kind] = (deployed, undeployed, per_instance(h))
            if run_kind != "inprocess":
                assert agent_pids(h.state) == []  # undeploy terminated them
                assert not (h.state / "machines").exists() or not any((h.state / "machines").iterdir())
    assert results[kind][0] == results["inprocess"][0]
    assert set(results[kind][0].values()) == {"DEPLOYED_STARTED"}
    assert results[kind][1] == results["inprocess"][1]
    assert set(results[kind][1].values()) == {"NOT_DEPLOYED"}
    strip = {k: [c for c in v if not c.startswith("update")] for k, v in results["inprocess"][2].items()}
    got = {k: [c for c in v if not c.startswith("update")] for k, v in results[kind][2].items()}
    assert got == strip
    return strip


def test_process_agents_over_websocket_match_the_in_process_bus(tmp_path: Path, monkeypatch) -> None:
    strip = same_as_in_process(tmp_path, monkeypatch, "process", {"handler": "process", "agent_boot_timeout": 20.0})
    assert strip["/vm2/c1"] == [f"{s}|{p}" for s in ("deploy", "start", "stop", "undeploy") for p in ("begin", "end")]


def _self_signed(tmp: Path) -> tuple[str, str]:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(datetime.UTC)
    import ipaddress

    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=1))
        .not_valid_after(now + datetime.timedelta(hours=1))
        .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), True)
        .sign(key, hashes.SHA256())
    )
    cert_file, key_file = tmp / "bus.crt", tmp / "bus.key"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return str(cert_file), str(key_file)


async def _until(predicate: Any, timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.01)


CTX = agent_context("App", "/vm1")


async def _broker_and_client(
    broker: WebSocketBus, token: str, ca: str | None = None
) -> tuple[WebSocketClientBus, asyncio.Queue[dict[str, Any]]]:
    client = WebSocketClientBus("/vm1 @ App", token, lambda: broker.url, ca_file=ca)
    await client.start()
    await client.subscribe(client.owner, CTX)
    return client, client.inbox(client.owner)


def test_a_wrong_token_is_refused_with_4401_logged_and_gets_nothing(caplog) -> None:
    async def go() -> None:
        broker = WebSocketBus()
        await broker.start()
        broker.allow("/vm1 @ App", "right", (CTX,))
        try:
            intruder, inbox = await _broker_and_client(broker, "wrong")
            await _until(lambda: intruder.refused is not None)
            await broker.publish(CTX, {"type": "Echo", "n": 1})
            await asyncio.sleep(0.2)
            assert inbox.empty()
            assert broker.refused == ["/vm1 @ App"]
            await intruder.close()
            # the right token, same identity: it gets what waited for it
            agent, inbox = await _broker_and_client(broker, "right")
            assert (await asyncio.wait_for(inbox.get(), 5))["n"] == 1
            await agent.close()
        finally:
            await broker.close()

    with caplog.at_level(logging.WARNING, logger="rbcc.runtime.bus_websocket"):
        run(go())
    assert any("refused" in r.getMessage() and "bad token" in r.getMessage() for r in caplog.records)


def test_tls_carries_the_bus_and_an_untrusted_certificate_is_not_accepted(tmp_path: Path) -> None:
    cert, key = _self_signed(tmp_path)

    async def go() -> None:
        broker = WebSocketBus(tls_cert=cert, tls_key=key)
        await broker.start()
        broker.allow("/vm1 @ App", "t", (CTX,))
        await broker.subscribe("DM @ App", dm_context("App"))
        try:
            assert broker.url.startswith("wss://")
            untrusting, _ = await _broker_and_client(broker, "t")  # system trust store only
            await asyncio.sleep(0.5)
            assert not untrusting.connected.is_set()
            await untrusting.close()
            agent, inbox = await _broker_and_client(broker, "t", ca=cert)
            await asyncio.wait_for(agent.connected.wait(), 5)
            await agent.publish(dm_context("App"), {"type": "Heartbeat", "scoped_instance_path": "/vm1"})
            got = await asyncio.wait_for(broker.inbox("DM @ App").get(), 5)
            assert got["type"] == "Heartbeat"
            await broker.publish(CTX, {"type": "Echo"})
            assert (await asyncio.wait_for(inbox.get(), 5))["type"] == "Echo"
            await agent.close()
        finally:
            await broker.close()

    run(go())


def test_a_dropped_connection_replays_what_was_missed_and_a_longer_gap_asks_for_a_resync() -> None:
    async def go() -> None:
        broker = WebSocketBus(replay=5)
        gaps: list[str] = []

        async def on_gap(owner: str) -> None:
            gaps.append(owner)

        broker.on_gap = on_gap
        await broker.start()
        broker.allow("/vm1 @ App", "t", (CTX,))
        try:
            agent, inbox = await _broker_and_client(broker, "t")
            await asyncio.wait_for(agent.connected.wait(), 5)
            await broker.publish(CTX, {"type": "Echo", "n": 0})
            assert (await asyncio.wait_for(inbox.get(), 5))["n"] == 0
            for rounds, sent in ((1, range(1, 4)), (2, range(4, 14))):
                conn = broker._remotes["/vm1 @ App"].conn
                assert conn is not None
                await conn.close()
                await _until(lambda: not broker.connected("/vm1 @ App"))
                for n in sent:
                    await broker.publish(CTX, {"type": "Echo", "n": n})
                await asyncio.wait_for(agent.connected.wait(), 5)
                await _until(lambda: broker.connected("/vm1 @ App"))
                got = []
                while len(got) < min(len(sent), 5):
                    got.append((await asyncio.wait_for(inbox.get(), 5))["n"])
                await asyncio.sleep(0.1)
                assert inbox.empty()
                if rounds == 1:  # a short gap: every message once, in order
                    assert got == [1, 2, 3] and gaps == []
                else:  # more than the buffer: the last five, and the manager is told
                    assert got == [9, 10, 11, 12, 13] and gaps == ["/vm1 @ App"]
            await agent.close()
        finally:
            await broker.close()

    run(go(), timeout=30)


def test_a_process_agent_killed_mid_step_resumes_without_repeating_completed_steps(tmp_path: Path, monkeypatch) -> None:
    killed_mid_step_resumes(tmp_path, monkeypatch, {"handler": "process", "agent_boot_timeout": 20.0})


def killed_mid_step_resumes(tmp_path: Path, monkeypatch: Any, settings: dict[str, Any]) -> None:
    """A ``process`` agent SIGKILLed during a step: its machine goes to PROBLEM, the next session
    starts it again, and no completed step runs twice (also over RabbitMQ)."""
    settings = {**settings, "missed_heartbeats_threshold": 2}
    with harness(tmp_path, GRAPH, INSTANCES, ("svc", "client"), monkeypatch) as h:
        h.pause("/vm1/c1", "start", 30)

        async def first() -> None:
            async with h.session(**settings) as s:
                deploying = asyncio.create_task(s.deploy(h.plan()))
                # killed while c1's start runs and nothing else on that machine does (a recipe killed
                # just after it ended, before its agent recorded it, would rightly run again)
                await _until(lambda: ("/vm1/c1", "start", "begin") in h.calls(), timeout=30)
                await _until(lambda: ("/vm1/svc", "start", "end") in h.calls(), timeout=30)
                await asyncio.sleep(0.3)
                store_pids = dict(agent_pids_by_path(h.state))
                pid, _ = store_pids["/vm1"]
                os.kill(pid, signal.SIGKILL)
                summary = await asyncio.wait_for(deploying, 30)
                assert summary.states["/vm1"] == "PROBLEM"  # its heartbeats stopped
                assert summary.states["/vm2/c1"] == summary.states["/vm2/c2"] == "DEPLOYED_STARTED"

        try:
            run(first(), timeout=60)
            lost = {r["path"]: r["lost"] for r in read_status(h.state)}
            assert lost["/vm1/c1"] and lost["/vm1/svc"] and not lost["/vm2/c1"]
            (h.ctl / "vm1_c1.start.sleep").unlink()

            async def second() -> dict[str, str]:
                async with h.session(**settings) as s:
                    return (await s.deploy(h.plan())).states

            states = run(second(), timeout=60)
            assert set(states.values()) == {"DEPLOYED_STARTED"}
        finally:
            kill_agents(h.state)
        ended = Counter((p, s) for p, s, phase in h.calls() if phase == "end" and not s.startswith("update"))
        assert [k for k, n in ended.items() if n > 1] == []
        begun = Counter((p, s) for p, s, phase in h.calls() if phase == "begin")
        assert begun[("/vm1/c1", "start")] == 2  # interrupted, so run again; everything else once
        assert ended[("/vm1/c1", "start")] == ended[("/vm1/svc", "start")] == 1
        status = {r["path"]: r for r in read_status(h.state)}
        assert not any(r["lost"] for r in status.values())


def agent_pids_by_path(state: Path) -> list[tuple[str, tuple[int, str]]]:
    store = Store(state)
    try:
        out = []
        for r in store.instances():
            mid = r.data.get("machine.id")
            if r.scoped and r.data.get("target.handler") == "process" and mid:
                pid, ticks, _ = parse_id(mid)
                out.append((r.path, (pid, ticks)))
        return out
    finally:
        store.close()


def test_the_broker_refuses_an_agent_listening_to_another_machine(caplog) -> None:
    async def go() -> None:
        broker = WebSocketBus()
        await broker.start()
        broker.allow("/vm1 @ App", "t")
        try:
            agent, inbox = await _broker_and_client(broker, "t")
            other = Context("AGENTS", "App", "machine.vm2")
            await agent.subscribe(agent.owner, other)
            await asyncio.wait_for(agent.connected.wait(), 5)
            await asyncio.sleep(0.1)
            await broker.publish(other, {"type": "ChangeInstanceState"})
            await asyncio.sleep(0.2)
            assert inbox.empty()
            await agent.close()
        finally:
            await broker.close()

    with caplog.at_level(logging.WARNING, logger="rbcc.runtime.bus_websocket"):
        run(go())
    assert any("not allowed" in r.getMessage() for r in caplog.records)


def test_plan_targets_choose_the_handler(tmp_path: Path) -> None:
    from rbcc.runtime.plan import load_plan
    from rbcc.runtime.settings import Settings
    from rbcc.runtime.targets.registry import choose_target

    app = Path(__file__).resolve().parents[2] / "examples" / "storm"
    plan = load_plan(app)
    vm = next(i for i in plan.instances if i.scoped)
    assert {t.id for t in vm.targets} == {"storm-on-docker", "storm-in-memory"}
    assert choose_target(vm, Settings()).handler == "local"  # in-memory = local, docker only when chosen
    chosen = choose_target(vm, Settings(targets=("storm-on-docker",)))
    assert chosen.handler == "docker" and chosen.properties["handler"] == "docker"
    assert choose_target(vm, Settings(handler="process")).handler == "process"
    assert json.loads(json.dumps(vm.to_json()))["targets"][0]["file"].startswith("graph/vm/")


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_a_remote_agent_started_by_hand_is_assigned_a_machine_and_reset_on_undeploy(
    tmp_path: Path, monkeypatch
) -> None:
    import subprocess
    import sys

    one_machine = INSTANCES.split("instance of vm {\n  name: vm2;")[0]
    with harness(tmp_path, GRAPH, one_machine, ("svc", "client"), monkeypatch) as h:
        (h.app / "graph" / "vm").mkdir(parents=True, exist_ok=True)
        (h.app / "graph" / "vm" / "remote.target.properties").write_text(
            "id = by-hand\nhandler = remote\nremote.pool = tok-1234\nremote.wait = 20\n"
        )
        big = os.urandom(1536 * 1024)
        (h.app / "graph" / "svc" / "files").mkdir()
        (h.app / "graph" / "svc" / "files" / "big.bin").write_bytes(big)
        port = _free_port()
        work = tmp_path / "remote-host"
        url = f"ws://127.0.0.1:{port}/rbcc/bus"
        agent = subprocess.Popen(
            [sys.executable, "-m", "rbcc.cli", "agent", "--dm", url, "--token", "tok-1234", "--work-dir", str(work)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
            start_new_session=True,
        )
        settings = {"targets": ("by-hand",), "bus_port": port, "agent_boot_timeout": 20.0}
        try:

            async def go() -> tuple[dict[str, str], dict[str, str]]:
                async with h.session(**settings) as s:
                    deployed = (await s.deploy(h.plan())).states
                    assert (work / "user-data.properties").is_file()
                    # more than 1 MiB of recipes' files: fetched by reference, intact
                    assert (work / "app" / "graph" / "svc" / "files" / "big.bin").read_bytes() == big
                # a new session: the agent comes back with the identity it kept, and is reset
                async with h.session(**settings) as s:
                    assert s.manager.items["/vm1"].state.value == "DEPLOYED_STARTED"
                    undeployed = (await s.undeploy([])).states
                return deployed, undeployed

            deployed, undeployed = run(go(), timeout=60)
            assert set(deployed.values()) == {"DEPLOYED_STARTED"}
            assert set(undeployed.values()) == {"NOT_DEPLOYED"}
            # the recipes ran from the remote agent's own copy of the application
            assert h.cwd("/vm1/svc", "start").startswith(str(work / "agents"))
            # and what they printed came back to the manager, where `rbcc logs` reads it
            for step in ("deploy", "start", "stop", "undeploy"):
                shipped = (h.state / "logs" / "vm1_svc" / f"{step}.log").read_text()
                assert shipped.startswith(f"=== {step} ") and shipped.count(str(work)) == 1, (
                    step
                )  # the remote run, once
            assert per_instance(h)["/vm1/c1"] == [
                f"{s}|{p}" for s in ("deploy", "start", "stop", "undeploy") for p in ("begin", "end")
            ]
            assert not (work / "user-data.properties").exists()  # reset: back in the pool
            assert agent.poll() is None
            agent.send_signal(signal.SIGTERM)
            assert agent.wait(timeout=10) == 0
        finally:
            if agent.poll() is None:
                agent.kill()
                agent.wait()


def test_process_agents_outlive_a_killed_manager_and_the_next_deploy_finds_them(tmp_path: Path) -> None:
    agents_outlive_a_killed_manager(tmp_path, ("--handler", "process"), ())


def agents_outlive_a_killed_manager(tmp_path: Path, first_args: tuple[str, ...], bus_args: tuple[str, ...]) -> None:
    """``rbcc deploy`` SIGKILLed mid-step; its agents finish the step; the next deploy (``bus_args``) finds
    them, waits for them while busy, converges without running a step twice; undeploy ends them."""
    import subprocess
    import sys

    from tests.runtime.apps import write_app

    app = write_app(tmp_path / "app", GRAPH, INSTANCES, scripted=("svc", "client"))
    log, ctl, state = tmp_path / "calls.log", tmp_path / "ctl", tmp_path / "state"
    ctl.mkdir()
    env = dict(os.environ, RBCC_TEST_LOG=str(log), RBCC_TEST_CTL=str(ctl))
    (ctl / "vm2_c2.start.sleep").write_text("1.5")
    common = ("--state-dir", str(state), "--json")

    def rbcc(*args: str) -> subprocess.Popen[str]:
        return subprocess.Popen(
            [sys.executable, "-m", "rbcc.cli", *args],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            start_new_session=True,
        )

    def calls() -> list[tuple[str, str, str]]:
        return [tuple(x.split("|")) for x in log.read_text().splitlines()] if log.exists() else []  # type: ignore[misc]

    try:
        first = rbcc("deploy", str(app), *first_args, *bus_args, *common)
        deadline = time.monotonic() + 30
        while ("/vm2/c2", "start", "begin") not in calls() and time.monotonic() < deadline:
            time.sleep(0.02)
        os.killpg(first.pid, signal.SIGKILL)
        first.communicate()
        # the agent of /vm2 runs on without its manager and finishes the step
        deadline = time.monotonic() + 10
        while ("/vm2/c2", "start", "end") not in calls() and time.monotonic() < deadline:
            time.sleep(0.02)
        assert ("/vm2/c2", "start", "end") in calls()
        assert len(agent_pids(state)) == 3 and all(start_time(p) == t for p, t in agent_pids(state))

        second = rbcc("deploy", str(app), *bus_args, *common)  # the recorded handlers: no --handler needed
        try:
            out, err = second.communicate(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(second.pid, signal.SIGKILL)
            out, err = second.communicate()
            logs = {p.parent.name: p.read_text()[-3000:] for p in (state / "machines").glob("*/agent.log")}
            raise AssertionError(f"the second deploy hung:\n{out[-5000:]}\n{err[-3000:]}\n{logs}") from None
        assert second.returncode == 0, err
        assert json.loads(out.strip().splitlines()[-1])["ok"]
        ended = Counter((p, s) for p, s, phase in calls() if phase == "end")
        assert [k for k, n in ended.items() if n > 1 and not k[1].startswith("update")] == []

        status = subprocess.run(
            [sys.executable, "-m", "rbcc.cli", "status", str(app), "--state-dir", str(state), "--json"],
            capture_output=True,
            text=True,
            check=True,
        )
        assert {r["state"] for r in json.loads(status.stdout)["instances"]} == {"DEPLOYED_STARTED"}
        pids = agent_pids(state)
        third = rbcc("undeploy", str(app), *bus_args, *common)
        _, err = third.communicate(timeout=60)
        assert third.returncode == 0, err
        assert all(start_time(p) != t for p, t in pids)  # terminated
    finally:
        kill_agents(state)


def test_rbcc_agent_with_a_wrong_token_is_refused_and_the_broker_logs_it(tmp_path: Path, monkeypatch, caplog) -> None:
    from rbcc.runtime import user_data as ud
    from rbcc.runtime.targets.process import agent_command

    one_machine = INSTANCES.split("instance of vm {\n  name: vm2;")[0]
    with harness(tmp_path, GRAPH, one_machine, ("svc", "client"), monkeypatch) as h:

        async def go() -> tuple[int, str, list[str], list[tuple[str, str, str]]]:
            async with h.session(handler="process", agent_boot_timeout=20.0) as s:
                await s.deploy(h.plan())
                before = h.calls()
                good = ud.read(h.state / "machines" / "vm1" / "user-data.properties")
                bad = tmp_path / "bad.properties"
                ud.write(bad, {**good, "rbcc.token": "not-the-token", "rbcc.state.dir": str(tmp_path / "elsewhere")})
                proc = await asyncio.create_subprocess_exec(
                    *agent_command(bad), stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE
                )
                _, err = await asyncio.wait_for(proc.communicate(), 20)
                # the refused identity got nothing: no model, no request, no recipe ran for it
                assert h.calls() == before and not (tmp_path / "elsewhere" / "agents").exists()
                refused = list(s.bus.refused)  # type: ignore[attr-defined]
                await s.undeploy([])
                return proc.returncode or 0, err.decode(), refused, h.calls()

        with caplog.at_level(logging.WARNING, logger="rbcc.runtime.bus_websocket"):
            try:
                code, err, refused, _ = run(go(), timeout=60)
            finally:
                kill_agents(h.state)
    assert code == 2 and "refused this agent's token" in err
    assert refused == ["/vm1 @ Test"]
    assert any("bad token" in r.getMessage() for r in caplog.records)


def test_process_agents_deploy_over_tls(tmp_path: Path, monkeypatch) -> None:
    cert, key = _self_signed(tmp_path)
    with harness(tmp_path, GRAPH, INSTANCES, ("svc", "client"), monkeypatch) as h:
        settings = {"handler": "process", "tls_cert": cert, "tls_key": key, "agent_boot_timeout": 20.0}

        async def go() -> tuple[dict[str, str], dict[str, str], str]:
            async with h.session(**settings) as s:
                url = s.bus.url  # type: ignore[attr-defined]
                deployed = (await s.deploy(h.plan())).states
                return deployed, (await s.undeploy([])).states, url

        try:
            deployed, undeployed, url = run(go(), timeout=60)
        finally:
            kill_agents(h.state)
    assert url.startswith("wss://127.0.0.1:")
    assert set(deployed.values()) == {"DEPLOYED_STARTED"} and set(undeployed.values()) == {"NOT_DEPLOYED"}


def test_an_agent_stopped_by_sigterm_says_machine_down_and_the_next_deploy_makes_a_new_machine(
    tmp_path: Path, monkeypatch
) -> None:
    with harness(tmp_path, GRAPH, INSTANCES, ("svc", "client"), monkeypatch) as h:

        async def go() -> None:
            async with h.session(handler="process", agent_boot_timeout=20.0) as s:
                await s.deploy(h.plan())
                pid, _ = dict(agent_pids_by_path(h.state))["/vm3"]
                os.kill(pid, signal.SIGTERM)
                items = s.manager.items
                await _until(lambda: items["/vm3"].state.value == "NOT_DEPLOYED", timeout=15)
                await s.settle()
                assert items["/vm3/svc"].state.value == "NOT_DEPLOYED"
                # its export is gone from the consumers; /vm1/svc still provides
                assert [r["instance_path"] for r in items["/vm2/c1"].imports.get("svc", [])] == ["/vm1/svc"]
                assert items["/vm2/c1"].state.value == "DEPLOYED_STARTED"
                again = await s.deploy(h.plan())
                assert set(again.states.values()) == {"DEPLOYED_STARTED"}
                assert sorted(r["instance_path"] for r in items["/vm2/c1"].imports["svc"]) == ["/vm1/svc", "/vm3/svc"]
                await s.undeploy([])

        try:
            run(go(), timeout=60)
        finally:
            kill_agents(h.state)
        starts = Counter(p for p, s, phase in h.calls() if s == "start" and phase == "end")
        assert starts["/vm3/svc"] == 2 and starts["/vm2/c1"] == 1  # a new machine; the others untouched


def test_a_process_agent_that_dies_while_booting_puts_its_machine_in_problem_at_once(
    tmp_path: Path, monkeypatch
) -> None:
    import sys

    from rbcc.runtime.targets import process

    monkeypatch.setattr(process, "agent_command", lambda _: [sys.executable, "-c", "import time; time.sleep(0.3)"])
    one_machine = INSTANCES.split("instance of vm {\n  name: vm2;")[0]
    with harness(tmp_path, GRAPH, one_machine, ("svc", "client"), monkeypatch) as h:

        async def go() -> tuple[dict[str, str], Any]:
            async with h.session(handler="process") as s:  # agent_boot_timeout: 300 s
                summary = await s.deploy(h.plan())
                return summary.states, summary.problems

        started = time.monotonic()
        states, problems = run(go(), timeout=30)
    assert time.monotonic() - started < 10
    assert states["/vm1"] == "PROBLEM" and problems["/vm1"] == "its agent exited before its first heartbeat"
    assert h.calls() == []


def test_the_manager_believes_an_agent_only_about_its_own_machine(tmp_path: Path, monkeypatch, caplog) -> None:
    from rbcc.runtime import user_data as ud

    with harness(tmp_path, GRAPH, INSTANCES, ("svc", "client"), monkeypatch) as h:

        async def go() -> None:
            async with h.session(handler="process", agent_boot_timeout=20.0) as s:
                await s.deploy(h.plan())
                good = ud.read(h.state / "machines" / "vm1" / "user-data.properties")
                # vm1's own token, so the broker lets it in; what it says about vm2 is not believed
                liar = WebSocketClientBus("/vm1 @ Test", good["rbcc.token"], lambda: good["rbcc.dm.url"])
                await liar.start()
                await asyncio.wait_for(liar.connected.wait(), 5)
                lie = {"type": "InstanceChanged", "application": "Test", "new_status": "PROBLEM", "new_imports": {}}
                await liar.publish(dm_context("Test"), {**lie, "instance_path": "/vm2/c1"})
                await liar.publish(dm_context("Test"), {**lie, "instance_path": "/vm1/c1", "new_status": "UNRESOLVED"})
                items = s.manager.items
                await _until(lambda: items["/vm1/c1"].state.value == "UNRESOLVED")
                assert items["/vm2/c1"].state.value == "DEPLOYED_STARTED"
                await liar.close()
                await s.undeploy([])

        with caplog.at_level(logging.WARNING, logger="rbcc.runtime.manager"):
            try:
                run(go(), timeout=60)
            finally:
                kill_agents(h.state)
    assert any("not its machine" in r.getMessage() for r in caplog.records)


def test_a_client_keeps_reconnecting_through_a_broker_that_hangs_up_during_the_handshake() -> None:
    async def go() -> None:
        async def hang_up(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            writer.close()  # what a broker shutting down does to a connection it had just accepted

        fake = await asyncio.start_server(hang_up, "127.0.0.1", 0)
        port = int(fake.sockets[0].getsockname()[1])
        client = WebSocketClientBus("/vm1 @ App", "t", lambda: f"ws://127.0.0.1:{port}/rbcc/bus")
        await client.start()
        await asyncio.sleep(0.3)  # several attempts refused by the handshake
        fake.close()
        await fake.wait_closed()
        broker = WebSocketBus(port=port)
        broker.allow("/vm1 @ App", "t")
        await broker.start()
        try:
            await asyncio.wait_for(client.connected.wait(), 5)
            assert broker.connected("/vm1 @ App")
        finally:
            await client.close()
            await broker.close()

    run(go(), timeout=20)


def test_a_new_process_machine_stops_the_orphan_a_crash_left_before_its_id_was_recorded(
    tmp_path: Path, monkeypatch
) -> None:
    import sys

    from rbcc.runtime.targets import process
    from rbcc.runtime.targets.base import MachineRequest

    monkeypatch.setattr(process, "agent_command", lambda _: [sys.executable, "-c", "import time; time.sleep(30)"])
    handler = process.ProcessHandler(tmp_path, dict(os.environ))
    request = MachineRequest("App", "/vm 1", {"handler": "process"}, {"rbcc.token": "t"}, tmp_path)

    async def go() -> tuple[str, str]:
        first = await handler.create_machine(request)  # the manager "crashed" before storing it
        second = await handler.create_machine(request)
        return first, second

    first, second = run(go(), timeout=30)
    try:
        assert not run(handler.is_machine_running(first))
        assert run(handler.is_machine_running(second))
        assert (tmp_path / "machines" / "vm_1" / "user-data.properties").stat().st_mode & 0o777 == 0o600
    finally:
        run(handler.terminate_machine(second))
    assert not run(handler.is_machine_running(second)) and not (tmp_path / "machines" / "vm_1").exists()


def test_blobs_are_served_to_token_holders_only() -> None:

    from rbcc.errors import RbccError
    from rbcc.runtime.bus_websocket import fetch_blob

    async def go() -> None:
        broker = WebSocketBus()
        await broker.start()
        broker.allow("/vm1 @ App", "t")
        digest = broker.add_blob(b"recipes" * 1000)
        try:
            url = broker.url
            got = await asyncio.to_thread(fetch_blob, url, digest, "t")
            assert got == b"recipes" * 1000
            for token in ("", "wrong"):
                with pytest.raises(RbccError, match="401"):
                    await asyncio.to_thread(fetch_blob, url, digest, token)
            with pytest.raises(RbccError, match="404"):
                await asyncio.to_thread(fetch_blob, url, "0" * 64, "t")
        finally:
            await broker.close()

    run(go())


def test_a_new_sessions_broker_admits_recorded_agents_before_it_listens(tmp_path: Path) -> None:
    """An agent that outlived the last session reconnects the moment the port opens: it must not be
    refused because the session has not restored its machine yet."""
    from rbcc.runtime.bus_factory import open_bus
    from rbcc.runtime.settings import Settings

    store = Store(tmp_path)
    with store.transaction() as tx:
        tx.set_meta("application", "App")
        tx.put_token("/vm1", "recorded")

    async def go() -> None:
        broker = await open_bus(Settings(bus="websocket"), store)
        assert isinstance(broker, WebSocketBus)
        try:
            agent, inbox = await _broker_and_client(broker, "recorded")
            await broker.publish(CTX, {"type": "Echo", "n": 2})
            assert (await asyncio.wait_for(inbox.get(), 5))["n"] == 2
            assert broker.refused == []
            await agent.close()
        finally:
            await broker.close()

    try:
        run(go())
    finally:
        store.close()
