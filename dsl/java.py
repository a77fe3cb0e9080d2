"""Java behaviour that Roboconf's verdicts depend on, emulated exactly, in one place.

Roboconf is written in Java, and several of its checks inherit Java's library semantics rather
than anything the DSL defines: ``String.trim`` (only characters up to U+0020), ``Integer.parseInt``,
``String.equalsIgnoreCase`` (per character, upper then lower case), ``SimpleDateFormat`` patterns
(the commands' ``$(FORMATTED_TIME …)``), and ``java.util.Properties`` (the descriptor, target and
container files).  Each emulation here says which Java method it stands for.  The properties
reader also remembers where each key and value character came from, so that problems point at
the exact text.
"""

from __future__ import annotations

import bisect
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from rbcc.dsl.text.ranges import SourceRange

#: Java's ``Integer.MAX_VALUE``.
INT_MAX = 2**31 - 1
#: Java's line terminators (what its regex "." and \\R exclude).
LINE_TERMINATORS = ("\r\n", "\n", "\r", "\u0085", "\u2028", "\u2029")
_PROPS_BLANK = " \t\f"  # what Properties skips around keys and values (not \v, not Unicode spaces)


# ------------------------------------------------------------------------------------------
# java.lang.String and Integer
# ------------------------------------------------------------------------------------------


def java_trim(text: str) -> str:
    """Java's ``String.trim``: strip characters up to U+0020, not Unicode spaces."""
    start, end = 0, len(text)
    while start < end and text[start] <= " ":
        start += 1
    while end > start and text[end - 1] <= " ":
        end -= 1
    return text[start:end]


def java_trim_span(text: str, start: int, end: int) -> tuple[int, int]:
    """The offsets of ``java_trim(text[start:end])`` inside ``text``."""
    while start < end and text[start] <= " ":
        start += 1
    while end > start and text[end - 1] <= " ":
        end -= 1
    return start, end


def parse_java_int(text: str) -> int | None:
    """Java ``Integer.parseInt``: an optional ASCII sign, then decimal digits, 32-bit range.

    The digits are those ``Character.digit(c, 10)`` knows: every Unicode decimal digit (category
    Nd: ``２``, ``٣``, ``५`` …), but only in the Basic Multilingual Plane, since Java reads a
    ``char`` (UTF-16 unit) at a time and a surrogate is no digit (``𝟐`` is refused).  No spaces,
    no underscores, no superscripts (``²`` is a digit but not a decimal one).
    """
    body = text[1:] if text[:1] in ("+", "-") else text
    if not body:
        return None
    digits = []
    for c in body:
        d = unicodedata.decimal(c, None) if ord(c) <= 0xFFFF else None
        if d is None:
            return None
        digits.append(d)
    value = 0
    for d in digits:
        value = value * 10 + d
    if text[:1] == "-":
        value = -value
    if -(2**31) <= value <= 2**31 - 1:
        return value
    return None


def _java_char_upper(c: str) -> str:
    u = c.upper()
    return u if len(u) == 1 else c


def _java_char_lower(c: str) -> str:
    low = c.lower()
    return low if len(low) == 1 else c


def java_equals_ignore_case(a: str, b: str) -> bool:
    """``String.equalsIgnoreCase``: per char, equal after upper-casing or after lower-casing that."""
    if len(a) != len(b):
        return False
    for x, y in zip(a, b, strict=True):
        if x == y:
            continue
        ux, uy = _java_char_upper(x), _java_char_upper(y)
        if ux != uy and _java_char_lower(ux) != _java_char_lower(uy):
            return False
    return True


# ------------------------------------------------------------------------------------------
# java.text.SimpleDateFormat patterns
# ------------------------------------------------------------------------------------------


_SDF_LETTERS = frozenset("GyMdkHmsSEDFwWahKzZYuXL")


def is_valid_date_pattern(pattern: str) -> bool:
    """Whether ``new SimpleDateFormat(pattern)`` accepts ``pattern``.

    ASCII letters are pattern letters and must be among ``G y Y M L w W D d F E u a H k K h m s
    S z Z X`` unless quoted; ``''`` is a literal quote; an unterminated quote is illegal; a run
    of four or more ``X`` is an invalid ISO 8601 zone.
    """
    in_quote = False
    i, n = 0, len(pattern)
    run_char, run = "", 0
    while i < n:
        c = pattern[i]
        if c == "'":
            run_char, run = "", 0
            if i + 1 < n and pattern[i + 1] == "'":
                i += 2
                continue
            in_quote = not in_quote
            i += 1
            continue
        i += 1
        if in_quote or not ("a" <= c <= "z" or "A" <= c <= "Z"):
            run_char, run = "", 0
            continue
        if c not in _SDF_LETTERS:
            return False
        run = run + 1 if c == run_char else 1
        run_char = c
        if c == "X" and run >= 4:
            return False
    return not in_quote


_MONTHS = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
]
_DAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]


def format_date(pattern: str, when: datetime | None = None) -> str:
    """``SimpleDateFormat(pattern).format(now)`` in an English locale (for ``$(FORMATTED_TIME)``).

    The validator only needs the shape of the result (digits, letters, separators) to check the
    names built from it; the executor can use it as the real value.
    """
    now = when or datetime.now().astimezone()
    out: list[str] = []
    in_quote = False
    i, n = 0, len(pattern)
    while i < n:
        c = pattern[i]
        if c == "'":
            if i + 1 < n and pattern[i + 1] == "'":
                out.append("'")
                i += 2
            else:
                in_quote = not in_quote
                i += 1
            continue
        j = i + 1
        if not in_quote and c in _SDF_LETTERS:
            while j < n and pattern[j] == c:
                j += 1
            out.append(_format_field(c, j - i, now))
        else:
            out.append(c)
        i = j
    return "".join(out)


def _format_field(c: str, count: int, now: datetime) -> str:
    def num(v: int) -> str:
        return str(v).zfill(count)

    simple = {
        "d": now.day,
        "H": now.hour,
        "m": now.minute,
        "s": now.second,
        "D": now.timetuple().tm_yday,
        "F": (now.day - 1) // 7 + 1,
        "u": now.isoweekday(),
        "k": now.hour or 24,
        "K": now.hour % 12,
        "h": now.hour % 12 or 12,
        "w": now.isocalendar()[1],
        "W": (now.day - 1 + now.replace(day=1).weekday()) // 7 + 1,
    }
    if c in simple:
        return num(simple[c])
    if c in "yY":
        return str(now.year % 100).zfill(2) if count == 2 else num(now.year)
    if c in "ML":
        if count >= 4:
            return _MONTHS[now.month - 1]
        return _MONTHS[now.month - 1][:3] if count == 3 else num(now.month)
    if c == "E":
        return _DAYS[now.weekday()] if count >= 4 else _DAYS[now.weekday()][:3]
    if c == "S":
        return num(now.microsecond // 1000)
    if c == "G":
        return "AD"
    if c == "a":
        return "AM" if now.hour < 12 else "PM"
    return _format_zone(c, count, now)


def _format_zone(c: str, count: int, now: datetime) -> str:
    offset = now.utcoffset()
    minutes = int(offset.total_seconds() // 60) if offset is not None else 0
    sign = "-" if minutes < 0 else "+"
    hh, mm = divmod(abs(minutes), 60)
    if c == "z":
        return now.tzname() or "UTC"
    if c == "Z":
        return f"{sign}{hh:02d}{mm:02d}"
    if minutes == 0:
        return "Z"
    return {1: f"{sign}{hh:02d}", 2: f"{sign}{hh:02d}{mm:02d}"}.get(count, f"{sign}{hh:02d}:{mm:02d}")


# ------------------------------------------------------------------------------------------
# java.util.Properties, with positions
# ------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PropertyEntry:
    """One ``key = value`` of a properties file, with where its key and value are.

    :meth:`span_range` gives the source range of a part of ``value`` (an escape such as
    ``\\u00e9`` is one value character spanning six source characters); it lets callers point
    inside a value (one item of a comma list, one tag of a template).  The positions of the
    characters are kept as offsets and turned into ranges only when asked: most values are never
    pointed into, and a large project has tens of thousands of them.
    """

    key: str
    value: str
    key_range: SourceRange
    value_range: SourceRange
    #: for each character of ``value``, the (start, end) byte offsets it was decoded from
    spans: tuple[tuple[int, int], ...] = field(default=(), compare=False, repr=False)
    positions: _Positions | None = field(default=None, compare=False, repr=False)

    @property
    def char_ranges(self) -> tuple[SourceRange, ...]:
        """The source range of each character of ``value`` (empty when positions are unknown)."""
        if self.positions is None:
            return ()
        return tuple(self.positions.span(s, e) for s, e in self.spans)

    def span_range(self, start: int, end: int) -> SourceRange:
        """The source range of ``value[start:end]`` (an empty span gives an empty range)."""
        pos, spans = self.positions, self.spans
        if pos is None or not spans:
            return self.value_range
        if start >= end:
            offset = spans[start][0] if start < len(spans) else spans[-1][1]
            return pos.span(offset, offset)
        return pos.span(spans[start][0], spans[end - 1][1])


class _Positions:
    """Byte offsets of the (re-encoded) file → 1-based line and code-point column."""

    def __init__(self, data: bytes, file: str) -> None:
        self.data = data
        self.file = file
        self.starts = [0] + [i + 1 for i, b in enumerate(data) if b == 0x0A]

    def point(self, offset: int) -> tuple[int, int]:
        line = bisect.bisect_right(self.starts, offset) - 1
        col = len(self.data[self.starts[line] : offset].decode("utf-8", errors="replace")) + 1
        return line + 1, col

    def span(self, start: int, end: int) -> SourceRange:
        sl, sc = self.point(start)
        el, ec = self.point(max(start, end))
        return SourceRange(self.file, sl, sc, el, ec)


class MalformedEscape(ValueError):
    """Java's ``IllegalArgumentException: Malformed \\uxxxx encoding.``; ``offset`` = its byte."""

    def __init__(self, offset: int) -> None:
        super().__init__("Malformed \\uxxxx encoding.")
        self.offset = offset


def _logical_lines(text: str) -> Iterable[tuple[list[int], int]]:
    """Port of ``Properties.LineReader.readLine``: yields each logical line as source offsets.

    ``text`` is the ISO-8859-1 view of the bytes (one character per byte).  Leading blanks of
    every natural line are skipped, blank and comment lines are dropped, and a line ending with an
    odd number of backslashes continues on the next one (that backslash is not kept).  Each line
    comes with the offset just after its last source character (where an empty value sits).
    """
    n = len(text)
    i = 0
    line: list[int] = []
    skip_ws = True
    appended = False
    backslash = False
    while True:
        if i >= n:
            if line:
                yield (line[:-1] if backslash else line), line[-1] + 1
            return
        c = text[i]
        i += 1
        if skip_ws:
            if c in _PROPS_BLANK:
                continue
            if not appended and c in "\r\n":
                continue
            skip_ws = False
            appended = False
        if not line and c in "#!":
            while i < n and text[i] not in "\r\n":
                i += 1
            skip_ws = True
            continue
        if c not in "\r\n":
            line.append(i - 1)
            backslash = (not backslash) if c == "\\" else False
            continue
        if not line:
            skip_ws = True
            continue
        if i >= n or not backslash:
            yield (line[:-1] if backslash else line), i - 1
            if i >= n:
                return
            line = []
            skip_ws = True
            continue
        line.pop()
        skip_ws = True
        appended = True
        backslash = False
        if c == "\r" and text[i] == "\n":
            i += 1


def _split_key_value(text: str, line: list[int]) -> tuple[list[int], list[int]]:
    """Port of ``Properties.load0``: the key ends at the first unescaped ``=``, ``:`` or blank."""
    limit = len(line)
    key_len = 0
    value_start = limit
    has_sep = False
    backslash = False
    while key_len < limit:
        c = text[line[key_len]]
        if c in "=:" and not backslash:
            value_start = key_len + 1
            has_sep = True
            break
        if c in _PROPS_BLANK and not backslash:
            value_start = key_len + 1
            break
        backslash = (not backslash) if c == "\\" else False
        key_len += 1
    while value_start < limit:
        c = text[line[value_start]]
        if c not in _PROPS_BLANK:
            if not has_sep and c in "=:":
                has_sep = True
            else:
                break
        value_start += 1
    return line[:key_len], line[value_start:]


def _convert(text: str, offsets: list[int]) -> tuple[str, list[tuple[int, int]]]:
    """Port of ``Properties.loadConvert``: decode escapes, keeping each char's source span."""
    out: list[str] = []
    spans: list[tuple[int, int]] = []
    i, n = 0, len(offsets)
    while i < n:
        start = offsets[i]
        c = text[start]
        i += 1
        if c != "\\" or i >= n:
            out.append(c)
            spans.append((start, start + 1))
            continue
        c = text[offsets[i]]
        i += 1
        if c == "u":
            if i > n - 4:
                raise MalformedEscape(start)
            digits = "".join(text[o] for o in offsets[i : i + 4])
            if not re.fullmatch(r"[0-9a-fA-F]{4}", digits):
                raise MalformedEscape(start)
            i += 4
            out.append(chr(int(digits, 16)))
        else:
            out.append({"t": "\t", "r": "\r", "n": "\n", "f": "\f"}.get(c, c))
        spans.append((start, offsets[i - 1] + 1))
    return "".join(out), spans


def _java_bytes(data: bytes | str) -> bytes:
    """The bytes ``Properties`` sees: Roboconf decodes the file as UTF-8 and re-encodes it."""
    if isinstance(data, str):
        return data.encode("utf-8", errors="replace")
    return data.decode("utf-8", errors="replace").encode("utf-8")


def read_properties(
    data: bytes | str, file: str, *, char_ranges: bool = True
) -> tuple[dict[str, PropertyEntry], SourceRange | None]:
    """Read Java properties with positions; never raises.

    Returns the properties (last definition of a key wins) and, when Java's reader would have
    thrown on a malformed ``\\uXXXX`` escape, the range of that escape: like
    ``Utils.readPropertiesQuietly``, the properties read before it are kept and the rest ignored.
    """
    entries, malformed = read_property_entries(data, file, char_ranges=char_ranges)
    props: dict[str, PropertyEntry] = {}
    for entry in entries:
        props[entry.key] = entry
    return props, malformed


def read_property_entries(
    data: bytes | str, file: str, *, char_ranges: bool = True
) -> tuple[list[PropertyEntry], SourceRange | None]:
    """Every definition of a properties file in file order, a key defined twice included.

    ``java.util.Properties`` keeps only the last definition of a key; callers that warn about
    the earlier, ignored ones (container metadata) need them all.  Same reading as
    :func:`read_properties`, which is built on it.
    """
    raw = _java_bytes(data)
    text = raw.decode("latin-1")
    pos = _Positions(raw, file)
    entries: list[PropertyEntry] = []
    for line, end in _logical_lines(text):
        key_offsets, value_offsets = _split_key_value(text, line)
        try:
            key, key_spans = _convert(text, key_offsets)
            value, value_spans = _convert(text, value_offsets)
        except MalformedEscape as exc:
            return entries, pos.span(exc.offset, exc.offset + 2)
        entries.append(_entry(pos, key, key_spans, value, value_spans, line[0] if line else end, end, char_ranges))
    return entries, None


def _entry(
    pos: _Positions,
    key: str,
    key_spans: list[tuple[int, int]],
    value: str,
    value_spans: list[tuple[int, int]],
    start: int,
    end: int,
    per_char: bool = True,
) -> PropertyEntry:
    """Ranges of one property; an empty key or value sits where it would have started / ended."""
    key_range = pos.span(key_spans[0][0], key_spans[-1][1]) if key_spans else pos.span(start, start)
    value_range = pos.span(value_spans[0][0], value_spans[-1][1]) if value_spans else pos.span(end, end)
    if not per_char:
        return PropertyEntry(key, value, key_range, value_range)
    return PropertyEntry(key, value, key_range, value_range, tuple(value_spans), pos)


def read_properties_text(data: bytes | str) -> dict[str, str]:
    """``Properties.load`` for callers that only need values (target files, probes).

    Raises ``ValueError`` where Java's ``Properties.load`` throws (malformed ``\\uXXXX``), since
    those callers report an unreadable file in that case.
    """
    props, malformed = read_properties(data, "")
    if malformed is not None:
        raise ValueError("Malformed \\uxxxx encoding.")
    return {k: e.value for k, e in props.items()}
