"""Conversions between the front end's values and LSP protocol types (functions named ``lsp_*``).

The front end counts 1-based lines and 1-based code-point columns with an exclusive end; LSP
counts 0-based lines and 0-based columns in the negotiated encoding (UTF-16 unless the client
asked for UTF-8 or UTF-32).  Everything crossing the protocol edge goes through this module.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import quote, unquote, urlparse

from lsprotocol import types as t

from rbcc.dsl import Level, Problem, SourceRange

SOURCE = "rbcc"


def uri_to_path(uri: str) -> Path | None:
    """The local path of a ``file:`` URI (``None`` for other schemes)."""
    parsed = urlparse(uri)
    if parsed.scheme != "file":
        return None
    return Path(unquote(parsed.path))


def path_to_uri(path: Path) -> str:
    return "file://" + quote(str(Path(path).absolute()).replace("\\", "/"), safe="/:")


def units(text: str, encoding: str = "utf-16") -> int:
    """Length of ``text`` in the client's position units."""
    if encoding == "utf-32":
        return len(text)
    if encoding == "utf-8":
        return len(text.encode("utf-8", "surrogatepass"))
    return len(text) + sum(1 for c in text if ord(c) > 0xFFFF)


def column_to_lsp(line_text: str, column0: int, encoding: str = "utf-16") -> int:
    """A 0-based code-point column → the client's units."""
    if column0 <= 0:
        return 0
    return units(line_text[:column0], encoding)


def column_from_lsp(line_text: str, character: int, encoding: str = "utf-16") -> int:
    """The client's units → a 0-based code-point column (clamped to the line)."""
    if encoding == "utf-32":
        return min(character, len(line_text))
    count = 0
    for i, c in enumerate(line_text):
        if count >= character:
            return i
        count += units(c, encoding)
    return len(line_text)


class Lines:
    """The lines of one document, for position conversion."""

    __slots__ = ("lines", "encoding")

    def __init__(self, text: str, encoding: str = "utf-16") -> None:
        self.lines = text.split("\n")
        self.encoding = encoding

    def line(self, index0: int) -> str:
        if 0 <= index0 < len(self.lines):
            return self.lines[index0].rstrip("\r")
        return ""

    def position(self, line1: int, column1: int) -> t.Position:
        """A 1-based (line, code-point column) → LSP position."""
        line0 = max(line1 - 1, 0)
        return t.Position(line0, column_to_lsp(self.line(line0), column1 - 1, self.encoding))

    def range(self, r: SourceRange) -> t.Range:
        return t.Range(self.position(r.start_line, r.start_column), self.position(r.end_line, r.end_column))

    def offset(self, pos: t.Position) -> tuple[int, int]:
        """LSP position → (0-based line, 0-based code-point column)."""
        return pos.line, column_from_lsp(self.line(pos.line), pos.character, self.encoding)


def lsp_range(r: SourceRange, lines: Lines | None) -> t.Range:
    if lines is None:
        return t.Range(t.Position(r.start_line - 1, r.start_column - 1), t.Position(r.end_line - 1, r.end_column - 1))
    return lines.range(r)


def lsp_severity(level: Level) -> t.DiagnosticSeverity:
    return t.DiagnosticSeverity.Error if level is Level.ERROR else t.DiagnosticSeverity.Warning


def lsp_diagnostic(p: Problem, lines: Lines | None, root: Path, lines_of) -> t.Diagnostic:
    """A problem as an LSP diagnostic; ``lines_of(rel)`` gives the Lines of another file."""
    rng = lsp_range(p.range, lines) if p.range is not None else t.Range(t.Position(0, 0), t.Position(0, 0))
    related = []
    for rel in p.related:
        related.append(
            t.DiagnosticRelatedInformation(
                location=t.Location(path_to_uri(root / rel.range.file), lsp_range(rel.range, lines_of(rel.range.file))),
                message=rel.message,
            )
        )
    return t.Diagnostic(
        range=rng,
        message=f"{p.message}\nHint: {p.hint}" if p.hint else p.message,
        severity=lsp_severity(p.level),
        code=p.code,
        source=SOURCE,
        related_information=related or None,
    )
