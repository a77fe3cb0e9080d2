"""The autonomic part of the store (runtime.md §9 "Durable state"): events, firings, commands, timing.

Tables of the deployment's ``rbcc.db``, created beside the executor's own (:mod:`rbcc.runtime.store`)
and written in its transactions:

* ``autonomic_events``: every event record (an ``Autonomic`` message the manager took): time,
  event, the machine and instance whose probe sent it, what the probe saw;
* ``rule_firings``: every rule that fired, for which record, and why;
* ``rule_state``: per rule its last trigger (event and record time) and when it fired, so that a
  restarted manager keeps the sleep periods (the records themselves come back from
  ``autonomic_events``);
* ``command_history``: every commands file run (Roboconf's history): application, command,
  origin (``manual``, ``autonomic``, ``command`` for a file run by ``execute``), start, duration,
  result (``ok``, ``ok-with-skipped``, ``invalid``, ``failed``) and details (the error, the
  changes, the skipped lines, the effects).

The VM count of the autonomic cap (§6.4) needs no table: machines created by rules carry the data
``autonomic`` in their instance record, which the store already persists.
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

from rbcc.errors import RbccError
from rbcc.runtime.autonomic.rules import RuleEngine
from rbcc.runtime.store import DB_FILE, Store, Transaction

SCHEMA = """
CREATE TABLE IF NOT EXISTS autonomic_events (
    id INTEGER PRIMARY KEY AUTOINCREMENT, time REAL NOT NULL, application TEXT NOT NULL, event TEXT NOT NULL,
    scoped_path TEXT, instance_path TEXT, info TEXT
);
CREATE INDEX IF NOT EXISTS autonomic_events_by_event ON autonomic_events (event, id);
CREATE TABLE IF NOT EXISTS rule_firings (
    id INTEGER PRIMARY KEY AUTOINCREMENT, time REAL NOT NULL, application TEXT NOT NULL, rule TEXT NOT NULL,
    event TEXT NOT NULL, record_time REAL NOT NULL, reason TEXT
);
CREATE TABLE IF NOT EXISTS rule_state (
    rule TEXT PRIMARY KEY, trigger_event TEXT NOT NULL, trigger_time REAL NOT NULL, fired_at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS command_history (
    id INTEGER PRIMARY KEY AUTOINCREMENT, application TEXT NOT NULL, command TEXT NOT NULL, origin TEXT NOT NULL,
    start REAL NOT NULL, duration REAL NOT NULL, result TEXT NOT NULL, details TEXT
);
"""

ORIGINS = ("manual", "autonomic", "command")


class Audit:
    """The autonomic tables of an open :class:`~rbcc.runtime.store.Store`."""

    def __init__(self, store: Store, application: str) -> None:
        self.store = store
        self.application = application
        try:
            store.db.executescript(SCHEMA)
        except sqlite3.Error as exc:
            raise RbccError(f"{store.path}: cannot create the autonomic tables ({exc})") from None

    # ------------------------------------------------------------------ writes (inside a transaction)
    def event(self, tx: Transaction, time: float, event: str, scoped: str | None, path: str | None, info: str) -> None:
        tx.db.execute(
            "INSERT INTO autonomic_events (time, application, event, scoped_path, instance_path, info) "
            "VALUES (?,?,?,?,?,?)",
            (time, self.application, event, scoped, path, info),
        )

    def firing(self, tx: Transaction, time: float, rule: str, event: str, record_time: float, reason: str) -> None:
        tx.db.execute(
            "INSERT INTO rule_firings (time, application, rule, event, record_time, reason) VALUES (?,?,?,?,?,?)",
            (time, self.application, rule, event, record_time, reason),
        )
        tx.db.execute("INSERT OR REPLACE INTO rule_state VALUES (?,?,?,?)", (rule, event, record_time, time))

    def command(
        self, command: str, origin: str, start: float, duration: float, result: str, details: dict[str, Any]
    ) -> None:
        """One commands file run, in a transaction of its own."""
        with self.store.transaction() as tx:
            tx.db.execute(
                "INSERT INTO command_history (application, command, origin, start, duration, result, details) "
                "VALUES (?,?,?,?,?,?,?)",
                (self.application, command, origin, start, duration, result, json.dumps(details, ensure_ascii=False)),
            )

    # ------------------------------------------------------------------ reads
    def restore(self, engine: RuleEngine) -> None:
        """Put the recorded timing state back into ``engine`` (after a manager restart)."""
        for rule, event, trigger, fired in self.store.db.execute("SELECT * FROM rule_state"):
            if rule in engine.rules:
                engine.triggers[rule] = (event, float(trigger))
                engine.fired_at[rule] = float(fired)
        for event in {r.event for r in engine.rules.values()}:
            keep = max((r.occurrences for r in engine.rules.values() if r.event == event), default=1)
            rows = self.store.db.execute(
                "SELECT time FROM autonomic_events WHERE event = ? ORDER BY id DESC LIMIT ?", (event, keep)
            ).fetchall()
            if rows:
                from collections import deque

                engine.records[event] = deque((float(r[0]) for r in reversed(rows)), maxlen=max(1, keep))

    def counts(self) -> dict[str, int]:
        db = self.store.db
        return {
            table: int(db.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0])
            for table in ("autonomic_events", "rule_firings", "command_history")
        }


def read_audit(state_dir: Path, limit: int | None = None) -> list[dict[str, Any]]:
    """The audit log of a deployment, oldest first: events, firings and commands, merged by time.

    Each entry: ``{"kind": "event"|"firing"|"command", "time", …}`` (see :data:`SCHEMA`).
    """
    if not (state_dir / DB_FILE).is_file():
        raise RbccError(f"{state_dir}: no deployment recorded here (run `rbcc deploy` first)")
    store = Store(state_dir)
    try:
        Audit(store, store.meta("application") or "")
        db = store.db
        # with a limit, each table gives at most its last ``limit`` rows (the merge keeps the last ones)
        tail = f" ORDER BY id DESC LIMIT {int(limit)}" if limit else " ORDER BY id"
        out: list[dict[str, Any]] = []
        for t, app, event, scoped, path, info in db.execute(
            "SELECT time, application, event, scoped_path, instance_path, info FROM autonomic_events" + tail
        ):
            out.append(
                {
                    "kind": "event",
                    "time": t,
                    "application": app,
                    "event": event,
                    "machine": scoped,
                    "instance": path,
                    "info": info,
                }
            )
        for t, app, rule, event, record, reason in db.execute(
            "SELECT time, application, rule, event, record_time, reason FROM rule_firings" + tail
        ):
            out.append(
                {
                    "kind": "firing",
                    "time": t,
                    "application": app,
                    "rule": rule,
                    "event": event,
                    "record_time": record,
                    "reason": reason,
                }
            )
        for app, command, origin, start, duration, result, details in db.execute(
            "SELECT application, command, origin, start, duration, result, details FROM command_history" + tail
        ):
            out.append(
                {
                    "kind": "command",
                    "time": start,
                    "application": app,
                    "command": command,
                    "origin": origin,
                    "duration": duration,
                    "result": result,
                    "details": json.loads(details) if details else {},
                }
            )
    finally:
        store.close()
    order = {"event": 0, "firing": 1, "command": 2}
    out.sort(key=lambda e: (e["time"], order[e["kind"]]))
    return out[-limit:] if limit else out
