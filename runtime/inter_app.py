"""Inter-application traffic between deployments on one machine: a shared rendezvous directory.

Each ``rbcc`` command runs one application's manager and agents on a bus of its own, and no daemon
outlives it, so two applications deployed with separate state directories are rarely running at the
same moment.  What one publishes for another must therefore outlive the process that published it.
A :class:`Bridge` per session joins the session's bus to a directory shared by every deployment of
the user (:func:`rendezvous_dir`):

* ``apps/<application>.json``: each deployed application, its exports prefix and state directory
  (what ``rbcc bind`` checks a name against);
* ``exports/<prefix>/<application>.json``: the exporters of an application under an external prefix
  as its agents published them on the INTER_APP topics (AddImport adds one, RemoveImport removes it),
  written atomically; it holds what is STARTED, whether or not a command runs;
* the bridge publishes the other applications' files to its own agents as INTER_APP AddImport and
  RemoveImport messages (when it starts, every ``period`` seconds, and in answer to RequestImport),
  and remembers in the state database what it delivered, so that an exporter that went away while no
  command of this application ran is withdrawn at its next command.

Agents cache every such AddImport and apply it only when the application is bound to the exporter
(runtime.md §3.5); the bridge knows nothing of bindings.  With a shared broker (RabbitMQ) the agents
of two applications running at once also reach each other directly; the directory adds what
neither broker nor in-process bus keeps, and duplicates change nothing (an import received twice
with the same values runs no update).
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
from pathlib import Path
from typing import Any
from urllib.parse import quote

from rbcc.atomic import write_atomically
from rbcc.runtime import messages as m
from rbcc.runtime.bus import Bus, Message, inter_app_exporters, inter_app_importers
from rbcc.runtime.store import Store

log = logging.getLogger("rbcc.runtime.inter_app")

ENV_DIR = "RBCC_INTER_APP_DIR"
SEEN_KEY = "inter_app.seen"

#: (application, exporter path) → {"component", "variables"}
Exporters = dict[str, dict[str, Any]]


def rendezvous_dir(configured: str | None = None) -> Path:
    """``configured``, else ``$RBCC_INTER_APP_DIR``, else ``$XDG_STATE_HOME/rbcc/inter-app``
    (``~/.local/state/rbcc/inter-app``)."""
    if configured:
        return Path(configured)
    if os.environ.get(ENV_DIR):
        return Path(os.environ[ENV_DIR])
    base = os.environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return Path(base) / "rbcc" / "inter-app"


def _file_name(name: str) -> str:
    return quote(name, safe="") + ".json"


class Rendezvous:
    """The shared directory (see the module docstring)."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    def register(self, application: str, exports_prefix: str | None, state_dir: Path) -> None:
        doc = {"application": application, "exports_prefix": exports_prefix, "state_dir": str(state_dir)}
        path = self.root / "apps" / _file_name(application)
        try:
            if path.is_file() and json.loads(path.read_text(encoding="utf-8")) == doc:
                return
        except (OSError, ValueError):
            pass
        path.parent.mkdir(parents=True, exist_ok=True)
        write_atomically(path, json.dumps(doc, ensure_ascii=False, indent=2) + "\n")

    def applications(self) -> dict[str, dict[str, Any]]:
        """Every application registered: name → its record."""
        out: dict[str, dict[str, Any]] = {}
        for file in sorted((self.root / "apps").glob("*.json")):
            try:
                doc = json.loads(file.read_text(encoding="utf-8"))
                out[str(doc["application"])] = doc
            except (OSError, ValueError, KeyError, TypeError):
                continue
        return out

    def _exports_file(self, prefix: str, application: str) -> Path:
        return self.root / "exports" / quote(prefix, safe="") / _file_name(application)

    def write_exports(self, prefix: str, application: str, exporters: Exporters) -> None:
        path = self._exports_file(prefix, application)
        path.parent.mkdir(parents=True, exist_ok=True)
        doc = {"application": application, "prefix": prefix, "exporters": dict(sorted(exporters.items()))}
        write_atomically(path, json.dumps(doc, ensure_ascii=False, indent=2) + "\n")

    def read_exports(self, prefix: str, application: str) -> Exporters:
        try:
            doc = json.loads(self._exports_file(prefix, application).read_text(encoding="utf-8"))
            return dict(doc.get("exporters") or {})
        except (OSError, ValueError, AttributeError):
            return {}

    def exporters_of(self, prefix: str) -> dict[str, Exporters]:
        """Application → its exporters under ``prefix``."""
        out: dict[str, Exporters] = {}
        for file in sorted((self.root / "exports" / quote(prefix, safe="")).glob("*.json")):
            try:
                doc = json.loads(file.read_text(encoding="utf-8"))
                out[str(doc["application"])] = dict(doc.get("exporters") or {})
            except (OSError, ValueError, KeyError, TypeError, AttributeError):
                continue
        return out


class Bridge:
    """One session's link between its bus and the rendezvous directory."""

    def __init__(self, bus: Bus, application: str, rendezvous: Rendezvous, store: Store, period: float) -> None:
        self.bus = bus
        self.app = application
        self.rendezvous = rendezvous
        self.store = store
        self.period = period
        self.owner = f"inter-app @ {application}"
        self.exports_prefix: str | None = None
        self.imported: tuple[str, ...] = ()
        #: this application's exporters under its exports prefix, as its agents published them
        self.mine: Exporters = {}
        #: prefix → application → exporters, as delivered to this application's agents
        self.seen: dict[str, dict[str, Exporters]] = {}
        self._tasks: list[asyncio.Task[None]] = []
        self._handling = False
        self._subscribed: set[Any] = set()

    async def start(
        self, exports_prefix: str | None, imported: list[str], state_dir: Path, started: set[str] | None = None
    ) -> None:
        """Listen, and publish what changed; ``started``: this application's exporters STARTED now (the
        file forgets the others, left by an earlier deployment of the same name or a crash)."""
        try:
            self.seen = json.loads(self.store.meta(SEEN_KEY) or "{}")
        except ValueError:
            self.seen = {}
        await self.refresh(exports_prefix, imported, state_dir)
        if exports_prefix and started is not None:
            stale = [p for p in self.mine if p not in started]
            for path in stale:
                del self.mine[path]
            if stale:
                self.rendezvous.write_exports(exports_prefix, self.app, self.mine)
        self._tasks = [
            asyncio.create_task(self._loop(), name="inter-app bridge"),
            asyncio.create_task(self._poll(), name="inter-app poll"),
        ]

    async def refresh(self, exports_prefix: str | None, imported: list[str], state_dir: Path) -> None:
        """What the application exports and imports (after a plan is applied): subscriptions, a sync."""
        if exports_prefix != self.exports_prefix or not self.mine:
            self.mine = self.rendezvous.read_exports(exports_prefix, self.app) if exports_prefix else {}
        self.exports_prefix = exports_prefix
        self.imported = tuple(sorted(imported))
        self.rendezvous.register(self.app, exports_prefix, state_dir)
        wanted = {inter_app_exporters(p) for p in self.imported}
        if exports_prefix:
            wanted.add(inter_app_importers(exports_prefix))
        for ctx in wanted - self._subscribed:
            await self.bus.subscribe(self.owner, ctx)
        for ctx in self._subscribed - wanted:
            await self.bus.unsubscribe(self.owner, ctx)
        self._subscribed = wanted
        await self.sync()

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        await self.bus.close_owner(self.owner)

    def idle(self) -> bool:
        return not self._handling and self.bus.inbox(self.owner).empty()

    async def sync(self) -> None:
        """Publish to this application's agents what changed in the other applications' files."""
        changed = False
        for prefix in self.imported:
            now = {a: e for a, e in self.rendezvous.exporters_of(prefix).items() if a != self.app}
            before = self.seen.get(prefix, {})
            for app in sorted(set(before) | set(now)):
                old, new = before.get(app, {}), now.get(app, {})
                for path in sorted(set(old) - set(new)):
                    await self._publish(prefix, m.remove_import(app, prefix, path))
                    changed = True
                for path, entry in sorted(new.items()):
                    if old.get(path) != entry:
                        await self._publish_add(prefix, app, path, entry)
                        changed = True
            self.seen[prefix] = {a: e for a, e in now.items() if e}
        for prefix in [p for p in self.seen if p not in self.imported]:
            del self.seen[prefix]
            changed = True
        if changed:
            with self.store.transaction() as tx:
                tx.set_meta(SEEN_KEY, json.dumps(self.seen, ensure_ascii=False, sort_keys=True))

    async def _publish(self, prefix: str, msg: Message) -> None:
        await self.bus.publish(inter_app_importers(prefix), m.external(msg))

    async def _publish_add(self, prefix: str, app: str, path: str, entry: dict[str, Any]) -> None:
        variables = dict(entry.get("variables") or {})
        await self._publish(prefix, m.add_import(app, prefix, path, str(entry.get("component") or ""), variables))

    async def _poll(self) -> None:
        while True:
            await asyncio.sleep(self.period)
            try:
                await self.sync()
            except Exception:
                log.exception("inter-app: cannot read %s", self.rendezvous.root)

    async def _loop(self) -> None:
        inbox = self.bus.inbox(self.owner)
        while True:
            msg = await inbox.get()
            self._handling = True
            try:
                await self._handle(msg)
            except Exception:
                log.exception("inter-app: message %s failed", msg.get("type"))
            finally:
                self._handling = False

    async def _handle(self, msg: Message) -> None:
        if not msg.get("inter_app") or msg.get("application") != self.app:
            return  # another application's traffic on a shared broker: its own bridge handles it
        kind = msg.get("type")
        prefix = msg.get("component_or_facet_name")
        if kind == "RequestImport" and prefix in self.imported:
            for app, exporters in sorted(self.seen.get(prefix, {}).items()):
                for path, entry in sorted(exporters.items()):
                    await self._publish_add(prefix, app, path, entry)
        elif (
            self.exports_prefix is not None and prefix == self.exports_prefix and kind in ("AddImport", "RemoveImport")
        ):
            path = msg["instance_path"]
            if kind == "AddImport":
                entry = {"component": msg.get("component_name"), "variables": msg.get("exported_variables") or {}}
                if self.mine.get(path) == entry:
                    return
                self.mine[path] = entry
            elif self.mine.pop(path, None) is None:
                return
            self.rendezvous.write_exports(self.exports_prefix, self.app, self.mine)
