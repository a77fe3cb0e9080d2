"""The ``remote`` target handler (runtime.md §9 "Targets"): agents started by hand, assigned on demand.

Someone runs ``rbcc agent --dm ws://MANAGER:PORT/rbcc/bus --token T`` on a host; the agent waits,
connected to the broker without an identity.  A target file with ``handler = remote`` lists the
pool of such agents by their tokens in ``remote.pool`` (comma-separated, as Roboconf's ``embedded``
handler lists ``embedded.ip``; keep that file private).  ``create_machine`` takes an idle agent of the
pool (waiting up to ``remote.wait`` seconds, 30 by default, for one to connect) and sends it
``AssignAgent``: its user data (identity, a fresh token of its own) and the application's
``graph/`` and ``probes/`` directories as a tar archive, since a remote host has no copy of them
(base64 in the message, or above 1 MiB a sha256 reference the agent fetches from the broker).
The agent keeps them in its own directory and reconnects with its new identity.  It runs while it
is connected; terminating it is a *reset* (§2.3): its instances were undeployed by the manager
first, then ``ResetAgent`` makes it forget its identity and wait in the pool again.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import io
import tarfile
import time
from pathlib import Path
from typing import Any

from rbcc.runtime.targets.base import MachineRequest, TargetError, TargetHandler

POOL_KEY = "remote.pool"
WAIT_KEY = "remote.wait"
#: seconds a restarted manager waits for an assigned agent to come back
RECONNECT_WAIT = 6.0
SHIPPED = ("graph", "probes")
#: files above this size travel as ``GET /rbcc/blobs/<sha256>`` references (runtime.md §9 "Bus")
BLOB_THRESHOLD = 1024 * 1024


def fingerprint(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()[:12]


def pool_of(properties: dict[str, str]) -> list[str]:
    return [t.strip() for t in properties.get(POOL_KEY, "").split(",") if t.strip()]


def application_archive(app_dir: Path) -> bytes:
    """``graph/`` and ``probes/`` of the application, as a tar.gz."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        for name in SHIPPED:
            if (app_dir / name).is_dir():
                tar.add(app_dir / name, arcname=name)
    return buffer.getvalue()


def files_field(bus: Any, archive: bytes) -> dict[str, str]:
    """The archive in the message (base64), or above :data:`BLOB_THRESHOLD` a sha256 reference to fetch."""
    if len(archive) > BLOB_THRESHOLD:
        return {"files_ref": bus.add_blob(archive)}
    return {"files": base64.b64encode(archive).decode("ascii")}


def unpack_archive(data: bytes, into: Path) -> None:
    into.mkdir(parents=True, exist_ok=True)
    with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as tar:
        tar.extractall(into, filter="data")


class RemoteHandler(TargetHandler):
    name = "remote"

    def __init__(self, bus: Any) -> None:
        if not hasattr(bus, "assign"):
            raise TargetError("remote machines need the WebSocket bus: deploy with --bus websocket")
        self.bus = bus

    async def create_machine(self, request: MachineRequest) -> str:
        pool = pool_of(request.properties)
        if not pool:
            raise TargetError(f"a remote target needs {POOL_KEY} (the tokens of the agents started by hand)")
        for token in pool:
            self.bus.allow_pool(token)
        try:
            wait = float(request.properties.get(WAIT_KEY, "30"))
        except ValueError:
            raise TargetError(f"{WAIT_KEY} must be a number of seconds") from None
        owner = f"{request.scoped_path} @ {request.application}"
        app_dir = Path(request.user_data.get("rbcc.app.dir", "."))
        message = {
            "type": "AssignAgent",
            "application": request.application,
            "user_data": request.user_data,
            **files_field(self.bus, application_archive(app_dir)),
        }
        deadline = time.monotonic() + wait
        while True:
            idle = [t for t in pool if t in self.bus.idle_agents()]
            if idle and self.bus.assign(idle[0], message):
                return f"remote:{fingerprint(idle[0])}:{owner}"
            if time.monotonic() > deadline:
                raise TargetError(
                    f"no idle remote agent of the pool connected within {wait:g} s "
                    f"(start one with `rbcc agent --dm {request.user_data.get('rbcc.dm.url')} --token TOKEN`)"
                )
            await asyncio.sleep(0.05)

    @staticmethod
    def _owner(machine_id: str) -> str:
        parts = machine_id.split(":", 2)
        if len(parts) != 3 or parts[0] != "remote":
            raise TargetError(f"not a remote machine id: {machine_id!r}")
        return parts[2]

    async def is_machine_running(self, machine_id: str) -> bool:
        """Whether the assigned agent is (or comes back, within a few seconds) connected."""
        owner = self._owner(machine_id)
        deadline = time.monotonic() + RECONNECT_WAIT
        while not self.bus.connected(owner):
            if time.monotonic() > deadline:
                return False
            await asyncio.sleep(0.05)
        return True

    async def terminate_machine(self, machine_id: str) -> None:
        owner = self._owner(machine_id)
        if not self.bus.connected(owner):
            return
        self.bus.send_to(owner, {"type": "ResetAgent"})
        deadline = time.monotonic() + 10
        while self.bus.connected(owner) and time.monotonic() < deadline:
            await asyncio.sleep(0.02)
