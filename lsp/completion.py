"""Completion that works on broken, half-typed text (Roboconf tooling-core parity, editor.md §2).

The context is computed from the **text before the cursor only**, never from a successful parse:
comments are stripped, complete ``{ … }`` blocks are skipped, and the innermost open block and the
current statement decide what is proposed.  The types and variables come from every graph file
of the application, parsed leniently (broken or unreachable files still contribute).
``complete()`` is a pure function of (text before the cursor, file kind, ``Catalog``); the LSP
handler at the bottom converts its proposals to ``CompletionItem``s with a ``textEdit`` that
replaces the typed prefix.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from enum import Enum

from lsprotocol import types as t

from rbcc.dsl import Component, Facet, Graph
from rbcc.dsl import inheritance as ih

GRAPH_PROPERTIES = {
    "component": ("children", "exports", "extends", "facets", "imports", "installer"),
    "facet": ("children", "exports", "extends"),
}
INSTALLERS = {
    "logger": "Logs every step of the life cycle (useful to test a graph).",
    "puppet": "Runs Puppet modules from the component's recipe directory.",
    "script": "Runs the deploy/start/stop/undeploy scripts of the component's recipe directory.",
    "target": "The component is a machine (a target: VM, container, …) described by target.properties.",
}
PROPERTY_DOCS = {
    "installer": "The Roboconf plug-in that deploys the component (`script`, `puppet`, `logger`, `target`).",
    "children": "Components or facets whose instances may be placed inside instances of this type.",
    "exports": "Variables this type exports, with optional default values: `ip, port = 8080`.",
    "extends": "The type this one inherits from (components extend components, facets extend facets).",
    "facets": "Facets of the component: it inherits their exports and children.",
    "imports": "Variables of other types this component needs: `Type.var`, `Type.*`, `(optional)`.",
    "name": "The name of the instance (unique among its siblings).",
    "channels": "Messaging channels the instance subscribes to.",
}
DYNAMIC_DOC = "Value set dynamically by Roboconf"
#: beyond this many proposals the list is marked incomplete (thousands of `T.var` on big graphs)
#: and the client asks again as the user types more (clangd's default limit, too)
MAX_ITEMS = 100
_STOP = set(" \t,:;{}")


class ItemKind(str, Enum):
    KEYWORD = "keyword"
    SNIPPET = "snippet"
    PROPERTY = "property"
    COMPONENT = "component"
    FACET = "facet"
    VARIABLE = "variable"
    FILE = "file"
    VALUE = "value"


@dataclass(frozen=True)
class Proposal:
    """One proposal; ``insert`` may be a snippet (``${1:name}``) when ``snippet`` is set."""

    label: str
    insert: str
    kind: ItemKind
    replace: int  # how many characters before the cursor are replaced (the typed prefix)
    doc: str | None = None
    detail: str | None = None
    snippet: bool = False
    #: snippets written with absolute indentation (to be inserted "as is")
    as_is: bool = False


@dataclass
class Catalog:
    """What completion may propose: the application's types and files."""

    graph: Graph | None = None
    graph_files: list[str] = field(default_factory=list)  # relative to graph/
    instances_files: list[str] = field(default_factory=list)  # relative to instances/
    current: str | None = None  # the edited file, relative to its graph/ or instances/ folder


@dataclass
class Context:
    """Where the cursor is, from the text before it."""

    where: str  # "none" | "neutral" | "attribute" | "value"
    prefix: str = ""
    statement: str = ""
    blocks: list[str] = field(default_factory=list)  # headers of the open blocks, outermost first
    prop: str | None = None
    indent: str = ""
    #: property names the innermost open block already sets, before or after the cursor
    block_props: set[str] = field(default_factory=set)


#: graph properties a component or facet may set more than once (Roboconf merges them)
REPEATABLE = frozenset({"exports", "imports"})


# ---- context analysis -------------------------------------------------------------------------
def strip_comments(text: str) -> str:
    return "\n".join(line.split("#", 1)[0] for line in text.split("\n"))


def _depth0_statements(code: str) -> list[str]:
    """The ``;``-separated statements of ``code`` outside any ``{ … }`` (complete blocks skipped)."""
    out: list[str] = []
    depth = 0
    current: list[str] = []
    for c in code:
        if c == "{":
            depth += 1
            if depth == 1:
                current = []
        elif c == "}":
            depth = max(depth - 1, 0)
            if depth == 0:
                current = []
        elif depth == 0:
            if c == ";":
                out.append("".join(current))
                current = []
            else:
                current.append(c)
    return out


def _block_after(after: str) -> str:
    """The rest of the innermost open block after the cursor's line (up to its closing ``}``)."""
    code = strip_comments(after)
    newline = code.find("\n")
    if newline < 0:
        return ""
    depth = 0
    for i in range(newline, len(code)):
        c = code[i]
        if c == "{":
            depth += 1
        elif c == "}":
            if depth == 0:
                return code[newline:i]
            depth -= 1
    return code[newline:]


def _property_names(statements: list[str]) -> set[str]:
    names = set()
    for st in statements:
        if ":" in st:
            name = st.split(":", 1)[0].strip()
            if name and " " not in name:
                names.add(name.lower())
    return names


def analyze(before: str, after: str = "") -> Context:
    """The completion context of the cursor placed after ``before`` (``after``: the rest of the text)."""
    current_line = before.rsplit("\n", 1)[-1]
    if "#" in current_line:
        return Context("none")
    indent = current_line[: len(current_line) - len(current_line.lstrip(" \t"))]
    code = strip_comments(before)
    stack: list[int] = []  # offsets of the open "{"
    last_stop = -1  # offset of the last ";", "{" or "}"
    for i, c in enumerate(code):
        if c == "{":
            stack.append(i)
            last_stop = i
        elif c == "}":
            if stack:
                stack.pop()
            last_stop = i
        elif c == ";":
            last_stop = i
    if last_stop >= 0 and code[last_stop] == "}" and "\n" not in code[last_stop:]:
        return Context("none")
    blocks = []
    for offset in stack:
        start = code.rfind("\n", 0, offset) + 1
        blocks.append(code[start:offset].strip())
    statement = code[last_stop + 1 :]
    # a statement never spans lines, unless continued with "\" or a trailing ","
    lines = statement.split("\n")
    kept = [lines[-1]]
    for prev in reversed(lines[:-1]):
        stripped = prev.rstrip()
        if stripped.endswith("\\") or stripped.endswith(",") or stripped.endswith(":"):
            kept.insert(0, stripped.rstrip("\\"))
        else:
            break
    statement = " ".join(kept).lstrip()
    prefix = ""
    for c in reversed(statement):
        if c in _STOP:
            break
        prefix = c + prefix
    ctx = Context("neutral", prefix, statement, blocks, indent=indent)
    if stack:
        inside = code[stack[-1] + 1 : last_stop + 1] if last_stop > stack[-1] else ""
        ctx.block_props = _property_names(_depth0_statements(inside) + _depth0_statements(_block_after(after)))
    if ":" in statement:
        ctx.where = "value"
        ctx.prop = statement.split(":", 1)[0].strip()
    elif blocks:
        ctx.where = "attribute"
    return ctx


def _match(prefix: str, candidate: str) -> bool:
    return candidate.lower().startswith(prefix.lower())


def _words(text: str) -> list[str]:
    return text.split()


# ---- proposals --------------------------------------------------------------------------------
def complete(before: str, language: str, catalog: Catalog, after: str = "") -> list[Proposal]:
    """Proposals for the cursor after ``before`` (and before ``after``) in a ``graph`` or
    ``instances`` file; ``after`` lets completion leave out what the file already has."""
    ctx = analyze(before, after)
    if ctx.where == "none":
        return []
    known = _respelled_property(ctx, language, catalog)
    if known is not None:
        return known
    if language == "instances":
        return _instances(ctx, catalog, before + after)
    return _graph(ctx, catalog, before + after)


def _respelled_property(ctx: Context, language: str, cat: Catalog) -> list[Proposal] | None:
    """``nAMe:`` typed with nothing after the colon: the property as it is spelled, replacing it."""
    if ctx.where != "value" or not ctx.blocks or ctx.prop is None:
        return None
    typed = ctx.statement.rstrip()
    if not typed.endswith(":") or typed.count(":") != 1:
        return None
    if language == "instances":
        names: tuple[str, ...] = ("channels", "count", "name")
    else:
        header = ctx.blocks[-1]
        names = GRAPH_PROPERTIES["facet" if re.match(r"(?i)facet\s", header) else "component"]
    for name in names:
        if name.lower() == ctx.prop.lower() and name != ctx.prop:
            return [
                Proposal(f"{name}: ", f"{name}: ", ItemKind.PROPERTY, len(ctx.statement), doc=PROPERTY_DOCS.get(name))
            ]
    return None


def _import_paths(ctx: Context, files: list[str], current: str | None, text: str) -> list[Proposal] | None:
    """Files ``import`` may name: not the edited file, not one the file (``text``) imports already."""
    m = re.match(r"(?i)import\s+(.*)$", ctx.statement)
    if m is None:
        return None
    typed = m.group(1).strip()
    if typed.endswith(";"):
        return []
    done = {x.strip() for x in re.findall(r"(?im)^[ \t]*import[ \t]+([^;#\n]*);", strip_comments(text))}
    out = []
    for rel in files:
        if rel == current or rel in done or not _match(typed, rel):
            continue
        out.append(Proposal(rel, rel, ItemKind.FILE, len(typed), detail="import"))
    return out


def _keyword(word: str, prefix: str, doc: str) -> Proposal | None:
    if not _match(prefix, word):
        return None
    return Proposal(word.rstrip(), word, ItemKind.KEYWORD, len(prefix), doc=doc)


def _graph(ctx: Context, cat: Catalog, text: str) -> list[Proposal]:
    graph = cat.graph or Graph()
    if ctx.where == "neutral":
        paths = _import_paths(ctx, cat.graph_files, cat.current, text)
        if paths is not None:
            return paths
        words = _words(ctx.statement)
        if len(words) > 1 or (words and not ctx.prefix):
            return []
        out = [
            _keyword("import ", ctx.prefix, "Import another graph file: `import other.graph;`."),
            _keyword("facet ", ctx.prefix, "Declare a facet: a set of exports and children shared by components."),
        ]
        if _match(ctx.prefix, "facet"):
            out.append(
                Proposal(
                    "New facet block",
                    "facet ${1:name} {\n\t$0\n}",
                    ItemKind.SNIPPET,
                    len(ctx.prefix),
                    doc="A new facet.",
                    snippet=True,
                )
            )
        if not ctx.prefix:
            out.append(
                Proposal(
                    "New component block",
                    "${1:name} {\n\t$0\n}",
                    ItemKind.SNIPPET,
                    0,
                    doc="A new component.",
                    snippet=True,
                )
            )
        return [p for p in out if p is not None]
    header = ctx.blocks[-1] if ctx.blocks else ""
    is_facet = bool(re.match(r"(?i)facet\s", header))
    block = "facet" if is_facet else "component"
    own = re.sub(r"(?i)^facet\s+", "", header).strip()
    if ctx.where == "attribute":
        if len(_words(ctx.statement)) > 1:
            return []
        return [
            Proposal(f"{name}: ", f"{name}: ", ItemKind.PROPERTY, len(ctx.prefix), doc=PROPERTY_DOCS[name])
            for name in GRAPH_PROPERTIES[block]
            if _match(ctx.prefix, name) and (name not in ctx.block_props or name in REPEATABLE)
        ]
    prop = (ctx.prop or "").lower()
    if prop not in GRAPH_PROPERTIES[block]:
        return []
    listed = {x.strip() for x in re.split(r"[,:]", ctx.statement.split(":", 1)[1])[:-1]}
    n = len(ctx.prefix)
    if prop == "installer":
        return [Proposal(k, k, ItemKind.VALUE, n, doc=v) for k, v in INSTALLERS.items() if _match(ctx.prefix, k)]
    if prop == "exports":
        return []
    if prop == "imports":
        return [p for p in _importable(graph, n) if _match(ctx.prefix, p.label) and p.label not in listed]
    names: list[Component | Facet] = []
    if prop == "children":
        names = [*graph.components.values(), *graph.facets.values()]
    elif prop == "extends":
        names = list(graph.facets.values()) if is_facet else list(graph.components.values())
    elif prop == "facets":
        names = list(graph.facets.values())
    types: list[Proposal] = []
    for node in sorted(names, key=lambda x: x.name):
        if node.name == own or node.name in listed or not _match(ctx.prefix, node.name):
            continue
        types.append(type_proposal(node, n))
    return types


def type_doc(node: Component | Facet) -> str:
    kind = "facet" if isinstance(node, Facet) else "component"
    text = f"**{kind} {node.name}**"
    if node.doc:
        text += "\n\n" + node.doc
    return text


def type_proposal(node: Component | Facet, replace: int) -> Proposal:
    kind = ItemKind.FACET if isinstance(node, Facet) else ItemKind.COMPONENT
    return Proposal(node.name, node.name, kind, replace, doc=type_doc(node), detail=kind.value)


def variable_doc(name: str, default: str | None) -> str | None:
    if name == "ip" or name.endswith(".ip"):
        return DYNAMIC_DOC
    if default is not None:
        return f"Default value: {default}"
    return None


def _importable(graph: Graph, replace: int) -> list[Proposal]:
    return graph.memo(("rbcc-importable", replace), lambda: _compute_importable(graph, replace))


def _compute_importable(graph: Graph, replace: int) -> list[Proposal]:
    variables: dict[str, str | None] = {}
    wildcard: set[str] = set()
    for f in graph.facets.values():
        exported = ih.facet_exports(graph, f)
        variables.update(exported)
        if exported:
            wildcard.add(f.name)
    for c in graph.components.values():
        exported = ih.exports(graph, c)
        variables.update(exported)
        if exported:
            wildcard.add(c.name)
    out = [
        Proposal(k, k, ItemKind.VARIABLE, replace, doc=variable_doc(k, v), detail="variable")
        for k, v in variables.items()
    ]
    out += [
        Proposal(f"{n}.*", f"{n}.*", ItemKind.VARIABLE, replace, doc="Import all the variables", detail="variables")
        for n in wildcard
    ]
    return sorted(out, key=lambda p: p.label)


_INSTANCE_HEADER = re.compile(r"(?i)^instance\s+of\s+(\S+)")


def _instances(ctx: Context, cat: Catalog, text: str) -> list[Proposal]:
    graph = cat.graph
    n = len(ctx.prefix)
    m = re.match(r"(?i)instance\s+of\s+(\S*)$", ctx.statement)
    if m is not None and ctx.where != "value":
        if graph is None or not graph.components:
            return []
        if not ctx.blocks:
            candidates = ih.root_components(graph)
        else:
            parent = _enclosing_component(ctx, graph)
            if parent is None:
                return []
            candidates = ih.all_children(graph, parent)
        return [type_proposal(c, n) for c in sorted(candidates, key=lambda c: c.name) if _match(ctx.prefix, c.name)]
    if ctx.where == "value":
        return []
    if ctx.where == "neutral":
        paths = _import_paths(ctx, cat.instances_files, cat.current, text)
        if paths is not None:
            return paths
    words = _words(ctx.statement)
    if len(words) > 1 or (words and not ctx.prefix):
        return []
    out: list[Proposal] = []
    if ctx.where == "neutral":
        kw = _keyword("import ", ctx.prefix, "Import another instances file: `import other.instances;`.")
        if kw:
            out.append(kw)
    kw = _keyword("instance of ", ctx.prefix, "Declare an instance of a component.")
    if kw:
        out.append(kw)
    if _match(ctx.prefix, "instance"):
        ind = ctx.indent
        out.append(
            Proposal(
                "New instance block",
                "instance of ${1:component} {\n" + ind + "\tname: ${2:name};\n" + ind + "}",
                ItemKind.SNIPPET,
                n,
                doc="A new instance block.",
                snippet=True,
                as_is=True,
            )
        )
    if ctx.where == "attribute":
        props = [Proposal(f"{p}: ", f"{p}: ", ItemKind.PROPERTY, n, doc=PROPERTY_DOCS[p]) for p in ("channels", "name")]
        parent = _enclosing_component(ctx, graph) if graph is not None else None
        if parent is not None and graph is not None:
            for var, default in ih.exports(graph, parent).items():
                props.append(
                    Proposal(
                        f"{var}: ",
                        f"{var}: ",
                        ItemKind.VARIABLE,
                        n,
                        doc=variable_doc(var, default),
                        detail="overridable variable",
                    )
                )
        props = [p for p in props if p.label[:-2].lower() not in ctx.block_props]
        out += sorted((p for p in props if _match(ctx.prefix, p.label)), key=lambda p: p.label.lower())
    return out


def _enclosing_component(ctx: Context, graph: Graph) -> Component | None:
    if not ctx.blocks:
        return None
    m = _INSTANCE_HEADER.match(ctx.blocks[-1])
    if m is None:
        return None
    return graph.components.get(m.group(1))


# ---- LSP --------------------------------------------------------------------------------------
_KINDS = {
    ItemKind.KEYWORD: t.CompletionItemKind.Keyword,
    ItemKind.SNIPPET: t.CompletionItemKind.Snippet,
    ItemKind.PROPERTY: t.CompletionItemKind.Property,
    ItemKind.COMPONENT: t.CompletionItemKind.Class,
    ItemKind.FACET: t.CompletionItemKind.Interface,
    ItemKind.VARIABLE: t.CompletionItemKind.Variable,
    ItemKind.FILE: t.CompletionItemKind.File,
    ItemKind.VALUE: t.CompletionItemKind.Value,
}
_PLACEHOLDER = re.compile(r"\$\{\d+:([^}]*)\}|\$\d+")


def catalog_for(ls, path, state) -> tuple[str, Catalog]:
    rel = state.rel(path)
    language = "instances" if rel.lower().endswith(".instances") else "graph"
    # (properties files of the graph directory are served by rbcc.lsp.container_metadata)
    files = ls.ws.files(state)
    graph_files = [f[len("graph/") :] for f in files if f.startswith("graph/") and f.endswith(".graph")]
    inst_files = [f[len("instances/") :] for f in files if f.startswith("instances/") and f.endswith(".instances")]
    current = rel.split("/", 1)[1] if "/" in rel else rel
    return language, Catalog(ls.ws.graph_for(state), graph_files, inst_files, current)


def markup(text: str, formats) -> t.MarkupContent | str:
    """Markdown when the client renders it, else the same text as a plain string."""
    if formats and t.MarkupKind.Markdown in formats:
        return t.MarkupContent(t.MarkupKind.Markdown, text)
    return text.replace("**", "")


def lsp_completion_items(
    proposals: list[Proposal], line_text: str, col0: int, line0: int, ls
) -> list[t.CompletionItem]:
    from rbcc.lsp.convert import column_to_lsp

    caps = ls.client_capabilities.text_document
    item_caps = caps.completion.completion_item if caps and caps.completion else None
    snippets = bool(item_caps and item_caps.snippet_support)
    as_is_ok = bool(
        item_caps
        and item_caps.insert_text_mode_support
        and t.InsertTextMode.AsIs in item_caps.insert_text_mode_support.value_set
    )
    doc_formats = item_caps.documentation_format if item_caps else None
    end = t.Position(line0, column_to_lsp(line_text, col0, ls.encoding))
    items = []
    for i, p in enumerate(proposals):
        start = t.Position(line0, column_to_lsp(line_text, max(col0 - p.replace, 0), ls.encoding))
        text = p.insert
        fmt = t.InsertTextFormat.PlainText
        mode = None
        if p.snippet:
            if snippets:
                fmt = t.InsertTextFormat.Snippet
            else:
                text = _PLACEHOLDER.sub(lambda m: m.group(1) or "", text)
            if p.as_is:
                if as_is_ok:
                    mode = t.InsertTextMode.AsIs
                else:  # the client re-indents every line itself: keep the indentation relative
                    indent = line_text[: len(line_text) - len(line_text.lstrip(" \t"))]
                    text = "\n".join(ln[len(indent) :] if ln.startswith(indent) else ln for ln in text.split("\n"))
        items.append(
            t.CompletionItem(
                label=p.label,
                kind=_KINDS[p.kind],
                detail=p.detail,
                documentation=markup(p.doc, doc_formats) if p.doc else None,
                sort_text=f"{i:04d}",
                filter_text=p.label if not p.snippet else None,
                insert_text_format=fmt,
                insert_text_mode=mode,
                text_edit=t.TextEdit(t.Range(start, end), text),
            )
        )
    return items


def register(server) -> None:
    @server.feature(t.TEXT_DOCUMENT_COMPLETION, t.CompletionOptions(trigger_characters=[":", ",", " ", "."]))
    def completion(ls, params: t.CompletionParams) -> t.CompletionList | None:
        """Complete keywords, blocks, properties, types, variables and file paths."""
        found = ls.document(params.text_document.uri)
        if found is None:
            return None
        path, state, text = found
        lines = text.split("\n")
        line0 = params.position.line
        line_text = lines[line0].rstrip("\r") if line0 < len(lines) else ""
        from rbcc.lsp.convert import column_from_lsp

        col0 = column_from_lsp(line_text, params.position.character, ls.encoding)
        before = "\n".join(lines[:line0] + [line_text[:col0]])
        after = "\n".join([line_text[col0:]] + lines[line0 + 1 :])
        language, catalog = catalog_for(ls, path, state)
        from rbcc.lsp import container_metadata

        meta = container_metadata.metadata_file(state.rel(path), catalog.graph)
        if meta is not None and catalog.graph is not None:
            found_items = container_metadata.complete(line_text[:col0], catalog.graph, *meta)
            return t.CompletionList(
                is_incomplete=False, items=lsp_completion_items(found_items, line_text, col0, line0, ls)
            )
        proposals = complete(before, language, catalog, after)
        incomplete = len(proposals) > MAX_ITEMS  # the client asks again as the user types more
        return t.CompletionList(
            is_incomplete=incomplete, items=lsp_completion_items(proposals[:MAX_ITEMS], line_text, col0, line0, ls)
        )
