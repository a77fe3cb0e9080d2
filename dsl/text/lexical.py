"""The lexical layer shared by the graph and instances languages (Roboconf's FileDefinitionParser).

Roboconf reads both languages line by line with a handful of regular expressions; these helpers
reproduce them exactly (Java ``trim``, ASCII ``\\w``, unanchored searches where Java uses
``find``).  Both the textX fast path and the recovering line parser call them, so a line means the
same thing whichever path read it.
"""

from __future__ import annotations

import re
import unicodedata

# Part of the lexical API (re-exported: the parsers and the checks read them from here).
from rbcc.dsl.java import java_trim as java_trim
from rbcc.dsl.java import java_trim_span as java_trim_span
from rbcc.dsl.java import parse_java_int as parse_java_int

PATTERN_ID = re.compile(r"[a-zA-Z_](?:\w|-|\.)*", re.ASCII)
PATTERN_FLEX_ID = re.compile(r"[a-zA-Z_](?:\w|-| |\.)*", re.ASCII)
PATTERN_APP_NAME = re.compile(r"[a-zA-Z_](?:\w|[-.() ])*", re.ASCII)
PATTERN_IMPORT = re.compile(r"[a-zA-Z_](?:\w|-|\.)*(?:\.\*)?", re.ASCII)
#: Java's line terminators: what its regex ``.`` does not match and its ``$`` may stand before
#: (``\r`` never reaches the patterns: it is deleted when the file is split into lines)
JAVA_LINE_TERMINATORS = "\n\r\u0085\u2028\u2029"
_DOT = f"[^{JAVA_LINE_TERMINATORS}]"  # Java's ``.`` (no DOTALL)
_END = f"(?=[{JAVA_LINE_TERMINATORS}]?\\Z)"  # Java's ``$`` (no MULTILINE): end, or before a final terminator

RANDOM_MARKER = re.compile(rf"random\[([^\]]*)\]({_DOT}*)", re.ASCII | re.IGNORECASE)

_IMPORT = re.compile(r"import\s+([^;]*)", re.ASCII | re.IGNORECASE)
_BARE_IMPORT = re.compile(r"import", re.ASCII | re.IGNORECASE)
_FACET = re.compile(rf"facet(?:\s{_DOT}*)?", re.ASCII | re.IGNORECASE)
_FACET_KEYWORD = re.compile(r"\s*facet", re.ASCII | re.IGNORECASE)
_INSTANCE = re.compile(rf"instance of(?:\s{_DOT}*)?", re.ASCII | re.IGNORECASE)
_INSTANCE_KEYWORD = re.compile(r"\s*instance of", re.ASCII | re.IGNORECASE)
_PROPERTY = re.compile(rf"([^:\s]+)\s*:\s*({_DOT}*){_END}", re.ASCII)
#: characters Python's Unicode ``\s`` (hence textX's grammars) takes for whitespace but Java's
#: ``\s`` does not; a text holding one is read by the line parser only
NON_JAVA_SPACE = re.compile(r"[^\S \t\n\r\x0b\x0c]")
_QUOTED = re.compile(r'"[^"]*"')
_CLOSE = re.compile(r"\s*\}", re.ASCII)


def is_blank(text: str | None) -> bool:
    """Roboconf's "blank": null or empty after Java trim."""
    return text is None or java_trim(text) == ""


def code_end(line: str) -> int:
    """Offset where the in-line comment starts (the first ``#`` anywhere), or the line length."""
    i = line.find("#")
    return len(line) if i < 0 else i


def is_comment_line(line: str) -> bool:
    trimmed = java_trim(line)
    return trimmed.startswith("#")


def matches_facet(trimmed: str) -> bool:
    return _FACET.fullmatch(trimmed) is not None


def matches_instance(trimmed: str) -> bool:
    return _INSTANCE.fullmatch(trimmed) is not None


def strip_keyword(line: str, kind: str) -> int:
    """Offset just after the first ``facet`` / ``instance of`` keyword of ``line``."""
    rx = _FACET_KEYWORD if kind == "facet" else _INSTANCE_KEYWORD
    m = rx.search(line)
    return m.end() if m else 0


def is_bare_import(code: str) -> bool:
    """``import`` alone (any case, the line's code Java-trimmed): Roboconf's P_UNRECOGNIZED_BLOCK."""
    return _BARE_IMPORT.fullmatch(code) is not None


def search_import(line: str, start: int, end: int) -> re.Match[str] | None:
    """Roboconf's unanchored ``import\\s+([^;]*)`` on the code part of a line."""
    return _IMPORT.search(line, start, end)


def search_property(line: str, start: int, end: int) -> re.Match[str] | None:
    """Roboconf's unanchored property pattern ``([^:\\s]+)\\s*:\\s*(.*)$``."""
    return _PROPERTY.search(line[:end], start)


def has_extra_semicolon(value: str, trimmed_line: str) -> bool:
    """P_ONE_BLOCK_PER_LINE check on a property value (``;`` already removed once)."""
    if '"' in trimmed_line:
        value = _QUOTED.sub("", value)
    return ";" in value


def closing_rest(line: str) -> int:
    """Offset just after the first ``\\s*}`` of a closing line."""
    m = _CLOSE.search(line)
    return m.end() if m else 0


def is_id(text: str) -> bool:
    return PATTERN_ID.fullmatch(text) is not None


def is_flex_id(text: str) -> bool:
    return PATTERN_FLEX_ID.fullmatch(text) is not None


def split_nicely(value: str, base: int = 0) -> list[tuple[str, int, int]]:
    """Roboconf's ``Utils.splitNicely``: comma split, Java semantics, items trimmed.

    Java's ``split`` drops trailing empty strings; a blank value gives no item.  Returns
    ``(item, start, end)`` with offsets of the trimmed item (``base`` added), so that errors point
    at the offending item.
    """
    if is_blank(value):
        return []
    pieces: list[tuple[str, int, int]] = []
    pos = 0
    for raw in value.split(","):
        s, e = java_trim_span(value, pos, pos + len(raw))
        pieces.append((value[s:e], base + s, base + e))
        pos += len(raw) + 1
    # Java's String.split removes trailing empty strings (not trimmed-empty ones).
    raw_parts = value.split(",")
    while raw_parts and raw_parts[-1] == "":
        raw_parts.pop()
        pieces.pop()
    return pieces


def empty_item_span(value: str, pos: int) -> tuple[int, int]:
    """Offsets of the comma to blame for an empty list item found at ``pos`` in ``value``.

    The comma that ends the empty item (``a,,b`` → the second comma), or for a trailing empty
    item the comma before it (``a, ,`` → the last comma).
    """
    if pos < len(value) and value[pos] == ",":
        return pos, pos + 1
    j = value.rfind(",", 0, pos)
    return (j, j + 1) if j >= 0 else (pos, pos)


#: names of the invisible characters that have none in the Unicode database
_CONTROL_NAMES = {0x85: "NEXT LINE (NEL)", 0x0B: "LINE TABULATION", 0x0C: "FORM FEED", 0x00: "NULL"}


def is_invisible(ch: str) -> bool:
    """A character a user cannot see or takes for a plain space, which Roboconf does not read as
    whitespace: non-ASCII spaces and line or paragraph separators (U+00A0, U+2003, U+2028 …),
    format characters (U+200B ZERO WIDTH SPACE, U+FEFF …) and C1 controls (U+0085)."""
    if ch <= " " or ch.isascii():
        return False
    category = unicodedata.category(ch)
    return category in ("Zs", "Zl", "Zp", "Cf") or (category == "Cc" and ord(ch) >= 0x7F)


def char_name(ch: str) -> str:
    """``U+00A0 NO-BREAK SPACE``."""
    name = unicodedata.name(ch, None) or _CONTROL_NAMES.get(ord(ch), "control character")
    return f"U+{ord(ch):04X} {name}"


def invisible_note(text: str, holder: str = "line") -> str | None:
    """A sentence naming the invisible characters of ``text`` (at most three), or None.

    ``holder`` says what holds them (``line``, ``name``): a name that looks right but is refused
    is most often one with a pasted no-break or zero-width space in it."""
    found: list[str] = []
    for ch in text:
        if is_invisible(ch) and ch not in found:
            found.append(ch)
    if not found:
        return None
    names = ", ".join(char_name(ch) for ch in found[:3]) + (" …" if len(found) > 3 else "")
    if len(found) == 1:
        return f"This {holder} holds an invisible character that Roboconf does not read as whitespace: {names}; delete or retype it."
    return f"This {holder} holds invisible characters that Roboconf does not read as whitespace: {names}; delete or retype them."
