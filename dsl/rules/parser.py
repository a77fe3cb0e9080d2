"""Autonomic rules (``rules.autonomic/*.drl``, dsl.md §14): Roboconf's ``RuleParser``.

Roboconf strips comments with three ``replaceAll`` passes and then matches the whole text with
one regular expression.  This module does the same, on a text that remembers the source offset of
each remaining character, so that every problem can point at the place it is about (the ``rule``
keyword, the rule name, the ``when`` or ``then`` keyword) although Roboconf reports line -1.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from rbcc.dsl.problems import Problem, problem
from rbcc.dsl.text import lexical as lx
from rbcc.dsl.text.ranges import OffsetIndex, SourceRange

_JAVA_DOT = "[^\n\r\u0085\u2028\u2029]"  # Java's "." (no DOTALL): anything but a line terminator
_MULTILINE_COMMENT = re.compile(r"(?:/\*(?:[^*]|(?:\*+[^*/]))*\*+/)")
_SINGLE_COMMENT = re.compile(rf"//{_JAVA_DOT}*\r?\n")
_SHARP_COMMENT = re.compile(rf"#{_JAVA_DOT}*\r?\n")
_RULE = re.compile(
    r'^\s*rule\s+"([^"]*)"\s+(.*)when\s+(.+)\s+then\s+(.+)\s+end\s*$',
    re.ASCII | re.IGNORECASE | re.DOTALL,
)
_COMMAND_SEPARATOR = re.compile(r";|\r?\n")
# Java's \b (JDK 17) sees Unicode letters and digits as word characters, unlike its \w.
_SLEEP_PERIOD = re.compile(r"(?<!(?u:\w))sleep period is\s+(\d+)s?", re.ASCII | re.IGNORECASE)
_TIME_WINDOW = re.compile(r"(?<!(?u:\w))time window is\s+(\d+)s?", re.ASCII | re.IGNORECASE)
_OCCURRENCES = re.compile(r"(?<!(?u:\w))occurrences is\s+(\d+)", re.ASCII | re.IGNORECASE)
_INT_MAX = 2**31 - 1

# Diagnosis of RULE_INVALID_SYNTAX: how far the text gets through the rule pattern.
_HEADER = re.compile(r'\s*rule\s+"([^"]*)"\s+', re.ASCII | re.IGNORECASE | re.DOTALL)
_WHEN = re.compile(r"when\s", re.ASCII | re.IGNORECASE)
_THEN = re.compile(r"\sthen\s", re.ASCII | re.IGNORECASE)
_END = re.compile(r"\send\s*$", re.ASCII | re.IGNORECASE)


@dataclass(slots=True)
class Rule:
    """A parsed rule: the event that triggers it and the commands files (names) it runs.

    ``sleep_period`` is the delay between two invocations in seconds (default 0) and
    ``time_window`` the timing window in seconds (-1 = none), as in Roboconf's ``Rule``.
    """

    name: str
    event: str
    commands: list[str] = field(default_factory=list)
    command_ranges: list[SourceRange] = field(default_factory=list)
    sleep_period: int = 0
    time_window: int = -1
    #: ``occurrences is N``: records of the event needed (within the window) before the rule fires.
    #: Documented by Roboconf, ignored by its parser; rbcc's executor and simulator honour it.
    occurrences: int = 1
    range: SourceRange | None = None
    name_range: SourceRange | None = None
    event_range: SourceRange | None = None


class _Mapped:
    """A string whose characters remember their offset in the original text."""

    __slots__ = ("origin", "text")

    def __init__(self, text: str, origin: list[int]) -> None:
        self.text = text
        self.origin = origin

    @classmethod
    def of(cls, text: str) -> _Mapped:
        return cls(text, list(range(len(text))))

    def remove_all(self, rx: re.Pattern[str]) -> _Mapped:
        """``replaceAll(rx, "")``: drop every match, keep the offsets of what remains."""
        parts: list[str] = []
        origin: list[int] = []
        pos = 0
        for m in rx.finditer(self.text):
            parts.append(self.text[pos : m.start()])
            origin.extend(self.origin[pos : m.start()])
            pos = m.end()
        parts.append(self.text[pos:])
        origin.extend(self.origin[pos:])
        return _Mapped("".join(parts), origin)

    def java_trim(self) -> _Mapped:
        s, e = lx.java_trim_span(self.text, 0, len(self.text))
        return _Mapped(self.text[s:e], self.origin[s:e])


class _Locator(OffsetIndex):
    """Offsets of the original text → ranges (lines split on ``\\n``, 1-based columns)."""

    def mapped(self, m: _Mapped, start: int, end: int) -> SourceRange:
        """Range of ``m.text[start:end]`` in the original text (empty spans stay empty)."""
        if not m.origin:
            return self.span(0, 0)
        if start >= end:
            at = m.origin[start] if start < len(m.origin) else m.origin[-1] + 1
            return self.span(at, at)
        return self.span(m.origin[start], m.origin[end - 1] + 1)


def strip_comments(text: str) -> tuple[str, list[int]]:
    """Roboconf's comment removal (``/* */``, then ``//…`` and ``#…`` with their line break).

    Returns the text Roboconf matches (Java-trimmed) and the source offset of each character.
    """
    m = _without_comments(text)
    return m.text, m.origin


def _without_comments(text: str) -> _Mapped:
    m = _Mapped.of(text).remove_all(_MULTILINE_COMMENT).remove_all(_SINGLE_COMMENT).remove_all(_SHARP_COMMENT)
    return m.java_trim()


def parse_rule(text: str, rel: str) -> tuple[Rule | None, list[Problem]]:
    """Parse one ``.drl`` file's text; ``rel`` is the file name put in ranges.  Never raises.

    Returns ``None`` with RULE_INVALID_SYNTAX when the text is not a rule; otherwise the rule and
    RULE_EMPTY_NAME / RULE_EMPTY_WHEN / RULE_EMPTY_THEN in Roboconf's order.
    """
    loc = _Locator(text, rel)
    s = _without_comments(text)
    m = _RULE.fullmatch(s.text)
    if m is None:
        return None, [_invalid_syntax(s, loc)]
    return _build(s, m, loc)


def _build(s: _Mapped, m: re.Match[str], loc: _Locator) -> tuple[Rule | None, list[Problem]]:
    name_s, name_e = lx.java_trim_span(s.text, m.start(1), m.end(1))
    event_s, event_e = lx.java_trim_span(s.text, m.start(3), m.end(3))
    rule = Rule(
        name=s.text[name_s:name_e],
        event=s.text[event_s:event_e],
        range=loc.mapped(s, *_rule_keyword(s.text)),
        name_range=loc.mapped(s, m.start(1) - 1, m.end(1) + 1),
        event_range=loc.mapped(s, event_s, event_e),
    )
    _commands(rule, s, m, loc)
    problems: list[Problem] = []
    _attributes(rule, s, m, loc, problems)
    if lx.is_blank(rule.name):
        problems.append(
            problem("RULE_EMPTY_NAME", rule.name_range, ("FILE", loc.file), note='Name the rule: rule "my-rule".')
        )
    if lx.is_blank(rule.event):
        where = loc.mapped(s, m.end(2), m.end(2) + 4)
        problems.append(
            problem("RULE_EMPTY_WHEN", where, ("FILE", loc.file), note="Name the event that triggers the rule.")
        )
    if not rule.commands:
        where = loc.mapped(s, *_then_keyword(s.text, m))
        problems.append(problem("RULE_EMPTY_THEN", where, ("FILE", loc.file), note="List the commands files to run."))
    return rule, problems


def _commands(rule: Rule, s: _Mapped, m: re.Match[str], loc: _Locator) -> None:
    """Group 4 split on ``;`` or line breaks (``Utils.splitNicelyWithPattern``), blanks dropped."""
    pos = m.start(4)
    end = m.end(4)
    for piece in _pieces(s.text, pos, end):
        ps, pe = lx.java_trim_span(s.text, *piece)
        if ps < pe:
            rule.commands.append(s.text[ps:pe])
            rule.command_ranges.append(loc.mapped(s, ps, pe))


def _pieces(text: str, start: int, end: int) -> list[tuple[int, int]]:
    out: list[tuple[int, int]] = []
    pos = start
    for sep in _COMMAND_SEPARATOR.finditer(text, start, end):
        out.append((pos, sep.start()))
        pos = sep.end()
    out.append((pos, end))
    return out


def _attributes(rule: Rule, s: _Mapped, m: re.Match[str], loc: _Locator, problems: list[Problem]) -> None:
    """``sleep period is N[s]``, ``time window is N[s]`` and ``occurrences is N`` in the attributes part.

    A number beyond Java's ``int`` makes Roboconf's parser throw; it is reported here as
    RULE_INVALID_SYNTAX on the number instead.
    """
    attrs = s.text[m.start(2) : m.end(2)]
    base = m.start(2)
    for rx, attr in ((_TIME_WINDOW, "time_window"), (_SLEEP_PERIOD, "sleep_period"), (_OCCURRENCES, "occurrences")):
        found = rx.search(attrs)
        if found is None:
            continue
        value = int(found.group(1))
        if value > _INT_MAX:
            where = loc.mapped(s, base + found.start(1), base + found.end(1))
            problems.append(
                problem("RULE_INVALID_SYNTAX", where, ("VALUE", found.group(1)), note="The number is too large.")
            )
            continue
        setattr(rule, attr, max(1, value) if attr == "occurrences" else value)


def _rule_keyword(text: str) -> tuple[int, int]:
    """The ``rule`` keyword: the (trimmed) text starts with it whenever the pattern matched."""
    return 0, min(4, len(text))


def _then_keyword(text: str, m: re.Match[str]) -> tuple[int, int]:
    found = re.search(r"then", text[m.end(3) : m.start(4)], re.ASCII | re.IGNORECASE)
    if found is None:
        return m.start(4), m.start(4)
    return m.end(3) + found.start(), m.end(3) + found.end()


def _invalid_syntax(s: _Mapped, loc: _Locator) -> Problem:
    """RULE_INVALID_SYNTAX at the first place where the text stops looking like a rule."""
    text = s.text
    header = _HEADER.match(text)
    if header is None:
        where = loc.mapped(s, *_first_token(text, 0))
        note = 'A rule starts with: rule "name".'
    else:
        when = _WHEN.search(text, header.end())
        then = _THEN.search(text, when.end()) if when else None
        if when is None:
            where = loc.mapped(s, header.start(1) - 1, header.end(1) + 1)
            note = "The 'when' section is missing."
        elif then is None:
            where = loc.mapped(s, when.start(), when.start() + 4)
            note = "The 'then' section is missing."
        elif _END.search(text) is None:
            where = loc.mapped(s, then.start() + 1, then.start() + 5)
            note = "The rule must end with 'end'."
        else:
            where = loc.mapped(s, *_rule_keyword(text))
            note = 'Expected: rule "name" when <event> then <commands> end.'
    return problem("RULE_INVALID_SYNTAX", where, ("FILE", loc.file), note=note)


def _first_token(text: str, start: int) -> tuple[int, int]:
    s = start
    while s < len(text) and text[s] <= " ":
        s += 1
    e = s
    while e < len(text) and text[e] > " ":
        e += 1
    return s, e


__all__ = ["Rule", "parse_rule", "strip_comments"]
