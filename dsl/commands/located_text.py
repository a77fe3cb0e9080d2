"""Text whose characters remember their source offsets, so ranges stay exact through line
continuations, comment removal and ``$(variable)`` substitution."""

from __future__ import annotations

import re

from rbcc.dsl.text import lexical as lx
from rbcc.dsl.text.ranges import OffsetIndex, SourceRange


class LocatedText:
    """A string whose characters remember the source span they come from.

    A character copied from the file spans one source character; a character produced by a
    ``$(variable)`` substitution spans the whole ``$(variable)`` reference.
    """

    __slots__ = ("ends", "starts", "text")

    def __init__(self, text: str, starts: list[int], ends: list[int]) -> None:
        self.text = text
        self.starts = starts
        self.ends = ends

    @classmethod
    def of(cls, text: str) -> LocatedText:
        return cls(text, list(range(len(text))), list(range(1, len(text) + 1)))

    def slice(self, start: int, end: int) -> LocatedText:
        return LocatedText(self.text[start:end], self.starts[start:end], self.ends[start:end])

    def _rebuild(self, matches: list[tuple[int, int]], replacement: str) -> LocatedText:
        text: list[str] = []
        starts: list[int] = []
        ends: list[int] = []
        pos = 0
        for s, e in matches:
            text.append(self.text[pos:s])
            starts.extend(self.starts[pos:s])
            ends.extend(self.ends[pos:s])
            if replacement:
                src_s = self.starts[s] if s < len(self.starts) else (self.ends[-1] if self.ends else 0)
                src_e = self.ends[e - 1] if e > s else src_s
                text.append(replacement)
                starts.extend([src_s] * len(replacement))
                ends.extend([src_e] * len(replacement))
            pos = e
        text.append(self.text[pos:])
        starts.extend(self.starts[pos:])
        ends.extend(self.ends[pos:])
        return LocatedText("".join(text), starts, ends)

    def sub_regex(self, rx: re.Pattern[str], replacement: str, count: int = 0) -> LocatedText:
        """``replaceAll`` / ``replaceFirst`` (``count=1``) with a literal replacement."""
        matches = [(m.start(), m.end()) for m in rx.finditer(self.text)]
        if count:
            matches = matches[:count]
        return self._rebuild(matches, replacement) if matches else self

    def replace(self, old: str, new: str) -> LocatedText:
        """Java ``String.replace(CharSequence, CharSequence)``: every non-overlapping occurrence."""
        if not old or old not in self.text:
            return self
        matches = []
        pos = self.text.find(old)
        while pos != -1:
            matches.append((pos, pos + len(old)))
            pos = self.text.find(old, pos + len(old))
        return self._rebuild(matches, new)

    def split_lines(self) -> list[LocatedText]:
        out = []
        pos = 0
        for i, c in enumerate(self.text):
            if c == "\n":
                out.append(self.slice(pos, i))
                pos = i + 1
        out.append(self.slice(pos, len(self.text)))
        return out

    def java_trim(self) -> LocatedText:
        s, e = lx.java_trim_span(self.text, 0, len(self.text))
        return self.slice(s, e)


class Locator(OffsetIndex):
    """Source offsets → ranges (lines split on ``\\n``, 1-based code-point columns)."""

    def of(self, t: LocatedText, start: int, end: int) -> SourceRange:
        """The source range of ``t.text[start:end]`` (an empty span gives an empty range)."""
        if not t.starts:
            return self.span(0, 0)
        if start >= end:
            at = t.starts[start] if start < len(t.starts) else t.ends[-1]
            return self.span(at, at)
        return self.span(t.starts[start], max(t.ends[start:end]))
