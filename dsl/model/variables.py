"""Exported and imported variable declarations: Roboconf's ExportedVariablesParser and import items.

Both produce values with the source range of each variable, so that errors, hover and rename
point at the variable itself rather than at its line.
"""

from __future__ import annotations

from dataclasses import dataclass

from rbcc.dsl.problems import Problem, problem
from rbcc.dsl.text import lexical as lx
from rbcc.dsl.text.ranges import SourceRange
from rbcc.dsl.text.syntax import Property


@dataclass(frozen=True, slots=True)
class ExportDecl:
    """One ``exports:`` entry as written: ``name``, ``name = value``, ``random[port] name``."""

    name: str
    value: str | None
    range: SourceRange
    random_kind: str | None = None  # raw kind of a ``random[kind]`` marker

    @property
    def is_random(self) -> bool:
        return self.random_kind is not None


@dataclass(frozen=True, slots=True)
class ImportDecl:
    """One ``imports:`` entry: ``[external ]Prefix.var|Prefix.*[ (optional)]``."""

    name: str
    optional: bool
    external: bool
    range: SourceRange

    @property
    def prefix(self) -> str:
        return self.name.split(".", 1)[0]

    @property
    def is_wildcard(self) -> bool:
        return self.name.endswith(".*")


def _is_ws(c: str) -> bool:
    # Java Character.isWhitespace for the characters that matter here.
    return c in " \t\n\x0b\x0c\r\x1c\x1d\x1e\x1f"


def parse_exports(prop: Property) -> tuple[list[ExportDecl], list[Problem]]:
    """Tokenize an ``exports`` value exactly as Roboconf's ExportedVariablesParser does (§5.3)."""
    value = prop.value
    r = prop.value_range
    base = r.start_column - 1
    line = r.start_line

    def rng(s: int, e: int) -> SourceRange:
        return SourceRange.line_span(r.file, line, base + s, base + e)

    out: list[ExportDecl] = []
    problems: list[Problem] = []
    n = len(value)
    i = 0
    while i < n:
        if _is_ws(value[i]) or value[i] == ",":
            i += 1
        # read a variable
        start = i
        while i < n and value[i] not in ",=":
            i += 1
        ns, ne = lx.java_trim_span(value, start, i)
        name = value[ns:ne]
        if i >= n or value[i] == ",":
            if name == "":
                problems.append(
                    problem(
                        "PM_EMPTY_VARIABLE_NAME",
                        rng(*lx.empty_item_span(value, i)),
                        note="Remove the extra comma or name the variable.",
                    )
                )
            else:
                out.append(_decl(name, None, rng(ns, ne)))
            continue
        i += 1  # skip '='
        vstart = i
        while i < n and value[i] not in ',"':
            i += 1
        if i >= n or value[i] == ",":
            vs, ve = lx.java_trim_span(value, vstart, i)
            v = value[vs:ve]
            out.append(_decl(name, v if v else None, rng(ns, ve if v else ne)))
            continue
        # stopped at a quote
        if lx.java_trim(value[vstart:i]) != "":
            problems.append(
                problem(
                    "PM_INVALID_EXPORT_COMPLEX_VALUE",
                    rng(lx.java_trim_span(value, vstart, i)[0], i + 1),
                    ("VARIABLE", name),
                    note="Quote the whole value.",
                )
            )
            i += 1
            continue
        qstart = i
        close = value.find('"', i + 1)
        if close < 0 and i + 1 == n:
            # Roboconf's tokenizer still holds the opening quote as "last character read" when
            # the value ends right after it, and takes it for the closing one: an empty value.
            out.append(_decl(name, "", rng(ns, n)))
            i = n
            continue
        if close < 0:
            problems.append(
                problem("PM_INVALID_EXPORT_COMPLEX_VALUE", rng(qstart, n), ("VARIABLE", name), note="Close the quote.")
            )
            i = n
            continue
        quoted = value[i + 1 : close]
        i = close + 1
        while i < n and value[i] != "," and _is_ws(value[i]):
            i += 1
        if i < n and value[i] != ",":
            # Roboconf reports it and then reads the rest as new variables, from this character
            te = value.find(",", i)
            te = n if te < 0 else te
            ts, te = lx.java_trim_span(value, i, te)
            problems.append(
                problem(
                    "PM_INVALID_EXPORT_COMPLEX_VALUE",
                    rng(ts, te),
                    ("VARIABLE", name),
                    note="Nothing may follow the closing quote.",
                )
            )
            continue
        out.append(_decl(name, quoted, rng(ns, close + 1)))
        if i < n:
            i += 1  # skip ','
    return out, problems


def _decl(name: str, value: str | None, where: SourceRange) -> ExportDecl:
    m = lx.RANDOM_MARKER.fullmatch(name)
    if m:
        return ExportDecl(lx.java_trim(m.group(2)), value, where, m.group(1))
    return ExportDecl(name, value, where)


def parse_imports(prop: Property) -> list[tuple[str, ImportDecl]]:
    """Split an ``imports`` value into items; returns ``(raw item, decl)`` pairs (§5.4).

    The decl's ``name`` is the item with ``(optional)`` and ``external`` removed and trimmed;
    validity is checked by the parsing-model validator.
    """
    r = prop.value_range
    base = r.start_column - 1
    out: list[tuple[str, ImportDecl]] = []
    for item, s, e in lx.split_nicely(prop.value):
        text = item
        optional = external = False
        if text.lower().endswith("(optional)"):
            text = text[:-10]
            optional = True
        lead = 0
        if text.lower().startswith("external"):
            text = text[8:]
            lead = 8
            external = True
        ts, te = lx.java_trim_span(text, 0, len(text))
        name = text[ts:te]
        where = SourceRange.line_span(r.file, r.start_line, base + s + lead + ts, base + s + lead + te)
        if name == "":
            cs, ce = lx.empty_item_span(prop.value, s) if item == "" else (s, e)
            where = SourceRange.line_span(r.file, r.start_line, base + cs, base + ce)
        out.append((item, ImportDecl(name, optional, external, where)))
    return out
