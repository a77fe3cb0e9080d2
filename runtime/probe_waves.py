"""How the manager knows that agents in other processes are idle over RabbitMQ: probe waves.

Over WebSocket the manager is the broker and counts what it routed to each agent
(:mod:`rbcc.runtime.agent_link`).  Over RabbitMQ agents send each other their exports through the
broker, past the manager, so the manager cannot count them.  It asks instead, in *waves*:

- an agent publishes with publisher confirms (``publish`` returns once the broker holds the message
  in every queue it routes to) and counts the messages it took off its queue (``received``) and the
  messages it published to agents or applications (``published``: to the manager not counted);
- the manager publishes ``Probe{wave}`` into the queue of every agent it waits for (the machines it
  counts as up: DEPLOYED_STARTED, or UNDEPLOYING while their instances go), once a wave is answered;
- an agent takes the probe off its queue after everything queued before it (a queue is FIFO), and
  answers ``AgentState{idle, wave, received, published, life}`` once it is idle: no message in its inbox,
  no step running, nothing to publish and no publication waiting for its confirm;
- the deployment is quiescent when two consecutive waves are answered by the same agents with the
  same counters (and the same ``life``, a token of the agent process: a restarted agent counts from 0), and the manager published nothing to agents from the start of the first to the
  decision (its bus's ``published``, probes aside).

Why that is enough.  Let ``t_a`` and ``t'_a`` be the times agent ``a`` answered the two waves and
``T`` the latest ``t_a``; the second wave's probes are published after ``T`` (the first wave was
answered), so every ``t'_a`` comes after ``T``.  An agent receives nothing between ``t_a`` and
``t'_a`` (``received`` unchanged) and an idle agent only gets work from a message, so every agent
is idle at ``T``.  Suppose a message ``m`` to agent ``j`` is still on the broker at ``T``.  The
manager did not send it: whatever it published before the first wave is ahead of the first probe
in ``j``'s queue (one channel, FIFO), hence taken before ``t_j``; and it published nothing after.
So some agent ``a`` sent it, before ``t_a`` (it published nothing after), and ``m`` was in ``j``'s
queue before ``t_a`` (confirmed before ``a`` was idle) — before ``T``, hence ahead of ``j``'s
second probe: ``j`` took it before ``t'_j``, and as ``received`` did not change, before ``t_j``,
so it was not on the broker at ``T``.  Nothing was moving at ``T``, and nothing has moved since:
what an agent told the manager before answering is in the manager's queue ahead of its answer, and
the manager's own idleness is checked beside this.  A decision holds until the manager publishes
again or the agents it waits for change.

A wave not answered within :data:`RESEND_AFTER` seconds (a probe lost with a dropped connection,
at most once; an agent busy with a long step) is replaced by a new one: probes are not counted, so
a wave replaced does not break the argument, which only needs the first of two waves answered
before the second is published.  A manager's waves are named ``<random tag>-<n>``, so that an
agent's answer to a previous session's probe is not taken for an answer to this one's.

Local agents (in the manager's process, on the same :class:`~rbcc.runtime.bus_rabbitmq.RabbitMQBus`)
alone need no waves: the bus counts their messages in flight.  When out-of-process agents are
there too, local agents are members like the others (a message from an agent process to a local
one is on the broker, where only a probe behind it tells that it arrived): the manager's bus takes
their probes off their queues (``owner_control``, :meth:`ProbeWaves.local_probe`) and they answer
through :meth:`ProbeWaves.settled` once idle, with the messages delivered to them and 0 published
(what they publish goes through the manager's bus, whose ``published`` is the manager's counter;
no confirms are needed there: the manager's later probes follow them on the same channel).
"""

from __future__ import annotations

import asyncio
import logging
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from rbcc.runtime.bus import Bus, Message, agent_context, dm_context

log = logging.getLogger("rbcc.runtime.probe_waves")

PROBE = "Probe"
#: seconds a wave may stay unanswered before a new one replaces it
RESEND_AFTER = 1.0


def probe(application: str, wave: str) -> Message:
    return {"type": PROBE, "application": application, "wave": wave}


def answer(
    application: str, scoped_path: str, wave: str, idle: bool, received: int, published: int, life: str
) -> Message:
    """An agent's answer; ``life`` names the agent process (counters start again in a new one)."""
    return {
        "type": "AgentState",
        "application": application,
        "scoped_instance_path": scoped_path,
        "idle": idle,
        "wave": wave,
        "received": received,
        "published": published,
        "life": life,
    }


@dataclass(frozen=True)
class Answer:
    idle: bool
    received: int
    published: int
    life: str


@dataclass(frozen=True)
class _Wave:
    """One answered wave: who was asked, what they said, the manager's counter when it began."""

    members: frozenset[str]
    answers: dict[str, Answer]
    counter: int


class ProbeWaves:
    """The manager's side: waves of probes to the machines ``members()`` names, until quiescent.

    ``counter()`` is the manager's bus's count of publications to agents (``RabbitMQBus.published``).
    :meth:`settled` is polled (by the manager's ``idle``); it starts the waves it needs by itself.
    """

    def __init__(
        self,
        application: str,
        bus: Bus,
        members: Callable[[], set[str]],
        counter: Callable[[], int],
        local: Callable[[str], Any] | None = None,
        delivered: Callable[[str], int] | None = None,
    ) -> None:
        self.application = application
        self.bus = bus
        self.members = members
        self.counter = counter
        #: a member that is an agent of this process (its ``idle()``), None for the others
        self.local = local or (lambda path: None)
        #: the messages delivered so far to a local member's inbox
        self.delivered = delivered or (lambda path: 0)
        #: local member → the last probe taken off its queue (see :meth:`local_probe`)
        self._local_probes: dict[str, str] = {}
        self._tag = secrets.token_hex(4)
        self._n = 0
        self.wave: str | None = None
        self._asked: frozenset[str] = frozenset()
        self._answers: dict[str, Answer] = {}
        self._began = 0
        self._sent_at = 0.0
        self._previous: _Wave | None = None
        #: (members, counter) when the deployment was found quiescent
        self._settled: tuple[frozenset[str], int] | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        #: waves published (tests, benchmarks)
        self.waves = 0

    def on_answer(self, scoped_path: str, msg: Message) -> None:
        """An agent's ``AgentState`` with a ``wave``: kept when it answers the wave under way."""
        if msg.get("wave") != self.wave or scoped_path not in self._asked:
            return
        self._answers[scoped_path] = Answer(
            bool(msg.get("idle")),
            int(msg.get("received") or 0),
            int(msg.get("published") or 0),
            str(msg.get("life") or ""),
        )

    def local_probe(self, scoped_path: str, wave: str) -> None:
        """A probe taken off the queue of a local member (the bus's ``owner_control``)."""
        self._local_probes[scoped_path] = wave

    def _answer_local(self) -> None:
        """Local members answer for themselves, as an agent process does: once idle, after the probe."""
        for path, wave in list(self._local_probes.items()):
            if wave != self.wave or path not in self._asked or path in self._answers:
                continue
            agent = self.local(path)
            if agent is not None and agent.idle():
                self._answers[path] = Answer(True, self.delivered(path), 0, "local")

    def settled(self) -> bool:
        """Whether every member is idle with nothing on its way to it (see the module's docstring)."""
        members = frozenset(self.members())
        counter = self.counter()
        if self._settled == (members, counter):
            return True
        self._settled = None
        if not members:
            self.wave, self._previous = None, None
            return True
        if self.wave is not None:
            self._answer_local()
            if self._asked != members:
                self._previous = None
            elif len(self._answers) == len(members):
                done = _Wave(members, dict(self._answers), self._began)
                previous, self._previous, self.wave = self._previous, done, None
                if (
                    previous is not None
                    and previous.members == members
                    and previous.answers == done.answers
                    and previous.counter == counter
                    and all(a.idle for a in done.answers.values())
                ):
                    self._settled = (members, counter)
                    return True
            elif time.monotonic() - self._sent_at < RESEND_AFTER:
                return False
        self._start(members, counter)
        return False

    def _start(self, members: frozenset[str], counter: int) -> None:
        self._n += 1
        self.waves += 1
        self.wave = f"{self._tag}-{self._n}"
        self._asked, self._answers, self._began = members, {}, counter
        self._sent_at = time.monotonic()
        task = asyncio.ensure_future(self._send(self.wave, sorted(members)))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _send(self, wave: str, members: list[str]) -> None:
        for path in members:
            try:
                await self.bus.publish(agent_context(self.application, path), probe(self.application, wave))
            except Exception as exc:  # the broker away: the wave is replaced after RESEND_AFTER
                log.debug("probe %s to %s: %s", wave, path, exc)
                return

    async def close(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)


class WaveLink:
    """An agent in another process over RabbitMQ, idle when the probe waves say the deployment is."""

    def __init__(self, owner: str, waves: ProbeWaves) -> None:
        self.owner = owner
        self.waves = waves

    def idle(self) -> bool:
        return self.waves.settled()


class ProbeAnswers:
    """An agent's side: the latest probe taken off its queue, answered once the agent is idle.

    :meth:`control` is the bus's control hook (probes never reach the agent's inbox); :meth:`due`
    tells the wave to answer, if any, and :meth:`answered` records that it was.
    """

    def __init__(self) -> None:
        self._wave: str | None = None
        self._answered: str | None = None
        #: this agent process, in its answers: a restarted agent's counters are not taken for the same
        self.life = secrets.token_hex(6)
        #: called when a manager asks for the instances (a new session restoring this machine): the
        #: agent heartbeats at once, as a WebSocket agent does when it reconnects to the new broker
        self.on_manager: Callable[[], None] | None = None

    def control(self, msg: Message) -> bool:
        if msg.get("type") == "SendInstances" and self.on_manager is not None:
            self.on_manager()
        if msg.get("type") != PROBE:
            return False
        wave = msg.get("wave")
        if isinstance(wave, str):
            self._wave = wave
        return True

    def due(self) -> str | None:
        return self._wave if self._wave != self._answered else None

    def answered(self, wave: str) -> None:
        self._answered = wave


async def answer_probes(
    agent: Any, bus: Any, answers: ProbeAnswers, application: str, scoped_path: str, poll: float
) -> None:
    """The agent's loop: each probe answered as soon as the agent is idle (``agent.idle()``), with the
    bus's counters (``bus.deliveries``, ``bus.published``) read in the same instant."""
    while True:
        await asyncio.sleep(poll)
        wave = answers.due()
        if wave is None or not agent.idle():
            continue
        answers.answered(wave)
        msg = answer(application, scoped_path, wave, True, bus.deliveries, bus.published, answers.life)
        try:
            await bus.publish(dm_context(application), msg)
        except Exception as exc:  # the broker away: the manager sends a new wave
            log.debug("answer to %s: %s", wave, exc)
