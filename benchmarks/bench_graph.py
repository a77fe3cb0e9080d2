"""Benchmark: how long does ``rbcc graph APP --view components -o x.svg`` take, and where does it go?

For each size, on an application written by ``generate.py`` (``--seed 1``), this times separately:

* load: parsing and validating the application (``Validator().validate``), shared with
  ``rbcc validate`` and measured by ``benchmarks/run.py`` too;
* diagram: our code turning the model into a ``Diagram`` (``diagrams.build_diagram``);
* DOT: our code writing the DOT text through the ``graphviz`` package (``dotgen.to_dot``);
* dot: Graphviz's ``dot -Tsvg`` in a child process: layout (ranking, crossing reduction,
  coordinates, splines) and SVG output.  ``dot -v`` phase times are recorded when available.

The default components view leaves import edges out above ``diagrams.LARGE`` components and
facets; ``--full`` adds a run with them forced in, whose ``dot`` time shows why (a timeout
gives a row saying so).  Each ``dot`` run has a timeout and fails alone.

Usage::

    python benchmarks/bench_graph.py                          # sizes 1000,5000
    python benchmarks/bench_graph.py --sizes 1000 --full --json graph.json
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from generate import generate

from rbcc.compiler.views import dot as dotgen
from rbcc.compiler.views.diagrams import build_diagram
from rbcc.dsl.validate import Validator

#: ``dot -v`` lines that time a phase: network simplex (ranking, then x coordinates), crossing
#: minimisation, spline routing, and the SVG rendering itself
_PHASES = (
    ("network simplex", re.compile(r"^network simplex: .* ([\d.]+) sec$")),
    ("mincross", re.compile(r"^mincross .* ([\d.]+) secs\.$")),
    ("splines", re.compile(r"^routesplines: .* ([\d.]+) sec$")),
    ("render", re.compile(r"^gvRenderJobs .*: ([\d.]+) secs\.$")),
)


@dataclass
class Run:
    """One components-view SVG for one application."""

    size: int
    imports: str  # "auto" (imports left out above diagrams.LARGE) or "all" (--full)
    nodes: int = 0
    edges: int = 0
    dot_bytes: int = 0
    load_s: float = 0.0
    diagram_s: float = 0.0
    dot_text_s: float = 0.0
    dot_s: float | None = None
    svg_bytes: int | None = None
    error: str | None = None
    phases: dict[str, float] = field(default_factory=dict)

    @property
    def ours_s(self) -> float:
        return self.diagram_s + self.dot_text_s


def run_dot(source: str, timeout: float) -> tuple[float | None, int | None, dict[str, float], str | None]:
    exe = dotgen.find_dot()
    if exe is None:
        return None, None, {}, "dot is not installed"
    t = time.perf_counter()
    try:
        p = subprocess.run(
            [exe, "-v", "-Tsvg"], input=source.encode(), capture_output=True, timeout=timeout, check=False
        )
    except subprocess.TimeoutExpired:
        return None, None, {}, f"dot did not finish in {timeout:g} s"
    seconds = time.perf_counter() - t
    phases: dict[str, float] = {}
    for line in p.stderr.decode("utf-8", "replace").splitlines():
        for name, pattern in _PHASES:
            m = pattern.match(line.strip())
            if m:
                phases[name] = round(phases.get(name, 0.0) + float(m.group(1)), 3)
    if p.returncode != 0:
        last = [x for x in p.stderr.decode("utf-8", "replace").splitlines() if x.startswith(("Error", "Warning"))]
        return seconds, None, phases, f"dot exit {p.returncode}: {last[0] if last else ''}"
    return seconds, len(p.stdout), phases, None


def measure(app_dir: Path, size: int, imports: bool | None, timeout: float, load_s: float, app) -> Run:
    r = Run(size, "auto" if imports is None else ("all" if imports else "none"), load_s=load_s)
    t = time.perf_counter()
    d = build_diagram("components", app.graph, app.instances, app.name, full=bool(imports))
    r.diagram_s = time.perf_counter() - t
    t = time.perf_counter()
    source = dotgen.to_dot(d)
    r.dot_text_s = time.perf_counter() - t
    r.nodes, r.edges, r.dot_bytes = len(d.nodes), len(d.edges), len(source.encode())
    r.dot_s, r.svg_bytes, r.phases, r.error = run_dot(source, timeout)
    return r


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sizes", default="1000,5000", help="comma-separated component counts (default 1000,5000)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--timeout", type=float, default=900, help="seconds per dot run (default 900)")
    ap.add_argument("--full", action="store_true", help="also time the view with every import edge forced in (--full)")
    ap.add_argument("--json", type=Path, help="write the results as JSON")
    ap.add_argument("--workdir", type=Path, help="where to generate the applications (default: a temporary directory)")
    args = ap.parse_args(argv)

    sizes = [int(x) for x in args.sizes.split(",") if x.strip()]
    runs: list[Run] = []
    with tempfile.TemporaryDirectory(prefix="rbcc-bench-graph-") as tmp:
        work = args.workdir or Path(tmp)
        for size in sizes:
            app_dir = work / f"app-{size}"
            if not (app_dir / "descriptor").is_dir():
                generate(size, args.seed, app_dir)
            t = time.perf_counter()
            app = Validator().validate(app_dir).application
            load_s = time.perf_counter() - t
            variants: list[bool | None] = [None] + ([True] if args.full else [])
            for imports in variants:
                r = measure(app_dir, size, imports, args.timeout, load_s, app)
                runs.append(r)
                print(_row(r), flush=True)
    if args.json:
        args.json.write_text(json.dumps([asdict(r) | {"ours_s": r.ours_s} for r in runs], indent=2) + "\n")
    return 0


def _row(r: Run) -> str:
    dot = f"{r.dot_s:8.2f} s" if r.dot_s is not None and r.error is None else f"  {r.error}"
    share = ""
    if r.dot_s and r.error is None:
        total = r.ours_s + r.dot_s
        share = f"  (dot {100 * r.dot_s / total:.0f}% of diagram time)"
    phases = ", ".join(f"{k} {v:.2f}" for k, v in sorted(r.phases.items(), key=lambda kv: -kv[1])[:4])
    return (
        f"{r.size:>5} components  imports={r.imports:<4} nodes={r.nodes:<5} edges={r.edges:<5} DOT={r.dot_bytes / 1e6:.2f} MB  "
        f"load {r.load_s:.2f} s | ours: diagram {r.diagram_s:.2f} s + DOT {r.dot_text_s:.2f} s | dot:{dot}{share}"
        + (f"\n       dot phases (s): {phases}" if phases else "")
    )


if __name__ == "__main__":
    sys.exit(main())
