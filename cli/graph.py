"""``rbcc graph``: diagrams of an application's components, instances, wiring.

The application is loaded with the validator; whatever could be loaded is drawn (an application
with errors still gets its diagram, with a warning).  Output is written atomically.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from rbcc.atomic import write_atomically
from rbcc.cli.base import RbccCommand
from rbcc.cli.views_common import need_graphviz_package, warn_errors
from rbcc.errors import RbccError

GRAPH_FORMATS = ("dot", "svg", "png", "pdf", "json")
BINARY_FORMATS = ("png", "pdf")
SUFFIX_FORMATS = {".dot": "dot", ".gv": "dot", ".svg": "svg", ".png": "png", ".pdf": "pdf", ".json": "json"}


@click.command(cls=RbccCommand)
@click.argument("app", type=click.Path(path_type=Path))
@click.option(
    "--view",
    type=click.Choice(("components", "instances", "wiring", "startup")),
    default="components",
    show_default=True,
    help="components: the graph; instances: the instance tree per machine; wiring: resolved imports between "
    "instances; startup: the start-up order in waves, with the reason for every edge.",
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
    need_graphviz_package()
    from rbcc.compiler.views import UnknownFocus, build_diagram, load_for_views
    from rbcc.compiler.views import dot as dotgen

    if fmt is None:
        fmt = SUFFIX_FORMATS.get(output.suffix.lower(), "dot") if output is not None else "dot"
    if fmt in BINARY_FORMATS and output is None and sys.stdout.isatty():
        raise click.UsageError(f"--format {fmt} is binary: give -o FILE (or redirect standard output)")
    if fmt in dotgen.RENDER_FORMATS and dotgen.find_dot() is None:
        raise RbccError(dotgen.INSTALL_HINT)
    loaded = load_for_views(app)
    try:
        diagram = build_diagram(
            view, loaded.graph, loaded.roots, loaded.title, focus=focus, depth=depth, full=full, root=loaded.root
        )
    except UnknownFocus as exc:
        raise click.BadParameter(str(exc), param_hint="--focus") from None
    warn_errors(loaded, "diagram")
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
            data = dotgen.render(source, fmt)
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
        raise RbccError(f"cannot write {output}: {exc.strerror or exc}") from exc
