"""Problems are values: a Roboconf code, its level, a message, a range and related locations.

Nothing in the front end raises on bad input; every layer returns a list of ``Problem``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from rbcc.dsl.catalogue import CODES, Level
from rbcc.dsl.text.ranges import SourceRange


@dataclass(frozen=True, slots=True)
class Related:
    """Another place that explains a problem (the other definition of a duplicate, a cycle end)."""

    range: SourceRange
    message: str


@dataclass(frozen=True, slots=True)
class Problem:
    """One finding of the validator."""

    code: str
    level: Level
    message: str
    range: SourceRange | None
    related: tuple[Related, ...] = ()
    details: tuple[tuple[str, str], ...] = field(default=(), compare=True)
    #: rbcc's advice on what to do about it, kept apart from Roboconf's message.
    hint: str | None = None

    @property
    def is_error(self) -> bool:
        return self.level is Level.ERROR

    @property
    def file(self) -> str | None:
        return self.range.file if self.range else None


def problem(
    code: str,
    where: SourceRange | None,
    *details: tuple[str, str | None],
    related: Iterable[Related] = (),
    note: str | None = None,
) -> Problem:
    """Build a problem with Roboconf's level and message for ``code``.

    ``details`` are Roboconf's kind/value pairs (``("COMPONENT", "Tomcat")``); they are appended
    to the message so that the text says *which* element is wrong, as Roboconf's formatted
    errors do.  ``note`` is rbcc's own hint (what to do about it), kept in :attr:`Problem.hint`
    so that each output shows it in its own way.
    """
    info = CODES[code]
    message = info.message
    if details:
        message += " " + " ".join(f"{_LABELS.get(k, k.title())}: {v}." for k, v in details)
    kept = tuple((k, "None" if v is None else v) for k, v in details)  # as the message prints it
    return Problem(code, info.level, message, where, tuple(related), kept, note or None)


def has_errors(problems: Iterable[Problem]) -> bool:
    """Roboconf's ``containsCriticalErrors``: any problem of level error."""
    return any(p.level is Level.ERROR for p in problems)


def sort_key(p: Problem) -> tuple[str, int, int, str, str]:
    """Stable presentation order: file, then position, then code."""
    r = p.range
    if r is None:
        return ("", 0, 0, p.code, p.message)
    return (r.file, r.start_line, r.start_column, p.code, p.message)


_LABELS = {
    "COMPONENT": "Component",
    "FACET": "Facet",
    "INSTANCE": "Instance",
    "VARIABLE": "Variable",
    "NAME": "Name",
    "FILE": "File",
    "EXPECTED": "Expected",
    "UNEXPECTED": "Unexpected",
    "UNRECOGNIZED": "Unrecognized",
    "CYCLE": "Cycle",
    "CONFLICTING": "Conflicting",
    "ALREADY_DEFINED": "Already defined",
    "DIRECTORY": "Directory",
    "VALUE": "Value",
    "INSTRUCTION": "Instruction",
    "EXCEPTION": "Exception",
}
