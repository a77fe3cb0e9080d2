"""The agent's probes (runtime.md §6.1): every ``probe_period``, each started instance's measures.

Every ``probe_period`` seconds (fixed delay: the next sampling starts that long after the previous
one ended, as Roboconf's timer), the agent looks at each of its instances that is
DEPLOYED_STARTED *at that moment* and whose component has ``probes/<Component>.measures``; each
section is checked alone (:func:`rbcc.runtime.autonomic.probes.sample`) and every positive check
sends ``Autonomic{scoped_instance_path, event_name, event_info}`` to the manager, without
de-duplication (a lasting condition fires every period).

The measures are read from the application directory the agent's recipes come from
(``probes/`` beside ``graph/``), again at each sampling as Roboconf's agent re-reads its files: an
edited probe applies at the next period.  Checks run in a worker thread (a REST check may take up
to :data:`~rbcc.runtime.autonomic.probes.HTTP_TIMEOUT`), one instance after the other.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from pathlib import Path
from typing import Protocol

from rbcc.dsl.java import read_properties_text
from rbcc.dsl.probes import MEASURES, PROBES_DIR, Measure, parse_measures
from rbcc.runtime import messages as m
from rbcc.runtime.autonomic.probes import Sample, sample
from rbcc.runtime.model import Node
from rbcc.runtime.states import State

log = logging.getLogger("rbcc.runtime.autonomic.sampler")


class ProbedAgent(Protocol):
    """What the sampler needs from an agent."""

    app: str
    scoped_path: str
    nodes: dict[str, Node]

    def environment(self, node: Node, step: str) -> dict[str, str]: ...

    def _to_dm(self, msg: dict[str, object]) -> None: ...


def read_measures(app_dir: Path, component: str) -> list[Measure]:
    """``probes/<component>.measures`` of ``app_dir`` with its properties filled in ([] when absent)."""
    directory = app_dir / PROBES_DIR
    path = directory / f"{component}{MEASURES}"
    try:
        text = path.read_bytes().decode("utf-8", errors="replace")
    except OSError:
        return []
    properties: dict[str, str] = {}
    try:
        properties = read_properties_text((directory / f"{component}{MEASURES}.properties").read_bytes())
    except (OSError, ValueError):
        pass
    measures, _ = parse_measures(text, f"{PROBES_DIR}/{path.name}", component, properties)
    return measures


class Sampler:
    """The probe loop of one agent."""

    def __init__(
        self,
        agent: ProbedAgent,
        app_dir: Path,
        period: float,
        check: Callable[[Measure, dict[str, str]], Sample] | None = None,
    ) -> None:
        self.agent = agent
        self.app_dir = app_dir
        self.period = period
        self.check = check or (lambda measure, env: sample(measure, env))
        #: samplings done and events sent (tests, diagnostics)
        self.rounds = 0
        self.sent = 0

    async def run(self) -> None:
        while True:
            await asyncio.sleep(self.period)
            try:
                await self.sample_once()
            except asyncio.CancelledError:
                raise
            except Exception:  # a broken probe must not stop the others, nor the agent
                log.exception("agent %s: sampling failed", self.agent.scoped_path)

    async def sample_once(self) -> int:
        """One round over the started instances; returns the events sent."""
        sent = 0
        cache: dict[str, list[Measure]] = {}
        for node in list(self.agent.nodes.values()):
            if node.state is not State.DEPLOYED_STARTED:
                continue
            component = node.spec.component
            if component not in cache:
                cache[component] = await asyncio.to_thread(read_measures, self.app_dir, component)
            measures = cache[component]
            if not measures:
                continue
            env = self.agent.environment(node, "probe")
            for measure in measures:
                if node.state is not State.DEPLOYED_STARTED:  # it may stop while another check runs
                    break
                result = await asyncio.to_thread(self.check, measure, env)
                if result.fired:
                    self.agent._to_dm(
                        m.autonomic(self.agent.app, self.agent.scoped_path, result.event, result.info, node.path)
                    )
                    sent += 1
        self.rounds += 1
        self.sent += sent
        return sent
