"""Load what ``rbcc graph``, ``rbcc doc`` and the editor's graph view draw.

An application with errors still gets its diagrams (whatever could be loaded is drawn); only a
path that holds no graph at all is a failure, raised as :class:`NothingToDraw`.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from rbcc.dsl import Application, Graph, Instance
from rbcc.errors import RbccError


class NothingToDraw(RbccError):
    """The path is not an application (or a ``.graph`` file), or no graph could be loaded from it."""


@dataclass(frozen=True)
class Loaded:
    """A graph to draw, with the instances to draw and how many errors its project has."""

    title: str
    root: Path
    graph: Graph
    roots: list[Instance]
    errors: int
    application: Application | None


def load_for_views(path: Path) -> Loaded:
    """Load an application directory (or one ``.graph`` file) for drawing."""
    from rbcc.dsl import Validator, enclosing_application, is_application_dir

    if not path.exists():
        raise NothingToDraw(f"{path}: no such file or directory (give an application directory)")
    if path.is_file():
        app_root = enclosing_application(path)
        if app_root is not None:
            path = app_root
        elif path.suffix.lower() == ".graph":
            return _load_graph_file(path)
        else:
            raise NothingToDraw(f"{path}: not inside an application (give an application directory or a .graph file)")
    if not is_application_dir(path):
        raise NothingToDraw(f"{path}: not a Roboconf application (no descriptor/, graph/ or instances/ directory)")
    result = Validator().validate(path)
    app = result.application
    if app is None or app.graph is None:
        first = next((p for p in result.problems if p.is_error), None)
        reason = f": {first.code} {first.message}" if first is not None else ""
        raise NothingToDraw(f"{path}: no graph could be loaded{reason} (see `rbcc validate {path}`)")
    return Loaded(app.name, path, app.graph, app.instances or app.all_instances, result.errors, app)


def _load_graph_file(path: Path) -> Loaded:
    from rbcc.dsl import ParseCache, Sources, load_graph

    graph, problems = load_graph(path.name, "", Sources(path.parent), ParseCache())
    errors = sum(1 for p in problems if p.is_error)
    if graph is None:
        raise NothingToDraw(f"{path}: no graph could be loaded (see `rbcc validate {path}`)")
    return Loaded(path.stem, path.parent, graph, [], errors, None)
