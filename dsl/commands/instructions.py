"""The instructions of the commands language (dsl.md §13), as dataclasses with source ranges."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar

from rbcc.dsl.text.ranges import SourceRange


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
