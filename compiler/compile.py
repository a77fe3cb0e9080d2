"""``compile_application``: an application directory in, every chosen target's files (or problems) out.

The steps of compile.md §2.1: load and validate with Roboconf's rules, build the IR, lower it for each
target with that target's diagnostics, and print the files only when no problem is an error.  Errors
and warnings of every step are collected at once; the caller writes the files (:mod:`.output`).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from rbcc.compiler.ir.build import CompileOptions, build_ir
from rbcc.compiler.ir.external import EXPORTS_FILE
from rbcc.compiler.ir.model import CompiledApplication
from rbcc.compiler.targets import compose, k8s, plan, swarm
from rbcc.dsl import Level, Problem, has_errors, sort_key
from rbcc.errors import RbccError

Printer = Callable[[CompiledApplication, CompileOptions], dict[str, str]]
Checker = Callable[[CompiledApplication], list[Problem]]


def _no_checks(app: CompiledApplication) -> list[Problem]:
    return []


#: target name → (diagnostics of the IR for that target, printer)
TARGETS: dict[str, tuple[Checker, Printer]] = {
    "compose": (compose.check, lambda app, options: compose.render(app, options.output)),
    "swarm": (swarm.check, swarm.render),
    "k8s": (k8s.check, k8s.render),
    "plan": (_no_checks, lambda app, options: plan.render(app)),
}
#: targets that run containers: they need the service units
CONTAINER_TARGETS = frozenset({"compose", "swarm", "k8s"})


class NotAnApplication(RbccError):
    """The path given to ``rbcc compile`` is not an application directory."""


@dataclass
class CompileResult:
    """What one compilation produced: the IR, the problems, and the files (empty when there is an error)."""

    application: CompiledApplication | None
    problems: list[Problem] = field(default_factory=list)
    files: dict[str, str] = field(default_factory=dict)

    @property
    def errors(self) -> int:
        return sum(1 for p in self.problems if p.level is Level.ERROR)

    @property
    def warnings(self) -> int:
        return sum(1 for p in self.problems if p.level is Level.WARNING)


def adjust_levels(problems: Sequence[Problem], options: CompileOptions) -> list[Problem]:
    """``--allow CODE`` turns that error into a warning; ``--strict`` turns every warning into an error."""
    out = []
    for p in problems:
        if p.code in options.allow and p.level is Level.ERROR:
            p = dataclasses.replace(p, level=Level.WARNING)
        elif options.strict and p.level is Level.WARNING:
            p = dataclasses.replace(p, level=Level.ERROR)
        out.append(p)
    return out


def compile_application(path: Path, targets: Sequence[str], options: CompileOptions) -> CompileResult:
    """Compile the application in ``path`` for ``targets`` (names of :data:`TARGETS`)."""
    from rbcc.dsl import is_application_dir, load_application

    unknown = [t for t in targets if t not in TARGETS]
    if unknown:
        raise RbccError(f"unknown target {unknown[0]!r} (choose among {', '.join(sorted(TARGETS))})")
    path = Path(path)
    if not path.is_dir() or not is_application_dir(path):
        raise NotAnApplication(
            f"{path}: not a Roboconf application directory (it needs descriptor/, graph/ and instances/)"
        )
    app = load_application(path)
    result = CompileResult(None, list(app.problems))
    if has_errors(app.problems):
        return _finish(result, options)
    if not app.instances:
        raise NotAnApplication(f"{path}: the application has no instances to compile (add an instances file)")
    ir = build_ir(app, options)
    result.application = ir
    result.problems.extend(ir.problems)
    if CONTAINER_TARGETS.intersection(targets):
        from rbcc.compiler.ir.services import lower_services

        result.problems.extend(lower_services(app, ir, options))
    for name in targets:
        check, _ = TARGETS[name]
        result.problems.extend(check(ir))
    _finish(result, options)
    if result.errors:
        return result
    for name in targets:
        _, printer = TARGETS[name]
        result.files.update(printer(ir, options))
    if ir.published is not None:  # what applications bound to this one read (--bind)
        result.files[EXPORTS_FILE] = ir.published.text()
    return result


def _finish(result: CompileResult, options: CompileOptions) -> CompileResult:
    unique: dict[tuple, Problem] = {}
    for p in adjust_levels(result.problems, options):
        unique.setdefault((p.code, p.range, p.message, p.level), p)
    result.problems = sorted(unique.values(), key=sort_key)
    return result
