"""One run of the executor: the store opened, the manager and its local agents up, work done, all closed.

There is no daemon: each command (``deploy``, ``start``, ``stop``, ``undeploy``) opens a session on
the application's state directory, opens the bus (:mod:`rbcc.runtime.bus_factory`; a WebSocket broker
listens for the session's length), restores the manager from the store and every machine — a local
agent from its ``agent-state.json``, an agent in another process by asking its handler whether it
still runs (a step found in progress is not re-run blindly, see
:meth:`rbcc.runtime.agent.Agent.restore`), re-applies desired states, does its work, waits until
nothing moves any more (:meth:`Session.settle`), and closes.
"""

from __future__ import annotations

import asyncio
import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Any

from rbcc.errors import RbccError
from rbcc.runtime.agent import AgentHost
from rbcc.runtime.bus import Bus
from rbcc.runtime.bus_factory import open_bus
from rbcc.runtime.manager import MACHINE_DATA, EventSink, Manager
from rbcc.runtime.plan import Plan
from rbcc.runtime.settings import Settings
from rbcc.runtime.states import STABLE, State
from rbcc.runtime.store import Store


@dataclass
class Summary:
    """What a session did: final states, failures, durations."""

    states: dict[str, str]
    problems: dict[str, Any]
    seconds: float
    steps: int
    messages: int
    transactions: int
    durations: dict[str, float] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.problems


class Session:
    """Async context manager: ``async with Session(app, state_dir, settings) as s: await s.deploy(plan)``."""

    def __init__(
        self,
        application: str,
        state_dir: Path,
        settings: Settings | None = None,
        on_event: EventSink | None = None,
        app_dir: Path | None = None,
        bus: Bus | None = None,
        plan: Plan | None = None,
    ) -> None:
        self.application = application
        self.state_dir = Path(state_dir).resolve()
        self.settings = settings or Settings()
        self.app_dir = app_dir or Path.cwd()
        self._given_bus = bus
        #: the plan this session is about to apply, when known: where its machines will run (the bus)
        self._plan = plan
        self._sink = on_event
        self.steps = 0
        self._started: dict[tuple[str, str], float] = {}
        self.durations: dict[str, float] = {}
        self.started_at = time.monotonic()

    def _on_event(self, event: dict[str, Any]) -> None:
        if event.get("event") == "step":
            key = (event["path"], event["step"])
            if event["phase"] == "begin":
                self._started[key] = time.monotonic()
            else:
                self.steps += 1
                began = self._started.pop(key, None)
                if began is not None:
                    self.durations[f"{event['path']} {event['step']}"] = time.monotonic() - began
        if self._sink is not None:
            self._sink(event)

    async def __aenter__(self) -> Session:
        self.store = Store(self.state_dir)
        recorded = self.store.meta("application")
        if recorded is not None and recorded != self.application:
            self.store.close()
            raise RbccError(f"{self.state_dir}: holds the state of application {recorded!r}, not {self.application!r}")
        if recorded is None:
            with self.store.transaction() as tx:
                tx.set_meta("application", self.application)
        try:
            if self._given_bus is not None:
                self.bus = self._given_bus
                await self.bus.start()
            else:
                self.bus = await open_bus(self.settings, self.store, self._plan)
        except BaseException:
            self.store.close()
            raise
        host = AgentHost(
            application=self.application,
            bus=self.bus,
            settings=self.settings,
            app_dir=self.app_dir,
            state_dir=self.state_dir,
            pool=asyncio.Semaphore(self.settings.max_parallel_steps),
            base_env=dict(os.environ),
        )
        self.manager = Manager(host, self.store, self._on_event)
        self.manager.load()
        if self.settings.autonomic:
            self.enable_autonomic()
        await self.manager.start()
        await self._restore()
        await self._link_applications()
        if self.manager.agents and self.manager.inter_app is not None:
            await self.settle()  # what the other applications changed meanwhile
        return self

    async def __aexit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        try:
            if self.manager.inter_app is not None:
                await self.manager.inter_app.stop()
            await self.manager.stop()
        finally:
            await self.bus.close()
            self.store.close()

    async def _restore(self) -> None:
        """§2.5 per machine: one recorded as running comes back if its handler finds it (or revives it)."""
        lost = []
        for item in list(self.manager.items.values()):
            if not item.spec.scoped or item.state is State.NOT_DEPLOYED:
                continue
            if not await self.manager.restore_machine(item):
                lost.append(item)
        for item in lost:
            with self.store.transaction() as tx:
                for p in self.manager.subtree(item.path):
                    sub = self.manager.items[p]
                    sub.state, sub.imports = State.NOT_DEPLOYED, {}
                    for key in MACHINE_DATA:
                        sub.data.pop(key, None)
                    tx.put_instance(sub.record())
        for item in self.manager.items.values():
            if item.spec.scoped and item.path in self.manager.agents:
                item.state = State.DEPLOYING  # until the restored agent's first heartbeat
        await self.manager.start_restored()
        if self.manager.agents:
            await self.settle()

    async def settle(self, quiet_checks: int = 3, period: float = 0.01, timeout: float | None = None) -> None:
        """Wait until nothing moves: no message queued, no step running, no machine coming or going."""
        deadline = None if timeout is None else time.monotonic() + timeout
        quiet = 0
        while quiet < quiet_checks:
            await asyncio.sleep(period)
            quiet = quiet + 1 if self.manager.idle() else 0
            if deadline is not None and time.monotonic() > deadline:
                raise TimeoutError("the deployment did not settle")

    # ------------------------------------------------------------------ other applications (§3.5)
    async def _link_applications(self) -> None:
        """The bridge to the other deployments' exports, once this application exports or imports some."""
        prefix, imported = self.manager.exports_prefix(), self.manager.external_prefixes()
        bridge = self.manager.inter_app
        if bridge is not None:
            await bridge.refresh(prefix, imported, self.state_dir)
            return
        if prefix is None and not imported:
            return
        from rbcc.runtime.inter_app import Bridge, Rendezvous, rendezvous_dir

        rendezvous = Rendezvous(rendezvous_dir(self.settings.inter_app_dir))
        bridge = Bridge(self.bus, self.application, rendezvous, self.store, self.settings.inter_app_period)
        self.manager.inter_app = bridge
        started = {p for p, i in self.manager.items.items() if i.state is State.DEPLOYED_STARTED}
        await bridge.start(prefix, imported, self.state_dir, started)

    def bindings(self) -> dict[str, list[str]]:
        """External prefix → the applications it is bound to."""
        return {p: list(v) for p, v in sorted(self.manager.bindings.items())}

    async def bind(self, prefix: str, application: str) -> None:
        """Bind the external ``prefix`` to ``application`` too (Roboconf's ``bind``), then settle."""
        self._check_prefix(prefix)
        from rbcc.runtime.inter_app import Rendezvous, rendezvous_dir

        known = Rendezvous(rendezvous_dir(self.settings.inter_app_dir)).applications()
        other = known.get(application)
        if other is None:
            names = ", ".join(sorted(a for a in known if a != self.application)) or "none"
            raise RbccError(
                f"no application {application!r} is deployed on this machine (deploy it first; known: {names})"
            )
        if other.get("exports_prefix") != prefix:
            exported = other.get("exports_prefix")
            what = f"exports {exported!r}" if exported else "exports nothing to other applications"
            raise RbccError(f"{application!r} {what}, not {prefix!r}")
        current = self.manager.bindings.get(prefix, [])
        if application not in current:
            await self.manager.change_binding(prefix, [*current, application])
        await self.settle()

    async def unbind(self, prefix: str, application: str) -> None:
        """Unbind the external ``prefix`` from ``application``; its imports are withdrawn, then settle."""
        self._check_prefix(prefix)
        current = self.manager.bindings.get(prefix, [])
        if application not in current:
            bound = ", ".join(current) or "no application"
            raise RbccError(f"{prefix!r} is not bound to {application!r} (it is bound to {bound})")
        await self.manager.change_binding(prefix, [a for a in current if a != application])
        await self.settle()

    def unbound_imports(self) -> list[tuple[str, str]]:
        """(instance, external prefix) of every UNRESOLVED instance whose mandatory external prefix is unbound."""
        out = []
        for path, item in self.manager.items.items():
            if item.state is not State.UNRESOLVED:
                continue
            for prefix, spec in sorted(item.spec.external_imports.items()):
                if not spec.optional and not self.manager.bindings.get(prefix):
                    out.append((path, prefix))
        return out

    def _check_prefix(self, prefix: str) -> None:
        known = self.manager.external_prefixes()
        if prefix not in known:
            listed = ", ".join(known) or "none"
            raise RbccError(f"{self.application!r} has no external import {prefix!r} (its external prefixes: {listed})")

    # ------------------------------------------------------------------ autonomic (runtime.md §6)
    def enable_autonomic(self) -> Any:
        """Attach the rules and commands of the application in ``app_dir`` to the manager (once)."""
        from rbcc.runtime.autonomic.session import attach

        return attach(self.manager, self.app_dir, self.settings)

    async def watch(self, stop: asyncio.Event) -> Summary:
        """Keep managing (heartbeats, probes, rules, commands) until ``stop`` is set."""
        self.enable_autonomic()
        await stop.wait()
        return self.summary()

    async def run_commands(self, path: Path) -> Any:
        """Run a commands file against the application (origin ``manual``), then settle."""
        run = self.enable_autonomic().run_file(Path(path))
        await self.settle()
        return run

    # ------------------------------------------------------------------ operations
    async def deploy(self, plan: Plan) -> Summary:
        """Make every instance of ``plan`` DEPLOYED_STARTED; undeploy and forget the ones it no longer has."""
        known = {t.id for i in plan.instances for t in i.targets}
        unknown = [t for t in self.settings.targets if t not in known]
        if unknown:
            ids = ", ".join(sorted(i for i in known if i)) or "none"
            raise RbccError(f"no target file has the id {unknown[0]!r} (the application's targets: {ids})")
        changes = self.manager.apply_plan(plan)
        await self._link_applications()
        for path in changes["removed"]:
            item = self.manager.items[path]
            parent = self.manager.items.get(item.spec.parent) if item.spec.parent else None
            if parent is None or not parent.removed:
                self.manager.undeploy_all(path)
        await self.settle()
        self.manager.forget_removed()
        for inst in plan.instances:
            if inst.parent is None:
                self.manager.deploy_and_start_all(inst.path)
        await self.settle()
        return self.summary()

    def _resolve(self, paths: list[str]) -> list[str]:
        if not paths:
            return [p for p, i in self.manager.items.items() if i.spec.parent is None]
        missing = [p for p in paths if p not in self.manager.items]
        if missing:
            raise RbccError(f"no instance {missing[0]!r} in this deployment")
        return paths

    def _scope(self, paths: list[str]) -> set[str]:
        return {q for p in paths for q in self.manager.subtree(p)}

    async def start(self, paths: list[str]) -> Summary:
        targets = self._resolve(paths)
        for p in targets:
            self.manager.deploy_and_start_all(p)
        await self.settle()
        return self.summary(self._scope(targets))

    async def stop(self, paths: list[str]) -> Summary:
        targets = self._resolve(paths)
        for p in targets:
            self.manager.stop_all(p)
        await self.settle()
        return self.summary(self._scope(targets))

    async def undeploy(self, paths: list[str]) -> Summary:
        targets = self._resolve(paths)
        for p in targets:
            self.manager.undeploy_all(p)
        await self.settle()
        return self.summary(self._scope(targets))

    def summary(self, scope: set[str] | None = None) -> Summary:
        """Final states; problems are PROBLEM instances and, in ``scope`` (default: all), unmet desires."""
        items = self.manager.items
        problems = {p: i.last_problem for p, i in items.items() if i.state is State.PROBLEM}
        for p, i in items.items():
            if scope is not None and p not in scope:
                continue
            if i.desired is not None and i.state is not i.desired and p not in problems and i.state in STABLE:
                problems[p] = f"{i.state.value}, {i.desired.value} wanted"
        return Summary(
            states={p: i.state.value for p, i in items.items()},
            problems=problems,
            seconds=time.monotonic() - self.started_at,
            steps=self.steps,
            messages=sum(self.bus.counts.values()),
            transactions=self.store.transactions,
            durations=dict(self.durations),
        )
