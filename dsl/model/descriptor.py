"""The application descriptor (``descriptor/application.properties``, dsl.md §10).

Roboconf reads the descriptor with ``java.util.Properties``, so this module carries a faithful
port of its reader (``Properties.load`` on an ``InputStream``: ISO-8859-1 bytes, ``\\uXXXX``
escapes, ``#``/``!`` comments, ``=``/``:``/white-space separators, backslash continuations).
Unlike Java it also remembers where every key and every value character came from, so that each
descriptor problem points at the exact key, value or ``exports`` item that is wrong.

Byte handling is Roboconf's: the file is decoded as UTF-8 (malformed sequences replaced),
re-encoded as UTF-8 and only then given to ``Properties`` (which decodes ISO-8859-1), so a UTF-8
``é`` becomes the mojibake ``Ã©`` and fails the name pattern, exactly as in Roboconf.
"""

from __future__ import annotations

import bisect
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from rbcc.dsl.problems import Problem, Related, problem
from rbcc.dsl.text import lexical as lx
from rbcc.dsl.text.ranges import SourceRange

# Descriptor keys (ApplicationTemplateDescriptor) and their legacy ``application-`` aliases.
NAME = "name"
VERSION = "version"
TAGS = "tags"
DESCRIPTION = "description"
DSL_ID = "dsl-id"
GRAPH_EP = "graph-entry-point"
INSTANCES_EP = "instance-entry-point"
EXPORTS_PREFIX = "exports-prefix"
EXPORTS = "exports"
LEGACY_PREFIX = "application-"
#: keys that also accept the ``application-`` prefix (the bare key wins when both exist)
LEGACY_KEYS = frozenset({NAME, DESCRIPTION, VERSION, DSL_ID})
#: Roboconf's test hook: a descriptor defining this key cannot be "read" (PROJ_READ_DESC_FILE)
FAIL_READ_KEY = "fail.read"

_EXPORT_ITEM = re.compile(r"([^=\s]+)\s+as\s+([^=\s]+)", re.ASCII | re.IGNORECASE)
# Java's "." never matches a line terminator; neither may ours.
_JAVA_DOT = "[^\n\r\u0085\u2028\u2029]"
_VERSION = re.compile(rf"([0-9]+)\.([0-9]+)(\.[0-9]+)?([.-]{_JAVA_DOT}+)?", re.ASCII)
_LINE_TERMINATORS = ("\r\n", "\n", "\r", "\u0085", "\u2028", "\u2029")
_INT_MAX = 2**31 - 1
_PROPS_BLANK = " \t\f"  # what Properties skips around keys and values (not \v, not Unicode spaces)


# ------------------------------------------------------------------------------------------
# Data
# ------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PropertyEntry:
    """One ``key = value`` of a properties file, with where its key and value are.

    ``char_ranges`` gives, for each character of ``value``, the range of the source text it was
    decoded from (an escape such as ``\\u00e9`` is one value character spanning six source
    characters); it lets callers point inside a value (one item of a comma list).
    """

    key: str
    value: str
    key_range: SourceRange
    value_range: SourceRange
    char_ranges: tuple[SourceRange, ...] = ()

    def span_range(self, start: int, end: int) -> SourceRange:
        """The source range of ``value[start:end]`` (an empty span gives an empty range)."""
        if not self.char_ranges:
            return self.value_range
        if start >= end:
            if start < len(self.char_ranges):
                r = self.char_ranges[start]
                return SourceRange(r.file, r.start_line, r.start_column, r.start_line, r.start_column)
            r = self.char_ranges[-1]
            return SourceRange(r.file, r.end_line, r.end_column, r.end_line, r.end_column)
        first, last = self.char_ranges[start], self.char_ranges[end - 1]
        return SourceRange(first.file, first.start_line, first.start_column, last.end_line, last.end_column)


@dataclass(frozen=True, slots=True)
class ExternalExport:
    """``<internal variable> as <alias>`` of the ``exports`` key (inter-application exports)."""

    internal: str
    alias: str
    range: SourceRange
    internal_range: SourceRange
    alias_range: SourceRange


@dataclass(frozen=True, slots=True)
class InvalidExport:
    """An ``exports`` item that is not ``<var> as <alias>``."""

    text: str
    range: SourceRange


@dataclass(slots=True)
class Descriptor:
    """What Roboconf's ``ApplicationTemplateDescriptor`` holds, plus source ranges.

    Values are Java's: ``None`` when the key is absent, the raw (left-trimmed, never right-trimmed)
    property value otherwise.  ``external_exports`` maps an internal variable to its export (a
    repeated internal variable keeps its last alias, like Java's ``HashMap.put``).
    """

    file: str
    name: str | None = None
    version: str | None = None
    description: str | None = None
    dsl_id: str | None = None
    graph_entry_point: str | None = None
    instance_entry_point: str | None = None
    exports_prefix: str | None = None
    external_exports: dict[str, ExternalExport] = field(default_factory=dict)
    invalid_exports: list[InvalidExport] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)
    #: every property of the file (last definition of a key wins, as in Java)
    properties: dict[str, PropertyEntry] = field(default_factory=dict)
    #: where Java's reader gave up (malformed ``\\uXXXX``); later lines were ignored, as in Java
    malformed_escape: SourceRange | None = None

    def entry(self, key: str) -> PropertyEntry | None:
        """The property Roboconf used for ``key`` (the bare key, else its legacy alias)."""
        found = self.properties.get(key)
        if found is None and key in LEGACY_KEYS:
            found = self.properties.get(LEGACY_PREFIX + key)
        return found

    def key_range(self, key: str) -> SourceRange | None:
        e = self.entry(key)
        return e.key_range if e else None

    def value_range(self, key: str) -> SourceRange | None:
        e = self.entry(key)
        return e.value_range if e else None

    def range_of(self, key: str) -> SourceRange | None:
        """Where to report a problem about ``key``'s value: the value, or the key if it is blank."""
        e = self.entry(key)
        if e is None:
            return None
        return e.key_range if lx.is_blank(e.value) else e.value_range

    def where(self, key: str) -> SourceRange:
        """``range_of(key)``, or the start of the file when the key is absent."""
        return self.range_of(key) or SourceRange.file_start(self.file)


# ------------------------------------------------------------------------------------------
# java.util.Properties, with positions
# ------------------------------------------------------------------------------------------


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


def read_properties(data: bytes | str, file: str) -> tuple[dict[str, PropertyEntry], SourceRange | None]:
    """Read Java properties with positions; never raises.

    Returns the properties (last definition of a key wins) and, when Java's reader would have
    thrown on a malformed ``\\uXXXX`` escape, the range of that escape: like
    ``Utils.readPropertiesQuietly``, the properties read before it are kept and the rest ignored.
    """
    raw = _java_bytes(data)
    text = raw.decode("latin-1")
    pos = _Positions(raw, file)
    props: dict[str, PropertyEntry] = {}
    for line, end in _logical_lines(text):
        key_offsets, value_offsets = _split_key_value(text, line)
        try:
            key, key_spans = _convert(text, key_offsets)
            value, value_spans = _convert(text, value_offsets)
        except MalformedEscape as exc:
            return props, pos.span(exc.offset, exc.offset + 2)
        props[key] = _entry(pos, key, key_spans, value, value_spans, line[0] if line else end, end)
    return props, None


def _entry(pos: _Positions, key: str, key_spans, value: str, value_spans, start: int, end: int) -> PropertyEntry:
    """Ranges of one property; an empty key or value sits where it would have started / ended."""
    key_range = pos.span(key_spans[0][0], key_spans[-1][1]) if key_spans else pos.span(start, start)
    value_range = pos.span(value_spans[0][0], value_spans[-1][1]) if value_spans else pos.span(end, end)
    char_ranges = tuple(pos.span(s, e) for s, e in value_spans)
    return PropertyEntry(key, value, key_range, value_range, char_ranges)


def read_properties_text(data: bytes | str) -> dict[str, str]:
    """``Properties.load`` for callers that only need values (target files, probes).

    Raises ``ValueError`` where Java's ``Properties.load`` throws (malformed ``\\uXXXX``), since
    those callers report an unreadable file in that case.
    """
    props, malformed = read_properties(data, "")
    if malformed is not None:
        raise ValueError("Malformed \\uxxxx encoding.")
    return {k: e.value for k, e in props.items()}


# ------------------------------------------------------------------------------------------
# Descriptor loading
# ------------------------------------------------------------------------------------------


def parse_descriptor(data: bytes | str, rel: str) -> tuple[Descriptor | None, list[Problem]]:
    """Build the descriptor from the file content (bytes as on disk, or an editor's text)."""
    props, malformed = read_properties(data, rel)
    if FAIL_READ_KEY in props:
        where = props[FAIL_READ_KEY].key_range
        return None, [problem("PROJ_READ_DESC_FILE", where, ("EXCEPTION", "This is for test purpose..."))]
    desc = Descriptor(rel, properties=props, malformed_escape=malformed)
    desc.name = _legacy(props, NAME)
    desc.description = _legacy(props, DESCRIPTION)
    desc.version = _legacy(props, VERSION)
    desc.dsl_id = _legacy(props, DSL_ID)
    desc.graph_entry_point = _value(props, GRAPH_EP)
    desc.instance_entry_point = _value(props, INSTANCES_EP)
    desc.exports_prefix = _value(props, EXPORTS_PREFIX)
    _load_exports(desc, props.get(EXPORTS))
    tags = props.get(TAGS)
    if tags is not None:
        desc.tags = list(dict.fromkeys(item for item, _s, _e in lx.split_nicely(tags.value)))
    return desc, []


def read_descriptor(path: Path, rel: str, text: str | None = None) -> tuple[Descriptor | None, list[Problem]]:
    """Read ``path`` (or the editor's ``text`` for it); unreadable → PROJ_READ_DESC_FILE.

    ``rel`` is the file name put in every range (``descriptor/application.properties``).
    """
    if text is not None:
        return parse_descriptor(text, rel)
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        return None, [problem("PROJ_READ_DESC_FILE", SourceRange.file_start(rel), ("EXCEPTION", str(exc)))]
    return parse_descriptor(data, rel)


def _value(props: dict[str, PropertyEntry], key: str) -> str | None:
    e = props.get(key)
    return e.value if e is not None else None


def _legacy(props: dict[str, PropertyEntry], key: str) -> str | None:
    """``getLegacyProperty``: the bare key if defined (even blank), else ``application-<key>``."""
    value = _value(props, key)
    return value if value is not None else _value(props, LEGACY_PREFIX + key)


def _load_exports(desc: Descriptor, entry: PropertyEntry | None) -> None:
    """``exports``: comma items (§4.1), each ``<var> as <alias>`` (whole item, ``as`` any case)."""
    if entry is None:
        return
    for item, start, end in lx.split_nicely(entry.value):
        where = entry.span_range(start, end)
        m = _EXPORT_ITEM.fullmatch(item)
        if m is None:
            desc.invalid_exports.append(InvalidExport(item, where))
            continue
        internal = entry.span_range(start + m.start(1), start + m.end(1))
        alias = entry.span_range(start + m.start(2), start + m.end(2))
        desc.external_exports[m.group(1)] = ExternalExport(m.group(1), m.group(2), where, internal, alias)


# ------------------------------------------------------------------------------------------
# Validation
# ------------------------------------------------------------------------------------------


def clean_name_with_accents(name: str) -> str:
    """``Utils.cleanNameWithAccents``: NFD, drop U+0300–U+036F (that block only), Java trim."""
    decomposed = unicodedata.normalize("NFD", name)
    return lx.java_trim("".join(c for c in decomposed if not "\u0300" <= c <= "\u036f"))


def is_valid_version(version: str) -> bool:
    """Roboconf's ``Version.parseVersion(v) != null`` (``^(\\d+)\\.(\\d+)(\\.\\d+)?([.-].+)?$``).

    Java's ``$`` also matches before a final line terminator.  Numbers beyond ``int`` make Java
    throw; they are reported as invalid here.
    """
    candidates = [version]
    for term in _LINE_TERMINATORS:
        if version.endswith(term):
            candidates.append(version[: -len(term)])
            break
    for candidate in candidates:
        m = _VERSION.fullmatch(candidate)
        if m is not None:
            numbers = [m.group(1), m.group(2), (m.group(3) or ".0")[1:]]
            return all(int(n) <= _INT_MAX for n in numbers)
    return False


def validate_descriptor(desc: Descriptor) -> list[Problem]:
    """``RuntimeModelValidator.validate(ApplicationTemplateDescriptor)``, in Roboconf's order."""
    out: list[Problem] = []
    _check_name(desc, out)
    _check_version(desc, out)
    if lx.is_blank(desc.dsl_id):
        out.append(problem("RM_MISSING_APPLICATION_DSL_ID", desc.where(DSL_ID), note="Add `dsl-id = roboconf-1.0`."))
    if lx.is_blank(desc.graph_entry_point):
        out.append(
            problem("RM_MISSING_APPLICATION_GEP", desc.where(GRAPH_EP), note="Add `graph-entry-point = <file>.graph`.")
        )
    if desc.invalid_exports:
        first, *others = desc.invalid_exports
        related = [Related(x.range, f"Invalid export: {x.text}") for x in others]
        out.append(
            problem(
                "PROJ_INVALID_EXTERNAL_EXPORTS",
                first.range,
                ("VALUE", first.text),
                related=related,
                note="Expected `<component>.<variable> as <alias>`, items separated by commas.",
            )
        )
    for export in desc.external_exports.values():
        if not lx.is_id(export.internal):
            out.append(problem("RM_INVALID_VARIABLE_NAME", export.internal_range, ("VARIABLE", export.internal)))
        if not lx.is_id(export.alias):
            out.append(problem("RM_INVALID_VARIABLE_NAME", export.alias_range, ("VARIABLE", export.alias)))
    if (desc.external_exports or desc.invalid_exports) and lx.is_blank(desc.exports_prefix):
        out.append(
            problem(
                "RM_MISSING_APPLICATION_EXPORT_PREFIX", _prefix_anchor(desc), note="Add `exports-prefix = <Prefix>`."
            )
        )
    return out


def _prefix_anchor(desc: Descriptor) -> SourceRange:
    """Where a missing prefix is reported: its blank key, else the ``exports`` key needing it."""
    return desc.range_of(EXPORTS_PREFIX) or desc.key_range(EXPORTS) or SourceRange.file_start(desc.file)


def _check_name(desc: Descriptor, out: list[Problem]) -> None:
    if lx.is_blank(desc.name):
        out.append(problem("RM_MISSING_APPLICATION_NAME", desc.where(NAME), note="Add `name = <application name>`."))
    elif lx.PATTERN_APP_NAME.fullmatch(clean_name_with_accents(desc.name)) is None:
        out.append(
            problem(
                "RM_INVALID_APPLICATION_NAME",
                desc.where(NAME),
                ("EXPECTED", lx.PATTERN_APP_NAME.pattern),
                note="The file is read as ISO-8859-1: write accents as \\uXXXX escapes.",
            )
        )


def _check_version(desc: Descriptor, out: list[Problem]) -> None:
    if lx.is_blank(desc.version):
        out.append(problem("RM_MISSING_APPLICATION_VERSION", desc.where(VERSION), note="Add `version = 1.0.0`."))
    elif not is_valid_version(desc.version):
        out.append(problem("RM_INVALID_APPLICATION_VERSION", desc.where(VERSION), ("UNEXPECTED", desc.version)))


def template_exports(desc: Descriptor) -> dict[str, str]:
    """The template's external exports: internal → ``<prefix>.<alias>`` (Java's ``null.`` too)."""
    prefix = desc.exports_prefix if desc.exports_prefix is not None else "null"
    return {k: f"{prefix}.{e.alias}" for k, e in desc.external_exports.items()}


def validate_external_exports(desc: Descriptor, graph_exports: Iterable[str] | Sequence[str]) -> list[Problem]:
    """The export part of ``validate(ApplicationTemplate)`` (§9.5), run on the loaded template.

    ``graph_exports`` are the resolved exported variable names of the whole graph.
    """
    out: list[Problem] = []
    known = set(graph_exports)
    if desc.external_exports:
        if lx.is_blank(desc.exports_prefix):
            out.append(problem("RM_MISSING_APPLICATION_EXPORT_PREFIX", _prefix_anchor(desc)))
        elif not lx.is_id(desc.exports_prefix):
            out.append(problem("RM_INVALID_APPLICATION_EXPORT_PREFIX", desc.where(EXPORTS_PREFIX)))
    seen: set[str] = set()
    for internal, full in template_exports(desc).items():
        export = desc.external_exports[internal]
        if not lx.is_id(internal):
            out.append(problem("RM_INVALID_VARIABLE_NAME", export.internal_range, ("VARIABLE", internal)))
        if internal not in known:
            out.append(problem("RM_INVALID_EXTERNAL_EXPORT", export.internal_range, ("VARIABLE", internal)))
        if not lx.is_id(full):
            out.append(problem("RM_INVALID_VARIABLE_NAME", export.alias_range, ("VARIABLE", full)))
        if full in seen:
            out.append(problem("RM_ALREADY_DEFINED_EXTERNAL_EXPORT", export.alias_range, ("VARIABLE", full)))
        else:
            seen.add(full)
    return out


__all__ = [
    "Descriptor",
    "ExternalExport",
    "InvalidExport",
    "PropertyEntry",
    "clean_name_with_accents",
    "is_valid_version",
    "parse_descriptor",
    "read_descriptor",
    "read_properties",
    "read_properties_text",
    "template_exports",
    "validate_descriptor",
    "validate_external_exports",
]
