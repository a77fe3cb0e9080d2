"""The lexical layer and the parser: Roboconf's line classification, its quirks, P_ codes and recovery.

Ranges are asserted exactly as ``(line, start column, end column)`` (1-based, end exclusive) on
the token a user has to fix.  dsl.md §3 describes the lines; §17 lists the quirks.
"""

from __future__ import annotations

import pytest

from rbcc.dsl.checks.blocks import validate_file
from rbcc.dsl.text import lexical as lx
from rbcc.dsl.text.line_parser import parse_lines, split_lines
from rbcc.dsl.text.parser import parse_text
from rbcc.dsl.text.syntax import Blank, Comment, FileKind, Holder, HolderKind, Import, Unknown
from tests.support import FIXTURES_DIR

FIXTURES = FIXTURES_DIR


def parse(text: str, path: str = "t.graph"):
    return parse_text(path, text)


def spans(problems) -> list[tuple]:
    """``(code, level, line, column, end_column)`` of single-line problems, in report order."""
    out = []
    for p in problems:
        r = p.range
        assert r.start_line == r.end_line, p
        out.append((p.code, p.level.value, r.start_line, r.start_column, r.end_column))
    return out


def syntax(text: str, path: str = "t.graph") -> list[tuple]:
    return spans(parse(text, path).problems)


def everything(text: str, path: str = "t.graph") -> list[tuple]:
    parsed = parse(text, path)
    return spans(parsed.problems + validate_file(parsed))


def prop(text: str, name: str, path: str = "t.graph"):
    holder = parse(text, path).holders[0]
    found = holder.first(name)
    assert found is not None, [p.name for p in holder.properties]
    return found


# -- Java semantics of the lexical helpers ---------------------------------------------------------


def test_java_trim_strips_control_characters_but_not_unicode_spaces():
    assert lx.java_trim("\x00\x1f a b \t\x0b") == "a b"
    assert lx.java_trim("\u00a0x\u2003") == "\u00a0x\u2003"


def test_split_nicely_drops_only_trailing_empty_items_like_java_split():
    def items(v):
        return [x for x, _, _ in lx.split_nicely(v)]

    assert items("a, b,") == ["a", "b"]
    assert items("a,,b") == ["a", "", "b"]
    assert items(",a") == ["", "a"]
    assert items("a, ,") == ["a", ""]  # " " is not empty for Java's split, only trimmed afterwards
    assert items("   ") == []
    assert items(",,,") == []


def test_split_nicely_reports_the_offsets_of_each_trimmed_item():
    assert lx.split_nicely(" War ,  db", base=10) == [("War", 11, 14), ("db", 18, 20)]


def test_java_parse_int_accepts_a_sign_and_rejects_spaces_and_overflow():
    assert lx.parse_java_int("+3") == 3
    assert lx.parse_java_int("-5") == -5
    assert lx.parse_java_int("007") == 7
    assert lx.parse_java_int("2147483647") == 2**31 - 1
    assert lx.parse_java_int("٣") == 3  # Character.digit knows every (BMP) decimal digit: oracle-checked
    for bad in ("3 ", " 3", "2147483648", "1_000", "", "2.3"):
        assert lx.parse_java_int(bad) is None, bad


def test_name_patterns_are_ascii_only():
    assert lx.is_id("My-comp.v_2")
    assert not lx.is_id("Äpache")
    assert not lx.is_id("2v")
    assert lx.is_flex_id("Tomcat VM 1")
    assert not lx.is_flex_id("vm\t1")


def test_lines_are_split_on_newline_only_and_every_carriage_return_is_deleted():
    assert split_lines("a\r\nb\rc\n\nd") == ["a", "bc", "", "d"]


# -- values and properties (dsl.md §3.3) -----------------------------------------------------------


def test_value_keeps_spaces_before_semicolon():
    text = "VM {\n\tinstaller: target ;\n\texports: port = 80  ;\n}\n"
    assert prop(text, "installer").value == "target "
    assert prop(text, "exports").value == "port = 80  "


def test_spaces_after_the_colon_are_not_part_of_the_value():
    p = prop("VM {\n\tinstaller:  \t target;\n}\n", "installer")
    assert p.value == "target"
    assert (p.value_range.start_column, p.value_range.end_column) == (16, 22)


def test_value_and_name_ranges_cover_the_tokens():
    p = prop("VM {\n\tinstaller : target ;\n}\n", "installer")
    assert (p.name_range.start_line, p.name_range.start_column, p.name_range.end_column) == (2, 2, 11)
    assert (p.value_range.start_column, p.value_range.end_column) == (14, 21)  # "target " with its space
    assert (p.range.start_column, p.range.end_column) == (2, 22)  # the statement, ';' included


def test_only_one_trailing_semicolon_is_removed():
    assert prop("VM {\n\tinstaller: a;;\n}\n", "installer").value == "a;"


def test_hash_anywhere_starts_a_comment_even_inside_quotes():
    text = 'VM {\n\tinstaller: target;\n\texports: color = "#fff";\n}\n'
    assert prop(text, "exports").value == 'color = "'
    # the value now misses its ';' (an empty range where it belongs); Roboconf's tokenizer takes
    # the lone opening quote at the end for an empty quoted value
    assert everything(text) == [("P_PROPERTY_ENDS_WITH_SEMI_COLON", "error", 3, 20, 20)]


def test_in_line_comment_is_kept_on_the_property():
    p = prop("VM {\n\tinstaller: target;   # a VM\n}\n", "installer")
    assert p.value == "target"
    assert p.comment == "   # a VM"


def test_property_regex_is_unanchored_leading_words_are_dropped():
    p = prop("VM {\n\tfoo bar installer: target;\n}\n", "installer")
    assert p.value == "target"
    assert (p.name_range.start_column, p.name_range.end_column) == (10, 19)
    assert syntax("VM {\n\tfoo bar installer: target;\n}\n") == []


def test_property_names_keep_their_case():
    text = "VM {\n\tInstaller: target;\n}\n"
    assert prop(text, "Installer").value == "target"
    assert everything(text) == [("PM_PROPERTY_NOT_APPLIABLE", "error", 2, 2, 11)]


def test_quoted_semicolons_do_not_count_as_a_second_statement():
    assert everything('VM {\n\tinstaller: target;\n\texports: k = "a;b", w = ";";\n}\n') == []


def test_two_statements_on_a_line_is_p_one_block_per_line_on_the_extra_text():
    assert syntax("VM {\n\tinstaller: a;; \n}\n") == [("P_ONE_BLOCK_PER_LINE", "error", 2, 14, 16)]
    assert syntax('VM {\n\texports: k = v; w ";\n}\n') == [("P_ONE_BLOCK_PER_LINE", "error", 2, 16, 22)]


def test_missing_semicolon_is_an_insertion_point_after_the_value():
    assert syntax("VM {\n\tinstaller: target\n}\n") == [("P_PROPERTY_ENDS_WITH_SEMI_COLON", "error", 2, 19, 19)]
    # the property is still recorded, with its value
    assert prop("VM {\n\tinstaller: target\n}\n", "installer").value == "target"


def test_closing_brace_on_a_property_line_is_part_of_the_value():
    assert syntax("VM {\n\tinstaller: x; }\n") == [
        ("P_PROPERTY_ENDS_WITH_SEMI_COLON", "error", 2, 17, 17),
        ("P_ONE_BLOCK_PER_LINE", "error", 2, 14, 17),
        ("P_C_C_BRACKET_MISSING", "error", 1, 1, 5),
    ]


def test_carriage_returns_are_deleted_anywhere_in_a_line():
    parsed = parse("V\rM {\r\n\tinst\ralle\rr: tar\rget;\r\n}\r\n")
    assert parsed.problems == []
    assert parsed.holders[0].name == "VM"
    assert parsed.holders[0].first("installer").value == "target"


# -- top-level line classification (dsl.md §3.1) -----------------------------------------------------


def test_keywords_are_case_insensitive():
    parsed = parse("FACET f {\n}\nFacet g {\n}\n")
    assert [(h.kind, h.name) for h in parsed.holders] == [(HolderKind.FACET, "f"), (HolderKind.FACET, "g")]
    parsed = parse("insTance of X {\n\tname: x;\n}\nINSTANCE OF Y {\n\tname: y;\n}\n", "t.instances")
    assert [(h.kind, h.name) for h in parsed.holders] == [(HolderKind.INSTANCE, "X"), (HolderKind.INSTANCE, "Y")]


def test_instance_keyword_needs_exactly_one_space_otherwise_it_is_a_component_name():
    parsed = parse("instance  of X {\n}\n")
    assert [(h.kind, h.name) for h in parsed.holders] == [(HolderKind.COMPONENT, "instance  of X")]
    assert everything("instance  of X {\n}\n") == [("PM_INVALID_NAME", "error", 1, 1, 15)]


def test_instance_component_name_is_trimmed():
    h = parse("instance of     A    {\n\tname: a;\n}\n", "t.instances").holders[0]
    assert h.name == "A"
    assert (h.name_range.start_column, h.name_range.end_column) == (17, 18)


def test_reimport_line_is_an_import_because_the_search_is_unanchored():
    parsed = parse("reimport {\n}\n")
    assert isinstance(parsed.blocks[0], Import)
    assert parsed.blocks[0].uri == "{"
    assert syntax("reimport {\n}\n")[0] == ("P_IMPORT_ENDS_WITH_SEMI_COLON", "error", 1, 11, 11)


def test_import_uri_is_trimmed_and_located():
    imp = parse("import   lib/servers.graph  ;\n").imports[0]
    assert imp.uri == "lib/servers.graph"
    assert (imp.uri_range.start_column, imp.uri_range.end_column) == (10, 27)
    assert parse("import   lib/servers.graph  ;\n").kind is FileKind.AGGREGATOR


def test_import_without_semicolon_or_with_extra_text():
    assert syntax("import a.graph\nimport b.graph; x\nIMPORT c.graph;\n") == [
        ("P_IMPORT_ENDS_WITH_SEMI_COLON", "error", 1, 15, 15),
        ("P_ONE_BLOCK_PER_LINE", "error", 2, 17, 18),
    ]


def test_import_without_location_is_pm_empty_import_location():
    assert everything("import ;\n") == [("PM_EMPTY_IMPORT_LOCATION", "error", 1, 1, 9)]


def test_import_without_whitespace_is_not_an_import():
    assert everything("import;\n") == [
        ("P_UNRECOGNIZED_BLOCK", "error", 1, 1, 8),
        ("PM_INVALID_BLOCK_TYPE", "error", 1, 1, 8),
    ]


def test_unrecognized_top_level_line_continues_parsing():
    text = "[ not supported ]\ninstaller: target;\nVM {\n\tinstaller: target;\n}\n"
    parsed = parse(text)
    assert [type(b) for b in parsed.blocks] == [Unknown, Unknown, Holder]
    assert syntax(text) == [
        ("P_UNRECOGNIZED_BLOCK", "error", 1, 1, 18),
        ("P_UNRECOGNIZED_BLOCK", "error", 2, 1, 19),
    ]


def test_opening_brace_followed_by_text_is_reported_on_that_text():
    text = "VM { installer: target; }\n"
    assert everything(text) == [
        ("P_O_C_BRACKET_EXTRA_CHARACTERS", "error", 1, 6, 26),
        ("PM_INVALID_BLOCK_TYPE", "error", 1, 1, 26),  # Roboconf's unknown block for a cancelled component
    ]


def test_cancelled_facet_leaves_no_block_and_an_empty_file():
    assert everything("facet f { exports: x; }\n") == [
        ("P_O_C_BRACKET_EXTRA_CHARACTERS", "error", 1, 11, 24),
        ("P_EMPTY_FILE", "warning", 1, 1, 1),
    ]


def test_declaration_without_opening_brace():
    assert everything("facet f\n") == [
        ("P_O_C_BRACKET_MISSING", "error", 1, 1, 8),
        ("P_EMPTY_FILE", "warning", 1, 1, 1),
    ]
    assert syntax("instance of vm\n\tname: x;\n}\n", "t.instances") == [
        ("P_O_C_BRACKET_MISSING", "error", 1, 1, 15),
        ("P_EMPTY_FILE", "warning", 1, 1, 1),
    ]


def test_closing_brace_followed_by_text_is_reported_on_that_text():
    assert syntax("VM {\n\tinstaller: target;\n};  # done\n") == [("P_C_C_BRACKET_EXTRA_CHARACTERS", "error", 3, 2, 3)]


def test_comment_after_closing_brace_is_fine():
    assert everything("VM {\n\tinstaller: target;\n} # done\n") == []


def test_unclosed_blocks_point_at_their_declarations_innermost_first():
    text = "instance of VM {\n\tname: vm;\n\tinstance of T {\n\t\tname: t;\n"
    parsed = parse(text, "t.instances")
    assert spans(parsed.problems) == [
        ("P_C_C_BRACKET_MISSING", "error", 3, 2, 17),
        ("P_C_C_BRACKET_MISSING", "error", 1, 1, 17),
    ]
    # each with the end of the file as a related location
    for p in parsed.problems:
        (rel,) = p.related
        assert (rel.range.start_line, rel.range.start_column) == (4, 11)


def test_line_inside_a_component_that_is_not_a_property():
    assert syntax("VM {\n\tinstaller\n}\n") == [("P_INVALID_PROPERTY", "error", 2, 2, 11)]
    assert syntax("VM {\n\tinstaller= target;\n}\n") == [("P_INVALID_PROPERTY", "error", 2, 2, 20)]


def test_line_inside_an_instance_that_is_not_a_property():
    assert everything("instance of VM {\n\tname: vm;\n\tconfiguration = master-slave;\n}\n", "t.instances") == [
        ("P_INVALID_PROPERTY_OR_INSTANCE", "error", 3, 2, 31),
    ]


def test_nested_instance_inside_a_component_is_accepted_silently():
    text = "VM {\n\tinstaller: target;\n\tinstance of T {\n\t\tname: t;\n\t}\n}\n"
    parsed = parse(text)
    assert everything(text) == []
    assert parsed.kind is FileKind.GRAPH
    (nested,) = parsed.holders[0].holders
    assert (nested.kind, nested.name, nested.end_line) == (HolderKind.INSTANCE, "T", 5)


def test_mixing_components_and_instances_is_p_invalid_file_type():
    parsed = parse("VM {\n\tinstaller: target;\n}\ninstance of VM {\n\tname: vm;\n}\n")
    assert parsed.kind is FileKind.UNDETERMINED
    assert spans(parsed.problems) == [("P_INVALID_FILE_TYPE", "error", 1, 1, 1)]


@pytest.mark.parametrize("text", ["", "\n\n", "  \t\n", "# only\n# comments\n"])
def test_blank_or_comment_only_file_is_p_empty_file_warning(text):
    parsed = parse(text)
    assert parsed.kind is FileKind.EMPTY
    assert syntax(text) == [("P_EMPTY_FILE", "warning", 1, 1, 1)]


def test_file_with_only_unknown_lines_is_undetermined():
    assert parse("[x]\n").kind is FileKind.UNDETERMINED


def test_instances_file_kind():
    assert parse("import a.instances;\ninstance of A {\n\tname: a;\n}\n", "t.instances").kind is FileKind.INSTANCE


def test_comments_just_before_a_block_become_its_documentation():
    text = "# The web server.\n#   Apache 2.\nApache {\n\tinstaller: script;\n}\n\n# detached\n\nfacet f {\n}\n"
    parsed = parse(text)
    assert parsed.holders[0].doc == "The web server.\nApache 2."
    assert parsed.holders[1].doc is None
    assert [type(b) for b in parsed.blocks] == [Comment, Comment, Holder, Blank, Comment, Blank, Holder]


def test_block_range_spans_declaration_to_closing_brace():
    h = parse("VM {\n\tinstaller: target;\n\n}\n").holders[0]
    assert (h.range.start_line, h.range.end_line) == (1, 4)
    assert (h.decl_range.start_column, h.decl_range.end_column) == (1, 5)
    assert (h.name_range.start_column, h.name_range.end_column) == (1, 3)


# -- recovery: several independent errors, one run, no cascade ---------------------------------------


def _lines_with_problems(problems) -> set[int]:
    return {p.range.start_line for p in problems}


def test_several_independent_graph_errors_are_all_reported_without_cascade():
    path = FIXTURES / "graph" / "several-syntax-errors.graph"
    text = path.read_text(encoding="utf-8")
    parsed = parse_text("several-syntax-errors.graph", text)
    assert parsed.recovered
    assert spans(parsed.problems) == [
        ("P_PROPERTY_ENDS_WITH_SEMI_COLON", "error", 8, 19, 19),  # `installer: puppet` (no ';')
        ("P_C_C_BRACKET_EXTRA_CHARACTERS", "error", 15, 2, 4),  # `}};`
        ("P_INVALID_PROPERTY", "error", 20, 1, 9),  # `Apache {` while `facet web` is still open
        ("P_INVALID_PROPERTY", "error", 27, 2, 16),  # `not a property`
    ]
    # the unclosed facet's error refers back to the facet
    assert [r.range.start_line for r in parsed.problems[2].related] == [17]
    model = validate_file(parsed)
    # Roboconf's unknown block for the first cancelled component, on its declaration; the later
    # cancelled component (line 25) has its syntax error only: one error per mistake
    assert spans(model) == [("PM_INVALID_BLOCK_TYPE", "error", 12, 1, 8)]
    # every component after an error was still read
    names = [h.name for h in parsed.holders]
    assert names == ["VM", "Tomcat", "MySQL", "web", "Apache", "Broken"]
    assert parsed.holders[1].first("exports").value == "port = 8080"
    assert parsed.holders[4].first("facets").value == "web"
    # and no error anywhere else
    assert _lines_with_problems(parsed.problems + model) == {8, 12, 15, 20, 27}


def test_several_independent_instance_errors_are_all_reported_without_cascade():
    path = FIXTURES / "instances" / "several-syntax-errors.instances"
    parsed = parse_text("several-syntax-errors.instances", path.read_text(encoding="utf-8"))
    assert spans(parsed.problems) == [
        ("P_PROPERTY_ENDS_WITH_SEMI_COLON", "error", 5, 15, 15),  # `name: tomcat`
        ("P_INVALID_PROPERTY_OR_INSTANCE", "error", 12, 2, 31),  # `configuration = master-slave;`
        ("P_O_C_BRACKET_EXTRA_CHARACTERS", "error", 18, 18, 30),  # `instance of VM { name: vm3; }`
        ("P_C_C_BRACKET_EXTRA_CHARACTERS", "error", 22, 5, 6),  # `}   }`
        ("P_C_C_BRACKET_MISSING", "error", 24, 1, 17),  # the last block is never closed
    ]
    assert validate_file(parsed) == []
    names = [h.first("name").value for h in parsed.holders]
    assert names == ["vm1", "vm2", "vm4", "vm5"]
    # the nested instances after the errors were read too
    assert parsed.holders[1].holders[0].first("name").value == "db"
    assert parsed.holders[0].holders[0].first("port").value == "8081"


def test_missing_semicolon_does_not_hide_the_rest_of_the_block():
    text = "VM {\n\tinstaller: target\n\tchildren: Tomcat;\n}\nTomcat {\n\tinstaller: puppet;\n}\n"
    parsed = parse(text)
    assert spans(parsed.problems) == [("P_PROPERTY_ENDS_WITH_SEMI_COLON", "error", 2, 19, 19)]
    assert parsed.holders[0].first("children").value == "Tomcat"
    assert not parsed.recovered  # Roboconf itself continues after this one


def test_extra_characters_after_opening_brace_skip_only_that_block():
    text = "A { installer: target;\n\tchildren: B;\n}\nB {\n\tinstaller: x;\n}\n"
    parsed = parse(text)
    assert spans(parsed.problems) == [("P_O_C_BRACKET_EXTRA_CHARACTERS", "error", 1, 5, 23)]
    assert [h.name for h in parsed.holders] == ["B"]


def test_declaration_missing_its_brace_skips_its_body():
    text = "A\n{\n\tinstaller: target;\n}\nB {\n\tinstaller: x;\n}\n"
    parsed = parse(text)
    assert spans(parsed.problems) == [("P_O_C_BRACKET_MISSING", "error", 1, 1, 2)]
    assert [h.name for h in parsed.holders] == ["B"]


def test_single_error_file_gets_exactly_roboconfs_codes():
    # one cancelling error: Roboconf's codes (P_INVALID_PROPERTY + PM_INVALID_BLOCK_TYPE), no more
    text = "A {\n\tinstaller\n\tchildren: B;\n}\nB {\n\tinstaller: target;\n}\n"
    assert [c for c, *_ in everything(text)] == ["P_INVALID_PROPERTY", "PM_INVALID_BLOCK_TYPE"]


def test_parse_lines_never_raises_on_odd_text():
    for text in ("}\n", "}}}\n{{{\n", "{\n", "#", "\x00\x00", "instance of\n", "facet\n", ":\n", ";;;\n"):
        parse_lines("x.graph", text)
        parse_text("x.graph", text)
        parse_text("x.instances", text)


def test_unclosed_instance_followed_by_another_one_is_a_single_error_on_the_unclosed_block():
    # Roboconf nests the second block inside the first; the only error is the missing `}`
    text = "instance of VM {\n\tname: vm1;\n\ninstance of VM {\n\tname: vm2;\n}\n"
    parsed = parse(text, "t.instances")
    assert spans(parsed.problems) == [("P_C_C_BRACKET_MISSING", "error", 1, 1, 17)]
    assert validate_file(parsed) == []


@pytest.mark.parametrize("path", ["t.instances", "t.graph"])
def test_nesting_is_limited_to_100_levels_on_both_parse_paths(path):
    def nested(depth: int) -> str:
        return "".join("instance of VM {\n\tname: a;\n" for _ in range(depth)) + "}\n" * depth

    at_limit = parse(nested(100), path)
    assert at_limit.problems == [] or [p.code for p in at_limit.problems] == ["P_INVALID_FILE_TYPE"]
    beyond = parse(nested(102), path)
    # the 101st block (line 201) is reported and skipped with everything inside it
    assert [(p.code, p.range.start_line) for p in beyond.problems if p.code != "P_INVALID_FILE_TYPE"] == [
        ("P_IO_ERROR", 201)
    ]
    depth, holder = 1, beyond.holders[0]
    while holder.holders:
        depth, holder = depth + 1, holder.holders[0]
    assert depth == 100
