"""One watching manager per deployment: ``rbcc deploy --watch`` holds a lock on its state directory.

Two managers on one state directory would both send requests and both decide rules. The watching
manager holds an exclusive ``flock`` on ``<state>/watch.lock`` (which records its pid) for as long
as it runs; the other executor commands ask :func:`watching` first and refuse with the pid. The
kernel drops the lock when the process ends, however it ends: no stale lock after a crash.
"""

from __future__ import annotations

import fcntl
import os
from pathlib import Path
from typing import IO

from rbcc.errors import RbccError

LOCK_FILE = "watch.lock"


class WatchLock:
    """The lock a watching manager holds (:meth:`acquire`, then :meth:`release` or process exit)."""

    def __init__(self, state_dir: Path) -> None:
        self.path = state_dir / LOCK_FILE
        self._file: IO[str] | None = None

    def acquire(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        f = self.path.open("a+", encoding="utf-8")
        try:
            fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            f.seek(0)
            pid = f.read().strip() or "?"
            f.close()
            raise RbccError(f"{self.path.parent}: a manager already watches this deployment (pid {pid})") from None
        f.seek(0)
        f.truncate()
        f.write(str(os.getpid()))
        f.flush()
        self._file = f

    def release(self) -> None:
        if self._file is not None:
            fcntl.flock(self._file, fcntl.LOCK_UN)
            self._file.close()
            self._file = None


def watching(state_dir: Path) -> int | None:
    """The pid of the manager watching ``state_dir``, or None."""
    path = state_dir / LOCK_FILE
    try:
        f = path.open("r", encoding="utf-8")
    except OSError:
        return None
    with f:
        try:
            fcntl.flock(f, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:
            text = f.read().strip()
            return int(text) if text.isdigit() else -1
        fcntl.flock(f, fcntl.LOCK_UN)
    return None


def refuse_if_watched(state_dir: Path, what: str) -> None:
    """RbccError when a watching manager runs on ``state_dir``: ``what`` would compete with it."""
    pid = watching(state_dir)
    if pid is not None:
        raise RbccError(
            f"{state_dir}: a manager watches this deployment (rbcc deploy --watch, pid {pid}); "
            f"stop it (SIGINT or SIGTERM) before {what}"
        )
