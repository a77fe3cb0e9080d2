"""The ``local`` target handler (runtime.md §9 "Targets"): the agent is a task of the manager's process.

Its directory is ``state/agents/<clean path>/``; the machine runs while the manager runs, and a
restarted manager finds it again through the agent's ``agent-state.json``.  Terminating it stops
the agent and removes its directory (the manager has cascaded stop and undeploy before).
Roboconf's ``in-memory`` handler (agents inside the DM) maps to this one.
"""

from __future__ import annotations

from rbcc.runtime.agent import Agent, AgentHost
from rbcc.runtime.targets.base import MachineRequest, TargetHandler

PREFIX = "local:"


class LocalHandler(TargetHandler):
    name = "local"

    def __init__(self, host: AgentHost) -> None:
        self.host = host
        self.agents: dict[str, Agent] = {}

    def agent(self, machine_id: str) -> Agent | None:
        """The agent of a machine this handler made or restored."""
        return self.agents.get(machine_id)

    async def create_machine(self, request: MachineRequest) -> str:
        machine_id = PREFIX + request.scoped_path
        self.agents[machine_id] = Agent(self.host, request.scoped_path)
        return machine_id

    async def configure_machine(self, machine_id: str, request: MachineRequest) -> None:
        await self.agents[machine_id].start()

    async def is_machine_running(self, machine_id: str) -> bool:
        """After a manager restart: the agent comes back from its file (not started yet)."""
        if machine_id in self.agents:
            return True
        if not machine_id.startswith(PREFIX):
            return False
        agent = Agent(self.host, machine_id[len(PREFIX) :])
        if not agent.restore():
            return False
        self.agents[machine_id] = agent
        return True

    async def terminate_machine(self, machine_id: str) -> None:
        agent = self.agents.pop(machine_id, None)
        if agent is not None:
            await agent.stop()
            agent.forget_files()
