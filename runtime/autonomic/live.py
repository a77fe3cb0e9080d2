"""Commands run against the live application (runtime.md §6.3): the manager does what they say.

:class:`LiveRunner` is the simulator's :class:`~rbcc.runtime.autonomic.commands.CommandRunner`
(same parsing, same validation of the whole file against the instance tree *first*, same order,
same stop at the first failure, same skipped instructions) whose instructions act on the
:class:`~rbcc.runtime.manager.Manager` through :class:`LiveApplication`:

* ``create`` / ``replicate`` / ``rename``: new instances get a plan entry from the compiler
  (:mod:`.entries`) and go through the manager's normal path (:meth:`Manager.apply_plan`): a new
  root is a machine created when it is asked to start, a child under a running machine reaches its
  agent as ``AddInstance``; they are NOT_DEPLOYED until a request says otherwise;
* ``change status``, ``deploy and start all``, ``stop all``, ``undeploy all``: manager requests
  (§1.2), the desired states recorded; they return once *asked* (the agents act after);
* ``delete``: a fully NOT_DEPLOYED subtree goes at once, else it is flagged and goes once it is
  NOT_DEPLOYED (§6.3 [F]: the instance's own state counts, not only its machine's);
* ``write`` / ``append`` / ``email`` are performed, ``associate`` records the target of a machine.

Instructions are executed one after the other on the manager's loop, between two agent messages:
nothing else changes the model while a file runs.
"""

from __future__ import annotations

import dataclasses
import logging
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rbcc.dsl import Application
from rbcc.dsl.commands import (
    Append,
    AssociateTarget,
    Bulk,
    ChangeState,
    CreateInstance,
    Email,
    Execute,
    Instruction,
    Rename,
    Replicate,
    Write,
)
from rbcc.errors import RbccError
from rbcc.runtime.autonomic.audit import Audit
from rbcc.runtime.autonomic.commands import CommandFailure, CommandRun, CommandRunner
from rbcc.runtime.autonomic.entries import Entries
from rbcc.runtime.autonomic.mail import MailError, compose, send
from rbcc.runtime.autonomic.model import Change, Node, Tree
from rbcc.runtime.plan import Plan
from rbcc.runtime.settings import Settings
from rbcc.runtime.states import State

if TYPE_CHECKING:
    from rbcc.runtime.manager import Manager

log = logging.getLogger("rbcc.runtime.autonomic")

#: data of an instance created by a command (``rbcc deploy`` of the plan keeps it)
CREATED = "created.by.command"
#: data of a machine created by a rule-triggered command (counts toward the VM cap, §6.4)
AUTONOMIC = "autonomic"
TARGET = "target.id"


class LiveApplication:
    """The manager's model as commands see and change it."""

    def __init__(self, manager: Manager, app: Application, settings: Settings) -> None:
        self.manager = manager
        self.app = app
        self.settings = settings
        self.entries = Entries(app, settings.forbidden_ports)
        #: paths flagged for deletion and not gone yet (also those a previous manager flagged)
        self.pending: set[str] = {p for p, i in manager.items.items() if i.removed}

    # ------------------------------------------------------------------ reading
    def tree(self) -> Tree:
        """The instance tree as it is now (flagged instances stay until they go, as in Roboconf)."""
        tree = Tree()
        for path, item in self.manager.items.items():
            if item.removed and path not in self.pending:
                continue
            tree.nodes[path] = Node(item.spec.component, item.state.value, bool(item.data.get(AUTONOMIC)))
        return tree

    def autonomic_machines(self) -> int:
        return sum(  # a machine flagged for deletion counts until it is gone
            1
            for path, item in self.manager.items.items()
            if item.spec.parent is None and item.data.get(AUTONOMIC) and (not item.removed or path in self.pending)
        )

    def _item(self, path: str) -> Any:
        item = self.manager.items.get(path)
        if item is None or (item.removed and path not in self.pending):
            raise CommandFailure(f"{path} does not exist")
        return item

    def _subtree(self, path: str) -> list[str]:
        return self.manager.subtree(path)

    # ------------------------------------------------------------------ instances
    def create(self, new: list[tuple[str, str, dict[str, str]]], autonomic_root: bool) -> list[Change]:
        """Add instances ``(path, component, overrides)`` (parents first), NOT_DEPLOYED."""
        manager = self.manager
        for path, _, overrides in new:
            if path in manager.items:
                raise CommandFailure(f"{path} already exists")
            self.entries.overrides[path] = dict(overrides)
        live = [(p, i.spec.component) for p, i in manager.items.items() if not i.removed]
        tree = live + [(p, c) for p, c, _ in new]
        try:
            built = self.entries.build(tree, [p for p, _, _ in new])
        except RbccError as exc:
            raise CommandFailure(str(exc)) from None
        specs = {p: i.spec for p, i in manager.items.items() if not i.removed}
        for path, _, _ in new:
            parent = built[path].parent
            if parent is not None and parent in specs and path not in specs[parent].children:
                specs[parent] = dataclasses.replace(specs[parent], children=(*specs[parent].children, path))
        order = list(specs.values()) + [built[p] for p, _, _ in new]
        manager.apply_plan(Plan(manager.app, None, order, manager.host.app_dir))
        with manager.store.transaction() as tx:
            for path, _, _ in new:
                item = manager.items[path]
                item.data[CREATED] = True
                if autonomic_root and item.spec.parent is None:
                    item.data[AUTONOMIC] = True
                tx.put_instance(item.record())
        return [Change("created", p, c, None, State.NOT_DEPLOYED.value) for p, c, _ in new]

    def copy(self, source: str, target: str, autonomic: bool) -> list[Change]:
        """``source``'s subtree again at ``target`` (components and overrides; no data, no state)."""
        self._item(source)
        new = [
            (target + p[len(source) :], self.manager.items[p].spec.component, self.entries.overrides.get(p, {}))
            for p in self._subtree(source)
        ]
        changes = self.create(new, autonomic)
        associated = self.manager.items[source].data.get(TARGET)
        if associated is not None:
            self.associate(target, str(associated), check=False)
        return changes

    def rename(self, path: str, name: str) -> list[Change]:
        item = self._item(path)
        if any(self.manager.items[p].state is not State.NOT_DEPLOYED for p in self._subtree(path)):
            raise CommandFailure(f"{path} must be NOT_DEPLOYED to be renamed")
        parent = item.spec.parent
        target = f"{parent or ''}/{name}"
        autonomic = bool(item.data.get(AUTONOMIC))
        self.copy(path, target, autonomic)
        self.delete(path)
        return [Change("renamed", target, item.spec.component, path, target)]

    def delete(self, path: str) -> list[Change]:
        item = self._item(path)
        manager = self.manager
        with manager.store.transaction() as tx:
            item.removed = True
            tx.put_instance(item.record())
        self.pending.add(path)
        deployed = any(manager.items[p].state is not State.NOT_DEPLOYED for p in self._subtree(path))
        self.collect()
        if deployed:
            return [Change("flagged", path, item.spec.component)]
        return [Change("deleted", path, item.spec.component)]

    def collect(self) -> None:
        """Remove the flagged instances that are NOT_DEPLOYED now (called after each state change)."""
        if not self.pending:
            return
        self.manager.forget_removed()
        self.pending = {p for p in self.pending if p in self.manager.items}

    # ------------------------------------------------------------------ requests
    def change_state(self, path: str, status: str) -> str:
        item = self._item(path)
        state = State(status)
        if state not in (State.NOT_DEPLOYED, State.DEPLOYED_STOPPED, State.DEPLOYED_STARTED):
            return f"{path}: {status} asked, which agents ignore"
        manager = self.manager
        if state is State.NOT_DEPLOYED:
            manager.set_desired(self._subtree(path), state)
        else:
            manager.set_desired([path], state)
        if item.spec.scoped and state is State.DEPLOYED_STOPPED:
            return f"{path}: a machine cannot be stopped (ignored, as Roboconf)"
        manager.request(path, state)
        return f"{path}: {state.value} requested"

    def bulk(self, action: str, path: str) -> list[Change]:
        manager = self.manager
        if path not in manager.items:
            return []
        if action == "DEPLOY_AND_START_ALL":
            manager.deploy_and_start_all(path)
        elif action == "STOP_ALL":
            manager.stop_all(path)
        elif action == "UNDEPLOY_ALL":
            manager.undeploy_all(path)
        elif action == "DELETE":
            return self.delete(path)
        else:
            raise CommandFailure(f"unknown bulk action {action}")
        return []

    def associate(self, path: str, target: str, check: bool = True) -> None:
        item = self._item(path)
        if check:
            known = {t.id for files in self.app.targets.values() for t in files if t.id}
            if target not in known:
                raise CommandFailure(f"no target {target!r} (known: {', '.join(sorted(known)) or 'none'})")
        with self.manager.store.transaction() as tx:
            item.data[TARGET] = target
            tx.put_instance(item.record())


@dataclass
class LiveRunner(CommandRunner):
    """A commands file run against the live application; every run is written to the history."""

    live: LiveApplication | None = None
    audit: Audit | None = None
    #: the origin of a top-level run that is not rule-triggered
    origin: str = "manual"
    #: ``autonomic.strict.maximum.vm.number``
    strict: bool = True
    runs: list[CommandRun] = field(default_factory=list)
    _machines_at_start: int = 0

    def run_text(self, text: str, rel: str, name: str, autonomic: bool, depth: int = 0) -> CommandRun:
        assert self.live is not None
        self.tree = self.live.tree()
        if depth == 0:
            self._machines_at_start = self.live.autonomic_machines()
        start = time.time()
        try:
            run = super().run_text(text, rel, name, autonomic, depth)
        except Exception as exc:  # never the manager's problem: logged, audited, reported
            log.exception("commands %s failed", name)
            run = CommandRun(name, "failed", f"{type(exc).__name__}: {exc}")
        origin = "command" if depth else ("autonomic" if autonomic else self.origin)
        if self.audit is not None:
            details = {
                "file": rel,
                "error": run.error,
                "changes": [c.document() for c in run.changes],
                "effects": run.effects,
                "skipped": run.skipped,
            }
            self.audit.command(name, origin, start, time.time() - start, run.result, details)
        self.runs.append(run)
        return run

    def _check_cap(self, autonomic: bool) -> None:
        assert self.live is not None
        limit = self.max_vms
        if not autonomic or limit is None or limit < 0:
            return
        count = self.live.autonomic_machines() if self.strict else self._machines_at_start
        if count >= limit:
            raise CommandFailure(f"the autonomic VM cap ({limit} machines) is reached")

    def _execute(self, instr: Instruction, run: CommandRun, autonomic: bool, depth: int) -> None:
        live = self.live
        assert live is not None
        if isinstance(instr, CreateInstance):
            assert instr.instance_name is not None and instr.component_name is not None
            path = f"{instr.parent_path or ''}/{instr.instance_name}"
            if instr.parent_path is None:
                self._check_cap(autonomic)
            run.changes.extend(live.create([(path, instr.component_name, {})], autonomic))
        elif isinstance(instr, Replicate):
            assert instr.instance_path is not None and instr.new_name is not None
            self._check_cap(autonomic)
            run.changes.extend(live.copy(instr.instance_path, f"/{instr.new_name}", autonomic))
        elif isinstance(instr, Rename):
            assert instr.instance_path is not None and instr.new_name is not None
            run.changes.extend(live.rename(instr.instance_path, instr.new_name))
        elif isinstance(instr, ChangeState):
            assert instr.instance_path is not None and instr.status is not None
            run.effects.append(live.change_state(instr.instance_path, instr.status))
        elif isinstance(instr, Bulk):
            for target in self._targets(instr):
                run.changes.extend(live.bulk(instr.action or "", target))
                if instr.action != "DELETE":
                    run.effects.append(f"{(instr.action or '?').lower().replace('_', ' ')} {target}")
        elif isinstance(instr, Append | Write):
            run.effects.append(_write(instr))
        elif isinstance(instr, Email):
            mail = compose(list(instr.recipients), instr.message or "", self._preference)
            try:
                send(mail, self._preference)
            except MailError as exc:
                raise CommandFailure(str(exc)) from None
            run.effects.append(f"e-mailed {', '.join(mail.recipients)}: {mail.subject}")
        elif isinstance(instr, AssociateTarget):
            assert instr.instance_path is not None and instr.target_id is not None
            live.associate(instr.instance_path, instr.target_id)
            run.effects.append(f"associated {instr.instance_path} with the target {instr.target_id}")
        elif isinstance(instr, Execute):
            super()._execute(instr, run, autonomic, depth)
        else:
            super()._execute(instr, run, autonomic, depth)  # define: a name for later lines
        self.tree = live.tree()

    def _preference(self, key: str, default: str | None) -> str | None:
        assert self.live is not None
        return self.live.settings.preference(key, default)


def _write(instr: Write) -> str:
    """``write``/``append <text> into <file>``: ``%TMP%`` is the temporary directory."""
    target = Path((instr.file_path or "").replace("%TMP%", tempfile.gettempdir()))
    text = instr.content or ""
    appending = isinstance(instr, Append)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        if appending:
            with target.open("a", encoding="utf-8") as out:
                if target.stat().st_size > 0:
                    out.write("\n")
                out.write(text)
        else:
            target.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise CommandFailure(f"cannot write {target}: {exc.strerror or exc}") from None
    return f"{'appended' if appending else 'wrote'} {len(text)} characters into {target}"


def max_vms(settings: Settings) -> tuple[int | None, bool]:
    """``autonomic.maximum.vm.number`` (None: unlimited) and ``autonomic.strict.maximum.vm.number``."""
    raw = settings.preference("autonomic.maximum.vm.number")
    strict = (settings.preference("autonomic.strict.maximum.vm.number", "true") or "true").strip().lower() != "false"
    if raw is None or not raw.strip():
        return None, strict
    try:
        value = int(raw.strip())
    except ValueError:
        raise RbccError(f"autonomic.maximum.vm.number must be a number, not {raw!r}") from None
    return (None if value < 0 else value), strict
