"""The manager's durable state: one SQLite file (``<state>/rbcc.db``) in WAL mode.

Every manager transition is one transaction, committed **before** the manager acts on it (sends
the messages it queued, reports it): after a crash the store holds every decision that had
effects.  Tables: instances (reference model entry, state, desired state, imports, data, last
problem), random ports, the outbox per machine, the bus token of each machine's agent, the event
log, and a key/value ``meta``.
"""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rbcc.errors import RbccError

DB_FILE = "rbcc.db"
SCHEMA_VERSION = "1"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS instances (
    path TEXT PRIMARY KEY,
    position INTEGER NOT NULL,
    component TEXT NOT NULL,
    scoped INTEGER NOT NULL,
    state TEXT NOT NULL,
    desired TEXT,
    imports TEXT NOT NULL DEFAULT '{}',
    data TEXT NOT NULL DEFAULT '{}',
    last_problem TEXT,
    model TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS random_ports (
    path TEXT NOT NULL, variable TEXT NOT NULL, agent TEXT NOT NULL, port INTEGER NOT NULL,
    PRIMARY KEY (path, variable)
);
CREATE TABLE IF NOT EXISTS outbox (id INTEGER PRIMARY KEY AUTOINCREMENT, machine TEXT NOT NULL, msg TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS tokens (machine TEXT PRIMARY KEY, token TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS events (
    id INTEGER PRIMARY KEY AUTOINCREMENT, time REAL NOT NULL, kind TEXT NOT NULL, path TEXT, detail TEXT
);
"""


class StoreError(RbccError):
    """The state database cannot be opened or written."""


@dataclass
class InstanceRecord:
    path: str
    position: int
    component: str
    scoped: bool
    state: str
    desired: str | None
    imports: dict[str, Any]
    data: dict[str, Any]
    last_problem: Any
    model: dict[str, Any]


class Transaction:
    """The writes of one manager transition (see :meth:`Store.transaction`)."""

    def __init__(self, db: sqlite3.Connection) -> None:
        self.db = db

    def put_instance(self, r: InstanceRecord) -> None:
        self.db.execute(
            "INSERT OR REPLACE INTO instances VALUES (?,?,?,?,?,?,?,?,?,?)",
            (
                r.path,
                r.position,
                r.component,
                int(r.scoped),
                r.state,
                r.desired,
                json.dumps(r.imports, ensure_ascii=False),
                json.dumps(r.data, ensure_ascii=False),
                None if r.last_problem is None else json.dumps(r.last_problem, ensure_ascii=False),
                json.dumps(r.model, ensure_ascii=False),
            ),
        )

    def delete_instance(self, path: str) -> None:
        self.db.execute("DELETE FROM instances WHERE path = ?", (path,))
        self.db.execute("DELETE FROM random_ports WHERE path = ?", (path,))

    def put_port(self, path: str, variable: str, agent: str, port: int) -> None:
        self.db.execute("INSERT OR REPLACE INTO random_ports VALUES (?,?,?,?)", (path, variable, agent, port))

    def enqueue(self, machine: str, msg: dict[str, Any]) -> None:
        self.db.execute("INSERT INTO outbox (machine, msg) VALUES (?, ?)", (machine, json.dumps(msg)))

    def drop_outbox(self, machine: str, upto: int | None = None) -> None:
        if upto is None:
            self.db.execute("DELETE FROM outbox WHERE machine = ?", (machine,))
        else:
            self.db.execute("DELETE FROM outbox WHERE machine = ? AND id <= ?", (machine, upto))

    def event(self, kind: str, path: str | None, detail: Any = None) -> None:
        self.db.execute(
            "INSERT INTO events (time, kind, path, detail) VALUES (?,?,?,?)",
            (time.time(), kind, path, None if detail is None else json.dumps(detail, ensure_ascii=False)),
        )

    def put_token(self, machine: str, token: str) -> None:
        self.db.execute("INSERT OR REPLACE INTO tokens VALUES (?, ?)", (machine, token))

    def drop_token(self, machine: str) -> None:
        self.db.execute("DELETE FROM tokens WHERE machine = ?", (machine,))

    def set_meta(self, key: str, value: str) -> None:
        self.db.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", (key, value))


class Store:
    """The open database of one application's state directory."""

    def __init__(self, state_dir: Path) -> None:
        state_dir.mkdir(parents=True, exist_ok=True)
        self.path = state_dir / DB_FILE
        try:
            self.db = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
            self.db.execute("PRAGMA journal_mode=WAL")
            self.db.execute("PRAGMA synchronous=NORMAL")
            self.db.execute("PRAGMA busy_timeout=5000")
            self.db.executescript(_SCHEMA)
        except sqlite3.Error as exc:
            raise StoreError(f"{self.path}: cannot open the state database ({exc})") from None
        self.transactions = 0
        version = self.meta("schema")
        if version is None:
            with self.transaction() as tx:
                tx.set_meta("schema", SCHEMA_VERSION)
        elif version != SCHEMA_VERSION:
            raise StoreError(f"{self.path}: state written by another version of rbcc (schema {version})")

    def close(self) -> None:
        self.db.close()

    @contextmanager
    def transaction(self) -> Iterator[Transaction]:
        """One transaction: committed when the block ends, rolled back if it raises."""
        try:
            self.db.execute("BEGIN IMMEDIATE")
        except sqlite3.Error as exc:
            raise StoreError(f"{self.path}: {exc}") from None
        try:
            yield Transaction(self.db)
        except BaseException:
            self.db.execute("ROLLBACK")
            raise
        self.db.execute("COMMIT")
        self.transactions += 1

    def meta(self, key: str) -> str | None:
        row = self.db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return None if row is None else str(row[0])

    def instances(self) -> list[InstanceRecord]:
        rows = self.db.execute("SELECT * FROM instances ORDER BY position, path").fetchall()
        return [
            InstanceRecord(
                path=r[0],
                position=r[1],
                component=r[2],
                scoped=bool(r[3]),
                state=r[4],
                desired=r[5],
                imports=json.loads(r[6]),
                data=json.loads(r[7]),
                last_problem=None if r[8] is None else json.loads(r[8]),
                model=json.loads(r[9]),
            )
            for r in rows
        ]

    def ports(self) -> list[tuple[str, str, str, int]]:
        return [tuple(r) for r in self.db.execute("SELECT path, variable, agent, port FROM random_ports")]

    def outbox(self, machine: str) -> list[tuple[int, dict[str, Any]]]:
        rows = self.db.execute("SELECT id, msg FROM outbox WHERE machine = ? ORDER BY id", (machine,)).fetchall()
        return [(int(i), json.loads(msg)) for i, msg in rows]

    def tokens(self) -> dict[str, str]:
        """Machine (scoped path) → the bus token of its agent."""
        return {str(m): str(t) for m, t in self.db.execute("SELECT machine, token FROM tokens")}

    def events(self, since: int = 0) -> list[tuple[int, float, str, str | None, Any]]:
        rows = self.db.execute("SELECT * FROM events WHERE id > ? ORDER BY id", (since,)).fetchall()
        return [(r[0], r[1], r[2], r[3], None if r[4] is None else json.loads(r[4])) for r in rows]
