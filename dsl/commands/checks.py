"""Roboconf's checks of each instruction (``AbstractCommandInstruction.validate`` and each
``doValidate``), against the simulated application."""

from __future__ import annotations

import re

from rbcc.dsl.commands.context import ComponentInfo
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
from rbcc.dsl.commands.state import Line, State
from rbcc.dsl.commands.syntax import (
    _EXISTING_INDEX,
    _FLAGS,
    _IGNORED_IN_DEFINE,
    _VARIABLE,
    EXISTING_INDEX_PREFIX,
    FORMATTED_TIME_PREFIX,
    INSTANCE_STATUSES,
    MILLI_TIME,
    NANO_TIME,
    RANDOM_UUID,
    SMART_INDEX,
)
from rbcc.dsl.java import is_valid_date_pattern, java_equals_ignore_case
from rbcc.dsl.text import lexical as lx


def validate(instr: Instruction, line: Line, state: State) -> None:
    if not instr.syntax_ok:
        line.error("CMD_INVALID_SYNTAX", instr.range, ("INSTRUCTION", instr.text), note=_SYNTAX_HINTS.get(type(instr)))
    for m in _VARIABLE.finditer(line.text):
        var = m.group(0)
        if not _is_ignored(var, instr, state):
            line.error("CMD_UNRESOLVED_VARIABLE", line.range(m.start(), m.end()), ("VARIABLE", var))
    if line.problems:
        return
    _check(instr, line, state)


def _is_ignored(var: str, instr: Instruction, state: State) -> bool:
    """Only ``define`` accepts generated, query and known variables in its text."""
    if not isinstance(instr, DefineVariable):
        return False
    if var in (MILLI_TIME, NANO_TIME, SMART_INDEX, RANDOM_UUID) or var[2:-1] in state.variables:
        return True
    return any(rx.fullmatch(var) for rx in _IGNORED_IN_DEFINE)


def _check_associate(instr: AssociateTarget, line: Line, state: State) -> None:
    if lx.is_blank(instr.target_id):
        line.error("CMD_INVALID_TARGET_ID", instr.target_range, ("VALUE", instr.target_id or ""))
    component = state.resolve(instr.instance_path)
    if component is None:
        line.error("CMD_NO_MATCHING_INSTANCE", instr.path_range, ("INSTANCE", instr.instance_path))
    elif not _is_target(component, state):
        line.error("CMD_NOT_A_SCOPED_INSTANCE", instr.path_range, note="Its component must use the 'target' installer.")


def _is_target(component: str, state: State) -> bool:
    info = state.ctx.components.get(component)
    installer = info.installer if info is not None else None
    return installer is not None and java_equals_ignore_case("target", installer)


def _check_change(instr: ChangeState, line: Line, state: State) -> None:
    if instr.status is None:
        line.error("CMD_INVALID_INSTANCE_STATUS", instr.status_range, ("VALUE", instr.status_text or ""))
    elif not INSTANCE_STATUSES[instr.status]:
        line.error("CMD_INSTABLE_INSTANCE_STATUS", instr.status_range)
    if not state.exists(instr.instance_path):
        line.error("CMD_NO_MATCHING_INSTANCE", instr.path_range, ("INSTANCE", instr.instance_path))


def _check_bulk(instr: Bulk, line: Line, state: State) -> None:
    if instr.action is None:
        line.error("CMD_UNRECOGNIZED_INSTRUCTION", instr.action_range, ("INSTRUCTION", instr.text))
    if instr.instance_path is not None and not state.exists(instr.instance_path):
        line.error("CMD_NO_MATCHING_INSTANCE", instr.target_range, ("INSTANCE", instr.instance_path))
    if instr.component_name is not None and not state.component_exists(instr.component_name):
        line.error("CMD_INEXISTING_COMPONENT", instr.target_range, ("COMPONENT", instr.component_name))


def _check_email(instr: Email, line: Line, state: State) -> None:
    if lx.is_blank(instr.message):
        line.error("CMD_EMAIL_NO_MESSAGE", instr.with_range)


def _check_define(instr: DefineVariable, line: Line, state: State) -> None:
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


def date_pattern(value: str) -> str | None:
    """``extractDatePattern``: Java drops the last *two* characters (``x)``), then trims.

    ``None`` where Java's ``substring`` would throw (``$(FORMATTED_TIME )``).
    """
    end = len(value) - 2
    if end < len(FORMATTED_TIME_PREFIX):
        return None
    return lx.java_trim(value[len(FORMATTED_TIME_PREFIX) : end])


def _check_date_pattern(instr: DefineVariable, line: Line) -> None:
    pattern = date_pattern(instr.value or "")
    if pattern is not None and "$(" in pattern:
        line.error("CMD_NO_MIX_FOR_PATTERNS", instr.value_range, ("VARIABLE", instr.key or ""))
    elif pattern is None or not is_valid_date_pattern(pattern):
        note = "See java.text.SimpleDateFormat: quote literal letters ('at'), close every quote."
        line.error("CMD_INVALID_DATE_PATTERN", instr.value_range, ("VALUE", pattern or ""), note=note)


def _check_create(instr: CreateInstance, line: Line, state: State) -> None:
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
    if created_path(instr) in state.instances:
        line.error("CMD_CONFLICTING_INSTANCE_NAME", instr.name_range, ("CONFLICTING", created_path(instr)))


def _check_parent(instr: CreateInstance, line: Line, state: State, info: ComponentInfo) -> None:
    if instr.parent_path is None:
        note = f"Add `under /<parent>`; possible parents: {', '.join(info.direct_ancestors)}."
        line.error("CMD_MISSING_PARENT_INSTANCE", instr.component_range, ("COMPONENT", instr.component_name), note=note)
        return
    parent_component = state.resolve(instr.parent_path)
    if parent_component is None:
        line.error("CMD_NO_MATCHING_INSTANCE", instr.parent_range, ("INSTANCE", instr.parent_path))
    elif parent_component not in info.direct_ancestors:
        line.error("CMD_NOT_AN_ACCEPTABLE_PARENT", instr.parent_range, ("COMPONENT", instr.component_name))


def created_path(instr: CreateInstance) -> str:
    return (instr.parent_path or "") + "/" + (instr.instance_name or "")


def _check_new_name(instr: Replicate | Rename, line: Line, details: bool) -> None:
    name = instr.new_name or ""
    if lx.is_blank(name):
        line.error("CMD_MISSING_INSTANCE_NAME", instr.name_range)
    elif not lx.is_flex_id(name):
        line.error("CMD_INVALID_INSTANCE_NAME", instr.name_range, *((("NAME", name),) if details else ()))


def _check_replicate(instr: Replicate, line: Line, state: State) -> None:
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


def _check_rename(instr: Rename, line: Line, state: State) -> None:
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


def _check_write(instr: Write, line: Line, state: State) -> None:
    if lx.is_blank(instr.file_path):
        line.error("CMD_MISSING_TARGET_FILE", instr.file_range)


def _check_execute(instr: Execute, line: Line, state: State) -> None:
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


def _check(instr: Instruction, line: Line, state: State) -> None:
    """The check of the instruction's type (each takes the instruction, its line and the state)."""
    match instr:
        case AssociateTarget():
            _check_associate(instr, line, state)
        case ChangeState():
            _check_change(instr, line, state)
        case Bulk():
            _check_bulk(instr, line, state)
        case Email():
            _check_email(instr, line, state)
        case DefineVariable():
            _check_define(instr, line, state)
        case CreateInstance():
            _check_create(instr, line, state)
        case Replicate():
            _check_replicate(instr, line, state)
        case Rename():
            _check_rename(instr, line, state)
        case Write():  # and Append, its subclass
            _check_write(instr, line, state)
        case Execute():
            _check_execute(instr, line, state)


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
