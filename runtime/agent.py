"""The agent (runtime.md §§1.3–1.6, 3, 4): one scoped instance's subtree, its recipes and its imports.

Requests are **evaluated in arrival order but executed concurrently** (§9): every message becomes
operations on instances, kept in one FIFO.  An operation on I is evaluated once no step runs on I,
its ancestors or its descendants and no earlier operation on one of them is still waiting; the
decision itself is synchronous (as a serial agent's), and the recipes it starts run as tasks, at
most ``max_parallel_steps`` at once on the host.  The model is recorded before and after every recipe
(``agent-state.json`` and its journal, :mod:`rbcc.runtime.agent_journal`), so that a restarted
manager finds what was running (:meth:`Agent.restore`).
"""

from __future__ import annotations

import asyncio
import logging
import shutil
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rbcc.runtime import messages as m
from rbcc.runtime.agent_journal import StateJournal
from rbcc.runtime.agent_journal import load as load_state
from rbcc.runtime.bus import (
    Bus,
    Context,
    Message,
    agent_context,
    dm_context,
    exporters_context,
    importers_context,
    inter_app_exporters,
    inter_app_importers,
)
from rbcc.runtime.environment import Received, UpdateInfo, local_name, recipe_environment
from rbcc.runtime.model import Node
from rbcc.runtime.plan import PlanInstance
from rbcc.runtime.recipes import RecipeResult, kill_leftover, make_scripts_executable, render_template, run_process
from rbcc.runtime.settings import Settings
from rbcc.runtime.states import COMPLETED, DEPLOYABLE_UNDER, INTERRUPTED_FALLBACK, TRANSIENT, TRANSIENT_STEP, State

log = logging.getLogger("rbcc.runtime.agent")


def clean_dir_name(path: str) -> str:
    """Roboconf's instance directory name: leading ``/`` dropped, ``/`` and spaces as ``_`` (§2.4)."""
    return path.lstrip("/").replace("/", "_").replace(" ", "_")


@dataclass
class Op:
    """One decision to take on one instance."""

    path: str
    kind: str  # request | import_add | import_remove | walk | reevaluate
    data: dict[str, Any] = field(default_factory=dict)


@dataclass
class AgentHost:
    """What the agents of one host share: the bus, the settings, the step pool, where files go."""

    application: str
    bus: Bus
    settings: Settings
    app_dir: Path
    state_dir: Path
    pool: asyncio.Semaphore
    base_env: dict[str, str]
    #: send each step's output to the manager (``StepLog``): its files are out of the manager's reach
    ship_logs: bool = False


class Agent:
    """The agent of the scoped instance ``scoped_path``."""

    def __init__(self, host: AgentHost, scoped_path: str) -> None:
        self.host = host
        self.app = host.application
        self.scoped_path = scoped_path
        self.owner = f"{scoped_path} @ {self.app}"
        self.settings = host.settings
        self.workdir = host.state_dir / "agents" / clean_dir_name(scoped_path)
        self.nodes: dict[str, Node] = {}
        self.has_model = False
        self.pending: list[Op] = []
        self.busy: dict[str, str] = {}
        self._busy_below: Counter[str] = Counter()
        #: path → its ancestors (see _ancestors), for this many instances
        self._lineage: dict[str, list[str]] = {}
        self._lineage_for = -1
        self._tasks: set[asyncio.Task[None]] = set()
        self._main: asyncio.Task[None] | None = None
        self._beat: asyncio.Task[None] | None = None
        self._handling = False
        self._dirty = False
        self._wanted = 0
        self._written = 0
        self.journal = StateJournal(self.workdir, {"scoped_instance": scoped_path})
        self._writer: asyncio.Task[None] | None = None
        self._waiters: list[asyncio.Future[None]] = []
        self._out: asyncio.Queue[tuple[Context, Message]] = asyncio.Queue()
        self._send_task: asyncio.Task[None] | None = None
        self._sending = False
        self._probes: asyncio.Task[None] | None = None
        #: the thread this agent's recipes are spawned from (see :meth:`_spawner`)
        self._spawn_thread: ThreadPoolExecutor | None = None
        #: the thread this agent's snapshots are written from (not the loop's shared executor: the
        #: instances' directories are prepared there, a thousand at once on a first deployment)
        self._state_thread: ThreadPoolExecutor | None = None
        self.sampler: Any = None
        #: external prefix → the applications it is bound to (ChangeBinding, runtime.md §3.5)
        self.bindings: dict[str, set[str]] = {}
        #: external prefix → (application, exporter path) → its last AddImport, bound or not (§3.5)
        self.external_cache: dict[str, dict[tuple[str, str], Message]] = {}
        #: tests: an agent that stops sending heartbeats
        self.silent = False
        self.ip = host.settings.agent_ip

    # ------------------------------------------------------------------ life
    async def start(self) -> None:
        await self.host.bus.subscribe(self.owner, agent_context(self.app, self.scoped_path))
        self._main = asyncio.create_task(self._loop(), name=f"agent {self.scoped_path}")
        self._beat = asyncio.create_task(self._heartbeats(), name=f"heartbeat {self.scoped_path}")
        self._send_task = asyncio.create_task(self._sender(), name=f"sender {self.scoped_path}")
        if self.settings.autonomic:  # probes (runtime.md §6.1): only when a manager runs the rules
            from rbcc.runtime.autonomic.sampler import Sampler

            self.sampler = Sampler(self, self.host.app_dir, self.settings.probe_period)
            self._probes = asyncio.create_task(self.sampler.run(), name=f"probes {self.scoped_path}")

    async def stop(self, wait_steps: bool = True) -> None:
        """Stop listening (running steps are awaited, or cancelled when ``wait_steps`` is false)."""
        if self._probes is not None:
            self._probes.cancel()
        await self._out.join()
        for task in (self._beat, self._main, self._send_task):
            if task is not None:
                task.cancel()
        if not wait_steps:
            for t in list(self._tasks):
                t.cancel()
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)
        if self._writer is not None:
            await asyncio.gather(self._writer, return_exceptions=True)
        if self._spawn_thread is not None:  # no recipe of this agent runs any more
            self._spawn_thread.shutdown(wait=False)
            self._spawn_thread = None
        if self._state_thread is not None:  # the writer is done (awaited above)
            self._state_thread.shutdown(wait=False)
            self._state_thread = None
        if self.has_model and self.workdir.exists():
            self._save()
        self.journal.close()
        await self.host.bus.close_owner(self.owner)

    def idle(self) -> bool:
        return (
            not self.pending
            and not self.busy
            and not self._handling
            and self._out.empty()
            and not self._sending
            and self.host.bus.inbox(self.owner).empty()
        )

    def beat(self) -> None:
        """One heartbeat now (also sent on each reconnection of a networked agent, §2.3)."""
        if not self.silent:
            self._to_dm(m.heartbeat(self.app, self.scoped_path, self.ip, not self.has_model))

    async def _heartbeats(self) -> None:
        while True:
            self.beat()
            await asyncio.sleep(self.settings.heartbeat_period)

    async def _loop(self) -> None:
        inbox = self.host.bus.inbox(self.owner)
        while True:
            msg = await inbox.get()
            self._handling = True
            try:
                await self._handle(msg)
                self._pump()
            except Exception:  # a bad message must not kill the agent
                log.exception("agent %s: message %s failed", self.scoped_path, msg.get("type"))
            finally:
                self._handling = False

    def _to_dm(self, msg: Message) -> None:
        self._emit(dm_context(self.app), msg)

    def _emit(self, ctx: Context, msg: Message) -> None:
        """Queue ``msg`` for ``ctx``: one sender task publishes in order (FIFO per sender, §5.4)."""
        self._out.put_nowait((ctx, msg))

    async def _sender(self) -> None:
        while True:
            ctx, msg = await self._out.get()
            self._sending = True  # taken off the queue, not yet published (a broker's confirm awaited)
            try:
                await self.host.bus.publish(ctx, msg)
            finally:
                self._sending = False
                self._out.task_done()

    # ------------------------------------------------------------------ model
    def _install_model(self, model: list[dict[str, Any]]) -> None:
        for raw in model:
            node = Node.from_json(raw)
            self.nodes[node.path] = node
        scoped = self.nodes.get(self.scoped_path)
        if scoped is not None:
            scoped.state = State.DEPLOYED_STARTED
        self.has_model = True

    async def _subscribe_all(self) -> None:
        bus = self.host.bus
        for node in self.nodes.values():
            for prefix in node.spec.imports:
                await bus.subscribe(self.owner, importers_context(self.app, prefix))
            for prefix in node.export_prefixes():
                await bus.subscribe(self.owner, exporters_context(self.app, prefix))
            for prefix in node.spec.external_imports:
                await bus.subscribe(self.owner, inter_app_importers(prefix))
            if node.spec.exports_prefix is not None:
                await bus.subscribe(self.owner, inter_app_exporters(node.spec.exports_prefix))

    async def _request_all_imports(self) -> None:
        prefixes = sorted({p for n in self.nodes.values() for p in n.spec.imports})
        for prefix in prefixes:
            self._emit(exporters_context(self.app, prefix), m.request_import(self.app, prefix))
        for prefix in sorted({p for n in self.nodes.values() for p in n.spec.external_imports}):
            self._request_external(prefix)

    def _request_external(self, prefix: str) -> None:
        self._emit(inter_app_exporters(prefix), m.external(m.request_import(self.app, prefix)))

    def restore(self) -> bool:
        """Load ``agent-state.json`` after a manager restart; False when there is none.

        A step found in progress is not re-run blindly: its recipe's process group is killed if it
        is still there, and the instance returns to the stable state the step started from with
        ``last_problem = "interrupted: <step>"``; the manager then re-applies its desired state.
        A step whose recipe had completed (recorded right after it ended) takes the state it leads to.
        """
        try:
            raw = load_state(self.workdir)
        except (OSError, ValueError, KeyError, TypeError):
            raw = None
        if raw is None:
            return False
        self._install_model(raw.get("model", []))
        for node in self.nodes.values():
            if node.running and node.running.get("pid"):
                kill_leftover(int(node.running["pid"]))
            if node.state in TRANSIENT:
                running = node.running or {}
                step = running.get("step") or node.state.value.lower()
                if running.get("done") and step == TRANSIENT_STEP[node.state]:
                    node.state = COMPLETED[node.state]
                else:
                    node.state = node.stable_from or INTERRUPTED_FALLBACK[node.state]
                    node.last_problem = f"interrupted: {step}"
            node.running = None
            node.stable_from = None
        self.has_model = True
        return True

    def _save(self) -> None:
        """Record the model now, synchronously (model, states, imports, steps running)."""
        self._dirty = False
        self._wanted += 1
        self.journal.record(list(self.nodes.values()))
        self.journal.flush()
        self._written = max(self._written, self._wanted)

    def _save_soon(self) -> None:
        """Ask for a record without waiting for it (state that a crash may lose without harm)."""
        self._dirty = False
        self._wanted += 1
        if self._writer is None or self._writer.done():
            self._writer = asyncio.create_task(self._write_loop())

    async def _persist(self) -> None:
        """Return once the agent's files hold the model as it is now.

        Records are taken on the event loop; requests that arrive together share one record (one
        journal line, see :mod:`rbcc.runtime.agent_journal`), appended at once; a snapshot (rare)
        is written in a thread.
        """
        self._save_soon()
        target = self._wanted
        while self._written < target:
            waiter = asyncio.get_running_loop().create_future()
            self._waiters.append(waiter)
            await waiter

    async def _write_loop(self) -> None:
        while self._written < self._wanted:
            target = self._wanted
            self.journal.record(list(self.nodes.values()))
            try:
                if self.journal.needs_thread():
                    if self._state_thread is None:
                        self._state_thread = ThreadPoolExecutor(1, thread_name_prefix=f"state {self.scoped_path}")
                    await asyncio.get_running_loop().run_in_executor(self._state_thread, self.journal.flush)
                else:
                    self.journal.flush()
            except OSError:
                log.exception("agent %s: cannot write its state", self.scoped_path)
            self._written = max(self._written, target)
            waiters, self._waiters = self._waiters, []
            for w in waiters:
                if not w.done():
                    w.set_result(None)
            await asyncio.sleep(0)  # let the requests of this turn gather into the next record

    def forget_files(self) -> None:
        """The machine is terminated: nothing of this agent stays on disk."""
        self.journal.forget()
        shutil.rmtree(self.workdir, ignore_errors=True)

    # ------------------------------------------------------------------ messages
    async def _handle(self, msg: Message) -> None:
        kind = msg.get("type")
        if kind == "SetScopedInstance":
            if self.has_model:
                return
            self._set_bindings(msg.get("application_bindings"))
            self._install_model(msg["model"])
            await self._after_model()
        elif kind == "Restored":
            self._set_bindings(msg.get("application_bindings"))
            await self._after_model(publish_all=True)
        elif kind == "ChangeBinding":
            self._on_change_binding(msg["external_exports_prefix"], set(msg.get("app_names") or ()))
        elif msg.get("inter_app"):
            self._on_inter_app(msg)
        elif kind == "ChangeInstanceState":
            path = msg["instance_path"]
            if path == self.scoped_path:
                log.warning("agent %s: request on its own scoped instance refused", path)
            elif path in self.nodes:
                self.pending.append(Op(path, "request", {"state": State.parse(msg["new_state"])}))
        elif kind == "AddImport":
            await self._on_add_import(msg)
        elif kind == "RemoveImport":
            self._on_remove_import(msg)
        elif kind == "RequestImport":
            prefix = msg["component_or_facet_name"]
            for node in self.nodes.values():
                if node.state is State.DEPLOYED_STARTED and prefix in node.export_prefixes():
                    self._publish_prefix(node, prefix)
        elif kind == "AddInstance":
            await self._on_add_instance(msg["model"])
        elif kind == "RemoveInstance":
            await self._on_remove_instance(msg["instance_path"])
        elif kind == "Resynchronize":
            for node in self.nodes.values():
                if node.state is State.DEPLOYED_STARTED:
                    self._publish(node)
        elif kind == "SendInstances":
            for node in self.nodes.values():
                self._report(node)

    async def _after_model(self, publish_all: bool = False) -> None:
        await self._subscribe_all()
        for node in self.nodes.values():
            self._report(node)
        scoped = self.nodes.get(self.scoped_path)
        if scoped is not None:
            self._publish(scoped)
        if publish_all:
            for node in self.nodes.values():
                if node.state is State.DEPLOYED_STARTED and node.path != self.scoped_path:
                    self._publish(node)
            for node in self.nodes.values():
                if node.state in (State.UNRESOLVED, State.WAITING_FOR_ANCESTOR):
                    self.pending.append(Op(node.path, "reevaluate"))
        await self._request_all_imports()
        self._save_soon()

    async def _on_add_instance(self, raw: dict[str, Any]) -> None:
        new = Node.from_json(raw)
        old = self.nodes.get(new.path)
        if old is None:
            self.nodes[new.path] = new
            parent = self.nodes.get(new.parent) if new.parent else None
            if parent is not None and new.path not in parent.spec.children:
                parent.spec = _with_child(parent.spec, new.path)
            await self._subscribe_all()
            self._report(new)
            for prefix in new.spec.imports:
                self._emit(exporters_context(self.app, prefix), m.request_import(self.app, prefix))
        else:
            changed = old.exports != new.exports
            old.spec, old.exports = new.spec, new.exports
            await self._subscribe_all()
            if changed and old.state is State.DEPLOYED_STARTED:
                self._publish(old)
        self._save_soon()

    async def _on_remove_instance(self, path: str) -> None:
        node = self.nodes.get(path)
        if node is None:
            return
        subtree = self._subtree(path)
        if any(self.nodes[p].state is not State.NOT_DEPLOYED for p in subtree):
            log.warning("agent %s: %s is not undeployed, not removed", self.scoped_path, path)
            return
        for p in subtree:
            del self.nodes[p]
        parent = self.nodes.get(node.parent) if node.parent else None
        if parent is not None:
            parent.spec = _without_child(parent.spec, path)
        self._save_soon()
        self._to_dm(m.instance_removed(self.app, path))

    # ------------------------------------------------------------------ other applications (§3.5)
    def _set_bindings(self, raw: dict[str, list[str]] | None) -> None:
        if raw is not None:
            self.bindings = {p: set(names) for p, names in raw.items()}

    def _on_inter_app(self, msg: Message) -> None:
        """AddImport, RemoveImport, RequestImport on an inter-application topic."""
        kind = msg.get("type")
        prefix = msg["component_or_facet_name"]
        app = msg["application"]
        if kind == "RequestImport":
            for node in self.nodes.values():
                if node.state is State.DEPLOYED_STARTED and node.spec.exports_prefix == prefix:
                    self._publish_external(node)
            return
        if app == self.app:
            return  # this application's own external exports: not an import of another's
        key = (app, msg["instance_path"])
        if kind == "AddImport":
            self.external_cache.setdefault(prefix, {})[key] = msg
            if app in self.bindings.get(prefix, ()):
                self._apply_external(msg)
        elif kind == "RemoveImport":
            self.external_cache.get(prefix, {}).pop(key, None)
            self.pending = [op for op in self.pending if not _adds(op, prefix, key)]  # still queued: never applied
            self._withdraw_external(prefix, {key})
        self._walk()

    def _apply_external(self, msg: Message) -> None:
        """An AddImport of a bound application, for every local instance importing its prefix."""
        prefix = msg["component_or_facet_name"]
        for node in self.nodes.values():
            spec = node.external_spec(prefix)
            if spec is None:
                continue
            taken = {k: v for k, v in msg["exported_variables"].items() if spec.accepts(k)}
            imp = Received(msg["instance_path"], msg["component_name"], taken, msg["application"])
            self.pending.append(Op(node.path, "import_add", {"prefix": prefix, "imp": imp}))

    def _withdraw_external(self, prefix: str, exporters: set[tuple[str, str]]) -> None:
        """External imports of ``(application, path)`` in ``exporters`` dropped, as by RemoveImport."""
        for node in self.nodes.values():
            if node.external_spec(prefix) is None:
                continue
            for r in node.imports.get(prefix, ()):
                if (r.application, r.path) in exporters:
                    data = {"prefix": prefix, "exporter": r.path, "application": r.application}
                    self.pending.append(Op(node.path, "import_remove", data))

    def _on_change_binding(self, prefix: str, names: set[str]) -> None:
        """Removed applications lose their ``prefix`` imports; the cached ones of added ones are applied."""
        before = self.bindings.get(prefix, set())
        self.bindings[prefix] = names
        gone = before - names
        if gone:
            held = {
                (r.application or "", r.path)
                for n in self.nodes.values()
                for r in n.imports.get(prefix, ())
                if r.application in gone
            }
            self._withdraw_external(prefix, held)
        for (app, _), cached in sorted(self.external_cache.get(prefix, {}).items()):
            if app in names - before:
                self._apply_external(cached)
        if names - before:
            self._request_external(prefix)  # exporters that published before this agent listened
        self._walk()

    async def _on_add_import(self, msg: Message) -> None:
        prefix = msg["component_or_facet_name"]
        exporter = msg["instance_path"]
        variables = msg["exported_variables"]
        for node in self.nodes.values():
            spec = node.import_spec(prefix)
            if spec is None or node.path == exporter:
                continue
            taken = {k: v for k, v in variables.items() if spec.accepts(k)}
            self.pending.append(
                Op(node.path, "import_add", {"prefix": prefix, "imp": Received(exporter, msg["component_name"], taken)})
            )
        self._walk()

    def _on_remove_import(self, msg: Message) -> None:
        prefix = msg["component_or_facet_name"]
        exporter = msg["instance_path"]
        for node in self.nodes.values():
            if node.import_spec(prefix) is not None and any(r.path == exporter for r in node.imports.get(prefix, ())):
                self.pending.append(Op(node.path, "import_remove", {"prefix": prefix, "exporter": exporter}))
        self._walk()

    # ------------------------------------------------------------------ scheduling
    def _ancestors(self, path: str) -> list[str]:
        """``path``'s ancestors in this agent, nearest first (memoized: every pump asks it of every
        operation waiting; an instance's parent never changes, only which instances there are)."""
        memo = self._lineage
        if self._lineage_for != len(self.nodes):
            memo.clear()
            self._lineage_for = len(self.nodes)
        known = memo.get(path)
        if known is None:
            out = []
            node = self.nodes.get(path)
            while node is not None and node.parent is not None:
                out.append(node.parent)
                node = self.nodes.get(node.parent)
            known = memo[path] = out
        return known

    def _subtree(self, path: str) -> list[str]:
        """``path`` and its descendants in this agent, parents first."""
        out = [path]
        i = 0
        while i < len(out):
            node = self.nodes.get(out[i])
            if node is not None:
                out.extend(c for c in node.spec.children if c in self.nodes)
            i += 1
        return out

    def _pump(self) -> None:
        """Evaluate every operation whose instance is free, in order (see the module docstring)."""
        blocked: set[str] = set()
        blocked_below: set[str] = set()
        keep: list[Op] = []
        i = 0
        while i < len(self.pending):
            op = self.pending[i]
            i += 1
            if op.path not in self.nodes:
                continue
            lineage = self._ancestors(op.path)
            if (
                op.path in self.busy
                or self._busy_below[op.path]
                or any(a in self.busy for a in lineage)
                or op.path in blocked
                or op.path in blocked_below
                or any(a in blocked for a in lineage)
            ):
                keep.append(op)
                blocked.add(op.path)
                blocked_below.update(lineage)
                continue
            work = self._decide(op)
            self._dirty = True
            if work is not None:
                self._mark_busy(op.path, op.kind, lineage)
                self._spawn(op.path, lineage, work)
        self.pending = keep
        if self._dirty:
            self._save_soon()

    def _mark_busy(self, path: str, kind: str, lineage: list[str]) -> None:
        self.busy[path] = kind
        for a in lineage:
            self._busy_below[a] += 1

    def _spawn(self, path: str, lineage: list[str], work: Awaitable[None]) -> None:
        async def run() -> None:
            try:
                await work
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("agent %s: operation on %s failed", self.scoped_path, path)
            finally:
                self.busy.pop(path, None)
                for a in lineage:
                    self._busy_below[a] -= 1
                self._walk()
                self._save_soon()
                self._pump()

        task = asyncio.create_task(run(), name=f"step {path}")
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def _walk(self) -> None:
        """Start, top-down, each WAITING instance whose parent is started (§1.5, [X] after any start)."""
        queued = {op.path for op in self.pending if op.kind == "walk"}
        for node in self.nodes.values():
            if node.state is not State.WAITING_FOR_ANCESTOR or node.path in queued:
                continue
            parent = self.nodes.get(node.parent) if node.parent else None
            if parent is not None and parent.state is State.DEPLOYED_STARTED:
                self.pending.append(Op(node.path, "walk"))

    # ------------------------------------------------------------------ decisions
    def _decide(self, op: Op) -> Awaitable[None] | None:
        node = self.nodes[op.path]
        if op.kind == "request":
            return self._decide_request(node, op.data["state"])
        if op.kind == "import_add":
            return self._decide_import_add(node, op.data["prefix"], op.data["imp"])
        if op.kind == "import_remove":
            return self._decide_import_remove(node, op.data["prefix"], op.data["exporter"], op.data.get("application"))
        if op.kind == "walk":
            parent = self.nodes.get(node.parent) if node.parent else None
            if node.state is State.WAITING_FOR_ANCESTOR and parent is not None:
                if parent.state is State.DEPLOYED_STARTED:
                    return self._begin_start(node)
            return None
        if op.kind == "reevaluate":
            if node.state is State.UNRESOLVED and node.resolved():
                return self._start_step(node)
            return None
        return None

    def _decide_request(self, node: Node, wanted: State) -> Awaitable[None] | None:
        if node.state in TRANSIENT:
            return None
        current = node.effective_state()
        in_problem = node.state is State.PROBLEM
        if wanted is State.NOT_DEPLOYED:
            if current is State.NOT_DEPLOYED:
                if in_problem:
                    self._cleanup(node)
                return None
            if current is State.DEPLOYED_STARTED:
                return self._stop_then_undeploy(node)
            return self._undeploy(node)
        if wanted is State.DEPLOYED_STOPPED:
            if current is State.NOT_DEPLOYED:
                return self._deploy(node, then_start=False)
            if current is State.DEPLOYED_STARTED:
                return self._stop(node, import_driven=False)
            if current in (State.UNRESOLVED, State.WAITING_FOR_ANCESTOR):
                self._stop_without_recipe(node)
                return None
            if in_problem:
                self._set(node, State.DEPLOYED_STOPPED)
            return None
        if wanted is State.DEPLOYED_STARTED:
            if current is State.NOT_DEPLOYED:
                return self._deploy(node, then_start=True)
            if current in (State.DEPLOYED_STOPPED, State.WAITING_FOR_ANCESTOR):
                return self._begin_start(node)
        return None

    def _decide_import_add(self, node: Node, prefix: str, imp: Received) -> Awaitable[None] | None:
        if imp.application is not None and imp.application not in self.bindings.get(prefix, ()):
            return None  # unbound since it was queued (while a step ran on the instance)
        items = node.imports.setdefault(prefix, [])
        known = next((k for k, r in enumerate(items) if r.path == imp.path and r.application == imp.application), None)
        if known is not None:
            if dict(items[known].variables) == dict(imp.variables):
                return None
            items[known] = imp
        else:
            items.append(imp)
        node.touch()
        self._report(node)
        if node.state is State.UNRESOLVED and node.resolved():
            return self._start_step(node)
        if node.state is State.DEPLOYED_STARTED:
            return self._update(node, UpdateInfo(State.DEPLOYED_STARTED.value, prefix, imp))
        return None

    def _decide_import_remove(
        self, node: Node, prefix: str, exporter: str, application: str | None = None
    ) -> Awaitable[None] | None:
        items = node.imports.get(prefix, [])
        gone = next((r for r in items if r.path == exporter and r.application == application), None)
        if gone is None:
            return None
        items.remove(gone)
        if not items:
            node.imports.pop(prefix, None)
        node.touch()
        self._report(node)
        if node.state is State.DEPLOYED_STARTED:
            if node.resolved():
                return self._update(node, UpdateInfo(State.DEPLOYED_STOPPED.value, prefix, gone))
            return self._stop(node, import_driven=True)
        return None

    def _begin_start(self, node: Node) -> Awaitable[None] | None:
        parent = self.nodes.get(node.parent) if node.parent else None
        if parent is not None and parent.state is not State.DEPLOYED_STARTED:
            if parent.state in (State.UNRESOLVED, State.WAITING_FOR_ANCESTOR):
                if node.state is not State.WAITING_FOR_ANCESTOR:
                    self._set(node, State.WAITING_FOR_ANCESTOR)
            return None
        if not node.resolved():
            self._become_unresolved(node)
            return None
        return self._start_step(node)

    # ------------------------------------------------------------------ operations
    def _set(self, node: Node, state: State) -> None:
        if state in TRANSIENT and node.state not in TRANSIENT:
            node.stable_from = node.effective_state()
        elif state not in TRANSIENT:
            node.stable_from = None
        if state is not State.PROBLEM:
            node.problem_from = None
        if state not in TRANSIENT:
            node.running = None
        node.state = state
        self._report(node)
        self._dirty = True

    def _report(self, node: Node) -> None:
        self._to_dm(m.instance_changed(self.app, node.path, node.state.value, node.imports_json(), node.last_problem))

    async def _fail(self, node: Node, step: str, result: RecipeResult, from_state: State, fallback: State) -> None:
        """A failed step: PROBLEM (``failure_mode=problem``) or Roboconf's fallback state."""
        node.last_problem = result.problem(step)
        if self.settings.failure_mode == "problem":
            self._set(node, State.PROBLEM)
            node.problem_from = from_state
            self._report(node)
        else:
            self._set(node, fallback)

    def _become_unresolved(self, node: Node) -> None:
        self._set(node, State.UNRESOLVED)
        for prefix in node.spec.imports:
            self._emit(exporters_context(self.app, prefix), m.request_import(self.app, prefix))
        for prefix in node.spec.external_imports:
            self._request_external(prefix)

    def _stop_without_recipe(self, node: Node) -> None:
        self._set(node, State.DEPLOYED_STOPPED)
        for path in self._subtree(node.path)[1:]:
            child = self.nodes[path]
            if child.state is State.WAITING_FOR_ANCESTOR:
                self._set(child, State.DEPLOYED_STOPPED)

    def instance_dir(self, node: Node) -> Path:
        installer = (node.spec.installer or "none").strip().lower() or "none"
        return self.workdir / installer / clean_dir_name(node.path)

    async def _deploy(self, node: Node, then_start: bool) -> None:
        parent = self.nodes.get(node.parent) if node.parent else None
        if parent is not None and parent.state not in DEPLOYABLE_UNDER:
            return
        from_state = node.effective_state()
        node.last_problem = None
        self._set(node, State.DEPLOYING)
        directory = self.instance_dir(node)
        source = self.host.app_dir / node.spec.resource_dir if node.spec.resource_dir else None
        try:
            await asyncio.to_thread(_prepare_instance_dir, directory, source)
        except OSError as exc:
            result = RecipeResult(False, None, str(exc), f"cannot prepare {directory}: {exc.strerror or exc}")
            await self._fail(node, "deploy", result, from_state, State.NOT_DEPLOYED)
            return
        result = await self._recipe(node, "deploy")
        if not result.ok:
            await self._fail(node, "deploy", result, from_state, State.NOT_DEPLOYED)
            return
        self._set(node, State.DEPLOYED_STOPPED)
        if then_start:
            work = self._begin_start(node)
            if work is not None:
                await work

    async def _start_step(self, node: Node) -> None:
        before = node.effective_state()
        self._set(node, State.STARTING)
        result = await self._recipe(node, "start")
        if not result.ok:
            await self._fail(node, "start", result, before, before)
            return
        node.last_problem = None
        self._set(node, State.DEPLOYED_STARTED)
        self._publish(node)

    async def _update(self, node: Node, info: UpdateInfo) -> None:
        result = await self._recipe(node, "update", info)
        if not result.ok:
            node.last_problem = result.problem("update")
            self._report(node)

    def _stopping_order(self, node: Node) -> list[Node]:
        """``node`` and its descendants, deepest first."""
        return [self.nodes[p] for p in reversed(self._subtree(node.path))]

    async def _stop(self, node: Node, import_driven: bool) -> None:
        order = self._stopping_order(node)
        was_started = [j for j in order if j.effective_state() is State.DEPLOYED_STARTED]
        for j in was_started:
            self._set(j, State.STOPPING)
            self._unpublish(j)
        runs = was_started if self.settings.cascade_recipes else [node]
        failed: set[str] = set()
        for j in runs:
            if j is node or j in was_started:
                result = await self._recipe(j, "stop")
                if not result.ok:
                    j.last_problem = result.problem("stop")
                    if self.settings.failure_mode == "problem":
                        failed.add(j.path)
        for j in order:
            if j.path in failed:
                self._set(j, State.PROBLEM)
                j.problem_from = State.DEPLOYED_STARTED
                self._report(j)
            elif import_driven:
                if j is node:
                    self._set(j, State.UNRESOLVED)
                elif j.state in (State.STOPPING, State.UNRESOLVED):
                    self._set(j, State.WAITING_FOR_ANCESTOR)
            elif j.state in (State.STOPPING, State.UNRESOLVED):
                self._set(j, State.DEPLOYED_STOPPED)
        if import_driven and node.path not in failed:
            for prefix in node.spec.imports:
                self._emit(exporters_context(self.app, prefix), m.request_import(self.app, prefix))
            for prefix in node.spec.external_imports:
                self._request_external(prefix)

    async def _stop_then_undeploy(self, node: Node) -> None:
        await self._stop(node, import_driven=False)
        if node.state is State.DEPLOYED_STOPPED:
            await self._undeploy(node)

    async def _undeploy(self, node: Node) -> None:
        order = [j for j in self._stopping_order(node) if j.effective_state() is not State.NOT_DEPLOYED]
        for j in order:
            self._set(j, State.UNDEPLOYING)
            self._unpublish(j)
        runs = order if self.settings.cascade_recipes else [node]
        failed: set[str] = set()
        for j in runs:
            result = await self._recipe(j, "undeploy")
            if not result.ok:
                j.last_problem = result.problem("undeploy")
                failed.add(j.path)
                if not self.settings.cascade_recipes:
                    failed.update(x.path for x in order)
        for j in order:
            if j.path in failed:
                if self.settings.failure_mode == "problem" and j.last_problem is not None:
                    self._set(j, State.PROBLEM)
                    j.problem_from = State.DEPLOYED_STOPPED
                    self._report(j)
                else:
                    self._set(j, State.DEPLOYED_STOPPED)
            else:
                shutil.rmtree(self.instance_dir(j), ignore_errors=True)
                self._set(j, State.NOT_DEPLOYED)

    def _cleanup(self, node: Node) -> None:
        shutil.rmtree(self.instance_dir(node), ignore_errors=True)
        self._set(node, State.NOT_DEPLOYED)

    # ------------------------------------------------------------------ exports
    def published_values(self, node: Node, prefix: str) -> dict[str, str | None]:
        head = prefix + "."
        out: dict[str, str | None] = {}
        for k, v in node.exports.items():
            if k.startswith(head):
                out[k] = self.ip if local_name(k).lower() == "ip" else v
        return out

    def _publish_prefix(self, node: Node, prefix: str) -> None:
        msg = m.add_import(self.app, prefix, node.path, node.spec.component, self.published_values(node, prefix))
        self._emit(importers_context(self.app, prefix), msg)

    def _publish(self, node: Node) -> None:
        for prefix in node.export_prefixes():
            self._publish_prefix(node, prefix)
        self._publish_external(node)

    def _publish_external(self, node: Node) -> None:
        """The instance's exports to other applications: under the exports prefix, with the aliases (§3.5)."""
        prefix = node.spec.exports_prefix
        if prefix is None:
            return
        values = {k: (self.ip if local_name(k).lower() == "ip" else v) for k, v in node.exports.items()}
        msg = m.add_import(self.app, prefix, node.path, node.spec.component, node.spec.external_values(values))
        self._emit(inter_app_importers(prefix), m.external(msg))

    def _unpublish(self, node: Node) -> None:
        for prefix in node.export_prefixes():
            self._emit(importers_context(self.app, prefix), m.remove_import(self.app, prefix, node.path))
        external = node.spec.exports_prefix
        if external is not None:
            self._emit(inter_app_importers(external), m.external(m.remove_import(self.app, external, node.path)))

    # ------------------------------------------------------------------ recipes
    def environment(self, node: Node, step: str, update: UpdateInfo | None = None) -> dict[str, str]:
        ancestors = []
        for path in self._ancestors(node.path):
            a = self.nodes[path]
            values = {k: (self.ip if local_name(k).lower() == "ip" else v) for k, v in a.exports.items()}
            ancestors.append((a.spec.component, values))
        own = {k: (self.ip if local_name(k).lower() == "ip" else v) for k, v in node.exports.items()}
        return recipe_environment(
            application=self.app,
            step=step,
            path=node.path,
            name=node.spec.name,
            component=node.spec.component,
            exports=own,
            ancestors=list(reversed(ancestors)),
            imports=node.imports,
            files_dir=str(self.instance_dir(node) / "files"),
            update=update,
            base=self.host.base_env,
        )

    def log_file(self, path: str, step: str) -> Path:
        return self.host.state_dir / "logs" / clean_dir_name(path) / f"{step}.log"

    async def _recipe(self, node: Node, step: str, update: UpdateInfo | None = None) -> RecipeResult:
        plan_step = node.spec.steps.get(step)
        kind = plan_step.kind if plan_step is not None else "none"
        logfile = self.log_file(node.path, step)
        async with self.host.pool:
            node.running = {"step": step, "pid": None, "since": time.time()}
            await self._persist()
            self._to_dm(m.step_event(self.app, node.path, step, "begin"))
            before = _size(logfile) if self.host.ship_logs else 0
            try:
                result = await self._run_kind(node, step, kind, plan_step.file if plan_step else None, logfile, update)
            except BaseException:
                node.running = None
                raise
            if self.host.ship_logs:
                self._to_dm(m.step_log(self.app, node.path, step, _read_from(logfile, before)))
            # recorded before anything else happens to this instance: a restart never repeats a
            # completed step (steps ending together share one write; see _persist)
            node.running = {"step": step, "done": result.ok}
            await self._persist()
            self._to_dm(m.step_event(self.app, node.path, step, "end", result.exit_code))
        return result

    async def _run_kind(
        self, node: Node, step: str, kind: str, file: str | None, logfile: Path, update: UpdateInfo | None
    ) -> RecipeResult:
        directory = self.instance_dir(node)

        def note(text: str) -> RecipeResult:
            logfile.parent.mkdir(parents=True, exist_ok=True)
            with logfile.open("a", encoding="utf-8") as out:
                out.write(f"=== {step} {time.strftime('%Y-%m-%dT%H:%M:%S')} {text}\n")
            return RecipeResult(True, 0, text, "")

        if kind == "none":
            return note("no recipe: nothing to run")
        if kind == "log":
            return note(f"logger installer: {step} of {node.path}")
        if kind == "unsupported":
            text = f"installer {node.spec.installer!r} is not supported by rbcc's executor"
            note(text)
            return RecipeResult(False, None, text, text)
        env = self.environment(node, step, update)
        on_start: Callable[[int], None] = self._pid_recorder(node)
        if kind == "script" and file:
            script = directory / _inside(file, node.spec.resource_dir)
            return await run_process(
                [str(script)],
                cwd=script.parent,
                env=env,
                log=logfile,
                step=step,
                timeout=self.settings.recipe_timeout,
                on_start=on_start,
                spawner=self._spawner(),
            )
        if kind == "template" and file:
            template = directory / _inside(file, node.spec.resource_dir)
            rendered = render_template(template, _template_context(node, env))
            try:
                return await run_process(
                    [str(rendered)],
                    cwd=template.parent,
                    env=env,
                    log=logfile,
                    step=step,
                    timeout=self.settings.recipe_timeout,
                    on_start=on_start,
                    spawner=self._spawner(),
                )
            finally:
                rendered.unlink(missing_ok=True)
        if kind == "instructions":
            from rbcc.runtime.instructions import run_instructions

            return run_instructions(directory / "instructions.properties", step, directory, logfile)
        return note(f"recipe kind {kind!r}: nothing to run")

    def _spawner(self) -> ThreadPoolExecutor:
        """One thread per agent starts its recipes (spawning blocks until the child has exec'd):
        in the order they were decided, off the event loop, the agents of several machines in
        parallel.  It lives until :meth:`stop`, after the recipes: their death signal follows it."""
        if self._spawn_thread is None:
            self._spawn_thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix=f"spawn {self.scoped_path}")
        return self._spawn_thread

    def _pid_recorder(self, node: Node) -> Callable[[int], None]:
        def record(pid: int) -> None:
            if node.running is not None:
                node.running["pid"] = pid
                node.touch()
                self._save_soon()  # so that a restarted manager can kill what a crash left behind

        return record


#: the most of one step's output a StepLog carries (the end is kept)
SHIPPED_LOG_BYTES = 1024 * 1024


def _size(file: Path) -> int:
    try:
        return file.stat().st_size
    except OSError:
        return 0


def _read_from(file: Path, offset: int) -> str:
    """What ``file`` got since ``offset`` (its last SHIPPED_LOG_BYTES, with a note when cut)."""
    try:
        with file.open("rb") as handle:
            size = handle.seek(0, 2)
            start = max(offset, size - SHIPPED_LOG_BYTES)
            handle.seek(start)
            data = handle.read()
    except OSError:
        return ""
    cut = (
        f"=== (the first {start - offset} bytes of this run's output stayed on the agent's host)\n"
        if start > offset
        else ""
    )
    return cut + data.decode("utf-8", "replace")


def _prepare_instance_dir(directory: Path, source: Path | None) -> None:
    """A fresh instance directory: a copy of the component's resources, scripts made executable
    (file system work, run in a worker thread so that the event loop keeps deciding)."""
    shutil.rmtree(directory, ignore_errors=True)
    directory.mkdir(parents=True, exist_ok=True)
    if source is not None and source.is_dir():
        shutil.copytree(source, directory, dirs_exist_ok=True)
    make_scripts_executable(directory)


def _adds(op: Op, prefix: str, exporter: tuple[str, str]) -> bool:
    """Whether ``op`` adds the import of ``exporter`` (application, path) under ``prefix``."""
    imp = op.data.get("imp")
    return (
        op.kind == "import_add"
        and op.data.get("prefix") == prefix
        and isinstance(imp, Received)
        and (imp.application, imp.path) == exporter
    )


def _inside(file: str, resource_dir: str | None) -> str:
    """The plan's recipe path (relative to the application) relative to the instance's directory."""
    if resource_dir and file.startswith(resource_dir.rstrip("/") + "/"):
        return file[len(resource_dir.rstrip("/")) + 1 :]
    return file


def _template_context(node: Node, env: dict[str, str]) -> dict[str, object]:
    """The Mustache context of runtime.md §4.3: imports as Roboconf gives them, plus rbcc's additions."""
    import_lists = [
        {
            "prefix": p,
            "imports": [
                {"exportedVars": [{"name": k, "value": v} for k, v in r.variables.items()], "name": r.path} for r in rs
            ],
        }
        for p, rs in node.imports.items()
    ]
    return {
        "importLists": import_lists,
        "exports": [{"name": k, "value": v} for k, v in node.exports.items()],
        **{k: v for k, v in env.items() if k.startswith("ROBOCONF_")},
    }


def _with_child(spec: PlanInstance, child: str) -> PlanInstance:
    import dataclasses

    return dataclasses.replace(spec, children=(*spec.children, child))


def _without_child(spec: PlanInstance, child: str) -> PlanInstance:
    import dataclasses

    return dataclasses.replace(spec, children=tuple(c for c in spec.children if c != child))
