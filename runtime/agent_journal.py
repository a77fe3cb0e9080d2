"""An agent's durable state: ``agent-state.json`` (a snapshot) and ``agent-state.journal`` (what changed since).

Agents record their instances before and after every recipe (runtime.md §9 "Durable state").
Rewriting the whole model each time cost a 128 KB file per step for a 100-instance machine, and
each replacing rename makes ext4 write the new file's blocks out (``auto_da_alloc``): on a busy
deployment the writes, not the recipes, set the pace.  So a record is one appended line holding
the instances that changed (their whole JSON, spec included: replaying a line needs nothing else),
and the snapshot is rewritten only when the set of instances changes or the journal has grown
past a few snapshots' worth (compaction).

Ordering, so that a crash at any point loses nothing and replays nothing stale: every record has
a generation ``g``; the snapshot carries the generation it was taken at; the journal is truncated
only *after* the new snapshot is in place, and lines at or below the snapshot's generation are
skipped on load.  A line cut short (the host lost power mid-write) ends the replay.  Nothing is
fsync'ed, as before: a record survives the death of the process, which is what resuming needs.

Records are taken on the event loop (:meth:`StateJournal.record`, the model is only touched there)
and written by :meth:`StateJournal.flush`, from any thread, in the order they were taken.
"""

from __future__ import annotations

import json
import os
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from rbcc.atomic import write_atomically

SNAPSHOT = "agent-state.json"
JOURNAL = "agent-state.journal"
#: the journal is compacted once it is this many times the snapshot's size (and at least MIN_COMPACT)
COMPACT_FACTOR = 4
MIN_COMPACT = 256 * 1024


class Recorded(Protocol):
    """What the journal needs of a node: its path, a version that changes with it, its JSON text."""

    @property
    def path(self) -> str: ...

    #: changes whenever the node does (assignments, and edits in place the agent declares)
    version: int

    def to_text(self) -> str: ...


@dataclass
class _Entry:
    generation: int
    #: the whole snapshot text (a compaction), or None
    snapshot: str | None
    #: journal line (without the newline), when not a snapshot
    line: str | None


class StateJournal:
    """The snapshot and journal of one agent, in ``directory`` (made on the first write)."""

    def __init__(self, directory: Path, header: dict[str, Any]) -> None:
        self.directory = directory
        self._head = json.dumps(header, ensure_ascii=False)[:-1]
        self._lock = threading.Lock()
        self._queue: list[_Entry] = []
        self._generation = 0
        #: path → the node's version last recorded
        self._last: dict[str, int] = {}
        self._journal_bytes = 0
        self._snapshot_bytes = 0
        self._made = False
        #: the journal, open for appending (None until the first flush, and after close/forget)
        self._fd: int | None = None

    # ------------------------------------------------------------------ on the event loop
    def record(self, nodes: list[Recorded]) -> int:
        """Take a record of ``nodes`` (the agent's whole model); returns its generation (0: nothing changed)."""
        versions = {n.path: n.version for n in nodes}
        compact = (
            versions.keys() != self._last.keys()
            or not self._made
            or self._journal_bytes > max(MIN_COMPACT, COMPACT_FACTOR * self._snapshot_bytes)
        )
        if compact:  # every node's text, from its fingerprint: also what a version missed
            self._generation += 1
            body = ",\n".join(n.to_text() for n in nodes)
            text = f'{self._head}, "g": {self._generation}, "model": [{body}]}}'
            entry = _Entry(self._generation, text, None)
            self._journal_bytes, self._snapshot_bytes = 0, len(text)
        else:
            last = self._last
            changed = [n.to_text() for n in nodes if last[n.path] != n.version]
            if not changed:
                return 0
            self._generation += 1
            line = f'{{"g": {self._generation}, "nodes": [{",".join(changed)}]}}'
            entry = _Entry(self._generation, None, line)
            self._journal_bytes += len(line) + 1
        self._last = versions
        self._made = True
        with self._lock:
            self._queue.append(entry)
        return self._generation

    def needs_thread(self) -> bool:
        """Whether a flush now would rewrite the snapshot (worth a worker thread; appends are not)."""
        with self._lock:
            return any(e.snapshot is not None for e in self._queue)

    def forget(self) -> None:
        """The files were removed: the next record is a snapshot again."""
        self.close()
        with self._lock:
            self._queue.clear()
        self._last = {}
        self._made = False

    # ------------------------------------------------------------------ any thread
    def flush(self) -> None:
        """Write every record taken so far, in order (a later snapshot makes the earlier records moot)."""
        with self._lock:
            queue, self._queue = self._queue, []
            if not queue:
                return
            last_snapshot = max((i for i, e in enumerate(queue) if e.snapshot is not None), default=-1)
            if self._fd is None:  # opened once: on a busy host an open (or a mkdir) costs more than the append
                self.directory.mkdir(parents=True, exist_ok=True)
                self._fd = os.open(
                    self.directory / JOURNAL, os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_CLOEXEC, 0o600
                )
            if last_snapshot >= 0:
                snapshot = queue[last_snapshot].snapshot
                assert snapshot is not None
                write_atomically(self.directory / SNAPSHOT, snapshot)
                # only now: a crash before this line leaves journal lines the snapshot's g skips
                os.ftruncate(self._fd, 0)
                queue = queue[last_snapshot + 1 :]
            if queue:
                data = "".join(e.line + "\n" for e in queue if e.line is not None).encode("utf-8")
                while data:
                    data = data[os.write(self._fd, data) :]

    def close(self) -> None:
        """Close the journal file (the agent stops, or its files go)."""
        with self._lock:
            if self._fd is not None:
                os.close(self._fd)
                self._fd = None


def load(directory: Path) -> dict[str, Any] | None:
    """The recorded state (``{"scoped_instance": …, "model": [node JSON…]}``) with the journal replayed;
    None when there is no readable snapshot."""
    try:
        raw = json.loads((directory / SNAPSHOT).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(raw, dict):
        return None
    base = int(raw.get("g") or 0)
    model: list[dict[str, Any]] = list(raw.get("model") or [])
    index = {n["spec"]["path"]: i for i, n in enumerate(model)}
    try:
        lines = (directory / JOURNAL).read_bytes().split(b"\n")
    except OSError:
        lines = []
    for line in lines:
        if not line.strip():
            continue
        try:
            entry = json.loads(line)
        except ValueError:
            break  # cut short: what follows was never written
        if int(entry.get("g") or 0) <= base:
            continue
        for node in entry.get("nodes") or []:
            path = node["spec"]["path"]
            if path in index:
                model[index[path]] = node
            else:
                index[path] = len(model)
                model.append(node)
    raw["model"] = model
    return raw
