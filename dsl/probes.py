"""Probe files (``probes/<Component>.measures``, runtime.md §6.1, dsl.md §15) and rbcc's checks of them.

Roboconf's core never validates these files: its agent reads them every 20 seconds and skips what it
does not understand, so a typo in a probe is an autonomic rule that silently never fires.  rbcc reads
them as the agent does (lines trimmed, blank and ``#`` lines skipped, ``{{ key }}`` filled from
``<Component>.measures.properties``, sections opened by ``[EVENT <handler> <event>]``) and reports,
with ``PRB_*`` codes, what the agent would skip or get wrong.  The executor evaluates the parsed
measures (:mod:`rbcc.runtime.autonomic.probes`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from rbcc.dsl.java import read_properties_text
from rbcc.dsl.model.elements import Graph
from rbcc.dsl.problems import Problem, problem
from rbcc.dsl.text.ranges import SourceRange

PROBES_DIR = "probes"
MEASURES = ".measures"
HANDLERS = ("file", "rest", "docker")
UNSUPPORTED = {"nagios": "it queries a Nagios LiveStatus server, which rbcc does not talk to"}

_SECTION = re.compile(r"\[event\s+(\S+)\s+(\S+)\s*\]", re.IGNORECASE)
_TAG = re.compile(r"\{\{\s*(\S+?)\s*\}\}")
REST_CHECK = re.compile(r"check\s+(\S+)\s+that\s+(\S+)\s*(==|=|<=|>=|<|>)\s*(.*)", re.IGNORECASE)
FILE_CHECK = re.compile(r"(delete if exists|notify if not exists)\s+(.+)", re.IGNORECASE)


@dataclass(slots=True)
class Measure:
    """One ``[EVENT handler event]`` section: what the agent checks, and the event it sends."""

    component: str
    handler: str  # lower case
    event: str
    body: list[str] = field(default_factory=list)  # lines, placeholders filled
    range: SourceRange | None = None  # the header
    body_ranges: list[SourceRange] = field(default_factory=list)


def parse_measures(
    text: str, rel: str, component: str, properties: dict[str, str]
) -> tuple[list[Measure], list[Problem]]:
    """The sections of a measures file, and the problems of its text (never raises)."""
    measures: list[Measure] = []
    problems: list[Problem] = []
    current: Measure | None = None
    broken = False  # under a header that is not one: its lines are that header's problem, not theirs
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        start = raw.index(line[0]) + 1
        where = SourceRange(rel, number, start, number, start + len(line))
        filled = _fill(line, properties, where, problems)
        if filled.lower().startswith("[event"):
            m = _SECTION.fullmatch(filled)
            if m is None:
                problems.append(
                    problem(
                        "PRB_INVALID_SECTION", where, ("LINE", line), note="Write `[EVENT <handler> <event name>]`."
                    )
                )
                current, broken = None, True
                continue
            broken = False
            current = Measure(component, m.group(1).lower(), m.group(2), range=where)
            measures.append(current)
            continue
        if current is None:
            if not broken:
                problems.append(problem("PRB_OUTSIDE_SECTION", where, ("LINE", line)))
            continue
        current.body.append(filled)
        current.body_ranges.append(where)
    for measure in measures:
        problems.extend(check_measure(measure))
    return measures, problems


def _fill(line: str, properties: dict[str, str], where: SourceRange, problems: list[Problem]) -> str:
    def value(m: re.Match[str]) -> str:
        key = m.group(1)
        if key in properties:
            return properties[key]
        problems.append(problem("PRB_UNKNOWN_PROPERTY", where, ("KEY", key)))
        return m.group(0)

    return _TAG.sub(value, line)


def check_measure(m: Measure) -> list[Problem]:
    """What the agent would skip or misread in one section."""
    if m.handler in UNSUPPORTED:
        return [
            problem(
                "PRB_UNSUPPORTED_HANDLER",
                m.range,
                ("HANDLER", m.handler),
                note=f"Not supported: {UNSUPPORTED[m.handler]}.",
            )
        ]
    if m.handler not in HANDLERS:
        return [
            problem("PRB_UNKNOWN_HANDLER", m.range, ("HANDLER", m.handler), note=f"Use one of {', '.join(HANDLERS)}.")
        ]
    if m.handler == "docker":
        if len(m.body) > 1:
            return [_invalid(m, 1, "one container name, or nothing for the instance's own container")]
        return []
    if len(m.body) != 1:
        what = "`Check <url> THAT <key> <op> <value>`" if m.handler == "rest" else "a path"
        if not m.body:
            return [problem("PRB_INVALID_CHECK", m.range, ("HANDLER", m.handler), note=f"Add {what} after the header.")]
        return [_invalid(m, 1, f"a single line: {what}")]
    if m.handler == "rest" and "{{" not in m.body[0] and REST_CHECK.fullmatch(m.body[0]) is None:
        # (a placeholder left unfilled is already PRB_UNKNOWN_PROPERTY)
        return [_invalid(m, 0, "`Check <url> THAT <key> <op> <value>`, with op one of ==, =, <, >, <=, >=")]
    return []


def _invalid(m: Measure, index: int, expected: str) -> Problem:
    return problem("PRB_INVALID_CHECK", m.body_ranges[index], ("HANDLER", m.handler), note=f"Write {expected}.")


def load_probes(root: Path, graph: Graph | None) -> tuple[dict[str, list[Measure]], list[Problem]]:
    """Every ``probes/<Component>.measures`` of a project: component → its measures, and the problems."""
    directory = root / PROBES_DIR
    out: dict[str, list[Measure]] = {}
    problems: list[Problem] = []
    if not directory.is_dir():
        return out, problems
    for path in sorted(directory.iterdir()):
        if not path.is_file() or not path.name.endswith(MEASURES):
            continue
        component = path.name[: -len(MEASURES)]
        rel = f"{PROBES_DIR}/{path.name}"
        try:
            text = path.read_bytes().decode("utf-8", errors="replace")
        except OSError as exc:
            problems.append(problem("PRB_UNREADABLE", SourceRange.file_start(rel), ("EXCEPTION", str(exc))))
            continue
        if graph is not None and component not in graph.components:
            problems.append(problem("PRB_UNKNOWN_COMPONENT", SourceRange.file_start(rel), ("COMPONENT", component)))
        properties: dict[str, str] = {}
        props_path = directory / f"{path.name}.properties"
        if props_path.is_file():
            try:
                properties = read_properties_text(props_path.read_bytes())
            except (OSError, ValueError):
                properties = {}
        measures, found = parse_measures(text, rel, component, properties)
        out[component] = measures
        problems.extend(found)
    return out, problems
