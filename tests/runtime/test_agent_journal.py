"""An agent's snapshot and journal (rbcc.runtime.agent_journal): what a restarted agent reads back."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from rbcc.runtime import agent_journal
from rbcc.runtime.agent_journal import JOURNAL, SNAPSHOT, StateJournal, load


@dataclass
class FakeNode:
    """A node whose version changes with its state, as a Node's does."""

    path: str
    state: str = "NOT_DEPLOYED"
    version: int = 0

    def __setattr__(self, name: str, value: object) -> None:
        object.__setattr__(self, name, value)
        if name == "state":
            object.__setattr__(self, "version", self.__dict__.get("version", 0) + 1)

    def to_text(self) -> str:
        return json.dumps({"spec": {"path": self.path}, "state": self.state})


def states(directory: Path) -> dict[str, str]:
    raw = load(directory)
    assert raw is not None
    return {n["spec"]["path"]: n["state"] for n in raw["model"]}


def one_change_written(directory: Path) -> tuple[list[FakeNode], StateJournal]:
    """A machine and one instance recorded, then the instance DEPLOYING, both written."""
    nodes = [FakeNode("/vm"), FakeNode("/vm/a")]
    journal = StateJournal(directory, {"scoped_instance": "/vm"})
    journal.record(nodes)
    nodes[1].state = "DEPLOYING"
    journal.record(nodes)
    journal.flush()
    return nodes, journal


def test_a_change_is_one_journal_line_and_the_snapshot_stays(tmp_path: Path) -> None:
    nodes = [FakeNode("/vm"), FakeNode("/vm/a"), FakeNode("/vm/b")]
    journal = StateJournal(tmp_path, {"scoped_instance": "/vm"})
    journal.record(nodes)
    journal.flush()
    snapshot = (tmp_path / SNAPSHOT).read_text()
    nodes[1].state = "DEPLOYING"
    journal.record(nodes)
    journal.flush()
    assert (tmp_path / SNAPSHOT).read_text() == snapshot
    lines = (tmp_path / JOURNAL).read_text().splitlines()
    assert len(lines) == 1 and '"/vm/a"' in lines[0] and '"/vm/b"' not in lines[0]
    assert states(tmp_path) == {"/vm": "NOT_DEPLOYED", "/vm/a": "DEPLOYING", "/vm/b": "NOT_DEPLOYED"}


def test_nothing_changed_records_nothing(tmp_path: Path) -> None:
    nodes = [FakeNode("/vm")]
    journal = StateJournal(tmp_path, {"scoped_instance": "/vm"})
    assert journal.record(nodes) == 1
    assert journal.record(nodes) == 0


def test_records_taken_before_a_flush_are_written_in_order(tmp_path: Path) -> None:
    nodes = [FakeNode("/vm"), FakeNode("/vm/a")]
    journal = StateJournal(tmp_path, {"scoped_instance": "/vm"})
    journal.record(nodes)
    for state in ("DEPLOYING", "DEPLOYED_STOPPED", "STARTING"):
        nodes[1].state = state
        journal.record(nodes)
    journal.flush()
    assert states(tmp_path)["/vm/a"] == "STARTING"


def test_a_new_instance_rewrites_the_snapshot_and_empties_the_journal(tmp_path: Path) -> None:
    nodes, journal = one_change_written(tmp_path)
    nodes.append(FakeNode("/vm/b", "DEPLOYING"))
    journal.record(nodes)
    assert journal.needs_thread()
    journal.flush()
    assert (tmp_path / JOURNAL).read_text() == ""
    assert states(tmp_path) == {"/vm": "NOT_DEPLOYED", "/vm/a": "DEPLOYING", "/vm/b": "DEPLOYING"}


def test_the_journal_is_compacted_once_it_outgrows_the_snapshot(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr(agent_journal, "MIN_COMPACT", 0)
    nodes = [FakeNode("/vm"), FakeNode("/vm/a")]
    journal = StateJournal(tmp_path, {"scoped_instance": "/vm"})
    journal.record(nodes)
    journal.flush()
    for i in range(40):
        nodes[1].state = f"S{i}"
        journal.record(nodes)
        journal.flush()
        assert (tmp_path / JOURNAL).stat().st_size <= 5 * (tmp_path / SNAPSHOT).stat().st_size + 200
    assert states(tmp_path)["/vm/a"] == "S39"


def test_journal_lines_older_than_the_snapshot_are_not_replayed(tmp_path: Path) -> None:
    """A crash between the new snapshot's rename and the journal's truncation leaves old lines."""
    nodes, journal = one_change_written(tmp_path)
    stale = (tmp_path / JOURNAL).read_bytes()
    nodes[1].state = "DEPLOYED_STOPPED"
    nodes.append(FakeNode("/vm/b"))
    journal.record(nodes)
    journal.flush()
    (tmp_path / JOURNAL).write_bytes(stale)
    assert states(tmp_path)["/vm/a"] == "DEPLOYED_STOPPED"


def test_a_line_cut_short_ends_the_replay(tmp_path: Path) -> None:
    nodes, journal = one_change_written(tmp_path)
    with (tmp_path / JOURNAL).open("ab") as out:
        out.write(b'{"g": 9, "nodes": [{"spec": {"path": "/vm/a"}, "sta')
    assert states(tmp_path)["/vm/a"] == "DEPLOYING"


def test_forgotten_files_start_again_from_a_snapshot(tmp_path: Path) -> None:
    nodes = [FakeNode("/vm")]
    journal = StateJournal(tmp_path / "agent", {"scoped_instance": "/vm"})
    journal.record(nodes)
    journal.flush()
    journal.forget()
    import shutil

    shutil.rmtree(tmp_path / "agent")
    nodes[0].state = "DEPLOYED_STARTED"
    journal.record(nodes)
    journal.flush()
    assert states(tmp_path / "agent") == {"/vm": "DEPLOYED_STARTED"}


def test_no_snapshot_reads_as_nothing_recorded(tmp_path: Path) -> None:
    assert load(tmp_path) is None
