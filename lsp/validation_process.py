"""Validation in a child process, so that the server's event loop never waits for it.

Validating a 1,000-component application costs a few hundred milliseconds of pure Python; on a
thread it would hold the interpreter lock against the loop, and completion, hover and
definition would wait for it.  One child process (``python -m rbcc.lsp.validation_process``: it
imports the DSL only, not the server) keeps its own parses (``LatestParses``), so a
re-validation only re-parses the files whose text changed.  It receives, for each validation, the texts of the open
documents (``Snapshot.overlays``) and the layout counter of the application (a new counter: files
were created, deleted or renamed on disk, so what the loader learnt about the layout is dropped),
and sends back the problems by project-relative file.  Requests and answers are pickled over
the child's own pipes (never the LSP stream); a thread of the server waits for the answers,
blocked in ``read`` (it does not hold the interpreter lock meanwhile).

The child ends with the server (its standard input closes); a child that died is replaced at
the next validation.
"""

from __future__ import annotations

import logging
import os
import pickle
import subprocess
import sys
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import BinaryIO

from rbcc.dsl import LayoutCache, Problem
from rbcc.lsp.workspace import Snapshot, Workspace

log = logging.getLogger(__name__)

#: (application root, loose?, overlays, layout counter, compat)
Request = tuple[Path, bool, dict[str, str], int, str | None]


class ValidationProcessDied(Exception):
    """The child process ended (killed, out of memory) before it answered."""


class _Child:
    """What the child process keeps between validations."""

    def __init__(self) -> None:
        self.ws = Workspace()
        self.layouts: dict[Path, tuple[int, LayoutCache]] = {}

    def validate(
        self, root: Path, loose: bool, overlays: dict[str, str], layout: int, compat: str | None = None
    ) -> dict[str, list[Problem]]:
        known = self.layouts.get(root)
        if known is None or known[0] != layout:
            known = (layout, LayoutCache())
            self.layouts[root] = known
        return self.ws.run(root, loose, Snapshot(0, layout, overlays, known[1], compat)).by_file


def serve_requests(requests: BinaryIO, answers: BinaryIO) -> None:
    """The child's loop: one pickled request in, one pickled ``(status, value)`` answer out."""
    child = _Child()
    while True:
        try:
            request: Request = pickle.load(requests)
        except EOFError:  # the server is gone
            return
        try:
            answer: tuple[str, object] = ("ok", child.validate(*request))
        except Exception as exc:  # Workspace.run keeps the front end's own failures; report ours
            log.exception("validation failed")
            answer = ("error", f"{type(exc).__name__}: {exc}")
        pickle.dump(answer, answers, protocol=pickle.HIGHEST_PROTOCOL)
        answers.flush()


def main() -> None:
    """Entry point of the child process."""
    answers = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)  # whatever else writes on descriptor 1 goes to standard error, not to the server
    sys.stdout = sys.stderr
    serve_requests(sys.stdin.buffer, answers)


class ValidationProcess:
    """The server's handle on its validation child (started on first use, or by ``start``)."""

    def __init__(self) -> None:
        self._proc: subprocess.Popen[bytes] | None = None
        self._io = ThreadPoolExecutor(max_workers=1, thread_name_prefix="rbcc-validation")

    def start(self) -> None:
        """Start the child now (its imports take a moment) rather than at the first validation."""
        self._io.submit(self._ensure)

    def submit(self, root: Path, loose: bool, snap: Snapshot) -> Future[dict[str, list[Problem]]]:
        """Validate ``root`` from ``snap`` in the child; requests are answered in order."""
        return self._io.submit(self._roundtrip, (root, loose, snap.overlays, snap.layout, snap.compat))

    @property
    def pid(self) -> int | None:
        return self._proc.pid if self._proc is not None and self._proc.poll() is None else None

    def _ensure(self) -> subprocess.Popen[bytes]:
        if self._proc is None or self._proc.poll() is not None:
            self._proc = subprocess.Popen(
                [sys.executable, "-P", "-m", "rbcc.lsp.validation_process"],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                close_fds=True,
            )
        return self._proc

    def _roundtrip(self, request: Request) -> dict[str, list[Problem]]:
        proc = self._ensure()
        assert proc.stdin is not None and proc.stdout is not None
        try:
            pickle.dump(request, proc.stdin, protocol=pickle.HIGHEST_PROTOCOL)
            proc.stdin.flush()
            status, value = pickle.load(proc.stdout)
        except (OSError, EOFError, pickle.UnpicklingError) as exc:
            self._stop(proc)
            raise ValidationProcessDied(f"validation process {proc.pid} ended: {exc}") from exc
        if status != "ok":
            raise RuntimeError(str(value))
        result: dict[str, list[Problem]] = value
        return result

    def _stop(self, proc: subprocess.Popen[bytes]) -> None:
        if proc.stdin is not None:
            try:
                proc.stdin.close()
            except OSError:
                pass
        try:
            proc.wait(timeout=2)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        if self._proc is proc:
            self._proc = None

    def close(self) -> None:
        """Stop the child (it exits when its input closes) and the waiting thread."""
        self._io.shutdown(wait=False, cancel_futures=True)
        if self._proc is not None:
            self._stop(self._proc)


if __name__ == "__main__":
    main()
