"""Roboconf's whitespace is Java's: ASCII ``\\s``, ``trim`` up to U+0020, ``.`` and ``$`` that know
U+0085, U+2028 and U+2029 as line terminators; and a bare ``import`` line.

Every expectation here was checked with the oracle (the same texts are differential fixtures:
``tests/fixtures/differential/no-break-space-*``, ``em-space-*``, ``next-line-*``,
``line-separator-*``, ``bare-import-*``).  A pasted invisible character is what a validator must
catch, so rbcc's hint names it.
"""

from __future__ import annotations

import pytest

from rbcc.dsl.checks.blocks import validate_file
from rbcc.dsl.text import lexical as lx
from rbcc.dsl.text.line_parser import parse_lines
from rbcc.dsl.text.parser import parse_text
from rbcc.dsl.validate import Validator

BODY = "\tinstaller: target;\n"


def spans(problems) -> list[tuple]:
    return [(p.code, p.range.start_line, p.range.start_column, p.range.end_column) for p in problems]


def codes(path: str, text: str) -> list[tuple]:
    parsed = parse_text(path, text)
    return spans(parsed.problems) + spans(validate_file(parsed))


@pytest.mark.parametrize(
    ("text", "expected", "named"),
    [
        pytest.param(
            "VM {\u00a0\n" + BODY + "}\n",
            [("P_O_C_BRACKET_EXTRA_CHARACTERS", 1, 5, 6), ("PM_INVALID_BLOCK_TYPE", 1, 1, 6)],
            "U+00A0 NO-BREAK SPACE",
            id="no-break-space-after-open",
        ),
        pytest.param(
            "VM {\u3000\n" + BODY + "}\n",
            [("P_O_C_BRACKET_EXTRA_CHARACTERS", 1, 5, 6), ("PM_INVALID_BLOCK_TYPE", 1, 1, 6)],
            "U+3000 IDEOGRAPHIC SPACE",
            id="ideographic-space-after-open",
        ),
        pytest.param(
            "VM {\n" + BODY + "\u2003}\n",
            [("P_INVALID_PROPERTY", 3, 1, 3), ("PM_INVALID_BLOCK_TYPE", 1, 1, 5)],
            "U+2003 EM SPACE",
            id="em-space-before-close",
        ),
        pytest.param(
            "VM {\n" + BODY + "}\u00a0\n",
            [("P_C_C_BRACKET_EXTRA_CHARACTERS", 3, 2, 3), ("PM_INVALID_BLOCK_TYPE", 1, 1, 5)],
            "U+00A0 NO-BREAK SPACE",
            id="no-break-space-after-close",
        ),
        pytest.param(
            "VM {\n\tinstaller: tar\u0085get;\n}\n",
            [("P_INVALID_PROPERTY", 2, 2, 21), ("PM_INVALID_BLOCK_TYPE", 1, 1, 5)],
            "U+0085 NEXT LINE (NEL)",
            id="next-line-inside-a-value",
        ),
        pytest.param(
            "VM {\u2029\tinstaller: target;\n}\n",
            [("P_O_C_BRACKET_EXTRA_CHARACTERS", 1, 5, 25), ("PM_INVALID_BLOCK_TYPE", 1, 1, 25)],
            "U+2029 PARAGRAPH SEPARATOR",
            id="paragraph-separator-does-not-split-the-line",
        ),
    ],
)
def test_unicode_spaces_and_terminators_are_what_roboconf_sees(text: str, expected: list, named: str) -> None:
    parsed = parse_text("a.graph", text)
    assert codes("a.graph", text) == expected
    [syntax] = [p for p in parsed.problems if p.code.startswith("P_") and p.code != "P_EMPTY_FILE"]
    assert syntax.hint is not None and named in syntax.hint
    # the fast path gives way to the line parser: both give the same blocks and problems
    assert spans(parse_lines("a.graph", text).problems) == spans(parsed.problems)


def test_line_separator_before_the_end_of_a_property_is_javas_dollar() -> None:
    parsed = parse_text("a.graph", "VM {\n\tinstaller: target;\u2028\n}\n")
    assert parsed.problems == [] and validate_file(parsed) == []
    assert parsed.holders[0].first("installer").value == "target"


def test_unicode_space_inside_a_value_is_kept_and_not_a_split() -> None:
    parsed = parse_text("a.graph", "VM {\n\tinstaller: target;\n\texports: a = \u00a0x;\n}\n")
    assert parsed.problems == []
    assert parsed.holders[0].first("exports").value == "a = \u00a0x"


def test_facet_keyword_then_a_line_separator_is_not_a_facet() -> None:
    # Java's `.` does not cross U+2028: `facet f\u2028x {` is a component named so (PM_INVALID_NAME)
    parsed = parse_text("a.graph", "facet f\u2028x {\n}\n")
    assert [h.kind.value for h in parsed.holders] == ["component"]
    assert [p.code for p in validate_file(parsed)] == ["PM_INVALID_NAME"]


def test_plain_ascii_text_still_takes_the_fast_path() -> None:
    assert lx.NON_JAVA_SPACE.search("VM {\n\tinstaller: target; # é 日本\n}\n") is None
    for ch in "\u00a0\u2003\u3000\u0085\u2028\u2029\x1c\u202f":
        assert lx.NON_JAVA_SPACE.search(f"VM {{{ch}\n}}\n") is not None, hex(ord(ch))


@pytest.mark.parametrize(
    ("ch", "name"),
    [
        ("\u00a0", "U+00A0 NO-BREAK SPACE"),
        ("\u200b", "U+200B ZERO WIDTH SPACE"),
        ("\ufeff", "U+FEFF ZERO WIDTH NO-BREAK SPACE"),
        ("\u0085", "U+0085 NEXT LINE (NEL)"),
        ("\u2028", "U+2028 LINE SEPARATOR"),
    ],
)
def test_invisible_characters_are_named(ch: str, name: str) -> None:
    assert lx.is_invisible(ch)
    assert lx.char_name(ch) == name
    assert name in (lx.invisible_note(f"a{ch}b") or "")


def test_visible_and_ascii_characters_are_not_invisible() -> None:
    assert not any(lx.is_invisible(ch) for ch in " \t\x00éa日}")
    assert lx.invisible_note("plain text é") is None


@pytest.mark.parametrize("line", ["import", "IMPORT", "Import   ", "import\t# comment"])
def test_bare_import_is_an_unrecognized_block(line: str) -> None:
    text = line + "\nVM {\n" + BODY + "}\n"
    parsed = parse_text("a.graph", text)
    assert codes("a.graph", text) == [("P_UNRECOGNIZED_BLOCK", 1, 1, 7), ("PM_INVALID_BLOCK_TYPE", 1, 1, 7)]
    assert "import other.graph;" in (parsed.problems[0].hint or "")
    assert parsed.kind.value == "graph"  # no CO_NOT_A_GRAPH: parsing goes on, VM is read
    assert [h.name for h in parsed.holders] == ["VM"]


def test_bare_import_in_an_instances_file_and_after_a_block() -> None:
    text = "instance of VM {\n\tname: vm;\n}\nimport\n"
    assert codes("a.instances", text) == [("P_UNRECOGNIZED_BLOCK", 4, 1, 7), ("PM_INVALID_BLOCK_TYPE", 4, 1, 7)]


def test_words_starting_with_import_are_still_components_without_brace() -> None:
    for line in ("importx", "imports", "import.x"):
        got = [c for c, *_ in codes("a.graph", line + "\n")]
        assert "P_O_C_BRACKET_MISSING" in got and "P_UNRECOGNIZED_BLOCK" not in got, line


@pytest.mark.parametrize(
    ("text", "code", "char"),
    [
        ("VM\u00a0{\n\tinstaller: target;\n}\n", "PM_INVALID_NAME", "U+00A0 NO-BREAK SPACE"),
        ("Tom\u200bcat {\n\tinstaller: script;\n}\n", "PM_INVALID_NAME", "U+200B ZERO WIDTH SPACE"),
        (
            "App {\n\tinstaller: script;\n\texports: po\u2003rt = 2;\n}\n",
            "PM_INVALID_EXPORTED_VAR_NAME",
            "U+2003 EM SPACE",
        ),
        ("App {\n\tinstaller: script;\n\tchildren: W\ufeffeb;\n}\n", "PM_INVALID_CHILD_NAME", "U+FEFF"),
    ],
)
def test_a_name_refused_because_of_an_invisible_character_says_which_character(tmp_path, text, code, char):
    path = tmp_path / "t.graph"
    path.write_text(text, encoding="utf-8")
    (hit,) = [p for p in Validator().validate(path).problems if p.code == code]
    assert hit.hint is not None and char in hit.hint and "name" in hit.hint


def test_a_plainly_invalid_name_gets_no_invisible_character_hint(tmp_path):
    path = tmp_path / "t.graph"
    path.write_text("9VM {\n\tinstaller: target;\n}\n", encoding="utf-8")
    (hit,) = [p for p in Validator().validate(path).problems if p.code == "PM_INVALID_NAME"]
    assert hit.hint is None
