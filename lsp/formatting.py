"""Document formatting: the front end's formatter (``rbcc.dsl.formatter``) as one text edit."""

from __future__ import annotations

from lsprotocol import types as t

from rbcc.dsl import format_text


def lsp_formatting_edits(text: str, path: str) -> list[t.TextEdit]:
    """One edit replacing the whole document, or none (already formatted, or syntax errors)."""
    result = format_text(text, path)
    if result is None or result == text:
        return []
    lines = text.split("\n")
    end = t.Position(len(lines) - 1, len(lines[-1].encode("utf-16-le")) // 2)
    return [t.TextEdit(t.Range(t.Position(0, 0), end), result)]


def register(server) -> None:
    @server.feature(t.TEXT_DOCUMENT_FORMATTING)
    def formatting(ls, params: t.DocumentFormattingParams) -> list[t.TextEdit] | None:
        """Re-indent with tabs and normalise spacing; comments are never touched."""
        found = ls.document(params.text_document.uri)
        if found is None:
            return None
        path, state, text = found
        return lsp_formatting_edits(text, state.rel(path))
