"""Small applications for the executor's tests, written on the fly, with recipes that log each call.

Every recipe appends ``<path>|<step>|begin`` and ``<path>|<step>|end`` to ``$RBCC_TEST_LOG`` (an update
as ``update:<exporter path>:<status>``), dumps
its environment to ``$RBCC_TEST_ENV/<clean path>.<step>.env`` (NUL-separated), fails when
``$RBCC_TEST_CTL/<clean path>.<step>.fail`` exists, and sleeps ``$RBCC_TEST_SLEEP`` seconds (or the
content of ``$RBCC_TEST_CTL/<clean path>.<step>.sleep``) between the two lines (updates do not
sleep ``$RBCC_TEST_SLEEP``).
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from rbcc.runtime.plan import Plan, load_plan
from rbcc.runtime.session import Session
from rbcc.runtime.settings import Settings

STEPS = ("deploy", "start", "update", "stop", "undeploy")

LOGGING_RECIPE = r"""#!/bin/sh
c=$ROBOCONF_CLEAN_INSTANCE_PATH
what=$ROBOCONF_STEP
if [ "$what" = update ]; then what="update:$ROBOCONF_IMPORT_CHANGED_INSTANCE_PATH:$ROBOCONF_UPDATE_STATUS"; fi
echo "$ROBOCONF_INSTANCE_PATH|$what|begin" >> "$RBCC_TEST_LOG"
if [ -n "${RBCC_TEST_ENV:-}" ]; then env -0 > "$RBCC_TEST_ENV/$c.$ROBOCONF_STEP.env"; pwd > "$RBCC_TEST_ENV/$c.$ROBOCONF_STEP.cwd"; fi
pause=${RBCC_TEST_SLEEP:-0}
if [ "$ROBOCONF_STEP" = update ]; then pause=0; fi
if [ -f "$RBCC_TEST_CTL/$c.$ROBOCONF_STEP.sleep" ]; then pause=$(cat "$RBCC_TEST_CTL/$c.$ROBOCONF_STEP.sleep"); fi
if [ "$pause" != 0 ]; then sleep "$pause"; fi
if [ -f "$RBCC_TEST_CTL/$c.$ROBOCONF_STEP.fail" ]; then echo "failing on purpose"; exit 1; fi
echo "$ROBOCONF_INSTANCE_PATH|$what|end" >> "$RBCC_TEST_LOG"
"""


def write_app(root: Path, graph: str, instances: str, name: str = "Test", scripted: tuple[str, ...] = ()) -> Path:
    """An application directory: ``scripted`` components get the logging recipe for every step."""
    (root / "descriptor").mkdir(parents=True)
    (root / "descriptor" / "application.properties").write_text(
        f"application-name = {name}\napplication-version = 1.0\ndsl-id = roboconf-1.0\ngraph-entry-point = main.graph\n"
        "instance-entry-point = model.instances\n",
        encoding="utf-8",
    )
    (root / "graph").mkdir()
    (root / "graph" / "main.graph").write_text(graph, encoding="utf-8")
    (root / "instances").mkdir()
    (root / "instances" / "model.instances").write_text(instances, encoding="utf-8")
    for component in scripted:
        scripts = root / "graph" / component / "scripts"
        scripts.mkdir(parents=True)
        for step in STEPS:
            (scripts / f"{step}.sh").write_text(LOGGING_RECIPE, encoding="utf-8")
            (scripts / f"{step}.sh").chmod(0o755)
    return root


@dataclass
class Harness:
    """One test application, its state directory and the files its recipes write."""

    app: Path
    state: Path
    log: Path
    env_dir: Path
    ctl: Path

    def plan(self) -> Plan:
        return load_plan(self.app)

    def calls(self) -> list[tuple[str, str, str]]:
        if not self.log.exists():
            return []
        return [tuple(line.split("|")) for line in self.log.read_text().splitlines() if line]  # type: ignore[misc]

    def completed(self) -> list[tuple[str, str]]:
        """``(path, step)`` of every recipe that ended well (updates as ``update``)."""
        return [(p, s.split(":")[0]) for p, s, phase in self.calls() if phase == "end"]

    def env(self, path: str, step: str) -> dict[str, str]:
        from rbcc.compiler.ir.names import clean_path

        raw = (self.env_dir / f"{clean_path(path)}.{step}.env").read_bytes().decode()
        return dict(item.split("=", 1) for item in raw.split("\0") if "=" in item)

    def cwd(self, path: str, step: str) -> str:
        from rbcc.compiler.ir.names import clean_path

        return (self.env_dir / f"{clean_path(path)}.{step}.cwd").read_text().strip()

    def fail(self, path: str, step: str, on: bool = True) -> None:
        from rbcc.compiler.ir.names import clean_path

        f = self.ctl / f"{clean_path(path)}.{step}.fail"
        if on:
            f.touch()
        else:
            f.unlink(missing_ok=True)

    def pause(self, path: str, step: str, seconds: float) -> None:
        from rbcc.compiler.ir.names import clean_path

        (self.ctl / f"{clean_path(path)}.{step}.sleep").write_text(str(seconds))

    def session(self, events: list[dict[str, object]] | None = None, **settings: object) -> Session:
        defaults: dict[str, object] = {"heartbeat_period": 0.2, "max_parallel_steps": 4}
        defaults.update(settings)
        plan = self.plan()
        sink = events.append if events is not None else None
        return Session(plan.application, self.state, Settings(**defaults), on_event=sink, app_dir=plan.app_dir)  # type: ignore[arg-type]


@contextmanager
def harness(tmp: Path, graph: str, instances: str, scripted: tuple[str, ...], monkeypatch: object) -> Iterator[Harness]:
    app = write_app(tmp / "app", graph, instances, scripted=scripted)
    h = Harness(app, tmp / "state", tmp / "calls.log", tmp / "env", tmp / "ctl")
    h.env_dir.mkdir()
    h.ctl.mkdir()
    for key, value in (("RBCC_TEST_LOG", h.log), ("RBCC_TEST_ENV", h.env_dir), ("RBCC_TEST_CTL", h.ctl)):
        monkeypatch.setenv(key, str(value))  # type: ignore[attr-defined]
    yield h


def run(coro: object, timeout: float = 30.0) -> object:
    return asyncio.run(asyncio.wait_for(coro, timeout))  # type: ignore[arg-type]


def states(session: Session) -> dict[str, str]:
    return {p: i.state.value for p, i in session.manager.items.items()}


def env_clean() -> dict[str, str]:
    return dict(os.environ)
