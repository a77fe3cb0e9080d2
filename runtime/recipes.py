"""Running one recipe (runtime.md §4): a subprocess with an argument list and an environment dict.

The process gets its own session (so that a timeout kills its whole process group) and dies with
the manager (``PR_SET_PDEATHSIG`` on Linux, through ``setpriv`` when installed), so that no recipe outlives a crashed manager and runs
on unobserved.  Output (stdout and stderr together) is appended to the step's log file with a header
and a footer per run; the last 4 KiB are kept for ``last_problem``.
"""

from __future__ import annotations

import asyncio
import ctypes
import functools
import os
import shutil
import signal
import stat
import sys
import tempfile
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

TAIL_BYTES = 4096


@dataclass(frozen=True)
class RecipeResult:
    """How a recipe ended: ``exit_code`` None when it could not be launched or timed out."""

    ok: bool
    exit_code: int | None
    output: str  # the last 4 KiB of this run's output
    reason: str  # "", "timeout", or why it could not launch

    def problem(self, step: str) -> dict[str, object]:
        return {"step": step, "exit_code": self.exit_code, "reason": self.reason, "output": self.output}


def _die_with_parent() -> None:  # pragma: no cover - runs in the child
    if sys.platform.startswith("linux"):
        try:
            ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
        except OSError:
            pass


@functools.cache
def _pdeathsig_wrapper() -> tuple[str, ...]:
    """``setpriv --pdeathsig KILL --`` when util-linux has it: the child dies with the manager and
    Python can spawn without a ``preexec_fn`` (vfork: several times faster than fork here)."""
    setpriv = shutil.which("setpriv")
    if setpriv is None or not sys.platform.startswith("linux"):
        return ()
    return (setpriv, "--pdeathsig", "KILL", "--")


def make_scripts_executable(directory: Path) -> None:
    """The script plug-in's ``initialize``: chmod +x everything under ``scripts/``."""
    scripts = directory / "scripts"
    if not scripts.is_dir():
        return
    for p in scripts.rglob("*"):
        if p.is_file():
            p.chmod(p.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)


def _tail(log: Path, start: int) -> str:
    try:
        with log.open("rb") as handle:
            handle.seek(max(start, log.stat().st_size - TAIL_BYTES))
            return handle.read().decode("utf-8", "replace")
    except OSError:
        return ""


async def run_process(
    argv: list[str],
    *,
    cwd: Path,
    env: Mapping[str, str],
    log: Path,
    step: str,
    timeout: float,
    on_start: Callable[[int], None] | None = None,
) -> RecipeResult:
    """Run ``argv`` in ``cwd``; ``timeout`` seconds at most (0 = none), then the group is killed."""
    if not log.parent.is_dir():
        log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("ab") as out:
        out.write(f"=== {step} {time.strftime('%Y-%m-%dT%H:%M:%S')} {' '.join(argv)}\n".encode())
        out.flush()
        start = out.tell()
        wrapper = _pdeathsig_wrapper()
        try:
            proc = await asyncio.create_subprocess_exec(
                *wrapper,
                *argv,
                cwd=str(cwd),
                env=dict(env),
                stdin=asyncio.subprocess.DEVNULL,
                stdout=out,
                stderr=asyncio.subprocess.STDOUT,
                start_new_session=True,
                preexec_fn=None if wrapper else _die_with_parent,
            )
        except OSError as exc:
            reason = f"cannot run {argv[0]}: {exc.strerror or exc}"
            out.write(f"=== {step} failed to launch: {reason}\n".encode())
            return RecipeResult(False, None, reason, reason)
        if on_start is not None:
            on_start(proc.pid)
        try:
            code = await asyncio.wait_for(proc.wait(), timeout if timeout > 0 else None)
        except TimeoutError:
            _kill_group(proc.pid)
            await proc.wait()
            out.write(f"\n=== {step} killed after {timeout:g} s\n".encode())
            out.flush()
            return RecipeResult(False, None, _tail(log, start), "timeout")
        except asyncio.CancelledError:
            _kill_group(proc.pid)
            raise
        out.write(f"=== {step} exit {code}\n".encode())
        out.flush()
    return RecipeResult(code == 0, code, _tail(log, start), "" if code == 0 else f"exit code {code}")


def _kill_group(pid: int) -> None:
    try:
        os.killpg(pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


def kill_leftover(pid: int) -> None:
    """Kill what is left of the session a crashed manager's recipe ``pid`` led.

    The recipe itself died with the manager; what it started in the background may not have.
    Only processes of that very session (session id = ``pid``) are killed.
    """
    try:
        entries = os.listdir("/proc")
    except OSError:
        return
    for entry in entries:
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(stat[3]) == pid:  # fields after the name: state, ppid, pgrp, session
            try:
                os.kill(int(entry), signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass


def render_template(template: Path, context: dict[str, object]) -> Path:
    """A Mustache template rendered to an executable temporary file (the caller deletes it)."""
    import chevron

    text = chevron.render(template.read_text(encoding="utf-8"), context)
    fd, name = tempfile.mkstemp(prefix="rbcc-recipe-", suffix=".sh")
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(text)
    os.chmod(name, 0o755)
    return Path(name)
