"""``rbcc doc``: an offline documentation site (HTML or Markdown) of an application."""

from __future__ import annotations

from pathlib import Path

import click

from rbcc.cli.base import RbccCommand
from rbcc.cli.views_common import need_graphviz_package, warn_errors
from rbcc.errors import RbccError


@click.command(cls=RbccCommand)
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
    need_graphviz_package()
    from rbcc.compiler.views import build_site, load_for_views, write_site

    loaded = load_for_views(app)
    if loaded.application is None:
        raise RbccError(f"{app}: rbcc doc needs an application directory")
    site = build_site(loaded.application, fmt)
    warn_errors(loaded, "documentation")
    for w in site.warnings:
        click.echo(f"rbcc: warning: {w}", err=True)
    try:
        write_site(site, out_dir)
    except OSError as exc:
        raise RbccError(f"cannot write {out_dir}: {exc.strerror or exc}") from exc
    index = "index.html" if fmt == "html" else "index.md"
    click.echo(f"Wrote {len(site.files) - 1} files to {out_dir}/ (open {out_dir / index})", err=True)
