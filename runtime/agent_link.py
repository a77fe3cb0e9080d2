"""How the manager sees a machine's agent: the agent itself (``local``) or a link over the network bus.

Over WebSocket (:class:`BusLink`) the manager is the broker.  An agent in another process
(``process``, ``docker``, ``remote``) tells the manager whether it is idle with
``AgentState{idle, seen}`` messages, ``seen`` being the number of the last bus message it
received.  The manager counts it idle once it said so having seen everything the broker routed to
it: a message still on its way (to the agent, or from it to another agent through the broker)
keeps the deployment from settling.

Over RabbitMQ that cannot work: agents send each other their exports through the broker, past the
manager, which cannot count what was routed to whom.  There the link is a
:class:`rbcc.runtime.probe_waves.WaveLink`: the manager sends waves of ``Probe`` messages into the
agents' queues and agents answer ``AgentState{idle, wave, received, published}``; two consecutive
waves with the same counters mean that nothing moves (the argument is in that module).
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
