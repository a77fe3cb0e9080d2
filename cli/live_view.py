"""The progress of a deployment on a terminal (rich), as JSON lines, and its final summary."""

from __future__ import annotations

import json
import sys
import time
from typing import Any

import click

STATE_STYLE = {
    "DEPLOYED_STARTED": "green",
    "PROBLEM": "bold red",
    "UNRESOLVED": "yellow",
    "WAITING_FOR_ANCESTOR": "yellow",
    "NOT_DEPLOYED": "dim",
}


class JsonEvents:
    """One JSON object per line on standard output, for machines."""

    def __call__(self, event: dict[str, Any]) -> None:
        sys.stdout.write(json.dumps(event, ensure_ascii=False, default=str) + "\n")
        sys.stdout.flush()

    def __enter__(self) -> JsonEvents:
        return self

    def __exit__(self, *exc: object) -> None:
        return None


class LiveTable:
    """A rich table of instances, states and running steps, redrawn as events arrive."""

    def __init__(self, paths: list[str]) -> None:
        from rich.console import Console

        self.console = Console(stderr=True)
        self.states: dict[str, str] = dict.fromkeys(paths, "…")
        self.steps: dict[str, str] = {}
        self.began = time.monotonic()
        self.live: Any = None

    def _table(self) -> Any:
        from rich.table import Table

        table = Table(title=f"rbcc deploy — {time.monotonic() - self.began:.1f} s", expand=False)
        table.add_column("instance")
        table.add_column("state")
        table.add_column("step")
        shown = list(self.states.items())
        if len(shown) > 40:  # keep the moving part on screen
            busy = [kv for kv in shown if kv[0] in self.steps]
            shown = (busy + [kv for kv in shown if kv[0] not in self.steps])[:40]
        for path, state in shown:
            style = STATE_STYLE.get(state, "cyan")
            table.add_row(path, f"[{style}]{state}[/]", self.steps.get(path, ""))
        return table

    def __call__(self, event: dict[str, Any]) -> None:
        line = autonomic_line(event)
        if line is not None:
            self.console.print(line, markup=False, highlight=False)
        if event.get("event") == "state":
            self.states[event["path"]] = event["state"]
        elif event.get("event") == "step":
            if event["phase"] == "begin":
                self.steps[event["path"]] = event["step"]
            else:
                self.steps.pop(event["path"], None)
        if self.live is not None:
            self.live.update(self._table())

    def __enter__(self) -> LiveTable:
        from rich.live import Live

        self.live = Live(self._table(), console=self.console, refresh_per_second=8, transient=True)
        self.live.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        if self.live is not None:
            self.live.__exit__(None, None, None)
            self.live = None


def autonomic_line(event: dict[str, Any]) -> str | None:
    """A rule firing or a commands file run (``rbcc deploy --watch``), as one line; None for other events."""
    stamp = time.strftime("%H:%M:%S", time.localtime(event.get("time", time.time())))
    if event.get("event") == "rule":
        return f"{stamp} rule {event['rule']} fires ({event['reason']})"
    if event.get("event") == "commands":
        error = f": {event['error']}" if event.get("error") else ""
        return f"{stamp} commands {event['name']}: {event['result']}{error}"
    return None


class Quiet:
    """No progress on a non-terminal; rule firings and commands runs of a watching manager, on stderr."""

    def __call__(self, event: dict[str, Any]) -> None:
        line = autonomic_line(event)
        if line is not None:
            click.echo(line, err=True)

    def __enter__(self) -> Quiet:
        return self

    def __exit__(self, *exc: object) -> None:
        return None


def view_for(as_json: bool, paths: list[str]) -> Any:
    if as_json:
        return JsonEvents()
    if sys.stderr.isatty():
        return LiveTable(paths)
    return Quiet()


def print_summary(summary: Any, as_json: bool, what: str) -> None:
    """The final summary: counts per state, failures with their reason, the longest steps."""
    if as_json:
        doc = {
            "event": "summary",
            "ok": summary.ok,
            "seconds": round(summary.seconds, 3),
            "steps": summary.steps,
            "messages": summary.messages,
            "states": summary.states,
            "problems": summary.problems,
        }
        click.echo(json.dumps(doc, ensure_ascii=False, default=str))
        return
    counts: dict[str, int] = {}
    for state in summary.states.values():
        counts[state] = counts.get(state, 0) + 1
    per_state = ", ".join(f"{n} {s}" for s, n in sorted(counts.items()))
    click.echo(
        f"{what}: {len(summary.states)} instances ({per_state}) in {summary.seconds:.1f} s, {summary.steps} steps"
    )
    for path, problem in summary.problems.items():
        if isinstance(problem, dict):
            tail = (problem.get("output") or "").strip().splitlines()[-1:] or [""]
            click.echo(f"  {path}: {problem.get('step')} failed ({problem.get('reason')}) {tail[0]}".rstrip())
        else:
            click.echo(f"  {path}: {problem}")
    slow = sorted(summary.durations.items(), key=lambda kv: -kv[1])[:5]
    if slow and summary.steps:
        click.echo("  longest steps: " + ", ".join(f"{k} {v:.1f} s" for k, v in slow))
