"""Renaming a component or facet so that a valid project stays valid.

Besides every occurrence in graph and instances files (the occurrence index of ``navigation``),
a component's name is written in places the index does not read:

* its recipe folder ``graph/<Name>/`` (and what inherits it through ``extends``: a component
  without a folder of its own uses its super component's), and its probe files
  ``probes/<Name>.measures`` and ``probes/<Name>.measures.properties``: renamed with
  ``RenameFile`` operations when the client supports them, else the user is told what to
  rename by hand;
* the descriptor's external exports (``exports = Name.ip as app-ip``);
* ``${Name.var}`` placeholders in graph and instances files;
* commands files: ``create Name as …`` and ``<action> instances of Name``.

Renaming onto a name that the application declares already, or whose folder or probe files
exist, is refused with a message that says where.  The text scanners are pure functions of
(text, file, name), so they are tested without a server.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from lsprotocol import types as t
from pygls.exceptions import JsonRpcException

from rbcc.dsl import DESCRIPTOR, SourceRange

NAME = re.compile(r"^[A-Za-z_][\w-]*$")
_VAR_CHARS = r"[\w.-]"
_EXPORTS_KEY = re.compile(r"^[ \t\f]*exports[ \t\f]*[=:\s]")
_CREATE = re.compile(r"^\s*create\s+(\S+)\s+as\b", re.IGNORECASE)
_INSTANCES_OF = re.compile(r"^\s*(.+?)\s+instances\s+of\s+(\S+)\s*$", re.IGNORECASE)


class RenameRefused(JsonRpcException):
    """LSP's RequestFailed: the rename is understood but would break the project."""

    CODE = -32803
    MESSAGE = "Rename refused"


def _line_ranges(rel: str, text: str, pattern: re.Pattern[str], group: int = 1) -> list[SourceRange]:
    out = []
    for number, line in enumerate(text.split("\n"), start=1):
        for m in pattern.finditer(line):
            out.append(SourceRange(rel, number, m.start(group) + 1, number, m.end(group) + 1))
    return out


def descriptor_refs(text: str, rel: str, name: str) -> list[SourceRange]:
    """Where ``name`` is the prefix of an exported variable in the descriptor's ``exports``."""
    prefix = re.compile(rf"(?<![\w.$-])({re.escape(name)})\.{_VAR_CHARS}")
    out = []
    lines = text.split("\n")
    inside = False
    for number, line in enumerate(lines, start=1):
        body = line.rstrip("\r")
        if not inside:
            m = _EXPORTS_KEY.match(body)
            if m is None or body.lstrip().startswith(("#", "!")):
                continue
            start = m.end()
        else:
            start = 0
        for hit in prefix.finditer(body, start):
            out.append(SourceRange(rel, number, hit.start(1) + 1, number, hit.end(1) + 1))
        trailing = len(body) - len(body.rstrip("\\"))
        inside = trailing % 2 == 1  # an odd number of backslashes continues the value
    return out


def placeholder_refs(text: str, rel: str, name: str) -> list[SourceRange]:
    """``${Name.var}`` written in a value (an export default, an instance property)."""
    return _line_ranges(rel, text, re.compile(rf"\$\{{({re.escape(name)})\.{_VAR_CHARS}"))


def commands_refs(text: str, rel: str, name: str) -> list[SourceRange]:
    """``create Name as …`` and ``<action> instances of Name`` in a commands file."""
    out = []
    for number, line in enumerate(text.split("\n"), start=1):
        code = line.split("#", 1)[0].rstrip("\r")
        for pattern, group in ((_CREATE, 1), (_INSTANCES_OF, 2)):
            m = pattern.match(code)
            if m is not None and m.group(group) == name:
                out.append(SourceRange(rel, number, m.start(group) + 1, number, m.end(group) + 1))
    return out


def file_moves(root: Path, old: str, new: str) -> list[tuple[Path, Path]]:
    """The folder and files named after component ``old`` that exist, and their new names."""
    candidates = [
        (root / "graph" / old, root / "graph" / new),
        (root / "probes" / f"{old}.measures", root / "probes" / f"{new}.measures"),
        (root / "probes" / f"{old}.measures.properties", root / "probes" / f"{new}.measures.properties"),
    ]
    return [(a, b) for a, b in candidates if a.exists()]


@dataclass
class RenamePlan:
    """What renaming a type changes: text ranges per project-relative file, and file moves."""

    texts: dict[str, list[SourceRange]] = field(default_factory=dict)
    moves: list[tuple[Path, Path]] = field(default_factory=list)

    def add(self, r: SourceRange) -> None:
        ranges = self.texts.setdefault(r.file, [])
        if r not in ranges:
            ranges.append(r)


def refusal(root: Path, old: str, new: str, declared: list[SourceRange], is_component: bool) -> str | None:
    """Why renaming ``old`` to ``new`` must not happen, or ``None``."""
    if not NAME.match(new):
        return f"{new!r} is not a valid component or facet name (letters, digits, '_' and '-')"
    if declared:
        where = declared[0]
        return f"cannot rename {old} to {new}: {new} is already declared ({where.file}:{where.start_line})"
    if is_component:
        for _old, b in file_moves(root, old, new):
            if b.exists():
                return f"cannot rename {old} to {new}: {b.relative_to(root).as_posix()} exists already"
    return None


def plan(
    root: Path, old: str, is_component: bool, occurrences: list[SourceRange], texts: dict[str, str], new: str
) -> RenamePlan:
    """The rename of ``old``: its ``occurrences`` in graph and instances files, plus the
    references found in ``texts`` (project-relative path → text of every file that may hold one)."""
    out = RenamePlan()
    for r in occurrences:
        out.add(r)
    for rel, text in sorted(texts.items()):
        if rel.lower().endswith((".graph", ".instances")):
            found = placeholder_refs(text, rel, old)
        elif rel == DESCRIPTOR:
            found = descriptor_refs(text, rel, old)
        elif rel.lower().endswith(".commands"):
            found = commands_refs(text, rel, old) if is_component else []
        else:
            found = []
        for r in found:
            out.add(r)
    if is_component:
        out.moves = file_moves(root, old, new)
    return out


def other_texts(ls, state) -> dict[str, str]:
    """The descriptor, the commands files, and the graph and instances files of ``state``."""
    out: dict[str, str] = {}
    rels = list(ls.ws.files(state)) + [DESCRIPTOR]
    commands = state.root / "commands"
    if commands.is_dir():
        rels += sorted(p.relative_to(state.root).as_posix() for p in commands.rglob("*.commands") if p.is_file())
    for rel in rels:
        text = ls.ws.text(state.root / rel)
        if text is not None:
            out[rel] = text
    return out


def supports_file_renames(ls) -> bool:
    caps = ls.client_capabilities.workspace
    edit = caps.workspace_edit if caps else None
    return bool(
        edit
        and edit.document_changes
        and edit.resource_operations
        and t.ResourceOperationKind.Rename in edit.resource_operations
    )


def workspace_edit(ls, state, the_plan: RenamePlan, new: str) -> t.WorkspaceEdit:
    """The plan as one ``WorkspaceEdit``: text edits first, then the file renames (when the client
    can apply them; otherwise a message says what to rename by hand)."""
    from rbcc.lsp.convert import path_to_uri

    edits: dict[str, list[t.TextEdit]] = {}
    for rel, ranges in sorted(the_plan.texts.items()):
        path = state.root / rel
        lines = ls.lines(path)
        edits[path_to_uri(path)] = [t.TextEdit(lines.range(r), new) for r in ranges]
    if not the_plan.moves:
        return t.WorkspaceEdit(changes=edits)
    if not supports_file_renames(ls):
        names = ", ".join(
            f"{a.relative_to(state.root).as_posix()} → {b.relative_to(state.root).as_posix()}"
            for a, b in the_plan.moves
        )
        ls.window_show_message(
            t.ShowMessageParams(
                t.MessageType.Warning,
                f"rbcc: this editor cannot rename files through the language server; rename {names} yourself "
                "or the component loses its recipes",
            )
        )
        return t.WorkspaceEdit(changes=edits)
    changes: list = []
    for uri, text_edits in edits.items():
        doc = ls.workspace.text_documents.get(uri)
        changes.append(
            t.TextDocumentEdit(
                text_document=t.OptionalVersionedTextDocumentIdentifier(uri=uri, version=doc.version if doc else None),
                edits=text_edits,
            )
        )
    for a, b in the_plan.moves:
        changes.append(t.RenameFile(old_uri=path_to_uri(a), new_uri=path_to_uri(b)))
    return t.WorkspaceEdit(document_changes=changes)
