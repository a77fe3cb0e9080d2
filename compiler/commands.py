"""``rbcc graph`` and ``rbcc doc``: diagrams and documentation of an application.

Both load the application with the validator, draw or document whatever could be loaded (an
application with errors still gets its diagrams, with a warning), and write their output
atomically.  Exit status: 0 done, 2 usage or I/O error (no such application, nothing to draw,
``dot`` missing for a rendered format, unwritable output).
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass
from pathlib import Path

import click

from ..atomic import write_atomically

GRAPH_FORMATS = ("dot", "svg", "png", "pdf", "json")
BINARY_FORMATS = ("png", "pdf")
SUFFIX_FORMATS = {".dot": "dot", ".gv": "dot", ".svg": "svg", ".png": "png", ".pdf": "pdf", ".json": "json"}


@dataclass
class Loaded:
    title: str
    root: Path
    graph: object | None
    roots: list
    errors: int
    application: object | None


def _fail(message: str) -> None:
    click.echo(f"rbcc: {message}", err=True)
    sys.exit(2)


def _need_graphviz_package() -> None:
    try:
        import graphviz  # noqa: F401
    except ImportError:
        _fail("the graphviz Python package is needed to write diagrams: pip install 'rbcc[graph]' (or graphviz)")


def load(path: Path) -> Loaded:
    """Load an application directory (or one ``.graph`` file) for drawing; exits 2 if impossible."""
    from ..dsl.project import is_application_dir
    from ..dsl.validate import Validator, enclosing_application

    if not path.exists():
        _fail(f"{path}: no such file or directory (give an application directory)")
    if path.is_file():
        app_root = enclosing_application(path)
        if app_root is not None:
            path = app_root
        elif path.suffix.lower() == ".graph":
            return _load_graph_file(path)
        else:
            _fail(f"{path}: not inside an application (give an application directory or a .graph file)")
    if not is_application_dir(path):
        _fail(f"{path}: not a Roboconf application (no descriptor/, graph/ or instances/ directory)")
    result = Validator().validate(path)
    app = result.application
    if app is None or app.graph is None:
        first = next((p for p in result.problems if p.is_error), None)
        reason = f": {first.code} {first.message}" if first is not None else ""
        _fail(f"{path}: no graph could be loaded{reason} (see `rbcc validate {path}`)")
    return Loaded(app.name, path, app.graph, app.instances or app.all_instances, result.errors, app)


def _load_graph_file(path: Path) -> Loaded:
    from ..dsl.graph_builder import load_graph
    from ..dsl.parser import ParseCache
    from ..dsl.sources import Sources

    graph, problems = load_graph(path.name, "", Sources(path.parent), ParseCache())
    errors = sum(1 for p in problems if p.is_error)
    return Loaded(path.stem, path.parent, graph, [], errors, None)


def _warn_errors(loaded: Loaded, what: str) -> None:
    if loaded.errors:
        click.echo(
            f"rbcc: warning: {loaded.root} has {loaded.errors} error(s); the {what} shows what could be loaded "
            f"(see `rbcc validate {loaded.root}`)",
            err=True,
        )


@click.command()
@click.argument("app", type=click.Path(path_type=Path))
@click.option(
    "--view",
    type=click.Choice(("components", "instances", "wiring")),
    default="components",
    show_default=True,
    help="components: the graph; instances: the instance tree per machine; wiring: resolved imports between instances.",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(GRAPH_FORMATS),
    help="Output format (default: from the -o suffix, else dot). svg, png and pdf need Graphviz's dot.",
)
@click.option(
    "-o", "--output", type=click.Path(path_type=Path, dir_okay=False), help="Write to FILE (default: standard output)."
)
@click.option(
    "--focus",
    metavar="COMPONENT",
    help="Only what is within --depth edges of this component or facet (its instances, for instance views).",
)
@click.option("--depth", type=click.IntRange(min=0), default=1, show_default=True, help="How far from --focus to go.")
@click.option(
    "--full",
    is_flag=True,
    help="Draw every edge even for a large application (by default, above 300 components the components view "
    "leaves imports out and the wiring view groups instances by machine; dot may then take minutes).",
)
@click.option("--no-legend", is_flag=True, help="Leave the legend out.")
def graph(
    app: Path,
    view: str,
    fmt: str | None,
    output: Path | None,
    focus: str | None,
    depth: int,
    full: bool,
    no_legend: bool,
) -> None:
    """Draw an application: its components, its instances, or their wiring.

    \b
    Examples:
      rbcc graph examples/storm                       # DOT of the components, on stdout
      rbcc graph examples/storm -o storm.svg          # rendered with Graphviz's dot
      rbcc graph examples/storm --view wiring --format png -o wiring.png
      rbcc graph examples/storm --focus storm_worker --depth 2 -o worker.svg
      rbcc graph examples/storm --view instances --format json

    The same application always gives the same bytes, so diagrams can be committed.
    """
    _need_graphviz_package()
    from . import dotgen
    from .diagrams import UnknownFocus, build_diagram

    if fmt is None:
        fmt = SUFFIX_FORMATS.get(output.suffix.lower(), "dot") if output is not None else "dot"
    if fmt in BINARY_FORMATS and output is None and sys.stdout.isatty():
        raise click.UsageError(f"--format {fmt} is binary: give -o FILE (or redirect standard output)")
    if fmt in dotgen.RENDER_FORMATS and dotgen.find_dot() is None:
        _fail(dotgen.INSTALL_HINT)
    loaded = load(app)
    try:
        diagram = build_diagram(view, loaded.graph, loaded.roots, loaded.title, focus=focus, depth=depth, full=full)
    except UnknownFocus as exc:
        raise click.BadParameter(str(exc), param_hint="--focus") from None
    _warn_errors(loaded, "diagram")
    if diagram.note:
        click.echo(f"rbcc: note: {diagram.note}", err=True)
    if fmt == "json":
        data: bytes = (json.dumps(diagram.to_json(), indent=2, ensure_ascii=False) + "\n").encode("utf-8")
    else:
        source = dotgen.to_dot(diagram, legend=not no_legend)
        if fmt == "dot":
            data = source.encode("utf-8")
        else:
            if dotgen.too_dense(diagram):
                click.echo(
                    f"rbcc: note: {len(diagram.edges)} edges between {len(diagram.nodes)} nodes: dot may take minutes "
                    "(--focus COMPONENT draws a part)",
                    err=True,
                )
            try:
                data = dotgen.render(source, fmt)
            except dotgen.DotNotFound as exc:
                _fail(str(exc))
            except dotgen.RenderError as exc:
                _fail(str(exc))
    if output is None:
        sys.stdout.flush()
        stream = getattr(sys.stdout, "buffer", None)
        if stream is None:  # a text-only stream: text formats only reach here
            sys.stdout.write(data.decode("utf-8"))
        else:
            stream.write(data)
            stream.flush()
        return
    try:
        write_atomically(output, data)
    except OSError as exc:
        _fail(f"cannot write {output}: {exc.strerror or exc}")


@click.command()
@click.argument("app", type=click.Path(path_type=Path))
@click.option(
    "-o",
    "--output",
    "out_dir",
    required=True,
    type=click.Path(path_type=Path, file_okay=False),
    help="Directory to write the site into (new, empty, or a previous rbcc doc output).",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(("html", "markdown")),
    default="html",
    show_default=True,
    help="A static HTML site, or Markdown pages.",
)
def doc(app: Path, out_dir: Path, fmt: str) -> None:
    """Write the documentation of an application: a static site that works offline.

    \b
    Examples:
      rbcc doc examples/storm -o build/storm-doc      # then open build/storm-doc/index.html
      rbcc doc examples/storm -o docs/storm --format markdown

    One page per component and facet (doc comment, installer, inheritance, exported variables
    with defaults, imports with links, children, recipe files), the instances with their wiring,
    and the three diagrams as SVG (rendered with Graphviz's dot when it is installed).
    """
    _need_graphviz_package()
    from .docsite import OutputError, build_site, write_site

    loaded = load(app)
    if loaded.application is None:
        _fail(f"{app}: rbcc doc needs an application directory")
    site = build_site(loaded.application, fmt)
    _warn_errors(loaded, "documentation")
    for w in site.warnings:
        click.echo(f"rbcc: warning: {w}", err=True)
    try:
        write_site(site, out_dir)
    except OutputError as exc:
        _fail(str(exc))
    except OSError as exc:
        _fail(f"cannot write {out_dir}: {exc.strerror or exc}")
    index = "index.html" if fmt == "html" else "index.md"
    click.echo(f"Wrote {len(site.files) - 1} files to {out_dir}/ (open {out_dir / index})", err=True)
