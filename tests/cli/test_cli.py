"""``rbcc validate`` as a user runs it: a subprocess, exit statuses, formats, ``--werror``, ``-o``.

Exit statuses (docs/validate-output.md): 0 clean (warnings allowed), 1 problems (errors, or
warnings with ``--werror``), 2 usage or I/O error with a message and no traceback.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support import FIXTURES_DIR

FIXTURES = FIXTURES_DIR
APPS = FIXTURES / "apps"
PROBLEM_KEYS = {"code", "level", "file", "line", "column", "end_line", "end_column", "message", "related"}
RELATED_KEYS = {"file", "line", "column", "end_line", "end_column", "message"}


#: every test runs rbcc in a fresh interpreter (an external program): part of the full suite
pytestmark = pytest.mark.slow


def rbcc(*args: str, cwd: Path | None = None, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "rbcc.cli", *map(str, args)],
        capture_output=True,
        text=True,
        encoding="utf-8",
        cwd=cwd,
        env={**os.environ, **(env or {})},
        timeout=120,
    )


def write(root: Path, files: dict[str, str]) -> Path:
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root


@pytest.fixture
def warnings_only_app(tmp_path: Path) -> Path:
    """An application whose only problem is a warning (an orphan facet)."""
    return write(
        tmp_path / "warn",
        {
            "descriptor/application.properties": "name = W\nversion = 1.0\ndsl-id = roboconf-1.0\ngraph-entry-point = main.graph\n",
            "graph/main.graph": "VM {\n\tinstaller: target;\n}\n\nfacet unused {\n}\n",
            "graph/VM/readme.txt": "VM\n",
        },
    )


def no_traceback(proc: subprocess.CompletedProcess) -> None:
    assert "Traceback" not in proc.stderr and "Traceback" not in proc.stdout


# -- exit statuses -------------------------------------------------------------------------------------------


def test_clean_application_exits_0():
    proc = rbcc("validate", APPS / "clean")
    assert proc.returncode == 0, proc.stderr
    assert "no problems found" in proc.stdout
    assert proc.stderr == ""


def test_errors_exit_1_and_the_report_is_complete():
    proc = rbcc("validate", APPS / "recipe-errors")
    assert proc.returncode == 1
    no_traceback(proc)
    assert proc.stdout.count(" error REC_") == 8
    assert proc.stdout.count(" warning REC_") == 3
    assert proc.stdout.rstrip().endswith("8 errors, 3 warnings in 1 file")


def test_warnings_alone_exit_0_but_1_with_werror(warnings_only_app):
    plain = rbcc("validate", warnings_only_app)
    assert plain.returncode == 0
    assert "warning RM_ORPHAN_FACET" in plain.stdout
    strict = rbcc("validate", "--werror", warnings_only_app)
    assert strict.returncode == 1
    assert strict.stdout == plain.stdout


def test_werror_changes_nothing_for_a_clean_project():
    assert rbcc("validate", "--werror", APPS / "clean").returncode == 0


def test_missing_path_exits_2_with_a_clear_message(tmp_path):
    proc = rbcc("validate", tmp_path / "no-such-app")
    assert proc.returncode == 2
    no_traceback(proc)
    assert "no-such-app: no such file or directory" in proc.stderr
    assert proc.stdout == ""


def test_bad_option_exits_2():
    proc = rbcc("validate", "--format", "xml", APPS / "clean")
    assert proc.returncode == 2
    no_traceback(proc)
    assert "xml" in proc.stderr


# -- formats -------------------------------------------------------------------------------------------------


def test_text_format_uses_file_line_column_headers_with_a_caret():
    proc = rbcc("validate", FIXTURES / "graph" / "several-syntax-errors.graph")
    assert proc.returncode == 1
    lines = proc.stdout.splitlines()
    assert lines[0] == (
        "several-syntax-errors.graph:8:19: error P_PROPERTY_ENDS_WITH_SEMI_COLON "
        "A property definition must end with a semi-colon."
    )
    assert lines[1] == " 8 | \tinstaller: puppet"
    assert lines[2].endswith("^")
    assert lines[3] == "  hint: Add `;`."  # rbcc's advice, on a line of its own
    assert "\x1b[" not in proc.stdout  # no colour when not writing to a terminal


def test_json_format_has_the_documented_shape():
    proc = rbcc("validate", "--format", "json", FIXTURES / "graph" / "several-syntax-errors.graph")
    assert proc.returncode == 1
    data = json.loads(proc.stdout)
    assert set(data) >= {"problems", "errors", "warnings"}
    assert data["errors"] == 5 and data["warnings"] == 0
    for p in data["problems"]:
        assert set(p) >= PROBLEM_KEYS
        assert p["level"] in ("error", "warning")
        for r in p["related"]:
            assert set(r) >= RELATED_KEYS
    first = data["problems"][0]
    assert {k: first[k] for k in PROBLEM_KEYS - {"message"}} == {
        "code": "P_PROPERTY_ENDS_WITH_SEMI_COLON",
        "level": "error",
        "file": "several-syntax-errors.graph",
        "line": 8,
        "column": 19,
        "end_line": 8,
        "end_column": 19,
        "related": [],
    }
    unclosed = next(p for p in data["problems"] if p["line"] == 20)
    assert unclosed["code"] == "P_INVALID_PROPERTY"
    assert unclosed["related"][0]["line"] == 17  # the facet left open


def test_json_for_a_clean_project_and_counts_for_warnings(warnings_only_app):
    clean = json.loads(rbcc("validate", "--format", "json", APPS / "clean").stdout)
    assert (clean["problems"], clean["errors"], clean["warnings"]) == ([], 0, 0)
    warn = json.loads(rbcc("validate", "--format", "json", warnings_only_app).stdout)
    assert (warn["errors"], warn["warnings"]) == (0, 1)
    (p,) = warn["problems"]
    assert (p["code"], p["file"], p["line"], p["column"], p["end_column"]) == (
        "RM_ORPHAN_FACET",
        "graph/main.graph",
        5,
        7,
        13,
    )


def test_json_paths_are_relative_to_the_project():
    data = json.loads(rbcc("validate", "--format", "json", APPS / "layout-errors").stdout)
    files = {p["file"] for p in data["problems"]}
    assert files == {
        "commands/notes.txt",
        "docs/old.INSTANCES",
        "docs/sketch.graph",
        "graph/main.graph",
        "graph/stray.graph",
        "instances/model.instances",
        "rules.autonomic/r.rule",
    }


def test_sarif_format_is_a_sarif_log():
    proc = rbcc("validate", "--format", "sarif", APPS / "recipe-errors")
    assert proc.returncode == 1
    log = json.loads(proc.stdout)
    assert log["version"] == "2.1.0"
    results = log["runs"][0]["results"]
    assert len(results) == 11
    assert {r["ruleId"] for r in results} >= {"REC_TARGET_NO_ID", "REC_PUPPET_HAS_NO_RBCF_MODULE"}


# -- -o FILE -----------------------------------------------------------------------------------------------


def test_output_file_receives_the_report_and_stdout_stays_empty(tmp_path):
    out = tmp_path / "report.json"
    proc = rbcc("validate", "--format", "json", "-o", out, APPS / "recipe-errors")
    assert proc.returncode == 1
    assert proc.stdout == ""
    data = json.loads(out.read_text(encoding="utf-8"))
    assert data["errors"] == 8
    assert sorted(os.listdir(tmp_path)) == ["report.json"]  # no temporary file left behind


def test_output_file_is_replaced_atomically(tmp_path):
    out = tmp_path / "report.txt"
    out.write_text("old report\n", encoding="utf-8")
    keep = tmp_path / "old-link.txt"
    os.link(out, keep)  # a reader holding the old file keeps reading the old, complete report
    proc = rbcc("validate", "-o", out, APPS / "clean")
    assert proc.returncode == 0
    assert out.read_text(encoding="utf-8").strip() == "no problems found"
    assert keep.read_text(encoding="utf-8") == "old report\n"
    assert os.stat(out).st_ino != os.stat(keep).st_ino  # renamed into place, not rewritten
    assert sorted(os.listdir(tmp_path)) == ["old-link.txt", "report.txt"]


def test_output_into_a_missing_directory_exits_2_and_writes_nothing(tmp_path):
    proc = rbcc("validate", "-o", tmp_path / "nope" / "report.txt", APPS / "clean")
    assert proc.returncode == 2
    no_traceback(proc)
    assert "cannot write" in proc.stderr
    assert proc.stdout == ""
    assert not (tmp_path / "nope").exists()


def test_output_to_a_directory_is_a_usage_error(tmp_path):
    proc = rbcc("validate", "-o", tmp_path, APPS / "clean")
    assert proc.returncode == 2
    no_traceback(proc)


def test_relative_paths_from_another_directory(tmp_path):
    proc = rbcc("validate", "--format", "json", "clean", cwd=APPS)
    assert proc.returncode == 0
    assert json.loads(proc.stdout)["problems"] == []


def test_sarif_srcroot_makes_paths_relative_to_the_repository(tmp_path: Path) -> None:
    app = tmp_path / "apps" / "demo"
    (app / "graph").mkdir(parents=True)
    (app / "graph" / "main.graph").write_text("VM {\n\tinstaller: target;\n\tchildren: Nope;\n}\n", encoding="utf-8")
    done = subprocess.run(
        [sys.executable, "-m", "rbcc.cli", "validate", str(app), "--format", "sarif", "--srcroot", str(tmp_path)],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 1
    uris = {
        loc["physicalLocation"]["artifactLocation"]["uri"]
        for result in json.loads(done.stdout)["runs"][0]["results"]
        for loc in result["locations"]
    }
    assert uris == {"apps/demo/graph/main.graph"}


def test_sarif_srcroot_outside_gives_a_usage_error(tmp_path: Path) -> None:
    app = tmp_path / "demo"
    (app / "graph").mkdir(parents=True)
    (app / "graph" / "main.graph").write_text("VM {\n\tinstaller: target;\n}\n", encoding="utf-8")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    done = subprocess.run(
        [sys.executable, "-m", "rbcc.cli", "validate", str(app), "--format", "sarif", "--srcroot", str(elsewhere)],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 2
    assert "is not inside" in done.stderr and "Traceback" not in done.stderr
