"""Hover, definition, references, rename, document/workspace symbols and document links.

All of them read one *occurrence index* per application: every place a type, a variable, a
file or a keyword is written, in every graph and instances file (broken ones included), built
from the lenient whole-application graph and the parsed instances files, and rebuilt only when a
file of the application changed.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

from lsprotocol import types as t
from pygls.exceptions import JsonRpcInvalidParams

from rbcc.dsl import (
    Component,
    Facet,
    Graph,
    Holder,
    HolderKind,
    Import,
    ParsedFile,
    Property,
    SourceRange,
    graph_from_files,
)
from rbcc.dsl import inheritance as ih
from rbcc.lsp.completion import INSTALLERS, PROPERTY_DOCS, markup, type_doc, variable_doc
from rbcc.lsp.convert import Lines, path_to_uri

INSTANCE_KEYWORDS = {"name", "count", "channels", "data"}


@dataclass(frozen=True, slots=True)
class Occurrence:
    """A name written somewhere: ``kind`` is type, var, file, installer or keyword."""

    range: SourceRange
    kind: str
    target: str
    decl: bool = False


class _FileOccurrences:
    """The occurrences written in one file, from its own parse alone."""

    def __init__(self, rel: str, parsed: ParsedFile) -> None:
        self.out: list[Occurrence] = []
        if rel.lower().endswith(".graph"):
            # a graph of this file only: what a declaration refers to is written in its own block
            for nodes in graph_from_files({rel: parsed}).declarations.values():
                for node in nodes:
                    self._node(node)
        for block in parsed.blocks:
            if isinstance(block, Import):
                folder = rel.split("/", 1)[0] if "/" in rel else ""
                target = f"{folder}/{block.uri}" if folder else block.uri
                self._add(Occurrence(block.uri_range, "file", target))
            elif isinstance(block, Holder):
                self._holder(block)

    def _add(self, occ: Occurrence) -> None:
        self.out.append(occ)

    def _node(self, node: Component | Facet) -> None:
        self._add(Occurrence(node.name_range, "type", node.name, decl=True))
        refs = list(node.child_refs)
        if isinstance(node, Component):
            refs += node.facet_refs
            if node.extends_ref is not None:
                refs.append(node.extends_ref)
            if node.installer_range is not None and node.installer:
                self._add(Occurrence(node.installer_range, "installer", node.installer))
            for decl in node.imports.values():
                if decl.external:  # another application's export: its prefix is no type of this one
                    self._add(Occurrence(decl.range, "external", decl.name))
                else:
                    self._variable(decl.name, decl.range)
        else:
            refs += node.extends_refs
        for ref in refs:
            self._add(Occurrence(ref.range, "type", ref.name))
        for exp in node.exports.values():
            r = exp.range
            if exp.is_random:
                start = r.end_column - len(exp.name)
            else:
                start = r.start_column
            name_range = SourceRange(r.file, r.start_line, start, r.start_line, start + len(exp.name))
            full = exp.name if "." in exp.name else f"{node.name}.{exp.name}"
            self._add(Occurrence(name_range, "var", full, decl=True))
        for prop in node.block.properties:
            self._add(Occurrence(prop.name_range, "keyword", prop.name))

    def _variable(self, name: str, r: SourceRange) -> None:
        self._add(Occurrence(r, "var", name))
        if "." in name:
            prefix = name.split(".", 1)[0]
            self._add(
                Occurrence(
                    SourceRange(r.file, r.start_line, r.start_column, r.start_line, r.start_column + len(prefix)),
                    "type",
                    prefix,
                )
            )

    def _holder(self, h: Holder) -> None:
        if h.kind is not HolderKind.INSTANCE:
            return
        self._add(Occurrence(h.name_range, "type", h.name))
        for item in h.items:
            if isinstance(item, Holder):
                self._holder(item)
            elif isinstance(item, Property):
                if item.name in INSTANCE_KEYWORDS or item.name.startswith("data."):
                    self._add(Occurrence(item.name_range, "keyword", item.name))
                else:
                    self._variable(item.name, item.name_range)


class Index:
    """Occurrences of an application, per project-relative file.

    Each file's occurrences come from that file's parse alone, so a new index reuses those of
    every file whose parse did not change (``previous``): after a keystroke only the edited file
    is indexed again.  ``graph`` (the whole-application model, possibly a few edits old) answers
    what a name *is* (hover, inheritance); where it is declared comes from the occurrences.
    """

    def __init__(self, graph: Graph, files: dict[str, ParsedFile], previous: Index | None = None) -> None:
        self.graph = graph
        self.by_file: dict[str, list[Occurrence]] = {}
        self._parsed: dict[str, ParsedFile] = dict(files)
        for rel, parsed in files.items():
            if previous is not None and previous._parsed.get(rel) is parsed:
                occs = previous.by_file.get(rel, [])
            else:
                occs = _FileOccurrences(rel, parsed).out
            self.by_file[rel] = occs

    @cached_property
    def declarations(self) -> dict[tuple[str, str], list[SourceRange]]:
        """(kind, name) → where it is declared (types and exported variables)."""
        out: dict[tuple[str, str], list[SourceRange]] = {}
        for occs in self.by_file.values():
            for occ in occs:
                if occ.decl:
                    out.setdefault((occ.kind, occ.target), []).append(occ.range)
        return out

    def at(self, rel: str, line: int, column: int) -> Occurrence | None:
        """The narrowest occurrence at a 1-based position (cursor just after a name counts)."""
        best = None
        for occ in self.by_file.get(rel, ()):
            if occ.range.contains(line, column):
                r = occ.range
                size = (r.end_line - r.start_line) * 10000 + r.end_column - r.start_column
                if best is None or size < best[0]:
                    best = (size, occ)
        return best[1] if best else None

    def all(self, kind: str, target: str):
        for occs in self.by_file.values():
            for occ in occs:
                if occ.kind == kind and occ.target == target:
                    yield occ

    def declared(self, name: str) -> bool:
        """Whether a component or facet ``name`` is declared in some graph file."""
        return ("type", name) in self.declarations


def index_for(ls, state, fresh: bool = False) -> Index:
    """The occurrence index of ``state``; with ``fresh``, its graph is that of the current texts."""
    cached = getattr(state, "_index", None)
    if cached is not None and cached[0] == state.generation and (cached[2] or not fresh):
        return cached[1]
    graph = ls.ws.full_graph(state) if fresh else ls.ws.graph_for(state)
    index = Index(graph, ls.ws.parsed_files(state), cached[1] if cached is not None else None)
    up_to_date = state._full_graph is not None and state._full_graph[0] == state.generation
    state._index = (state.generation, index, fresh or up_to_date)
    return index


def _metadata_hover(ls, params) -> t.Hover | None:
    from rbcc.lsp import container_metadata

    found = ls.document(params.text_document.uri)
    if found is None:
        return None
    path, state, text = found
    if not state.rel(path).endswith(".properties"):
        return None
    graph = ls.ws.graph_for(state)
    if container_metadata.metadata_file(state.rel(path), graph) is None:
        return None
    lines = Lines(text, ls.encoding)
    line0, col0 = lines.offset(params.position)
    source = text.split("\n")
    if line0 >= len(source):
        return None
    hit = container_metadata.hover(source[line0].rstrip("\r"), col0)
    if hit is None:
        return None
    doc, start, end = hit
    caps = ls.client_capabilities.text_document
    formats = caps.hover.content_format if caps and caps.hover else None
    where = SourceRange(state.rel(path), line0 + 1, start + 1, line0 + 1, end + 1)
    return t.Hover(contents=markup(doc, formats), range=lines.range(where))


def _at(ls, params, fresh: bool = False) -> tuple | None:
    found = ls.document(params.text_document.uri)
    if found is None:
        return None
    path, state, text = found
    lines = Lines(text, ls.encoding)
    line0, col0 = lines.offset(params.position)
    index = index_for(ls, state, fresh)
    return path, state, index, index.at(state.rel(path), line0 + 1, col0 + 1), lines


def _location(ls, state, r: SourceRange) -> t.Location:
    path = state.root / r.file
    return t.Location(path_to_uri(path), ls.lines(path).range(r))


def declaration_of(index: Index, occ: Occurrence) -> list[SourceRange]:
    graph = index.graph
    if occ.kind == "type":
        return list(index.declarations.get(("type", occ.target), []))
    if occ.kind == "var" and "." in occ.target:
        prefix, var = occ.target.split(".", 1)
        node = graph.node(prefix)
        if node is None:
            return []
        for owner in _owners(graph, node):
            for decl in owner.exports.values():
                if decl.name in (var, occ.target) or decl.name.endswith("." + var):
                    return list(index.declarations.get(("var", _full(owner, decl.name)), [])) or [decl.range]
        return list(index.declarations.get(("type", node.name), [])) or [node.name_range]
    return []


def _full(owner, name: str) -> str:
    return name if "." in name else f"{owner.name}.{name}"


def _owners(graph: Graph, node):
    """The node, then where it inherits variables from (super components, facets, super facets)."""
    if isinstance(node, Component):
        yield from ih.chain(node)
        yield from ih.all_facets(graph, node)
    else:
        yield node
        yield from ih.super_facets(node)


def hover_text(index: Index, occ: Occurrence) -> str | None:
    graph = index.graph
    if occ.kind == "type":
        node = graph.node(occ.target)
        if node is None:
            return f"`{occ.target}`: unknown type"
        text = type_doc(node)
        facts = []
        if isinstance(node, Component):
            if ih.installer(node):
                facts.append(f"installer: {ih.installer(node)}")
            if node.super is not None:
                facts.append(f"extends: {node.super.name}")
            if node.facets:
                facts.append("facets: " + ", ".join(f.name for f in node.facets))
            exported = ih.exports(graph, node)
        else:
            exported = ih.facet_exports(graph, node)
        if node.children:
            facts.append("children: " + ", ".join(c.name for c in node.children))
        if exported:
            facts.append("exports: " + ", ".join(k if v is None else f"{k} = {v}" for k, v in sorted(exported.items())))
        if facts:
            text += "\n\n```\n" + "\n".join(facts) + "\n```"
        return text
    if occ.kind == "var":
        default = None
        if "." in occ.target:
            node = graph.node(occ.target.split(".", 1)[0])
            if isinstance(node, Component):
                default = ih.exports(graph, node).get(occ.target)
            elif isinstance(node, Facet):
                default = ih.facet_exports(graph, node).get(occ.target)
        doc = variable_doc(occ.target, default) or "No default value"
        return f"**variable {occ.target}**\n\n{doc}"
    if occ.kind == "external":
        prefix = occ.target.split(".", 1)[0]
        what = "every variable" if occ.target.endswith(".*") else f"the variable `{occ.target.split('.', 1)[-1]}`"
        return (
            f"**external import {occ.target}**\n\n{what.capitalize()} that another application exports "
            f"with `exports-prefix = {prefix}` in its descriptor; bound when the applications are deployed."
        )
    if occ.kind == "installer":
        return f"**installer {occ.target}**\n\n{INSTALLERS.get(occ.target, 'A custom Roboconf installer.')}"
    if occ.kind == "keyword":
        keyword_doc = PROPERTY_DOCS.get(occ.target)
        if keyword_doc is None:
            return None
        return f"**{occ.target}**\n\n{keyword_doc}"
    if occ.kind == "file":
        return f"**import** `{occ.target}`"
    return None


def symbols(parsed: ParsedFile, lines: Lines) -> list[t.DocumentSymbol]:
    def whole(h: Holder) -> t.Range:
        end = h.end_line or h.range.end_line
        return t.Range(lines.position(h.decl_range.start_line, 1), t.Position(end - 1, len(lines.line(end - 1))))

    def one(h: Holder) -> t.DocumentSymbol:
        if h.kind is HolderKind.INSTANCE:
            name_prop = h.first("name")
            name = (
                name_prop.value.strip()
                if name_prop is not None and name_prop.value.strip()
                else f"instance of {h.name}"
            )
            kind, detail = t.SymbolKind.Object, h.name
        else:
            name = h.name or "?"
            kind = t.SymbolKind.Interface if h.kind is HolderKind.FACET else t.SymbolKind.Class
            installer = h.first("installer")
            detail = "facet" if h.kind is HolderKind.FACET else (installer.value if installer else "component")
        return t.DocumentSymbol(
            name=name,
            kind=kind,
            detail=detail,
            range=whole(h),
            selection_range=lines.range(h.name_range),
            children=[one(c) for c in h.holders],
        )

    return [one(h) for h in parsed.holders if h.name]


def register(server) -> None:
    @server.feature(t.TEXT_DOCUMENT_HOVER)
    def hover(ls, params: t.HoverParams) -> t.Hover | None:
        """Docs of a type, a variable, an installer or a property, or of a container metadata key."""
        meta = _metadata_hover(ls, params)
        if meta is not None:
            return meta
        found = _at(ls, params)
        if found is None or found[3] is None:
            return None
        _path, _state, index, occ, lines = found
        text = hover_text(index, occ)
        if text is None:
            return None
        caps = ls.client_capabilities.text_document
        formats = caps.hover.content_format if caps and caps.hover else None
        return t.Hover(contents=markup(text, formats), range=lines.range(occ.range))

    @server.feature(t.TEXT_DOCUMENT_DEFINITION)
    def definition(ls, params: t.DefinitionParams) -> list[t.Location] | None:
        """Jump to the declaration of a type or variable, or to an imported file."""
        found = _at(ls, params)
        if found is None or found[3] is None:
            return None
        _path, state, index, occ, _lines = found
        if occ.kind == "file":
            target = state.root / occ.target
            if target.is_file() or target in ls.ws.documents:
                return [t.Location(path_to_uri(target), t.Range(t.Position(0, 0), t.Position(0, 0)))]
            return None
        return [_location(ls, state, r) for r in declaration_of(index, occ)] or None

    @server.feature(t.TEXT_DOCUMENT_REFERENCES)
    def references(ls, params: t.ReferenceParams) -> list[t.Location] | None:
        """Every use of a type or variable across graph and instances files."""
        found = _at(ls, params)
        if found is None or found[3] is None or found[3].kind not in ("type", "var"):
            return None
        _path, state, index, occ, _lines = found
        include = params.context.include_declaration
        out = [o for o in index.all(occ.kind, occ.target) if include or not o.decl]
        out.sort(key=lambda o: (o.range.file, o.range.start_line, o.range.start_column))
        return [_location(ls, state, o.range) for o in out]

    @server.feature(t.TEXT_DOCUMENT_PREPARE_RENAME)
    def prepare_rename(ls, params: t.PrepareRenameParams):
        """Only component and facet names can be renamed."""
        found = _at(ls, params, fresh=True)
        if found is None or found[3] is None or found[3].kind != "type":
            return None
        _path, _state, index, occ, lines = found
        if index.graph.node(occ.target) is None:
            return None
        return t.PrepareRenamePlaceholder(range=lines.range(occ.range), placeholder=occ.target)

    @server.feature(t.TEXT_DOCUMENT_RENAME, t.RenameOptions(prepare_provider=True))
    def rename(ls, params: t.RenameParams) -> t.WorkspaceEdit | None:
        """Rename a component or facet everywhere the project names it, in one edit (rbcc.lsp.rename)."""
        from rbcc.lsp import rename as rn

        found = _at(ls, params, fresh=True)
        if found is None or found[3] is None or found[3].kind != "type":
            return None
        _path, state, index, occ, _lines = found
        node = index.graph.node(occ.target)
        if node is None:
            return None
        new = params.new_name
        if new == occ.target:
            return t.WorkspaceEdit(changes={})
        is_component = isinstance(node, Component)
        why = rn.refusal(state.root, occ.target, new, index.declarations.get(("type", new), []), is_component)
        if why is not None:
            if not rn.NAME.match(new):
                raise JsonRpcInvalidParams(why)
            raise rn.RenameRefused(why)
        occurrences = [o.range for o in index.all("type", occ.target)]
        the_plan = rn.plan(state.root, occ.target, is_component, occurrences, rn.other_texts(ls, state), new)
        return rn.workspace_edit(ls, state, the_plan, new)

    @server.feature(t.TEXT_DOCUMENT_DOCUMENT_SYMBOL)
    def document_symbol(ls, params: t.DocumentSymbolParams) -> list[t.DocumentSymbol] | None:
        """Components and facets, or nested instances."""
        found = ls.document(params.text_document.uri)
        if found is None:
            return None
        path, state, text = found
        parsed = ls.ws.parse(path, state)
        return symbols(parsed, Lines(text, ls.encoding)) if parsed else None

    @server.feature(t.WORKSPACE_SYMBOL)
    def workspace_symbol(ls, params: t.WorkspaceSymbolParams) -> list[t.SymbolInformation]:
        """Components and facets of every application, filtered by the query (substring)."""
        query = params.query.lower()
        out = []
        for state in list(ls.ws.apps.values()):
            graph = ls.ws.full_graph(state)
            for node in [*graph.components.values(), *graph.facets.values()]:
                if query and query not in node.name.lower():
                    continue
                kind = t.SymbolKind.Interface if isinstance(node, Facet) else t.SymbolKind.Class
                out.append(
                    t.SymbolInformation(
                        name=node.name,
                        kind=kind,
                        location=_location(ls, state, node.name_range),
                        container_name=state.root.name,
                    )
                )
        return out

    @server.feature(t.TEXT_DOCUMENT_DOCUMENT_LINK)
    def document_link(ls, params: t.DocumentLinkParams) -> list[t.DocumentLink] | None:
        """Imported files as links."""
        found = ls.document(params.text_document.uri)
        if found is None:
            return None
        path, state, text = found
        parsed = ls.ws.parse(path, state)
        if parsed is None:
            return None
        rel = state.rel(path)
        folder = rel.split("/", 1)[0] if "/" in rel else ""
        lines = Lines(text, ls.encoding)
        caps = ls.client_capabilities.text_document
        tooltips = bool(caps and caps.document_link and caps.document_link.tooltip_support)
        out = []
        for imp in parsed.imports:
            target = (state.root / folder / imp.uri) if folder else (path.parent / imp.uri)
            if target.is_file() or target in ls.ws.documents:
                out.append(
                    t.DocumentLink(
                        range=lines.range(imp.uri_range),
                        target=path_to_uri(target),
                        tooltip=f"Open {imp.uri}" if tooltips else None,
                    )
                )
        return out
