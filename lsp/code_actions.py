"""Quick fixes: missing ``;``, unknown type → nearest existing name, bad import path, unused import."""

from __future__ import annotations

import difflib

from lsprotocol import types as t

from rbcc.lsp.convert import Lines

SEMICOLON = {"P_PROPERTY_ENDS_WITH_SEMI_COLON", "P_IMPORT_ENDS_WITH_SEMI_COLON"}
UNKNOWN_TYPE = {"CO_INEXISTING_CHILD": "all", "CO_INEXISTING_COMPONENT": "components", "CO_INEXISTING_FACET": "facets"}
BAD_IMPORT = {"CO_UNREACHABLE_FILE", "PM_EMPTY_IMPORT_LOCATION"}


def _fix(
    title: str, uri: str, edits: list[t.TextEdit], diagnostic: t.Diagnostic | None, preferred=False
) -> t.CodeAction:
    return t.CodeAction(
        title=title,
        kind=t.CodeActionKind.QuickFix,
        diagnostics=[diagnostic] if diagnostic else None,
        edit=t.WorkspaceEdit(changes={uri: edits}),
        is_preferred=preferred or None,
    )


def _delete_line(line0: int) -> t.TextEdit:
    return t.TextEdit(t.Range(t.Position(line0, 0), t.Position(line0 + 1, 0)), "")


def code_actions(ls, uri: str, path, state, text: str, params: t.CodeActionParams) -> list[t.CodeAction]:
    lines = Lines(text, ls.encoding)
    out: list[t.CodeAction] = []
    graph = None
    for d in params.context.diagnostics:
        code = str(d.code or "")
        if code in SEMICOLON:
            out.append(_fix("Add the missing `;`", uri, [t.TextEdit(t.Range(d.range.end, d.range.end), ";")], d, True))
        elif code in UNKNOWN_TYPE:
            graph = graph or ls.ws.full_graph(state)
            wrong = lines.line(d.range.start.line)[d.range.start.character : d.range.end.character]
            pool = {
                "all": [*graph.components, *graph.facets],
                "components": list(graph.components),
                "facets": list(graph.facets),
            }[UNKNOWN_TYPE[code]]
            for name in difflib.get_close_matches(wrong, pool, n=3, cutoff=0.5):
                out.append(_fix(f"Change to `{name}`", uri, [t.TextEdit(d.range, name)], d, not out))
        elif code in BAD_IMPORT:
            out.extend(_import_fixes(ls, uri, path, state, lines, d))
    out.extend(_unused_imports(ls, uri, path, state, params.range))
    return out


def _import_fixes(ls, uri, path, state, lines: Lines, d: t.Diagnostic) -> list[t.CodeAction]:
    rel = state.rel(path)
    folder = rel.split("/", 1)[0] if "/" in rel else ""
    wanted = lines.line(d.range.start.line)[d.range.start.character : d.range.end.character]
    suffix = ".graph" if rel.endswith(".graph") else ".instances"
    files = [
        f[len(folder) + 1 :]
        for f in ls.ws.files(state)
        if f.startswith(folder + "/") and f.endswith(suffix) and f != rel
    ]
    out = [
        _fix(f"Import `{name}` instead", uri, [t.TextEdit(d.range, name)], d, i == 0)
        for i, name in enumerate(difflib.get_close_matches(wanted, files, n=3, cutoff=0.4))
    ]
    out.append(_fix("Remove this import", uri, [_delete_line(d.range.start.line)], d))
    return out


def _unused_imports(ls, uri, path, state, rng: t.Range) -> list[t.CodeAction]:
    """Imports that add nothing: the file itself, or a file already imported above."""
    parsed = ls.ws.parse(path, state)
    if parsed is None:
        return []
    rel = state.rel(path)
    own = rel.split("/", 1)[1] if "/" in rel else rel
    seen: set[str] = set()
    out = []
    for imp in parsed.imports:
        line0 = imp.range.start_line - 1
        reason = None
        if imp.uri == own:
            reason = "imports this very file"
        elif imp.uri in seen:
            reason = "already imported above"
        seen.add(imp.uri)
        if reason and rng.start.line <= line0 <= rng.end.line:
            out.append(_fix(f"Remove unused import `{imp.uri}` ({reason})", uri, [_delete_line(line0)], None))
    return out


def register(server) -> None:
    @server.feature(t.TEXT_DOCUMENT_CODE_ACTION, t.CodeActionOptions(code_action_kinds=[t.CodeActionKind.QuickFix]))
    def code_action(ls, params: t.CodeActionParams) -> list[t.CodeAction] | None:
        """Quick fixes for the diagnostics in the requested range."""
        found = ls.document(params.text_document.uri)
        if found is None:
            return None
        path, state, text = found
        return code_actions(ls, params.text_document.uri, path, state, text, params) or None
