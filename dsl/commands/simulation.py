"""The simulation of the instance tree that valid instructions update (``updateContext``):
``create`` adds a path, ``delete`` removes a subtree, ``replicate`` copies one, ``rename``
moves one.  The validator replays it line by line; the runtime will reuse it."""

from __future__ import annotations

import re

from rbcc.dsl.commands.checks import created_path, date_pattern
from rbcc.dsl.commands.instructions import Bulk, CreateInstance, DefineVariable, Instruction, Rename, Replicate
from rbcc.dsl.commands.state import State
from rbcc.dsl.commands.syntax import (
    _EXISTING_INDEX,
    _INT_MAX,
    EXISTING_INDEX_PREFIX,
    FAKE_COMPONENT,
    FORMATTED_TIME_PREFIX,
    MILLI_TIME,
    NANO_TIME,
    RANDOM_UUID,
    SMART_INDEX,
)
from rbcc.dsl.java import format_date
from rbcc.dsl.text import lexical as lx


def update(instr: Instruction, state: State) -> None:
    if isinstance(instr, DefineVariable):
        _update_define(instr, state)
    elif isinstance(instr, CreateInstance):
        state.instances[created_path(instr)] = instr.component_name or ""
    elif isinstance(instr, Bulk) and instr.action == "DELETE":
        _update_delete(instr, state)
    elif isinstance(instr, Replicate):
        _update_copy(instr.instance_path or "", instr.new_name or "", state, keep=True)
    elif isinstance(instr, Rename):
        _update_copy(instr.instance_path or "", instr.new_name or "", state, keep=False)


def _update_delete(instr: Bulk, state: State) -> None:
    if instr.instance_path is not None:
        roots = {instr.instance_path}
    else:
        roots = {p for p, c in state.instances.items() if c == instr.component_name}
    for path in list(state.instances):
        if any(path == r or path.startswith(r + "/") for r in roots):
            del state.instances[path]


def _update_copy(path: str, new_name: str, state: State, keep: bool) -> None:
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


def _update_define(instr: DefineVariable, state: State) -> None:
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


def _resolve_value(value: str, state: State, parent: str | None) -> str | None:
    """``DefineVariableCommandInstruction.replaceVariables``: generated and query variables.

    Returns ``None`` when an ``$(EXISTING_INDEX …)`` query finds nothing (the variable is then
    disabled and mocked).
    """
    gen = state.generated  # deterministic while validating (State.generated)
    if NANO_TIME in value or MILLI_TIME in value:
        nano = gen.nano_time()
        value = value.replace(NANO_TIME, str(nano)).replace(MILLI_TIME, str(nano // 1_000_000))
    while RANDOM_UUID in value:
        value = value.replace(RANDOM_UUID, gen.uuid(), 1)
    if value.startswith(FORMATTED_TIME_PREFIX) and value.endswith(")"):
        value = format_date(date_pattern(value) or "", gen.now())
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


def _smart_index(value: str, state: State, parent: str | None) -> int:
    cpt = 1
    while state.exists((parent or "") + "/" + value.replace(SMART_INDEX, str(cpt))):
        cpt += 1
    return cpt


def _existing_index(m: re.Match[str], state: State, parent: str | None) -> int:
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
