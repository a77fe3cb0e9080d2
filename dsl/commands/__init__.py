"""Roboconf commands (``commands/*.commands``, dsl.md §13): the language, its checks, and the simulation.

A port of Roboconf's ``CommandsParser`` and its instruction classes.  Roboconf validates each
instruction against a *simulated* application model (instance path → component name) that the
valid instructions before it update (``create`` adds a path, ``delete`` removes a subtree…), so
the order of the lines matters and this package replays it exactly, Java quirks included.

Unlike Roboconf, which reports a line number only, every problem points at the token it is about
(the instance path, the new name, the ``$(variable)``, the keyword whose argument is missing).

Modules: :mod:`~rbcc.dsl.commands.instructions` (what a line means), :mod:`.syntax` (keywords and
patterns), :mod:`.located_text` (text that remembers offsets), :mod:`.state` (Roboconf's parsing
context), :mod:`.recognize`, :mod:`.checks`, :mod:`.simulation` (the instance tree the valid
instructions change) and :mod:`.parser` (the entry point).  The application model comes from the
caller through the small :class:`~rbcc.dsl.commands.context.CommandsContext` protocol.
"""

from __future__ import annotations

from rbcc.dsl.commands.context import CommandsContext, ComponentInfo, SimpleComponent, SimpleContext
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
from rbcc.dsl.commands.parser import parse_commands

__all__ = [
    "Append",
    "AssociateTarget",
    "Bulk",
    "ChangeState",
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
    "parse_commands",
]
