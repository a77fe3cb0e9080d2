"""``random[port]`` at deployment (runtime.md §3.2): the lowest free port per agent, kept across restarts.

A value written in the instances file (a non-null export in the plan) wins and is registered; other
random exports get the lowest port in [10000, 65500) that is neither forbidden nor used as a random
port on the same agent.  Allocations are stored (``random_ports``) and never move once made.
"""

from __future__ import annotations

from typing import Protocol

from rbcc.runtime.plan import PlanInstance

PORT_MIN = 10000
PORT_MAX = 65500


class PortSink(Protocol):
    def put_port(self, path: str, variable: str, agent: str, port: int) -> None: ...


class PortAllocator:
    def __init__(self, forbidden: tuple[int, ...] = ()) -> None:
        self.forbidden = frozenset(forbidden)
        self._by_instance: dict[tuple[str, str], tuple[str, int]] = {}
        self._used: dict[str, set[int]] = {}

    def load(self, rows: list[tuple[str, str, str, int]]) -> None:
        for path, variable, agent, port in rows:
            self._by_instance[(path, variable)] = (agent, port)
            self._used.setdefault(agent, set()).add(port)

    def release(self, path: str) -> None:
        for key in [k for k in self._by_instance if k[0] == path]:
            agent, port = self._by_instance.pop(key)
            self._used.get(agent, set()).discard(port)

    def resolve(self, spec: PlanInstance, agent: str, sink: PortSink) -> dict[str, str | None]:
        """The instance's exports with every random port filled in (allocating what is missing)."""
        exports = dict(spec.exports)
        used = self._used.setdefault(agent, set())
        for variable in spec.random_ports:
            written = exports.get(variable)
            known = self._by_instance.get((spec.path, variable))
            if written is not None and written.strip().isdigit():
                port = int(written.strip())
            elif known is not None:
                port = known[1]
            else:
                port = PORT_MIN
                while port in used or port in self.forbidden:
                    port += 1
                if port >= PORT_MAX:
                    continue
            if known is None or known != (agent, port):
                if known is not None:
                    self._used.get(known[0], set()).discard(known[1])
                self._by_instance[(spec.path, variable)] = (agent, port)
                used.add(port)
                sink.put_port(spec.path, variable, agent, port)
            exports[variable] = str(port)
        return exports
