"""The output side of ``rbcc validate``: problems rendered as compiler text, JSON or SARIF 2.1.0.

Every renderer is a function from problems to one string; none prints, exits or keeps state, so
the CLI decides where the text goes and the tests compare strings.  The only input besides the
problems is the project root: the text form reads the offending source lines from there, and the
JSON and SARIF forms report paths relative to it.  The formats are documented, with their
stability promise, in ``docs/validate-output.md``.

All three forms list problems in the same order (``dsl.problems.sort_key``: file, line, column,
code, message), so that two runs over the same tree produce byte-identical output.
"""

from __future__ import annotations

import hashlib
import json
import os
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path, PurePath
from urllib.parse import quote

from rbcc.dsl import CODES, Level, Problem, Related, SourceRange, Suppressed, sort_key, split_lines

__all__ = ["ProjectMode", "render_json", "render_sarif", "render_text", "summary_counts", "suppressed_text"]


@dataclass(frozen=True)
class ProjectMode:
    """What a project was validated as (``application`` or ``recipe``) and why.

    Every output carries it (JSON: the ``project`` field); the text and SARIF outputs also show it
    as a note when the choice was not plain (``noteworthy``: a project without a descriptor, or
    ``--as``), so that a user who forgot the descriptor of an application is told.
    """

    mode: str
    reason: str
    noteworthy: bool = False

    @property
    def note(self) -> str:
        return f"validated as {'a reusable recipe' if self.mode == 'recipe' else 'an application'}: {self.reason}"


SARIF_SCHEMA_URI = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
"""The ``$schema`` of our SARIF logs: OASIS's own address for the 2.1.0 (errata 01) schema."""

FINGERPRINT_KEY = "rbccProblemHash/v1"
"""Our ``partialFingerprints`` key.  Not ``primaryLocationLineHash``: GitHub reserves that one and
recomputes it from the source; a versioned name of our own lets us change the recipe later."""

_TAB_SIZE = 8  # only used to measure a tab *inside* an underlined range; padding keeps real tabs

# ANSI styles, used only when the caller asks for color.
_RESET = "\x1b[0m"
_BOLD = "\x1b[1m"
_STYLES = {Level.ERROR: "\x1b[1;31m", Level.WARNING: "\x1b[1;33m"}
_NOTE = "\x1b[1;36m"
_CARET = "\x1b[32m"


# -- shared helpers -------------------------------------------------------------------------------


def summary_counts(problems: Iterable[Problem]) -> tuple[int, int]:
    """``(errors, warnings)``: the two numbers every format reports and the exit status depends on."""
    errors = warnings = 0
    for p in problems:
        if p.level is Level.ERROR:
            errors += 1
        else:
            warnings += 1
    return errors, warnings


def _sorted(problems: Iterable[Problem]) -> list[Problem]:
    """One presentation order for all formats, so text, JSON and SARIF list problems alike."""
    return sorted(problems, key=sort_key)


def _relative(file: str, root: Path) -> str:
    """``file`` as a POSIX path relative to ``root``.

    Ranges normally carry root-relative paths already and are kept as they are; an absolute path
    under ``root`` is made relative so that reports do not depend on where the tree was checked out.
    """
    path = PurePath(file)
    if path.is_absolute():
        try:
            return path.relative_to(root).as_posix()
        except ValueError:
            return path.as_posix()
    return path.as_posix()


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


# -- text -----------------------------------------------------------------------------------------


def render_text(
    problems: Sequence[Problem],
    root: Path,
    *,
    color: bool,
    project: ProjectMode | None = None,
    suppressed: Sequence[Suppressed] = (),
) -> str:
    """Compiler-style report: one header per problem, the source line, a caret line, the notes.

    The ``file:line:col: error CODE message`` header is the shape editors and CI log parsers
    already understand (the gcc/clang convention), so users get clickable locations for free.
    Source lines are read from ``root / file``; an unreadable file only loses its snippet, since a
    report about broken input must never fail itself.  ``color`` adds ANSI styles; the caller
    decides (tty, ``NO_COLOR``), which keeps this function free of environment lookups.
    ``suppressed``: what ``--max-problems`` left out, one line per file before the summary.
    """
    sources: dict[str, list[str] | None] = {}  # one read per file per call, no cache across calls
    out: list[str] = []
    if project is not None and project.noteworthy:
        out.append(f"{_BOLD}note:{_RESET} {project.note}" if color else f"note: {project.note}")
    ordered = _sorted(problems)
    for p in ordered:
        out.append(_header(p, root, color))
        if p.range is not None:
            lines = _source_lines(p.range.file, root, sources)
            out.extend(_snippet(p.range, lines, color))
        for rel in p.related:
            out.append(_note(rel, root, color))
        if p.hint:
            out.append(_hint(p.hint, color))
    for s in suppressed:
        out.append(_suppressed_line(s, root))
    out.append(_summary(ordered, root, suppressed))
    return "\n".join(out) + "\n"


def _suppressed_line(s: Suppressed, root: Path) -> str:
    where = _printable(_relative(s.file, root)) if s.file else "rbcc"
    return f"{where}: {suppressed_text(s)}"


def suppressed_text(s: Suppressed) -> str:
    """``2,345 more problems not shown (2,340 errors, 5 warnings)``: the same words in every format."""
    parts = [_plural(n, word) for n, word in ((s.errors, "error"), (s.warnings, "warning")) if n]
    return f"{_plural(s.total, 'more problem')} not shown ({', '.join(parts)}); --max-problems 0 shows all"


def _header(p: Problem, root: Path, color: bool) -> str:
    where = _location(p.range, root) if p.range is not None else "rbcc"
    level = p.level.value
    message = _printable(p.message)
    if color:
        return f"{_BOLD}{where}:{_RESET} {_STYLES[p.level]}{level}{_RESET} {_BOLD}{p.code}{_RESET} {message}"
    return f"{where}: {level} {p.code} {message}"


def _note(rel: Related, root: Path, color: bool) -> str:
    where = _location(rel.range, root)
    message = _printable(rel.message)
    if color:
        return f"  {_BOLD}{where}:{_RESET} {_NOTE}note:{_RESET} {message}"
    return f"  {where}: note: {message}"


def _hint(hint: str, color: bool) -> str:
    text = _printable(hint)
    return f"  {_NOTE}hint:{_RESET} {text}" if color else f"  hint: {text}"


def _location(r: SourceRange, root: Path) -> str:
    return f"{_printable(_relative(r.file, root))}:{r.start_line}:{r.start_column}"


def _summary(problems: Sequence[Problem], root: Path, suppressed: Sequence[Suppressed] = ()) -> str:
    """``2 errors, 1 warning in 3 files``; zero counts are left out, files are primary locations.
    Suppressed problems are counted: the summary states the verdict."""
    errors, warnings = summary_counts(problems)
    errors += sum(s.errors for s in suppressed)
    warnings += sum(s.warnings for s in suppressed)
    if not errors and not warnings:
        return "no problems found"
    parts = [_plural(n, word) for n, word in ((errors, "error"), (warnings, "warning")) if n]
    files = {_relative(p.range.file, root) for p in problems if p.range is not None}
    files |= {_relative(s.file, root) for s in suppressed if s.file}
    text = ", ".join(parts)
    return f"{text} in {_plural(len(files), 'file')}" if files else text


def _source_lines(file: str, root: Path, cache: dict[str, list[str] | None]) -> list[str] | None:
    """The file's lines split as the parser splits them (``\\n`` only, ``\\r`` dropped).

    Splitting the same way as ``dsl.line_parser`` is what makes our columns land on the right
    character; undecodable bytes become U+FFFD rather than an exception.
    """
    if file not in cache:
        try:
            data = (root / file).read_bytes()
        except (OSError, ValueError):  # missing, a directory, no permission, NUL in the name
            cache[file] = None
        else:
            cache[file] = split_lines(data.decode("utf-8", errors="replace"))
    return cache[file]


def _snippet(r: SourceRange, lines: list[str] | None, color: bool) -> list[str]:
    """The source line of ``r`` under a line-number gutter, and the caret line beneath it.

    Both lines share a gutter of the same width, so any tab in the source expands to the same
    column on both as long as the caret line repeats the tabs of the source: its padding copies
    every tab and turns every other character into as many spaces as the terminal gives it.
    """
    if lines is None or not 1 <= r.start_line <= len(lines):
        return []
    line = _printable(lines[r.start_line - 1])
    number = str(r.start_line)
    gutter = f" {number} | "
    blank = f" {' ' * len(number)} | "
    start = max(r.start_column - 1, 0)
    end = r.end_column - 1 if r.end_line == r.start_line else len(line)

    pad: list[str] = []
    col = len(blank)  # visual column, only needed to measure tabs inside the underline
    for ch in line[:start]:
        if ch == "\t":
            pad.append("\t")
            col = (col // _TAB_SIZE + 1) * _TAB_SIZE
        else:
            w = _width(ch)
            pad.append(" " * w)
            col += w
    pad.append(" " * max(start - len(line), 0))  # a range just past the end of the line

    width = 0
    for ch in line[start : max(end, start)]:
        if ch == "\t":
            step = (col // _TAB_SIZE + 1) * _TAB_SIZE - col
        else:
            step = _width(ch)
        width += step
        col += step
    marks = "^" + "~" * (width - 1) if width > 1 else "^"
    if color:
        marks = f"{_CARET}{marks}{_RESET}"
    return [f"{gutter}{line}".rstrip(), f"{blank}{''.join(pad)}{marks}"]


def _width(ch: str) -> int:
    """Terminal columns of one code point: 0 for combining and format marks, 2 for wide ones."""
    if unicodedata.category(ch) in ("Mn", "Me", "Cf"):
        return 0
    return 2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1


def _printable(text: str) -> str:
    """``text`` with control characters (other than tab) shown as U+FFFD.

    Source lines and messages come from user files: printing their escape sequences raw would let
    a file drive the terminal.  One replacement character per code point keeps columns aligned.
    """
    return "".join("\ufffd" if ch != "\t" and (ord(ch) < 0x20 or 0x7F <= ord(ch) < 0xA0) else ch for ch in text)


# -- JSON -----------------------------------------------------------------------------------------


def render_json(
    problems: Sequence[Problem],
    root: Path,
    *,
    project: ProjectMode | None = None,
    suppressed: Sequence[Suppressed] = (),
    max_problems: int | None = None,
) -> str:
    """One JSON object with every problem and the two counts, for scripts and editors.

    The shape is a public contract (``docs/validate-output.md``): fields are only ever added.
    A problem without a range has ``null`` file, line and columns instead of a made-up location.
    ``errors`` and ``warnings`` count what ``--max-problems`` left out too (``suppressed``: per
    file, and ``max_problems``, the cap; present only when something was left out).
    """
    ordered = _sorted(problems)
    errors, warnings = summary_counts(ordered)
    document: dict = {
        "problems": [_json_problem(p, root) for p in ordered],
        "errors": errors + sum(s.errors for s in suppressed),
        "warnings": warnings + sum(s.warnings for s in suppressed),
    }
    if project is not None:
        document["project"] = {"mode": project.mode, "reason": project.reason}
    if suppressed:
        document["suppressed"] = {
            "max_problems": max_problems,
            "total": sum(s.total for s in suppressed),
            "files": [
                {"file": _relative(s.file, root) if s.file else None, "errors": s.errors, "warnings": s.warnings}
                for s in suppressed
            ],
        }
    return json.dumps(document, ensure_ascii=False, indent=2) + "\n"


def _json_problem(p: Problem, root: Path) -> dict:
    return {
        "code": p.code,
        "level": p.level.value,
        **_json_range(p.range, root),
        "message": p.message,
        "hint": p.hint,
        "related": [{**_json_range(rel.range, root), "message": rel.message} for rel in p.related],
    }


def _json_range(r: SourceRange | None, root: Path) -> dict:
    if r is None:
        return dict.fromkeys(("file", "line", "column", "end_line", "end_column"))
    return {
        "file": _relative(r.file, root),
        "line": r.start_line,
        "column": r.start_column,
        "end_line": r.end_line,
        "end_column": r.end_column,
    }


# -- SARIF ----------------------------------------------------------------------------------------


def render_sarif(
    problems: Sequence[Problem],
    root: Path,
    *,
    tool_version: str,
    information_uri: str | None = None,
    srcroot: Path | None = None,
    project: ProjectMode | None = None,
    suppressed: Sequence[Suppressed] = (),
    max_problems: int | None = None,
) -> str:
    """A SARIF 2.1.0 log with one run, for GitHub code scanning and other SARIF viewers.

    Paths are relative URIs against ``SRCROOT`` (declared in ``originalUriBaseIds`` as the file URI
    of ``root``), so the log is the same wherever the tree was checked out and code scanning can
    map it onto the repository.  Columns are code points, as in our ranges, and ``columnKind``
    says so.  ``partialFingerprints`` hash code, file and message but not the line, so an alert
    survives lines being inserted above it; ``information_uri`` becomes ``tool.driver.informationUri``.

    ``srcroot`` is the directory URIs are relative to when it is not ``root`` itself: GitHub
    ignores ``originalUriBaseIds`` and reads every URI as relative to the repository, so an
    application in a subdirectory must be reported with ``srcroot`` = the checkout.  ``root`` must
    lie inside ``srcroot`` (``ValueError`` otherwise: a log with wrong paths is worse than none).

    A problem without a range becomes a tool execution notification, not a result: GitHub rejects
    a whole upload if a single result lacks a location, and such a problem (an unreadable project,
    say) is about the run rather than about a line of code anyway.

    What ``--max-problems`` left out (``suppressed``) is a ``note`` notification per file (on the
    file's artifact) and the run's ``properties`` (``suppressedProblems``, ``maxProblemsPerFile``).
    """
    if srcroot is not None:
        problems = _rebased(problems, root, srcroot)
        suppressed = _rebased_suppressed(suppressed, root, srcroot)
        root = srcroot
    ordered = _sorted(problems)
    codes = sorted({p.code for p in ordered})
    rule_index = {code: i for i, code in enumerate(codes)}
    files = sorted(
        {_relative(r.file, root) for p in ordered for r in _ranges(p)}
        | {_relative(s.file, root) for s in suppressed if s.file}
    )
    artifact_index = {f: i for i, f in enumerate(files)}

    driver: dict = {"name": "rbcc"}
    if information_uri:
        driver["informationUri"] = information_uri
    driver["version"] = tool_version
    driver["rules"] = [_sarif_rule(code, ordered) for code in codes]

    located = [p for p in ordered if p.range is not None]
    unlocated = [p for p in ordered if p.range is None]
    invocation: dict = {"executionSuccessful": not any(p.is_error for p in unlocated)}
    notifications = [_sarif_notification(p, root, rule_index, artifact_index) for p in unlocated]
    if project is not None and project.noteworthy:
        notifications.insert(
            0, {"level": "note", "message": {"text": project.note}, "descriptor": {"id": "rbcc.project-mode"}}
        )
    notifications += [_sarif_suppressed(s, root, artifact_index) for s in suppressed]
    if notifications:
        invocation["toolExecutionNotifications"] = notifications
    run = {
        "tool": {"driver": driver},
        "invocations": [invocation],
        "originalUriBaseIds": {"SRCROOT": {"uri": _root_uri(root)}},
        "artifacts": [{"location": _artifact_location(f, artifact_index)} for f in files],
        "columnKind": "unicodeCodePoints",
        "results": _sarif_results(located, root, rule_index, artifact_index),
    }
    if suppressed:
        run["properties"] = {
            "suppressedProblems": sum(s.total for s in suppressed),
            "maxProblemsPerFile": max_problems,
        }
    log = {"$schema": SARIF_SCHEMA_URI, "version": "2.1.0", "runs": [run]}
    return json.dumps(log, ensure_ascii=False, indent=2) + "\n"


def _ranges(p: Problem) -> list[SourceRange]:
    """Every range a problem mentions: its own and its related locations'."""
    own = [p.range] if p.range is not None else []
    return own + [rel.range for rel in p.related]


def _sarif_rule(code: str, problems: Sequence[Problem]) -> dict:
    """A reportingDescriptor: Roboconf's catalogue text and level, so viewers can describe the rule.

    A code missing from the catalogue (an rbcc-only check) falls back to the first problem's level
    and to the code itself as description, rather than failing the whole report.
    """
    info = CODES.get(code)
    if info is not None:
        text, level = info.message, info.level
    else:
        first = next(p for p in problems if p.code == code)
        text, level = code, first.level
    rule: dict = {
        "id": code,
        "shortDescription": {"text": text},
        "defaultConfiguration": {"level": level.value},
    }
    if info is not None and info.explanation:
        help_md = info.explanation + (f"\n\nExample:\n\n```\n{info.example.rstrip()}\n```" if info.example else "")
        rule["help"] = {"text": info.explanation, "markdown": help_md}
    return rule


def _rebased(problems: Iterable[Problem], root: Path, srcroot: Path) -> list[Problem]:
    """The problems with every path made relative to ``srcroot`` instead of ``root``."""
    prefix = PurePath(os.path.abspath(root)).relative_to(os.path.abspath(srcroot))

    def move(r: SourceRange) -> SourceRange:
        return r.with_file((prefix / _relative(r.file, root)).as_posix())

    return [
        replace(
            p,
            range=move(p.range) if p.range is not None else None,
            related=tuple(Related(move(rel.range), rel.message) for rel in p.related),
        )
        for p in problems
    ]


def _root_uri(root: Path) -> str:
    """``file:`` URI of the root with the trailing slash SARIF requires of a base URI.

    ``abspath`` rather than ``resolve``: ``..`` segments go, but symbolic links are kept as the
    user named them, and the file system is not consulted.
    """
    uri = Path(os.path.abspath(root)).as_uri()
    return uri if uri.endswith("/") else uri + "/"


def _uri(file: str) -> str:
    """A relative URI reference for a POSIX path: spaces, ``:``, ``%`` and non-ASCII escaped."""
    return quote(file, safe="/")


def _artifact_location(file: str, artifact_index: dict[str, int]) -> dict:
    return {"uri": _uri(file), "uriBaseId": "SRCROOT", "index": artifact_index[file]}


def _physical(r: SourceRange, root: Path, artifact_index: dict[str, int]) -> dict:
    return {
        "physicalLocation": {
            "artifactLocation": _artifact_location(_relative(r.file, root), artifact_index),
            "region": {
                "startLine": r.start_line,
                "startColumn": r.start_column,
                "endLine": r.end_line,
                "endColumn": r.end_column,
            },
        }
    }


def _sarif_notification(p: Problem, root: Path, rule_index: dict[str, int], artifact_index: dict[str, int]) -> dict:
    """A problem about the run rather than a place: level, message, rule and any related places."""
    note: dict = {
        "level": p.level.value,
        "message": {"text": p.message},
        "associatedRule": {"id": p.code, "index": rule_index[p.code]},
    }
    if p.related:
        note["locations"] = [
            {**_physical(rel.range, root, artifact_index), "message": {"text": rel.message}} for rel in p.related
        ]
    return note


def _sarif_suppressed(s: Suppressed, root: Path, artifact_index: dict[str, int]) -> dict:
    """A note saying how many problems of one file the cap left out."""
    note: dict = {
        "level": "note",
        "message": {"text": suppressed_text(s)},
        "properties": {"suppressedErrors": s.errors, "suppressedWarnings": s.warnings},
    }
    if s.file:
        file = _relative(s.file, root)
        note["locations"] = [{"physicalLocation": {"artifactLocation": _artifact_location(file, artifact_index)}}]
    return note


def _rebased_suppressed(suppressed: Sequence[Suppressed], root: Path, srcroot: Path) -> list[Suppressed]:
    prefix = PurePath(os.path.abspath(root)).relative_to(os.path.abspath(srcroot))
    return [replace(s, file=(prefix / _relative(s.file, root)).as_posix()) if s.file else s for s in suppressed]


def _sarif_results(
    problems: Sequence[Problem], root: Path, rule_index: dict[str, int], artifact_index: dict[str, int]
) -> list[dict]:
    """One result per located problem (the caller has set the others aside as notifications)."""
    seen: dict[str, int] = {}
    results = []
    for p in problems:
        if p.range is None:
            continue
        file = _relative(p.range.file, root)
        digest = hashlib.sha256(f"{p.code}\0{file}\0{p.message}".encode()).hexdigest()[:32]
        # Identical code, file and message twice in one file (the same name duplicated three
        # times, say) must stay two alerts: number the occurrences, as CodeQL does for its hash.
        seen[digest] = seen.get(digest, 0) + 1
        result: dict = {
            "ruleId": p.code,
            "ruleIndex": rule_index[p.code],
            "level": p.level.value,
            "message": {"text": _sarif_message(p)},
            "locations": [_physical(p.range, root, artifact_index)],
        }
        if p.related:
            result["relatedLocations"] = [
                {"id": i, **_physical(rel.range, root, artifact_index), "message": {"text": rel.message}}
                for i, rel in enumerate(p.related, start=1)
            ]
        result["partialFingerprints"] = {FINGERPRINT_KEY: f"{digest}:{seen[digest]}"}
        if p.hint:
            result["properties"] = {"hint": p.hint}
        results.append(result)
    return results


def _sarif_message(p: Problem) -> str:
    """The message, with links to the related locations when there are any.

    GitHub shows related locations only when the message links them (``[text](id)``).  Once a
    message has links, literal brackets must be escaped (SARIF §3.11.6) or a catalogue text such
    as ``[a-zA-Z_](\\w|-|\\.)*`` would read as a link.
    """
    hint = f" Hint: {p.hint}" if p.hint else ""
    if not p.related:
        return p.message + hint
    links = ", ".join(f"[{_escape_brackets(rel.message)}]({i})" for i, rel in enumerate(p.related, start=1))
    return f"{_escape_brackets(p.message)} See {links}.{_escape_brackets(hint)}"


def _escape_brackets(text: str) -> str:
    return text.replace("\\", "\\\\").replace("[", "\\[").replace("]", "\\]")
