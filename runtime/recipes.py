"""Running one recipe (runtime.md §4): a subprocess with an argument list and an environment dict.

The process gets its own session (so that a timeout kills its whole process group) and dies with
the manager (``PR_SET_PDEATHSIG`` on Linux, through ``setpriv`` when installed), so that no recipe
outlives a crashed manager and runs on unobserved.  It is spawned in a worker thread (spawning
waits until the child has exec'd: 1-5 ms the event loop need not spend) and its end is watched
through a pidfd on the event loop (no thread per child).  Output (stdout and stderr together) is
appended to the step's log file with a header and a footer per run; the last 4 KiB are kept for
``last_problem``.
"""

from __future__ import annotations

import asyncio
import ctypes
import functools
import os
import shutil
import signal
import stat
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Mapping
from concurrent.futures import Executor
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

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


def _tail(out: BinaryIO, start: int) -> str:
    """The last 4 KiB written since ``start`` to the log ``out`` (opened for reading too)."""
    try:
        out.flush()
        size = out.seek(0, os.SEEK_END)
        out.seek(max(start, size - TAIL_BYTES))
        return out.read().decode("utf-8", "replace")
    except OSError:
        return ""


def _open_log(log: Path) -> BinaryIO:
    """The step's log for appending (and reading back its tail); its directory is made when missing."""
    try:
        return log.open("a+b")
    except FileNotFoundError:
        log.parent.mkdir(parents=True, exist_ok=True)
        return log.open("a+b")


@dataclass
class _Launched:
    proc: subprocess.Popen[bytes] | None
    out: BinaryIO
    start: int
    reason: str = ""


def _launch(argv: list[str], cwd: Path, env: Mapping[str, str], log: Path, step: str) -> _Launched:
    """Open the log, write the run's header, start the process (in a worker thread: spawning blocks).

    Without a ``preexec_fn`` (``setpriv`` sets the death signal) CPython spawns with vfork; the
    calling thread waits until the child has exec'd, so this runs off the event loop.
    """
    out = _open_log(log)
    try:
        out.write(f"=== {step} {time.strftime('%Y-%m-%dT%H:%M:%S')} {' '.join(argv)}\n".encode())
        out.flush()
        start = out.tell()
        wrapper = _pdeathsig_wrapper()
        try:
            proc = subprocess.Popen(
                [*wrapper, *argv],
                cwd=str(cwd),
                env=dict(env),
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
                preexec_fn=None if wrapper else _die_with_parent,
            )
        except OSError as exc:
            reason = f"cannot run {argv[0]}: {exc.strerror or exc}"
            out.write(f"=== {step} failed to launch: {reason}\n".encode())
            out.close()
            return _Launched(None, out, start, reason)
    except BaseException:
        out.close()
        raise
    return _Launched(proc, out, start)


def _exit_code(loop: asyncio.AbstractEventLoop, proc: subprocess.Popen[bytes]) -> asyncio.Future[int]:
    """A future set to ``proc``'s exit code once it has ended (the process is reaped then).

    Linux ≥ 5.3: a pidfd the event loop watches (no thread per child, unlike asyncio's
    ThreadedChildWatcher); elsewhere a daemon thread waits for it.
    """
    done: asyncio.Future[int] = loop.create_future()

    def settle(code: int) -> None:
        if not done.done():
            done.set_result(code)

    try:
        fd = os.pidfd_open(proc.pid)
    except (AttributeError, OSError):
        fd = -1
    if fd >= 0:

        def ready() -> None:
            loop.remove_reader(fd)
            os.close(fd)
            settle(proc.wait())

        try:
            loop.add_reader(fd, ready)
            return done
        except NotImplementedError:
            os.close(fd)

    def wait() -> None:
        code = proc.wait()
        try:
            loop.call_soon_threadsafe(settle, code)
        except RuntimeError:  # the loop is closed: nobody waits any more
            pass

    threading.Thread(target=wait, name=f"wait {proc.pid}", daemon=True).start()
    return done


def _abandon(launching: asyncio.Future[_Launched]) -> None:
    """The caller was cancelled while the process was being started: kill it once it exists."""
    if launching.cancelled() or launching.exception() is not None:
        return
    launched = launching.result()
    launched.out.close()
    if launched.proc is not None:
        _kill_group(launched.proc.pid)
        _exit_code(asyncio.get_running_loop(), launched.proc)  # reaped when it is gone


async def run_process(
    argv: list[str],
    *,
    cwd: Path,
    env: Mapping[str, str],
    log: Path,
    step: str,
    timeout: float,
    on_start: Callable[[int], None] | None = None,
    spawner: Executor | None = None,
) -> RecipeResult:
    """Run ``argv`` in ``cwd``; ``timeout`` seconds at most (0 = none), then the group is killed.

    The process is started in a thread of ``spawner`` (default: the loop's executor), which must
    live as long as the process: ``PR_SET_PDEATHSIG`` fires when the thread that forked it ends.
    """
    loop = asyncio.get_running_loop()
    launching = loop.run_in_executor(spawner, _launch, argv, cwd, env, log, step)
    try:
        launched = await asyncio.shield(launching)
    except asyncio.CancelledError:
        launching.add_done_callback(_abandon)
        raise
    if launched.proc is None:
        return RecipeResult(False, None, launched.reason, launched.reason)
    proc, out = launched.proc, launched.out
    with out:
        exited = _exit_code(loop, proc)
        if on_start is not None:
            on_start(proc.pid)
        try:
            code = await asyncio.wait_for(asyncio.shield(exited), timeout if timeout > 0 else None)
        except TimeoutError:
            _kill_group(proc.pid)
            await exited
            out.write(f"\n=== {step} killed after {timeout:g} s\n".encode())
            return RecipeResult(False, None, _tail(out, launched.start), "timeout")
        except asyncio.CancelledError:
            _kill_group(proc.pid)
            raise
        out.write(f"=== {step} exit {code}\n".encode())
        tail = _tail(out, launched.start)
    return RecipeResult(code == 0, code, tail, "" if code == 0 else f"exit code {code}")


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
