"""``rbcc status``: the recorded states, read from the store without starting anything.

An instance under a machine in PROBLEM (its agent silent) is shown ``lost``: its recorded state is
what the agent last reported, which may no longer be true (runtime.md §5.3).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from rbcc.errors import RbccError
from rbcc.runtime.store import DB_FILE, InstanceRecord, Store


def read_status(state_dir: Path) -> list[dict[str, Any]]:
    """``[{"path", "component", "state", "desired", "lost", "last_problem"}, …]`` in the plan's order."""
    if not (state_dir / DB_FILE).is_file():
        raise RbccError(f"{state_dir}: no deployment recorded here (run `rbcc deploy` first)")
    store = Store(state_dir)
    try:
        records = store.instances()
    finally:
        store.close()
    by_path = {r.path: r for r in records}
    out = []
    for r in records:
        out.append(
            {
                "path": r.path,
                "component": r.component,
                "state": r.state,
                "desired": r.desired,
                "lost": _lost(r, by_path),
                "last_problem": r.last_problem,
            }
        )
    return out


def read_bindings(state_dir: Path) -> dict[str, list[str]]:
    """External prefix → the applications it is bound to, for every prefix imported or bound (runtime.md §3.5)."""
    from rbcc.runtime.bindings import load_bindings

    if not (state_dir / DB_FILE).is_file():
        raise RbccError(f"{state_dir}: no deployment recorded here (run `rbcc deploy` first)")
    store = Store(state_dir)
    try:
        bound = load_bindings(store)
        imported = {p for r in store.instances() for p in (r.model["spec"].get("external_imports") or {})}
    finally:
        store.close()
    return {p: bound.get(p, []) for p in sorted(imported | set(bound))}


def _lost(r: InstanceRecord, by_path: dict[str, InstanceRecord]) -> bool:
    parent = r.model["spec"].get("parent")
    while parent is not None and parent in by_path:
        p = by_path[parent]
        if p.scoped and p.state == "PROBLEM":
            return True
        parent = p.model["spec"].get("parent")
    return False


def application_of(state_dir: Path) -> str:
    if not (state_dir / DB_FILE).is_file():
        raise RbccError(f"{state_dir}: no deployment recorded here (run `rbcc deploy` first)")
    store = Store(state_dir)
    try:
        name = store.meta("application")
    finally:
        store.close()
    if name is None:
        raise RbccError(f"{state_dir}: no deployment recorded here (run `rbcc deploy` first)")
    return name
