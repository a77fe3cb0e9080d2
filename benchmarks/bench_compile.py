"""How much ``rbcc compile`` adds to ``rbcc validate`` on large applications.

For each size, ``generate.py`` writes a realistic application, every non-root component gets a
``container.properties`` (an image, a health check, its exported ports mapped), then, in the same
run and alternating so that the machine's noise hits both alike:

* ``rbcc validate APP --format json`` (whole process: the baseline);
* ``rbcc compile APP --target compose,k8s,plan -o DIR`` (whole process: it validates first).

The ratio that matters is ``(compile - validate) / validate``: the issue's bar is at most 0.5.

    python benchmarks/bench_compile.py                 # 1,000 and 5,000 components, 3 runs each
    python benchmarks/bench_compile.py --sizes 1000 --repeat 5
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from generate import generate
from run import parse_sizes, rbcc_command, run_child


def add_metadata(root: Path) -> int:
    """A container.properties in every non-root component's directory; returns how many."""
    from rbcc.dsl import inheritance, load_application

    graph_dir = root / "graph"
    graph = load_application(root).graph
    assert graph is not None
    roots = {c.name for c in inheritance.root_components(graph)}
    count = 0
    for d in sorted(p for p in graph_dir.iterdir() if p.is_dir()):
        if d.name in roots:
            continue
        (d / "scripts").mkdir(exist_ok=True)
        (d / "container.properties").write_text(
            f"image = bench/{d.name.lower()}:{{{{ROBOCONF_COMPONENT_NAME}}}}\nhealthcheck = CMD-SHELL true\n"
            "healthcheck.interval = 5s\nrestart = unless-stopped\n",
            encoding="utf-8",
        )
        count += 1
    return count


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="1000,5000", help="component counts (default 1000,5000)")
    parser.add_argument("--repeat", type=int, default=3, help="runs per measurement (median)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--timeout", type=float, default=600)
    args = parser.parse_args(argv)
    rbcc = rbcc_command()
    rows = []
    for size in parse_sizes(args.sizes):
        with tempfile.TemporaryDirectory(prefix=f"rbcc-bench-compile-{size}-") as tmp:
            app = Path(tmp) / "app"
            generate(size, args.seed, app, with_recipes=False)
            units = add_metadata(app)
            out = Path(tmp) / "out"
            validate, compile_, rss_v, rss_c = [], [], [], []
            files = 0
            for _ in range(args.repeat):
                v = run_child([*rbcc, "validate", str(app), "--format", "json"], args.timeout)
                if v.timed_out:
                    raise SystemExit(f"rbcc validate timed out at {size}")
                c = run_child([*rbcc, "compile", str(app), "-t", "compose,k8s,plan", "-o", str(out)], args.timeout)
                if c.returncode != 0:
                    raise SystemExit(f"rbcc compile failed at {size} components:\n{c.stderr[-3000:]}")
                validate.append(v.seconds)
                compile_.append(c.seconds)
                rss_v.append(v.max_rss_kb or 0)
                rss_c.append(c.max_rss_kb or 0)
            files = sum(1 for p in out.rglob("*") if p.is_file())
            mv, mc = statistics.median(validate), statistics.median(compile_)
            rows.append(
                [
                    f"{size:,}",
                    f"{units:,}",
                    f"{files:,}",
                    f"{mv:.2f} s",
                    f"{mc:.2f} s",
                    f"{(mc - mv) / mv:+.2f}",
                    f"{max(rss_v) / 1024:.0f} MB",
                    f"{max(rss_c) / 1024:.0f} MB",
                ]
            )
    header = [
        "components",
        "with metadata",
        "files out",
        "validate",
        "compile",
        "added/validate",
        "RSS val",
        "RSS comp",
    ]
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(header)]
    print("rbcc compile --target compose,k8s,plan vs rbcc validate (whole processes, medians)")
    print("  ".join(h.rjust(w) for h, w in zip(header, widths, strict=True)))
    for r in rows:
        print("  ".join(c.rjust(w) for c, w in zip(r, widths, strict=True)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
