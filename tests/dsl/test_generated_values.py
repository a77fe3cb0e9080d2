"""Values Roboconf generates in commands (``$(UUID)``, ``$(NANO_TIME)``…) do not make the
validator's output change from run to run (docs/validate-output.md: the output is deterministic)."""

from __future__ import annotations

from click.testing import CliRunner

from rbcc.cli import main
from rbcc.dsl.validate import Validator
from tests.support import FIXTURES

APP = FIXTURES / "apps" / "generated-values-in-commands"


def test_generated_values_in_messages_are_the_same_on_every_run():
    runs = [CliRunner().invoke(main, ["validate", str(APP)]).output for _ in range(2)]
    assert runs[0] == runs[1]
    assert runs[0].endswith("3 errors in 1 file\n")


def test_generated_values_have_their_shape_and_differ_from_each_other():
    problems = Validator().validate(APP).problems
    # Roboconf's codes (checked with the oracle); a generated UUID and a time in nanoseconds
    assert [(p.code, p.range.start_line) for p in problems] == [
        ("CMD_NO_MATCHING_INSTANCE", 3),
        ("CMD_NO_MATCHING_INSTANCE", 4),
        ("CMD_UNRESOLVED_VARIABLE", 5),
    ]
    assert "Instance: /vm-00000000-0000-4000-8000-000000000001." in problems[0].message
    assert "Instance: /vm-1000000000002000000." in problems[1].message
