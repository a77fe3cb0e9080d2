"""The least any executor needs on this machine to run bench_deploy's recipes: its measured floor.

The critical-path bound of bench_deploy assumes free process start-up; on a small machine
starting thousands of shell recipes costs CPU of its own (fork, exec of ``sh`` and ``sleep``),
and with hundreds at once that CPU, not the sleeps, sets the pace.  This program runs the same
recipes of the same generated application in the same order (a machine's ``db`` deploys, then
starts; each ``app`` deploys, then starts once its machine's ``db`` has started), at most
``parallel`` at once, with nothing else: no state, no messages, no logs.  bench_deploy runs it as
a child process, timed like ``rbcc deploy``, so that the ratio of the two is the executor's own cost.

    python benchmarks/spawn_floor.py APP_DIR MACHINES PER_MACHINE PARALLEL
"""

from __future__ import annotations

import asyncio
import os
import sys
import tempfile
from pathlib import Path


async def _step(pool: asyncio.Semaphore, script: Path, cwd: Path) -> None:
    async with pool:
        proc = await asyncio.create_subprocess_exec(str(script), cwd=cwd, start_new_session=True)
        if await proc.wait() != 0:
            raise SystemExit(f"{script} failed")


async def run(app: Path, machines: int, per_machine: int, parallel: int) -> None:
    pool = asyncio.Semaphore(parallel)
    with tempfile.TemporaryDirectory() as work:
        cwd = Path(work)

        async def instance(component: str, started_before: asyncio.Event | None, done: asyncio.Event) -> None:
            scripts = app / "graph" / component / "scripts"
            await _step(pool, scripts / "deploy.sh", cwd)
            if started_before is not None:
                await started_before.wait()
            await _step(pool, scripts / "start.sh", cwd)
            done.set()

        tasks = []
        for m in range(machines):
            db_started = asyncio.Event()
            tasks.append(instance(f"db{m}", None, db_started))
            tasks += [instance(f"app{m}", db_started, asyncio.Event()) for _ in range(1, per_machine)]
        await asyncio.gather(*tasks)


def main(argv: list[str]) -> int:
    app, machines, per_machine, parallel = Path(argv[0]), int(argv[1]), int(argv[2]), int(argv[3])
    if "BENCH_SLEEP" not in os.environ:
        raise SystemExit("BENCH_SLEEP is not set (bench_deploy sets it)")
    asyncio.run(run(app, machines, per_machine, parallel))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
