"""The three output formats of ``rbcc validate``: exact text, JSON shape, schema-valid SARIF."""

from __future__ import annotations

import json
import re
from pathlib import Path
from urllib.parse import urlsplit

import jsonschema
import pytest

from rbcc.dsl.catalogue import CODES, Level
from rbcc.dsl.problems import Problem, Related, problem
from rbcc.dsl.text.ranges import SourceRange
from rbcc.reporting import FINGERPRINT_KEY, render_json, render_sarif, render_text, summary_counts
from tests.support import FIXTURES_DIR, REPO_DIR

SCHEMA_PATH = FIXTURES_DIR / "sarif" / "sarif-schema-2.1.0.json"

MAIN = "\n".join(
    [
        "# Tomcat on a VM",
        "Tomcat {",
        "\tinstaller: puppet;",
        "\tinstaller:\tscript;",
        "\tchildren: war, 日本;",
        "}",
        "",
    ]
)


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A small tree: a graph with tabs and a wide name, and an empty file."""
    (tmp_path / "app").mkdir()
    (tmp_path / "app" / "main.graph").write_text(MAIN, encoding="utf-8")
    (tmp_path / "empty.graph").write_text("", encoding="utf-8")
    return tmp_path


def _problems() -> list[Problem]:
    """Deliberately out of order: every renderer must sort."""
    return [
        problem("P_EMPTY_FILE", SourceRange.file_start("empty.graph")),
        problem("CO_INEXISTING_CHILD", SourceRange("app/main.graph", 5, 17, 5, 19), ("COMPONENT", "日本")),
        problem(
            "PM_DUPLICATE_PROPERTY",
            SourceRange("app/main.graph", 4, 2, 4, 19),
            related=[Related(SourceRange("app/main.graph", 3, 2, 3, 11), "first set here")],
        ),
    ]


# -- text -----------------------------------------------------------------------------------------

EXPECTED_TEXT = (
    "app/main.graph:4:2: error PM_DUPLICATE_PROPERTY This property was already set for this element.\n"
    " 4 | \tinstaller:\tscript;\n"
    "   | \t^~~~~~~~~~~~~~~~~~~~~~\n"
    "  app/main.graph:3:2: note: first set here\n"
    "app/main.graph:5:17: error CO_INEXISTING_CHILD"
    " No child matching this name (component or facet) was found. Component: 日本.\n"
    " 5 | \tchildren: war, 日本;\n"
    "   | \t               ^~~~\n"
    "empty.graph:1:1: warning P_EMPTY_FILE The file is empty.\n"
    "2 errors, 1 warning in 2 files\n"
)


def test_text_exact(project: Path) -> None:
    assert render_text(_problems(), project, color=False) == EXPECTED_TEXT


@pytest.mark.parametrize("tabsize", [2, 4, 8])
def test_text_caret_stays_under_the_range_whatever_the_tab_width(project: Path, tabsize: int) -> None:
    lines = render_text(_problems(), project, color=False).splitlines()
    source, carets = lines[1].expandtabs(tabsize), lines[2].expandtabs(tabsize)
    assert carets.index("^") == source.index("installer:")
    if tabsize == 8:  # the width the underline assumes for a tab inside the range
        assert carets.rstrip().endswith("~") and len(carets) == source.index(";")


def test_text_color(project: Path) -> None:
    text = render_text(_problems(), project, color=True)
    assert "\x1b[1;31merror\x1b[0m" in text
    assert "\x1b[1;33mwarning\x1b[0m" in text
    assert "\x1b[32m^~~~\x1b[0m" in text
    assert "\x1b[1;36mnote:\x1b[0m" in text
    # Without the escapes the colored text is the plain text.
    assert re.sub(r"\x1b\[[0-9;]*m", "", text) == EXPECTED_TEXT
    assert "\x1b" not in render_text(_problems(), project, color=False)


def test_text_no_problems(tmp_path: Path) -> None:
    assert render_text([], tmp_path, color=False) == "no problems found\n"
    assert render_text([], tmp_path, color=True) == "no problems found\n"


def test_text_missing_file_loses_only_the_snippet(tmp_path: Path) -> None:
    p = problem("PM_DUPLICATE_PROPERTY", SourceRange("gone.graph", 2, 1, 2, 4))
    assert render_text([p], tmp_path, color=False) == (
        "gone.graph:2:1: error PM_DUPLICATE_PROPERTY This property was already set for this element.\n"
        "1 error in 1 file\n"
    )


def test_text_directory_or_line_past_the_end_loses_only_the_snippet(tmp_path: Path) -> None:
    (tmp_path / "dir.graph").mkdir()
    (tmp_path / "short.graph").write_text("a\n", encoding="utf-8")
    ps = [
        problem("P_EMPTY_FILE", SourceRange.file_start("dir.graph")),
        problem("P_EMPTY_FILE", SourceRange("short.graph", 9, 1, 9, 1)),
    ]
    assert render_text(ps, tmp_path, color=False).splitlines() == [
        "dir.graph:1:1: warning P_EMPTY_FILE The file is empty.",
        "short.graph:9:1: warning P_EMPTY_FILE The file is empty.",
        "2 warnings in 2 files",
    ]


def test_text_undecodable_bytes_and_crlf(tmp_path: Path) -> None:
    (tmp_path / "bad.graph").write_bytes(b"x\r\nab\xffcd {\r\n")
    p = problem("PM_INVALID_NAME", SourceRange("bad.graph", 2, 1, 2, 6))
    lines = render_text([p], tmp_path, color=False).splitlines()
    assert lines[1:3] == [" 2 | ab\ufffdcd {", "   | ^~~~~"]


def test_text_control_characters_cannot_reach_the_terminal(tmp_path: Path) -> None:
    (tmp_path / "evil.graph").write_text("A\x1b[2J {\n", encoding="utf-8")
    p = Problem("PM_INVALID_NAME", Level.ERROR, "bad \x1b]0;title\x07 name", SourceRange("evil.graph", 1, 1, 1, 6))
    text = render_text([p], tmp_path, color=False)
    assert "\x1b" not in text and "\x07" not in text
    assert text.splitlines()[1:3] == [" 1 | A\ufffd[2J {", "   | ^~~~~"]


def test_text_multi_line_range_is_underlined_to_the_end_of_its_first_line(project: Path) -> None:
    p = problem("P_C_C_BRACKET_MISSING", SourceRange("app/main.graph", 2, 1, 6, 2))
    assert render_text([p], project, color=False).splitlines()[1:3] == [" 2 | Tomcat {", "   | ^~~~~~~~"]


def test_text_empty_range_and_range_past_end_of_line(project: Path) -> None:
    ps = [
        problem("P_PROPERTY_ENDS_WITH_SEMI_COLON", SourceRange("app/main.graph", 2, 9, 2, 9)),
        problem("P_PROPERTY_ENDS_WITH_SEMI_COLON", SourceRange("app/main.graph", 2, 12, 2, 12)),
    ]
    lines = render_text(ps, project, color=False).splitlines()
    assert lines[2] == "   |         ^"
    assert lines[5] == "   |            ^"


def test_text_problem_without_range(tmp_path: Path) -> None:
    p = problem("P_IO_ERROR", None)
    assert render_text([p], tmp_path, color=False) == (
        "rbcc: error P_IO_ERROR An I/O exception occurred, parsing was interrupted.\n1 error\n"
    )


def test_text_gutter_grows_with_the_line_number(tmp_path: Path) -> None:
    (tmp_path / "long.graph").write_text("\n" * 99 + "\tx;\n", encoding="utf-8")
    p = problem("P_INVALID_PROPERTY", SourceRange("long.graph", 100, 2, 100, 4))
    assert render_text([p], tmp_path, color=False).splitlines()[1:3] == [" 100 | \tx;", "     | \t^~"]


@pytest.mark.parametrize(
    ("levels", "files", "expected"),
    [
        ([Level.ERROR], 1, "1 error in 1 file"),
        ([Level.ERROR, Level.ERROR], 1, "2 errors in 1 file"),
        ([Level.WARNING], 1, "1 warning in 1 file"),
        ([Level.ERROR, Level.ERROR, Level.WARNING], 3, "2 errors, 1 warning in 3 files"),
        ([Level.ERROR, Level.WARNING, Level.WARNING], 2, "1 error, 2 warnings in 2 files"),
    ],
)
def test_text_summary(tmp_path: Path, levels: list[Level], files: int, expected: str) -> None:
    ps = [Problem("X", level, "m", SourceRange.file_start(f"f{i % files}.graph")) for i, level in enumerate(levels)]
    assert render_text(ps, tmp_path, color=False).splitlines()[-1] == expected


def test_summary_counts() -> None:
    assert summary_counts(_problems()) == (2, 1)
    assert summary_counts([]) == (0, 0)
    assert summary_counts(iter(_problems())) == (2, 1)


# -- JSON -----------------------------------------------------------------------------------------


def test_json_shape(project: Path) -> None:
    text = render_json(_problems(), project)
    doc = json.loads(text)
    assert list(doc) == ["problems", "errors", "warnings"]
    assert (doc["errors"], doc["warnings"]) == (2, 1)
    assert [p["code"] for p in doc["problems"]] == ["PM_DUPLICATE_PROPERTY", "CO_INEXISTING_CHILD", "P_EMPTY_FILE"]
    first = doc["problems"][0]
    assert first == {
        "code": "PM_DUPLICATE_PROPERTY",
        "level": "error",
        "file": "app/main.graph",
        "line": 4,
        "column": 2,
        "end_line": 4,
        "end_column": 19,
        "message": "This property was already set for this element.",
        "hint": None,
        "related": [
            {
                "file": "app/main.graph",
                "line": 3,
                "column": 2,
                "end_line": 3,
                "end_column": 11,
                "message": "first set here",
            }
        ],
    }
    assert doc["problems"][2]["level"] == "warning"
    assert doc["problems"][2]["related"] == []
    # ensure_ascii=False, two-space indent, one trailing newline.
    assert "日本" in text
    assert text.startswith('{\n  "problems": [\n    {\n      "code"')
    assert text.endswith("}\n") and not text.endswith("\n\n")


def test_json_problem_without_range_has_null_location(tmp_path: Path) -> None:
    doc = json.loads(render_json([problem("P_IO_ERROR", None)], tmp_path))
    p = doc["problems"][0]
    assert [p[k] for k in ("file", "line", "column", "end_line", "end_column")] == [None] * 5
    assert (doc["errors"], doc["warnings"]) == (1, 0)


def test_json_empty(tmp_path: Path) -> None:
    assert json.loads(render_json([], tmp_path)) == {"problems": [], "errors": 0, "warnings": 0}


def test_json_absolute_paths_under_root_become_relative(tmp_path: Path) -> None:
    p = problem("P_EMPTY_FILE", SourceRange.file_start(str(tmp_path / "sub" / "a.graph")))
    assert json.loads(render_json([p], tmp_path))["problems"][0]["file"] == "sub/a.graph"


def test_outputs_do_not_depend_on_input_order(project: Path) -> None:
    forward, backward = _problems(), list(reversed(_problems()))
    assert render_text(forward, project, color=False) == render_text(backward, project, color=False)
    assert render_json(forward, project) == render_json(backward, project)
    assert render_sarif(forward, project, tool_version="1") == render_sarif(backward, project, tool_version="1")


# -- SARIF ----------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def sarif_validator() -> jsonschema.Draft4Validator:
    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    jsonschema.Draft4Validator.check_schema(schema)
    return jsonschema.Draft4Validator(schema)


def _valid_sarif(validator: jsonschema.Draft4Validator, text: str) -> dict:
    log = json.loads(text)
    errors = sorted(validator.iter_errors(log), key=lambda e: list(e.absolute_path))
    assert not errors, "\n".join(f"{list(e.absolute_path)}: {e.message}" for e in errors)
    # The schema names URI formats but jsonschema checks them only with extra packages: check here.
    for uri in _values(log, "uri"):
        assert not re.search(r"[\s\\]|[^\x21-\x7e]", uri), uri
    return log


def _values(node: object, key: str) -> list:
    """Every value of ``key`` anywhere in a JSON tree."""
    if isinstance(node, dict):
        found = [node[key]] if key in node else []
        return found + [v for child in node.values() for v in _values(child, key)]
    if isinstance(node, list):
        return [v for child in node for v in _values(child, key)]
    return []


def test_sarif_validates_against_the_official_schema(project: Path, sarif_validator) -> None:
    log = _valid_sarif(sarif_validator, render_sarif(_problems(), project, tool_version="0.1.0"))
    assert log["version"] == "2.1.0"
    assert log["$schema"].endswith("sarif-schema-2.1.0.json")
    assert len(log["runs"]) == 1


def test_sarif_empty_log_is_valid(tmp_path: Path, sarif_validator) -> None:
    run = _valid_sarif(sarif_validator, render_sarif([], tmp_path, tool_version="0.1.0"))["runs"][0]
    assert run["results"] == [] and run["tool"]["driver"]["rules"] == [] and run["artifacts"] == []
    assert run["invocations"] == [{"executionSuccessful": True}]


def test_sarif_driver_and_rules(project: Path, sarif_validator) -> None:
    text = render_sarif(_problems(), project, tool_version="1.2.3", information_uri="https://example.org/rbcc")
    driver = _valid_sarif(sarif_validator, text)["runs"][0]["tool"]["driver"]
    assert driver["name"] == "rbcc"
    assert driver["version"] == "1.2.3"
    assert driver["informationUri"] == "https://example.org/rbcc"
    assert [r["id"] for r in driver["rules"]] == ["CO_INEXISTING_CHILD", "PM_DUPLICATE_PROPERTY", "P_EMPTY_FILE"]
    for rule in driver["rules"]:
        info = CODES[rule["id"]]
        assert rule["shortDescription"]["text"] == info.message
        assert rule["defaultConfiguration"]["level"] == info.level.value


def test_sarif_without_information_uri_omits_it(project: Path) -> None:
    driver = json.loads(render_sarif(_problems(), project, tool_version="1"))["runs"][0]["tool"]["driver"]
    assert "informationUri" not in driver


def test_sarif_results(project: Path, sarif_validator) -> None:
    run = _valid_sarif(sarif_validator, render_sarif(_problems(), project, tool_version="0.1.0"))["runs"][0]
    rules = run["tool"]["driver"]["rules"]
    results = run["results"]
    assert [r["ruleId"] for r in results] == ["PM_DUPLICATE_PROPERTY", "CO_INEXISTING_CHILD", "P_EMPTY_FILE"]
    assert [r["level"] for r in results] == ["error", "error", "warning"]
    for r in results:
        assert rules[r["ruleIndex"]]["id"] == r["ruleId"]

    dup = results[0]
    assert dup["locations"] == [
        {
            "physicalLocation": {
                "artifactLocation": {"uri": "app/main.graph", "uriBaseId": "SRCROOT", "index": 0},
                "region": {"startLine": 4, "startColumn": 2, "endLine": 4, "endColumn": 19},
            }
        }
    ]
    assert dup["relatedLocations"] == [
        {
            "id": 1,
            "physicalLocation": {
                "artifactLocation": {"uri": "app/main.graph", "uriBaseId": "SRCROOT", "index": 0},
                "region": {"startLine": 3, "startColumn": 2, "endLine": 3, "endColumn": 11},
            },
            "message": {"text": "first set here"},
        }
    ]
    assert dup["message"]["text"] == "This property was already set for this element. See [first set here](1)."
    assert results[1]["message"]["text"] == CODES["CO_INEXISTING_CHILD"].message + " Component: 日本."
    assert "relatedLocations" not in results[1]

    assert run["originalUriBaseIds"] == {"SRCROOT": {"uri": project.absolute().as_uri() + "/"}}
    assert run["artifacts"] == [
        {"location": {"uri": "app/main.graph", "uriBaseId": "SRCROOT", "index": 0}},
        {"location": {"uri": "empty.graph", "uriBaseId": "SRCROOT", "index": 1}},
    ]
    assert run["columnKind"] == "unicodeCodePoints"


def test_sarif_brackets_are_escaped_once_a_message_has_links(tmp_path: Path, sarif_validator) -> None:
    where = SourceRange("a.graph", 1, 1, 1, 2)
    linked = problem("PM_INVALID_NAME", where, related=[Related(where, "see [here]")])
    plain = problem("PM_INVALID_NAME", SourceRange("a.graph", 2, 1, 2, 2))
    results = _valid_sarif(sarif_validator, render_sarif([linked, plain], tmp_path, tool_version="1"))["runs"][0][
        "results"
    ]
    assert results[0]["message"]["text"] == (
        "An invalid name was found. Expected pattern: \\[a-zA-Z_\\](\\\\w|-|\\\\.)* See [see \\[here\\]](1)."
    )
    assert results[1]["message"]["text"] == CODES["PM_INVALID_NAME"].message


def test_sarif_fingerprints(tmp_path: Path) -> None:
    def fingerprints(ps: list[Problem]) -> list[str]:
        run = json.loads(render_sarif(ps, tmp_path, tool_version="1"))["runs"][0]
        return [r["partialFingerprints"][FINGERPRINT_KEY] for r in run["results"]]

    base = fingerprints(_problems())
    assert len(set(base)) == 3
    assert all(re.fullmatch(r"[0-9a-f]{32}:1", f) for f in base)
    # Moving every problem down ten lines (a comment inserted above) keeps every alert.
    shifted = [
        Problem(
            p.code,
            p.level,
            p.message,
            SourceRange(
                p.file, p.range.start_line + 10, p.range.start_column, p.range.end_line + 10, p.range.end_column
            ),
            p.related,
        )
        for p in _problems()
    ]
    assert fingerprints(shifted) == base
    # Two identical problems in one file stay two alerts.
    twins = [problem("P_EMPTY_FILE", SourceRange("x.graph", line, 1, line, 1)) for line in (1, 5)]
    a, b = fingerprints(twins)
    assert a != b and a.split(":")[0] == b.split(":")[0]
    # Another message or another file is another alert.
    other = fingerprints([problem("P_EMPTY_FILE", SourceRange.file_start("y.graph"))])
    assert other[0] != a


def test_sarif_problem_without_range_is_a_notification_not_a_result(tmp_path: Path, sarif_validator) -> None:
    ps = [problem("P_IO_ERROR", None), problem("P_EMPTY_FILE", SourceRange.file_start("a.graph"))]
    run = _valid_sarif(sarif_validator, render_sarif(ps, tmp_path, tool_version="1"))["runs"][0]
    assert all(r["locations"] for r in run["results"])  # GitHub rejects a log with an unlocated result
    assert [r["ruleId"] for r in run["results"]] == ["P_EMPTY_FILE"]
    (invocation,) = run["invocations"]
    assert invocation["executionSuccessful"] is False
    (note,) = invocation["toolExecutionNotifications"]
    assert note["level"] == "error"
    assert note["message"]["text"] == CODES["P_IO_ERROR"].message
    rules = run["tool"]["driver"]["rules"]
    assert rules[note["associatedRule"]["index"]]["id"] == "P_IO_ERROR"


def test_sarif_uris_are_escaped_relative_references(tmp_path: Path, sarif_validator) -> None:
    root = tmp_path / "my project"
    ps = [problem("P_EMPTY_FILE", SourceRange.file_start("dir with space/é:1.graph"))]
    run = _valid_sarif(sarif_validator, render_sarif(ps, root, tool_version="1"))["runs"][0]
    uri = run["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
    assert uri == "dir%20with%20space/%C3%A9%3A1.graph"
    assert urlsplit(uri).scheme == ""
    base = run["originalUriBaseIds"]["SRCROOT"]["uri"]
    assert base.startswith("file:///") and base.endswith("/my%20project/")


def test_sarif_code_missing_from_catalogue(tmp_path: Path, sarif_validator) -> None:
    p = Problem("RBCC_SOMETHING", Level.WARNING, "rbcc's own check.", SourceRange.file_start("a.graph"))
    rule = _valid_sarif(sarif_validator, render_sarif([p], tmp_path, tool_version="1"))["runs"][0]["tool"]["driver"][
        "rules"
    ][0]
    assert rule == {
        "id": "RBCC_SOMETHING",
        "shortDescription": {"text": "RBCC_SOMETHING"},
        "defaultConfiguration": {"level": "warning"},
    }


def test_vendored_schema_is_the_official_one() -> None:
    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    assert schema["id"] == "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
    assert schema["$schema"] == "http://json-schema.org/draft-04/schema#"


def test_sarif_notification_keeps_related_locations(tmp_path: Path, sarif_validator) -> None:
    where = SourceRange("a.graph", 2, 1, 2, 5)
    p = Problem("CO_UNREACHABLE_FILE", Level.ERROR, "Cannot read it.", None, (Related(where, "imported here"),))
    run = _valid_sarif(sarif_validator, render_sarif([p], tmp_path, tool_version="1"))["runs"][0]
    (note,) = run["invocations"][0]["toolExecutionNotifications"]
    assert note["locations"][0]["message"] == {"text": "imported here"}
    assert note["locations"][0]["physicalLocation"]["region"]["startLine"] == 2
    assert run["results"] == []
    assert run["artifacts"] == [{"location": {"uri": "a.graph", "uriBaseId": "SRCROOT", "index": 0}}]


# -- the documentation shows what the code does -----------------------------------------------------

DOC = (REPO_DIR / "docs") / "validate-output.md"


def test_doc_text_example_is_real_output() -> None:
    blocks = re.findall(r"^```\n(.*?)^```$", DOC.read_text(encoding="utf-8"), re.DOTALL | re.MULTILINE)
    assert EXPECTED_TEXT in blocks


def test_json_output_matches_the_documented_schema(project: Path) -> None:
    doc = DOC.read_text(encoding="utf-8")
    block = re.search(r"<!-- validate-json-schema -->\n```json\n(.*?)^```$", doc, re.DOTALL | re.MULTILINE)
    assert block is not None
    schema = json.loads(block.group(1))
    jsonschema.Draft202012Validator.check_schema(schema)
    validator = jsonschema.Draft202012Validator(schema)
    extra = [problem("P_IO_ERROR", None)]
    for ps in ([], _problems(), _problems() + extra):
        validator.validate(json.loads(render_json(ps, project)))
    # The documented example validates too.
    example = re.search(r"Exactly one JSON object.*?```json\n(.*?)^```$", doc, re.DOTALL | re.MULTILINE)
    assert example is not None
    validator.validate(json.loads(example.group(1)))


def test_sarif_srcroot_makes_uris_relative_to_the_repository(project: Path, sarif_validator) -> None:
    repo = project.parent
    plain = json.loads(render_sarif(_problems(), project, tool_version="1"))["runs"][0]
    text = render_sarif(_problems(), project, tool_version="1", srcroot=repo)
    run = _valid_sarif(sarif_validator, text)["runs"][0]
    prefix = project.name + "/"
    assert run["originalUriBaseIds"]["SRCROOT"]["uri"] == repo.as_uri() + "/"
    assert [a["location"]["uri"] for a in run["artifacts"]] == [prefix + "app/main.graph", prefix + "empty.graph"]
    related = run["results"][0]["relatedLocations"][0]["physicalLocation"]["artifactLocation"]["uri"]
    assert related == prefix + "app/main.graph"
    # The fingerprint hashes the path GitHub sees.
    fp = [r["partialFingerprints"][FINGERPRINT_KEY] for r in run["results"]]
    assert fp != [r["partialFingerprints"][FINGERPRINT_KEY] for r in plain["results"]]
    # srcroot == root changes nothing; a root outside srcroot is refused.
    assert render_sarif(_problems(), project, tool_version="1", srcroot=project) == render_sarif(
        _problems(), project, tool_version="1"
    )
    with pytest.raises(ValueError):
        render_sarif(_problems(), project, tool_version="1", srcroot=project / "app")


def test_sarif_rule_help_carries_the_catalogue_explanation_and_example(project: Path) -> None:
    import json

    from rbcc.dsl import CODES

    log = json.loads(render_sarif(_problems(), project, tool_version="0.1.0"))
    rules = {r["id"]: r for r in log["runs"][0]["tool"]["driver"]["rules"]}
    for code, rule in rules.items():
        info = CODES[code]
        assert rule["help"]["text"] == info.explanation
        assert info.explanation in rule["help"]["markdown"]
        assert info.example.rstrip() in rule["help"]["markdown"]
