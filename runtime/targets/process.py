"""The ``process`` target handler (runtime.md §9 "Targets"): one ``rbcc agent`` subprocess per machine.

The agent runs ``python -m rbcc.cli agent --user-data FILE`` in a session of its own, so that it
outlives the command that started it (there is no daemon: each ``rbcc`` command is a session) and
reconnects to the next session's broker.  Its files are ``state/machines/<clean path>/``
(``user-data.properties``, ``agent.log``, ``agent.id``) and, as for a local agent, ``state/agents/<clean path>/``.

The machine id is ``<pid>:<start time>:<clean path>``, the start time being field 22 of
``/proc/<pid>/stat`` (clock ticks since boot), so that a recycled pid is never taken for the agent.
Terminating sends SIGTERM (the agent says MachineDown and exits), then SIGKILL after 10 s.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

from rbcc.atomic import write_atomically
from rbcc.runtime import user_data
from rbcc.runtime.targets.base import MachineRequest, TargetError, TargetHandler

MACHINES = "machines"
USER_DATA = "user-data.properties"
#: the id of the agent last started for the machine (an orphan's, should the manager crash first)
ID_FILE = "agent.id"
KILL_AFTER = 10.0


def clean_name(path: str) -> str:
    return path.lstrip("/").replace("/", "_").replace(" ", "_")


def start_time(pid: int) -> str | None:
    """The start time of process ``pid`` (``/proc/<pid>/stat`` field 22), None when there is none."""
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = raw[raw.rfind(")") + 2 :].split()
    if len(fields) < 20 or fields[0] == "Z":
        return None  # a zombie is not running
    return fields[19]


def parse_id(machine_id: str) -> tuple[int, str, str]:
    pid, ticks, name = machine_id.split(":", 2)
    return int(pid), ticks, name


def agent_command(user_data_file: Path) -> list[str]:
    return [sys.executable, "-m", "rbcc.cli", "agent", "--user-data", str(user_data_file)]


class ProcessHandler(TargetHandler):
    name = "process"
    #: the manager may ask whether a booting agent still runs at each heartbeat check (a /proc read)
    watch_boot = True

    def __init__(self, state_dir: Path, env: dict[str, str] | None = None) -> None:
        self.state_dir = state_dir
        self.env = env

    def machine_dir(self, name: str) -> Path:
        return self.state_dir / MACHINES / name

    async def create_machine(self, request: MachineRequest) -> str:
        name = clean_name(request.scoped_path)
        directory = self.machine_dir(name)
        # an agent started just before a manager crash, whose id never reached the store
        orphan = directory / ID_FILE
        if orphan.is_file():
            await self._stop(orphan.read_text().strip())
        # a new machine starts empty: what an agent that went down left behind is not restored
        shutil.rmtree(self.state_dir / "agents" / name, ignore_errors=True)
        user_data.write(directory / USER_DATA, request.user_data)
        return self._spawn(directory, name)

    def _spawn(self, directory: Path, name: str) -> str:
        with (directory / "agent.log").open("ab") as out:
            try:
                proc = subprocess.Popen(
                    agent_command(directory / USER_DATA),
                    stdin=subprocess.DEVNULL,
                    stdout=out,
                    stderr=subprocess.STDOUT,
                    start_new_session=True,
                    env=self.env,
                    cwd=directory,
                )
            except OSError as exc:
                raise TargetError(f"cannot start an rbcc agent ({exc.strerror or exc})") from None
        # the child is reaped by nobody else: a watcher thread keeps it from staying a zombie
        threading.Thread(target=proc.wait, name=f"reaper {proc.pid}", daemon=True).start()
        ticks = start_time(proc.pid)
        if ticks is None:
            raise TargetError(f"the rbcc agent exited at once (see {directory / 'agent.log'})")
        machine_id = f"{proc.pid}:{ticks}:{name}"
        write_atomically(directory / ID_FILE, machine_id + "\n")
        return machine_id

    async def is_machine_running(self, machine_id: str) -> bool:
        try:
            pid, ticks, _ = parse_id(machine_id)
        except ValueError:
            return False
        return start_time(pid) == ticks

    async def revive(self, machine_id: str) -> str:
        """A dead agent started again on its user data: it restores itself from its ``agent-state.json``."""
        _, _, name = parse_id(machine_id)
        directory = self.machine_dir(name)
        if not (directory / USER_DATA).is_file():
            raise TargetError(f"{directory / USER_DATA}: gone, the agent cannot be started again")
        return self._spawn(directory, name)

    def exit_reason(self, machine_id: str) -> str | None:
        """Why an agent that exited did so: the last ``rbcc: …`` line of its ``agent.log`` (a refused
        token or broker credentials, a bad user data), None when it says nothing."""
        try:
            _, _, name = parse_id(machine_id)
            with (self.machine_dir(name) / "agent.log").open("rb") as log_file:
                log_file.seek(0, os.SEEK_END)
                log_file.seek(max(0, log_file.tell() - 8192))
                tail = log_file.read().decode("utf-8", "replace").splitlines()
        except (ValueError, OSError):
            return None
        said = [line[len("rbcc: ") :] for line in tail if line.startswith("rbcc: ")]
        return said[-1] if said else None

    def rewrite_url(self, machine_id: str, url: str) -> None:
        """Point the agent's user data at a new broker address (it re-reads it before reconnecting)."""
        _, _, name = parse_id(machine_id)
        path = self.machine_dir(name) / USER_DATA
        if path.is_file():
            values = user_data.read(path)
            if values.get("rbcc.dm.url") != url:
                values["rbcc.dm.url"] = url
                user_data.write(path, values)

    async def terminate_machine(self, machine_id: str) -> None:
        try:
            _, _, name = parse_id(machine_id)
        except ValueError:
            return
        await self._stop(machine_id)
        shutil.rmtree(self.machine_dir(name), ignore_errors=True)
        shutil.rmtree(self.state_dir / "agents" / name, ignore_errors=True)

    async def _stop(self, machine_id: str) -> None:
        """SIGTERM, then SIGKILL after :data:`KILL_AFTER` seconds; nothing when it is not running."""
        try:
            pid, ticks, _ = parse_id(machine_id)
        except ValueError:
            return
        if start_time(pid) == ticks:
            os.kill(pid, signal.SIGTERM)
            deadline = time.monotonic() + KILL_AFTER
            while start_time(pid) == ticks and time.monotonic() < deadline:
                await asyncio.sleep(0.02)
            if start_time(pid) == ticks:
                os.kill(pid, signal.SIGKILL)
                while start_time(pid) == ticks:
                    await asyncio.sleep(0.02)
