"""The manager's autonomic side (runtime.md §6.2): events in, rules decided, commands run, all audited.

On each ``Autonomic`` message of the application the manager calls :meth:`Reactor.on_autonomic`
(between two agent messages, on its loop): the event is recorded, *every* rule is decided by the
same engine as ``rbcc simulate`` (:class:`~rbcc.runtime.autonomic.rules.RuleEngine`: Roboconf's
sleep period, time window, one firing per record, plus ``occurrences``), the record and the
firings are committed in one transaction, then each firing runs its commands files in order
against the live application (:class:`~rbcc.runtime.autonomic.live.LiveRunner`).  A file that
fails is logged and in the history; the next commands and rules still run ([F]: Roboconf drops
them), and nothing a rule does stops the manager.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rbcc.dsl import Application
from rbcc.dsl.automation import COMMANDS_DIR, ModelContext, model_context
from rbcc.runtime.autonomic.audit import Audit
from rbcc.runtime.autonomic.commands import CommandRun
from rbcc.runtime.autonomic.live import LiveApplication, LiveRunner, max_vms
from rbcc.runtime.autonomic.rules import RuleEngine
from rbcc.runtime.settings import Settings

if TYPE_CHECKING:
    from rbcc.runtime.manager import Manager

log = logging.getLogger("rbcc.runtime.autonomic")


@dataclass
class Counters:
    events: int = 0
    firings: int = 0
    failed_commands: int = 0


class Reactor:
    """Rules and commands of one application, attached to its manager (``manager.autonomic``)."""

    def __init__(self, manager: Manager, app: Application, settings: Settings) -> None:
        self.manager = manager
        self.app = app
        self.settings = settings
        self.audit = Audit(manager.store, manager.app)
        self.engine = RuleEngine(dict(app.rules))
        self.audit.restore(self.engine)
        self.live = LiveApplication(manager, app, settings)
        self.max_vms, self.strict = max_vms(settings)
        self.counters = Counters()
        self._context: tuple[float, ModelContext] | None = None

    def runner(self, origin: str = "manual") -> LiveRunner:
        return LiveRunner(
            self.app,
            self.live.tree(),
            self.max_vms,
            live=self.live,
            audit=self.audit,
            origin=origin,
            strict=self.strict,
            context=self.context,
        )

    def context(self) -> ModelContext:
        """The commands' validation context, built again only when ``commands/`` changes."""
        directory = self.app.root / COMMANDS_DIR
        try:
            stamp = directory.stat().st_mtime
        except OSError:
            stamp = -1.0
        if self._context is None or self._context[0] != stamp:
            self._context = (stamp, model_context(self.app.graph, [], directory))
        return self._context[1]

    # ------------------------------------------------------------------ hooks called by the manager
    def on_autonomic(self, msg: dict[str, Any]) -> None:
        event = str(msg.get("event_name") or "")
        if not event:
            return
        now = time.time()
        decisions = self.engine.on_event(event, now)
        fired = [d for d in decisions if d.fired]
        with self.manager.store.transaction() as tx:
            self.audit.event(
                tx, now, event, msg.get("scoped_instance_path"), msg.get("instance_path"), str(msg.get("event_info"))
            )
            for d in fired:
                self.audit.firing(tx, now, d.rule, d.event, self.engine.triggers[d.rule][1], d.reason)
        self.counters.events += 1
        self.counters.firings += len(fired)
        for d in fired:
            log.info("rule %s fires (%s)", d.rule, d.reason)
            self.manager.on_event({"event": "rule", "rule": d.rule, "reason": d.reason, "time": now})
            for name in self.app.rules[d.rule].commands:
                run = self.run(name, autonomic=True)
                if run.failed:
                    log.warning("rule %s: commands %s %s: %s", d.rule, name, run.result, run.error)

    def after_change(self) -> None:
        """A state changed: flagged instances that are NOT_DEPLOYED now are deleted."""
        try:
            self.live.collect()
        except Exception:
            log.exception("deferred deletion failed")

    # ------------------------------------------------------------------ commands
    def run(self, name: str, autonomic: bool = False, origin: str = "manual") -> CommandRun:
        """``commands/<name>.commands`` against the live application."""
        run = self.runner(origin).run(name, autonomic=autonomic)
        self._report(run)
        return run

    def run_file(self, path: Path, origin: str = "manual") -> CommandRun:
        """A commands file anywhere (``rbcc run-commands``), as if it were in ``commands/``."""
        try:
            text = path.read_bytes().decode("utf-8", errors="replace")
        except OSError as exc:
            return CommandRun(path.stem, "failed", f"{path}: cannot read it ({exc.strerror or exc})")
        run = self.runner(origin).run_text(text, str(path), path.stem, autonomic=False)
        self._report(run)
        return run

    def _report(self, run: CommandRun) -> None:
        if run.failed:
            self.counters.failed_commands += 1
        self.manager.on_event(
            {"event": "commands", "name": run.name, "result": run.result, "error": run.error, "time": time.time()}
        )
