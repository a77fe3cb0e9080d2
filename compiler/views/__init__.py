"""Views of an application for people: diagrams (DOT, SVG, JSON) and the documentation site.

They read the dsl model and the import wiring; nothing downstream depends on them.
"""

from __future__ import annotations

from rbcc.compiler.views.diagrams import VIEWS, Diagram, UnknownFocus, build_diagram
from rbcc.compiler.views.docsite import OutputError, SiteFiles, build_site, write_site
from rbcc.compiler.views.dot import DotNotFound, RenderError, find_dot, render, to_dot
from rbcc.compiler.views.loading import Loaded, NothingToDraw, load_for_views

__all__ = [
    "VIEWS",
    "Diagram",
    "DotNotFound",
    "Loaded",
    "NothingToDraw",
    "OutputError",
    "RenderError",
    "SiteFiles",
    "UnknownFocus",
    "build_diagram",
    "build_site",
    "find_dot",
    "load_for_views",
    "render",
    "to_dot",
    "write_site",
]
