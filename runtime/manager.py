"""The deployment manager (runtime.md §§1.2, 1.7, 2, 5.2, 9): the reference model, machines, the outbox.

It owns, per instance, the model the agents get, the state the agents report, the desired state
users asked for, the imports reported, the data of machines and the last problem.  It takes no
part in import resolution (agents exchange exports directly).  Agent messages are handled one at a
time; each transition is one store transaction committed before anything is sent.

Machines use the ``local`` target handler (runtime.md §9): the agent is a task of this process,
its directory ``state/agents/<clean path>/``; terminating one cascades stop and undeploy, deepest
first.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from rbcc.runtime import messages as m
from rbcc.runtime.agent import Agent, AgentHost
from rbcc.runtime.bus import Message, agent_context, dm_context, importers_context
from rbcc.runtime.plan import Plan, PlanInstance
from rbcc.runtime.ports import PortAllocator
from rbcc.runtime.states import REQUESTABLE, State
from rbcc.runtime.store import InstanceRecord, Store

log = logging.getLogger("rbcc.runtime.manager")

EventSink = Callable[[dict[str, Any]], None]
MACHINE_DATA = ("ip.address", "machine.id", "target.acquired", "running.from")


@dataclass
class Managed:
    """The manager's entry for one instance."""

    spec: PlanInstance
    exports: dict[str, str | None]
    position: int
    state: State = State.NOT_DEPLOYED
    desired: State | None = None
    imports: dict[str, Any] = field(default_factory=dict)
    data: dict[str, Any] = field(default_factory=dict)
    last_problem: Any = None
    #: no longer in the plan: undeploy, then forget
    removed: bool = False
    missed: int = 0

    @property
    def path(self) -> str:
        return self.spec.path

    def record(self) -> InstanceRecord:
        return InstanceRecord(
            path=self.path,
            position=self.position,
            component=self.spec.component,
            scoped=self.spec.scoped,
            state=self.state.value,
            desired=self.desired.value if self.desired else None,
            imports=self.imports,
            data=self.data,
            last_problem=self.last_problem,
            model={"spec": self.spec.to_json(), "exports": self.exports, "removed": self.removed},
        )

    @classmethod
    def from_record(cls, r: InstanceRecord) -> Managed:
        item = cls(PlanInstance.from_json(r.model["spec"]), dict(r.model["exports"]), r.position)
        item.state = State(r.state)
        item.desired = State(r.desired) if r.desired else None
        item.imports, item.data, item.last_problem = r.imports, r.data, r.last_problem
        item.removed = bool(r.model.get("removed"))
        return item


class Manager:
    """The deployment manager of one application."""

    def __init__(self, host: AgentHost, store: Store, on_event: EventSink | None = None) -> None:
        self.host = host
        self.app = host.application
        self.bus = host.bus
        self.store = store
        self.settings = host.settings
        self.on_event = on_event or (lambda e: None)
        self.owner = f"DM @ {self.app}"
        self.items: dict[str, Managed] = {}
        self.agents: dict[str, Agent] = {}
        self.ports = PortAllocator(self.settings.forbidden_ports)
        self._tasks: set[asyncio.Task[None]] = set()
        self._main: asyncio.Task[None] | None = None
        self._checks: asyncio.Task[None] | None = None
        self._handling = False
        self._terminating: set[str] = set()
        #: rules and commands (runtime.md §6), when a session enables them: see rbcc.runtime.autonomic.reactor
        self.autonomic: Any = None

    # ------------------------------------------------------------------ life
    async def start(self) -> None:
        await self.bus.subscribe(self.owner, dm_context(self.app))
        self._main = asyncio.create_task(self._loop(), name="manager")
        self._checks = asyncio.create_task(self._heartbeat_checks(), name="heartbeat checks")

    async def stop(self) -> None:
        for agent in list(self.agents.values()):
            await agent.stop()
        for task in (self._main, self._checks, *self._tasks):
            if task is not None:
                task.cancel()
        await asyncio.gather(*(t for t in (self._main, self._checks, *self._tasks) if t), return_exceptions=True)
        await self.bus.close_owner(self.owner)

    def idle(self) -> bool:
        if self._handling or self._tasks or not self.bus.inbox(self.owner).empty():
            return False
        if any(i.state in (State.DEPLOYING, State.UNDEPLOYING) for i in self.items.values() if i.spec.scoped):
            return False
        return all(a.idle() for a in self.agents.values())

    def _emit(self, event: dict[str, Any]) -> None:
        event.setdefault("time", time.time())
        self.on_event(event)

    def _spawn(self, coro: Any) -> None:
        task = asyncio.create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    # ------------------------------------------------------------------ model
    def load(self) -> None:
        """The reference model as the store has it (nothing is sent)."""
        self.items = {r.path: Managed.from_record(r) for r in self.store.instances()}
        self.ports.load(self.store.ports())

    def scoped_of(self, path: str) -> str:
        item = self.items[path]
        while not item.spec.scoped and item.spec.parent is not None:
            item = self.items[item.spec.parent]
        return item.path

    def subtree(self, path: str) -> list[str]:
        """``path`` and its descendants, parents first (breadth-first)."""
        out = [path]
        i = 0
        while i < len(out):
            out.extend(c for c in self.items[out[i]].spec.children if c in self.items)
            i += 1
        return out

    def apply_plan(self, plan: Plan) -> dict[str, list[str]]:
        """Record ``plan`` as the reference model (one transaction): new, changed and removed instances."""
        added, changed, removed = [], [], []
        known = dict(self.items)
        with self.store.transaction() as tx:
            for position, spec in enumerate(plan.instances):
                item = known.get(spec.path)
                agent = plan.scoped_of(spec.path)
                exports = self.ports.resolve(spec, agent, tx)
                if item is None:
                    item = Managed(spec, exports, position)
                    self.items[spec.path] = item
                    added.append(spec.path)
                else:
                    spec = _keep_created_children(spec, item, known)
                    if item.spec.to_json() != spec.to_json() or item.exports != exports or item.removed:
                        changed.append(spec.path)
                    item.spec, item.exports, item.position, item.removed = spec, exports, position, False
                tx.put_instance(item.record())
            for path, item in known.items():
                if path not in plan.by_path and not item.removed and not item.data.get("created.by.command"):
                    item.removed = True
                    removed.append(path)
                    tx.put_instance(item.record())
            tx.event("plan", None, {"added": added, "changed": changed, "removed": removed})
        # children lists of removed instances' parents stay in their stored spec until they go
        for path in changed + added:
            scoped = self.scoped_of(path)
            if scoped in self.agents and path != scoped:
                self._queue(scoped, {"type": "AddInstance", "application": self.app, "model": self._node(path)})
        for scoped in {self.scoped_of(p) for p in changed + added}:
            self._flush(scoped)
        return {"added": added, "changed": changed, "removed": removed}

    def _node(self, path: str) -> dict[str, Any]:
        item = self.items[path]
        return {"spec": item.spec.to_json(), "exports": item.exports, "state": State.NOT_DEPLOYED.value, "imports": {}}

    def agent_model(self, scoped: str) -> list[dict[str, Any]]:
        """The subtree a machine's agent gets: nested scoped instances are cut off (their own agents)."""
        out = []
        queue = [scoped]
        while queue:
            path = queue.pop(0)
            out.append(self._node(path))
            for child in self.items[path].spec.children:
                if child in self.items and not self.items[child].spec.scoped:
                    queue.append(child)
        return out

    # ------------------------------------------------------------------ requests
    def set_desired(self, paths: list[str], state: State) -> None:
        with self.store.transaction() as tx:
            for p in paths:
                self.items[p].desired = state
                tx.put_instance(self.items[p].record())

    def request(self, path: str, state: State) -> None:
        """A DM request (runtime.md §1.2): forwarded to the agent, or a machine operation (§1.7)."""
        if state not in REQUESTABLE:
            raise ValueError(f"{state.value} cannot be requested")
        item = self.items[path]
        if item.spec.scoped:
            self._machine_request(item, state)
            return
        scoped = self.scoped_of(path)
        self._queue(scoped, m.change_instance_state(self.app, path, state.value))
        self._flush(scoped)

    def deploy_and_start_all(self, path: str) -> None:
        """Breadth-first over the subtree, parents first, requesting DEPLOYED_STARTED (one transaction)."""
        paths = [p for p in self.subtree(path) if not self.items[p].removed]
        with self.store.transaction() as tx:
            for p in paths:
                self.items[p].desired = State.DEPLOYED_STARTED
                tx.put_instance(self.items[p].record())
                if not self.items[p].spec.scoped:
                    tx.enqueue(self.scoped_of(p), m.change_instance_state(self.app, p, State.DEPLOYED_STARTED.value))
        for p in paths:
            if self.items[p].spec.scoped:
                self._machine_request(self.items[p], State.DEPLOYED_STARTED)
        for scoped in sorted({self.scoped_of(p) for p in paths}):
            self._flush(scoped)

    def stop_all(self, path: str) -> None:
        """STOPPED for ``path``, or for each direct child when it is scoped (§1.2)."""
        item = self.items[path]
        targets = [c for c in item.spec.children if c in self.items] if item.spec.scoped else [path]
        self.set_desired(
            [p for t in targets for p in self.subtree(t) if not self.items[p].spec.scoped], State.DEPLOYED_STOPPED
        )
        for t in targets:
            if not self.items[t].spec.scoped:
                self.request(t, State.DEPLOYED_STOPPED)

    def undeploy_all(self, path: str) -> None:
        self.set_desired(self.subtree(path), State.NOT_DEPLOYED)
        self.request(path, State.NOT_DEPLOYED)

    def _queue(self, machine: str, msg: Message) -> None:
        with self.store.transaction() as tx:
            tx.enqueue(machine, msg)

    def _flush(self, machine: str) -> None:
        """Send the machine's outbox, in order, while its agent can receive it."""
        item = self.items.get(machine)
        agent = self.agents.get(machine)
        if item is None or agent is None:
            return
        if item.state is not State.DEPLOYED_STARTED and machine not in self._terminating:
            return
        rows = self.store.outbox(machine)
        if not rows:
            return
        ctx = agent_context(self.app, machine)
        for _, msg in rows:
            self.bus.inbox(agent.owner)  # the agent exists: its inbox too
            self._spawn(self.bus.publish(ctx, msg))
        with self.store.transaction() as tx:
            tx.drop_outbox(machine, rows[-1][0])

    # ------------------------------------------------------------------ machines
    def _machine_request(self, item: Managed, state: State) -> None:
        if state is State.DEPLOYED_STARTED and item.state is State.NOT_DEPLOYED:
            if item.data.get("target.acquired") or item.data.get("machine.id"):
                return
            self._set_state(item, State.DEPLOYING, data={"target.acquired": True})
            self._spawn(self._create_machine(item))
        elif state is State.NOT_DEPLOYED and item.state in (
            State.DEPLOYED_STARTED,
            State.DEPLOYING,
            State.STARTING,
            State.PROBLEM,
        ):
            if item.path not in self._terminating:
                self._terminating.add(item.path)
                self._spawn(self._terminate(item))
        elif state is not item.state and not (state is State.DEPLOYED_STARTED and item.state is State.DEPLOYING):
            log.warning("%s: %s requested on a machine in %s: ignored", item.path, state.value, item.state.value)

    async def _create_machine(self, item: Managed) -> None:
        agent = Agent(self.host, item.path)
        self.agents[item.path] = agent
        self._set_state(item, item.state, data={"machine.id": f"local:{item.path}"})
        await agent.start()

    def restore_agent(self, item: Managed) -> bool:
        """A local machine recorded as running: its agent is restored from its file (False: there is none)."""
        agent = Agent(self.host, item.path)
        if not agent.restore():
            return False
        self.agents[item.path] = agent
        return True

    async def start_restored(self) -> None:
        for path, agent in self.agents.items():
            await agent.start()
            await self.bus.publish(agent_context(self.app, path), {"type": "Restored", "application": self.app})

    async def _terminate(self, item: Managed) -> None:
        try:
            self._set_state(item, State.UNDEPLOYING)
            nested = [p for p in self.subtree(item.path)[1:] if self.items[p].spec.scoped]
            for p in reversed(nested):
                sub = self.items[p]
                if sub.state is not State.NOT_DEPLOYED and p not in self._terminating:
                    self._terminating.add(p)
                    await self._terminate(sub)
            agent = self.agents.get(item.path)
            if agent is not None:
                for child in item.spec.children:
                    if child in self.items and not self.items[child].spec.scoped:
                        self._queue(item.path, m.change_instance_state(self.app, child, State.NOT_DEPLOYED.value))
                self._flush(item.path)
                quiet = 0
                while quiet < 3:
                    await asyncio.sleep(0.02)
                    quiet = quiet + 1 if agent.idle() and self.bus.inbox(self.owner).empty() else 0
                await agent.stop()
                agent.forget_files()
                self.agents.pop(item.path, None)
            members = [p for p in self.subtree(item.path) if self.scoped_of(p) == item.path]
            for p in reversed(members):
                sub = self.items[p]
                for prefix in sorted({k.split(".", 1)[0] for k in sub.exports if "." in k}):
                    await self.bus.publish(importers_context(self.app, prefix), m.remove_import(self.app, prefix, p))
            with self.store.transaction() as tx:
                for p in members:
                    sub = self.items[p]
                    sub.state = State.NOT_DEPLOYED
                    sub.imports = {}
                    sub.last_problem = None
                    for key in MACHINE_DATA:
                        sub.data.pop(key, None)
                    tx.put_instance(sub.record())
                    tx.event("state", p, {"state": sub.state.value})
                tx.drop_outbox(item.path)
            for p in members:
                self._emit({"event": "state", "path": p, "state": State.NOT_DEPLOYED.value})
            if self.autonomic is not None:
                self.autonomic.after_change()
        finally:
            self._terminating.discard(item.path)

    # ------------------------------------------------------------------ agent messages
    async def _loop(self) -> None:
        inbox = self.bus.inbox(self.owner)
        while True:
            msg = await inbox.get()
            self._handling = True
            try:
                self._handle(msg)
            except Exception:
                log.exception("manager: message %s failed", msg.get("type"))
            finally:
                self._handling = False

    def _handle(self, msg: Message) -> None:
        kind = msg.get("type")
        if kind == "Heartbeat":
            self._on_heartbeat(msg)
        elif kind == "InstanceChanged":
            item = self.items.get(msg["instance_path"])
            if item is None:
                return
            root = self.items.get(self.scoped_of(item.path))
            if root is not None and root.state is State.NOT_DEPLOYED:
                return  # late news from a machine already gone
            before = item.state
            item.state = State(msg["new_status"])
            item.imports = msg.get("new_imports") or {}
            item.last_problem = msg.get("last_problem")
            with self.store.transaction() as tx:
                tx.put_instance(item.record())
                if item.state is not before:
                    tx.event("state", item.path, {"state": item.state.value})
            if item.state is not before:
                self._emit(
                    {"event": "state", "path": item.path, "state": item.state.value, "problem": item.last_problem}
                )
                if self.autonomic is not None:
                    self.autonomic.after_change()
        elif kind == "StepEvent":
            self._emit(
                {
                    "event": "step",
                    "path": msg["instance_path"],
                    "step": msg["step"],
                    "phase": msg["phase"],
                    "exit_code": msg.get("exit_code"),
                }
            )
        elif kind == "Autonomic":
            if self.autonomic is not None:
                self.autonomic.on_autonomic(msg)
        elif kind == "InstanceRemoved":
            path = msg["instance_path"]
            if path in self.items:
                with self.store.transaction() as tx:
                    for p in self.subtree(path):
                        tx.delete_instance(p)
                        self.ports.release(p)
                    tx.event("removed", path)
                for p in self.subtree(path):
                    del self.items[p]
                self._emit({"event": "removed", "path": path})

    def _on_heartbeat(self, msg: Message) -> None:
        path = msg["scoped_instance_path"]
        item = self.items.get(path)
        agent = self.agents.get(path)
        if item is None or agent is None:
            return
        item.missed = 0
        if item.state in (State.DEPLOYING, State.PROBLEM):
            data: dict[str, Any] = {"running.from": time.time()}
            if "ip.address" not in item.data:
                data["ip.address"] = msg.get("ip_address")
            self._set_state(item, State.DEPLOYED_STARTED, data=data)
        if msg.get("model_required"):
            model = self.agent_model(path)
            self._spawn(self.bus.publish(agent_context(self.app, path), m.set_scoped_instance(self.app, path, model)))
        self._flush(path)

    async def _heartbeat_checks(self) -> None:
        while True:
            await asyncio.sleep(self.settings.heartbeat_period)
            for path in list(self.agents):
                item = self.items.get(path)
                if item is None or item.state not in (State.DEPLOYED_STARTED, State.PROBLEM):
                    continue
                item.missed += 1
                if item.missed > self.settings.missed_heartbeats_threshold and item.state is State.DEPLOYED_STARTED:
                    item.last_problem = f"no heartbeat for {item.missed} checks"
                    self._set_state(item, State.PROBLEM)

    def _set_state(self, item: Managed, state: State, data: dict[str, Any] | None = None) -> None:
        with self.store.transaction() as tx:
            item.state = state
            if data:
                item.data.update(data)
            tx.put_instance(item.record())
            tx.event("state", item.path, {"state": state.value})
        self._emit({"event": "state", "path": item.path, "state": state.value})

    def forget_removed(self) -> list[str]:
        """Instances no longer in the plan and fully undeployed: removed from the agents and the model."""
        gone = []
        for path, item in list(self.items.items()):
            if not item.removed or path not in self.items:
                continue
            parent = self.items.get(item.spec.parent) if item.spec.parent else None
            if parent is not None and parent.removed:
                continue  # removed with its parent
            if any(self.items[p].state is not State.NOT_DEPLOYED for p in self.subtree(path)):
                continue
            scoped = self.scoped_of(path)
            if item.spec.scoped or scoped not in self.agents:
                with self.store.transaction() as tx:
                    for p in self.subtree(path):
                        tx.delete_instance(p)
                        self.ports.release(p)
                for p in self.subtree(path):
                    del self.items[p]
            else:
                self._queue(scoped, m.remove_instance(self.app, path))
                self._flush(scoped)
            gone.append(path)
        return gone


def _keep_created_children(spec: PlanInstance, item: Managed, known: dict[str, Managed]) -> PlanInstance:
    """``spec`` with the children commands created under it (the plan does not know them)."""
    extra = tuple(
        c
        for c in item.spec.children
        if c not in spec.children and c in known and known[c].data.get("created.by.command")
    )
    if not extra:
        return spec
    import dataclasses

    return dataclasses.replace(spec, children=(*spec.children, *extra))
