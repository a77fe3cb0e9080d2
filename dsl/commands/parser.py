"""The entry point: :func:`parse_commands` reads, recognises, checks and simulates a commands file."""

from __future__ import annotations

from rbcc.dsl.commands.checks import validate
from rbcc.dsl.commands.context import CommandsContext
from rbcc.dsl.commands.instructions import Instruction
from rbcc.dsl.commands.located_text import LocatedText, Locator
from rbcc.dsl.commands.recognize import recognize
from rbcc.dsl.commands.simulation import update
from rbcc.dsl.commands.state import Line, State
from rbcc.dsl.commands.syntax import COMMENT, CONTINUATION, SEP
from rbcc.dsl.problems import Problem, problem
from rbcc.dsl.text.ranges import SourceRange


def parse_commands(
    text: str, rel: str, name: str | None, ctx: CommandsContext
) -> tuple[list[Instruction], list[Problem]]:
    """Parse and validate a commands file; never raises.

    ``rel`` is the file name put in ranges; ``name`` the file's command name (its file name
    without ``.commands``), used to detect an ``execute`` of itself, or ``None`` for text that
    does not come from a commands file.  Returns every recognised instruction (valid or not) and
    the problems in Roboconf's order (CMD_NO_INSTRUCTION first when nothing was recognised).
    """
    loc = Locator(text, rel)
    state = State(
        ctx, name[: -len(".commands")] if name and name.endswith(".commands") else name, loc, dict(ctx.instances)
    )
    instructions: list[Instruction] = []
    problems: list[Problem] = []
    joined = LocatedText.of(text).sub_regex(CONTINUATION, SEP)
    for raw in joined.split_lines():
        piece = raw.java_trim().sub_regex(COMMENT, "", count=1)
        if not piece.text:
            continue
        line = Line(piece.replace(SEP, ""), loc)
        disabled = any(f"$({v})" in line.text for v in state.disabled)
        line.t = state.inject(line.t)
        instr = recognize(line)
        if instr is None:
            token = _first_token(line.text)
            where = line.range(*token) if line.text else loc.of(piece, 0, len(piece.text))
            problems.append(problem("CMD_UNRECOGNIZED_INSTRUCTION", where, ("INSTRUCTION", line.text)))
            continue
        instr.disabled = disabled
        validate(instr, line, state)
        instr.valid = not line.problems
        if instr.valid:
            update(instr, state)
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
