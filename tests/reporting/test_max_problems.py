"""``--max-problems``: a file's first N problems, then how many more, in every output format.

The cap is per file, keeps errors before warnings, and never changes the verdict or the counts.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import jsonschema
import pytest
from click.testing import CliRunner

from rbcc.cli.validate import validate as validate_command
from rbcc.dsl import DEFAULT_MAX_PROBLEMS, Suppressed, limit_per_file
from rbcc.dsl.problems import Problem, problem
from rbcc.dsl.text.ranges import SourceRange
from rbcc.dsl.validate import Validator
from rbcc.reporting import render_json, render_sarif, render_text
from tests.reporting.test_reporting import DOC, _valid_sarif, sarif_validator  # noqa: F401 (fixture)


def _at(file: str, line: int, code: str = "P_INVALID_PROPERTY") -> Problem:
    return problem(code, SourceRange.line_span(file, line, 0, 4))


def test_each_file_keeps_its_first_problems_and_counts_the_rest() -> None:
    ps = [_at("b.graph", n) for n in range(1, 8)] + [_at("a.graph", n) for n in range(1, 4)]
    kept, suppressed = limit_per_file(ps, 5)
    assert [(p.range.file, p.range.start_line) for p in kept] == [("a.graph", n) for n in (1, 2, 3)] + [
        ("b.graph", n) for n in (1, 2, 3, 4, 5)
    ]
    assert suppressed == [Suppressed("b.graph", 2, 0)]


def test_errors_are_kept_before_earlier_warnings() -> None:
    warnings = [_at("a.graph", n, "P_EMPTY_FILE") for n in range(1, 5)]
    errors = [_at("a.graph", n) for n in (10, 11)]
    kept, suppressed = limit_per_file(warnings + errors, 3)
    assert [(p.code, p.range.start_line) for p in kept] == [
        ("P_EMPTY_FILE", 1),
        ("P_INVALID_PROPERTY", 10),
        ("P_INVALID_PROPERTY", 11),
    ]
    assert suppressed == [Suppressed("a.graph", 0, 3)]
    assert suppressed[0].total == 3


@pytest.mark.parametrize("cap", [None, 0])
def test_no_cap_keeps_everything(cap: int | None) -> None:
    ps = [_at("a.graph", n) for n in range(1, 300)]
    assert limit_per_file(ps, cap) == (ps, [])


def test_default_is_javacs() -> None:
    assert DEFAULT_MAX_PROBLEMS == 100


@pytest.fixture
def flood(tmp_path: Path) -> Path:
    """A graph file of 250 unclosed blocks (one error each, Roboconf's extra one on the first)."""
    path = tmp_path / "flood.graph"
    path.write_text("VM {\n" * 250, encoding="utf-8")
    return path


def test_validator_caps_per_file_and_keeps_the_verdict(flood: Path) -> None:
    full = Validator().validate(flood)
    capped = Validator().validate(flood, max_problems=40)
    assert len(full.problems) == 251 and full.suppressed == []
    assert capped.problems == full.problems[:40]
    assert capped.suppressed == [Suppressed("flood.graph", 211, 0)]
    assert (capped.errors, capped.warnings, capped.max_problems) == (251, 0, 40)


def test_text_says_how_many_more_and_counts_them(flood: Path) -> None:
    result = Validator().validate(flood, max_problems=3)
    text = render_text(result.problems, result.root, color=False, suppressed=result.suppressed)
    assert len(re.findall(r"^flood\.graph:\d+:\d+: error ", text, re.MULTILINE)) == 3
    assert text.endswith(
        "flood.graph: 248 more problems not shown (248 errors); --max-problems 0 shows all\n251 errors in 1 file\n"
    )


def test_json_has_a_suppressed_field_matching_the_documented_schema(flood: Path) -> None:
    result = Validator().validate(flood, max_problems=3)
    doc = json.loads(render_json(result.problems, result.root, suppressed=result.suppressed, max_problems=3))
    assert len(doc["problems"]) == 3
    assert (doc["errors"], doc["warnings"]) == (251, 0)
    assert doc["suppressed"] == {
        "max_problems": 3,
        "total": 248,
        "files": [{"file": "flood.graph", "errors": 248, "warnings": 0}],
    }
    block = re.search(r"<!-- validate-json-schema -->\n```json\n(.*?)^```$", DOC.read_text(), re.DOTALL | re.MULTILINE)
    assert block is not None
    jsonschema.Draft202012Validator(json.loads(block.group(1))).validate(doc)
    assert "suppressed" not in json.loads(render_json(result.problems, result.root))


def test_sarif_has_a_notification_per_capped_file_and_run_properties(flood: Path, sarif_validator) -> None:  # noqa: F811
    result = Validator().validate(flood, max_problems=3)
    text = render_sarif(result.problems, result.root, tool_version="0", suppressed=result.suppressed, max_problems=3)
    run = _valid_sarif(sarif_validator, text)["runs"][0]
    assert len(run["results"]) == 3
    assert run["properties"] == {"suppressedProblems": 248, "maxProblemsPerFile": 3}
    [note] = run["invocations"][0]["toolExecutionNotifications"]
    assert note["level"] == "note"
    assert note["message"]["text"].startswith("248 more problems not shown")
    assert note["properties"] == {"suppressedErrors": 248, "suppressedWarnings": 0}
    assert note["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "flood.graph"
    assert run["invocations"][0]["executionSuccessful"] is True


def test_cli_caps_at_100_by_default_and_0_shows_all(tmp_path: Path) -> None:
    path = tmp_path / "flood.graph"
    path.write_text("VM {\n" * 150, encoding="utf-8")
    runner = CliRunner()
    default = runner.invoke(validate_command, [str(path), "--format", "json"])
    assert default.exit_code == 1, default.output
    doc = json.loads(default.output)
    assert len(doc["problems"]) == 100 and doc["errors"] == 151
    assert doc["suppressed"]["total"] == 51 and doc["suppressed"]["max_problems"] == 100
    everything = json.loads(
        runner.invoke(validate_command, [str(path), "--format", "json", "--max-problems", "0"]).output
    )
    assert len(everything["problems"]) == 151 and "suppressed" not in everything
    bad = runner.invoke(validate_command, [str(path), "--max-problems", "-1"])
    assert bad.exit_code == 2
