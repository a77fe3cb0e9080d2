"""The validation API used by ``rbcc validate``, the benchmarks and the language server.

``Validator`` keeps a parse cache, so re-validating after editing one file re-parses only that
file.  Paths in problems are relative to ``ValidationResult.root``.
"""

from __future__ import annotations

import gc
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from rbcc.dsl.checks.blocks import validate_file
from rbcc.dsl.checks.cascades import without_cascades
from rbcc.dsl.checks.model import validate_graph
from rbcc.dsl.limits import Suppressed, limit_per_file
from rbcc.dsl.model.graph_builder import load_graph
from rbcc.dsl.problems import Problem, has_errors, problem, sort_key
from rbcc.dsl.project import AS_CHOICES, COMPAT_CHOICES, Application, is_application_dir, load_application
from rbcc.dsl.text.files import LayoutCache, SourceError, Sources
from rbcc.dsl.text.parser import ParseCache
from rbcc.dsl.text.ranges import SourceRange


@dataclass
class ValidationResult:
    root: Path
    problems: list[Problem]
    application: Application | None = None
    kind: str = "application"
    files: list[str] = field(default_factory=list)
    #: problems left out of ``problems`` by ``max_problems`` (per file); counted in errors/warnings
    suppressed: list[Suppressed] = field(default_factory=list)
    max_problems: int | None = None

    @property
    def mode(self) -> tuple[str, str] | None:
        """For a project: what it was validated as (``application``/``recipe``) and why."""
        app = self.application
        if app is None or self.kind != "application":
            return None
        return app.mode, app.mode_reason

    @property
    def errors(self) -> int:
        """Errors found, suppressed ones included: the verdict never depends on the cap."""
        return sum(1 for p in self.problems if p.is_error) + sum(s.errors for s in self.suppressed)

    @property
    def warnings(self) -> int:
        return sum(1 for p in self.problems if not p.is_error) + sum(s.warnings for s in self.suppressed)


class Validator:
    """Validates applications and single files; reuse one instance for warm re-validation."""

    def __init__(self, *, compat: str | None = None, as_: str = "auto") -> None:
        """``compat="roboconf"``: Roboconf's exact staging; ``as_``: ``auto``, ``application``
        or ``recipe`` (see ``load_application``)."""
        if compat is not None and compat not in COMPAT_CHOICES:
            raise ValueError(f"unknown compat mode {compat!r}")
        if as_ not in AS_CHOICES:
            raise ValueError(f"unknown project kind {as_!r}")
        self.cache = ParseCache()
        self.fs_cache = LayoutCache()
        self.compat = compat
        self.as_ = as_
        self.staged = compat == "roboconf"

    def forget_filesystem(self) -> None:
        """Files were created, deleted or renamed: rescan the layout at the next validation."""
        self.fs_cache.clear()

    def validate(
        self, path: Path, overlays: Mapping[str, str] | None = None, *, max_problems: int | None = None
    ) -> ValidationResult:
        """Validate ``path``; with ``max_problems`` (> 0), at most that many problems per file are
        kept in the result, the others counted in ``result.suppressed`` (rbcc.dsl.limits)."""
        result = self._validate(Path(path), overlays)
        if max_problems:
            result.problems, result.suppressed = limit_per_file(result.problems, max_problems)
            result.max_problems = max_problems
        return result

    def _validate(self, path: Path, overlays: Mapping[str, str] | None) -> ValidationResult:
        # Loading allocates many small objects and frees almost none: the cyclic collector
        # would rescan them over and over (a third of the run time at 1,000 components).
        was_enabled = gc.isenabled()
        gc.disable()
        try:
            if path.is_dir():
                return self._application(path, overlays or {})
            return self._file(path)
        finally:
            if was_enabled:
                gc.enable()

    def _application(self, root: Path, overlays: Mapping[str, str]) -> ValidationResult:
        app = load_application(
            root,
            sources=Sources(root, overlays),
            cache=self.cache,
            fs_cache=self.fs_cache,
            compat=self.compat,
            as_=self.as_,
        )
        return ValidationResult(root, sorted(app.problems, key=sort_key), app, "application", sorted(app.files))

    def _file(self, path: Path) -> ValidationResult:
        root = path.parent
        name = path.name
        lower = name.lower()
        app_root = enclosing_application(path)
        if app_root is not None and lower.endswith((".graph", ".instances", ".commands", ".drl")):
            result = self._application(app_root, {})
            rel = path.resolve().relative_to(app_root.resolve()).as_posix()
            result.problems = [p for p in result.problems if p.file == rel]
            result.kind = "file"
            return result
        if lower.endswith(".properties"):
            return self._descriptor(path)
        if lower.endswith(".drl"):
            return self._rule(path)
        if lower.endswith(".instances"):
            return self._instances_alone(path)
        sources = Sources(root)
        graph, problems = load_graph(name, "", sources, self.cache, staged=self.staged)
        if not problems or (not self.staged and has_errors(problems)):
            problems = problems + validate_graph(graph, SourceRange.file_start(name))
        if not self.staged:
            problems = without_cascades(problems, graph.files, graph, (), sources)
        return ValidationResult(root, sorted(problems, key=sort_key), None, "graph", sorted(graph.files))

    def _instances_alone(self, path: Path) -> ValidationResult:
        """An .instances file outside any application: syntax and file-level checks only."""
        root, name = path.parent, path.name
        try:
            text = Sources(root).read(name)
        except SourceError as exc:
            return ValidationResult(
                root, [problem("P_IO_ERROR", SourceRange.file_start(name), ("EXCEPTION", str(exc)))]
            )
        if text is None:
            return ValidationResult(root, [problem("CO_UNREACHABLE_FILE", SourceRange.file_start(name))])
        parsed = self.cache.parse(name, text)
        problems = list(parsed.problems) + validate_file(parsed)
        return ValidationResult(root, sorted(problems, key=sort_key), None, "instances", [name])

    def _descriptor(self, path: Path) -> ValidationResult:
        from rbcc.dsl.checks.descriptor import validate_descriptor
        from rbcc.dsl.model.descriptor import read_descriptor

        desc, problems = read_descriptor(path, path.name)
        if desc is not None:
            problems = problems + validate_descriptor(desc)
        return ValidationResult(path.parent, sorted(problems, key=sort_key), None, "descriptor", [path.name])

    def _rule(self, path: Path) -> ValidationResult:
        from rbcc.dsl.rules.parser import parse_rule

        try:
            text = path.read_bytes().decode("utf-8", errors="replace")
        except OSError as exc:
            return ValidationResult(
                path.parent, [problem("RULE_IO_ERROR", SourceRange.file_start(path.name), ("EXCEPTION", str(exc)))]
            )
        _rule, problems = parse_rule(text, path.name)
        return ValidationResult(path.parent, sorted(problems, key=sort_key), None, "rule", [path.name])


def enclosing_application(path: Path) -> Path | None:
    """The project directory containing ``path`` (``<app>/graph/x.graph`` → ``<app>``)."""
    try:
        resolved = path.resolve()
    except (OSError, RuntimeError):
        return None
    for parent in list(resolved.parents)[:4]:
        if (parent / "descriptor" / "application.properties").is_file():
            return parent
    return None


def validate_path(
    path: Path, *, compat: str | None = None, as_: str = "auto", max_problems: int | None = None
) -> ValidationResult:
    """Validate an application directory or a single file (``compat``, ``as_``, ``max_problems``: see ``Validator``)."""
    return Validator(compat=compat, as_=as_).validate(path, max_problems=max_problems)


__all__ = [
    "AS_CHOICES",
    "COMPAT_CHOICES",
    "ValidationResult",
    "Validator",
    "validate_path",
    "is_application_dir",
    "enclosing_application",
]
