"""Diagrams as Graphviz DOT (through the ``graphviz`` package), and rendering with ``dot``.

Every node and edge kind has one style, defined once in ``NODE_STYLES`` / ``EDGE_STYLES``; the
legend is drawn from the same tables, so what the legend says is what the diagram shows.  Each
element carries its kind as a ``class`` attribute, which Graphviz copies into SVG (handy for
tests and style sheets).

Rendering runs Graphviz's ``dot`` program (the Debian/Ubuntu package ``graphviz``); when it is
missing, ``render`` raises ``DotNotFound`` whose message says how to install it.  DOT itself
never needs it.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from dataclasses import dataclass

import graphviz

from rbcc.compiler.views.diagrams import (
    AFTER_ANY,
    AFTER_IMPORT,
    AFTER_PARENT,
    CHILDREN,
    COMPONENT,
    CONTAINS,
    EXTENDS,
    EXTERNAL,
    EXTERNAL_IMPORT,
    FACET,
    HAS_FACET,
    IMPORTS,
    INSTANCE,
    MISSING,
    TARGET,
    UNRESOLVED,
    WIRING,
    Diagram,
    Edge,
    Node,
)
from rbcc.errors import RbccError

FONT = "Helvetica,Arial,sans-serif"
RENDER_FORMATS = ("svg", "png", "pdf")
#: environment variable naming the ``dot`` program to use (else ``dot`` on PATH)
DOT_ENV = "RBCC_DOT"

INSTALL_HINT = (
    "Graphviz's `dot` program is needed to render svg, png and pdf, and it was not found on PATH. "
    "Install Graphviz: `sudo apt-get install graphviz` (Debian, Ubuntu), `sudo dnf install graphviz` "
    "(Fedora), `brew install graphviz` (macOS), `choco install graphviz` (Windows); "
    f"or point {DOT_ENV} at the program. `--format dot` and `--format json` work without it."
)


@dataclass(frozen=True)
class NodeStyle:
    legend: str
    attrs: dict


@dataclass(frozen=True)
class EdgeStyle:
    legend: str
    attrs: dict
    #: draw from target to source (``dir=back``) so that super-types and facets rank above
    reverse: bool = False


NODE_STYLES: dict[str, NodeStyle] = {
    COMPONENT: NodeStyle(
        "a component; second line: its installer",
        {"shape": "box", "style": "rounded,filled", "fillcolor": "#e8f0fe", "color": "#1f5fa8"},
    ),
    TARGET: NodeStyle(
        "a machine (installer: target)",
        {"shape": "box3d", "style": "filled", "fillcolor": "#fff2cc", "color": "#9a6b00"},
    ),
    FACET: NodeStyle("a facet", {"shape": "tab", "style": "filled", "fillcolor": "#f3e8fd", "color": "#7b3294"}),
    INSTANCE: NodeStyle(
        "an instance; second line: its component",
        {"shape": "box", "style": "rounded,filled", "fillcolor": "#eaf5ea", "color": "#2e7d32"},
    ),
    EXTERNAL: NodeStyle(
        "another application (its exports-prefix)",
        {"shape": "folder", "style": "filled", "fillcolor": "#fde9d9", "color": "#d95f02"},
    ),
    MISSING: NodeStyle(
        "a prefix no component or instance exports",
        {"shape": "box", "style": "dashed", "color": "#c62828", "fontcolor": "#c62828"},
    ),
}

EDGE_STYLES: dict[str, EdgeStyle] = {
    CHILDREN: EdgeStyle(
        "contains (children)", {"color": "#333333", "dir": "back", "arrowtail": "diamond", "penwidth": "1.3"}
    ),
    CONTAINS: EdgeStyle(
        "runs on / contains", {"color": "#333333", "dir": "back", "arrowtail": "diamond", "penwidth": "1.3"}
    ),
    EXTENDS: EdgeStyle(
        "extends", {"color": "#1f5fa8", "dir": "back", "arrowtail": "empty", "penwidth": "1.3"}, reverse=True
    ),
    HAS_FACET: EdgeStyle(
        "has facet",
        {"color": "#7b3294", "dir": "back", "arrowtail": "empty", "style": "dotted", "penwidth": "1.5"},
        reverse=True,
    ),
    IMPORTS: EdgeStyle(
        "imports from", {"color": "#1a7f37", "arrowhead": "vee", "constraint": "false", "fontcolor": "#1a7f37"}
    ),
    WIRING: EdgeStyle("imports from", {"color": "#1a7f37", "arrowhead": "vee", "fontcolor": "#1a7f37"}),
    EXTERNAL_IMPORT: EdgeStyle(
        "imports from another application", {"color": "#d95f02", "arrowhead": "vee", "fontcolor": "#d95f02"}
    ),
    AFTER_PARENT: EdgeStyle("starts after its parent", {"color": "#333333", "arrowhead": "normal", "penwidth": "1.3"}),
    AFTER_IMPORT: EdgeStyle(
        "starts after this exporter", {"color": "#1a7f37", "arrowhead": "vee", "fontcolor": "#1a7f37"}
    ),
    AFTER_ANY: EdgeStyle(
        "starts after any one of these exporters",
        {"color": "#1a7f37", "arrowhead": "vee", "style": "dashed", "fontcolor": "#1a7f37"},
    ),
    UNRESOLVED: EdgeStyle(
        "unresolved mandatory import", {"color": "#c62828", "arrowhead": "tee", "style": "bold", "fontcolor": "#c62828"}
    ),
}

#: kinds whose ``optional`` edges are dashed
OPTIONAL_DASHED = frozenset({IMPORTS, EXTERNAL_IMPORT, WIRING})


def _text(s: str) -> str:
    """A plain DOT string: backslashes kept literally, line breaks as ``\\n``."""
    return graphviz.nohtml(s.replace("\\", "\\\\").replace("\r", "").replace("\n", "\\n"))


def _html(s: str) -> str:
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;") if s else " "


def _node_label(n: Node) -> str:
    label = f"<B>{_html(n.label)}</B>"
    if n.detail:
        label += f'<BR/><FONT POINT-SIZE="9" COLOR="#555555">{_html(n.detail)}</FONT>'
    return f"<{label}>"


def edge_attrs(e: Edge, *, xlabel: bool = False) -> dict[str, str]:
    """The DOT attributes of one edge (its kind's style, dashed when optional, labels).

    ``xlabel``: place the label after the layout.  Needed with clusters: dot 2.43 fails with
    "trouble in init_rank" on labelled edges between clusters (a label is a node in its ranking).
    """
    style = EDGE_STYLES[e.kind]
    attrs = dict(style.attrs)
    attrs["class"] = e.kind + (" optional" if e.optional else "") + (" wildcard" if e.wildcard else "")
    if e.optional and e.kind in OPTIONAL_DASHED:
        attrs["style"] = "dashed"
    if e.label:
        attrs["xlabel" if xlabel else "label"] = _text(e.label)
    if e.tooltip:
        attrs["tooltip"] = _text(e.tooltip)
    return attrs


def to_dot(d: Diagram, *, legend: bool = True) -> str:
    """DOT source for a diagram; the same diagram always gives the same bytes."""
    g = graphviz.Digraph(
        name=d.view,
        comment=f"rbcc graph --view {d.view}: {d.title}",
        graph_attr={
            "label": _text(f"{d.title} — {d.view}" + (f"\n{d.note}" if d.note else "")),
            "labelloc": "t",
            "fontname": FONT,
            "fontsize": "14",
            "rankdir": "TB",
            "nodesep": "0.35",
            "ranksep": "0.55",
            "tooltip": _text(f"{d.title} — {d.view}"),
        },
        node_attr={"fontname": FONT, "fontsize": "11", "margin": "0.12,0.05"},
        edge_attr={"fontname": FONT, "fontsize": "9"},
    )
    # Clusters nest: a DOT subgraph must contain its sub-clusters.
    bodies: dict[str | None, graphviz.Digraph] = {None: g}
    children: dict[str | None, list[str]] = {}
    for cid, c in d.clusters.items():
        children.setdefault(c.parent, []).append(cid)
        sub = graphviz.Digraph(name=f"cluster_{cid}")
        sub.attr(label=_text(c.label), style="rounded", color="#9e9e9e", fontcolor="#424242", fontsize="12")
        sub.attr(**{"class": "cluster"})
        bodies[cid] = sub
    for n in d.nodes.values():
        attrs = dict(NODE_STYLES[n.kind].attrs)
        attrs["class"] = n.kind
        if n.tooltip:
            attrs["tooltip"] = _text(n.tooltip)
        if n.url:
            attrs["URL"] = _text(n.url)
            attrs["target"] = "_top"
        bodies[n.cluster if n.cluster in bodies else None].node(n.id, _node_label(n), **attrs)

    def close(cid: str | None) -> None:
        for sub in children.get(cid, []):
            close(sub)
            bodies[cid].subgraph(bodies[sub])

    close(None)
    for e in d.edges:
        style = EDGE_STYLES[e.kind]
        tail, head = (e.target, e.source) if style.reverse else (e.source, e.target)
        g.edge(tail, head, **edge_attrs(e, xlabel=bool(d.clusters)))
    if legend and d.nodes:
        g.node("legend", _legend(d), shape="plain", fontsize="9", **{"class": "legend"})
    return g.source


def _legend(d: Diagram) -> str:
    """The legend: one HTML-table node listing the node and edge kinds the diagram uses.

    A table keeps the legend to one node (drawn samples would take one rank each and stretch the
    whole layout); each edge kind is shown by a coloured glyph of its line and arrow.
    """
    rows = ['<TR><TD COLSPAN="2"><B>Legend</B></TD></TR>']
    used_nodes, used_edges = set(d.node_kinds()), set(d.edge_kinds())
    for kind in (k for k in NODE_STYLES if k in used_nodes):
        a = NODE_STYLES[kind].attrs
        fill = a.get("fillcolor", "#ffffff") if "filled" in a.get("style", "") else "#ffffff"
        rows.append(
            f'<TR><TD BORDER="1" COLOR="{a["color"]}" BGCOLOR="{fill}">'
            f'<FONT COLOR="{a.get("fontcolor", "#000000")}">{_html(kind)}</FONT></TD>'
            f'<TD ALIGN="LEFT">{_html(NODE_STYLES[kind].legend)}</TD></TR>'
        )
    for kind in (k for k in EDGE_STYLES if k in used_edges):
        variants = [False]
        if kind in OPTIONAL_DASHED and any(e.kind == kind and e.optional for e in d.edges):
            variants.append(True)
        for optional in variants:
            style = EDGE_STYLES[kind]
            line = GLYPHS[kind] if not optional else GLYPHS[kind].replace("────", "– – ")
            text = style.legend + (" (optional)" if optional else "")
            rows.append(
                f'<TR><TD ALIGN="RIGHT"><FONT COLOR="{style.attrs["color"]}">{_html(line)}</FONT></TD>'
                f'<TD ALIGN="LEFT">{_html(text)}</TD></TR>'
            )
    if any(e.wildcard and e.label for e in d.edges):
        rows.append('<TR><TD ALIGN="RIGHT">P.*</TD><TD ALIGN="LEFT">label: wildcard import</TD></TR>')
    return (
        '<<TABLE BORDER="1" COLOR="#bdbdbd" CELLBORDER="0" CELLSPACING="2" CELLPADDING="3">'
        + "".join(rows)
        + "</TABLE>>"
    )


#: how the legend writes each edge kind (the side of the marker is the side it is drawn on)
GLYPHS = {
    AFTER_PARENT: "────▶",
    AFTER_IMPORT: "────>",
    AFTER_ANY: "– – >",
    CHILDREN: "◆────",
    CONTAINS: "◆────",
    EXTENDS: "▷────",
    HAS_FACET: "▷┈┈┈┈",
    IMPORTS: "────▶",
    WIRING: "────▶",
    EXTERNAL_IMPORT: "────▶",
    UNRESOLVED: "━━━━┫",
}


# ------------------------------------------------------------------------------------------
# Rendering
# ------------------------------------------------------------------------------------------


def too_dense(d: Diagram) -> bool:
    """Whether dot would likely need minutes: over 1,000 edges, more than 5 per node.

    Measured: 124 machines with 2,696 wiring edges take dot over 2 minutes, labelled or not,
    while 1,040 components with 1,607 edges take half a second (benchmarks/bench_graph.py).
    """
    return len(d.edges) > 1000 and len(d.edges) > 5 * max(1, len(d.nodes))


class DotNotFound(RbccError):
    """Graphviz's ``dot`` is not installed (the message says how to install it)."""

    def __init__(self) -> None:
        super().__init__(INSTALL_HINT)


class RenderError(RbccError):
    """``dot`` ran and failed."""


def find_dot() -> str | None:
    """The ``dot`` program to run: ``$RBCC_DOT``, else ``dot`` on PATH, else ``None``."""
    chosen = os.environ.get(DOT_ENV)
    if chosen:
        return shutil.which(chosen)
    return shutil.which("dot")


def render(source: str, fmt: str, *, timeout: float | None = None) -> bytes:
    """Lay out and render DOT ``source`` as ``fmt`` (svg, png or pdf) with ``dot``."""
    if fmt not in RENDER_FORMATS:
        raise ValueError(f"cannot render {fmt!r}; expected one of {', '.join(RENDER_FORMATS)}")
    exe = find_dot()
    if exe is None:
        raise DotNotFound()
    try:
        proc = subprocess.run(
            [exe, f"-T{fmt}"], input=source.encode("utf-8"), capture_output=True, timeout=timeout, check=False
        )
    except subprocess.TimeoutExpired as exc:
        raise RenderError(f"dot did not finish within {timeout:g} s") from exc
    except OSError as exc:
        raise RenderError(f"cannot run {exe}: {exc.strerror or exc}") from exc
    if proc.returncode != 0:
        lines = [x for x in proc.stderr.decode("utf-8", "replace").splitlines() if x.strip() and not x.startswith("\t")]
        err = "; ".join(dict.fromkeys(lines[:5]))  # dot repeats itself, and dumps its ranks in tabbed lines
        hint = ""
        if "trouble in init_rank" in err or "triangulation failed" in err:
            hint = " (Graphviz cannot lay out so many edges between clusters: leave --full out, or use --focus)"
        raise RenderError(f"dot failed (exit status {proc.returncode}): {err}{hint}")
    return proc.stdout
