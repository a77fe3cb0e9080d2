"""The formatter (``rbcc.dsl.formatter``) and ``rbcc fmt``."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from rbcc.cli.fmt import fmt
from rbcc.dsl.text.formatter import format_text
from tests.support import REPO_DIR

REPO = REPO_DIR
MESSY = """

# A machine.
import   facets.graph;
   VM{
  installer :  target;   # inline comment
      # a comment inside
children: Tomcat, MySQL;



  }
facet f {
exports: a = 1;
}
"""
CLEAN = """# A machine.
import   facets.graph;
VM {
\tinstaller: target; # inline comment
\t# a comment inside
\tchildren: Tomcat, MySQL;
}
facet f {
\texports: a = 1;
}
"""
EXAMPLES = sorted(p for p in (REPO / "examples").rglob("*") if p.suffix in (".graph", ".instances"))


def comments(text: str) -> list[str]:
    return [line.split("#", 1)[1].strip() for line in text.splitlines() if "#" in line]


def test_indentation_spacing_and_blank_lines():
    assert format_text(MESSY, "graph/x.graph") == CLEAN


def test_idempotent_and_keeps_every_comment():
    once = format_text(MESSY, "graph/x.graph")
    assert format_text(once, "graph/x.graph") == once
    assert comments(once) == comments(MESSY)


def test_nested_instances_are_indented_per_level():
    text = "instance of VM {\nname: vm;\ninstance of App {\nname: app;\n}\n}\n"
    assert format_text(text, "instances/x.instances") == (
        "instance of VM {\n\tname: vm;\n\tinstance of App {\n\t\tname: app;\n\t}\n}\n"
    )


def test_meaningful_spaces_in_values_are_kept():
    text = "instance of VM {\n\tname: Tomcat VM ;\n}\n"
    assert format_text(text, "instances/x.instances") == text


def test_files_with_syntax_errors_are_left_alone():
    assert format_text("VM {\n\tinstaller target\n}\n", "graph/x.graph") is None


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.name)
def test_examples_are_stable(path):
    text = path.read_text()
    once = format_text(text, str(path))
    assert once is not None
    assert format_text(once, str(path)) == once
    assert comments(once) == comments(text)


def test_fmt_check_diff_and_write(tmp_path):
    target = tmp_path / "x.graph"
    target.write_text(MESSY)
    runner = CliRunner()
    result = runner.invoke(fmt, ["--check", str(target)])
    assert result.exit_code == 1 and "would reformat" in result.output
    result = runner.invoke(fmt, ["--diff", str(target)])
    assert result.exit_code == 1 and "+\tinstaller: target;" in result.output
    assert target.read_text() == MESSY
    assert runner.invoke(fmt, [str(tmp_path)]).exit_code == 0
    assert target.read_text() == CLEAN
    assert runner.invoke(fmt, ["--check", str(target)]).exit_code == 0


def test_fmt_reports_broken_files_where_they_break_skips_them_and_fails(tmp_path):
    target = tmp_path / "bad.graph"
    target.write_text("VM {\n\tinstaller target\n}\n")
    good = tmp_path / "good.graph"
    good.write_text(CLEAN)
    for args in ([], ["--check"], ["--diff"]):
        result = CliRunner().invoke(fmt, [*args, str(tmp_path)])
        assert result.exit_code == 1, args
        assert f"{target}:2:2: not formatted: P_" in result.output
        assert target.read_text() == "VM {\n\tinstaller target\n}\n"


def test_comment_lines_are_kept_verbatim_with_their_trailing_spaces():
    text = "# title  \nVM {\n  installer: target;   \n\t# inside \t\n\tchildren: A; # after  \n}\n"
    assert format_text(text, "graph/x.graph") == (
        "# title  \nVM {\n\tinstaller: target;\n\t# inside \t\n\tchildren: A; # after  \n}\n"
    )
