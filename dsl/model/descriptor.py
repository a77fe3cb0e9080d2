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

import re
from dataclasses import dataclass, field
from pathlib import Path

from rbcc.dsl.java import PropertyEntry, read_properties, read_properties_text
from rbcc.dsl.problems import Problem, problem
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
VERSION_PATTERN = re.compile(rf"([0-9]+)\.([0-9]+)(\.[0-9]+)?([.-]{_JAVA_DOT}+)?", re.ASCII)


# ------------------------------------------------------------------------------------------
# Data
# ------------------------------------------------------------------------------------------


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


def template_exports(desc: Descriptor) -> dict[str, str]:
    """The template's external exports: internal → ``<prefix>.<alias>`` (Java's ``null.`` too)."""
    prefix = desc.exports_prefix if desc.exports_prefix is not None else "null"
    return {k: f"{prefix}.{e.alias}" for k, e in desc.external_exports.items()}


__all__ = [
    "Descriptor",
    "ExternalExport",
    "InvalidExport",
    "PropertyEntry",
    "parse_descriptor",
    "read_descriptor",
    "read_properties",
    "read_properties_text",
    "template_exports",
]
