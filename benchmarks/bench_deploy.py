"""How close ``rbcc deploy`` comes to the critical path of an application's dependency graph.

A generated application: ``--machines`` machines, each holding one ``db<m>`` and
``--per-machine - 1`` ``app<m>`` instances that import it (mandatory), so that the critical path is
known: db deploy, db start, app start = 3 recipe durations.  Besides that bound, a measured floor:
benchmarks/spawn_floor.py runs the same recipes in the same order with nothing else (no state, no
messages), timed the same way, so that ``deploy / floor`` is the executor's own cost and
``floor / bound`` what process start-up costs on this machine.  Every recipe sleeps ``--sleep``
seconds.  With at most ``--parallel`` recipes at once, no executor can finish before
``max(3 × sleep, steps × sleep / parallel)``: that bound is the baseline, measured in the same run
by the recipes' own timestamps' ideal and compared with the wall time of the whole
``rbcc deploy --json`` process (start-up, compilation, state, recipes).  Also: the manager's peak
memory (max RSS), messages per instance, store transactions, and the Storm example's deploy time
with simulated services.  ``--bus websocket`` adds a column: the same application with ``process``
agents (one ``rbcc agent`` process per machine) over the WebSocket bus, next to the in-process one
(the manager's RSS then excludes the agents, which are processes of their own).

    python benchmarks/bench_deploy.py                        # 1,000 instances, 0.5 s recipes
    python benchmarks/bench_deploy.py --machines 5 --per-machine 20 --sleep 0.2 --bus websocket
    python benchmarks/bench_deploy.py --bus websocket,rabbitmq     # one column per bus

``websocket``: process agents (``--handler process``) over the manager's WebSocket broker;
``rabbitmq``: process agents too (``--handler process``), over a RabbitMQ broker the benchmark starts
on loopback (tests/runtime/broker.py; its start-up is not counted), the manager knowing them idle
through probe waves (rbcc.runtime.probe_waves).  Its "messages per instance" counts what the manager
published (agents send each other their exports through the broker, past the manager), where the
WebSocket column counts every message its broker routed.  The in-process column is always measured
first, in the same run.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import sys
import tempfile
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))

from run import rbcc_command, run_child

RECIPE = '#!/bin/sh\nsleep "$BENCH_SLEEP"\n'


def generate(root: Path, machines: int, per_machine: int) -> int:
    """The application; returns the number of instances that run recipes."""
    (root / "descriptor").mkdir(parents=True)
    (root / "descriptor" / "application.properties").write_text(
        "application-name = Bench\napplication-version = 1.0\ndsl-id = roboconf-1.0\n"
        "graph-entry-point = main.graph\ninstance-entry-point = model.instances\n"
    )
    graph = ["vm {\n\tinstaller: target;\n\tchildren: " + ", ".join(f"db{m}, app{m}" for m in range(machines)) + ";\n}"]
    instances = []
    for m in range(machines):
        graph.append(f"db{m} {{\n\tinstaller: script;\n\texports: ip, port = 5432;\n}}")
        graph.append(f"app{m} {{\n\tinstaller: script;\n\timports: db{m}.ip, db{m}.port;\n}}")
        body = [f"instance of vm {{\n\tname: vm{m};", f"\tinstance of db{m} {{\n\t\tname: db;\n\t}}"]
        body += [f"\tinstance of app{m} {{\n\t\tname: app{i};\n\t}}" for i in range(1, per_machine)]
        instances.append("\n".join(body) + "\n}")
        for component in (f"db{m}", f"app{m}"):
            scripts = root / "graph" / component / "scripts"
            scripts.mkdir(parents=True)
            for step in ("deploy", "start"):
                (scripts / f"{step}.sh").write_text(RECIPE)
                (scripts / f"{step}.sh").chmod(0o755)
    (root / "graph" / "main.graph").write_text("\n\n".join(graph) + "\n")
    (root / "instances").mkdir()
    (root / "instances" / "model.instances").write_text("\n\n".join(instances) + "\n")
    return machines * per_machine


#: extra ``rbcc deploy`` arguments per bus column
BUS_ARGS = {
    "inprocess": [],
    "websocket": ["--handler", "process"],
    "rabbitmq": ["--handler", "process", "--bus", "rabbitmq"],
}


def rabbit_args(broker: Any) -> list[str]:
    """``--messaging`` options pointing ``rbcc deploy`` at ``broker``."""
    keys = {
        "server.ip": f"{broker.host}:{broker.port}",
        "server.username": broker.username,
        "server.password": broker.password,
        "server.virtual.host": broker.vhost,
    }
    out: list[str] = []
    for key, value in keys.items():
        out += ["--messaging", f"net.roboconf.messaging.rabbitmq.{key}={value}"]
    return out


def deploy(
    app: Path, state: Path, parallel: int, sleep: float, timeout: float, extra: list[str] | None = None
) -> tuple[float, int | None, dict]:
    env_sleep = {"BENCH_SLEEP": str(sleep)}
    os.environ.update(env_sleep)
    cmd = [*rbcc_command(), "deploy", str(app), "--state-dir", str(state), "--max-parallel", str(parallel), "--json"]
    cmd += extra or []
    child = run_child(cmd, timeout)
    if child.returncode != 0:
        raise SystemExit(f"rbcc deploy failed ({child.returncode}): {child.stderr[-2000:]}")
    summary = json.loads(child.stdout.strip().splitlines()[-1])
    return child.seconds, child.max_rss_kb, summary


def spawn_floor(app: Path, machines: int, per_machine: int, parallel: int, sleep: float, timeout: float) -> float:
    """Wall time of benchmarks/spawn_floor.py on the same recipes: the least an executor needs here."""
    os.environ["BENCH_SLEEP"] = str(sleep)
    floor = HERE / "spawn_floor.py"
    child = run_child([sys.executable, str(floor), str(app), str(machines), str(per_machine), str(parallel)], timeout)
    if child.returncode != 0:
        raise SystemExit(f"spawn_floor failed ({child.returncode}): {child.stderr[-2000:]}")
    return child.seconds


def storm(timeout: float) -> float | None:
    from tests.runtime.test_storm import simulated_copy

    with tempfile.TemporaryDirectory() as tmp:
        app = simulated_copy(Path(tmp) / "storm")
        os.environ["RBCC_TEST_LOG"] = str(Path(tmp) / "calls.log")
        cmd = [*rbcc_command(), "deploy", str(app), "--state-dir", str(Path(tmp) / "state"), "--json"]
        child = run_child(cmd, timeout)
        undeploy = [*rbcc_command(), "undeploy", str(app), "--state-dir", str(Path(tmp) / "state")]
        run_child(undeploy, timeout)
        return child.seconds if child.returncode == 0 else None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--machines", type=int, default=10)
    parser.add_argument("--per-machine", type=int, default=100, help="instances per machine (one db, the rest apps)")
    parser.add_argument("--sleep", type=float, default=0.5, help="seconds every recipe sleeps")
    parser.add_argument("--parallel", type=int, default=256, help="--max-parallel given to rbcc deploy")
    parser.add_argument("--timeout", type=float, default=900)
    parser.add_argument(
        "--bus",
        default="inprocess",
        help="comma-separated columns besides inprocess: websocket (process agents), rabbitmq (a private broker)",
    )
    parser.add_argument("--no-storm", action="store_true", help="skip the Storm example")
    args = parser.parse_args(argv)
    buses = ["inprocess"] + [b for b in args.bus.split(",") if b and b != "inprocess"]
    unknown = [b for b in buses if b not in BUS_ARGS]
    if unknown:
        parser.error(f"unknown bus {', '.join(unknown)} (choose from {', '.join(BUS_ARGS)})")
    results: dict[str, tuple[float, int | None, dict]] = {}
    with tempfile.TemporaryDirectory() as tmp, contextlib.ExitStack() as stack:
        app = Path(tmp) / "app"
        n = generate(app, args.machines, args.per_machine)
        floor_s = spawn_floor(app, args.machines, args.per_machine, args.parallel, args.sleep, args.timeout)
        for bus in buses:
            state = Path(tmp) / f"state-{bus}"
            extra = list(BUS_ARGS[bus])
            broker_args: list[str] = []
            if bus == "rabbitmq":
                from tests.runtime.broker import Broker, available

                if not available():
                    raise SystemExit(
                        "--bus rabbitmq: Debian's rabbitmq-server is not installed (.ci/install-system-tools)"
                    )
                broker_args = ["--bus", "rabbitmq", *rabbit_args(stack.enter_context(Broker.start(Path(tmp))))]
                extra += broker_args[2:]
            try:
                results[bus] = deploy(app, state, args.parallel, args.sleep, args.timeout, extra)
            finally:  # also stops the process agents
                run_child(
                    [
                        *rbcc_command(),
                        "undeploy",
                        str(app),
                        "--state-dir",
                        str(state),
                        *broker_args,
                    ],
                    args.timeout,
                )
    steps = results["inprocess"][2]["steps"]
    bound = max(3 * args.sleep, steps * args.sleep / args.parallel)
    storm_s = None if args.no_storm else storm(args.timeout)

    def column(bus: str) -> list[str]:
        seconds, rss, summary = results[bus]
        return [
            f"{summary['steps']}",
            f"{seconds:.2f} s",
            f"{seconds / bound:.2f}",
            f"{seconds / floor_s:.2f}",
            f"{(rss or 0) / 1024:.0f} MiB" if rss else "n/a",
            f"{summary['messages'] / (n + args.machines):.1f}",
        ]

    head = [
        ("instances (with recipes)", f"{n}"),
        ("recipe duration", f"{args.sleep:g} s"),
        ("max parallel", f"{args.parallel}"),
        ("critical-path bound", f"{bound:.2f} s"),
        ("bare spawner, same recipes (floor)", f"{floor_s:.2f} s"),
        ("ratio floor / bound", f"{floor_s / bound:.2f}"),
    ]
    names = [
        "recipe steps run",
        "rbcc deploy (whole process)",
        "ratio deploy / bound (goal <= 1.1)",
        "ratio deploy / floor",
        "manager peak RSS",
        "messages per instance",
    ]
    columns = {bus: column(bus) for bus in buses}
    rows = [(k, [v] + [""] * (len(buses) - 1)) for k, v in head]
    rows += [(name, [columns[b][i] for b in buses]) for i, name in enumerate(names)]
    if not args.no_storm:
        rows.append(("Storm (simulated) deploy", [f"{storm_s:.2f} s" if storm_s is not None else "failed"]))
    width = max(len(k) for k, _ in rows)
    print(f"{'':<{width}}  " + "  ".join(f"{b:>12}" for b in buses))
    for key, values in rows:
        print(f"{key:<{width}}  " + "  ".join(f"{v:>12}" for v in values))
    return 0


if __name__ == "__main__":
    sys.exit(main())
