"""The agent's probe loop (runtime.md §6.1) on a stand-in agent: what it checks, what it sends."""

from __future__ import annotations

import asyncio
from pathlib import Path

from rbcc.runtime.autonomic.probes import sample
from rbcc.runtime.autonomic.sampler import Sampler, read_measures
from rbcc.runtime.environment import recipe_environment
from rbcc.runtime.model import Node
from rbcc.runtime.plan import PlanInstance
from rbcc.runtime.states import State

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "storm"


def node(path: str, component: str, state: State) -> Node:
    spec = PlanInstance.from_json(
        {"path": path, "name": path.rsplit("/", 1)[1], "component": component, "root": "/" + path.split("/")[1]}
    )
    n = Node(spec, {})
    n.state = state
    return n


class StandIn:
    """What the sampler needs from an agent, and the messages it sent."""

    app = "Storm"
    scoped_path = "/vm_worker 1"

    def __init__(self, nodes: list[Node]) -> None:
        self.nodes = {n.path: n for n in nodes}
        self.sent: list[dict] = []

    def environment(self, n: Node, step: str) -> dict[str, str]:
        return recipe_environment(
            application=self.app,
            step=step,
            path=n.path,
            name=n.spec.name,
            component=n.spec.component,
            exports={},
            ancestors=[],
            imports={},
            files_dir="/nowhere",
        )

    def _to_dm(self, msg: dict) -> None:
        self.sent.append(msg)


def test_the_storm_docker_probe_asks_for_the_container_named_after_the_reversed_path() -> None:
    asked: list[str] = []

    def container_running(name: str) -> bool:
        asked.append(name)
        return name != "worker_vm_worker_1"

    agent = StandIn(
        [
            node("/vm_worker 1", "vm", State.DEPLOYED_STARTED),
            node("/vm_worker 1/worker", "storm_worker", State.DEPLOYED_STARTED),
            node("/vm_worker 1/other", "storm_worker", State.DEPLOYED_STOPPED),
        ]
    )
    sampler = Sampler(agent, EXAMPLE, 20.0, check=lambda m, env: sample(m, env, container_running))
    assert asyncio.run(sampler.sample_once()) == 1
    assert asked == ["worker_vm_worker_1"]  # the stopped instance is not probed
    assert agent.sent == [
        {
            "type": "Autonomic",
            "application": "Storm",
            "scoped_instance_path": "/vm_worker 1",
            "event_name": "worker-dead",
            "event_info": "container worker_vm_worker_1 is not running",
            "instance_path": "/vm_worker 1/worker",
        }
    ]


def test_measures_are_read_with_their_properties_and_absent_ones_are_none() -> None:
    ui = read_measures(EXAMPLE, "storm_ui")
    assert [(m.handler, m.event) for m in ui] == [("rest", "storm-saturated"), ("rest", "storm-idle")]
    assert ui[0].body == ["Check http://localhost:8080/api/v1/cluster/summary THAT slotsFree <= 0"]
    assert read_measures(EXAMPLE, "zookeeper") == []
