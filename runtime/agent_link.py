"""How the manager sees a machine's agent: the agent itself (``local``) or a link over the network bus.

An agent in another process (``process``, ``docker``, ``remote``) tells the manager whether it is
idle with ``AgentState{idle, seen}`` messages, ``seen`` being the number of the last bus message it
received.  The manager counts it idle once it said so having seen everything the broker routed to
it: a message still on its way (to the agent, or from it to another agent through the broker)
keeps the deployment from settling.
"""

from __future__ import annotations

from typing import Protocol


class QuiescentBus(Protocol):
    """What a network bus must tell about an owner for the manager to know when it is idle."""

    base: int

    def delivered(self, owner: str) -> int: ...


class AgentLink(Protocol):
    owner: str

    def idle(self) -> bool: ...


class BusLink:
    """An agent in another process, known through its ``AgentState`` reports."""

    def __init__(self, owner: str, bus: QuiescentBus) -> None:
        self.owner = owner
        self.bus = bus
        self.reported_idle = False
        self.seen: int | None = None

    def report(self, idle: bool, seen: int) -> None:
        self.reported_idle, self.seen = idle, seen

    def idle(self) -> bool:
        if not self.reported_idle or self.seen is None:
            return False
        delivered = self.bus.delivered(self.owner)
        return self.seen >= delivered or delivered == self.bus.base
