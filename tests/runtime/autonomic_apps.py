"""A small application for the live autonomic tests: a front machine with a load balancer that
imports (optionally) every ``app``, worker machines ``vm <n>`` with one ``app`` each, probes, rules
and commands written by each test.  Recipes log each call (``tests.runtime.apps``)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from rbcc.runtime.session import Session
from tests.runtime.apps import Harness, write_app

GRAPH = """vm {
\tinstaller: target;
\tchildren: app, lb, svc;
}
app {
\tinstaller: script;
\texports: ip, port = 80;
}
lb {
\tinstaller: script;
\timports: app.ip (optional), app.port (optional);
}
svc {
\tinstaller: script;
}
"""

INSTANCES = """instance of vm {
\tname: front;
\tinstance of lb {
\t\tname: lb;
\t}
}
instance of vm {
\tname: vm 1;
\tinstance of app {
\t\tname: app;
\t}
}
"""

SCALE_UP = """define machine = vm $(SMART_INDEX)
create vm as $(machine)
create app as app under /$(machine)
deploy and start all /$(machine)
"""

SCALE_DOWN = """define machine = vm $(EXISTING_INDEX MAX > 1)
undeploy all /$(machine)
delete /$(machine)
"""

#: a service whose start leaves a marker that a "process" would hold: removing it is its death
SVC_RECIPE = r"""#!/bin/sh
echo "$ROBOCONF_INSTANCE_PATH|$ROBOCONF_STEP|begin" >> "$RBCC_TEST_LOG"
case "$ROBOCONF_STEP" in
  start) touch "$RBCC_TEST_CTL/alive" ;;
  stop) rm -f "$RBCC_TEST_CTL/alive" ;;
esac
echo "$ROBOCONF_INSTANCE_PATH|$ROBOCONF_STEP|end" >> "$RBCC_TEST_LOG"
"""


def rule(name: str, event: str, commands: str, options: str = "") -> str:
    return f'rule "{name}"\n{options}\nwhen\n\t{event}\nthen\n\t{commands}\nend\n'


@contextmanager
def autonomic_app(
    tmp: Path,
    monkeypatch: object,
    rules: dict[str, str] | None = None,
    commands: dict[str, str] | None = None,
    probes: dict[str, str] | None = None,
    instances: str = INSTANCES,
) -> Iterator[Harness]:
    """The application, its harness (state, logs, control files), ``{{ ctl }}`` in probes = the control dir."""
    app = write_app(tmp / "app", GRAPH, instances, scripted=("app", "lb"))
    scripts = app / "graph" / "svc" / "scripts"
    scripts.mkdir(parents=True)
    for step in ("deploy", "start", "stop", "undeploy"):
        (scripts / f"{step}.sh").write_text(SVC_RECIPE)
        (scripts / f"{step}.sh").chmod(0o755)
    h = Harness(app, tmp / "state", tmp / "calls.log", tmp / "env", tmp / "ctl")
    h.env_dir.mkdir()
    h.ctl.mkdir()
    for directory, files in (("rules.autonomic", rules), ("commands", commands), ("probes", probes)):
        if files:
            (app / directory).mkdir()
            for name, text in files.items():
                (app / directory / name).write_text(text.replace("{{ ctl }}", str(h.ctl)))
    for key, value in (("RBCC_TEST_LOG", h.log), ("RBCC_TEST_CTL", h.ctl)):
        monkeypatch.setenv(key, str(value))  # type: ignore[attr-defined]
    yield h


async def until(check: Callable[[], bool], timeout: float = 10.0, period: float = 0.02) -> None:
    """Wait until ``check()`` holds (AssertionError after ``timeout`` seconds)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not check():
        if loop.time() > deadline:
            raise AssertionError("the condition did not hold in time")
        await asyncio.sleep(period)


def live(h: Harness, **settings: object) -> Session:
    """A session with autonomic management on: probes every 0.05 s, heartbeats every 0.2 s."""
    defaults: dict[str, object] = {"autonomic": True, "probe_period": 0.05}
    defaults.update(settings)
    return h.session(**defaults)


def counts(session: Session) -> dict[str, int]:
    return session.manager.autonomic.audit.counts()
