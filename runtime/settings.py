"""The executor's settings (runtime.md §9 "Settings"), with Roboconf's value where rbcc departs from it."""

from __future__ import annotations

import os
from dataclasses import dataclass, field

FAILURE_MODES = ("problem", "roboconf")


@dataclass(frozen=True)
class Settings:
    """Everything a deployment can tune; the defaults are rbcc's (runtime.md §9)."""

    #: seconds between an agent's heartbeats [Roboconf: 60]
    heartbeat_period: float = 60.0
    #: missed heartbeat checks before a machine is PROBLEM [2]
    missed_heartbeats_threshold: int = 2
    #: seconds a recipe may run; 0 = no limit [Roboconf: none]
    recipe_timeout: float = 1800.0
    #: recipes running at once per agent host [Roboconf: 1 per agent]
    max_parallel_steps: int = field(default_factory=lambda: os.cpu_count() or 1)
    #: ``problem``: a failed step puts that instance alone in PROBLEM; ``roboconf``: §1.6
    failure_mode: str = "problem"
    #: stop and undeploy run the descendants' recipes, deepest first [Roboconf: false]
    cascade_recipes: bool = True
    #: ports random-port allocation skips (Roboconf's ``forbidden.random.ports``)
    forbidden_ports: tuple[int, ...] = ()
    #: the address local agents report (``ip`` exports)
    agent_ip: str = "127.0.0.1"
    #: seconds between two samplings of the probes of an agent's started instances [20, fixed delay]
    probe_period: float = 20.0
    #: agents sample their probes and the manager runs the rules (``rbcc deploy --watch``); off in
    #: the sessions that settle and exit, where nobody would listen (and ``Delete if exists`` would
    #: delete a file for nothing)
    autonomic: bool = False
    #: the manager's preferences (Roboconf's DM preferences): ``autonomic.maximum.vm.number``,
    #: ``autonomic.strict.maximum.vm.number``, ``mail.*``, ``email.default.recipients``
    preferences: tuple[tuple[str, str], ...] = ()

    def __post_init__(self) -> None:
        if self.failure_mode not in FAILURE_MODES:
            raise ValueError(f"failure_mode must be one of {', '.join(FAILURE_MODES)}, not {self.failure_mode!r}")
        if self.max_parallel_steps < 1:
            raise ValueError("max_parallel_steps must be at least 1")
        if self.probe_period <= 0:
            raise ValueError("probe_period must be positive")

    def preference(self, key: str, default: str | None = None) -> str | None:
        """One of :attr:`preferences` (the last one given wins)."""
        found = default
        for k, v in self.preferences:
            if k == key:
                found = v
        return found
