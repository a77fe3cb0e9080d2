"""Which applications an application's external imports are bound to (runtime.md §3.5).

Roboconf's ``applicationBindings``: external prefix → the names of the applications whose exports
under that prefix this application's instances receive.  The manager keeps them in the state
database (table ``bindings``, created here next to the store's own tables), pushes them to its
agents in SetScopedInstance and, when they change, with ChangeBinding.
"""

from __future__ import annotations

from rbcc.runtime.store import Store

_SCHEMA = """
CREATE TABLE IF NOT EXISTS bindings (
    prefix TEXT NOT NULL, application TEXT NOT NULL, PRIMARY KEY (prefix, application)
);
"""


def ensure_table(store: Store) -> None:
    store.db.executescript(_SCHEMA)


def load_bindings(store: Store) -> dict[str, list[str]]:
    """External prefix → the applications bound to it, sorted (prefixes without any are absent)."""
    ensure_table(store)
    out: dict[str, list[str]] = {}
    for prefix, app in store.db.execute("SELECT prefix, application FROM bindings ORDER BY prefix, application"):
        out.setdefault(str(prefix), []).append(str(app))
    return out


def save_binding(store: Store, prefix: str, applications: list[str]) -> None:
    """Record that ``prefix`` is bound to exactly ``applications`` (one transaction)."""
    ensure_table(store)
    with store.transaction() as tx:
        tx.db.execute("DELETE FROM bindings WHERE prefix = ?", (prefix,))
        tx.db.executemany(
            "INSERT INTO bindings (prefix, application) VALUES (?, ?)", [(prefix, a) for a in sorted(set(applications))]
        )
        tx.event("binding", None, {"prefix": prefix, "applications": sorted(set(applications))})
