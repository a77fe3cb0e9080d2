"""Running a commands file against an instance tree (runtime.md §6.3), as Roboconf's manager would.

The file is parsed and validated against the tree *as it is now* (so ``$(SMART_INDEX)`` and
``$(EXISTING_INDEX …)`` see the instances earlier commands created); one invalid line and nothing
runs.  Then the instructions run in order and the first failure stops the file (no rollback, as in
Roboconf).  Instructions that use a disabled variable are skipped.  Side effects outside the
application (``write``, ``append``, ``email``) are described, not performed: this runner is the
simulator's; the executor performs them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from rbcc.dsl import Application, Level, Problem, walk_instances
from rbcc.dsl.automation import COMMANDS_DIR, ModelContext, model_context
from rbcc.dsl.commands import (
    Append,
    AssociateTarget,
    Bulk,
    ChangeState,
    CreateInstance,
    DefineVariable,
    Email,
    Execute,
    Instruction,
    Rename,
    Replicate,
    Write,
    parse_commands,
)
from rbcc.runtime.autonomic.model import DEPLOYED_STARTED, DEPLOYED_STOPPED, NOT_DEPLOYED, Change, Node, Tree

#: ``execute`` may nest this deep (a file executing itself is already refused by validation)
MAX_DEPTH = 16


class CommandFailure(Exception):
    """An instruction that cannot run: the rest of the file is dropped."""


@dataclass
class CommandRun:
    """What running one commands file did."""

    name: str
    result: str  # ok | ok-with-skipped | invalid | failed
    error: str | None = None
    problems: list[Problem] = field(default_factory=list)
    changes: list[Change] = field(default_factory=list)
    #: side effects outside the application, described (``would write … into …``)
    effects: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    #: ``file:line:column`` of the first problem (invalid) or of the instruction that failed
    location: str | None = None

    @property
    def failed(self) -> bool:
        return self.result in ("invalid", "failed")


@dataclass
class CommandRunner:
    """Runs ``commands/<name>.commands`` of ``app`` against ``tree``."""

    app: Application
    tree: Tree
    #: ``autonomic.maximum.vm.number``: machines rule-triggered commands may create (None: unlimited)
    max_vms: int | None = None
    #: the validation context (components, commands files), when the caller keeps one between runs
    context: Callable[[], ModelContext] | None = None

    def run(self, name: str, autonomic: bool, depth: int = 0) -> CommandRun:
        rel = f"{COMMANDS_DIR}/{name}.commands"
        path = self.app.root / rel
        try:
            text = path.read_bytes().decode("utf-8", errors="replace")
        except OSError:
            return CommandRun(name, "failed", f"{rel} does not exist")
        return self.run_text(text, rel, name, autonomic, depth)

    def run_text(self, text: str, rel: str, name: str, autonomic: bool, depth: int = 0) -> CommandRun:
        """Validate ``text`` (the file ``rel``, command ``name``) against the tree, then run it."""
        ctx = (
            self.context()
            if self.context is not None
            else model_context(self.app.graph, [], self.app.root / COMMANDS_DIR)
        )
        ctx.instances = {p: n.component for p, n in self.tree.nodes.items()}
        instructions, problems = parse_commands(text, rel, name, ctx)
        errors = [p for p in problems if p.level is Level.ERROR]
        run = CommandRun(name, "ok", problems=problems)
        if errors:
            first = errors[0]
            where = f"{first.range.file}:{first.range.start_line}:{first.range.start_column}" if first.range else rel
            run.result, run.error = "invalid", f"{where}: {first.code} {first.message}"
            run.location = where
            return run
        source = text.splitlines()
        for instr in instructions:
            if instr.disabled:  # shown as written: its text holds the mock value of the variable
                line = instr.range.start_line - 1 if instr.range is not None else -1
                run.skipped.append(source[line].strip() if 0 <= line < len(source) else instr.text)
                continue
            try:
                self._execute(instr, run, autonomic, depth)
            except CommandFailure as exc:
                run.result, run.error = "failed", f"{instr.text}: {exc}"
                if instr.range is not None:
                    r = instr.range
                    run.location = f"{r.file}:{r.start_line}:{r.start_column}"
                return run
        if run.skipped:
            run.result = "ok-with-skipped"
        return run

    def _execute(self, instr: Instruction, run: CommandRun, autonomic: bool, depth: int) -> None:
        tree = self.tree
        if isinstance(instr, CreateInstance):
            assert instr.instance_name is not None and instr.component_name is not None
            path = f"{instr.parent_path or ''}/{instr.instance_name}"
            if instr.parent_path is None:
                self._check_cap(autonomic)
            run.changes.extend(tree.create(path, instr.component_name, autonomic and instr.parent_path is None))
        elif isinstance(instr, Replicate):
            assert instr.instance_path is not None and instr.new_name is not None
            self._check_cap(autonomic)
            run.changes.extend(tree.copy(instr.instance_path, f"/{instr.new_name}", autonomic))
        elif isinstance(instr, Rename):
            assert instr.instance_path is not None and instr.new_name is not None
            if any(tree.nodes[p].state != NOT_DEPLOYED for p in tree.subtree(instr.instance_path)):
                raise CommandFailure(f"{instr.instance_path} must be NOT_DEPLOYED to be renamed")
            run.changes.extend(tree.rename(instr.instance_path, instr.new_name))
        elif isinstance(instr, ChangeState):
            assert instr.instance_path is not None and instr.status is not None
            run.changes.extend(self._change_state(instr.instance_path, instr.status))
        elif isinstance(instr, Bulk):
            for target in self._targets(instr):
                run.changes.extend(self._bulk(instr.action or "", target))
        elif isinstance(instr, Append | Write):
            verb = "append" if isinstance(instr, Append) else "write"
            run.effects.append(f"would {verb} {len(instr.content or '')} characters into {instr.file_path}")
        elif isinstance(instr, Email):
            to = ", ".join(instr.recipients) or "the default recipients"
            run.effects.append(f"would e-mail {to}")
        elif isinstance(instr, AssociateTarget):
            run.effects.append(f"would associate {instr.instance_path} with the target {instr.target_id}")
        elif isinstance(instr, Execute):
            assert instr.command_name is not None
            if depth >= MAX_DEPTH:
                raise CommandFailure(f"execute nests deeper than {MAX_DEPTH} files")
            inner = self.run(instr.command_name, autonomic=False, depth=depth + 1)
            run.changes.extend(inner.changes)
            run.effects.extend(inner.effects)
            run.skipped.extend(inner.skipped)
            if inner.failed:
                raise CommandFailure(f"{instr.command_name}: {inner.error}")
        elif not isinstance(instr, DefineVariable):  # a define only names a value for later lines
            raise CommandFailure(f"{type(instr).__name__} cannot be simulated")

    def _check_cap(self, autonomic: bool) -> None:
        if autonomic and self.max_vms is not None and self.max_vms >= 0:
            if self.tree.machines(autonomic_only=True) >= self.max_vms:
                raise CommandFailure(f"the autonomic VM cap ({self.max_vms} machines) is reached")

    def _targets(self, instr: Bulk) -> list[str]:
        if instr.instance_path is not None:
            return [instr.instance_path] if instr.instance_path in self.tree.nodes else []
        return [p for p, n in self.tree.nodes.items() if n.component == instr.component_name]

    def _bulk(self, action: str, target: str) -> list[Change]:
        tree = self.tree
        if target not in tree.nodes:
            return []  # deleted by an earlier target of the same instruction
        paths = tree.subtree(target)
        if action == "DEPLOY_AND_START_ALL":
            return tree.set_state(paths, DEPLOYED_STARTED)
        if action == "STOP_ALL":
            return tree.set_state([p for p in paths if tree.nodes[p].state != NOT_DEPLOYED], DEPLOYED_STOPPED)
        if action == "UNDEPLOY_ALL":
            return tree.set_state(paths, NOT_DEPLOYED)
        if action == "DELETE":
            return tree.delete(target)
        raise CommandFailure(f"unknown bulk action {action}")

    def _change_state(self, path: str, status: str) -> list[Change]:
        tree = self.tree
        if path not in tree.nodes:
            raise CommandFailure(f"{path} does not exist")
        if status == NOT_DEPLOYED:  # undeploying an instance undeploys what runs on it
            return tree.set_state(tree.subtree(path), NOT_DEPLOYED)
        if status == DEPLOYED_STOPPED:
            return tree.set_state([p for p in tree.subtree(path) if tree.nodes[p].state == DEPLOYED_STARTED], status)
        if status == DEPLOYED_STARTED:
            parent = tree.parent(path)
            if parent is not None and tree.nodes[parent].state != DEPLOYED_STARTED:
                raise CommandFailure(f"{path} cannot start before {parent} is started")
            return tree.set_state([path], status)
        raise CommandFailure(f"{status} is not a state a command can ask for")


def initial_tree(app: Application, state: str = DEPLOYED_STARTED) -> Tree:
    """The application's instances, every one in ``state`` (a running application by default)."""
    tree = Tree()
    for inst in walk_instances(app.instances):
        tree.nodes[inst.path] = Node(inst.component_name, state)
    return tree
