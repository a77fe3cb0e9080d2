"""The cap on problems per file: a broken file reports its first mistakes, then how many more.

A file of 10,000 unclosed blocks has 10,000 real errors; printing them all buries the first one,
which is the one to fix.  Compilers cap the flood (javac ``-Xmaxerrs`` 100, clang
``-ferror-limit`` 20); ``rbcc validate --max-problems N`` does the same per file, and the
language server can pass the same limit (``Validator.validate(..., max_problems=N)``).

The verdict never depends on the cap: suppressed problems are counted, by level, in
:class:`Suppressed`, and the counts every output prints include them.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from rbcc.dsl.catalogue import Level
from rbcc.dsl.problems import Problem, sort_key

#: ``rbcc validate``'s default: javac's (``-Xmaxerrs``, Roboconf is a Java tool); enough for every
#: independent mistake of a real file, small enough to keep the first error on screen.
DEFAULT_MAX_PROBLEMS = 100


@dataclass(frozen=True, slots=True)
class Suppressed:
    """Problems of one file left out of a report by the cap (``file`` is "" for unlocated ones)."""

    file: str
    errors: int
    warnings: int

    @property
    def total(self) -> int:
        return self.errors + self.warnings


def limit_per_file(problems: Iterable[Problem], max_per_file: int | None) -> tuple[list[Problem], list[Suppressed]]:
    """At most ``max_per_file`` problems of each file (``None`` or 0: no cap), in ``sort_key`` order.

    Errors are kept before warnings (a cap must never hide what makes the verdict), then the
    earliest in the file; what is left out is counted per file, files in sorted order.
    """
    ordered = sorted(problems, key=sort_key)
    if not max_per_file:
        return ordered, []
    by_file: dict[str, list[Problem]] = {}
    for p in ordered:
        by_file.setdefault(p.range.file if p.range is not None else "", []).append(p)
    kept: list[Problem] = []
    suppressed: list[Suppressed] = []
    for file in sorted(by_file):
        items = by_file[file]
        if len(items) <= max_per_file:
            kept.extend(items)
            continue
        errors = [p for p in items if p.level is Level.ERROR]
        warnings = [p for p in items if p.level is not Level.ERROR]
        shown_errors = errors[:max_per_file]
        shown_warnings = warnings[: max_per_file - len(shown_errors)]
        kept.extend(shown_errors + shown_warnings)
        suppressed.append(Suppressed(file, len(errors) - len(shown_errors), len(warnings) - len(shown_warnings)))
    return sorted(kept, key=sort_key), suppressed


__all__ = ["DEFAULT_MAX_PROBLEMS", "Suppressed", "limit_per_file"]
