"""Benchmark runner: how fast and how lean is ``rbcc validate`` on realistic applications?

Why these numbers: a user runs ``rbcc validate`` from a shell or CI (a cold process: interpreter
start, imports, grammar loading, parsing, validation, JSON output), while the language server
re-validates in a warm process after every edit, where only the edited file should cost anything.
So for each size this measures, on an application written by ``generate.py``:

* cold: wall time of the whole ``rbcc validate APP --format json`` process (median of N runs),
  and the peak memory (max RSS) of that process;
* warm: in-process ``validate_path`` once modules are loaded (a full validation with a fresh
  ``Validator``), ``Validator.validate`` again with nothing changed (cache hits), and again after
  rewriting ONE graph file on disk (what an editor save costs);
* per component: warm full validation time divided by the number of components;
* optionally (``--java``) the Roboconf Java validator (the oracle) on the same application in the
  same run, as a baseline with a ratio column. Java is slow on large applications, so it only runs
  for sizes up to 1,000 unless ``--java-all``.

Usage::

    python benchmarks/run.py                       # sizes 100,1000,5000
    python benchmarks/run.py --sizes 100,1000 --java --json results.json

Every measurement has a timeout and fails alone: a missing or broken validator gives a row that
says so instead of a traceback.
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from generate import GeneratedApp, generate  # benchmarks/ is not a package

REPO = Path(__file__).resolve().parents[1]
DEFAULT_ORACLE = REPO.parent / "shared" / "oracle" / "roboconf-core-oracle.jar"
JAVA_CMD = ["java", "-Djava.util.logging.config.file=/dev/null", "-jar"]
JAVA_DEFAULT_MAX_SIZE = 1000


@dataclass
class ChildRun:
    """One child process: wall time, peak memory, exit status and output."""

    seconds: float
    max_rss_kb: int | None
    returncode: int | None
    stdout: str
    stderr: str
    timed_out: bool = False


@dataclass
class SizeResult:
    """Everything measured for one application size (None = not measured or failed)."""

    size: int
    app: dict[str, object] = field(default_factory=dict)
    generate_s: float | None = None
    cold_s: float | None = None
    cold_runs: list[float] = field(default_factory=list)
    peak_rss_mb: float | None = None
    rbcc_errors: int | None = None
    rbcc_warnings: int | None = None
    warm_full_s: float | None = None
    warm_cached_s: float | None = None
    warm_edit_s: float | None = None
    java_s: float | None = None
    java_runs: list[float] = field(default_factory=list)
    java_errors: int | None = None
    java_warnings: int | None = None
    rbcc_available: bool = True
    notes: list[str] = field(default_factory=list)

    @property
    def per_component_us(self) -> float | None:
        """Warm full validation per component, in microseconds."""
        return None if self.warm_full_s is None else self.warm_full_s / self.size * 1e6

    @property
    def java_ratio(self) -> float | None:
        """How many times faster the cold rbcc process is than the cold Java validator."""
        if self.java_s is None or not self.cold_s:
            return None
        return self.java_s / self.cold_s


# ---------------------------------------------------------------------- child processes
def run_child(cmd: list[str], timeout: float, cwd: Path | None = None) -> ChildRun:
    """Run ``cmd`` and measure *its own* wall time and max RSS.

    ``resource.getrusage(RUSAGE_CHILDREN)`` would give the maximum over every child so far;
    ``os.wait4`` gives this child's rusage. Output goes to temporary files (no pipe can fill up
    while we block in wait4); a timer kills the child after ``timeout`` seconds.
    """
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=out, stderr=err, stdin=subprocess.DEVNULL, cwd=cwd)
        lock = threading.Lock()
        state = {"done": False, "killed": False}

        def kill() -> None:
            with lock:
                if not state["done"]:
                    state["killed"] = True
                    proc.kill()

        timer = threading.Timer(timeout, kill)
        timer.start()
        try:
            if hasattr(os, "wait4"):
                _pid, status, usage = os.wait4(proc.pid, 0)
                with lock:
                    state["done"] = True
                proc.returncode = os.waitstatus_to_exitcode(status)
                rss = int(usage.ru_maxrss)
                if sys.platform == "darwin":  # bytes there, kilobytes on Linux
                    rss //= 1024
            else:  # pragma: no cover - Windows
                proc.wait()
                with lock:
                    state["done"] = True
                rss = None
        except BaseException:  # Ctrl-C while waiting: do not leave the child behind
            with lock:
                state["done"] = True
            proc.kill()
            proc.wait()
            raise
        finally:
            timer.cancel()
        seconds = time.perf_counter() - start
        out.seek(0)
        err.seek(0)
        return ChildRun(
            seconds=seconds,
            max_rss_kb=rss,
            returncode=proc.returncode,
            stdout=out.read().decode("utf-8", "replace"),
            stderr=err.read().decode("utf-8", "replace"),
            timed_out=bool(state["killed"]),
        )


def rbcc_command() -> list[str]:
    """The command that runs rbcc, its bytecode compiled (once per benchmark process)."""
    return list(_rbcc_command())


@functools.cache
def _rbcc_command() -> tuple[str, ...]:
    """The ``rbcc`` console script next to this interpreter, else ``python -m rbcc.cli``.

    The package's bytecode is compiled first, as ``pip install`` does for a user: an editable
    install under ``PYTHONDONTWRITEBYTECODE`` (this machine sets it) would otherwise compile every
    module again in every process measured (half a second of start-up that no user pays).
    """
    import compileall

    import rbcc

    skip = re.compile(r"[/\\](\.venv|\.git|node_modules|tests|benchmarks)[/\\]")
    compileall.compile_dir(str(Path(rbcc.__file__).parent), quiet=2, workers=1, rx=skip)
    bindir = Path(sys.executable).parent
    for name in ("rbcc", "rbcc.exe"):
        script = bindir / name
        if script.is_file() and os.access(script, os.X_OK):
            return (str(script),)
    return (sys.executable, "-m", "rbcc.cli")


def _last_json(text: str) -> dict | None:
    """The JSON document a validator printed (rbcc: the whole output; the oracle: one line)."""
    with contextlib.suppress(ValueError):
        return json.loads(text)
    for line in reversed(text.splitlines()):
        if line.startswith("{"):
            with contextlib.suppress(ValueError):
                return json.loads(line)
    return None


def measure_cold(app: Path, result: SizeResult, repeat: int, timeout: float) -> None:
    """Median wall time and max RSS of ``rbcc validate APP --format json`` processes."""
    cmd = [*rbcc_command(), "validate", str(app), "--format", "json"]
    rss: list[int] = []
    for _ in range(repeat):
        run = run_child(cmd, timeout)
        if run.timed_out:
            result.notes.append(f"rbcc cold: timeout after {timeout:.0f} s")
            return
        data = _last_json(run.stdout)
        if run.returncode not in (0, 1) or data is None:
            tail = (run.stderr.strip().splitlines() or ["no output"])[-1]
            result.notes.append(f"rbcc cold: exit {run.returncode}: {tail[:200]}")
            return
        result.cold_runs.append(run.seconds)
        if run.max_rss_kb is not None:
            rss.append(run.max_rss_kb)
        result.rbcc_errors = int(data.get("errors", 0))
        result.rbcc_warnings = int(data.get("warnings", 0))
    result.cold_s = statistics.median(result.cold_runs)
    if rss:
        result.peak_rss_mb = max(rss) / 1024
    if result.rbcc_errors:
        result.notes.append(f"rbcc reports {result.rbcc_errors} error(s) on a generated (valid) app")


def measure_java(app: Path, oracle: Path, result: SizeResult, repeat: int, timeout: float) -> None:
    """The Java validator's cold time on the same application (its JSON also gives its verdict)."""
    if shutil.which("java") is None:
        result.notes.append("java: not installed")
        return
    if not oracle.is_file():
        result.notes.append(f"java: no oracle jar at {oracle}")
        return
    cmd = [*JAVA_CMD, str(oracle), "check", str(app)]
    for _ in range(repeat):
        run = run_child(cmd, timeout)
        if run.timed_out:
            result.notes.append(f"java: timeout after {timeout:.0f} s")
            return
        data = _last_json(run.stdout)
        if data is None:
            tail = (run.stderr.strip().splitlines() or ["no output"])[-1]
            result.notes.append(f"java: exit {run.returncode}: {tail[:200]}")
            return
        result.java_runs.append(run.seconds)
        result.java_errors = len(data.get("errors", []))
        result.java_warnings = len(data.get("warnings", []))
    result.java_s = statistics.median(result.java_runs)


# ---------------------------------------------------------------------- in-process
def _timed(fn: Callable[[], object]) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


@contextlib.contextmanager
def _restored(path: Path) -> Iterator[str]:
    """Yield a file's text and put it back afterwards, whatever happens in between."""
    original = path.read_bytes()
    try:
        yield original.decode("utf-8")
    finally:
        path.write_bytes(original)


def measure_warm(gen: GeneratedApp, result: SizeResult, repeat: int) -> None:
    """Warm in-process timings with the validator API (reported, not raised, when it is missing)."""
    try:
        from rbcc.dsl.validate import Validator, validate_path
    except Exception as exc:
        result.rbcc_available = False
        result.notes.append(f"rbcc validate not available ({type(exc).__name__}: {exc})")
        return
    app = gen.path
    try:
        validate_path(app)  # loads modules, grammars and any lazy tables
        result.warm_full_s = statistics.median(_timed(lambda: validate_path(app)) for _ in range(repeat))
        validator = Validator()
        validator.validate(app)  # fills the parse cache
        result.warm_cached_s = statistics.median(_timed(lambda: validator.validate(app)) for _ in range(repeat))
        edits: list[float] = []
        with _restored(gen.edit_file) as text:
            for i in range(repeat):
                # A real edit: same model, different bytes (a comment), so the file must be re-read
                # and re-parsed while every other file stays cached.
                gen.edit_file.write_text(f"{text}# edit {i} at {time.time_ns()}\n", encoding="utf-8")
                edits.append(_timed(lambda: validator.validate(app)))
        result.warm_edit_s = statistics.median(edits)
    except Exception as exc:
        result.notes.append(f"rbcc in-process: {type(exc).__name__}: {exc}")


# ---------------------------------------------------------------------- report
def _fmt_s(value: float | None) -> str:
    if value is None:
        return "-"
    if value < 1:
        return f"{value * 1000:.0f} ms" if value >= 0.01 else f"{value * 1000:.1f} ms"
    return f"{value:.2f} s"


def _fmt(value: float | None, spec: str, suffix: str = "") -> str:
    return "-" if value is None else f"{value:{spec}}{suffix}"


COLUMNS = (
    "components",
    "model KB",
    "instances",
    "cold",
    "peak RSS",
    "warm full",
    "µs/comp",
    "no change",
    "1 file edited",
    "verdict",
    "java cold",
    "java/rbcc",
)


def table_rows(results: list[SizeResult]) -> list[list[str]]:
    """One row of cells per size."""
    rows = []
    for r in results:
        if not r.rbcc_available and r.rbcc_errors is None:
            verdict = "rbcc validate not available"
        elif r.rbcc_errors is None:
            verdict = "-"
        else:
            verdict = f"{r.rbcc_errors}E {r.rbcc_warnings}W"
        if r.java_errors is not None:
            verdict += f" / java {r.java_errors}E {r.java_warnings}W"
        model_bytes = r.app.get("model_bytes")
        rows.append(
            [
                f"{r.size:,}",
                _fmt(model_bytes / 1024 if isinstance(model_bytes, int) else None, ".0f"),
                f"{r.app.get('n_instances', '-'):,}" if isinstance(r.app.get("n_instances"), int) else "-",
                _fmt_s(r.cold_s),
                _fmt(r.peak_rss_mb, ".0f", " MB"),
                _fmt_s(r.warm_full_s),
                _fmt(r.per_component_us, ".0f"),
                _fmt_s(r.warm_cached_s),
                _fmt_s(r.warm_edit_s),
                verdict,
                _fmt_s(r.java_s),
                _fmt(r.java_ratio, ".1f", "x"),
            ]
        )
    return rows


def print_table(results: list[SizeResult], title: str) -> None:
    """A rich table when rich is installed, else aligned plain-text columns."""
    rows = table_rows(results)
    notes = [f"{r.size:,}: {note}" for r in results for note in r.notes]
    try:
        from rich.console import Console
        from rich.table import Table
    except ImportError:
        widths = [max(len(c), *(len(row[i]) for row in rows)) for i, c in enumerate(COLUMNS)]
        print(title)
        print("  ".join(c.rjust(w) for c, w in zip(COLUMNS, widths, strict=False)))
        print("  ".join("-" * w for w in widths))
        for row in rows:
            print("  ".join(cell.rjust(w) for cell, w in zip(row, widths, strict=False)))
        for note in notes:
            print(f"note: {note}")
        return
    table = Table(title=title)
    for column in COLUMNS:
        table.add_column(column, justify="right")
    for row in rows:
        table.add_row(*row)
    console = Console()
    console.print(table)
    for note in notes:
        console.print(f"note: {note}")


# ---------------------------------------------------------------------- main
def parse_sizes(text: str) -> list[int]:
    """``"100,1000,5k"`` -> ``[100, 1000, 5000]``."""
    sizes = []
    for item in text.split(","):
        item = item.strip().lower()
        if item:
            sizes.append(int(float(item[:-1]) * 1000) if item.endswith("k") else int(item))
    if not sizes or min(sizes) < 4:
        raise argparse.ArgumentTypeError("sizes must be integers >= 4")
    return sizes


def main(argv: list[str] | None = None) -> int:
    """Command line entry point (see the module docstring)."""
    parser = argparse.ArgumentParser(description="Benchmark rbcc validate on generated applications.")
    parser.add_argument(
        "--sizes",
        type=parse_sizes,
        default=parse_sizes("100,1000,5000"),
        help="comma-separated component counts (default 100,1000,5000)",
    )
    parser.add_argument("--seed", type=int, default=1, help="generator seed (default 1)")
    parser.add_argument("--repeat", type=int, default=3, help="runs per timing, median reported (default 3)")
    parser.add_argument(
        "--java",
        action="store_true",
        help=f"also time the Java oracle (sizes <= {JAVA_DEFAULT_MAX_SIZE:,} unless --java-all)",
    )
    parser.add_argument("--java-all", action="store_true", help="time the Java oracle at every size (slow)")
    parser.add_argument("--java-repeat", type=int, default=1, help="Java runs per size (default 1: it is slow)")
    parser.add_argument(
        "--oracle",
        type=Path,
        default=Path(os.environ.get("RBCC_ORACLE_JAR", DEFAULT_ORACLE)),
        help="path to roboconf-core-oracle.jar (default ../shared/oracle/, or $RBCC_ORACLE_JAR)",
    )
    parser.add_argument("--timeout", type=float, default=600, help="seconds allowed per rbcc run (default 600)")
    parser.add_argument("--java-timeout", type=float, default=1800, help="seconds allowed per Java run (default 1800)")
    parser.add_argument("--no-warm", action="store_true", help="skip the in-process measurements")
    parser.add_argument("--keep", type=Path, help="write the generated applications under this directory")
    parser.add_argument("--json", type=Path, help="also write the raw results to this JSON file")
    args = parser.parse_args(argv)
    java_sizes = [s for s in args.sizes if args.java_all or (args.java and s <= JAVA_DEFAULT_MAX_SIZE)]

    results: list[SizeResult] = []
    with tempfile.TemporaryDirectory(prefix="rbcc-bench-") as tmp:
        base = args.keep or Path(tmp)
        for size in args.sizes:
            result = SizeResult(size=size)
            results.append(result)
            print(f"[{size:,} components] generating...", file=sys.stderr, flush=True)
            start = time.perf_counter()
            try:
                gen = generate(size, args.seed, base / f"app-{size}")
            except Exception as exc:
                result.notes.append(f"generator failed: {type(exc).__name__}: {exc}")
                continue
            result.generate_s = time.perf_counter() - start
            result.app = gen.to_dict()
            print(f"[{size:,} components] rbcc validate (cold x{args.repeat})...", file=sys.stderr, flush=True)
            measure_cold(gen.path, result, args.repeat, args.timeout)
            if not args.no_warm:
                print(f"[{size:,} components] in-process (warm)...", file=sys.stderr, flush=True)
                measure_warm(gen, result, args.repeat)
            if size in java_sizes:
                print(f"[{size:,} components] Java oracle (cold x{args.java_repeat})...", file=sys.stderr, flush=True)
                measure_java(gen.path, args.oracle, result, args.java_repeat, args.java_timeout)

    title = (
        f"rbcc validate, generated applications (seed {args.seed}, median of {args.repeat}; "
        f"Python {sys.version.split()[0]}, {os.cpu_count()} CPUs)"
    )
    print_table(results, title)
    if args.json:
        payload = [{**r.__dict__, "per_component_us": r.per_component_us, "java_ratio": r.java_ratio} for r in results]
        args.json.write_text(json.dumps(payload, indent=2) + "\n", encoding="utf-8")
    failed = any(r.cold_s is None or (r.rbcc_errors or 0) > 0 for r in results)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
