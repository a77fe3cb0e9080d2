"""How `rbcc validate` scales on broken and pathological text (issue 9 §2): time and peak memory.

    python benchmarks/bench_recovery.py                      # 1,000 and 10,000 blocks, count: 100000
    python benchmarks/bench_recovery.py --sizes 1000,2000,5000,10000 --repeat 3

Each case is a single file validated by a whole ``rbcc validate FILE --format json`` process
(``--max-problems 0``: every problem is built and printed, nothing is capped), measured with
``os.wait4`` (its own wall time and max RSS), and in-process once modules are loaded (the curve's shape).  Every broken case runs next to a *baseline* of the
same size in the same run — the same lines, closed and valid — so that the ratio column shows what
recovery costs over parsing, whatever the machine's load.  A linear recovery keeps ``µs/line`` flat
along the curve; the old quadratic one grew it tenfold from 1,000 to 10,000.

Cases:

* ``nested unclosed``: ``VM {`` on every line (each block opens inside the previous one);
* ``sibling unclosed``: ``VM{i} {`` + a property on every other line, never closed;
* ``count nested``: an instance under a machine with ``count: N`` (N copies checked for names).
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from run import _fmt_s, rbcc_command, run_child  # benchmarks/ is not a package

GRAPH_HEAD = "VM {\n\tinstaller: target;\n\tchildren: App;\n}\nApp {\n\tinstaller: script;\n}\n"


@dataclass
class Case:
    name: str
    size: int
    #: file name -> text of the broken input and of its valid baseline
    broken: Callable[[int], dict[str, str]]
    baseline: Callable[[int], dict[str, str]]


def nested_unclosed(n: int) -> dict[str, str]:
    return {"t.graph": "VM {\n" * n}


def nested_closed(n: int) -> dict[str, str]:
    # the same number of block lines, each closed at once (nesting is capped at 100 levels anyway)
    return {"t.graph": "VM {\n}\n" * (n // 2)}


def sibling_unclosed(n: int) -> dict[str, str]:
    return {"t.graph": "".join(f"C{i} {{\n\tinstaller: script;\n" for i in range(n // 2))}


def sibling_closed(n: int) -> dict[str, str]:
    return {"t.graph": "".join(f"C{i} {{\n\tinstaller: script;\n}}\n" for i in range(n // 3))}


def count_nested(n: int) -> dict[str, str]:
    return {
        "app/graph/main.graph": GRAPH_HEAD,
        "app/instances/main.instances": f"instance of VM {{\n\tname: vm;\n\tinstance of App {{\n\t\tname: app;\n\t\tcount: {n};\n\t}}\n}}\n",
        "app/descriptor/application.properties": "name = Bench\nversion = 1\ngraph-entry-point = main.graph\n"
        "instance-entry-point = main.instances\n",
    }


def count_root(n: int) -> dict[str, str]:
    files = count_nested(n)
    files["app/instances/main.instances"] = f"instance of VM {{\n\tname: vm;\n\tcount: {n};\n}}\n"
    return files


def cases(sizes: list[int], count: int) -> list[Case]:
    out = [Case("nested unclosed", n, nested_unclosed, nested_closed) for n in sizes]
    out += [Case("sibling unclosed", n, sibling_unclosed, sibling_closed) for n in sizes]
    out.append(Case("count nested", count, count_nested, count_root))
    return out


@dataclass
class Measured:
    seconds: float
    rss_mb: float | None
    problems: int | None
    failure: str | None = None
    #: in-process validation once modules are loaded (no interpreter start-up): the curve's shape
    warm: float | None = None


def measure(files: dict[str, str], repeat: int, timeout: float) -> Measured:
    with tempfile.TemporaryDirectory(prefix="rbcc-recovery-") as tmp:
        root = Path(tmp)
        for rel, text in files.items():
            (root / rel).parent.mkdir(parents=True, exist_ok=True)
            (root / rel).write_text(text, encoding="utf-8")
        target = root / ("app" if any(k.startswith("app/") for k in files) else next(iter(files)))
        # the report goes to a file: read back by this process, it would grow it, and a child's max
        # RSS counts what it inherited at fork
        report = str(root / "report.json")
        cmd = [*rbcc_command(), "validate", str(target), "--format", "json", "--max-problems", "0", "-o", report]
        runs = [run_child(cmd, timeout) for _ in range(repeat)]
        warm, problems = _warm(target, repeat, timeout)
    if any(r.timed_out for r in runs):
        return Measured(timeout, None, None, f"timed out after {timeout:.0f} s")
    if any(r.returncode not in (0, 1) for r in runs):
        bad = next(r for r in runs if r.returncode not in (0, 1))
        return Measured(0.0, None, None, f"exit {bad.returncode}: {bad.stderr.strip()[-200:]}")
    rss = max(r.max_rss_kb or 0 for r in runs) / 1024 or None
    return Measured(statistics.median(r.seconds for r in runs), rss, problems, warm=warm)


WARM = """
import json, sys, time
from rbcc.dsl.validate import Validator
times, problems = [], 0
for _ in range(int(sys.argv[2])):
    start = time.perf_counter()
    problems = len(Validator().validate(sys.argv[1], max_problems=0).problems)
    times.append(time.perf_counter() - start)
print(json.dumps({"times": times, "problems": problems}))
"""


def _warm(target: Path, repeat: int, timeout: float) -> tuple[float | None, int | None]:
    """Median in-process validation time and the problem count, in a child of its own (the parent's
    memory stays small, so the next child's max RSS, which counts what it inherited at fork, is not
    inflated)."""
    run = run_child([sys.executable, "-c", WARM, str(target), str(repeat)], timeout)
    try:
        doc = json.loads(run.stdout)
        return statistics.median(doc["times"]), int(doc["problems"])
    except (ValueError, TypeError, KeyError):
        return None, None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--sizes", default="1000,10000", help="block lines of the broken files (default 1000,10000)")
    parser.add_argument("--count", type=int, default=100000, help="count: of the nested instance (default 100000)")
    parser.add_argument("--repeat", type=int, default=3, help="runs per case, median time (default 3)")
    parser.add_argument("--timeout", type=float, default=120.0)
    args = parser.parse_args(argv)
    sizes = [int(s.replace("_", "").replace("k", "000")) for s in args.sizes.split(",") if s]

    header = (
        "case",
        "size",
        "problems",
        "process",
        "peak RSS",
        "in-process",
        "µs/line",
        "baseline",
        "×baseline",
        "baseline RSS",
    )
    rows: list[tuple[str, ...]] = []
    notes: list[str] = []
    for case in cases(sizes, args.count):
        broken = measure(case.broken(case.size), args.repeat, args.timeout)
        base = measure(case.baseline(case.size), args.repeat, args.timeout)
        for label, m in (("", broken), (" (baseline)", base)):
            if m.failure:
                notes.append(f"{case.name} {case.size}{label}: {m.failure}")
        ratio = f"{broken.warm / base.warm:.2f}" if broken.warm and base.warm and not broken.failure else "-"
        rows.append(
            (
                case.name,
                f"{case.size:,}",
                "-" if broken.problems is None else f"{broken.problems:,}",
                _fmt_s(broken.seconds),
                "-" if broken.rss_mb is None else f"{broken.rss_mb:.0f} MB",
                _fmt_s(broken.warm),
                "-" if broken.warm is None else f"{broken.warm / case.size * 1e6:.1f}",
                _fmt_s(base.warm),
                ratio,
                "-" if base.rss_mb is None else f"{base.rss_mb:.0f} MB",
            )
        )
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(header)]
    print("  ".join(h.ljust(w) for h, w in zip(header, widths, strict=True)))
    for row in rows:
        print("  ".join(c.rjust(w) if i else c.ljust(w) for i, (c, w) in enumerate(zip(row, widths, strict=True))))
    print(
        "\nprocess: a whole `rbcc validate` (start-up included) and its peak RSS; in-process: Validator().validate"
        "\nbaseline: the same size, valid (closed blocks; count: on a root instance), in-process; medians"
    )
    for note in notes:
        print("note:", note)
    return 1 if notes else 0


if __name__ == "__main__":
    sys.exit(main())
