"""``rbcc simulate``: replay an event stream against an application's rules, offline.

Operators tune thresholds and timing options before production: which rule would fire when, which
commands would run, and what the application would look like after each of them.  No agent and no
container: the rules engine of :mod:`.rules`, the commands runner of :mod:`.commands` and an
instance tree that starts as the application's instances, all DEPLOYED_STARTED (a running
application).

The stream is JSON lines, one event each: ``{"time": 12.5, "event": "storm-saturated"}``. ``time`` is
in seconds (from any origin) or an ISO 8601 timestamp; it never goes backwards.  Blank lines are
skipped.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from rbcc.dsl import Application
from rbcc.errors import RbccError
from rbcc.runtime.autonomic.commands import CommandRun, CommandRunner, initial_tree
from rbcc.runtime.autonomic.model import Tree
from rbcc.runtime.autonomic.rules import Decision, RuleEngine


class EventsError(RbccError):
    """The event stream cannot be read: names the file, the line and what to write instead."""


@dataclass(frozen=True, slots=True)
class Event:
    time: float  # seconds since the stream's first event
    name: str
    line: int


@dataclass
class Firing:
    """A rule that fired, the commands it ran, and the application after them."""

    rule: str
    reason: str
    runs: list[CommandRun]
    instances: list[dict[str, str]]


@dataclass
class Step:
    """One event: the rules it fired, and why the rules of that event that did not fire waited."""

    event: Event
    fired: list[Firing] = field(default_factory=list)
    waiting: list[Decision] = field(default_factory=list)


@dataclass
class Simulation:
    application: str
    steps: list[Step]
    final: Tree
    #: events no rule of the application reacts to (likely a typo in a probe or in the stream)
    unknown_events: list[str] = field(default_factory=list)

    @property
    def firings(self) -> int:
        return sum(len(s.fired) for s in self.steps)

    @property
    def failures(self) -> int:
        return sum(1 for s in self.steps for f in s.fired for r in f.runs if r.failed)

    def document(self) -> dict[str, Any]:
        return {
            "application": self.application,
            "events": len(self.steps),
            "firings": self.firings,
            "failures": self.failures,
            "unknown_events": self.unknown_events,
            "steps": [_step_document(s) for s in self.steps],
            "final": {"instances": self.final.document()},
        }


def read_events(path: Path) -> list[Event]:
    """The events of a JSON-lines file, times made relative to the first one."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise EventsError(f"{path}: cannot read the event stream ({exc})") from exc
    raw: list[tuple[float, str, int]] = []
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        where = f"{path}:{number}"
        try:
            doc = json.loads(line)
        except json.JSONDecodeError as exc:
            raise EventsError(f"{where}:{exc.colno}: not JSON ({exc.msg}); write one object per line") from exc
        if not isinstance(doc, dict) or not isinstance(doc.get("event"), str) or not doc["event"].strip():
            raise EventsError(f'{where}:1: each line needs "event": a name, e.g. {{"time": 0, "event": "cpu-high"}}')
        raw.append((_seconds(doc.get("time"), where), doc["event"].strip(), number))
    if not raw:
        raise EventsError(f"{path}: no event (write one JSON object per line)")
    origin = raw[0][0]
    events = []
    previous = origin
    for t, name, number in raw:
        if t < previous:
            raise EventsError(f"{path}:{number}:1: time goes backwards ({t - origin:g}s after {previous - origin:g}s)")
        previous = t
        events.append(Event(t - origin, name, number))
    return events


def _seconds(value: Any, where: str) -> float:
    if isinstance(value, bool) or value is None:
        raise EventsError(f'{where}:1: "time" must be seconds or an ISO 8601 timestamp')
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str):
        try:
            return datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()
        except ValueError:
            pass
    raise EventsError(f'{where}:1: "time" must be seconds or an ISO 8601 timestamp, not {value!r}')


def simulate(app: Application, events: list[Event], max_vms: int | None = None) -> Simulation:
    """Replay ``events`` against the rules and commands of ``app`` (validated, without errors)."""
    tree = initial_tree(app)
    engine = RuleEngine(dict(app.rules))
    runner = CommandRunner(app, tree, max_vms)
    known = {r.event for r in app.rules.values()}
    unknown: list[str] = []
    steps = []
    for event in events:
        step = Step(event)
        if event.name not in known and event.name not in unknown:
            unknown.append(event.name)
        for decision in engine.on_event(event.name, event.time):
            if not decision.fired:
                if decision.event == event.name:
                    step.waiting.append(decision)
                continue
            rule = app.rules[decision.rule]
            runs = []
            for name in rule.commands:
                run = runner.run(name, autonomic=True)
                runs.append(run)
                if run.failed:  # [F] logged; the next commands and rules still run
                    continue
            step.fired.append(Firing(decision.rule, decision.reason, runs, tree.document()))
        steps.append(step)
    return Simulation(app.name or app.root.name, steps, tree, unknown)


def _step_document(s: Step) -> dict[str, Any]:
    return {
        "time": s.event.time,
        "event": s.event.name,
        "fired": [
            {
                "rule": f.rule,
                "reason": f.reason,
                "commands": [
                    {
                        "name": r.name,
                        "result": r.result,
                        "error": r.error,
                        "changes": [c.document() for c in r.changes],
                        "effects": r.effects,
                        "skipped": r.skipped,
                    }
                    for r in f.runs
                ],
                "instances": f.instances,
            }
            for f in s.fired
        ],
        "waiting": [{"rule": d.rule, "reason": d.reason} for d in s.waiting],
    }


def render_text(sim: Simulation) -> str:
    """The simulation for a terminal: one block per event, indented changes, a summary line."""
    out: list[str] = []
    width = max(len(f"{s.event.time:g}") for s in sim.steps) + 1
    for s in sim.steps:
        out.append(f"{s.event.time:>{width - 1}g}s  {s.event.name}")
        pad = " " * (width + 3)
        for d in s.waiting:
            out.append(f"{pad}{d.rule} does not fire: {d.reason}")
        for f in s.fired:
            out.append(f"{pad}{f.rule} fires ({f.reason})")
            for r in f.runs:
                status = r.result if r.error is None else f"{r.result}: {r.error}"
                out.append(f"{pad}  {r.name}: {status}")
                out.extend(f"{pad}    {c.text()}" for c in r.changes)
                out.extend(f"{pad}    {e}" for e in r.effects)
                out.extend(f"{pad}    skipped: {t}" for t in r.skipped)
            out.append(f"{pad}  application: {_summary(f.instances)}")
    for name in sim.unknown_events:
        out.append(f"note: no rule reacts to the event {name!r}")
    out.append(
        f"{len(sim.steps)} event{'s' if len(sim.steps) != 1 else ''}, {sim.firings} firing"
        f"{'s' if sim.firings != 1 else ''}, {sim.failures} failed command{'s' if sim.failures != 1 else ''}; "
        f"finally {_summary(sim.final.document())}"
    )
    return "\n".join(out) + "\n"


def _summary(instances: list[dict[str, str]]) -> str:
    machines = sum(1 for i in instances if i["path"].count("/") == 1)
    states: dict[str, int] = {}
    for i in instances:
        states[i["state"]] = states.get(i["state"], 0) + 1
    detail = ", ".join(f"{n} {state}" for state, n in sorted(states.items()))
    return f"{len(instances)} instances on {machines} machines ({detail})"
