"""Source locations shared by every layer (parser, model, validator, language server).

Lines and columns are 1-based; ``end_column`` is exclusive (it points just after the last
character), as in SARIF and most compilers.  Columns count Unicode code points; the language
server converts them to UTF-16 offsets itself.
"""

from __future__ import annotations

import bisect
from typing import NamedTuple


class SourceRange(NamedTuple):
    """A span of text in one file.

    A named tuple rather than a frozen dataclass: the parser creates one per token, and tuple
    construction is several times cheaper.
    """

    file: str
    start_line: int
    start_column: int
    end_line: int
    end_column: int

    @classmethod
    def line_span(cls, file: str, line: int, start: int, end: int) -> SourceRange:
        """A range on a single line, from 0-based character offsets ``start``..``end``."""
        return cls(file, line, start + 1, line, end + 1)

    @classmethod
    def file_start(cls, file: str) -> SourceRange:
        """The empty range at the very beginning of ``file`` (file-level problems)."""
        return cls(file, 1, 1, 1, 1)

    def contains(self, line: int, column: int) -> bool:
        """Whether the 1-based position lies inside the range (end inclusive, for cursors)."""
        if (line, column) < (self.start_line, self.start_column):
            return False
        return (line, column) <= (self.end_line, self.end_column)

    def with_file(self, file: str) -> SourceRange:
        """The same span in another file name (used when files are reported relative)."""
        return SourceRange(file, self.start_line, self.start_column, self.end_line, self.end_column)


class OffsetIndex:
    """Character offsets of a text → ``SourceRange`` (lines split on ``\\n``, 1-based columns).

    For the languages read as a whole text (commands, rules) rather than line by line.
    """

    def __init__(self, text: str, file: str) -> None:
        self.file = file
        self.size = len(text)
        self.starts = [0] + [i + 1 for i, c in enumerate(text) if c == "\n"]

    def point(self, offset: int) -> tuple[int, int]:
        line = bisect.bisect_right(self.starts, offset) - 1
        return line + 1, offset - self.starts[line] + 1

    def span(self, start: int, end: int) -> SourceRange:
        sl, sc = self.point(start)
        el, ec = self.point(max(start, end))
        return SourceRange(self.file, sl, sc, el, ec)
