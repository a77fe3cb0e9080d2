"""Semantic tokens: components vs facets (declarations marked), variables, properties, keywords.

Built from the navigation index (the same occurrences hover and rename use) plus the keywords
and comments of each line, then encoded relative to the previous token as LSP requires.
"""

from __future__ import annotations

import re

from lsprotocol import types as t

from rbcc.dsl import Comment, Holder, Import, ParsedFile
from rbcc.lsp.convert import Lines

TOKEN_TYPES = ["keyword", "class", "interface", "variable", "property", "enumMember", "string", "comment"]
TOKEN_MODIFIERS = ["declaration"]
LEGEND = t.SemanticTokensLegend(token_types=TOKEN_TYPES, token_modifiers=TOKEN_MODIFIERS)
_KEYWORD = re.compile(r"(?i)^\s*(facet|instance\s+of|import)\b")


def semantic_tokens(index, rel: str, parsed: ParsedFile, lines: Lines) -> list[int]:
    graph = index.graph
    raw: list[tuple[int, int, int, int, int]] = []  # line0, col0 (code points), length, type, modifiers

    def add(r, type_name: str, decl: bool = False, start: int | None = None, length: int | None = None) -> None:
        if r.start_line != r.end_line:
            return
        col = (start if start is not None else r.start_column) - 1
        n = length if length is not None else r.end_column - r.start_column
        if n > 0:
            raw.append((r.start_line - 1, col, n, TOKEN_TYPES.index(type_name), 1 if decl else 0))

    for occ in index.by_file.get(rel, ()):
        if occ.kind == "type":
            add(occ.range, "interface" if occ.target in graph.facets else "class", occ.decl)
        elif occ.kind in ("var", "external"):
            name = occ.target
            if "." in name and not occ.decl:
                dot = name.index(".") + 1
                add(occ.range, "variable", start=occ.range.start_column + dot, length=len(name) - dot)
            else:
                add(occ.range, "variable", occ.decl)
        elif occ.kind == "keyword":
            add(occ.range, "property")
        elif occ.kind == "installer":
            add(occ.range, "enumMember")
        elif occ.kind == "file":
            add(occ.range, "string")

    def comments_and_keywords(items) -> None:
        for item in items:
            if isinstance(item, Comment):
                add(item.range, "comment")
            elif isinstance(item, (Holder, Import)):
                r = item.decl_range if isinstance(item, Holder) else item.range
                m = _KEYWORD.match(lines.line(r.start_line - 1))
                if m:
                    raw.append((r.start_line - 1, m.start(1), m.end(1) - m.start(1), 0, 0))
                if isinstance(item, Holder):
                    comments_and_keywords(item.items)

    comments_and_keywords(parsed.blocks)
    raw.sort()
    data: list[int] = []
    prev_line = prev_start = 0
    last_end = (-1, -1)
    for line0, col0, n, typ, mods in raw:
        if (line0, col0) < last_end:  # overlapping: keep the first
            continue
        text = lines.line(line0)
        start = lines.position(line0 + 1, col0 + 1).character
        end = lines.position(line0 + 1, col0 + n + 1).character
        if end <= start or col0 >= len(text):
            continue
        delta_line = line0 - prev_line
        delta_start = start - prev_start if delta_line == 0 else start
        data += [delta_line, delta_start, end - start, typ, mods]
        prev_line, prev_start = line0, start
        last_end = (line0, col0 + n)
    return data


def register(server) -> None:
    @server.feature(t.TEXT_DOCUMENT_SEMANTIC_TOKENS_FULL, t.SemanticTokensRegistrationOptions(legend=LEGEND, full=True))
    def semantic_tokens_full(ls, params: t.SemanticTokensParams) -> t.SemanticTokens | None:
        """Tokens for the whole document."""
        from rbcc.lsp.navigation import index_for

        found = ls.document(params.text_document.uri)
        if found is None:
            return None
        path, state, text = found
        parsed = ls.ws.parse(path, state)
        if parsed is None:
            return None
        return t.SemanticTokens(
            data=semantic_tokens(index_for(ls, state), state.rel(path), parsed, Lines(text, ls.encoding))
        )
