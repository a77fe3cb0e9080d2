"""The messaging interface (runtime.md §5) and its in-process implementation.

A destination is a :class:`Context` (kind, application, topic); owners subscribe to contexts and
read their own inbox.  Messages are JSON-ready dicts ``{"type": <§5.2 name>, snake_case fields}``
(:mod:`rbcc.runtime.messages`), so that a network bus (WebSocket, RabbitMQ) can carry them as they
are.  Delivery is FIFO per sender, at most once; a sender subscribed to a context gets its own
messages (hence the self-import check of the agents).
"""

from __future__ import annotations

import abc
import asyncio
from collections import Counter
from dataclasses import dataclass
from typing import Any

Message = dict[str, Any]

AGENTS = "AGENTS"
DM = "DM"
INTER_APP = "INTER_APP"


@dataclass(frozen=True, slots=True)
class Context:
    """A destination (runtime.md §5.1); ``application`` is None for inter-application topics."""

    kind: str
    application: str | None
    topic: str
    domain: str = "default"


def machine_topic(scoped_path: str) -> str:
    """``machine.`` + the scoped instance's path, outer ``/`` stripped, ``/`` → ``.``."""
    return "machine." + scoped_path.strip("/").replace("/", ".")


def dm_context(application: str) -> Context:
    return Context(DM, application, application)


def agent_context(application: str, scoped_path: str) -> Context:
    return Context(AGENTS, application, machine_topic(scoped_path))


def importers_context(application: str, prefix: str) -> Context:
    """Where exports of ``prefix`` go: ``those.that.import.P``."""
    return Context(AGENTS, application, "those.that.import." + prefix)


def exporters_context(application: str, prefix: str) -> Context:
    """Where requests for ``prefix`` go: ``those.that.export.P``."""
    return Context(AGENTS, application, "those.that.export." + prefix)


def inter_app_importers(prefix: str) -> Context:
    """Where another application's exports of the external ``prefix`` go (not application-scoped, §5.1)."""
    return Context(INTER_APP, None, "those.that.import." + prefix)


def inter_app_exporters(prefix: str) -> Context:
    """Where requests for the external ``prefix`` go (not application-scoped, §5.1)."""
    return Context(INTER_APP, None, "those.that.export." + prefix)


class Bus(abc.ABC):
    """What the manager and the agents need from a messaging implementation."""

    @abc.abstractmethod
    async def publish(self, ctx: Context, msg: Message) -> None:
        """Deliver ``msg`` to every owner subscribed to ``ctx`` (none: dropped)."""

    @abc.abstractmethod
    async def subscribe(self, owner: str, ctx: Context) -> None: ...

    @abc.abstractmethod
    async def unsubscribe(self, owner: str, ctx: Context) -> None: ...

    @abc.abstractmethod
    def inbox(self, owner: str) -> asyncio.Queue[Message]:
        """The queue ``owner`` reads its messages from (created on first use)."""

    @abc.abstractmethod
    async def close_owner(self, owner: str) -> None:
        """Forget ``owner``: its subscriptions and its inbox."""

    def pending(self) -> int:
        """Messages delivered but not yet taken from an inbox (0 when the bus cannot tell)."""
        return 0

    async def start(self) -> None:  # noqa: B027 - optional: most buses have nothing to open
        """Listen or connect (a network bus); the in-process bus has nothing to do."""

    async def close(self) -> None:  # noqa: B027
        """Stop listening or disconnect."""

    #: messages published, by type (for benchmarks and tests)
    counts: Counter[str]


class InProcessBus(Bus):
    """The default bus: a context → owners map and one :class:`asyncio.Queue` per owner."""

    def __init__(self) -> None:
        self._subs: dict[Context, dict[str, None]] = {}
        self._owned: dict[str, set[Context]] = {}
        self._inboxes: dict[str, asyncio.Queue[Message]] = {}
        self.counts = Counter()
        #: deliveries made (one message to three subscribers counts three)
        self.deliveries = 0

    async def publish(self, ctx: Context, msg: Message) -> None:
        self.counts[msg.get("type", "?")] += 1
        for owner in list(self._subs.get(ctx, ())):
            self.inbox(owner).put_nowait(msg)
            self.deliveries += 1

    async def subscribe(self, owner: str, ctx: Context) -> None:
        self._subs.setdefault(ctx, {})[owner] = None
        self._owned.setdefault(owner, set()).add(ctx)

    async def unsubscribe(self, owner: str, ctx: Context) -> None:
        self._subs.get(ctx, {}).pop(owner, None)
        self._owned.get(owner, set()).discard(ctx)

    def inbox(self, owner: str) -> asyncio.Queue[Message]:
        queue = self._inboxes.get(owner)
        if queue is None:
            queue = self._inboxes[owner] = asyncio.Queue()
        return queue

    async def close_owner(self, owner: str) -> None:
        for ctx in self._owned.pop(owner, set()):
            self._subs.get(ctx, {}).pop(owner, None)
        self._inboxes.pop(owner, None)

    def pending(self) -> int:
        return sum(q.qsize() for q in self._inboxes.values())
