"""Roboconf commands (``commands/*.commands``, dsl.md §13): parser and validator.

A port of Roboconf's ``CommandsParser`` and its instruction classes.  Roboconf validates each
instruction against a *simulated* application model (instance path → component name) that the
valid instructions before it update (``create`` adds a path, ``delete`` removes a subtree…), so
the order of the lines matters and this module replays it exactly, Java quirks included.

Unlike Roboconf, which reports a line number only, every problem points at the token it is about
(the instance path, the new name, the ``$(variable)``, the keyword whose argument is missing).
Line continuations, comment removal and ``$(variable)`` substitution are done on a text whose
characters remember their source offsets, so ranges stay exact through all of them.

The application model comes from the caller through the small :class:`CommandsContext` protocol.
"""

from __future__ import annotations

import re
import tempfile
import time
import uuid
from collections.abc import Mapping, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field
from datetime import datetime
from typing import ClassVar, Protocol

from rbcc.dsl.problems import Problem, problem
from rbcc.dsl.text import lexical as lx
from rbcc.dsl.text.ranges import OffsetIndex, SourceRange

# ------------------------------------------------------------------------------------------
# The application model, as the validator needs it
# ------------------------------------------------------------------------------------------


class ComponentInfo(Protocol):
    """What the commands need to know about one component."""

    #: names of the types (components, or facets) that list this component as a child *directly*
    #: (Roboconf's ``Component.getAncestors()``, no inheritance)
    @property
    def direct_ancestors(self) -> Sequence[str]: ...

    #: the installer the component *declares* (``Component.getInstallerName()``): Roboconf's
    #: ``associate`` check ignores installers inherited through ``extends``
    @property
    def installer(self) -> str | None: ...


class CommandsContext(Protocol):
    """The application a commands file is validated against."""

    @property
    def components(self) -> Mapping[str, ComponentInfo]: ...

    #: every instance path (``/vm/server``) → its component name
    @property
    def instances(self) -> Mapping[str, str]: ...

    #: names of the application's commands files, without the ``.commands`` extension
    @property
    def command_names(self) -> AbstractSet[str]: ...

    def read_command(self, name: str) -> str | None:
        """The text of ``commands/<name>.commands``, or ``None`` if it cannot be read."""
        ...


@dataclass(frozen=True, slots=True)
class SimpleComponent:
    """A plain :class:`ComponentInfo` (tests, tools without a full model)."""

    direct_ancestors: tuple[str, ...] = ()
    installer: str | None = None


@dataclass(slots=True)
class SimpleContext:
    """A plain :class:`CommandsContext` backed by dictionaries."""

    components: dict[str, SimpleComponent] = field(default_factory=dict)
    instances: dict[str, str] = field(default_factory=dict)
    command_names: set[str] = field(default_factory=set)
    command_texts: dict[str, str] = field(default_factory=dict)

    def read_command(self, name: str) -> str | None:
        return self.command_texts.get(name)


# ------------------------------------------------------------------------------------------
# Instructions
# ------------------------------------------------------------------------------------------


@dataclass(slots=True, kw_only=True)
class Instruction:
    """One recognised instruction (valid or not).

    ``text`` is the instruction as Roboconf parsed it (continuations joined, comment removed,
    variables substituted); ``range`` covers it in the source; ``keyword_range`` is its leading
    keyword.  ``syntax_ok`` is Roboconf's ``syntaxicallyCorrect``, ``valid`` tells whether
    validation found nothing, ``disabled`` whether it uses an unresolved query variable (it is
    then validated with mock values but must not be executed).
    """

    java_class: ClassVar[str] = "AbstractCommandInstruction"

    text: str
    range: SourceRange
    keyword_range: SourceRange
    syntax_ok: bool = False
    valid: bool = False
    disabled: bool = False


@dataclass(slots=True, kw_only=True)
class AssociateTarget(Instruction):
    """``associate /path with <target id>``: bind a scoped instance to a target."""

    java_class: ClassVar[str] = "AssociateTargetCommandInstruction"
    instance_path: str | None = None
    target_id: str | None = None
    path_range: SourceRange | None = None
    target_range: SourceRange | None = None


@dataclass(slots=True, kw_only=True)
class ChangeState(Instruction):
    """``change status of /path to <status>``; ``status`` is an InstanceStatus name or None."""

    java_class: ClassVar[str] = "ChangeStateCommandInstruction"
    instance_path: str | None = None
    status_text: str | None = None
    status: str | None = None
    path_range: SourceRange | None = None
    status_range: SourceRange | None = None


@dataclass(slots=True, kw_only=True)
class Bulk(Instruction):
    """``<action> /path`` or ``<action> instances of <component>``.

    ``action`` is one of ``DELETE``, ``DEPLOY_AND_START_ALL``, ``STOP_ALL``, ``UNDEPLOY_ALL``.
    """

    java_class: ClassVar[str] = "BulkCommandInstructions"
    action: str | None = None
    instance_path: str | None = None
    component_name: str | None = None
    action_range: SourceRange | None = None
    target_range: SourceRange | None = None


@dataclass(slots=True, kw_only=True)
class Email(Instruction):
    """``email <recipients> with <message>`` (empty recipients = the default ones)."""

    java_class: ClassVar[str] = "EmailCommandInstruction"
    recipients: list[str] = field(default_factory=list)
    message: str | None = None
    with_range: SourceRange | None = None


@dataclass(slots=True, kw_only=True)
class DefineVariable(Instruction):
    """``define <key> = <value> [under /path]``; ``resolved`` is the value after generation."""

    java_class: ClassVar[str] = "DefineVariableCommandInstruction"
    key: str | None = None
    value: str | None = None
    under: str | None = None
    resolved: str | None = None
    key_range: SourceRange | None = None
    value_range: SourceRange | None = None
    under_range: SourceRange | None = None


@dataclass(slots=True, kw_only=True)
class CreateInstance(Instruction):
    """``create <component> as <name> [under /parent]``."""

    java_class: ClassVar[str] = "CreateInstanceCommandInstruction"
    component_name: str | None = None
    instance_name: str | None = None
    parent_path: str | None = None
    component_range: SourceRange | None = None
    name_range: SourceRange | None = None
    parent_range: SourceRange | None = None


@dataclass(slots=True, kw_only=True)
class Replicate(Instruction):
    """``replicate /root as <new name>``: copy a root instance and its subtree."""

    java_class: ClassVar[str] = "ReplicateCommandInstruction"
    instance_path: str | None = None
    new_name: str | None = None
    path_range: SourceRange | None = None
    name_range: SourceRange | None = None


@dataclass(slots=True, kw_only=True)
class Rename(Instruction):
    """``rename /path as <new name>``."""

    java_class: ClassVar[str] = "RenameCommandInstruction"
    instance_path: str | None = None
    new_name: str | None = None
    path_range: SourceRange | None = None
    name_range: SourceRange | None = None


@dataclass(slots=True, kw_only=True)
class Write(Instruction):
    """``write <text> into <file>`` (``%TMP%`` in the file is the temporary directory)."""

    java_class: ClassVar[str] = "WriteCommandInstruction"
    content: str | None = None
    file_path: str | None = None
    file_range: SourceRange | None = None


@dataclass(slots=True, kw_only=True)
class Append(Write):
    """``append <text> into <file>``."""

    java_class: ClassVar[str] = "AppendCommandInstruction"


@dataclass(slots=True, kw_only=True)
class Execute(Instruction):
    """``execute <commands file name>`` (a trailing ``.commands`` is removed)."""

    java_class: ClassVar[str] = "ExecuteCommandInstruction"
    command_name: str | None = None
    name_range: SourceRange | None = None


# ------------------------------------------------------------------------------------------
# Java regex flavour
# ------------------------------------------------------------------------------------------

_D = "[^\n\r\u0085\u2028\u2029]"  # Java's "." without DOTALL
_B = r"(?!(?u:\w))"  # Java's \b after a keyword: JDK 17 treats Unicode letters/digits as word chars
_FLAGS = re.ASCII | re.IGNORECASE  # Java's CASE_INSENSITIVE is ASCII-only

_ASSOCIATE = re.compile(rf"associate\s+(/{_D}*)\s+with{_B}({_D}*)", _FLAGS)
_CHANGE = re.compile(rf"change\s+status\s+of\s+(/{_D}*)\s+to{_B}({_D}*)", _FLAGS)
_BULK_PATH = re.compile(rf"([^/]+)(/{_D}*)", _FLAGS)
_BULK_COMPONENT = re.compile(rf"({_D}+)\s+instances\s+of({_D}+)", _FLAGS)
_EMAIL = re.compile(rf"email\s+({_D}*)\s*with\s+({_D}*)", _FLAGS)
_DEFINE = re.compile(rf"define\s+([^=]*)\s*=\s*({_D}*)", _FLAGS)
_CREATE = re.compile(rf"create\s+({_D}*)\s*as{_B}({_D}*)", _FLAGS)
_REPLICATE = re.compile(rf"replicate\s+(/{_D}*)\s*as{_B}({_D}*)", _FLAGS)
_RENAME = re.compile(rf"rename\s+(/{_D}*)\s*as{_B}({_D}*)", _FLAGS)
_WRITE = re.compile(rf"write\s+({_D}*)\s*into{_B}({_D}*)", _FLAGS)
_APPEND = re.compile(rf"append\s+({_D}*)\s*into{_B}({_D}*)", _FLAGS)
_EXECUTE = re.compile(rf"execute\s+({_D}*)", _FLAGS)
_UNDER = re.compile(rf"({_D}*)\s+under\s+({_D}*)", _FLAGS)

_CONTINUATION = re.compile(r"\\\n\s*", re.ASCII)
_COMMENT = re.compile(rf"#{_D}*")
_VARIABLE = re.compile(r"\$\([^)]*\)")
_SEP = "!@!"

MILLI_TIME = "$(MILLI_TIME)"
NANO_TIME = "$(NANO_TIME)"
RANDOM_UUID = "$(UUID)"
SMART_INDEX = "$(SMART_INDEX)"
FORMATTED_TIME_PREFIX = "$(FORMATTED_TIME "
EXISTING_INDEX_PREFIX = "$(EXISTING_INDEX "
FAKE_COMPONENT = "@fake-component@"
_EXISTING_INDEX = re.compile(rf"({_D}*)\$\(EXISTING_INDEX \s*((MIN)|(MAX))\s*([<>]\s*\d+)?\s*\)({_D}*)", re.ASCII)
_IGNORED_IN_DEFINE = (
    re.compile(r"\$\(FORMATTED_TIME [^)]*\)"),
    re.compile(r"\$\(EXISTING_INDEX [^)]*\)"),
)
_INT_MAX = 2**31 - 1

BULK_ACTIONS = ("DELETE", "DEPLOY_AND_START_ALL", "STOP_ALL", "UNDEPLOY_ALL")
#: Roboconf's InstanceStatus → whether it is stable
INSTANCE_STATUSES = {
    "NOT_DEPLOYED": True,
    "DEPLOYING": False,
    "DEPLOYED_STOPPED": True,
    "UNRESOLVED": True,
    "WAITING_FOR_ANCESTOR": True,
    "STARTING": False,
    "DEPLOYED_STARTED": True,
    "STOPPING": False,
    "UNDEPLOYING": False,
    "PROBLEM": False,
}


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


def _bulk_action(text: str) -> str | None:
    """``ChangeStateInstruction.which``: ``delete``, ``stop all``… also accepted with `` all``."""
    for action in BULK_ACTIONS:
        spoken = action.replace("_", " ").lower()
        if java_equals_ignore_case(spoken, text) or java_equals_ignore_case(spoken + " all", text):
            return action
    return None


def _exact_status(text: str) -> str | None:
    for status in INSTANCE_STATUSES:
        if java_equals_ignore_case(status, text):
            return status
    return None


# ------------------------------------------------------------------------------------------
# SimpleDateFormat patterns
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
# Text with source offsets
# ------------------------------------------------------------------------------------------


class _MText:
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
    def of(cls, text: str) -> _MText:
        return cls(text, list(range(len(text))), list(range(1, len(text) + 1)))

    def slice(self, start: int, end: int) -> _MText:
        return _MText(self.text[start:end], self.starts[start:end], self.ends[start:end])

    def _rebuild(self, matches: list[tuple[int, int]], replacement: str) -> _MText:
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
        return _MText("".join(text), starts, ends)

    def sub_regex(self, rx: re.Pattern[str], replacement: str, count: int = 0) -> _MText:
        """``replaceAll`` / ``replaceFirst`` (``count=1``) with a literal replacement."""
        matches = [(m.start(), m.end()) for m in rx.finditer(self.text)]
        if count:
            matches = matches[:count]
        return self._rebuild(matches, replacement) if matches else self

    def replace(self, old: str, new: str) -> _MText:
        """Java ``String.replace(CharSequence, CharSequence)``: every non-overlapping occurrence."""
        if not old or old not in self.text:
            return self
        matches = []
        pos = self.text.find(old)
        while pos != -1:
            matches.append((pos, pos + len(old)))
            pos = self.text.find(old, pos + len(old))
        return self._rebuild(matches, new)

    def split_lines(self) -> list[_MText]:
        out = []
        pos = 0
        for i, c in enumerate(self.text):
            if c == "\n":
                out.append(self.slice(pos, i))
                pos = i + 1
        out.append(self.slice(pos, len(self.text)))
        return out

    def java_trim(self) -> _MText:
        s, e = lx.java_trim_span(self.text, 0, len(self.text))
        return self.slice(s, e)


class _Locator(OffsetIndex):
    """Source offsets → ranges (lines split on ``\\n``, 1-based code-point columns)."""

    def of(self, t: _MText, start: int, end: int) -> SourceRange:
        """The source range of ``t.text[start:end]`` (an empty span gives an empty range)."""
        if not t.starts:
            return self.span(0, 0)
        if start >= end:
            at = t.starts[start] if start < len(t.starts) else t.ends[-1]
            return self.span(at, at)
        return self.span(t.starts[start], max(t.ends[start:end]))


# ------------------------------------------------------------------------------------------
# Parsing state: Roboconf's Context
# ------------------------------------------------------------------------------------------


@dataclass(slots=True)
class _State:
    """The simulated application and the variables, updated by each valid instruction."""

    ctx: CommandsContext
    name: str | None
    loc: _Locator
    instances: dict[str, str]
    variables: dict[str, str] = field(default_factory=dict)
    disabled: set[str] = field(default_factory=set)

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

    def inject(self, t: _MText) -> _MText:
        for key, value in self.variables.items():
            t = t.replace(f"$({key})", value)
        return t


@dataclass(slots=True)
class _Line:
    """One instruction line being parsed: its text and how to make ranges from it."""

    t: _MText
    loc: _Locator
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

    def error(self, code: str, where: SourceRange, *details: tuple[str, str], note: str | None = None) -> None:
        self.problems.append(problem(code, where, *details, note=note))


# ------------------------------------------------------------------------------------------
# Entry point
# ------------------------------------------------------------------------------------------


def parse_commands(
    text: str, rel: str, name: str | None, ctx: CommandsContext
) -> tuple[list[Instruction], list[Problem]]:
    """Parse and validate a commands file; never raises.

    ``rel`` is the file name put in ranges; ``name`` the file's command name (its file name
    without ``.commands``), used to detect an ``execute`` of itself, or ``None`` for text that
    does not come from a commands file.  Returns every recognised instruction (valid or not) and
    the problems in Roboconf's order (CMD_NO_INSTRUCTION first when nothing was recognised).
    """
    loc = _Locator(text, rel)
    state = _State(
        ctx, name[: -len(".commands")] if name and name.endswith(".commands") else name, loc, dict(ctx.instances)
    )
    instructions: list[Instruction] = []
    problems: list[Problem] = []
    joined = _MText.of(text).sub_regex(_CONTINUATION, _SEP)
    for raw in joined.split_lines():
        piece = raw.java_trim().sub_regex(_COMMENT, "", count=1)
        if not piece.text:
            continue
        line = _Line(piece.replace(_SEP, ""), loc)
        disabled = any(f"$({v})" in line.text for v in state.disabled)
        line.t = state.inject(line.t)
        instr = _recognize(line)
        if instr is None:
            token = _first_token(line.text)
            where = line.range(*token) if line.text else loc.of(piece, 0, len(piece.text))
            problems.append(problem("CMD_UNRECOGNIZED_INSTRUCTION", where, ("INSTRUCTION", line.text)))
            continue
        instr.disabled = disabled
        _validate(instr, line, state)
        instr.valid = not line.problems
        if instr.valid:
            _update(instr, state)
        problems.extend(line.problems)
        instructions.append(instr)
    if not instructions:
        problems.insert(0, problem("CMD_NO_INSTRUCTION", SourceRange.file_start(rel), ("FILE", rel)))
    return instructions, problems


def _first_token(text: str) -> tuple[int, int]:
    start = 0
    while start < len(text) and text[start] <= " ":
        start += 1
    end = start
    while end < len(text) and text[end] > " ":
        end += 1
    return start, end


# ------------------------------------------------------------------------------------------
# Recognition (CommandsParser.parse(line) and the instruction constructors)
# ------------------------------------------------------------------------------------------


def _recognize(line: _Line) -> Instruction | None:
    """The instruction whose (lower-cased) prefix starts the line, in Roboconf's order."""
    lower = line.text.lower()
    for prefix, build in _PREFIXES:
        if lower.startswith(prefix) if prefix else _is_bulk(lower):
            return build(line)
    return None


def _is_bulk(lower: str) -> bool:
    for rx in (_BULK_PATH, _BULK_COMPONENT):
        m = rx.fullmatch(lower)
        if m is not None and _bulk_action(lx.java_trim(m.group(1))) is not None:
            return True
    return False


def _base(cls, line: _Line, keyword: str, m: re.Match[str] | None):
    end = min(len(keyword), len(line.text))
    return cls(
        text=line.text,
        range=line.range(*lx.java_trim_span(line.text, 0, len(line.text))),
        keyword_range=line.range(0, end),
        syntax_ok=m is not None,
    )


def _keyword_before(line: _Line, pos: int, word: str) -> SourceRange:
    """The keyword ``word`` ending at ``pos`` (the regexes put it right before a group)."""
    return line.range(max(0, pos - len(word)), pos)


def _associate(line: _Line) -> Instruction:
    m = _ASSOCIATE.fullmatch(line.text)
    instr = _base(AssociateTarget, line, "associate", m)
    if m:
        instr.instance_path, instr.path_range, _s, _e = line.group(m, 1)
        instr.target_id, instr.target_range, s, e = line.group(m, 2)
        if s == e:
            instr.target_range = _keyword_before(line, m.start(2), "with")
    return instr


def _change(line: _Line) -> Instruction:
    m = _CHANGE.fullmatch(line.text)
    instr = _base(ChangeState, line, "change", m)
    if m:
        status, instr.status_range, s, e = line.group(m, 2)
        if s == e:
            instr.status_range = _keyword_before(line, m.start(2), "to")
        instr.status_text = status.upper().replace(" ", "_").replace("_AND_", "_")
        instr.status = _exact_status(instr.status_text)
        instr.instance_path, instr.path_range, _s, _e = line.group(m, 1)
    return instr


def _bulk(line: _Line) -> Instruction:
    instr = _base(Bulk, line, "", None)
    m = _BULK_PATH.fullmatch(line.text)
    if m is not None:
        instr.instance_path, instr.target_range, _s, _e = line.group(m, 2)
    else:
        m = _BULK_COMPONENT.fullmatch(line.text)
        if m is not None:
            instr.component_name, instr.target_range, _s, _e = line.group(m, 2)
    if m is not None:
        instr.syntax_ok = True
        action, instr.action_range, _s, _e = line.group(m, 1)
        instr.keyword_range = instr.action_range
        instr.action = _bulk_action(action)
    return instr


def _email(line: _Line) -> Instruction:
    m = _EMAIL.fullmatch(line.text)
    instr = _base(Email, line, "email", m)
    if m:
        instr.recipients = [item for item, _s, _e in lx.split_nicely(m.group(1))]
        instr.message = lx.java_trim(m.group(2)).replace("\\n", "\n")
        k = m.start(2)
        while k > 0 and line.text[k - 1] in " \t\n\x0b\f\r":
            k -= 1
        instr.with_range = _keyword_before(line, k, "with")
    return instr


def _define(line: _Line) -> Instruction:
    m = _DEFINE.fullmatch(line.text)
    instr = _base(DefineVariable, line, "define", m)
    if not m:
        return instr
    instr.key, instr.key_range, s, e = line.group(m, 1)
    if s == e:
        eq = line.text.find("=", m.end(1))
        instr.key_range = line.range(eq, eq + 1)
    instr.value, instr.value_range, vs, _ve = line.group(m, 2)
    sub = _UNDER.fullmatch(instr.value)
    if sub is not None:
        instr.value, instr.value_range, _s, _e = line.group(sub, 1, vs)
        instr.under, instr.under_range, _s, _e = line.group(sub, 2, vs)
    return instr


def _create(line: _Line) -> Instruction:
    m = _CREATE.fullmatch(line.text)
    instr = _base(CreateInstance, line, "create", m)
    if not m:
        return instr
    instr.component_name, instr.component_range, s, e = line.group(m, 1)
    if s == e:
        instr.component_range = instr.keyword_range
    instr.instance_name, instr.name_range, base, _e = line.group(m, 2)
    sub = _UNDER.fullmatch(instr.instance_name)
    if sub is not None:
        instr.instance_name, instr.name_range, _s, _e = line.group(sub, 1, base)
        instr.parent_path, instr.parent_range, _s, _e = line.group(sub, 2, base)
    if not instr.instance_name:
        instr.name_range = _keyword_before(line, m.start(2), "as")
    return instr


def _copy_or_rename(cls, keyword: str, rx: re.Pattern[str]):
    def build(line: _Line) -> Instruction:
        m = rx.fullmatch(line.text)
        instr = _base(cls, line, keyword, m)
        if m:
            instr.instance_path, instr.path_range, _s, _e = line.group(m, 1)
            instr.new_name, instr.name_range, s, e = line.group(m, 2)
            if s == e:
                instr.name_range = _keyword_before(line, m.start(2), "as")
        return instr

    return build


def _write(cls, keyword: str, rx: re.Pattern[str]):
    def build(line: _Line) -> Instruction:
        m = rx.fullmatch(line.text)
        instr = _base(cls, line, keyword, m)
        if m:
            instr.content = lx.java_trim(m.group(1))
            path, instr.file_range, s, e = line.group(m, 2)
            instr.file_path = path.replace("%TMP%", _temporary_dir())
            if s == e:
                instr.file_range = _keyword_before(line, m.start(2), "into")
        return instr

    return build


def _temporary_dir() -> str:
    """``WriteCommandInstruction.findTemporaryDir``: the temporary directory, no final slash."""
    tmp = tempfile.gettempdir()
    return tmp.removesuffix("/")


def _execute(line: _Line) -> Instruction:
    m = _EXECUTE.fullmatch(line.text)
    instr = _base(Execute, line, "execute", m)
    if m:
        instr.command_name, instr.name_range, s, e = line.group(m, 1)
        if instr.command_name.endswith(".commands"):
            instr.command_name = instr.command_name[: instr.command_name.rfind(".")]
        if s == e:
            instr.name_range = instr.keyword_range
    return instr


_PREFIXES = (
    ("associate", _associate),
    ("change", _change),
    ("", _bulk),  # bulk instructions are recognised by their whole shape
    ("email", _email),
    ("define", _define),
    ("create", _create),
    ("replicate", _copy_or_rename(Replicate, "replicate", _REPLICATE)),
    ("rename", _copy_or_rename(Rename, "rename", _RENAME)),
    ("write", _write(Write, "write", _WRITE)),
    ("append", _write(Append, "append", _APPEND)),
    ("execute", _execute),
)


# ------------------------------------------------------------------------------------------
# Validation (AbstractCommandInstruction.validate and each doValidate)
# ------------------------------------------------------------------------------------------


def _validate(instr: Instruction, line: _Line, state: _State) -> None:
    if not instr.syntax_ok:
        line.error("CMD_INVALID_SYNTAX", instr.range, ("INSTRUCTION", instr.text), note=_SYNTAX_HINTS.get(type(instr)))
    for m in _VARIABLE.finditer(line.text):
        var = m.group(0)
        if not _is_ignored(var, instr, state):
            line.error("CMD_UNRESOLVED_VARIABLE", line.range(m.start(), m.end()), ("VARIABLE", var))
    if line.problems:
        return
    _CHECKS[type(instr)](instr, line, state)


def _is_ignored(var: str, instr: Instruction, state: _State) -> bool:
    """Only ``define`` accepts generated, query and known variables in its text."""
    if not isinstance(instr, DefineVariable):
        return False
    if var in (MILLI_TIME, NANO_TIME, SMART_INDEX, RANDOM_UUID) or var[2:-1] in state.variables:
        return True
    return any(rx.fullmatch(var) for rx in _IGNORED_IN_DEFINE)


def _check_associate(instr: AssociateTarget, line: _Line, state: _State) -> None:
    if lx.is_blank(instr.target_id):
        line.error("CMD_INVALID_TARGET_ID", instr.target_range, ("VALUE", instr.target_id or ""))
    component = state.resolve(instr.instance_path)
    if component is None:
        line.error("CMD_NO_MATCHING_INSTANCE", instr.path_range, ("INSTANCE", instr.instance_path))
    elif not _is_target(component, state):
        line.error("CMD_NOT_A_SCOPED_INSTANCE", instr.path_range, note="Its component must use the 'target' installer.")


def _is_target(component: str, state: _State) -> bool:
    info = state.ctx.components.get(component)
    installer = info.installer if info is not None else None
    return installer is not None and java_equals_ignore_case("target", installer)


def _check_change(instr: ChangeState, line: _Line, state: _State) -> None:
    if instr.status is None:
        line.error("CMD_INVALID_INSTANCE_STATUS", instr.status_range, ("VALUE", instr.status_text or ""))
    elif not INSTANCE_STATUSES[instr.status]:
        line.error("CMD_INSTABLE_INSTANCE_STATUS", instr.status_range)
    if not state.exists(instr.instance_path):
        line.error("CMD_NO_MATCHING_INSTANCE", instr.path_range, ("INSTANCE", instr.instance_path))


def _check_bulk(instr: Bulk, line: _Line, state: _State) -> None:
    if instr.action is None:
        line.error("CMD_UNRECOGNIZED_INSTRUCTION", instr.action_range, ("INSTRUCTION", instr.text))
    if instr.instance_path is not None and not state.exists(instr.instance_path):
        line.error("CMD_NO_MATCHING_INSTANCE", instr.target_range, ("INSTANCE", instr.instance_path))
    if instr.component_name is not None and not state.component_exists(instr.component_name):
        line.error("CMD_INEXISTING_COMPONENT", instr.target_range, ("COMPONENT", instr.component_name))


def _check_email(instr: Email, line: _Line, state: _State) -> None:
    if lx.is_blank(instr.message):
        line.error("CMD_EMAIL_NO_MESSAGE", instr.with_range)


def _check_define(instr: DefineVariable, line: _Line, state: _State) -> None:
    value = instr.value or ""
    before = len(line.problems)
    if lx.is_blank(instr.key):
        line.error("CMD_EMPTY_VARIABLE_NAME", instr.key_range)
    elif value.startswith(FORMATTED_TIME_PREFIX) and value.endswith(")"):
        _check_date_pattern(instr, line)
    elif FORMATTED_TIME_PREFIX in value:
        line.error("CMD_NO_MIX_FOR_PATTERNS", instr.value_range, ("VARIABLE", value))
    if EXISTING_INDEX_PREFIX in value and _EXISTING_INDEX.fullmatch(value) is None:
        line.error("CMD_INVALID_INDEX_PATTERN", instr.value_range, ("VARIABLE", value))
    if len(line.problems) == before and instr.under is not None and not state.exists(instr.under):
        line.error("CMD_NO_MATCHING_INSTANCE", instr.under_range, ("INSTANCE", instr.under))


def _date_pattern(value: str) -> str | None:
    """``extractDatePattern``: Java drops the last *two* characters (``x)``), then trims.

    ``None`` where Java's ``substring`` would throw (``$(FORMATTED_TIME )``).
    """
    end = len(value) - 2
    if end < len(FORMATTED_TIME_PREFIX):
        return None
    return lx.java_trim(value[len(FORMATTED_TIME_PREFIX) : end])


def _check_date_pattern(instr: DefineVariable, line: _Line) -> None:
    pattern = _date_pattern(instr.value or "")
    if pattern is not None and "$(" in pattern:
        line.error("CMD_NO_MIX_FOR_PATTERNS", instr.value_range, ("VARIABLE", instr.key or ""))
    elif pattern is None or not is_valid_date_pattern(pattern):
        note = "See java.text.SimpleDateFormat: quote literal letters ('at'), close every quote."
        line.error("CMD_INVALID_DATE_PATTERN", instr.value_range, ("VALUE", pattern or ""), note=note)


def _check_create(instr: CreateInstance, line: _Line, state: _State) -> None:
    info = state.ctx.components.get(instr.component_name or "")
    if lx.is_blank(instr.component_name):
        line.error("CMD_MISSING_COMPONENT_NAME", instr.component_range)
    elif info is None:
        line.error("CMD_INEXISTING_COMPONENT", instr.component_range, ("COMPONENT", instr.component_name))
    elif info.direct_ancestors:
        _check_parent(instr, line, state, info)
    elif instr.parent_path is not None:
        line.error("CMD_CANNOT_HAVE_ANY_PARENT", instr.parent_range, ("COMPONENT", instr.component_name))
    name = instr.instance_name or ""
    if lx.is_blank(name):
        line.error("CMD_MISSING_INSTANCE_NAME", instr.name_range)
    elif not lx.is_flex_id(name):
        line.error("CMD_INVALID_INSTANCE_NAME", instr.name_range, ("INSTANCE", name))
    if _created_path(instr) in state.instances:
        line.error("CMD_CONFLICTING_INSTANCE_NAME", instr.name_range, ("CONFLICTING", _created_path(instr)))


def _check_parent(instr: CreateInstance, line: _Line, state: _State, info: ComponentInfo) -> None:
    if instr.parent_path is None:
        note = f"Add `under /<parent>`; possible parents: {', '.join(info.direct_ancestors)}."
        line.error("CMD_MISSING_PARENT_INSTANCE", instr.component_range, ("COMPONENT", instr.component_name), note=note)
        return
    parent_component = state.resolve(instr.parent_path)
    if parent_component is None:
        line.error("CMD_NO_MATCHING_INSTANCE", instr.parent_range, ("INSTANCE", instr.parent_path))
    elif parent_component not in info.direct_ancestors:
        line.error("CMD_NOT_AN_ACCEPTABLE_PARENT", instr.parent_range, ("COMPONENT", instr.component_name))


def _created_path(instr: CreateInstance) -> str:
    return (instr.parent_path or "") + "/" + (instr.instance_name or "")


def _check_new_name(instr: Replicate | Rename, line: _Line, details: bool) -> None:
    name = instr.new_name or ""
    if lx.is_blank(name):
        line.error("CMD_MISSING_INSTANCE_NAME", instr.name_range)
    elif not lx.is_flex_id(name):
        line.error("CMD_INVALID_INSTANCE_NAME", instr.name_range, *((("NAME", name),) if details else ()))


def _check_replicate(instr: Replicate, line: _Line, state: _State) -> None:
    _check_new_name(instr, line, details=False)
    if not state.exists(instr.instance_path):
        line.error("CMD_NO_MATCHING_INSTANCE", instr.path_range, ("INSTANCE", instr.instance_path))
    elif _count_instances(instr.instance_path or "") > 1:
        line.error("CMD_NOT_A_ROOT_INSTANCE", instr.path_range, ("INSTANCE", instr.instance_path))


def _count_instances(path: str) -> int:
    """``InstanceHelpers.countInstances``: ``path.split("/").length - 1`` (Java split)."""
    if "/" not in path:
        return 0
    parts = path.split("/")
    while parts and parts[-1] == "":
        parts.pop()
    return len(parts) - 1


def _check_rename(instr: Rename, line: _Line, state: _State) -> None:
    _check_new_name(instr, line, details=True)
    if not state.exists(instr.instance_path):
        line.error("CMD_NO_MATCHING_INSTANCE", instr.path_range, ("INSTANCE", instr.instance_path))
        return
    sibling = _parent_of(instr.instance_path or "") + "/" + (instr.new_name or "")
    if state.exists(sibling):
        line.error("CMD_CONFLICTING_INSTANCE_NAME", instr.name_range, ("CONFLICTING", sibling))


def _parent_of(path: str) -> str:
    """``path.replaceFirst("/[^/]+$", "")``."""
    return re.sub(r"/[^/]+\Z", "", path, count=1)


def _check_write(instr: Write, line: _Line, state: _State) -> None:
    if lx.is_blank(instr.file_path):
        line.error("CMD_MISSING_TARGET_FILE", instr.file_range)


def _check_execute(instr: Execute, line: _Line, state: _State) -> None:
    name = instr.command_name or ""
    if lx.is_blank(name):
        line.error("CMD_MISSING_COMMAND_NAME", instr.name_range)
    elif state.name is not None and name == state.name:
        line.error("CMD_LOOPING_COMMAND", instr.name_range, ("NAME", name))
    elif name not in state.ctx.command_names:
        line.error("CMD_INEXISTING_COMMAND", instr.name_range, ("NAME", name), note=f"Create commands/{name}.commands.")
    else:
        content = state.ctx.read_command(name)
        if content is not None and re.search(r"execute\s+" + re.escape(name), content, _FLAGS):
            line.error("CMD_NASTY_LOOPING_COMMAND", instr.name_range, ("NAME", name))


_CHECKS = {
    AssociateTarget: _check_associate,
    ChangeState: _check_change,
    Bulk: _check_bulk,
    Email: _check_email,
    DefineVariable: _check_define,
    CreateInstance: _check_create,
    Replicate: _check_replicate,
    Rename: _check_rename,
    Write: _check_write,
    Append: _check_write,
    Execute: _check_execute,
}

_SYNTAX_HINTS = {
    AssociateTarget: "Expected: associate /<scoped instance> with <target id>.",
    ChangeState: "Expected: change status of /<instance> to <status>.",
    Email: "Expected: email <recipients> with <message>.",
    DefineVariable: "Expected: define <name> = <value> [under /<instance>].",
    CreateInstance: "Expected: create <component> as <name> [under /<parent>].",
    Replicate: "Expected: replicate /<root instance> as <new name>.",
    Rename: "Expected: rename /<instance> as <new name>.",
    Write: "Expected: write <text> into <file>.",
    Append: "Expected: append <text> into <file>.",
    Execute: "Expected: execute <commands file name>.",
}


# ------------------------------------------------------------------------------------------
# Simulated model updates (updateContext)
# ------------------------------------------------------------------------------------------


def _update(instr: Instruction, state: _State) -> None:
    if isinstance(instr, DefineVariable):
        _update_define(instr, state)
    elif isinstance(instr, CreateInstance):
        state.instances[_created_path(instr)] = instr.component_name or ""
    elif isinstance(instr, Bulk) and instr.action == "DELETE":
        _update_delete(instr, state)
    elif isinstance(instr, Replicate):
        _update_copy(instr.instance_path or "", instr.new_name or "", state, keep=True)
    elif isinstance(instr, Rename):
        _update_copy(instr.instance_path or "", instr.new_name or "", state, keep=False)


def _update_delete(instr: Bulk, state: _State) -> None:
    if instr.instance_path is not None:
        roots = {instr.instance_path}
    else:
        roots = {p for p, c in state.instances.items() if c == instr.component_name}
    for path in list(state.instances):
        if any(path == r or path.startswith(r + "/") for r in roots):
            del state.instances[path]


def _update_copy(path: str, new_name: str, state: _State, keep: bool) -> None:
    """Replicate (``keep``) or rename a subtree, with Roboconf's path arithmetic.

    Roboconf computes the new path as ``"/" + path.replaceFirst("/[^/]+$", newName)``, which is
    right for root instances only (replicate requires one; rename of a child gives ``//parentx``).
    """
    new_path = "/" + re.sub(r"/[^/]+\Z", lambda _m: new_name, path, count=1)
    moved = {p.replace(path, new_path): c for p, c in state.instances.items() if p == path or p.startswith(path + "/")}
    if not keep:
        for p in [p for p in state.instances if p == path or p.startswith(path + "/")]:
            del state.instances[p]
    state.instances.update(moved)


def _update_define(instr: DefineVariable, state: _State) -> None:
    key = instr.key or ""
    value = _resolve_value(instr.value or "", state, instr.under)
    instr.resolved = value
    if value is not None:
        state.variables[key] = value
        return
    instr.disabled = True
    state.disabled.add(key)
    state.variables[key] = "fake"
    state.instances[(instr.under or "") + "/fake"] = FAKE_COMPONENT


def _resolve_value(value: str, state: _State, parent: str | None) -> str | None:
    """``DefineVariableCommandInstruction.replaceVariables``: generated and query variables.

    Returns ``None`` when an ``$(EXISTING_INDEX …)`` query finds nothing (the variable is then
    disabled and mocked).
    """
    nano = time.monotonic_ns()
    value = value.replace(NANO_TIME, str(nano)).replace(MILLI_TIME, str(nano // 1_000_000))
    value = value.replace(RANDOM_UUID, str(uuid.uuid4()))
    if value.startswith(FORMATTED_TIME_PREFIX) and value.endswith(")"):
        value = format_date(_date_pattern(value) or "")
    if SMART_INDEX in value:
        value = value.replace(SMART_INDEX, str(_smart_index(value, state, parent)))
    m = _EXISTING_INDEX.fullmatch(value) if EXISTING_INDEX_PREFIX in value else None
    if m is not None:
        index = _existing_index(m, state, parent)
        if index < 0:
            return None
        value = m.group(1) + str(index) + m.group(6)
    for k, v in state.variables.items():
        value = value.replace(f"$({k})", v)
    return value


def _smart_index(value: str, state: _State, parent: str | None) -> int:
    cpt = 1
    while state.exists((parent or "") + "/" + value.replace(SMART_INDEX, str(cpt))):
        cpt += 1
    return cpt


def _existing_index(m: re.Match[str], state: _State, parent: str | None) -> int:
    """``findIndex``: indexes of existing paths matching ``[parent]/<prefix>(\\d+)<suffix>``.

    Prefix and suffix are used as regular expressions, as in Roboconf (``find``, unanchored);
    an expression Python cannot compile finds nothing.
    """
    try:
        rx = re.compile((parent or "") + "/" + m.group(1) + r"(\d+)" + m.group(6), re.ASCII)
    except re.error:
        return -1
    found: set[int] = set()
    for path in state.instances:
        hit = rx.search(path)
        if hit is None:
            continue
        try:
            index = int(hit.group(1))
        except (TypeError, ValueError, IndexError):
            continue
        if index <= _INT_MAX:
            found.add(index)
    low, high = 0, _INT_MAX
    if m.group(5) is not None:
        bound = lx.java_trim(m.group(5))
        limit = int(lx.java_trim(bound[1:]))
        if bound[0] == "<":
            high = limit
        else:
            low = limit
    kept = sorted(i for i in found if low < i < high)
    if not kept:
        return -1
    return kept[0] if m.group(2) == "MIN" else kept[-1]


__all__ = [
    "Append",
    "AssociateTarget",
    "Bulk",
    "CommandsContext",
    "ComponentInfo",
    "CreateInstance",
    "DefineVariable",
    "Email",
    "Execute",
    "Instruction",
    "Rename",
    "Replicate",
    "SimpleComponent",
    "SimpleContext",
    "Write",
    "format_date",
    "is_valid_date_pattern",
    "java_equals_ignore_case",
    "parse_commands",
]
