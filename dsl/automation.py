"""Commands and autonomic rules of a project (dsl.md §12 steps 4 and 5).

Adapts the loaded model to what the commands validator needs, and checks that rules invoke
commands that exist.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from rbcc.dsl.model.elements import Graph, Instance, walk_instances
from rbcc.dsl.model.graph_builder import java_components
from rbcc.dsl.problems import Problem, problem
from rbcc.dsl.text.ranges import SourceRange

if TYPE_CHECKING:
    from rbcc.dsl.project import Application

COMMANDS_DIR = "commands"
RULES_DIR = "rules.autonomic"


@dataclass(frozen=True)
class ComponentInfo:
    direct_ancestors: list[str]
    installer: str | None


@dataclass
class ModelContext:
    """The application as the commands validator sees it (component names, instance paths)."""

    components: dict[str, ComponentInfo] = field(default_factory=dict)
    instances: dict[str, str] = field(default_factory=dict)
    command_names: set[str] = field(default_factory=set)
    commands_dir: Path | None = None

    def read_command(self, name: str) -> str | None:
        if self.commands_dir is None:
            return None
        path = self.commands_dir / f"{name}.commands"
        try:
            return path.read_bytes().decode("utf-8", errors="replace")
        except OSError:
            return None


def model_context(
    graph: Graph | None, roots: list[Instance], commands_dir: Path | None, *, staged: bool = False
) -> ModelContext:
    """``staged`` (``--compat roboconf``): the components are those Roboconf's graph has (not
    those of a graph file with an error, see ``java_components``), as its commands parser sees them."""
    ctx = ModelContext(commands_dir=commands_dir)
    if graph is not None:
        known = java_components(graph) if staged else None
        for c in graph.components.values():
            if known is not None and c.name not in known:
                continue
            # Roboconf's `associate` looks at the installer the component declares itself.
            ctx.components[c.name] = ComponentInfo([a.name for a in c.ancestors], c.installer)
    for inst in walk_instances(roots):
        ctx.instances[inst.path] = inst.component_name
    if commands_dir is not None and commands_dir.is_dir():
        ctx.command_names = {p.name[: -len(".commands")] for p in _files(commands_dir) if p.name.endswith(".commands")}
    return ctx


def _files(directory: Path) -> list[Path]:
    """Files below ``directory`` (recursive, hidden skipped), sorted by name like Roboconf."""
    out = []
    for p in directory.rglob("*"):
        rel = p.relative_to(directory)
        if any(part.startswith(".") for part in rel.parts):
            continue
        if p.is_file():
            out.append(p)
    return sorted(out, key=lambda p: p.name)


def load_commands(app: Application, out: list[Problem], *, staged: bool = False) -> None:
    directory = app.root / COMMANDS_DIR
    if not directory.is_dir():
        return
    from rbcc.dsl.commands import parse_commands

    ctx = model_context(app.graph, app.instances, directory, staged=staged)
    for path in _files(directory):
        rel = path.relative_to(app.root).as_posix()
        if not path.name.endswith(".commands"):
            out.append(
                problem(
                    "PROJ_INVALID_COMMAND_EXT",
                    SourceRange.file_start(rel),
                    ("FILE", rel),
                    note="Rename it with the .commands extension or move it out of commands/.",
                )
            )
            continue
        name = path.name[: -len(".commands")]
        try:
            text = path.read_bytes().decode("utf-8", errors="replace")
        except OSError as exc:
            out.append(problem("CMD_INEXISTING_COMMAND_FILE", SourceRange.file_start(rel), ("EXCEPTION", str(exc))))
            continue
        instructions, problems = parse_commands(text, rel, name, ctx)
        app.commands[name] = instructions
        out.extend(problems)


def load_rules(app: Application, out: list[Problem]) -> None:
    directory = app.root / RULES_DIR
    if not directory.is_dir():
        return
    from rbcc.dsl.rules.parser import parse_rule

    known = set(model_context(None, [], app.root / COMMANDS_DIR).command_names)
    for path in _files(directory):
        rel = path.relative_to(app.root).as_posix()
        if not path.name.endswith(".drl"):
            out.append(
                problem(
                    "PROJ_INVALID_RULE_EXT",
                    SourceRange.file_start(rel),
                    ("FILE", rel),
                    note="Rename it with the .drl extension or move it out of rules.autonomic/.",
                )
            )
            continue
        try:
            text = path.read_bytes().decode("utf-8", errors="replace")
        except OSError as exc:
            out.append(problem("RULE_IO_ERROR", SourceRange.file_start(rel), ("EXCEPTION", str(exc))))
            continue
        rule, problems = parse_rule(text, rel)
        out.extend(problems)
        if rule is None:
            continue
        app.rules[path.name[: -len(".drl")]] = rule
        for name, where in zip(rule.commands, rule.command_ranges, strict=False):
            if name not in known:
                out.append(
                    problem(
                        "RULE_UNKNOWN_COMMAND",
                        where,
                        ("NAME", name),
                        note=f"Create commands/{name}.commands or fix the name.",
                    )
                )
