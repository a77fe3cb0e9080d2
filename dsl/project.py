"""Loading a whole Roboconf project: Roboconf's RuntimeModelIo.loadApplication (dsl.md §12).

Descriptor, graph entry point and imports, instances, commands, rules, misplaced and unreachable
files, resource directories, and the final whole-application validation — in Roboconf's order,
with its gating, but every problem reported once (see docs/deviations.md).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from rbcc.dsl.checks.container import check_containers
from rbcc.dsl.checks.model import validate_graph, validate_instances
from rbcc.dsl.checks.recipes import check_recipes
from rbcc.dsl.model import inheritance as ih
from rbcc.dsl.model.container import ContainerMetadata, TargetFile, read_containers
from rbcc.dsl.model.descriptor import Descriptor
from rbcc.dsl.model.elements import Graph, Instance
from rbcc.dsl.model.graph_builder import load_graph
from rbcc.dsl.model.instances_builder import load_instances
from rbcc.dsl.probes import Measure, load_probes
from rbcc.dsl.problems import Problem, has_errors, problem
from rbcc.dsl.text import lexical as lx
from rbcc.dsl.text.files import LayoutCache, Sources
from rbcc.dsl.text.parser import ParseCache
from rbcc.dsl.text.ranges import SourceRange
from rbcc.dsl.text.syntax import ParsedFile

if TYPE_CHECKING:  # loaded on demand (most projects have neither commands nor rules)
    from rbcc.dsl.commands import Instruction
    from rbcc.dsl.rules.parser import Rule

DESCRIPTOR = "descriptor/application.properties"
#: codes removed for reusable-recipe projects (RoboconfErrorHelpers.filterErrorsForRecipes)
RECIPE_FILTERED = frozenset(
    {
        "RM_ROOT_INSTALLER_MUST_BE_TARGET",
        "RM_UNRESOLVABLE_FACET_VARIABLE",
        "RM_UNREACHABLE_COMPONENT",
        "RM_ORPHAN_FACET",
        "RM_ORPHAN_FACET_WITH_CHILDREN",
    }
)


@dataclass
class Application:
    """A loaded project: the model the compiler, the language server and the CLI work from."""

    root: Path
    descriptor: Descriptor | None = None
    graph: Graph | None = None
    instances: list[Instance] = field(default_factory=list)
    #: instances as built even when Roboconf would drop them (for editors)
    all_instances: list[Instance] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    graph_entry: str | None = None
    instances_entry: str | None = None
    files: dict[str, ParsedFile] = field(default_factory=dict)
    #: commands file name (without ``.commands``) → its instructions
    commands: dict[str, list[Instruction]] = field(default_factory=dict)
    #: rule file name (without ``.drl``) → the rule, for the files that parse
    rules: dict[str, Rule] = field(default_factory=dict)
    is_recipe: bool = False
    #: the kind of project it was validated as (``application`` or ``recipe``) and why
    mode: str = "application"
    mode_reason: str = ""
    #: without a descriptor: how many ``*.graph`` files ``graph/`` offered as entry point
    graph_candidates: int = 0
    #: component name → the container metadata it declares (docs/container-metadata.md)
    containers: dict[str, ContainerMetadata] = field(default_factory=dict)
    #: component → the measures of ``probes/<Component>.measures`` (:mod:`rbcc.dsl.probes`)
    probes: dict[str, list[Measure]] = field(default_factory=dict)
    #: root component name → its target files, sorted by file name
    targets: dict[str, list[TargetFile]] = field(default_factory=dict)

    @property
    def name(self) -> str:
        desc = self.descriptor
        return (desc.name if desc is not None else None) or self.root.name


def is_application_dir(path: Path) -> bool:
    return (path / "descriptor").is_dir() or (path / "graph").is_dir() or (path / "instances").is_dir()


#: how ``load_application`` may treat a project (``rbcc validate --as``)
AS_CHOICES = ("auto", "application", "recipe")
#: ``compat`` values: Roboconf's exact staging (``rbcc validate --compat roboconf``)
COMPAT_CHOICES = ("roboconf",)


def load_application(
    root: Path,
    *,
    sources: Sources | None = None,
    cache: ParseCache | None = None,
    flexible: bool | None = None,
    fs_cache: LayoutCache | None = None,
    compat: str | None = None,
    as_: str = "auto",
) -> Application:
    """Load and validate the project in ``root``.  Never raises on bad input.

    ``as_`` (docs/validate-output.md, "Projects without a descriptor"): ``auto`` loads a
    project without ``descriptor/`` flexibly (a generated descriptor), as a reusable recipe
    when it has no instances either (§12.1, §12.2); ``application`` demands the descriptor
    (PROJ_NO_DESC_DIR); ``recipe`` loads flexibly and skips the checks that only make sense for
    a complete application.  ``Application.mode`` and ``mode_reason`` say what was chosen.

    ``compat="roboconf"``: Roboconf's staging, exactly (a file with an error is dropped, later
    stages are skipped after an error).  By default, every independent problem is reported in
    one run and nothing cascades from a dropped piece (docs/deviations.md §11); the verdict is
    the same.

    ``fs_cache`` keeps what was learnt from the directory layout (which model files exist,
    recipe directory checks) between calls; an editor clears it when files are created or
    deleted.  File contents are always read afresh (or taken from ``sources`` overlays).
    """
    if compat is not None and compat not in COMPAT_CHOICES:
        raise ValueError(f"unknown compat mode {compat!r}")
    if as_ not in AS_CHOICES:
        raise ValueError(f"unknown project kind {as_!r}")
    staged = compat == "roboconf"
    fs_cache = LayoutCache() if fs_cache is None else fs_cache
    sources = sources or Sources(root)
    cache = cache or ParseCache()
    app = Application(root)
    out = app.problems
    has_desc_dir = sources.is_dir("descriptor")
    has_instances = any(rel.lower().endswith(".instances") for rel in _model_files(root, fs_cache))
    if flexible is None:
        flexible = not has_desc_dir and as_ != "application"
    app.is_recipe = as_ == "recipe" or (as_ == "auto" and flexible and not has_desc_dir and not has_instances)
    app.mode, app.mode_reason = _mode(app, as_, has_desc_dir, has_instances)
    desc = None
    if has_desc_dir:
        desc = _descriptor(app, sources, out)
    elif not flexible:
        out.append(problem("PROJ_NO_DESC_DIR", SourceRange.file_start(DESCRIPTOR), ("DIRECTORY", str(root))))
    app.descriptor = desc
    generated = desc is None and flexible and not has_desc_dir  # Roboconf generates a descriptor

    graph_dir = sources.is_dir("graph")
    graph: Graph | None = None
    if not graph_dir:
        out.append(
            problem(
                "PROJ_NO_GRAPH_DIR",
                _anchor(app),
                ("DIRECTORY", str(root)),
                note="Create `graph/` with the .graph files.",
            )
        )
    else:
        entry = desc.graph_entry_point if desc is not None else None
        if generated:
            candidates = _graph_candidates(root)
            entry = candidates[0] if candidates else None
            app.graph_candidates = len(candidates)
        if entry is not None and not lx.is_blank(entry):
            rel = f"graph/{entry}"
            app.graph_entry = rel
            if not sources.exists(rel):
                where = (desc.range_of("graph-entry-point") if desc is not None else None) or _anchor(app)
                out.append(problem("PROJ_MISSING_GRAPH_EP", where, ("EXPECTED", rel)))
            else:
                graph, problems = load_graph(rel, "graph", sources, cache, staged=staged)
                app.files.update(graph.files)
                out.extend(problems)
                if not problems or (not staged and has_errors(problems)):
                    out.extend(validate_graph(graph, SourceRange.file_start(rel)))
                    out.extend(check_recipes(graph, root / "graph", fs_cache))
    app.graph = graph
    if generated and app.graph_candidates > 1 and app.graph_entry:
        app.mode_reason += (
            f"; graph entry point {app.graph_entry}: the first of {app.graph_candidates} .graph files "
            "in graph/ in alphabetical order"
        )

    if (desc is not None or generated) and sources.is_dir("instances"):
        iep = desc.instance_entry_point if desc is not None else None  # a generated one has none
        if graph is None:
            out.append(problem("CO_GRAPH_COULD_NOT_BE_BUILT", _anchor(app)))
        elif iep is not None and not lx.is_blank(iep):
            rel = f"instances/{iep}"
            app.instances_entry = rel
            if not sources.exists(rel):
                where = (desc.range_of("instance-entry-point") if desc is not None else None) or _anchor(app)
                out.append(problem("PROJ_MISSING_INSTANCE_EP", where, ("EXPECTED", rel)))
            else:
                roots, problems, files = load_instances(rel, "instances", graph, sources, cache, staged=staged)
                app.all_instances = roots
                app.files.update(files)
                if problems:
                    out.extend(problems)
                    if not staged and has_errors(problems):
                        app.instances = roots  # a warning drops them in both modes (the verdict)
                else:
                    out.extend(validate_instances(graph, roots, roots_only=True))
                    app.instances = roots

    if graph is not None:
        _commands_and_rules(app, out, staged)
    _file_locations(app, out, fs_cache)
    if not has_errors(out):
        out.extend(_validate_template(app))
    elif not staged and graph is not None:
        # the verdict is an error: the model checks see the graph as written (not the graph
        # Roboconf would have unlinked after a warning), and every instance is checked
        graph.java_links = "all"
        out.extend(_validate_template(app))
    if graph is not None:  # rbcc's own stage, after Roboconf's gating, which it must not alter
        out.extend(_containers(app, graph, sources, out))
        app.probes, found = load_probes(app.root, graph)  # rbcc's too: Roboconf's core never reads them
        out.extend(found)
    if app.is_recipe:
        out[:] = [p for p in out if p.code not in RECIPE_FILTERED]
    if not staged:
        from rbcc.dsl.checks.cascades import without_cascades

        out[:] = without_cascades(out, app.files, graph, app.all_instances, sources)
    app.problems = _dedupe(out)
    return app


def _mode(app: Application, as_: str, has_desc_dir: bool, has_instances: bool) -> tuple[str, str]:
    """The kind of project validated (``application`` or ``recipe``) and why, for the reports."""
    if as_ == "recipe":
        return "recipe", "--as recipe (the checks that need a whole application are skipped)"
    if has_desc_dir:
        return "application", "descriptor/ found"
    if as_ == "application":
        return "application", "--as application (an application needs descriptor/application.properties)"
    if app.is_recipe:
        return (
            "recipe",
            "no descriptor/ and no .instances file (the checks that need a whole application are skipped; "
            "--as application validates it as an application)",
        )
    return (
        "application",
        "no descriptor/, but .instances files: with a generated descriptor, so its instances are not "
        "loaded (add descriptor/application.properties)",
    )


def _descriptor(app: Application, sources: Sources, out: list[Problem]) -> Descriptor | None:
    from rbcc.dsl.checks.descriptor import validate_descriptor
    from rbcc.dsl.model.descriptor import read_descriptor

    path = app.root / DESCRIPTOR
    if not path.is_file() and DESCRIPTOR not in sources.overlays:
        out.append(
            problem(
                "PROJ_NO_DESC_FILE",
                SourceRange.file_start(DESCRIPTOR),
                note="Create descriptor/application.properties.",
            )
        )
        return None
    desc, problems = read_descriptor(path, DESCRIPTOR, text=sources.overlays.get(DESCRIPTOR))
    out.extend(problems)
    if desc is not None:
        out.extend(validate_descriptor(desc))
    return desc


def _anchor(app: Application) -> SourceRange:
    """Where to put problems about the project as a whole: the descriptor, else the graph entry."""
    if (app.root / DESCRIPTOR).is_file():
        return SourceRange.file_start(DESCRIPTOR)
    if app.graph_entry:
        return SourceRange.file_start(app.graph_entry)
    return SourceRange.file_start(".")


def _graph_candidates(root: Path) -> list[str]:
    """The ``*.graph`` files directly in ``graph/``, in alphabetical (code point) order: without a
    descriptor the first is the entry point (Roboconf takes the first in directory order, which
    differs between file systems; rbcc's choice does not)."""
    gdir = root / "graph"
    try:
        return sorted(n for n in os.listdir(gdir) if n.lower().endswith(".graph") and (gdir / n).is_file())
    except OSError:
        return []


def _walk(root: Path) -> Iterator[Path]:
    """Every non-hidden file of the project, sorted by name, without following link loops."""
    for dirpath, dirnames, filenames in os.walk(root, followlinks=False):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        for name in sorted(filenames):
            if not name.startswith("."):
                yield Path(dirpath) / name


def _model_files(root: Path, fs_cache: LayoutCache) -> list[str]:
    """Project-relative paths of every ``*.graph`` and ``*.instances`` file (one walk, cached)."""
    key = str(root)
    hit = fs_cache.model_files.get(key)
    if hit is None:
        if not root.is_dir():
            return []
        hit = [p.relative_to(root).as_posix() for p in _walk(root) if p.suffix.lower() in (".graph", ".instances")]
        fs_cache.model_files[key] = hit
    return hit


def _file_locations(app: Application, out: list[Problem], fs_cache: LayoutCache) -> None:
    processed = set(app.files)
    files = _model_files(app.root, fs_cache)
    for ext, folder in ((".graph", "graph"), (".instances", "instances")):
        for rel in files:
            if not rel.lower().endswith(ext):
                continue
            if not rel.startswith(folder + "/"):
                out.append(
                    problem(
                        "PROJ_INVALID_FILE_LOCATION",
                        SourceRange.file_start(rel),
                        ("FILE", rel),
                        note=f"Move it under `{folder}/`; it is not validated here.",
                    )
                )
            elif rel not in processed:
                out.append(
                    problem(
                        "PROJ_UNREACHABLE_FILE",
                        SourceRange.file_start(rel),
                        ("FILE", rel),
                        note="Import it from the entry point (or another imported file).",
                    )
                )


def _containers(app: Application, graph: Graph, sources: Sources, out: list[Problem]) -> list[Problem]:
    """Read the container metadata into ``app`` and check it (docs/container-metadata.md).

    A ``container.properties`` in a machine's directory that Roboconf's own target checks already
    reported (``REC_TARGET_*`` naming that file) is not reported again.
    """
    app.containers, app.targets = read_containers(graph, sources)
    reported = frozenset(
        f"graph/{c.name}/{value}"
        for p in out
        if p.code.startswith("REC_TARGET_")
        for c in graph.components.values()
        if p.range == c.name_range
        for kind, value in p.details
        if kind == "FILE"
    )
    return check_containers(graph, app.containers, app.targets, app.root, app.all_instances, reported)


def _commands_and_rules(app: Application, out: list[Problem], staged: bool) -> None:
    from rbcc.dsl.automation import load_commands, load_rules

    load_commands(app, out, staged=staged)
    load_rules(app, out)


def _validate_template(app: Application) -> list[Problem]:
    """Step 7: the whole application (descriptor data, graph again, every instance)."""
    out: list[Problem] = []
    desc = app.descriptor
    if app.graph is None:
        if desc is not None or app.graph_entry is None:
            out.append(problem("RM_MISSING_APPLICATION_GRAPHS", _anchor(app), note="Add a .graph file under graph/."))
        return out
    entry = SourceRange.file_start(app.graph_entry or ".")
    out.extend(validate_graph(app.graph, entry))
    if desc is not None:
        from rbcc.dsl.checks.descriptor import validate_external_exports

        out.extend(validate_external_exports(desc, ih.graph_exports(app.graph)))
    out.extend(validate_instances(app.graph, app.instances))
    return out


def _dedupe(problems: list[Problem]) -> list[Problem]:
    seen: set[tuple[str, SourceRange | None, str]] = set()
    out: list[Problem] = []
    for p in problems:
        key = (p.code, p.range, p.message)
        if key in seen:
            continue
        seen.add(key)
        out.append(p)
    return out
