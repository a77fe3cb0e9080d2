"""Folding ranges: every ``{ … }`` block, runs of comment lines and runs of imports."""

from __future__ import annotations

from lsprotocol import types as t

from rbcc.dsl import Comment, Holder, Import, ParsedFile


def folding_ranges(parsed: ParsedFile) -> list[t.FoldingRange]:
    out: list[t.FoldingRange] = []

    def block(h: Holder) -> None:
        end = h.end_line or h.range.end_line
        if end > h.decl_range.start_line:
            out.append(
                t.FoldingRange(start_line=h.decl_range.start_line - 1, end_line=end - 1, kind=t.FoldingRangeKind.Region)
            )
        runs(h.items)
        for child in h.holders:
            block(child)

    def runs(items) -> None:
        for kind, cls in ((t.FoldingRangeKind.Comment, Comment), (t.FoldingRangeKind.Imports, Import)):
            start = prev = None
            for item in [*items, None]:
                line = item.range.start_line if isinstance(item, cls) else None
                if line is not None and prev is not None and line == prev + 1:
                    prev = line
                    continue
                if start is not None and prev is not None and prev > start:
                    out.append(t.FoldingRange(start_line=start - 1, end_line=prev - 1, kind=kind))
                start = prev = line

    runs(parsed.blocks)
    for h in parsed.holders:
        block(h)
    return sorted(out, key=lambda r: (r.start_line, r.end_line))


def register(server) -> None:
    @server.feature(t.TEXT_DOCUMENT_FOLDING_RANGE)
    def folding_range(ls, params: t.FoldingRangeParams) -> list[t.FoldingRange] | None:
        """Blocks, comment runs and import runs."""
        found = ls.document(params.text_document.uri)
        if found is None:
            return None
        path, state, _text = found
        parsed = ls.ws.parse(path, state)
        return folding_ranges(parsed) if parsed else None
