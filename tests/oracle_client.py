"""Run Roboconf's Java validator (the oracle, ../shared/oracle) on a path and return its codes.

    errors, warnings = run_oracle(path)            # application dir, .graph, .instances ...
    errors, warnings = run_oracle(path, "--flexible")

One JVM per call (about 0.1-0.4 s): callers keep the number of calls modest.  Tests call
``support.need_oracle()`` first so that a missing java or jar skips with a reason.
"""

from __future__ import annotations

import json
import subprocess
from collections import Counter
from pathlib import Path

from tests.support import ORACLE_JAR

JAVA_CMD = ["java", "-XX:TieredStopAtLevel=1", "-Xshare:auto", "-Djava.util.logging.config.file=/dev/null"]

#: Java stops reading a file at these syntax errors, where rbcc recovers and may report more
CANCEL_CODES = frozenset(
    {
        "P_O_C_BRACKET_EXTRA_CHARACTERS",
        "P_O_C_BRACKET_MISSING",
        "P_C_C_BRACKET_EXTRA_CHARACTERS",
        "P_INVALID_PROPERTY",
        "P_INVALID_PROPERTY_OR_INSTANCE",
    }
)


#: Roboconf validates a facet once per component that has it, rbcc once (each problem once)
FACET_CODES = frozenset({"RM_CYCLE_IN_FACETS_INHERITANCE"})


class OracleError(RuntimeError):
    pass


def run_oracle_json(path: Path, *options: str, timeout: float = 30) -> dict:
    """The oracle's JSON line for ``check [options] path`` (with the problems array)."""
    cmd = [*JAVA_CMD, "-jar", str(ORACLE_JAR), "check", *options, str(path)]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, check=False)
    lines = [line for line in proc.stdout.splitlines() if line.startswith("{")]
    if not lines:
        raise OracleError(f"no JSON from the oracle (rc={proc.returncode}): {proc.stderr[-2000:]}")
    data = json.loads(lines[-1])
    if "exception" in data:
        raise OracleError(f"the Java implementation failed on {path}: {data['exception']}")
    return data


def run_oracle(path: Path, *options: str) -> tuple[list[str], list[str]]:
    """(error codes, warning codes) reported by Roboconf on ``path``, in Java's order."""
    data = run_oracle_json(Path(path), *options)
    return list(data["errors"]), list(data["warnings"])


def explained_difference(ours: list[str], java: list[str], warning_codes: set[str] | frozenset[str]) -> str | None:
    """None when our codes match Java's, else why they differ in an unexplained way.

    Accepted differences (docs/deviations.md): when Java's result contains a cancelling syntax
    error, we may report more (Java's codes are then a sub-multiset of ours), except that we do
    not report PM_MISSING_INSTANCE_NAME when the name follows the syntax error in the block (we
    read the block to its end); and a warning that Java reports twice (graph and root-instance
    warnings in project loading) we report once, so for a warning code ``ours <= java <= 2 * ours``;
    likewise a facet problem, which Java reports for each component having the facet.
    """
    a, b = Counter(ours), Counter(java)
    if a == b:
        return None
    recovery = bool(CANCEL_CODES & set(b))
    problems = []
    for code in sorted(set(a) | set(b)):
        n_ours, n_java = a[code], b[code]
        if n_ours == n_java:
            continue
        if code in warning_codes and n_ours < n_java <= 2 * n_ours:
            continue
        if code in FACET_CODES and 0 < n_ours < n_java:
            continue
        if recovery and (n_ours > n_java or code == "PM_MISSING_INSTANCE_NAME"):  # see above
            continue
        problems.append(f"{code}: rbcc {n_ours}, Roboconf {n_java}")
    return "; ".join(problems) or None


def record_fixture(path: Path, about: str, rbcc: list[str] | None = None, options: tuple[str, ...] = ()) -> Path:
    """Write ``<path>.json`` (next to a .graph file or an application directory) with Java's result.

    ``rbcc``: our codes when they differ from Java's on purpose (a documented deviation);
    ``options``: how the oracle loads it (``--flexible``, ``--recipe``), as rbcc does.
    """
    path = Path(path)
    errors, warnings = run_oracle(path, *options)
    data: dict = {"about": about, "java": {"errors": errors, "warnings": warnings}}
    if options:
        data["oracle_options"] = list(options)
    if rbcc is not None:
        data["rbcc"] = sorted(rbcc)
    target = path.with_name(path.name.removesuffix(".graph") + ".json")
    target.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
    return target


if __name__ == "__main__":  # python tests/oracle_client.py PATH "about" [--deviation] [--flexible|--recipe]
    import sys

    from rbcc.dsl.validate import Validator

    p = Path(sys.argv[1])
    ours = [x.code for x in Validator(compat="roboconf").validate(p).problems]
    opts = tuple(o for o in ("--flexible", "--recipe") if o in sys.argv)
    print(record_fixture(p, sys.argv[2], ours if "--deviation" in sys.argv else None, opts).read_text(), end="")
    print("rbcc:", sorted(ours))


def run_oracle_model(path: Path, *options: str, timeout: float = 30) -> dict:
    """The oracle's ``model`` output: Roboconf's resolved components and instances (exports per instance)."""
    cmd = [*JAVA_CMD, "-jar", str(ORACLE_JAR), "model", *options, str(path)]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, check=False)
    lines = [line for line in proc.stdout.splitlines() if line.startswith("{")]
    if not lines:
        raise OracleError(f"no JSON from the oracle's model command (rc={proc.returncode}): {proc.stderr[-2000:]}")
    data: dict = json.loads(lines[-1])
    return data
