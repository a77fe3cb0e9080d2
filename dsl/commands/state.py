"""The parsing state (Roboconf's ``Context``): defined variables, the simulated instances, the lines."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime

from rbcc.dsl.commands.context import CommandsContext
from rbcc.dsl.commands.located_text import LocatedText, Locator
from rbcc.dsl.commands.syntax import FAKE_COMPONENT
from rbcc.dsl.problems import Problem, problem
from rbcc.dsl.text import lexical as lx
from rbcc.dsl.text.ranges import SourceRange


@dataclass(slots=True)
class Generated:
    """The values Roboconf generates while it reads commands (``$(UUID)``, ``$(NANO_TIME)``,
    ``$(MILLI_TIME)``, ``$(FORMATTED_TIME …)``).

    Validation only needs values of the right shape, and its output must be the same on every
    run (docs/validate-output.md): a counter and a fixed clock, advanced at each use so that two
    generated values still differ.  An executor that needs real ones passes its own.
    """

    #: nanoseconds since the epoch of the first generated time (2001-09-09T01:46:40Z)
    epoch_ns: int = 1_000_000_000 * 1_000_000_000
    uses: int = 0

    def uuid(self) -> str:
        self.uses += 1
        return str(uuid.UUID(int=self.uses, version=4))

    def nano_time(self) -> int:
        self.uses += 1
        return self.epoch_ns + self.uses * 1_000_000

    def now(self) -> datetime:
        return datetime.fromtimestamp(self.nano_time() / 1e9, tz=UTC)


@dataclass(slots=True)
class State:
    """The simulated application and the variables, updated by each valid instruction."""

    ctx: CommandsContext
    name: str | None
    loc: Locator
    instances: dict[str, str]
    variables: dict[str, str] = field(default_factory=dict)
    disabled: set[str] = field(default_factory=set)
    generated: Generated = field(default_factory=Generated)

    def component_exists(self, name: str | None) -> bool:
        return name is not None and name in self.ctx.components

    def resolve(self, path: str | None) -> str | None:
        """``Context.resolveInstance``: the component name of an existing instance, else None."""
        if path is None:
            return None
        component = self.instances.get(path)
        if component is None:
            return None
        instance_name = path.rsplit("/", 1)[-1]
        if lx.is_blank(instance_name):
            return None
        if component != FAKE_COMPONENT and component not in self.ctx.components:
            return None
        return component

    def exists(self, path: str | None) -> bool:
        return self.resolve(path) is not None

    def inject(self, t: LocatedText) -> LocatedText:
        for key, value in self.variables.items():
            t = t.replace(f"$({key})", value)
        return t


@dataclass(slots=True)
class Line:
    """One instruction line being parsed: its text and how to make ranges from it."""

    t: LocatedText
    loc: Locator
    problems: list[Problem] = field(default_factory=list)

    @property
    def text(self) -> str:
        return self.t.text

    def range(self, start: int, end: int) -> SourceRange:
        return self.loc.of(self.t, start, end)

    def group(self, m: re.Match[str], g: int, base: int = 0) -> tuple[str, SourceRange, int, int]:
        """Group ``g`` Java-trimmed, with its range (``base`` = offset of the matched text)."""
        s, e = lx.java_trim_span(self.text, base + m.start(g), base + m.end(g))
        return self.text[s:e], self.range(s, e), s, e

    def error(
        self, code: str, where: SourceRange | None, *details: tuple[str, str | None], note: str | None = None
    ) -> None:
        self.problems.append(problem(code, where, *details, note=note))
