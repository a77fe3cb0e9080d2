"""The target-handler contract (runtime.md §2.1) shared by the ``local``, ``process``, ``docker`` and ``remote`` handlers.

The manager never knows how a machine is made: it hands a :class:`MachineRequest` to the handler
named by the machine's target properties (``handler = …``), records the id it gets back before
acting on it (a crash between the two must not leave an unknown machine), and asks the same
handler, after a restart, whether that id still runs.
"""

from __future__ import annotations

import abc
from dataclasses import dataclass, field
from pathlib import Path

from rbcc.errors import RbccError


@dataclass(frozen=True)
class MachineRequest:
    """Everything a handler needs to bring up one machine."""

    application: str
    #: the scoped instance's path (``/vm1``)
    scoped_path: str
    #: the target properties (``handler``, ``id``, handler keys), merged with the scoped instance's data
    properties: dict[str, str]
    #: the agent's identity and messaging settings (runtime.md §2.3 keys plus ``rbcc.token``, ``rbcc.dm.url``)
    user_data: dict[str, str]
    #: the deployment's state directory (where a handler keeps its own files)
    state_dir: Path
    #: the directory the target properties were read from (relative paths in them are resolved there)
    properties_dir: Path | None = field(default=None)


class TargetHandler(abc.ABC):
    """One way of making machines; every method may be called again after a manager restart."""

    #: the value of ``handler`` in target properties
    name: str

    @abc.abstractmethod
    async def create_machine(self, request: MachineRequest) -> str:
        """Allocate the machine and return its id quickly; configuration comes after."""

    async def configure_machine(self, machine_id: str, request: MachineRequest) -> None:  # noqa: B027 (optional)
        """Finish bringing the machine up (default: nothing left to do); raising puts it in PROBLEM."""

    @abc.abstractmethod
    async def is_machine_running(self, machine_id: str) -> bool:
        """Whether the machine ``machine_id`` still runs (asked after a manager restart)."""

    @abc.abstractmethod
    async def terminate_machine(self, machine_id: str) -> None:
        """Stop and remove the machine; idempotent (an already gone machine is not an error)."""


class TargetError(RbccError):
    """A handler could not do what it was asked; the message says why and what to do."""
