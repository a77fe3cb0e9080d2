"""The ``rbcc/graph`` request: the application's diagram for an editor's live graph view.

Params: ``{"uri": <any file of the application>, "view": "components"|"instances"|"wiring",
"format": "dot"|"svg"|"json", "focus": <type name or null>, "depth": 1}``.  Result:
``{"view", "format", "dot", "svg"?, "json"?, "error"?}``.  The diagram comes from
:mod:`rbcc.compiler.views`; SVG needs Graphviz ``dot`` on the PATH (an
``error`` is returned otherwise, the DOT is always there).
"""

from __future__ import annotations

from typing import Any

from rbcc.compiler.views import build_diagram, render, to_dot
from rbcc.lsp.convert import uri_to_path


def _get(params: Any, key: str, default=None):
    if isinstance(params, dict):
        return params.get(key, default)
    return getattr(params, key, default)


def graph_view(ls, params: Any) -> dict:
    uri = _get(params, "uri")
    view = _get(params, "view", "components") or "components"
    fmt = _get(params, "format", "dot") or "dot"
    path = uri_to_path(uri) if uri else None
    state = ls.ws.app_for(path) if path is not None else next(iter(ls.ws.apps.values()), None)
    if state is None:
        return {"error": "no Roboconf application here"}
    app = state.app
    if app is None:
        ls.ws.validate(state)
        app = state.app
    graph = (app.graph if app is not None and app.graph is not None else None) or ls.ws.full_graph(state)
    roots = list(app.all_instances) if app is not None else []
    result: dict[str, Any] = {"view": view, "format": fmt}
    try:
        diagram = build_diagram(
            view, graph, roots, state.root.name, focus=_get(params, "focus"), depth=int(_get(params, "depth", 1) or 1)
        )
    except ValueError as exc:
        return {"view": view, "format": fmt, "error": str(exc)}
    result["dot"] = to_dot(diagram)
    if fmt == "json":
        result["json"] = diagram.to_json()
    elif fmt == "svg":
        try:
            result["svg"] = render(result["dot"], "svg", timeout=20).decode("utf-8")
        except Exception as exc:  # no Graphviz, or it failed: the DOT is still useful
            result["error"] = f"cannot render SVG: {exc}"
    return result


def register(server) -> None:
    @server.feature("rbcc/graph")
    def graph_request(ls, params: Any) -> dict:
        """The application's graph as DOT (and SVG or JSON) for a live graph view."""
        return graph_view(ls, params)
