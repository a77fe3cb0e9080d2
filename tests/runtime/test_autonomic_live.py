"""Behavioural tests 21 and 22 of runtime.md §9.1 against the live manager: commands and rules.

Commands run through the manager's reactor (``rbcc run-commands`` and rule firings take the same
path); rules get ``Autonomic`` messages as agents send them, on a fake clock.
"""

from __future__ import annotations

import types
from email import message_from_bytes
from pathlib import Path

import pytest

from rbcc.runtime.bus import dm_context
from rbcc.runtime.states import State
from rbcc.runtime.store import Store
from tests.runtime.apps import run
from tests.runtime.autonomic_apps import SCALE_DOWN, SCALE_UP, autonomic_app, rule, until

pytestmark = pytest.mark.slow


def event(name: str, path: str = "/front/lb") -> dict[str, object]:
    return {
        "type": "Autonomic",
        "application": "Test",
        "scoped_instance_path": path.split("/", 2)[1] and "/" + path.split("/")[1],
        "event_name": name,
        "event_info": "test",
        "instance_path": path,
    }


class Clock:
    def __init__(self) -> None:
        self.now = 1_800_000_000.0

    def time(self) -> float:
        return self.now


# ---------------------------------------------------------------------- 21: commands
def test_one_invalid_line_and_nothing_of_the_file_runs(tmp_path: Path, monkeypatch) -> None:
    bad = "create vm as vm9\ncreate app as a under /vm9\ncreate nothing as x\n"
    (tmp_path / "bad.commands").write_text(bad)  # outside the application: rbcc validate never saw it
    with autonomic_app(tmp_path, monkeypatch) as h:

        async def go() -> None:
            async with h.session() as s:
                s.manager.apply_plan(h.plan())
                result = s.enable_autonomic().run_file(tmp_path / "bad.commands")
                assert result.result == "invalid" and "CMD_INEXISTING_COMPONENT" in (result.error or "")
                assert result.location == f"{tmp_path / 'bad.commands'}:3:8"
                assert "/vm9" not in s.manager.items and "/vm9/a" not in s.manager.items

        run(go())
        store = Store(h.state)
        assert [r.path for r in store.instances()] == ["/front", "/front/lb", "/vm 1", "/vm 1/app"]
        store.close()


def test_smart_index_names_the_next_free_machine(tmp_path: Path, monkeypatch) -> None:
    with autonomic_app(tmp_path, monkeypatch, commands={"up.commands": SCALE_UP.replace("deploy and", "# ")}) as h:

        async def go() -> None:
            async with h.session() as s:
                s.manager.apply_plan(h.plan())
                reactor = s.enable_autonomic()
                assert reactor.run("up").result == "ok"
                assert reactor.run("up").result == "ok"
                items = s.manager.items
                assert {"/vm 2", "/vm 2/app", "/vm 3", "/vm 3/app"} <= set(items)
                assert items["/vm 3/app"].spec.exports == {"app.ip": None, "app.port": "80"}
                assert items["/vm 3"].spec.children == ("/vm 3/app",)
                assert items["/vm 3"].state is State.NOT_DEPLOYED

        run(go())


def test_an_unmatched_existing_index_skips_the_lines_that_use_it(tmp_path: Path, monkeypatch) -> None:
    with autonomic_app(tmp_path, monkeypatch, commands={"down.commands": SCALE_DOWN}) as h:

        async def go() -> None:
            async with h.session() as s:
                s.manager.apply_plan(h.plan())
                result = s.enable_autonomic().run("down")
                assert result.result == "ok-with-skipped"
                assert result.skipped == SCALE_DOWN.splitlines()
                assert "/vm 1" in s.manager.items

        run(go())


def test_deleting_a_deployed_instance_waits_until_it_is_not_deployed(tmp_path: Path, monkeypatch) -> None:
    files = {
        "delete.commands": "delete /vm 1\ndelete /front/lb\n",
        "undeploy.commands": "undeploy all /vm 1\nchange status of /front/lb to NOT_DEPLOYED\n",
    }
    with autonomic_app(tmp_path, monkeypatch, commands=files) as h:

        async def go() -> None:
            async with h.session() as s:
                assert (await s.deploy(h.plan())).ok
                reactor = s.enable_autonomic()
                flagged = reactor.run("delete")
                assert flagged.result == "ok" and [c.kind for c in flagged.changes] == ["flagged", "flagged"]
                await s.settle()
                assert s.manager.items["/vm 1/app"].state is State.DEPLOYED_STARTED
                assert s.manager.items["/front/lb"].state is State.DEPLOYED_STARTED
                await s.run_commands(h.app / "commands" / "undeploy.commands")
                await until(lambda: "/vm 1" not in s.manager.items and "/front/lb" not in s.manager.items)
                assert "/front" in s.manager.items
                assert s.manager.agents["/front"].nodes.keys() == {"/front"}

        run(go())
        assert ("/vm 1/app", "undeploy") in h.completed() and ("/front/lb", "undeploy") in h.completed()
        store = Store(h.state)
        assert [r.path for r in store.instances()] == ["/front"]
        store.close()
        assert not (h.state / "agents" / "vm_1").exists()


# ---------------------------------------------------------------------- 22: rules
def rules_app(tmp_path: Path, monkeypatch, options: str, event_name: str = "load-high"):
    return autonomic_app(
        tmp_path,
        monkeypatch,
        rules={"up.drl": rule("up", event_name, "note", options)},
        commands={"note.commands": "append fired into {{ ctl }}/fired.log\n"},
    )


def firings(h) -> int:
    log = h.ctl / "fired.log"
    return len(log.read_text().splitlines()) if log.exists() else 0


def drive(h, monkeypatch, script) -> None:
    """Run ``script(send, clock)``: ``send(name)`` is one Autonomic message, taken by the manager."""
    clock = Clock()
    import rbcc.runtime.autonomic.reactor as reactor_module

    monkeypatch.setattr(reactor_module, "time", types.SimpleNamespace(time=clock.time))

    async def go() -> None:
        async with h.session() as s:
            s.manager.apply_plan(h.plan())
            s.enable_autonomic()

            async def send(name: str, after: float = 0.0) -> None:
                clock.now += after
                await s.bus.publish(dm_context("Test"), event(name))
                await s.settle()

            await script(send, s)

    run(go())


def test_a_rule_fires_once_per_event_record(tmp_path: Path, monkeypatch) -> None:
    with rules_app(tmp_path, monkeypatch, "") as h:

        async def script(send, s) -> None:
            await send("load-high")
            await send("other", 1)
            await send("other", 1)  # the rule is decided again, on the same record: no firing
            assert firings(h) == 1
            await send("load-high", 1)
            assert firings(h) == 2
            assert s.manager.autonomic.audit.counts() == {
                "autonomic_events": 4,
                "rule_firings": 2,
                "command_history": 2,
            }

        drive(h, monkeypatch, script)


def test_the_sleep_period_blocks_firing_again(tmp_path: Path, monkeypatch) -> None:
    with rules_app(tmp_path, monkeypatch, "sleep period is 60s") as h:

        async def script(send, s) -> None:
            await send("load-high")
            for _ in range(5):
                await send("load-high", 10)
            assert firings(h) == 1
            await send("load-high", 15)  # 65 s after the firing
            assert firings(h) == 2

        drive(h, monkeypatch, script)


def test_records_outside_the_time_window_do_not_count(tmp_path: Path, monkeypatch) -> None:
    with rules_app(tmp_path, monkeypatch, "time window is 10s\noccurrences is 2") as h:

        async def script(send, s) -> None:
            await send("load-high")
            await send("load-high", 11)  # the first one is out of the window
            assert firings(h) == 0
            await send("load-high", 5)
            assert firings(h) == 1

        drive(h, monkeypatch, script)


def test_occurrences_is_3_needs_three_records(tmp_path: Path, monkeypatch) -> None:
    with rules_app(tmp_path, monkeypatch, "occurrences is 3") as h:

        async def script(send, s) -> None:
            await send("load-high")
            await send("load-high", 1)
            assert firings(h) == 0
            await send("load-high", 1)
            assert firings(h) == 1

        drive(h, monkeypatch, script)


def test_the_vm_cap_blocks_an_autonomic_create_and_the_manager_goes_on(tmp_path: Path, monkeypatch) -> None:
    up = SCALE_UP.replace("deploy and", "# ")
    files = {"up.commands": up, "note.commands": "append fired into {{ ctl }}/fired.log\n"}
    with autonomic_app(
        tmp_path,
        monkeypatch,
        rules={"up.drl": rule("up", "load-high", "up\nnote")},
        commands=files,
    ) as h:
        clock = Clock()
        import rbcc.runtime.autonomic.reactor as reactor_module

        monkeypatch.setattr(reactor_module, "time", types.SimpleNamespace(time=clock.time))
        cap = (("autonomic.maximum.vm.number", "1"),)

        async def go() -> None:
            async with h.session(preferences=cap) as s:
                s.manager.apply_plan(h.plan())
                reactor = s.enable_autonomic()
                for _ in range(3):
                    clock.now += 1
                    await s.bus.publish(dm_context("Test"), event("load-high"))
                    await s.settle()
                assert "/vm 2" in s.manager.items and "/vm 3" not in s.manager.items
                assert s.manager.items["/vm 2"].data["autonomic"] is True
                assert reactor.counters.failed_commands == 2
                assert reactor.run("up").result == "ok"  # by hand: the cap is for rules only
                assert firings(h) == 3  # the rule's next command ran each time

        run(go())
        store = Store(h.state)
        rows = store.db.execute("SELECT result, details FROM command_history WHERE command = 'up'").fetchall()
        store.close()
        assert [r[0] for r in rows] == ["ok", "failed", "failed", "ok"]
        assert "autonomic VM cap (1 machines) is reached" in rows[1][1]


# ---------------------------------------------------------------------- e-mail
def test_email_goes_through_a_real_smtp_server_with_default_recipients(tmp_path: Path, monkeypatch) -> None:
    from aiosmtpd.controller import Controller
    from aiosmtpd.handlers import Message

    received: list = []

    class Keep(Message):
        def handle_message(self, message) -> None:
            received.append(message)

    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    controller = Controller(Keep(), hostname="127.0.0.1", port=port)
    controller.start()
    try:
        files = {
            "mail.commands": "email dev@example.org with Subject: storm is saturated\\nAll slots are used.@n@Adding one.\n"
        }
        prefs = (
            ("mail.smtp.host", "127.0.0.1"),
            ("mail.smtp.port", str(port)),
            ("mail.from", "rbcc@example.org"),
            ("email.default.recipients", "ops@example.org"),
        )
        with autonomic_app(tmp_path, monkeypatch, commands=files) as h:

            async def go() -> None:
                async with h.session(preferences=prefs) as s:
                    s.manager.apply_plan(h.plan())
                    result = s.enable_autonomic().run("mail")
                    assert result.result == "ok", result.error

            run(go())
            deadline = 50
            while not received and deadline:
                import time

                time.sleep(0.05)
                deadline -= 1
    finally:
        controller.stop()
    assert len(received) == 1
    msg = received[0]
    assert msg["Subject"] == "storm is saturated"
    assert msg["From"] == "rbcc@example.org"
    assert msg["To"] == "dev@example.org, ops@example.org"
    body = message_from_bytes(msg.as_bytes()).get_payload(decode=True).decode()
    assert body.splitlines() == ["All slots are used.", "Adding one."]


def test_an_smtp_failure_fails_the_file_where_it_is(tmp_path: Path, monkeypatch) -> None:
    import socket

    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    files = {
        "mail.commands": "append before into {{ ctl }}/fired.log\nemail a@b.c with hello\nappend after into {{ ctl }}/fired.log\n"
    }
    prefs = (("mail.smtp.host", "127.0.0.1"), ("mail.smtp.port", str(port)))
    with autonomic_app(tmp_path, monkeypatch, commands=files) as h:

        async def go() -> None:
            async with h.session(preferences=prefs) as s:
                s.manager.apply_plan(h.plan())
                result = s.enable_autonomic().run("mail")
                assert result.result == "failed" and "cannot send the e-mail" in (result.error or "")
                assert result.location == "commands/mail.commands:2:1"

        run(go())
        assert (h.ctl / "fired.log").read_text() == "before"


def test_a_restarted_manager_keeps_the_rules_timing_and_the_vm_count(tmp_path: Path, monkeypatch) -> None:
    up = SCALE_UP.replace("deploy and", "# ")
    rules = {
        "up.drl": rule("up", "load-high", "up", "sleep period is 60s"),
        "third.drl": rule("third", "tock", "note", "occurrences is 3"),
    }
    files = {"up.commands": up, "note.commands": "append fired into {{ ctl }}/fired.log\n"}
    with autonomic_app(tmp_path, monkeypatch, rules=rules, commands=files) as h:
        clock = Clock()
        import rbcc.runtime.autonomic.reactor as reactor_module

        monkeypatch.setattr(reactor_module, "time", types.SimpleNamespace(time=clock.time))
        cap = (("autonomic.maximum.vm.number", "2"),)

        async def once(names: list[str], fresh: bool) -> None:
            async with h.session(preferences=cap) as s:
                if fresh:
                    s.manager.apply_plan(h.plan())
                s.enable_autonomic()
                for name in names:
                    clock.now += 1
                    await s.bus.publish(dm_context("Test"), event(name))
                    await s.settle()

        run(once(["load-high", "tock", "tock"], fresh=True))
        run(once(["load-high", "tock"], fresh=False))  # 2 s later: still asleep; the third tock
        assert firings(h) == 1
        clock.now += 120
        run(once(["load-high"], fresh=False))
        clock.now += 120
        run(once(["load-high"], fresh=False))  # the cap (2) counts the machines of earlier sessions
        store = Store(h.state)
        paths = {r.path for r in store.instances()}
        results = [r for (r,) in store.db.execute("SELECT result FROM command_history WHERE command = 'up'")]
        store.close()
        assert {"/vm 2", "/vm 3"} <= paths and "/vm 4" not in paths
        assert results == ["ok", "ok", "failed"]


OVERRIDE = """instance of vm {
\tname: front;
\tinstance of lb {
\t\tname: lb;
\t}
}
instance of vm {
\tname: vm 1;
\tinstance of app {
\t\tname: app;
\t\tport: 81;
\t}
}
"""


def test_replicate_rename_and_associate_act_on_the_live_model(tmp_path: Path, monkeypatch) -> None:
    files = {
        "copy.commands": "replicate /vm 1 as vm 7\nrename /vm 7 as vm 8\nassociate /vm 8 with spare\n"
        "deploy and start all /vm 8\n",
        "bad-target.commands": "associate /vm 1 with nowhere\n",
    }
    with autonomic_app(tmp_path, monkeypatch, commands=files, instances=OVERRIDE) as h:
        (h.app / "graph" / "vm").mkdir()
        (h.app / "graph" / "vm" / "target.properties").write_text("id = spare\nhandler = local\nname = spare\n")

        async def go() -> None:
            async with h.session() as s:
                assert (await s.deploy(h.plan())).ok
                reactor = s.enable_autonomic()
                result = reactor.run("copy")
                assert result.result == "ok", result.error
                items = s.manager.items
                assert "/vm 7" not in items and items["/vm 8"].data["target.id"] == "spare"
                assert items["/vm 8/app"].spec.exports["app.port"] == "81"  # the copied override
                await until(lambda: items["/vm 8/app"].state is State.DEPLOYED_STARTED)
                await until(lambda: len(s.manager.items["/front/lb"].imports["app"]) == 2)
                imports = s.manager.items["/front/lb"].imports["app"]
                assert {i["instance_path"]: i["exported_vars"]["app.port"] for i in imports} == {
                    "/vm 1/app": "81",
                    "/vm 8/app": "81",
                }
                refused = reactor.run("bad-target")
                assert refused.result == "failed" and "no target 'nowhere'" in (refused.error or "")

        run(go())


@pytest.mark.parametrize(("window", "fired"), [(3, 1), (10, 2)])
def test_a_record_older_than_the_time_window_fires_nothing(tmp_path: Path, monkeypatch, window, fired) -> None:
    with rules_app(tmp_path, monkeypatch, f"sleep period is 5s\ntime window is {window}s") as h:

        async def script(send, s) -> None:
            await send("load-high")  # fires
            await send("load-high", 2)  # asleep
            await send("other", 3.5)  # awake again, the record of 2 s is 3.5 s old
            assert firings(h) == fired

        drive(h, monkeypatch, script)


def test_execute_runs_another_file_with_its_own_history(tmp_path: Path, monkeypatch) -> None:
    files = {
        "outer.commands": "append a into {{ ctl }}/out.log\nexecute inner\nappend c into {{ ctl }}/out.log\n",
        "inner.commands": "append b into {{ ctl }}/out.log\n",
        "failing.commands": "execute broken\nappend never into {{ ctl }}/out.log\n",
        "broken.commands": "write x into {{ ctl }}/a-file/x\n",
    }
    with autonomic_app(tmp_path, monkeypatch, commands=files) as h:
        (h.ctl / "a-file").write_text("")

        async def go() -> None:
            async with h.session() as s:
                s.manager.apply_plan(h.plan())
                reactor = s.enable_autonomic()
                assert reactor.run("outer").result == "ok"
                failed = reactor.run("failing")
                assert failed.result == "failed" and failed.error.startswith("execute broken: broken: ")

        run(go())
        assert (h.ctl / "out.log").read_text().splitlines() == ["a", "b", "c"]
        store = Store(h.state)
        rows = store.db.execute("SELECT command, origin, result FROM command_history ORDER BY id").fetchall()
        store.close()
        assert rows == [
            ("inner", "command", "ok"),
            ("outer", "manual", "ok"),
            ("broken", "command", "failed"),
            ("failing", "manual", "failed"),
        ]


def test_deploying_the_plan_again_keeps_what_commands_created(tmp_path: Path, monkeypatch) -> None:
    files = {"more.commands": "create app as extra under /vm 1\ncreate vm as spare\ndeploy and start all /vm 1\n"}
    with autonomic_app(tmp_path, monkeypatch, commands=files) as h:

        async def go() -> None:
            async with h.session() as s:
                assert (await s.deploy(h.plan())).ok
                assert s.enable_autonomic().run("more").result == "ok"
                await s.settle()
                assert s.manager.items["/vm 1/extra"].state is State.DEPLOYED_STARTED
            from rbcc.runtime import plan_changes

            store = Store(h.state)
            changes = plan_changes(h.plan(), store.instances())
            store.close()
            assert [c.path for c in changes.changes if c.action == "remove"] == []
            async with h.session() as s:
                summary = await s.deploy(h.plan())
                assert summary.ok
                assert "/vm 1/extra" in s.manager.subtree("/vm 1") and "/spare" in s.manager.items
                assert s.manager.items["/vm 1/extra"].state is State.DEPLOYED_STARTED

        run(go())


def test_a_deletion_flagged_before_a_restart_happens_after_it(tmp_path: Path, monkeypatch) -> None:
    files = {"delete.commands": "delete /vm 1\n", "undeploy.commands": "undeploy all /vm 1\n"}
    with autonomic_app(tmp_path, monkeypatch, commands=files) as h:

        async def first() -> None:
            async with h.session() as s:
                assert (await s.deploy(h.plan())).ok
                assert [c.kind for c in s.enable_autonomic().run("delete").changes] == ["flagged"]

        async def second() -> None:
            async with h.session() as s:
                assert s.manager.items["/vm 1"].state is State.DEPLOYED_STARTED  # restored, still flagged
                await s.run_commands(h.app / "commands" / "undeploy.commands")
                await until(lambda: "/vm 1" not in s.manager.items)

        run(first())
        run(second())
        store = Store(h.state)
        assert "/vm 1" not in {r.path for r in store.instances()}
        store.close()


def test_email_logs_in_when_the_preferences_say_so(tmp_path: Path, monkeypatch) -> None:
    import socket

    from aiosmtpd.controller import Controller
    from aiosmtpd.handlers import Message
    from aiosmtpd.smtp import AuthResult, LoginPassword

    received: list = []
    logins: list[tuple[bytes, bytes]] = []

    class Keep(Message):
        def handle_message(self, message) -> None:
            received.append(message)

    def authenticator(server, session, envelope, mechanism, data) -> AuthResult:
        if isinstance(data, LoginPassword):
            logins.append((data.login, data.password))
            return AuthResult(success=data.password == b"secret")
        return AuthResult(success=False)

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    controller = Controller(
        Keep(), hostname="127.0.0.1", port=port, authenticator=authenticator, auth_require_tls=False
    )
    controller.start()
    try:
        base = (("mail.smtp.host", "127.0.0.1"), ("mail.smtp.port", str(port)), ("mail.smtp.auth", "true"))
        files = {"mail.commands": "email ops@example.org with ping\n"}
        with autonomic_app(tmp_path, monkeypatch, commands=files) as h:

            async def go() -> None:
                prefs = (*base, ("mail.user", "rbcc"), ("mail.password", "secret"))
                async with h.session(preferences=prefs) as s:
                    s.manager.apply_plan(h.plan())
                    assert s.enable_autonomic().run("mail").result == "ok"

            run(go())
    finally:
        controller.stop()
    assert logins == [(b"rbcc", b"secret")]
    assert len(received) == 1 and received[0]["Subject"] == "Roboconf event"
