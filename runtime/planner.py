"""``rbcc plan``: what ``deploy`` would do against the recorded state, each step with its reason.

``deploy`` wants every instance of the plan DEPLOYED_STARTED and every recorded instance the plan
no longer has gone.  Per instance: create (new), deploy and start, start, retry (PROBLEM), remove;
and the ``update`` recipes that will run on started consumers because an export they import
changes.  Reasons come from the plan's waits ("waits for /vm/db: it imports db.ip (mandatory)").
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from rbcc.runtime.plan import Plan, PlanInstance
from rbcc.runtime.states import State
from rbcc.runtime.store import InstanceRecord


@dataclass(frozen=True)
class Change:
    path: str
    action: str  # create | deploy | start | retry | update | remove
    steps: tuple[str, ...]
    reasons: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {"path": self.path, "action": self.action, "steps": list(self.steps), "reasons": list(self.reasons)}


@dataclass
class DeployPlan:
    changes: list[Change] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)

    @property
    def pending(self) -> bool:
        return bool(self.changes)

    def to_json(self) -> dict[str, Any]:
        return {"changes": [c.to_json() for c in self.changes], "unchanged": self.unchanged}


def _waits(inst: PlanInstance, steps: tuple[str, ...], bindings: dict[str, list[str]] | None = None) -> tuple[str, ...]:
    out = []
    for step in steps:
        planned = inst.steps.get(step)
        for wait in planned.waits if planned else ():
            who = wait["for"][0] if len(wait["for"]) == 1 else "one of " + ", ".join(wait["for"])
            out.append(f"{step} waits for {who}: {wait['reason']}")
    if "start" in steps:
        for prefix, spec in inst.external_imports.items():
            if spec.optional:
                continue
            bound = (bindings or {}).get(prefix)
            where = f"bound to {', '.join(bound)}" if bound else f"not bound (rbcc bind APP {prefix} APPLICATION)"
            out.append(f"start waits for another application: it imports external {', '.join(spec.names)}, {where}")
    return tuple(out)


def _comparable(exports: dict[str, str | None], random: tuple[str, ...]) -> dict[str, str | None]:
    """Exports without the random ports the plan leaves to the deployment."""
    return {k: v for k, v in exports.items() if not (k in random and v is None)}


def plan_changes(plan: Plan, records: list[InstanceRecord], bindings: dict[str, list[str]] | None = None) -> DeployPlan:
    """The changes ``deploy`` of ``plan`` makes, in the plan's order (removals last); ``bindings``:
    the recorded ones of the external import prefixes (runtime.md §3.5)."""
    recorded = {r.path: r for r in records if not r.model.get("removed")}
    gone = {r.path for r in records if r.model.get("removed")}
    out = DeployPlan()
    changed_exporters: dict[str, set[str]] = {}
    for inst in plan.instances:
        rec = recorded.get(inst.path)
        if rec is None or inst.path in gone:
            steps = () if inst.scoped else ("deploy", "start")
            out.changes.append(Change(inst.path, "create", steps, ("new in the plan",) + _waits(inst, steps, bindings)))
            continue
        state = State(rec.state)
        old = _comparable(rec.model.get("exports", {}), inst.random_ports)
        new_random = tuple(inst.random_ports)
        new = {k: v for k, v in inst.exports.items() if not (k in new_random and v is None)}
        diff = sorted(k for k in set(old) | set(new) if old.get(k) != new.get(k) and k in new)
        if diff and state is State.DEPLOYED_STARTED:
            for k in diff:
                changed_exporters.setdefault(k.split(".", 1)[0], set()).add(inst.path)
        if state is State.DEPLOYED_STARTED:
            out.unchanged.append(inst.path)
        elif inst.scoped:
            out.changes.append(Change(inst.path, "create", (), (f"machine is {state.value}",)))
        elif state is State.NOT_DEPLOYED:
            steps = ("deploy", "start")
            out.changes.append(
                Change(inst.path, "deploy", steps, ("recorded NOT_DEPLOYED",) + _waits(inst, steps, bindings))
            )
        elif state is State.PROBLEM:
            why = rec.last_problem if isinstance(rec.last_problem, str) else "a step failed"
            if isinstance(rec.last_problem, dict):
                why = f"{rec.last_problem.get('step')} failed ({rec.last_problem.get('reason')})"
            out.changes.append(
                Change(inst.path, "retry", ("start",), (f"PROBLEM: {why}",) + _waits(inst, ("start",), bindings))
            )
        else:
            out.changes.append(
                Change(
                    inst.path, "start", ("start",), (f"recorded {state.value}",) + _waits(inst, ("start",), bindings)
                )
            )
    for inst in plan.instances:
        rec = recorded.get(inst.path)
        if rec is None or State(rec.state) is not State.DEPLOYED_STARTED:
            continue
        reasons = []
        for prefix, spec in inst.imports.items():
            for exporter in sorted(changed_exporters.get(prefix, ())):
                if exporter in spec.exporters and exporter != inst.path:
                    reasons.append(f"imports {', '.join(spec.names)} from {exporter}, whose exports change")
        if reasons:
            out.changes.append(Change(inst.path, "update", ("update",), tuple(reasons)))
    for path, rec in recorded.items():
        if path in plan.by_path or rec.data.get("created.by.command"):  # commands' instances stay
            continue
        state = State(rec.state)
        steps = () if state is State.NOT_DEPLOYED else ("stop", "undeploy")
        out.changes.append(Change(path, "remove", steps, (f"no longer in the plan (recorded {state.value})",)))
    return out


def render_text(result: DeployPlan) -> str:
    if not result.changes:
        return f"No changes: {len(result.unchanged)} instances are as the plan wants them.\n"
    lines = []
    for c in result.changes:
        steps = f" ({', '.join(c.steps)})" if c.steps else ""
        lines.append(f"{c.action:7} {c.path}{steps}")
        lines.extend(f"          {r}" for r in c.reasons)
    counts: dict[str, int] = {}
    for c in result.changes:
        counts[c.action] = counts.get(c.action, 0) + 1
    summary = ", ".join(f"{n} {a}" for a, n in counts.items())
    lines.append(f"Plan: {summary}; {len(result.unchanged)} unchanged.")
    return "\n".join(lines) + "\n"
