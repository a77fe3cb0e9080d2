"""How close ``rbcc deploy`` comes to the critical path of an application's dependency graph.

A generated application: ``--machines`` machines, each holding one ``db<m>`` and
``--per-machine - 1`` ``app<m>`` instances that import it (mandatory), so that the critical path is
known: db deploy, db start, app start = 3 recipe durations.  Every recipe sleeps ``--sleep``
seconds.  With at most ``--parallel`` recipes at once, no executor can finish before
``max(3 × sleep, steps × sleep / parallel)``: that bound is the baseline, measured in the same run
by the recipes' own timestamps' ideal and compared with the wall time of the whole
``rbcc deploy --json`` process (start-up, compilation, state, recipes).  Also: the manager's peak
memory (max RSS), messages per instance, store transactions, and the Storm example's deploy time
with simulated services.

    python benchmarks/bench_deploy.py                        # 1,000 instances, 0.5 s recipes
    python benchmarks/bench_deploy.py --machines 5 --per-machine 20 --sleep 0.2
    python benchmarks/bench_deploy.py --bus rabbitmq        # also over a private RabbitMQ broker

With ``--bus rabbitmq`` the same application is deployed a second time in the same run with every
message through a RabbitMQ broker the benchmark starts on loopback (tests/runtime/broker.py), in a
child process running the same executor as ``rbcc deploy`` (``Session`` over ``RabbitMQBus``,
local agents in the process); the table gets one column per bus and the ratio RabbitMQ / in-process.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from pathlib import Path

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


def deploy(app: Path, state: Path, parallel: int, sleep: float, timeout: float) -> tuple[float, int | None, dict]:
    env_sleep = {"BENCH_SLEEP": str(sleep)}
    os.environ.update(env_sleep)
    cmd = [*rbcc_command(), "deploy", str(app), "--state-dir", str(state), "--max-parallel", str(parallel), "--json"]
    child = run_child(cmd, timeout)
    if child.returncode != 0:
        raise SystemExit(f"rbcc deploy failed ({child.returncode}): {child.stderr[-2000:]}")
    summary = json.loads(child.stdout.strip().splitlines()[-1])
    return child.seconds, child.max_rss_kb, summary


def deploy_over_rabbitmq(
    app: Path, state: Path, parallel: int, sleep: float, timeout: float, user_data: Path
) -> tuple[float, int | None, dict]:
    """The same deployment with every message through the broker named by ``user_data`` (a child process)."""
    os.environ["BENCH_SLEEP"] = str(sleep)
    results = []
    for action in ("deploy", "undeploy"):
        child_args = [action, str(app), str(state), str(parallel), str(user_data)]
        cmd = [sys.executable, str(Path(__file__).resolve()), "--child-rabbitmq", *child_args]
        child = run_child(cmd, timeout)
        if child.returncode != 0:
            raise SystemExit(f"{action} over RabbitMQ failed ({child.returncode}): {child.stderr[-2000:]}")
        results.append((child.seconds, child.max_rss_kb, json.loads(child.stdout.strip().splitlines()[-1])))
    return results[0]


def child_rabbitmq(action: str, app: str, state: str, parallel: str, user_data: str) -> int:
    """What ``rbcc deploy|undeploy --json`` do, over ``RabbitMQBus``: compile, act, print the summary as JSON."""
    import asyncio

    from rbcc.dsl.java import read_properties_text
    from rbcc.runtime import Session, Settings, load_plan
    from rbcc.runtime.bus_rabbitmq import RabbitMQBus, rabbit_config

    config = rabbit_config(read_properties_text(Path(user_data).read_bytes()))
    plan = load_plan(Path(app), Path(app))

    async def go() -> dict:
        async with RabbitMQBus(config, domain="bench") as bus:
            settings = Settings(max_parallel_steps=int(parallel))
            async with Session(plan.application, Path(state), settings, app_dir=plan.app_dir, bus=bus) as session:
                summary = await (session.deploy(plan) if action == "deploy" else session.undeploy([]))
        return {"ok": summary.ok, "steps": summary.steps, "messages": summary.messages}

    print(json.dumps(asyncio.run(go())))
    return 0


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
        choices=("inprocess", "rabbitmq"),
        default="inprocess",
        help="rabbitmq: also deploy over a private RabbitMQ broker, in the same run",
    )
    parser.add_argument("--no-storm", action="store_true", help="skip the Storm example")
    parser.add_argument(
        "--child-rabbitmq", nargs=5, metavar=("ACTION", "APP", "STATE", "PARALLEL", "USER_DATA"), help=argparse.SUPPRESS
    )
    args = parser.parse_args(argv)
    if args.child_rabbitmq:
        return child_rabbitmq(*args.child_rabbitmq)
    runs: dict[str, tuple[float, int | None, dict]] = {}
    broker_s = None
    with tempfile.TemporaryDirectory() as tmp:
        app = Path(tmp) / "app"
        n = generate(app, args.machines, args.per_machine)
        runs["in-process"] = deploy(app, Path(tmp) / "state", args.parallel, args.sleep, args.timeout)
        undeploy = [*rbcc_command(), "undeploy", str(app), "--state-dir", str(Path(tmp) / "state")]
        run_child(undeploy, args.timeout)
        if args.bus == "rabbitmq":
            from tests.runtime.broker import Broker, available

            if not available():
                raise SystemExit("--bus rabbitmq: Debian's rabbitmq-server is not installed (.ci/install-system-tools)")
            with Broker.start(Path(tmp)) as broker:
                broker_s = broker.started_in
                props = Path(tmp) / "messaging.properties"
                props.write_text(
                    "net.roboconf.messaging.type = rabbitmq\n"
                    f"net.roboconf.messaging.rabbitmq.server.ip = {broker.host}:{broker.port}\n"
                    f"net.roboconf.messaging.rabbitmq.server.username = {broker.username}\n"
                    f"net.roboconf.messaging.rabbitmq.server.password = {broker.password}\n"
                    f"net.roboconf.messaging.rabbitmq.server.virtual.host = {broker.vhost}\n"
                )
                state = Path(tmp) / "state-rabbitmq"
                runs["RabbitMQ"] = deploy_over_rabbitmq(app, state, args.parallel, args.sleep, args.timeout, props)
    steps = runs["in-process"][2]["steps"]
    bound = max(3 * args.sleep, steps * args.sleep / args.parallel)
    storm_s = None if args.no_storm else storm(args.timeout)

    def column(run: tuple[float, int | None, dict]) -> list[str]:
        seconds, rss, summary = run
        return [
            f"{summary['steps']}",
            f"{seconds:.2f} s",
            f"{seconds / bound:.2f}",
            f"{rss / 1024:.0f} MiB" if rss else "n/a",
            f"{summary['messages'] / (n + args.machines):.1f}",
        ]

    names = list(runs)
    measured = {name: column(run) for name, run in runs.items()}
    keys = [
        "recipe steps run",
        "deploy (whole process)",
        "ratio deploy / bound (goal <= 1.1)",
        "manager peak RSS",
        "messages per instance",
    ]
    rows: list[tuple[str, list[str]]] = [
        ("instances (with recipes)", [f"{n}"] * len(names)),
        ("recipe duration", [f"{args.sleep:g} s"] * len(names)),
        ("max parallel", [f"{args.parallel}"] * len(names)),
        ("critical-path bound", [f"{bound:.2f} s"] * len(names)),
    ]
    rows += [(key, [measured[name][i] for name in names]) for i, key in enumerate(keys)]
    if "RabbitMQ" in runs:
        ratio = runs["RabbitMQ"][0] / runs["in-process"][0]
        rows.append(("RabbitMQ / in-process deploy time", ["", f"{ratio:.2f}"]))
        rows.append(("broker start (not in deploy time)", ["", f"{broker_s:.2f} s"]))
    rows.append(
        (
            "Storm (simulated) deploy",
            [f"{storm_s:.2f} s" if storm_s is not None else "skipped"] + [""] * (len(names) - 1),
        )
    )
    width = max(len(k) for k, _ in rows)
    widths = [max(len(name), *(len(v[i]) for _, v in rows)) for i, name in enumerate(names)]
    print(f"{'':<{width}}  " + "  ".join(f"{name:>{w}}" for name, w in zip(names, widths, strict=True)))
    for key, values in rows:
        print(f"{key:<{width}}  " + "  ".join(f"{v:>{w}}" for v, w in zip(values, widths, strict=True)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
