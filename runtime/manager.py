"""The deployment manager (runtime.md §§1.2, 1.7, 2, 5.2, 9): the reference model, machines, the outbox.

It owns, per instance, the model the agents get, the state the agents report, the desired state
users asked for, the imports reported, the data of machines and the last problem.  It takes no
part in import resolution (agents exchange exports directly).  Agent messages are handled one at a
time; each transition is one store transaction committed before anything is sent.

Machines are made by the target handler their target chooses (:mod:`rbcc.runtime.targets.registry`):
``local`` agents are tasks of this process, the others are other processes reached over the
network bus (:mod:`rbcc.runtime.agent_link`).  The machine id a handler returns is recorded before
anything else happens to the machine; terminating one cascades stop and undeploy, deepest first.
"""

from __future__ import annotations

import asyncio
import json
import logging
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from rbcc.runtime import messages as m
from rbcc.runtime import user_data as ud
from rbcc.runtime.agent import Agent, AgentHost, clean_dir_name
from rbcc.runtime.agent_link import AgentLink, BusLink
from rbcc.runtime.bindings import load_bindings, save_binding
from rbcc.runtime.bus import Message, agent_context, dm_context, importers_context, inter_app_importers
from rbcc.runtime.plan import Plan, PlanInstance
from rbcc.runtime.ports import PortAllocator
from rbcc.runtime.probe_waves import ProbeWaves, WaveLink
from rbcc.runtime.states import REQUESTABLE, State
from rbcc.runtime.store import InstanceRecord, Store
from rbcc.runtime.targets.base import MachineRequest, TargetHandler
from rbcc.runtime.targets.registry import Handlers, TargetChoice, choose_target

log = logging.getLogger("rbcc.runtime.manager")

EventSink = Callable[[dict[str, Any]], None]
MACHINE_DATA = ("ip.address", "machine.id", "target.acquired", "running.from", "target.handler", "target.id")
#: agent messages handled together in one store transaction when they wait in the inbox together
BATCHABLE = frozenset({"InstanceChanged", "StepEvent", "Heartbeat"})
BATCH_MAX = 256


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
    #: the stored model and its JSON text, with what they were made of (see :meth:`record`)
    _model: tuple[tuple[Any, ...], dict[str, Any], str] | None = field(default=None, repr=False, compare=False)

    @property
    def path(self) -> str:
        return self.spec.path

    def record(self) -> InstanceRecord:
        key = (self.spec, tuple(self.exports.items()), self.removed)
        cached = self._model
        if cached is None or cached[0] != key:
            model = {"spec": self.spec.to_json(), "exports": dict(self.exports), "removed": self.removed}
            cached = self._model = (key, model, json.dumps(model, ensure_ascii=False))
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
            model=cached[1],
            model_text=cached[2],
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

    def __init__(
        self, host: AgentHost, store: Store, on_event: EventSink | None = None, handlers: Handlers | None = None
    ) -> None:
        self.host = host
        self.app = host.application
        self.bus = host.bus
        self.store = store
        self.settings = host.settings
        self.on_event = on_event or (lambda e: None)
        self.owner = f"DM @ {self.app}"
        self.items: dict[str, Managed] = {}
        self.agents: dict[str, AgentLink] = {}
        self.handlers = handlers or Handlers(host)
        self._deploying_since: dict[str, float] = {}
        self.ports = PortAllocator(self.settings.forbidden_ports)
        self._tasks: set[asyncio.Task[None]] = set()
        self._main: asyncio.Task[None] | None = None
        self._checks: asyncio.Task[None] | None = None
        self._handling = False
        self._terminating: set[str] = set()
        #: while messages are handled together: their events, reported after the commit
        self._deferred: list[dict[str, Any]] | None = None
        #: rules and commands (runtime.md §6), when a session enables them: see rbcc.runtime.autonomic.reactor
        self.autonomic: Any = None
        #: external prefix → the applications it is bound to (runtime.md §3.5, :mod:`rbcc.runtime.bindings`)
        self.bindings: dict[str, list[str]] = {}
        #: the session's link to the other applications' exports (:class:`rbcc.runtime.inter_app.Bridge`)
        self.inter_app: Any = None
        #: over RabbitMQ: how agents in other processes are known idle (:mod:`rbcc.runtime.probe_waves`)
        self.waves: ProbeWaves | None = None
        if callable(getattr(self.bus, "agent_user_data", None)):
            self.waves = ProbeWaves(
                self.app,
                self.bus,
                self._probed,
                lambda: int(getattr(self.bus, "published", 0)),
                local=lambda path: a if isinstance(a := self.agents.get(path), Agent) else None,
                delivered=lambda path: int(getattr(self.bus, "delivered_to", {}).get(self._agent_owner(path), 0)),
            )
            self.bus.owner_control = self._local_probe  # type: ignore[attr-defined]

    # ------------------------------------------------------------------ life
    async def start(self) -> None:
        await self.bus.subscribe(self.owner, dm_context(self.app))
        if hasattr(self.bus, "on_gap"):
            self.bus.on_gap = self._on_gap
        self._main = asyncio.create_task(self._loop(), name="manager")
        self._checks = asyncio.create_task(self._heartbeat_checks(), name="heartbeat checks")

    async def stop(self) -> None:
        for agent in list(self.agents.values()):
            if isinstance(agent, Agent):
                await agent.stop()  # the others outlive the session
        for task in (self._main, self._checks, *self._tasks):
            if task is not None:
                task.cancel()
        await asyncio.gather(*(t for t in (self._main, self._checks, *self._tasks) if t), return_exceptions=True)
        if self.waves is not None:
            await self.waves.close()
        await self.bus.close_owner(self.owner)

    def _probed(self) -> set[str]:
        """The machines the probe waves ask: agents up, or undeploying their instances; none while every
        agent is local (the bus counts their messages in flight)."""
        up = {
            p
            for p in self.agents
            if p in self.items and self.items[p].state in (State.DEPLOYED_STARTED, State.UNDEPLOYING)
        }
        if not any(isinstance(self.agents[p], WaveLink) for p in up):
            return set()
        return {p for p in up if isinstance(self.agents[p], WaveLink | Agent)}

    def _local_probe(self, owner: str, msg: Message) -> bool:
        """A probe taken off a local agent's queue: the waves record it; it never reaches the agent."""
        if msg.get("type") != "Probe":
            return False
        if self.waves is not None and isinstance(msg.get("wave"), str):
            self.waves.local_probe(owner.partition(" @ ")[0], msg["wave"])
        return True

    def idle(self) -> bool:
        if self._handling or self._tasks or not self.bus.inbox(self.owner).empty():
            return False
        if self.inter_app is not None and not self.inter_app.idle():
            return False
        if not all(self._machine_idle(p) for p in list(self.agents)):  # cheap: a busy deployment ends here
            return False
        return not any(i.state in (State.DEPLOYING, State.UNDEPLOYING) for i in self.items.values() if i.spec.scoped)

    def _machine_idle(self, path: str) -> bool:
        """An agent with nothing to do, or one that is lost (its machine in PROBLEM: nothing to wait for)."""
        agent = self.agents.get(path)
        if agent is None or agent.idle():
            return True
        item = self.items.get(path)
        return not isinstance(agent, Agent) and item is not None and item.state is State.PROBLEM

    def _emit(self, event: dict[str, Any]) -> None:
        event.setdefault("time", time.time())
        if self._deferred is not None:
            self._deferred.append(event)  # reported once the transaction is committed
        else:
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
        self.bindings = load_bindings(self.store)

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

    # ------------------------------------------------------------------ other applications (§3.5)
    def exports_prefix(self) -> str | None:
        """The prefix this application's external exports are published under (None: it exports none)."""
        return next((p for i in self.items.values() if (p := i.spec.exports_prefix)), None)

    def external_prefixes(self) -> list[str]:
        """The external prefixes this application's instances import."""
        return sorted({p for i in self.items.values() if not i.removed for p in i.spec.external_imports})

    async def change_binding(self, prefix: str, applications: list[str]) -> None:
        """Bind ``prefix`` to exactly ``applications``: recorded, then ChangeBinding to every agent."""
        names = sorted(set(applications))
        save_binding(self.store, prefix, names)
        if names:
            self.bindings[prefix] = names
        else:
            self.bindings.pop(prefix, None)
        for path in list(self.agents):
            await self.bus.publish(agent_context(self.app, path), m.change_binding(self.app, prefix, names))

    def _model_message(self, path: str) -> Message:
        return m.set_scoped_instance(self.app, path, self.agent_model(path), self.bindings)

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

    def _agent_owner(self, path: str) -> str:
        return f"{path} @ {self.app}"

    def _network_bus(self, handler: str) -> Any:
        """The bus, when agents in other processes can reach it: the WebSocket broker (``allow``, tokens)
        or a RabbitMQ broker (``agent_user_data``, its credentials)."""
        if not hasattr(self.bus, "allow") and not hasattr(self.bus, "agent_user_data"):
            from rbcc.runtime.targets.base import TargetError

            raise TargetError(f"{handler} machines need a network bus: deploy with --bus websocket or rabbitmq")
        return self.bus

    def _admit(self, bus: Any, path: str, token: str) -> None:
        """Let the agent of ``path`` in with ``token`` (WebSocket; over RabbitMQ the broker checks it)."""
        allow = getattr(bus, "allow", None)
        if callable(allow):
            allow(self._agent_owner(path), token, (agent_context(self.app, path),))

    def _user_data(self, item: Managed, token: str | None) -> dict[str, str]:
        values = {
            "application.name": self.app,
            "scoped.instance.path": item.path,
            "domain": "default",
            "rbcc.app.dir": str(self.host.app_dir),
            "rbcc.state.dir": str(self.host.state_dir),
            **ud.settings_values(self.settings),
        }
        if token is not None:
            bus = self.bus
            rabbit = getattr(bus, "agent_user_data", None)
            if callable(rabbit):  # Roboconf's keys: the agent connects to the same broker as the manager
                values.update(rabbit())
                values["domain"] = str(getattr(bus, "domain", "default"))
                return values
            values["net.roboconf.messaging.type"] = "websocket"
            values["rbcc.token"] = token
            values["rbcc.dm.url"] = str(getattr(bus, "url", ""))
            if getattr(bus, "tls_cert", None):
                values["rbcc.tls.ca"] = str(bus.tls_cert)  # type: ignore[attr-defined]
        return values

    def _request_for(self, item: Managed, choice: TargetChoice, token: str | None) -> MachineRequest:
        source = next((t.file for t in item.spec.targets if t.id == choice.target_id), None)
        return MachineRequest(
            application=self.app,
            scoped_path=item.path,
            properties=dict(choice.properties),
            user_data=self._user_data(item, token),
            state_dir=self.host.state_dir,
            properties_dir=(self.host.app_dir / source).parent if source else None,
        )

    def _machine_failed(self, item: Managed, problem: str) -> None:
        """``create_machine`` failed: the guard cleared, the state restored, the reason kept (§2.2)."""
        log.warning("%s: %s", item.path, problem)
        item.last_problem = problem
        for key in MACHINE_DATA:
            item.data.pop(key, None)
        with self.store.transaction() as tx:
            tx.drop_token(item.path)
        self.agents.pop(item.path, None)
        self._set_state(item, State.NOT_DEPLOYED)

    async def _create_machine(self, item: Managed) -> None:
        choice = choose_target(item.spec, self.settings)
        token: str | None = None
        try:
            handler = self.handlers.get(choice.handler)
            if choice.handler != "local":
                bus = self._network_bus(choice.handler)
                token = secrets.token_urlsafe(24)
                with self.store.transaction() as tx:
                    tx.put_token(item.path, token)
                self._admit(bus, item.path, token)
            request = self._request_for(item, choice, token)
            self._set_state(item, item.state, data={"target.handler": choice.handler, "target.id": choice.target_id})
            self._deploying_since[item.path] = time.monotonic()
            machine_id = await handler.create_machine(request)
        except Exception as exc:  # a handler's failure, whatever it is, is the machine's problem
            self._machine_failed(item, f"create machine ({choice.handler}): {exc}")
            return
        # recorded before anything else happens to the machine: a crash never leaves an unknown one
        self._set_state(item, item.state, data={"machine.id": machine_id})
        self.agents[item.path] = self._link(handler, machine_id, item.path)
        try:
            await handler.configure_machine(machine_id, request)
        except Exception as exc:
            item.last_problem = f"configure machine ({choice.handler}): {exc}"
            self._set_state(item, State.PROBLEM)

    def _link(self, handler: TargetHandler, machine_id: str, path: str) -> AgentLink:
        agent = getattr(handler, "agent", None)
        local = agent(machine_id) if callable(agent) else None
        if local is not None:
            return local
        if self.waves is not None:
            return WaveLink(self._agent_owner(path), self.waves)
        return BusLink(self._agent_owner(path), self.bus)  # type: ignore[arg-type]

    async def restore_machine(self, item: Managed) -> bool:
        """A machine recorded as running (§2.5): whether it still is; an agent that died is started again
        when its handler can (``process``), and restores itself from its ``agent-state.json``."""
        machine_id = item.data.get("machine.id")
        name = item.data.get("target.handler") or "local"
        if not machine_id:
            return False
        try:
            handler = self.handlers.get(name)
            if name != "local":
                token = self.store.tokens().get(item.path)
                if token is None:
                    return False
                bus = self._network_bus(name)
                self._admit(bus, item.path, token)
                rewrite = getattr(handler, "rewrite_url", None)
                if callable(rewrite) and hasattr(bus, "url"):
                    rewrite(machine_id, bus.url)
            running = await handler.is_machine_running(machine_id)
            revive = getattr(handler, "revive", None)
            if not running and callable(revive):
                machine_id = await revive(machine_id)
                self._set_state(item, item.state, data={"machine.id": machine_id})
                running = True
        except Exception as exc:
            log.warning("%s: cannot tell whether its machine runs (%s): taken as gone", item.path, exc)
            return False
        if not running:
            return False
        self.agents[item.path] = self._link(handler, machine_id, item.path)
        self._deploying_since[item.path] = time.monotonic()
        return True

    async def start_restored(self) -> None:
        for path, agent in self.agents.items():
            ctx = agent_context(self.app, path)
            if isinstance(agent, Agent):
                await agent.start()
                await self.bus.publish(
                    ctx, {"type": "Restored", "application": self.app, "application_bindings": dict(self.bindings)}
                )
            else:
                for prefix in sorted(set(self.bindings) | set(self.external_prefixes())):
                    await self.bus.publish(ctx, m.change_binding(self.app, prefix, self.bindings.get(prefix, [])))
                await self.bus.publish(ctx, m.send_instances(self.app))
                await self.bus.publish(ctx, m.resynchronize(self.app))

    async def _on_gap(self, owner: str) -> None:
        """An agent came back after more than its replay buffer holds: it gets its model and reports."""
        path = owner.partition(" @ ")[0]
        if path in self.items and path in self.agents:
            ctx = agent_context(self.app, path)
            await self.bus.publish(ctx, self._model_message(path))
            await self.bus.publish(ctx, m.send_instances(self.app))

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
                    quiet = quiet + 1 if self._machine_idle(item.path) and self.bus.inbox(self.owner).empty() else 0
            machine_id = item.data.get("machine.id")
            if machine_id:
                handler = self.handlers.get(item.data.get("target.handler") or "local")
                try:
                    await handler.terminate_machine(machine_id)
                except Exception as exc:
                    log.warning("%s: terminate machine: %s", item.path, exc)
                    item.last_problem = f"terminate machine: {exc}"
                    self._set_state(item, State.PROBLEM)
                    return
            self.agents.pop(item.path, None)
            await self._machine_gone(item)
        finally:
            self._terminating.discard(item.path)

    async def _machine_gone(self, item: Managed) -> None:
        """The machine is no more: exports withdrawn on its agent's behalf, its subtree NOT_DEPLOYED (§2.2)."""
        if hasattr(self.bus, "forget"):
            self.bus.forget(self._agent_owner(item.path))
        self._deploying_since.pop(item.path, None)
        members = [p for p in self.subtree(item.path) if self.scoped_of(p) == item.path]
        for p in reversed(members):
            sub = self.items[p]
            for prefix in sorted({k.split(".", 1)[0] for k in sub.exports if "." in k}):
                await self.bus.publish(importers_context(self.app, prefix), m.remove_import(self.app, prefix, p))
            external = sub.spec.exports_prefix
            if external is not None:
                await self.bus.publish(
                    inter_app_importers(external), m.external(m.remove_import(self.app, external, p))
                )
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
            tx.drop_token(item.path)
        for p in members:
            self._emit({"event": "state", "path": p, "state": State.NOT_DEPLOYED.value})
        if self.autonomic is not None:
            self.autonomic.after_change()

    # ------------------------------------------------------------------ agent messages
    async def _loop(self) -> None:
        inbox = self.bus.inbox(self.owner)
        while True:
            msg = await inbox.get()
            self._handling = True
            try:
                batch = [msg]
                while len(batch) < BATCH_MAX and self._batchable(batch[-1]) and inbox.qsize() > 0:
                    try:
                        batch.append(inbox.get_nowait())
                    except asyncio.QueueEmpty:  # a network bus's inbox: a message still in flight
                        break
                if len(batch) > 1 and self._batchable(batch[-1]):
                    self._handle_together(batch)
                elif len(batch) > 2:
                    self._handle_together(batch[:-1])
                    self._handle_one(batch[-1])
                else:
                    for one in batch:
                        self._handle_one(one)
            finally:
                self._handling = False
            # a queue that is not empty returns at once: without this the agents' continuations (a
            # recipe to launch once its directory is ready) wait behind thousands of state reports
            await asyncio.sleep(0)

    def _handle_one(self, msg: Message) -> None:
        try:
            self._handle(msg)
        except Exception:
            log.exception("manager: message %s failed", msg.get("type"))

    def _batchable(self, msg: Message) -> bool:
        """Messages whose transitions only write the store and queue sends (no rules attached)."""
        return self.autonomic is None and msg.get("type") in BATCHABLE

    def _handle_together(self, batch: list[Message]) -> None:
        """Messages that were waiting together, handled as one store transaction.

        Each message's transition is a savepoint of it (one failing is rolled back alone); the
        events are reported, and the messages queued are sent, only once the whole is committed.
        """
        events: list[dict[str, Any]] = []
        self._deferred = events
        try:
            with self.store.transaction():
                for msg in batch:
                    self._handle_one(msg)
        except Exception:
            log.exception("manager: %d messages failed to commit", len(batch))
            return
        finally:
            self._deferred = None
        for event in events:
            self.on_event(event)

    def _handle(self, msg: Message) -> None:
        kind = msg.get("type")
        sender = msg.get("sender")
        if sender is not None and not self._about_its_machine(str(sender), msg):
            log.warning("manager: %s from %s about %s, not its machine: dropped", kind, sender, _subject(msg))
            return
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
        elif kind == "AgentState":
            path = msg.get("scoped_instance_path", "")
            link = self.agents.get(path)
            if isinstance(link, BusLink):
                link.report(bool(msg.get("idle")), int(msg.get("seen") or 0))
            elif isinstance(link, WaveLink) and self.waves is not None:
                self.waves.on_answer(path, msg)
        elif kind == "MachineDown":
            path = msg.get("scoped_instance_path", "")
            item = self.items.get(path)
            if item is not None and item.spec.scoped and path not in self._terminating and path in self.agents:
                log.warning("%s: its agent went down", path)
                self.agents.pop(path, None)
                self._spawn(self._machine_gone(item))
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
        elif kind == "StepLog":
            self._write_shipped_log(msg)
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

    def _write_shipped_log(self, msg: Message) -> None:
        """A remote machine's step output, appended where ``rbcc logs`` reads local ones."""
        path = str(msg.get("instance_path") or "")
        item = self.items.get(path)
        root = self.items.get(self.scoped_of(path)) if item is not None else None
        step = str(msg.get("step") or "")
        if root is None or (root.data.get("target.handler") or "local") != "remote" or not step.isalpha():
            return  # the manager reads the other agents' logs where they write them
        directory = self.host.state_dir / "logs" / clean_dir_name(path)
        try:
            directory.mkdir(parents=True, exist_ok=True)
            with (directory / f"{step}.log").open("a", encoding="utf-8") as out:
                out.write(str(msg.get("text") or ""))
        except OSError as exc:
            log.warning("%s: cannot keep the %s output its agent sent: %s", path, step, exc)

    def _about_its_machine(self, sender: str, msg: Message) -> bool:
        """A message a networked agent sent (stamped by the broker) concerns that agent's machine."""
        machine, _, app = sender.partition(" @ ")
        subject = _subject(msg)
        if app != self.app:
            return False
        if subject is None or subject not in self.items:
            return True  # nothing to protect (unknown paths are dropped anyway)
        return self.scoped_of(subject) == machine

    def _on_heartbeat(self, msg: Message) -> None:
        path = msg["scoped_instance_path"]
        item = self.items.get(path)
        agent = self.agents.get(path)
        if item is None or agent is None:
            return
        item.missed = 0
        self._deploying_since.pop(path, None)
        if item.state in (State.DEPLOYING, State.PROBLEM):
            data: dict[str, Any] = {"running.from": time.time()}
            if "ip.address" not in item.data:
                data["ip.address"] = msg.get("ip_address")
            self._set_state(item, State.DEPLOYED_STARTED, data=data)
        if msg.get("model_required"):
            self._spawn(self.bus.publish(agent_context(self.app, path), self._model_message(path)))
        self._flush(path)

    async def _heartbeat_checks(self) -> None:
        while True:
            await asyncio.sleep(self.settings.heartbeat_period)
            now = time.monotonic()
            for path, since in list(self._deploying_since.items()):
                item = self.items.get(path)
                if (
                    item is not None
                    and item.state is State.DEPLOYING
                    and now - since > self.settings.agent_boot_timeout
                ):
                    self._deploying_since.pop(path, None)
                    item.last_problem = f"no heartbeat from its agent within {self.settings.agent_boot_timeout:g} s"
                    self._set_state(item, State.PROBLEM)
                elif item is not None and item.state is State.DEPLOYING and await self._died_booting(item):
                    self._deploying_since.pop(path, None)
                    item.last_problem = "its agent exited before its first heartbeat" + self._exit_reason(item)
                    self._set_state(item, State.PROBLEM)
            for path in list(self.agents):
                item = self.items.get(path)
                if item is None or item.state not in (State.DEPLOYED_STARTED, State.PROBLEM):
                    continue
                item.missed += 1
                if item.missed > self.settings.missed_heartbeats_threshold and item.state is State.DEPLOYED_STARTED:
                    item.last_problem = f"no heartbeat for {item.missed} checks"
                    self._set_state(item, State.PROBLEM)

    async def _died_booting(self, item: Managed) -> bool:
        """Whether a booting machine's agent is already gone (handlers that can tell cheaply: ``watch_boot``)."""
        handler = self.handlers.get(item.data.get("target.handler") or "local")
        machine_id = item.data.get("machine.id")
        if not getattr(handler, "watch_boot", False) or not machine_id:
            return False
        return not await handler.is_machine_running(machine_id)

    def _exit_reason(self, item: Managed) -> str:
        """``": <why>"`` when the machine's handler can tell why its agent exited (``exit_reason``)."""
        handler = self.handlers.get(item.data.get("target.handler") or "local")
        reason = getattr(handler, "exit_reason", None)
        machine_id = item.data.get("machine.id")
        said = reason(machine_id) if callable(reason) and machine_id else None
        return f": {said}" if said else ""

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


def _subject(msg: Message) -> str | None:
    """The instance a message from an agent is about."""
    value = msg.get("instance_path") or msg.get("scoped_instance_path")
    return value if isinstance(value, str) else None
