"""Which autonomic rules fire on an event (runtime.md §6.2).

Roboconf's deployment manager, on each ``Autonomic`` message of an application, records the time of
its event and then looks at *every* rule of the application, skipping a rule that

* ran less than its ``sleep period`` ago;
* has an event that was never recorded;
* was already fired by this very record (a trigger is an event and the time it was recorded);
* has a ``time window`` and a record older than it.

The remaining rules fire, in name order.  rbcc adds ``occurrences is N`` (documented by Roboconf,
never implemented): the rule also needs N records of its event within its window (ever, without a
window) before it fires.  Events are application-wide.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC

from rbcc.dsl.rules.parser import Rule


@dataclass(frozen=True, slots=True)
class Decision:
    """What one rule did on one event: ``fired``, or why not (``reason``)."""

    rule: str
    event: str
    fired: bool
    reason: str


@dataclass
class RuleEngine:
    """The timing state of an application's rules; :meth:`on_event` is one ``Autonomic`` message."""

    rules: dict[str, Rule]
    #: event → times it was recorded (only as many as the largest ``occurrences`` needs)
    records: dict[str, deque[float]] = field(default_factory=dict)
    #: rule name → (event, record time) of its last firing, and when it fired
    triggers: dict[str, tuple[str, float]] = field(default_factory=dict)
    fired_at: dict[str, float] = field(default_factory=dict)

    def on_event(self, event: str, now: float) -> list[Decision]:
        """Record ``event`` at ``now`` (seconds) and decide every rule, in name order."""
        keep = max((r.occurrences for r in self.rules.values() if r.event == event), default=1)
        self.records.setdefault(event, deque(maxlen=max(1, keep))).append(now)
        return [self._decide(name, rule, event, now) for name, rule in sorted(self.rules.items())]

    def _decide(self, name: str, rule: Rule, event: str, now: float) -> Decision:
        def no(reason: str) -> Decision:
            return Decision(name, rule.event, False, reason)

        last = self.fired_at.get(name)
        if last is not None and now - last < rule.sleep_period:
            return no(f"fired {_seconds(now - last)} ago, sleep period is {rule.sleep_period}s")
        records = self.records.get(rule.event)
        if not records:
            return no(f"{rule.event} never happened")
        recorded = records[-1]
        if self.triggers.get(name) == (rule.event, recorded):
            return no(f"already fired for the {rule.event} of {_at(recorded)}")
        if rule.time_window >= 0 and now - recorded > rule.time_window:
            return no(f"the last {rule.event} is older than its {rule.time_window}s time window")
        if rule.occurrences > 1:
            recent = _within(records, now, rule.time_window)
            if recent < rule.occurrences:
                where = f" within {rule.time_window}s" if rule.time_window >= 0 else ""
                return no(f"{recent} of {rule.occurrences} occurrences of {rule.event}{where}")
        self.triggers[name] = (rule.event, recorded)
        self.fired_at[name] = now
        return Decision(name, rule.event, True, f"{rule.event} at {_at(recorded)}")


def _within(records: Iterable[float], now: float, window: int) -> int:
    return sum(1 for t in records if window < 0 or now - t <= window)


def _seconds(value: float) -> str:
    return f"{value:g}s"


def _at(value: float) -> str:
    """A record time: seconds of a stream (``rbcc simulate``), or a wall-clock time (the executor)."""
    if value >= 1e9:
        from datetime import datetime

        return datetime.fromtimestamp(value, UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")[:-4] + "Z"
    return _seconds(value)
