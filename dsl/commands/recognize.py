"""Recognition of each line (``CommandsParser.parse(line)`` and the instruction constructors)."""

from __future__ import annotations

import re
import tempfile
from collections.abc import Callable
from typing import TypeVar

from rbcc.dsl.commands.instructions import (
    Append,
    AssociateTarget,
    Bulk,
    ChangeState,
    CreateInstance,
    DefineVariable,
    Email,
    Execute,
    Instruction,
    Rename,
    Replicate,
    Write,
)
from rbcc.dsl.commands.state import Line
from rbcc.dsl.commands.syntax import (
    _APPEND,
    _ASSOCIATE,
    _BULK_COMPONENT,
    _BULK_PATH,
    _CHANGE,
    _CREATE,
    _DEFINE,
    _EMAIL,
    _EXECUTE,
    _RENAME,
    _REPLICATE,
    _UNDER,
    _WRITE,
    _bulk_action,
    _exact_status,
)
from rbcc.dsl.text import lexical as lx
from rbcc.dsl.text.ranges import SourceRange

_I = TypeVar("_I", bound=Instruction)
#: builds the instruction of a line whose prefix was recognised
_Builder = Callable[[Line], Instruction]


def recognize(line: Line) -> Instruction | None:
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


def _base(cls: type[_I], line: Line, keyword: str, m: re.Match[str] | None) -> _I:
    end = min(len(keyword), len(line.text))
    return cls(
        text=line.text,
        range=line.range(*lx.java_trim_span(line.text, 0, len(line.text))),
        keyword_range=line.range(0, end),
        syntax_ok=m is not None,
    )


def _keyword_before(line: Line, pos: int, word: str) -> SourceRange:
    """The keyword ``word`` ending at ``pos`` (the regexes put it right before a group)."""
    return line.range(max(0, pos - len(word)), pos)


def _associate(line: Line) -> Instruction:
    m = _ASSOCIATE.fullmatch(line.text)
    instr = _base(AssociateTarget, line, "associate", m)
    if m:
        instr.instance_path, instr.path_range, _s, _e = line.group(m, 1)
        instr.target_id, instr.target_range, s, e = line.group(m, 2)
        if s == e:
            instr.target_range = _keyword_before(line, m.start(2), "with")
    return instr


def _change(line: Line) -> Instruction:
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


def _bulk(line: Line) -> Instruction:
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


def _email(line: Line) -> Instruction:
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


def _define(line: Line) -> Instruction:
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


def _create(line: Line) -> Instruction:
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


def _copy_or_rename(cls: type[Replicate | Rename], keyword: str, rx: re.Pattern[str]) -> _Builder:
    def build(line: Line) -> Instruction:
        m = rx.fullmatch(line.text)
        instr = _base(cls, line, keyword, m)
        if m:
            instr.instance_path, instr.path_range, _s, _e = line.group(m, 1)
            instr.new_name, instr.name_range, s, e = line.group(m, 2)
            if s == e:
                instr.name_range = _keyword_before(line, m.start(2), "as")
        return instr

    return build


def _write(cls: type[Write], keyword: str, rx: re.Pattern[str]) -> _Builder:
    def build(line: Line) -> Instruction:
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


def _execute(line: Line) -> Instruction:
    m = _EXECUTE.fullmatch(line.text)
    instr = _base(Execute, line, "execute", m)
    if m:
        instr.command_name, instr.name_range, s, e = line.group(m, 1)
        if instr.command_name.endswith(".commands"):
            instr.command_name = instr.command_name[: instr.command_name.rfind(".")]
        if s == e:
            instr.name_range = instr.keyword_range
    return instr


_PREFIXES: tuple[tuple[str, _Builder], ...] = (
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
