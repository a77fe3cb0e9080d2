"""File-level checks (Roboconf's ParsingModelValidator, dsl.md §4): PM_ codes with exact ranges.

Every PM_ problem points at the token to fix: the name, the list item, the variable, the comma
that leaves an item empty.  ``tests/fixtures/graph/parsing-model-errors.graph`` holds one
problem per marked line; the other tests pin single rules and Roboconf's quirks.
"""

from __future__ import annotations

import pytest

from rbcc.dsl.checks.blocks import validate_file
from rbcc.dsl.model.variables import parse_exports, parse_imports
from rbcc.dsl.text.parser import parse_text
from tests.support import FIXTURES_DIR

FIXTURES = FIXTURES_DIR


def spans(problems) -> list[tuple]:
    out = []
    for p in problems:
        r = p.range
        assert r.start_line == r.end_line, p
        out.append((p.code, p.level.value, r.start_line, r.start_column, r.end_column))
    return out


def check(text: str, path: str = "t.graph") -> list[tuple]:
    """Parse ``text``, require no syntax problem, return the PM_ problems."""
    parsed = parse_text(path, text)
    assert [p.code for p in parsed.problems if p.code != "P_EMPTY_FILE"] == [], parsed.problems
    return spans(validate_file(parsed))


def component(*lines: str) -> str:
    return "C {\n" + "".join(f"\t{line}\n" for line in lines) + "}\n"


def instance(*lines: str) -> str:
    return "instance of C {\n" + "".join(f"\t{line}\n" for line in lines) + "}\n"


def test_fixture_reports_every_parsing_model_problem_on_its_token():
    path = FIXTURES / "graph" / "parsing-model-errors.graph"
    assert check(path.read_text(encoding="utf-8")) == [
        ("PM_INVALID_CHILD_NAME", "error", 4, 20, 26),  # `my war`
        ("PM_INVALID_CHILD_NAME", "error", 4, 26, 27),  # the trailing ", " leaves an empty item
        ("PM_EMPTY_REFERENCED_NAME", "error", 5, 14, 15),  # the second comma of `web,,db`
        ("PM_INVALID_NAME", "error", 6, 11, 16),  # `2base`
        ("PM_EMPTY_VARIABLE_NAME", "error", 7, 26, 27),  # the second comma of `80, , bad`
        ("PM_INVALID_EXPORTED_VAR_NAME", "error", 7, 28, 35),  # `bad-"x"`
        ("PM_INVALID_EXPORTED_VAR_NAME", "error", 7, 53, 67),  # `external share`
        ("PM_EXTERNAL_IS_KEYWORD_FOR_IMPORTS", "error", 7, 53, 67),
        ("PM_INCOMPLETE_IMPORTED_VAR_NAME", "error", 8, 24, 28),  # `port`
        ("PM_INVALID_IMPORTED_VAR_NAME", "error", 8, 30, 32),  # `-x`
        ("PM_EMPTY_VARIABLE_NAME", "error", 8, 34, 35),  # the second comma of `-x, , external`
        ("PM_PROPERTY_NOT_APPLIABLE", "error", 9, 2, 8),  # `colour`
        ("PM_DUPLICATE_PROPERTY", "error", 10, 2, 11),  # second `installer`
        ("PM_DOT_IS_NOT_ALLOWED", "error", 13, 1, 8),  # `my.comp`
        ("PM_INVALID_INSTALLER_NAME", "error", 14, 13, 21),  # `"target"`
        ("PM_PROPERTY_NOT_APPLIABLE", "error", 18, 2, 11),  # `installer` in a facet
        ("PM_EMPTY_PROPERTY_VALUE", "error", 19, 2, 11),  # `exports:;`
        ("PM_EMPTY_FACET_NAME", "error", 22, 1, 8),  # `facet {`
        ("PM_INVALID_EXPORT_COMPLEX_VALUE", "error", 27, 15, 17),  # `b"` (text before the quote)
        ("PM_INVALID_EXPORT_COMPLEX_VALUE", "error", 27, 29, 30),  # `f` after the closing quote
        ("PM_INVALID_EXPORT_COMPLEX_VALUE", "error", 27, 36, 38),  # `"h` never closed
        ("PM_INVALID_EXPORTED_VAR_NAME", "error", 27, 17, 19),  # `c"`, read again as a variable
    ]


# -- names ---------------------------------------------------------------------------------------------


def test_valid_component_facet_and_instance_have_no_problem():
    assert check(component("installer: target;", "children: a-b, c_d, e.f;", "exports: ip, port = 80;")) == []
    assert check("facet f {\n\tchildren: x;\n\texports: y;\n\textends: g;\n}\n") == []
    assert check(instance("name: vm 1 ;", "count: 3;", "channels: a;", "port: 8080;"), "t.instances") == []


@pytest.mark.parametrize(
    "decl, expected",
    [
        ("my comp {", ("PM_INVALID_NAME", "error", 1, 1, 8)),
        ("Äpache {", ("PM_INVALID_NAME", "error", 1, 1, 7)),
        ("comp.name {", ("PM_DOT_IS_NOT_ALLOWED", "error", 1, 1, 10)),
        ("{", ("PM_EMPTY_COMPONENT_NAME", "error", 1, 1, 2)),
        ("facet {", ("PM_EMPTY_FACET_NAME", "error", 1, 1, 8)),
        ("facet f. {", ("PM_DOT_IS_NOT_ALLOWED", "error", 1, 7, 9)),
    ],
)
def test_block_names(decl, expected):
    assert check(decl + "\n}\n") == [expected]


def test_instance_of_block_names_are_checked_like_component_names():
    assert check("instance of my comp {\n\tname: x;\n}\n", "t.instances") == [("PM_INVALID_NAME", "error", 1, 13, 20)]
    assert check("instance of {\n\tname: x;\n}\n", "t.instances") == [("PM_EMPTY_COMPONENT_NAME", "error", 1, 1, 14)]


# -- properties --------------------------------------------------------------------------------------


def test_property_names_are_case_sensitive_keywords():
    assert check(component("Installer: target;")) == [("PM_PROPERTY_NOT_APPLIABLE", "error", 2, 2, 11)]


def test_facet_accepts_only_children_exports_extends():
    text = "facet f {\n\tinstaller: x;\n\timports: A.b;\n\tfacets: g;\n}\n"
    assert check(text) == [
        ("PM_PROPERTY_NOT_APPLIABLE", "error", 2, 2, 11),
        ("PM_PROPERTY_NOT_APPLIABLE", "error", 3, 2, 9),
        ("PM_PROPERTY_NOT_APPLIABLE", "error", 4, 2, 8),
    ]


def test_imports_and_exports_may_repeat_but_other_properties_may_not():
    text = component("exports: a;", "exports: b;", "IMPORTS: X.y;", "imports: X.z;", "children: a;", "children: b;")
    assert check(text) == [
        ("PM_PROPERTY_NOT_APPLIABLE", "error", 4, 2, 9),  # `IMPORTS` is not a keyword ...
        ("PM_DUPLICATE_PROPERTY", "error", 7, 2, 10),  # ... and `children` may not repeat
    ]


def test_duplicate_properties_in_instances_include_overridden_exports():
    text = instance("name: a;", "port: 8;", "port: 9;", "name: b;")
    assert check(text, "t.instances") == [
        ("PM_DUPLICATE_PROPERTY", "error", 4, 2, 6),
        ("PM_DUPLICATE_PROPERTY", "error", 5, 2, 6),
    ]


@pytest.mark.parametrize("name", ["children", "exports", "imports", "facets", "extends", "installer"])
def test_blank_value_is_pm_empty_property_value_on_the_statement(name):
    line = f"{name}:  ;"
    assert check(component(line)) == [("PM_EMPTY_PROPERTY_VALUE", "error", 2, 2, 2 + len(line))]


def test_blank_overridden_export_in_an_instance_is_not_checked_here():
    assert check(instance("name: a;", "port: ;"), "t.instances") == []


def test_children_list_follows_java_split():
    assert check(component("children: a, b,;")) == []  # trailing empty item dropped
    assert check(component("children: a,,b;")) == [("PM_INVALID_CHILD_NAME", "error", 2, 14, 15)]
    assert check(component("children: -a, 'b', c d;")) == [
        ("PM_INVALID_CHILD_NAME", "error", 2, 12, 14),
        ("PM_INVALID_CHILD_NAME", "error", 2, 16, 19),
        ("PM_INVALID_CHILD_NAME", "error", 2, 21, 24),
    ]


def test_facets_and_extends_lists():
    assert check(component("facets: a,;")) == []
    assert check(component("facets: ,a;")) == [("PM_EMPTY_REFERENCED_NAME", "error", 2, 10, 11)]
    assert check(component("extends: A, 2B;")) == [("PM_INVALID_NAME", "error", 2, 14, 16)]


def test_installer_name_keeps_its_trailing_space_and_may_contain_spaces():
    assert check(component("installer: my installer ;")) == []
    assert check(component("installer: a/b;")) == [("PM_INVALID_INSTALLER_NAME", "error", 2, 13, 16)]


# -- imports (dsl.md §5.4) ---------------------------------------------------------------------------


def _imports(value: str):
    parsed = parse_text("t.graph", component(f"imports: {value};"))
    return [(d.name, d.optional, d.external) for _raw, d in parse_imports(parsed.holders[0].first("imports"))]


def test_import_flags_external_without_word_boundary_and_optional_in_any_case():
    assert _imports("externalB.x, External Lamp.*, B.y(OPTIONAL), B.z   (optional)") == [
        ("B.x", False, True),
        ("Lamp.*", False, True),
        ("B.y", True, False),
        ("B.z", True, False),
    ]


def test_import_with_optional_before_external_or_text_after_optional_is_invalid():
    assert check(component("imports: B.x (optional) external;")) == [
        ("PM_INVALID_IMPORTED_VAR_NAME", "error", 2, 11, 34),
    ]
    assert check(component("imports: (optional) external B.x;")) == [
        ("PM_INVALID_IMPORTED_VAR_NAME", "error", 2, 11, 34),
    ]


def test_imports_need_a_prefix():
    assert check(component("imports: port, var., B.*, B.c.d;")) == [
        ("PM_INCOMPLETE_IMPORTED_VAR_NAME", "error", 2, 11, 15),
        ("PM_INCOMPLETE_IMPORTED_VAR_NAME", "error", 2, 17, 21),
    ]


def test_import_item_that_is_only_a_keyword_has_no_variable_name():
    assert check(component("imports: external, (optional);")) == [
        ("PM_EMPTY_VARIABLE_NAME", "error", 2, 11, 19),
        ("PM_EMPTY_VARIABLE_NAME", "error", 2, 21, 31),
    ]


def test_leading_comma_in_imports_is_an_empty_variable_name_on_that_comma():
    assert check(component("imports: , A.b;")) == [("PM_EMPTY_VARIABLE_NAME", "error", 2, 11, 12)]


# -- exports (dsl.md §5.3) ---------------------------------------------------------------------------


def _exports(value: str):
    parsed = parse_text("t.graph", component(f"exports: {value};"))
    decls, problems = parse_exports(parsed.holders[0].first("exports"))
    return [(d.name, d.value, d.random_kind) for d in decls], [p.code for p in problems]


def test_exports_tokenizer_values():
    assert _exports('ip, port = 8080, url = "http://x/;a,b", empty = "", eq = a=b, blank =  ') == (
        [
            ("ip", None, None),
            ("port", "8080", None),
            ("url", "http://x/;a,b", None),
            ("empty", "", None),
            ("eq", "a=b", None),
            ("blank", None, None),
        ],
        [],
    )


def test_exports_quoted_value_is_not_trimmed():
    assert _exports('msg = "  hi  "') == ([("msg", "  hi  ", None)], [])


def test_exports_leading_comma_is_tolerated_but_a_trailing_one_is_not():
    assert check(component("exports: , a;")) == []
    assert check(component("exports: a,;")) == [("PM_EMPTY_VARIABLE_NAME", "error", 2, 12, 13)]


def test_exports_random_marker():
    assert _exports("random[port] p, RANDOM[Port]q, random [port] r")[0] == [
        ("p", None, "port"),
        ("q", None, "Port"),
        ("random [port] r", None, None),
    ]
    assert check(component("exports: random [port] r;")) == [("PM_INVALID_EXPORTED_VAR_NAME", "error", 2, 11, 26)]
    assert check(component("exports: random[port];")) == [("PM_EMPTY_VARIABLE_NAME", "error", 2, 11, 23)]


def test_exported_names_may_be_prefixed():
    assert _exports("db.ip, Tomcat.port = 1")[0] == [("db.ip", None, None), ("Tomcat.port", "1", None)]


# -- instances (dsl.md §4, §8.1) ----------------------------------------------------------------------


def test_instance_without_name_is_reported_on_its_declaration():
    assert check(instance("count: 2;"), "t.instances") == [("PM_MISSING_INSTANCE_NAME", "error", 1, 1, 16)]


def test_instance_name_must_be_a_flex_id_and_only_the_first_name_counts():
    assert check(instance("name: vm/1;"), "t.instances") == [("PM_INVALID_INSTANCE_NAME", "error", 2, 8, 12)]
    assert check(instance('name: "vm";'), "t.instances") == [("PM_INVALID_INSTANCE_NAME", "error", 2, 8, 12)]
    assert check(instance("name: vm;", "name: x/y;"), "t.instances") == [("PM_DUPLICATE_PROPERTY", "error", 3, 2, 6)]


def test_blank_instance_name_is_pm_empty_property_value_then_an_invalid_name():
    assert check(instance("name: ;"), "t.instances") == [
        ("PM_EMPTY_PROPERTY_VALUE", "error", 2, 2, 9),
        ("PM_INVALID_INSTANCE_NAME", "error", 2, 8, 8),
    ]


@pytest.mark.parametrize(
    "value, expected",
    [
        ("3", []),
        ("+3", []),
        ("1", [("PM_USELESS_INSTANCE_COUNT", "warning", 3, 2, 11)]),
        ("01", [("PM_USELESS_INSTANCE_COUNT", "warning", 3, 2, 12)]),
        ("0", [("PM_INVALID_INSTANCE_COUNT", "error", 3, 9, 10)]),
        ("-5", [("PM_INVALID_INSTANCE_COUNT", "error", 3, 9, 11)]),
        ("2.3", [("PM_INVALID_INSTANCE_COUNT", "error", 3, 9, 12)]),
        ("3 ", [("PM_INVALID_INSTANCE_COUNT", "error", 3, 9, 11)]),  # the space before ';' stays
        ("2147483648", [("PM_INVALID_INSTANCE_COUNT", "error", 3, 9, 19)]),
    ],
)
def test_count_follows_java_parse_int(value, expected):
    assert check(instance("name: vm;", f"count: {value};"), "t.instances") == expected


def test_nested_instances_are_validated_too():
    text = "instance of VM {\n\tname: vm;\n\tinstance of T {\n\t\tcount: 1;\n\t}\n}\n"
    assert check(text, "t.instances") == [
        ("PM_USELESS_INSTANCE_COUNT", "warning", 4, 3, 12),
        ("PM_MISSING_INSTANCE_NAME", "error", 3, 2, 17),
    ]


def test_unknown_instance_properties_are_overridden_exports_not_errors():
    assert check(instance("name: vm;", "channel: c;", "data.ec2.ip: 1.2.3.4;", "Tomcat.port: 80;"), "t.instances") == []
