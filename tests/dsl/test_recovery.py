"""Recovery on broken text stays local and linear (issue 9 §2, docs/deviations.md §1).

One error per mistake where a human sees one, each on the line that shows it, with the enclosing
block as a related note; the count grows with the mistakes, not with the lines after them.  Times
are in ``benchmarks/bench_recovery.py``; here only codes, ranges and counts.
"""

from __future__ import annotations

from rbcc.dsl.validate import Validator
from tests.support import FIXTURES

HERE = FIXTURES / "recovery"


def spans(name: str) -> list[tuple[str, int, int]]:
    problems = Validator().validate(HERE / name).problems
    return [(p.code, p.range.start_line, p.range.start_column) for p in problems if p.range is not None]


def test_each_forgotten_brace_is_one_error_on_the_next_declaration():
    assert spans("forgotten-braces.graph") == [
        ("PM_INVALID_BLOCK_TYPE", 3, 1),  # Roboconf's: the first declaration could not be read
        ("P_INVALID_PROPERTY", 7, 1),  # Database not closed: Server is not a property
        ("P_C_C_BRACKET_MISSING", 11, 1),  # Front not closed at the end of the file
        ("P_INVALID_PROPERTY", 11, 1),  # Server not closed: Front is not a property
    ]
    problems = Validator().validate(HERE / "forgotten-braces.graph").problems
    related = [(p.code, [(r.range.start_line, r.range.start_column) for r in p.related]) for p in problems]
    assert related == [
        ("PM_INVALID_BLOCK_TYPE", []),
        ("P_INVALID_PROPERTY", [(3, 1)]),  # the enclosing block, which is not closed
        ("P_C_C_BRACKET_MISSING", [(14, 1)]),  # where the end of the file was reached
        ("P_INVALID_PROPERTY", [(7, 1)]),
    ]


def test_forgotten_semicolons_and_a_misspelt_property_are_three_errors_and_nothing_more():
    assert spans("forgotten-semicolons.graph") == [
        ("P_PROPERTY_ENDS_WITH_SEMI_COLON", 4, 19),
        ("P_PROPERTY_ENDS_WITH_SEMI_COLON", 10, 26),
        ("PM_PROPERTY_NOT_APPLIABLE", 11, 2),
    ]


def test_unclosed_blocks_give_one_error_each_however_many_there_are(tmp_path):
    for n in (10, 300, 3000):
        path = tmp_path / f"flood-{n}.graph"
        path.write_text("".join(f"C{i} {{\n\tinstaller: script;\n" for i in range(n)), encoding="utf-8")
        problems = Validator().validate(path, max_problems=0).problems
        # one per block, plus Roboconf's extra one on the first declaration
        assert len(problems) == n + 1, n
        lines = [p.range.start_line for p in problems if p.code == "P_INVALID_PROPERTY"]
        assert lines == [2 * i + 1 for i in range(1, n)]


def test_nested_unclosed_blocks_give_one_error_per_line(tmp_path):
    path = tmp_path / "nested.graph"
    path.write_text("VM {\n" * 2000, encoding="utf-8")
    problems = Validator().validate(path, max_problems=0).problems
    assert len(problems) == 2001
    assert {p.range.start_line for p in problems} == set(range(1, 2001))
