"""``rbcc events``: the audit log of a deployment's autonomic management (events, firings, commands)."""

from __future__ import annotations

from datetime import UTC
from pathlib import Path

import click

from rbcc.cli.base import RbccCommand
from rbcc.cli.runtime_common import state_dir_of, state_options


@click.command("events", cls=RbccCommand)
@click.argument("source", type=click.Path(path_type=Path, exists=True))
@state_options
@click.option("--json", "as_json", is_flag=True, help="One JSON object per line.")
@click.option("--last", type=click.IntRange(min=1), help="Only the last N entries.")
def events(source: Path, state_dir: Path | None, as_json: bool, last: int | None) -> None:
    """What autonomic management recorded for SOURCE: every event, every rule firing, every commands run.

    SOURCE is the application directory (or plan file) given to `rbcc deploy`. Read-only.
    """
    import json
    from datetime import datetime

    from rbcc.runtime.autonomic.audit import read_audit

    entries = read_audit(state_dir_of(source, state_dir), last)
    if as_json:
        for e in entries:
            click.echo(json.dumps(e, ensure_ascii=False))
        return
    if not entries:
        click.echo("no autonomic event recorded")
        return
    rows = []
    for e in entries:
        when = datetime.fromtimestamp(e["time"], UTC).strftime("%Y-%m-%d %H:%M:%S.%f")[:-3]
        if e["kind"] == "event":
            what, detail = e["event"], f"{e['instance'] or e['machine']}: {e['info']}"
        elif e["kind"] == "firing":
            what, detail = e["rule"], e["reason"]
        else:
            error = e["details"].get("error")
            what = e["command"]
            detail = f"{e['result']} ({e['origin']}, {e['duration'] * 1000:.0f} ms)" + (f": {error}" if error else "")
        rows.append((when, e["kind"], what, detail))
    widths = [max(len(r[i]) for r in rows) for i in range(3)]
    header = ("time (UTC)", "kind", "name", "details")
    widths = [max(w, len(h)) for w, h in zip(widths, header, strict=False)]
    for r in [header, *rows]:
        click.echo("  ".join(c.ljust(w) for c, w in zip(r[:3], widths, strict=False)) + "  " + r[3])
