"""Which handler makes a machine (runtime.md §2.1, §9 "Targets"), and the handlers of one session.

A scoped instance's component may carry target files (``graph/<C>/*.properties``, in the plan as
``targets``).  The target used is, in order: one whose ``id`` was chosen (``--target ID``, as a
Roboconf administrator associates a target with an application); else ``--handler NAME`` for every
machine; else the first target file whose ``handler`` is one rbcc's executor runs on this host
without asking (``local``, ``process``, Roboconf's ``in-memory`` = ``local``); else ``local``.  A
``docker`` or ``remote`` target is therefore only used when chosen (docs/deviations.md: Roboconf
needs an explicit association too).
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from pathlib import Path

from rbcc.runtime.agent import AgentHost
from rbcc.runtime.plan import PlanInstance
from rbcc.runtime.settings import Settings
from rbcc.runtime.targets.base import TargetError, TargetHandler
from rbcc.runtime.targets.local import LocalHandler
from rbcc.runtime.targets.process import ProcessHandler

#: Roboconf handler names that mean one of rbcc's
ALIASES = {"in-memory": "local"}
#: handlers used without being chosen explicitly
IMPLICIT = ("local", "process")


@dataclass(frozen=True)
class TargetChoice:
    handler: str
    target_id: str | None
    properties: dict[str, str]


def normalize(handler: str | None) -> str:
    name = (handler or "local").strip().lower()
    return ALIASES.get(name, name)


def choose_target(spec: PlanInstance, settings: Settings) -> TargetChoice:
    for t in spec.targets:
        if t.id is not None and t.id in settings.targets:
            return TargetChoice(normalize(t.handler), t.id, dict(t.properties))
    if settings.handler is not None:
        return TargetChoice(settings.handler, None, {"handler": settings.handler})
    for t in spec.targets:
        if normalize(t.handler) in IMPLICIT:
            return TargetChoice(normalize(t.handler), t.id, dict(t.properties))
    return TargetChoice("local", None, {"handler": "local"})


class Handlers:
    """The target handlers of one session, made on first use."""

    def __init__(self, host: AgentHost) -> None:
        self.host = host
        self.local = LocalHandler(host)
        self._made: dict[str, TargetHandler] = {"local": self.local}

    @property
    def state_dir(self) -> Path:
        return self.host.state_dir

    def get(self, name: str) -> TargetHandler:
        name = normalize(name)
        handler = self._made.get(name)
        if handler is None:
            handler = self._made[name] = self._make(name)
        return handler

    def _make(self, name: str) -> TargetHandler:
        if name == "process":
            return ProcessHandler(self.state_dir, self.host.base_env)
        if name == "remote":
            from rbcc.runtime.targets.remote import RemoteHandler

            return RemoteHandler(self.host.bus)
        if name == "docker":
            try:
                module = importlib.import_module("rbcc.runtime.targets.docker")
            except ImportError as exc:
                raise TargetError(f"the docker target handler is not available in this installation ({exc})") from None
            for value in vars(module).values():
                if (
                    isinstance(value, type)
                    and issubclass(value, TargetHandler)
                    and getattr(value, "name", "") == "docker"
                ):
                    try:
                        return value()
                    except TypeError:
                        return value(self.state_dir)  # type: ignore[call-arg]
            raise TargetError("rbcc.runtime.targets.docker has no handler named docker")
        raise TargetError(f"unknown target handler {name!r} (rbcc runs local, process, docker and remote)")
