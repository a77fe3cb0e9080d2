"""The autonomic manager under a stream of events: throughput, firings, memory.

``--events`` ``Autonomic`` messages (default 10,000) are published to the manager of a small
application, as agents would send them, in bursts of 200 with a 10 ms pause, in three runs of the
same session kind:

* **baseline**: the manager with no rules attached (it drops the messages): the bus and the
  manager's loop alone;
* **record**: rules attached, none reacting to the event: each event is recorded (one store
  transaction) and every rule decided;
* **fire**: a rule with no sleep period on every event, a paced one (``sleep period is 1s``) and
  one needing ``occurrences is 3``: each firing also runs a (one-line) commands file and writes its
  history.

For each run: wall time, events per second and the ratio to the baseline's, firings per rule with
the bound the timing allows, and the Python heap traced by ``tracemalloc`` before, after and at its
peak (flat memory: what is left after the run does not grow with the number of events).

    python benchmarks/bench_autonomic.py
    python benchmarks/bench_autonomic.py --events 50000
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent.parent))

GRAPH = "vm {\n\tinstaller: target;\n\tchildren: app;\n}\napp {\n\tinstaller: script;\n\texports: ip;\n}\n"
INSTANCES = "instance of vm {\n\tname: vm 1;\n\tinstance of app {\n\t\tname: app;\n\t}\n}\n"
RULES = {
    "every": ("tick", ""),
    "paced": ("tick", "sleep period is 1s"),
    "third": ("tock", "time window is 60s\noccurrences is 3"),
}


def make_app(root: Path) -> Path:
    (root / "descriptor").mkdir(parents=True)
    (root / "descriptor" / "application.properties").write_text(
        "application-name = Bench\napplication-version = 1.0\ndsl-id = roboconf-1.0\n"
        "graph-entry-point = main.graph\ninstance-entry-point = model.instances\n"
    )
    (root / "graph" / "app" / "scripts").mkdir(parents=True)
    (root / "graph" / "main.graph").write_text(GRAPH)
    (root / "instances").mkdir()
    (root / "instances" / "model.instances").write_text(INSTANCES)
    (root / "rules.autonomic").mkdir()
    for name, (event, options) in RULES.items():
        (root / "rules.autonomic" / f"{name}.drl").write_text(
            f'rule "{name}"\n{options}\nwhen\n\t{event}\nthen\n\tnote\nend\n'
        )
    (root / "commands").mkdir()
    (root / "commands" / "note.commands").write_text("define x = $(NANO_TIME)\n")
    return root


async def one_run(app: Path, state: Path, events: int, kind: str) -> dict[str, object]:
    from rbcc.runtime import Session, Settings, load_plan
    from rbcc.runtime.bus import dm_context

    plan = load_plan(app)
    async with Session(plan.application, state, Settings(heartbeat_period=5.0), app_dir=app) as s:
        s.manager.apply_plan(plan)
        reactor = s.enable_autonomic() if kind != "baseline" else None
        ctx = dm_context(plan.application)
        gc.collect()
        tracemalloc.start()
        before = tracemalloc.get_traced_memory()[0]
        began = time.perf_counter()
        for i in range(events):
            if kind == "record":
                name = "nobody-listens"
            else:
                name = "tick" if i % 10 else "tock"
            await s.bus.publish(ctx, {"type": "Autonomic", "application": plan.application, "event_name": name})
            if i % 200 == 199:
                await asyncio.sleep(0.01)
        if reactor is not None:
            while reactor.counters.events < events:
                await asyncio.sleep(0.005)
        await s.settle(period=0.005)
        elapsed = time.perf_counter() - began
        gc.collect()
        after, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        firings: dict[str, int] = {}
        recorded = 0
        if reactor is not None:
            firings = dict(s.store.db.execute("SELECT rule, COUNT(*) FROM rule_firings GROUP BY rule").fetchall())
            recorded = reactor.audit.counts()["autonomic_events"]
    return {
        "kind": kind,
        "seconds": elapsed,
        "recorded": recorded,
        "firings": firings,
        "heap_before": before,
        "heap_after": after,
        "heap_peak": peak,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, default=10_000)
    args = parser.parse_args()
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        app = make_app(Path(tmp) / "app")
        for kind in ("baseline", "record", "fire"):
            results.append(asyncio.run(one_run(app, Path(tmp) / f"state-{kind}", args.events, kind)))
    base = results[0]["seconds"]
    print(f"{args.events:,} Autonomic events, bursts of 200 every 10 ms")
    print()
    print(
        f"{'run':<10}{'seconds':>9}{'events/s':>11}{'× baseline':>12}{'recorded':>10}"
        f"{'heap before':>13}{'after':>10}{'peak':>10}"
    )
    for r in results:
        seconds = float(r["seconds"])  # type: ignore[arg-type]
        print(
            f"{r['kind']:<10}{seconds:>9.2f}{args.events / seconds:>11,.0f}{seconds / float(base):>12.2f}"  # type: ignore[arg-type]
            f"{r['recorded']:>10,}{_kib(r['heap_before']):>13}{_kib(r['heap_after']):>10}{_kib(r['heap_peak']):>10}"
        )
    fire = results[2]
    firings = fire["firings"]
    assert isinstance(firings, dict)
    ticks = sum(1 for i in range(args.events) if i % 10)
    tocks = args.events - ticks
    print()
    print(f"{'rule':<8}{'firings':>9}  {'allowed'}")
    print(f"{'every':<8}{firings.get('every', 0):>9,}  = {ticks:,} (one per record)")
    paced_bound = int(float(fire["seconds"])) + 1  # type: ignore[arg-type]
    print(f"{'paced':<8}{firings.get('paced', 0):>9,}  <= {paced_bound} (1 s sleep)")
    print(f"{'third':<8}{firings.get('third', 0):>9,}  = {tocks - 2:,} (3rd record on)")


def _kib(value: object) -> str:
    return f"{int(value) / 1024:,.0f} KiB"  # type: ignore[call-overload]


if __name__ == "__main__":
    main()
