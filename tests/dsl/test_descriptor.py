"""The application descriptor: Java properties reading with positions, and its validation (§10)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rbcc.dsl.catalogue import Level
from rbcc.dsl.checks.descriptor import (
    clean_name_with_accents,
    is_valid_version,
    validate_descriptor,
    validate_external_exports,
)
from rbcc.dsl.model.descriptor import (
    parse_descriptor,
    read_descriptor,
    read_properties,
    read_properties_text,
    template_exports,
)
from rbcc.dsl.text.ranges import SourceRange

F = "descriptor/application.properties"

VALID = """\
name = Lamp
version = 1.0.0
dsl-id = roboconf-1.0
graph-entry-point = lamp.graph
"""


def R(line: int, col: int, end_col: int, end_line: int | None = None) -> SourceRange:
    return SourceRange(F, line, col, line if end_line is None else end_line, end_col)


def problems_of(text: str | bytes):
    desc, problems = parse_descriptor(text, F)
    assert desc is not None
    return problems + validate_descriptor(desc)


def only(problems, code: str):
    found = [p for p in problems if p.code == code]
    assert len(found) == 1, [p.code for p in problems]
    return found[0]


# ------------------------------------------------------------------------------------------
# java.util.Properties
# ------------------------------------------------------------------------------------------


def values(text: str | bytes) -> dict[str, str]:
    props, malformed = read_properties(text, F)
    assert malformed is None
    return {k: e.value for k, e in props.items()}


def test_separators_and_blanks():
    text = "a=1\nb : 2\nc 3\n  d\t=\t4 \ne\n f:=5\n"
    assert values(text) == {"a": "1", "b": "2", "c": "3", "d": "4 ", "e": "", "f": "=5"}


def test_comments_and_blank_lines():
    assert values("# a = 1\n  ! b = 2\n\n\t\nc = 3 # not a comment\n") == {"c": "3 # not a comment"}


def test_continuation_drops_leading_blanks_of_next_line():
    text = "key = one, \\\n     two, \\\n\tthree\nother = \\\\\nlast = x"
    assert values(text) == {"key": "one, two, three", "other": "\\", "last": "x"}


def test_continuation_line_is_never_a_comment_but_a_fresh_line_can_be():
    assert values("a = x\\\n# still a\n#b = 2") == {"a": "x# still a"}


def test_escapes_and_unicode():
    assert values(r"k\ ey = \t\n\r\f\\\u00e9\x") == {"k ey": "\t\n\r\f\\éx"}


def test_iso_8859_1_makes_utf8_accents_mojibake():
    assert values("name = café".encode()) == {"name": "cafÃ©"}
    assert values("name = café".encode("latin-1")) == {"name": "caf\ufffd".encode().decode("latin-1")}


def test_keys_are_case_sensitive_and_last_definition_wins():
    assert values("Name = a\nname = b\nname = c") == {"Name": "a", "name": "c"}


def test_cr_and_crlf_line_ends():
    assert values("a = 1\rb = 2\r\nc = 3") == {"a": "1", "b": "2", "c": "3"}


def test_key_and_value_ranges():
    props, _ = read_properties("# c\n  version =  1.0 \nname: x\\\n   y", F)
    assert props["version"].key_range == R(2, 3, 10)
    assert props["version"].value_range == R(2, 14, 18)
    assert props["name"].value_range == SourceRange(F, 3, 7, 4, 5)


def test_empty_value_range_sits_at_end_of_line():
    props, _ = read_properties("dsl-id =   \n", F)
    assert props["dsl-id"].value == ""
    assert props["dsl-id"].value_range == R(1, 12, 12)


def test_columns_count_characters_not_bytes():
    props, _ = read_properties("description = é\nname = x\u00e9y", F)
    assert props["name"].value_range == R(2, 8, 11)


def test_malformed_unicode_escape_stops_reading_like_java():
    props, malformed = read_properties("a = 1\nb = \\u12\nc = 3", F)
    assert set(props) == {"a"}
    assert malformed == R(2, 5, 7)
    with pytest.raises(ValueError):
        read_properties_text("a = \\uZZZZ")


# ------------------------------------------------------------------------------------------
# The descriptor
# ------------------------------------------------------------------------------------------


def test_valid_descriptor_has_no_problem():
    assert problems_of(VALID) == []


def test_fields_tags_and_exports():
    desc, _ = parse_descriptor(
        VALID + "description = A \\\n  B\ninstance-entry-point = i.instances\ntags = a, b, a,\n"
        "exports-prefix = Lamp\nexports = Apache.ip as lb_ip, MySQL.port AS db_port\n",
        F,
    )
    assert (desc.name, desc.version, desc.dsl_id, desc.graph_entry_point) == (
        "Lamp",
        "1.0.0",
        "roboconf-1.0",
        "lamp.graph",
    )
    assert desc.description == "A B"
    assert desc.instance_entry_point == "i.instances"
    assert desc.tags == ["a", "b"]
    assert {k: e.alias for k, e in desc.external_exports.items()} == {"Apache.ip": "lb_ip", "MySQL.port": "db_port"}
    export = desc.external_exports["MySQL.port"]
    assert export.internal_range == R(10, 31, 41)
    assert export.alias_range == R(10, 45, 52)
    assert template_exports(desc) == {"Apache.ip": "Lamp.lb_ip", "MySQL.port": "Lamp.db_port"}


def test_legacy_keys_and_bare_key_wins():
    desc, _ = parse_descriptor("application-name = Old\napplication-version = 2.0\napplication-dsl-id = x", F)
    assert (desc.name, desc.version, desc.dsl_id) == ("Old", "2.0", "x")
    desc, _ = parse_descriptor("name = \napplication-name = Old", F)
    assert desc.name == ""
    assert desc.key_range("name") == R(1, 1, 5)


def test_repeated_internal_variable_keeps_last_alias():
    desc, _ = parse_descriptor("exports = a.b as x, a.b as y", F)
    assert desc.external_exports["a.b"].alias == "y"


# ------------------------------------------------------------------------------------------
# Validation: every code, its level and its range
# ------------------------------------------------------------------------------------------


def test_missing_name_points_at_file_start_when_absent():
    p = only(problems_of(VALID.replace("name = Lamp\n", "")), "RM_MISSING_APPLICATION_NAME")
    assert p.level is Level.ERROR
    assert p.range == R(1, 1, 1)


def test_blank_name_points_at_its_key():
    p = only(problems_of(VALID.replace("name = Lamp", "name =   ")), "RM_MISSING_APPLICATION_NAME")
    assert p.range == R(1, 1, 5)


def test_invalid_name_points_at_value():
    p = only(problems_of(VALID.replace("name = Lamp", "name = 1Lamp")), "RM_INVALID_APPLICATION_NAME")
    assert p.level is Level.ERROR
    assert p.range == R(1, 8, 13)


def test_accents_escaped_pass_but_utf8_accents_fail():
    assert problems_of(VALID.replace("Lamp", "Caf\\u00e9 (v2)")) == []
    p = only(problems_of(VALID.replace("Lamp", "Café").encode()), "RM_INVALID_APPLICATION_NAME")
    assert p.range == R(1, 8, 12)
    assert clean_name_with_accents(" Él\u0301ève ") == "Eleve"


def test_missing_and_invalid_version():
    p = only(problems_of(VALID.replace("version = 1.0.0\n", "")), "RM_MISSING_APPLICATION_VERSION")
    assert (p.level, p.range) == (Level.ERROR, R(1, 1, 1))
    p = only(problems_of(VALID.replace("1.0.0", "snapshot")), "RM_INVALID_APPLICATION_VERSION")
    assert (p.level, p.range) == (Level.ERROR, R(2, 11, 19))
    assert p.details == (("UNEXPECTED", "snapshot"),)


@pytest.mark.parametrize(
    ("version", "valid"),
    [
        ("1.0", True),
        ("1.0.1-SNAPSHOT", True),
        ("1.0.simple", True),
        ("1.2.3.4.5", True),
        ("1.0\n", True),
        ("1.0 ", False),
        ("snapshot", False),
        ("v1.0", False),
        ("1.", False),
        ("99999999999.0", False),
        ("1.0-\n", False),
    ],
)
def test_version_pattern(version, valid):
    assert is_valid_version(version) is valid


def test_missing_dsl_id_is_a_warning():
    p = only(problems_of(VALID.replace("dsl-id = roboconf-1.0\n", "")), "RM_MISSING_APPLICATION_DSL_ID")
    assert (p.level, p.range) == (Level.WARNING, R(1, 1, 1))
    p = only(problems_of(VALID.replace("dsl-id = roboconf-1.0", "dsl-id =")), "RM_MISSING_APPLICATION_DSL_ID")
    assert p.range == R(3, 1, 7)


def test_missing_graph_entry_point():
    p = only(
        problems_of(VALID.replace("graph-entry-point = lamp.graph", "graph-entry-point:")), "RM_MISSING_APPLICATION_GEP"
    )
    assert (p.level, p.range) == (Level.ERROR, R(4, 1, 18))


def test_invalid_exports_point_at_first_bad_item():
    problems = problems_of(VALID + "exports-prefix = P\nexports = a.b as c, toto IS titi, bad\n")
    p = only(problems, "PROJ_INVALID_EXTERNAL_EXPORTS")
    assert (p.level, p.range) == (Level.ERROR, R(6, 21, 33))
    assert [r.range for r in p.related] == [R(6, 35, 38)]


def test_invalid_export_variable_names_point_at_the_name():
    problems = problems_of(VALID + "exports-prefix = P\nexports = 1a.b as c, a.b as 2c\n")
    names = [(p.code, p.range) for p in problems]
    assert names == [("RM_INVALID_VARIABLE_NAME", R(6, 11, 15)), ("RM_INVALID_VARIABLE_NAME", R(6, 29, 31))]


def test_exports_without_prefix():
    p = only(problems_of(VALID + "exports = a.b as c\n"), "RM_MISSING_APPLICATION_EXPORT_PREFIX")
    assert (p.level, p.range) == (Level.ERROR, R(5, 1, 8))
    p = only(problems_of(VALID + "exports-prefix =\nexports = bad\n"), "RM_MISSING_APPLICATION_EXPORT_PREFIX")
    assert p.range == R(5, 1, 15)


def test_trailing_comma_in_exports_is_an_invalid_item():
    codes = [p.code for p in problems_of(VALID + "exports-prefix = P\nexports = a.b as c, \n")]
    assert codes == ["PROJ_INVALID_EXTERNAL_EXPORTS"]


def test_roboconf_order_of_codes():
    codes = [p.code for p in problems_of("exports = a as b, x")]
    assert codes == [
        "RM_MISSING_APPLICATION_NAME",
        "RM_MISSING_APPLICATION_VERSION",
        "RM_MISSING_APPLICATION_DSL_ID",
        "RM_MISSING_APPLICATION_GEP",
        "PROJ_INVALID_EXTERNAL_EXPORTS",
        "RM_MISSING_APPLICATION_EXPORT_PREFIX",
    ]


def test_unreadable_descriptor(tmp_path):
    desc, problems = read_descriptor(tmp_path, F)
    assert desc is None
    assert [(p.code, p.level, p.range) for p in problems] == [("PROJ_READ_DESC_FILE", Level.ERROR, R(1, 1, 1))]


def test_roboconf_test_hook_fail_read():
    desc, problems = parse_descriptor(VALID + "fail.read = true\n", F)
    assert desc is None
    assert [(p.code, p.range) for p in problems] == [("PROJ_READ_DESC_FILE", R(5, 1, 10))]


def test_read_descriptor_prefers_the_editor_text(tmp_path):
    path = tmp_path / "application.properties"
    path.write_text(VALID, encoding="utf-8")
    desc, _ = read_descriptor(path, F)
    assert desc.name == "Lamp"
    desc, _ = read_descriptor(path, F, text="name = Edited")
    assert desc.name == "Edited"


# ------------------------------------------------------------------------------------------
# Template-level export checks (§9.5)
# ------------------------------------------------------------------------------------------


def test_template_export_checks():
    desc, _ = parse_descriptor(VALID + "exports-prefix = P\nexports = A.ip as x, B.port as x, C.z as y\n", F)
    problems = validate_external_exports(desc, {"A.ip", "B.port"})
    assert sorted((p.code, p.range) for p in problems) == sorted(
        [
            ("RM_ALREADY_DEFINED_EXTERNAL_EXPORT", R(6, 32, 33)),
            ("RM_INVALID_EXTERNAL_EXPORT", R(6, 35, 38)),
        ]
    )


def test_template_export_prefix_must_be_an_id():
    desc, _ = parse_descriptor(VALID + "exports-prefix = 1P\nexports = A.ip as x\n", F)
    problems = validate_external_exports(desc, {"A.ip"})
    assert [(p.code, p.range) for p in problems] == [
        ("RM_INVALID_APPLICATION_EXPORT_PREFIX", R(5, 18, 20)),
        ("RM_INVALID_VARIABLE_NAME", R(6, 19, 20)),
    ]


def test_template_export_checks_without_prefix():
    desc, _ = parse_descriptor(VALID + "exports = A.ip as x\n", F)
    assert [p.code for p in validate_external_exports(desc, {"A.ip"})] == ["RM_MISSING_APPLICATION_EXPORT_PREFIX"]


# ------------------------------------------------------------------------------------------
# Robustness
# ------------------------------------------------------------------------------------------

KEYS = ["name", "version", "dsl-id", "graph-entry-point", "exports", "exports-prefix", "tags", "application-name"]


@settings(max_examples=300, deadline=None)
@given(st.text())
def test_random_text_never_raises(text):
    desc, _problems = parse_descriptor(text, F)
    if desc is not None:
        validate_descriptor(desc)
        validate_external_exports(desc, set())


@settings(max_examples=300, deadline=None)
@given(st.binary())
def test_random_bytes_never_raise(data):
    desc, _ = parse_descriptor(data, F)
    if desc is not None:
        validate_descriptor(desc)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(KEYS), st.sampled_from(" =:\t"), st.text(alphabet=" ,.a1\\u=é\n\t#!as"))))
def test_random_descriptors_never_raise_and_ranges_are_sane(entries):
    text = "\n".join(f"{k}{sep}{v}" for k, sep, v in entries)
    desc, problems = parse_descriptor(text, F)
    if desc is not None:
        problems = problems + validate_descriptor(desc)
    for p in problems:
        assert p.range is not None and p.range.start_line >= 1 and p.range.start_column >= 1
        assert (p.range.end_line, p.range.end_column) >= (p.range.start_line, p.range.start_column)


ORACLE_DESCRIPTORS = [
    VALID.encode(),
    "name = Café\nversion = snapshot\nexports = a as b, bad\n".encode(),
    b"application-name = Caf\\u00e9\napplication-version = 1.0\ngraph-entry-point:\nexports = 1a as b\n",
    b"name = x\\\n  y\nversion = 1.0 \ndsl-id =\nexports-prefix = P\nexports = a.b as c, a.b as d,\n",
    b"name = ok\nversion = 1.0\nb = \\u12\nversion = broken\n",
]


@pytest.mark.oracle
@pytest.mark.parametrize("data", ORACLE_DESCRIPTORS, ids=range(len(ORACLE_DESCRIPTORS)))
def test_same_codes_as_roboconf(data, tmp_path):
    from tests.oracle_client import run_oracle
    from tests.support import need_oracle

    need_oracle()
    path = tmp_path / "application.properties"
    path.write_bytes(data)
    errors, warnings = run_oracle(path)
    desc, problems = parse_descriptor(data, F)
    problems = problems + validate_descriptor(desc)
    assert sorted(p.code for p in problems) == sorted(errors + warnings)
