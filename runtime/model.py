"""An agent's view of one instance: its plan entry, its state, the imports it received."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from rbcc.runtime.environment import Received
from rbcc.runtime.plan import ImportSpec, PlanInstance
from rbcc.runtime.states import State


@dataclass
class Node:
    """One instance inside an agent (or in the manager's reference model)."""

    spec: PlanInstance
    #: export values as published: the plan's, random ports filled in (``ip`` is filled at publication)
    exports: dict[str, str | None]
    state: State = State.NOT_DEPLOYED
    #: prefix → imports in arrival order
    imports: dict[str, list[Received]] = field(default_factory=dict)
    #: in PROBLEM: the stable state the failed step started from (requests are handled as from there)
    problem_from: State | None = None
    last_problem: Any = None
    #: in a transient state: the stable state it left (where a crash returns it)
    stable_from: State | None = None
    #: the step whose recipe runs now, and its process id (for recovery after a crash)
    running: dict[str, Any] | None = None
    _static: tuple[PlanInstance, tuple[Any, ...], str] | None = field(default=None, repr=False, compare=False)
    _text: tuple[tuple[Any, ...], str] | None = field(default=None, repr=False, compare=False)
    #: bumped by every assignment to a field and by :meth:`touch` (edits in place): how the agent's
    #: journal finds the nodes that changed without re-encoding the others
    version: int = field(default=0, repr=False, compare=False)

    def __setattr__(self, name: str, value: Any) -> None:
        object.__setattr__(self, name, value)
        if name[0] != "_" and name != "version":
            self.__dict__["version"] = self.__dict__.get("version", 0) + 1

    def touch(self) -> None:
        """Say that a field was edited in place (``imports``, ``running``…)."""
        self.__dict__["version"] = self.__dict__.get("version", 0) + 1

    @property
    def path(self) -> str:
        return self.spec.path

    @property
    def parent(self) -> str | None:
        return self.spec.parent

    def effective_state(self) -> State:
        """The state requests are evaluated from (PROBLEM counts as the state its step started from)."""
        if self.state is State.PROBLEM and self.problem_from is not None:
            return self.problem_from
        return self.state

    def export_prefixes(self) -> list[str]:
        return sorted({k.split(".", 1)[0] for k in self.exports if "." in k})

    def import_spec(self, prefix: str) -> ImportSpec | None:
        return self.spec.imports.get(prefix)

    def external_spec(self, prefix: str) -> ImportSpec | None:
        """The import of another application's exports under the external ``prefix`` (runtime.md §3.5)."""
        return self.spec.external_imports.get(prefix)

    def resolved(self) -> bool:
        """Every mandatory import prefix, internal or external, has at least one import (runtime.md §1.5)."""
        return all(spec.optional or self.imports.get(p) for p, spec in self.spec.imports.items()) and all(
            spec.optional or self.imports.get(p) for p, spec in self.spec.external_imports.items()
        )

    def imports_json(self) -> dict[str, list[dict[str, Any]]]:
        return {
            p: [
                {
                    "instance_path": r.path,
                    "component_name": r.component,
                    "exported_vars": dict(r.variables),
                    **({"application": r.application} if r.application else {}),
                }
                for r in rs
            ]
            for p, rs in self.imports.items()
        }

    def to_text(self) -> str:
        """``to_json`` as JSON text, re-encoded only when something in it changed.

        Agents write every node for every snapshot (before and after each recipe), most of them
        unchanged: the text is cached with a fingerprint of everything it is made of (the plan
        entry and the exports dict by identity — both are replaced, not edited — and the dynamic
        fields by value, including in-place edits of ``imports``, ``running`` or ``last_problem``).
        """
        key = self._fingerprint()
        cached = self._text
        if cached is not None and cached[0] == key:
            return cached[1]
        static = self._static
        if static is None or static[0] is not self.spec or static[1] != key[1]:
            text = json.dumps({"spec": self.spec.to_json(), "exports": self.exports}, ensure_ascii=False)
            static = self._static = (self.spec, key[1], text[:-1])
        dynamic = {
            "state": self.state.value,
            "imports": self.imports_json(),
            "problem_from": self.problem_from.value if self.problem_from else None,
            "last_problem": self.last_problem,
            "stable_from": self.stable_from.value if self.stable_from else None,
            "running": self.running,
        }
        text = static[2] + ", " + json.dumps(dynamic, ensure_ascii=False)[1:]
        self._text = (key, text)
        return text

    def _fingerprint(self) -> tuple[Any, ...]:
        """Equal fingerprints give equal texts: the parts by identity where they are immutable
        (plan entry, received imports: frozen), flat dicts by their items (edits in place show)."""
        problem, running, imports = self.last_problem, self.running, self.imports
        return (
            self.spec,
            tuple(self.exports.items()),
            self.state,
            self.problem_from,
            self.stable_from,
            (dict, tuple(problem.items())) if type(problem) is dict else problem,
            (dict, tuple(running.items())) if type(running) is dict else running,
            tuple([(p, tuple(rs)) for p, rs in imports.items()]) if imports else (),
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "spec": self.spec.to_json(),
            "exports": self.exports,
            "state": self.state.value,
            "imports": self.imports_json(),
            "problem_from": self.problem_from.value if self.problem_from else None,
            "last_problem": self.last_problem,
            "stable_from": self.stable_from.value if self.stable_from else None,
            "running": self.running,
        }

    @classmethod
    def from_json(cls, raw: dict[str, Any]) -> Node:
        node = cls(PlanInstance.from_json(raw["spec"]), dict(raw.get("exports") or {}))
        node.state = State(raw.get("state") or State.NOT_DEPLOYED.value)
        node.imports = imports_from_json(raw.get("imports") or {})
        node.problem_from = State(raw["problem_from"]) if raw.get("problem_from") else None
        node.last_problem = raw.get("last_problem")
        node.stable_from = State(raw["stable_from"]) if raw.get("stable_from") else None
        node.running = raw.get("running")
        return node


def imports_from_json(raw: dict[str, Any]) -> dict[str, list[Received]]:
    return {
        p: [
            Received(i["instance_path"], i["component_name"], dict(i["exported_vars"]), i.get("application"))
            for i in items
        ]
        for p, items in raw.items()
    }
