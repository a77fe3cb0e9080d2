"""Autonomic rules (``*.drl``, dsl.md §14): Roboconf's RuleParser, with source ranges."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rbcc.dsl.catalogue import Level
from rbcc.dsl.rules.parser import parse_rule, strip_comments
from rbcc.dsl.text.ranges import SourceRange

F = "rules.autonomic/r.drl"


def R(line: int, col: int, end_col: int, end_line: int | None = None) -> SourceRange:
    return SourceRange(F, line, col, line if end_line is None else end_line, end_col)


SIMPLE = 'rule "test"\nwhen\n\tevent-1\nthen\n\tcmd1\nend\n'

WITH_COMMENTS = """\
// A rule with comments
rule /* oops */ "test"
when
\tevent-1\t# if event-1 arises...
then
\t/*
\t * Execute cmd1
\t */
\tcmd1;
\tcmd2; cmd3
\tcmd4
\t// ignore it
end
"""


def test_simple_rule():
    rule, problems = parse_rule(SIMPLE, F)
    assert problems == []
    assert (rule.name, rule.event, rule.commands) == ("test", "event-1", ["cmd1"])
    assert (rule.sleep_period, rule.time_window) == (0, -1)
    assert rule.range == R(1, 1, 5)
    assert rule.name_range == R(1, 6, 12)
    assert rule.event_range == R(3, 2, 9)
    assert rule.command_ranges == [R(5, 2, 6)]


def test_comments_are_removed_and_ranges_still_point_at_the_source():
    rule, problems = parse_rule(WITH_COMMENTS, F)
    assert problems == []
    assert rule.commands == ["cmd1", "cmd2", "cmd3", "cmd4"]
    assert rule.event == "event-1"
    assert rule.command_ranges == [R(9, 2, 6), R(10, 2, 6), R(10, 8, 12), R(11, 2, 6)]
    assert rule.name_range == R(2, 17, 23)


def test_strip_comments_keeps_offsets():
    text, origin = strip_comments("a /* x */ b // c\nd")
    assert text == "a  b d"
    assert [origin[i] for i in range(len(text))] == [0, 1, 9, 10, 11, 17]


def test_comment_without_a_following_line_break_is_kept():
    rule, problems = parse_rule('rule "t"\nwhen e then c end // trailing', F)
    assert rule is None
    assert [p.code for p in problems] == ["RULE_INVALID_SYNTAX"]


def test_attributes_and_upper_case_keywords():
    text = 'RULE "test"\n\nSleep period is 8s\nTime window is 60\t// The s is optional\n\nWHEN\n\tevent-1\nTHEN\n\tcmd1\nEND\n'
    rule, problems = parse_rule(text, F)
    assert problems == []
    assert (rule.sleep_period, rule.time_window, rule.commands) == (8, 60, ["cmd1"])


def test_attribute_must_start_a_word():
    rule, _ = parse_rule('rule "t" xsleep period is 5 when e then c end', F)
    assert rule.sleep_period == 0
    rule, _ = parse_rule('rule "t" \u00e9time window is 5 when e then c end', F)
    assert rule.time_window == -1


def test_greedy_sections_like_java():
    rule, _ = parse_rule('rule "r" when a then b when c then d end', F)
    assert (rule.event, rule.commands) == ("c", ["d"])  # the attributes part takes "when a then b"


def test_empty_name_when_and_then():
    rule, problems = parse_rule('rule ""\nwhen\n\t\nthen\n\t\nend\n', F)
    assert rule is not None and rule.commands == []
    assert [(p.code, p.level, p.range) for p in problems] == [
        ("RULE_EMPTY_NAME", Level.ERROR, R(1, 6, 8)),
        ("RULE_EMPTY_WHEN", Level.ERROR, R(2, 1, 5)),
        ("RULE_EMPTY_THEN", Level.ERROR, R(4, 1, 5)),
    ]


def test_blank_commands_are_dropped():
    _rule, problems = parse_rule('rule "t" when e then ; ;\n ; end', F)
    assert [p.code for p in problems] == ["RULE_EMPTY_THEN"]
    assert problems[0].range == R(1, 17, 21)


def test_invalid_syntax_points_at_the_first_token_when_not_a_rule():
    rule, problems = parse_rule("\n\tThis is not a valid rule\nend\n", F)
    assert rule is None
    assert [(p.code, p.level, p.range) for p in problems] == [("RULE_INVALID_SYNTAX", Level.ERROR, R(2, 2, 6))]


def test_invalid_syntax_points_at_the_missing_section():
    _r, problems = parse_rule('rule "x"\nthen c end', F)
    assert problems[0].range == R(1, 6, 9)
    _r, problems = parse_rule('rule "x"\nwhen e\nend', F)
    assert problems[0].range == R(2, 1, 5)
    _r, problems = parse_rule('rule "x"\nwhen e\nthen c', F)
    assert problems[0].range == R(3, 1, 5)


def test_empty_file_is_invalid_at_file_start():
    _r, problems = parse_rule("/* nothing */\n", F)
    assert [(p.code, p.range) for p in problems] == [("RULE_INVALID_SYNTAX", R(1, 1, 1))]


def test_too_large_number_is_reported_not_raised():
    rule, problems = parse_rule('rule "t" sleep period is 99999999999 when e then c end', F)
    assert [(p.code, p.range) for p in problems] == [("RULE_INVALID_SYNTAX", R(1, 26, 37))]
    assert rule.sleep_period == 0


TOKENS = [
    "rule",
    " ",
    '"',
    "n",
    "when",
    "then",
    "end",
    "\n",
    "\r\n",
    ";",
    "/*",
    "*/",
    "//",
    "#",
    "sleep period is ",
    "9",
]


@settings(max_examples=400, deadline=None)
@given(st.text())
def test_random_text_never_raises(text):
    parse_rule(text, F)


@settings(max_examples=400, deadline=None)
@given(st.lists(st.sampled_from(TOKENS)).map("".join))
def test_rule_like_text_never_raises_and_ranges_are_sane(text):
    _rule, problems = parse_rule(text, F)
    for p in problems:
        assert p.range.start_line >= 1 and p.range.start_column >= 1
        assert (p.range.end_line, p.range.end_column) >= (p.range.start_line, p.range.start_column)


ORACLE_RULES = [
    SIMPLE,
    WITH_COMMENTS,
    'rule ""\nwhen\n\t\nthen\n\t\nend\n',
    'rule "r" when a then b when c then d end // no newline',
    'rule "t" Xsleep period is 5 time window is 7s\r\nwhen e\r\nthen c1\r\n# x\r\nc2 end',
]


@pytest.mark.oracle
@pytest.mark.parametrize("text", ORACLE_RULES, ids=range(len(ORACLE_RULES)))
def test_same_codes_as_roboconf(text, tmp_path):
    from tests.oracle_client import run_oracle
    from tests.support import need_oracle

    need_oracle()
    path = tmp_path / "r.drl"
    path.write_bytes(text.encode("utf-8"))
    errors, warnings = run_oracle(path)
    _rule, problems = parse_rule(text, F)
    assert sorted(p.code for p in problems) == sorted(errors + warnings)
