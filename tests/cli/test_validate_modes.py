"""``rbcc validate --as`` and ``--compat roboconf``, and the project-mode note in every format.

In-process (click's runner): the options and the outputs, not the interpreter start-up, which
``test_cli.py`` covers.
"""

from __future__ import annotations

import json

import jsonschema
from click.testing import CliRunner

from rbcc.cli import main
from tests.support import FIXTURES

MODES = FIXTURES / "project-modes"
FOUR = FIXTURES / "independent-errors" / "four-unrelated-mistakes"


def invoke(*args: str):
    return CliRunner().invoke(main, ["validate", *map(str, args)], catch_exceptions=False)


def test_text_output_starts_with_the_mode_and_its_reason():
    done = invoke(MODES / "several-graph-files")
    assert done.exit_code == 0
    first = done.output.splitlines()[0]
    assert first.startswith("note: validated as a reusable recipe: no descriptor/ and no .instances file")
    assert "graph entry point graph/alpha.graph: the first of 3 .graph files" in first


def test_json_output_has_the_project_mode():
    done = invoke("--format", "json", MODES / "application-without-descriptor")
    assert done.exit_code == 1
    project = json.loads(done.output)["project"]
    assert project["mode"] == "application"
    assert "generated descriptor" in project["reason"]


def test_sarif_output_has_an_informational_note():
    done = invoke("--format", "sarif", "--as", "recipe", MODES / "application-without-descriptor")
    log = json.loads(done.output)
    schema = json.loads((FIXTURES / "sarif" / "sarif-schema-2.1.0.json").read_text(encoding="utf-8"))
    jsonschema.validate(log, schema)
    [note] = [
        n
        for n in log["runs"][0]["invocations"][0]["toolExecutionNotifications"]
        if n["descriptor"]["id"] == "rbcc.project-mode"
    ]
    assert note["level"] == "note"
    assert note["message"]["text"].startswith("validated as a reusable recipe: --as recipe")


def test_an_application_with_a_descriptor_gets_no_note_but_a_json_mode():
    done = invoke(FOUR)
    assert not done.output.startswith("note:")
    assert json.loads(invoke("--format", "json", FOUR).output)["project"] == {
        "mode": "application",
        "reason": "descriptor/ found",
    }


def test_as_application_demands_the_descriptor():
    done = invoke("--as", "application", MODES / "several-graph-files")
    assert done.exit_code == 1
    assert "error PROJ_NO_DESC_DIR" in done.output


def test_compat_roboconf_reports_what_roboconf_reports():
    assert invoke(FOUR).output.endswith("5 errors in 1 file\n")
    compat = invoke("--compat", "roboconf", FOUR)
    assert compat.exit_code == 1
    assert compat.output.count(": error ") == 1 and "PM_INVALID_EXPORTED_VAR_NAME" in compat.output
    assert compat.output.endswith("1 error in 1 file\n")


def test_unknown_choices_are_usage_errors():
    assert invoke("--as", "library", FOUR).exit_code == 2
    assert invoke("--compat", "java", FOUR).exit_code == 2
