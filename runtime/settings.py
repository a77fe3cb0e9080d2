"""The executor's settings (runtime.md §9 "Settings"), with Roboconf's value where rbcc departs from it."""

from __future__ import annotations

import os
from dataclasses import dataclass, field

FAILURE_MODES = ("problem", "roboconf")
BUSES = ("auto", "inprocess", "websocket", "rabbitmq")
HANDLERS = ("local", "process", "docker", "remote")


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
    #: seconds a machine may stay DEPLOYING without its agent's first heartbeat [Roboconf: none]
    agent_boot_timeout: float = 300.0
    #: the messaging implementation (``rbcc.runtime.bus_factory``); ``auto``: in-process unless a machine
    #: runs out of the rbcc process (a non-local handler chosen or recorded), then WebSocket
    bus: str = "auto"
    #: where the WebSocket broker listens; port 0 = a free port, kept for the deployment's next sessions
    bus_host: str = "127.0.0.1"
    bus_port: int = 0
    #: messages kept per agent for replay after a reconnection
    bus_replay: int = 2000
    #: TLS for the WebSocket broker (both or neither)
    tls_cert: str | None = None
    tls_key: str | None = None
    #: the handler of machines whose target is not chosen (None: their target file's rbcc handler, else local)
    handler: str | None = None
    #: Roboconf's messaging properties for the RabbitMQ bus (``net.roboconf.messaging.rabbitmq.*``)
    messaging: tuple[tuple[str, str], ...] = ()
    #: target ids chosen for the machines whose component has a target file with that id (``--target``)
    targets: tuple[str, ...] = ()
    #: the directory deployments on this machine share their external exports through
    #: (:mod:`rbcc.runtime.inter_app`; None: ``$RBCC_INTER_APP_DIR``, else ``~/.local/state/rbcc/inter-app``)
    inter_app_dir: str | None = None
    #: seconds between two reads of the other applications' exports while a session runs
    inter_app_period: float = 1.0

    def __post_init__(self) -> None:
        if self.failure_mode not in FAILURE_MODES:
            raise ValueError(f"failure_mode must be one of {', '.join(FAILURE_MODES)}, not {self.failure_mode!r}")
        if self.bus not in BUSES:
            raise ValueError(f"bus must be one of {', '.join(BUSES)}, not {self.bus!r}")
        if self.handler is not None and self.handler not in HANDLERS:
            raise ValueError(f"handler must be one of {', '.join(HANDLERS)}, not {self.handler!r}")
        if (self.tls_cert is None) != (self.tls_key is None):
            raise ValueError("TLS needs both a certificate and a key")
        if self.max_parallel_steps < 1:
            raise ValueError("max_parallel_steps must be at least 1")
        if self.probe_period <= 0:
            raise ValueError("probe_period must be positive")
        if self.inter_app_period <= 0:
            raise ValueError("inter_app_period must be positive")

    def preference(self, key: str, default: str | None = None) -> str | None:
        """One of :attr:`preferences` (the last one given wins)."""
        found = default
        for k, v in self.preferences:
            if k == key:
                found = v
        return found
