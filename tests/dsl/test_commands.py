"""Roboconf commands (``*.commands``, dsl.md §13): recognition, validation and ranges.

The application model is Roboconf's ``TestApplication`` (what its own CommandsParser tests use)
plus a few components for the corner cases: ``vm2`` extends ``vm`` (so it inherits the target
installer, which ``associate`` does not see), ``box`` declares ``installer: Target``, and
``app`` is a child of the facet ``F`` (so its only direct ancestor is a facet).
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rbcc.dsl.catalogue import Level
from rbcc.dsl.commands import (
    Append,
    AssociateTarget,
    Bulk,
    ChangeState,
    CreateInstance,
    DefineVariable,
    Email,
    Execute,
    Rename,
    Replicate,
    SimpleComponent,
    SimpleContext,
    Write,
    parse_commands,
)
from rbcc.dsl.java import format_date, is_valid_date_pattern, java_equals_ignore_case
from rbcc.dsl.text.ranges import SourceRange

F = "commands/me.commands"

GRAPH = """\
vm {
	installer: target;
	children: tomcat, mysql, box;
	facets: F;
}
facet F {
	children: app;
}
vm2 {
	extends: vm;
}
tomcat {
	installer: script;
	children: war;
}
mysql {
	installer: script;
}
war {
	installer: script;
}
box {
	installer: Target;
}
app {
	installer: script;
}
"""

INSTANCES = """\
instance of vm {
	name: tomcat-vm;
	instance of tomcat {
		name: tomcat-server;
		instance of war {
			name: hello-world;
		}
	}
}
instance of vm {
	name: mysql-vm;
	instance of mysql {
		name: mysql-server;
	}
}
instance of vm2 {
	name: vm2-inst;
}
instance of vm {
	name: vm 1;
	instance of box {
		name: box;
	}
	instance of app {
		name: app;
	}
}
instance of vm {
	name: vm 3;
}
"""

COMMAND_FILES = {"ok": "write a into b\n", "nasty": "write a into b\nEXECUTE   nasty\n", "me": "execute ok\n"}


def context() -> SimpleContext:
    """The model of GRAPH + INSTANCES, as the project loader would adapt it."""
    return SimpleContext(
        components={
            "vm": SimpleComponent((), "target"),
            "vm2": SimpleComponent((), None),
            "tomcat": SimpleComponent(("vm",), "script"),
            "mysql": SimpleComponent(("vm",), "script"),
            "war": SimpleComponent(("tomcat",), "script"),
            "box": SimpleComponent(("vm",), "Target"),
            "app": SimpleComponent(("F",), "script"),
        },
        instances={
            "/tomcat-vm": "vm",
            "/tomcat-vm/tomcat-server": "tomcat",
            "/tomcat-vm/tomcat-server/hello-world": "war",
            "/mysql-vm": "vm",
            "/mysql-vm/mysql-server": "mysql",
            "/vm2-inst": "vm2",
            "/vm 1": "vm",
            "/vm 1/box": "box",
            "/vm 1/app": "app",
            "/vm 3": "vm",
        },
        command_names=set(COMMAND_FILES),
        command_texts=dict(COMMAND_FILES),
    )


def R(line: int, col: int, end_col: int, end_line: int | None = None) -> SourceRange:
    return SourceRange(F, line, col, line if end_line is None else end_line, end_col)


def run(text: str, name: str | None = "me"):
    return parse_commands(text, F, name, context())


def problems_of(text: str, name: str | None = "me"):
    return run(text, name)[1]


def single(text: str, name: str | None = "me"):
    problems = problems_of(text, name)
    assert len(problems) == 1, [(p.code, p.range) for p in problems]
    return problems[0]


# ------------------------------------------------------------------------------------------
# Every code: level and range
# ------------------------------------------------------------------------------------------

ERROR_CASES = [
    # (text, code, range)
    ("create vm as x\ndefin VAR = vm", "CMD_UNRECOGNIZED_INSTRUCTION", R(2, 1, 6)),
    ("create vm", "CMD_INVALID_SYNTAX", R(1, 1, 10)),
    ("rename tomcat-vm as x", "CMD_INVALID_SYNTAX", R(1, 1, 22)),
    ("create vm as $(x)", "CMD_UNRESOLVED_VARIABLE", R(1, 14, 18)),
    ("create vm \\\n\t\tas $(id)", "CMD_UNRESOLVED_VARIABLE", R(2, 6, 11)),
    ("associate /tomcat-vm with", "CMD_INVALID_TARGET_ID", R(1, 22, 26)),
    ("associate /nope with 1", "CMD_NO_MATCHING_INSTANCE", R(1, 11, 16)),
    ("associate /tomcat-vm/tomcat-server with 1", "CMD_NOT_A_SCOPED_INSTANCE", R(1, 11, 35)),
    ("associate /vm2-inst with 1", "CMD_NOT_A_SCOPED_INSTANCE", R(1, 11, 20)),
    ("change status of /tomcat-vm to nope", "CMD_INVALID_INSTANCE_STATUS", R(1, 32, 36)),
    ("change status of /tomcat-vm to starting", "CMD_INSTABLE_INSTANCE_STATUS", R(1, 32, 40)),
    ("change status of /nope to NOT DEPLOYED", "CMD_NO_MATCHING_INSTANCE", R(1, 18, 23)),
    ("define  = vm", "CMD_EMPTY_VARIABLE_NAME", R(1, 9, 10)),
    ("create vm as", "CMD_MISSING_INSTANCE_NAME", R(1, 11, 13)),
    ("create vm as a/b", "CMD_INVALID_INSTANCE_NAME", R(1, 14, 17)),
    ("create  as x", "CMD_MISSING_COMPONENT_NAME", R(1, 1, 7)),
    ("create nope as x", "CMD_INEXISTING_COMPONENT", R(1, 8, 12)),
    ("stop all instances of nope", "CMD_INEXISTING_COMPONENT", R(1, 23, 27)),
    ("create tomcat as t", "CMD_MISSING_PARENT_INSTANCE", R(1, 8, 14)),
    ("create war as w under /nope", "CMD_NO_MATCHING_INSTANCE", R(1, 23, 28)),
    ("create war as w under /mysql-vm", "CMD_NOT_AN_ACCEPTABLE_PARENT", R(1, 23, 32)),
    ("create app as a under /vm 3", "CMD_NOT_AN_ACCEPTABLE_PARENT", R(1, 23, 28)),
    ("create vm as v under /mysql-vm", "CMD_CANNOT_HAVE_ANY_PARENT", R(1, 22, 31)),
    ("create vm as tomcat-vm", "CMD_CONFLICTING_INSTANCE_NAME", R(1, 14, 23)),
    ("rename /mysql-vm as tomcat-vm", "CMD_CONFLICTING_INSTANCE_NAME", R(1, 21, 30)),
    ("rename /nope as x", "CMD_NO_MATCHING_INSTANCE", R(1, 8, 13)),
    ("replicate /tomcat-vm/tomcat-server as x", "CMD_NOT_A_ROOT_INSTANCE", R(1, 11, 35)),
    ("replicate /tomcat-vm as", "CMD_MISSING_INSTANCE_NAME", R(1, 22, 24)),
    ("email a@b.c with # no message", "CMD_EMAIL_NO_MESSAGE", R(1, 13, 17)),
    ("write x into # no file", "CMD_MISSING_TARGET_FILE", R(1, 9, 13)),
    ("execute # nothing", "CMD_MISSING_COMMAND_NAME", R(1, 1, 8)),
    ("execute me", "CMD_LOOPING_COMMAND", R(1, 9, 11)),
    ("execute me.commands", "CMD_LOOPING_COMMAND", R(1, 9, 20)),
    ("execute nope", "CMD_INEXISTING_COMMAND", R(1, 9, 13)),
    ("execute nasty", "CMD_NASTY_LOOPING_COMMAND", R(1, 9, 14)),
    ("define d = $(FORMATTED_TIME abc )", "CMD_INVALID_DATE_PATTERN", R(1, 12, 34)),
    ("define d = $(FORMATTED_TIME 'unclosed )", "CMD_INVALID_DATE_PATTERN", R(1, 12, 40)),
    ("define d = x $(FORMATTED_TIME yyyy )", "CMD_NO_MIX_FOR_PATTERNS", R(1, 12, 37)),
    ("define d = $(FORMATTED_TIME $(UUID) )", "CMD_NO_MIX_FOR_PATTERNS", R(1, 12, 38)),
    ("define i = vm $(EXISTING_INDEX min)", "CMD_INVALID_INDEX_PATTERN", R(1, 12, 36)),
    ("define i = vm under /nope", "CMD_NO_MATCHING_INSTANCE", R(1, 21, 26)),
]


@pytest.mark.parametrize(("text", "code", "where"), ERROR_CASES, ids=[c[1] + ":" + c[0] for c in ERROR_CASES])
def test_error_code_level_and_range(text, code, where):
    p = single(text)
    assert (p.code, p.level, p.range) == (code, Level.ERROR, where)


def test_no_instruction_is_a_warning_at_file_start():
    instructions, problems = run("\n# only a comment\n   \n")
    assert instructions == []
    assert [(p.code, p.level, p.range) for p in problems] == [("CMD_NO_INSTRUCTION", Level.WARNING, R(1, 1, 1))]


def test_no_instruction_comes_first():
    codes = [p.code for p in problems_of("defin x = 1\nfoo")]
    assert codes == ["CMD_NO_INSTRUCTION", "CMD_UNRECOGNIZED_INSTRUCTION", "CMD_UNRECOGNIZED_INSTRUCTION"]


def test_invalid_syntax_then_unresolved_variables_and_no_specific_check():
    problems = problems_of("create vm $(a) $(b)")
    assert [(p.code, p.range) for p in problems] == [
        ("CMD_INVALID_SYNTAX", R(1, 1, 20)),
        ("CMD_UNRESOLVED_VARIABLE", R(1, 11, 15)),
        ("CMD_UNRESOLVED_VARIABLE", R(1, 16, 20)),
    ]


def test_bulk_with_an_unknown_action_shape():
    problems = problems_of("stop all instances of a/b")
    assert [(p.code, p.range) for p in problems] == [
        ("CMD_UNRECOGNIZED_INSTRUCTION", R(1, 1, 24)),
        ("CMD_NO_MATCHING_INSTANCE", R(1, 24, 26)),
    ]


def test_several_independent_errors_of_one_create():
    codes = [p.code for p in problems_of("create nope as 1x")]
    assert codes == ["CMD_INEXISTING_COMPONENT", "CMD_INVALID_INSTANCE_NAME"]


# ------------------------------------------------------------------------------------------
# Instructions and the simulated model
# ------------------------------------------------------------------------------------------


def test_instruction_types_and_fields():
    text = """\
associate /tomcat-vm with 42
change status of /tomcat-vm to DEPLOYED and STARTED
deploy and start all /tomcat-vm
Delete All instances of war
email a@b.c, d@e.f with Subject: hi\\nbody
define v = x
create tomcat as t under /mysql-vm
replicate /mysql-vm as copy
rename /copy as copy2
write text into %TMP%/f
append text into /tmp/f
execute ok.commands
"""
    instructions, problems = run(text)
    assert problems == []
    a, c, b1, b2, e, d, cr, rp, rn, w, ap, ex = instructions
    assert isinstance(a, AssociateTarget) and (a.instance_path, a.target_id) == ("/tomcat-vm", "42")
    assert isinstance(c, ChangeState) and c.status == "DEPLOYED_STARTED"
    assert isinstance(b1, Bulk) and (b1.action, b1.instance_path) == ("DEPLOY_AND_START_ALL", "/tomcat-vm")
    assert isinstance(b2, Bulk) and (b2.action, b2.component_name) == ("DELETE", "war")
    assert isinstance(e, Email) and e.recipients == ["a@b.c", "d@e.f"] and e.message == "Subject: hi\nbody"
    assert isinstance(d, DefineVariable) and (d.key, d.resolved) == ("v", "x")
    assert isinstance(cr, CreateInstance) and (cr.component_name, cr.instance_name, cr.parent_path) == (
        "tomcat",
        "t",
        "/mysql-vm",
    )
    assert isinstance(rp, Replicate) and isinstance(rn, Rename)
    assert type(w) is Write and not w.file_path.startswith("%TMP%")
    assert isinstance(ap, Append) and ap.file_path == "/tmp/f"
    assert isinstance(ex, Execute) and ex.command_name == "ok"
    assert all(i.valid and i.syntax_ok and not i.disabled for i in instructions)
    assert a.range == R(1, 1, 29) and a.keyword_range == R(1, 1, 10) and a.path_range == R(1, 11, 21)
    assert b2.keyword_range == R(4, 1, 11)


def test_keywords_are_case_insensitive_and_java_ignore_case_is_unicode_aware():
    instructions, problems = run("CREATE vm AS big\nſtop all /big\nDELETE /big")
    assert problems == []
    assert [type(i).__name__ for i in instructions] == ["CreateInstance", "Bulk", "Bulk"]
    assert java_equals_ignore_case("ſtop", "STOP") and not java_equals_ignore_case("straße", "STRASSE")


def test_continuations_and_comments():
    instructions, problems = run("create vm \\\n   as one # a comment\n# create vm as two\n  email x with a#b")
    assert problems == []
    assert instructions[0].instance_name == "one"
    assert instructions[0].range == R(1, 1, 10, 2)
    assert instructions[1].message == "a"


def test_the_simulated_model_follows_the_instructions():
    text = """\
create vm as new
create vm as new
delete /tomcat-vm
create war as w under /tomcat-vm/tomcat-server
replicate /mysql-vm as copy
create mysql as m2 under /copy
rename /copy as moved
associate /moved with 1
change status of /moved/mysql-server to NOT DEPLOYED
"""
    problems = problems_of(text)
    assert [(p.code, p.range.start_line) for p in problems] == [
        ("CMD_CONFLICTING_INSTANCE_NAME", 2),
        ("CMD_NO_MATCHING_INSTANCE", 4),
    ]


def test_variables_smart_index_and_substitution_ranges():
    instructions, problems = run("define n = vm $(SMART_INDEX)\ncreate vm as $(n)\ncreate vm as $(n) x/y")
    assert instructions[0].resolved == "vm 2"
    assert instructions[1].instance_name == "vm 2"
    assert [(p.code, p.range) for p in problems] == [("CMD_INVALID_INSTANCE_NAME", R(3, 14, 22))]


def test_smart_index_under_a_parent():
    instructions, _ = run("define n = box$(SMART_INDEX) under /vm 1\ndefine m = box $(SMART_INDEX) under /vm 1")
    assert [i.resolved for i in instructions] == ["box1", "box 1"]


def test_existing_index_queries_and_disabled_instructions():
    text = """\
define LAST = vm $(EXISTING_INDEX MAX)
define FIRST = vm $(EXISTING_INDEX MIN)
define MID = vm $(EXISTING_INDEX MAX < 3)
define NONE = vm $(EXISTING_INDEX MIN > 50 )
stop all /$(NONE)
undeploy all /$(LAST)
define NONE = vm 1
stop all /$(NONE)
"""
    instructions, problems = run(text)
    assert problems == []
    assert [i.resolved for i in instructions[:4]] == ["vm 3", "vm 1", "vm 1", None]
    assert [i.disabled for i in instructions] == [False, False, False, True, True, False, False, True]


def test_formatted_time_must_be_alone_and_valid():
    instructions, problems = run("define t = $(FORMATTED_TIME yyyy-MM-dd HH'h'mm )\ncreate vm as vm-$(t)")
    assert problems == []
    assert instructions[1].instance_name.startswith("vm-")


def test_text_not_from_a_file_cannot_loop():
    assert problems_of("execute me", name=None) == []


# ------------------------------------------------------------------------------------------
# SimpleDateFormat
# ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("pattern", "valid"),
    [
        ("yyyy-MM-dd HH:mm:ss.SSS", True),
        ("EEE, d MMM yyyy 'at' h:mm a z", True),
        ("YYYY-'W'ww-u XXX", True),
        ("'it''s' k K L F D G Z", True),
        ("", True),
        ("''", True),
        ("abc", False),
        ("yyyy-mm-dd T", False),
        ("'unclosed", False),
        ("XXXX", False),
        ("é q", False),
    ],
)
def test_date_patterns(pattern, valid):
    assert is_valid_date_pattern(pattern) is valid


def test_format_date():
    when = datetime(2024, 3, 5, 14, 7, 9, 42000, tzinfo=timezone(timedelta(hours=1)))
    assert format_date("yyyy-MM-dd HH:mm:ss.SSS", when) == "2024-03-05 14:07:09.042"
    assert format_date("EEE, d MMM yy 'at' h a Z XXX", when) == "Tue, 5 Mar 24 at 2 PM +0100 +01:00"
    assert format_date("MMMM EEEE ''", when) == "March Tuesday '"


# ------------------------------------------------------------------------------------------
# Robustness
# ------------------------------------------------------------------------------------------

PIECES = [
    "create ",
    "vm",
    " as ",
    " under ",
    "/tomcat-vm",
    "/",
    "$(",
    ")",
    "SMART_INDEX",
    "EXISTING_INDEX ",
    "MAX",
    " > 2",
    "FORMATTED_TIME ",
    "'",
    "define ",
    " = ",
    "\\",
    "\n",
    "\r\n",
    "#",
    "!@!",
    "rename ",
    "replicate ",
    "execute ",
    "delete ",
    " instances of ",
    "email ",
    " with ",
    "write ",
    " into ",
    "associate ",
    "change status of ",
    " to ",
    "x",
    "é",
    "\u2028",
]


@settings(max_examples=300, deadline=None)
@given(st.text())
def test_random_text_never_raises(text):
    parse_commands(text, F, "me", context())


@settings(max_examples=500, deadline=None)
@given(st.lists(st.sampled_from(PIECES), max_size=40).map("".join))
def test_command_like_text_never_raises_and_ranges_are_sane(text):
    instructions, problems = parse_commands(text, F, "me", context())
    lines = text.count("\n") + 1
    for p in problems:
        r = p.range
        assert 1 <= r.start_line <= lines and r.start_column >= 1
        assert (r.end_line, r.end_column) >= (r.start_line, r.start_column)
    assert bool(instructions) or problems[0].code == "CMD_NO_INSTRUCTION"


# ------------------------------------------------------------------------------------------
# Against Roboconf itself (the oracle)
# ------------------------------------------------------------------------------------------

ORACLE_FLOWS = [
    "create vm as new\ncreate vm as new\ndelete /tomcat-vm\ncreate war as w under /tomcat-vm/tomcat-server",
    "replicate /mysql-vm as copy\ncreate mysql as m2 under /copy\nrename /copy as moved\nassociate /moved with 1",
    "define NONE = vm $(EXISTING_INDEX MIN > 50 )\nstop all /$(NONE)\ncreate tomcat as t under /$(NONE)",
    "define n = vm $(SMART_INDEX)\ncreate vm as $(n)\ncreate vm as $(n)\nassociate /vm 1/box with x",
    "ſtop all /tomcat-vm\ncreate vm asé\nemail a with \\\n\n  b\n\\\n",
]


@pytest.fixture(scope="module")
def oracle_app(tmp_path_factory):
    from tests.support import need_oracle

    need_oracle()
    root = tmp_path_factory.mktemp("cmd-app")
    (root / "descriptor").mkdir()
    (root / "descriptor" / "application.properties").write_text(
        "name = test\nversion = 1.0\ndsl-id = roboconf-1.0\ngraph-entry-point = main.graph\n"
        "instance-entry-point = init.instances\n",
        encoding="utf-8",
    )
    (root / "graph").mkdir()
    (root / "graph" / "main.graph").write_text(GRAPH, encoding="utf-8")
    for component in context().components:
        (root / "graph" / component).mkdir()
    (root / "instances").mkdir()
    (root / "instances" / "init.instances").write_text(INSTANCES, encoding="utf-8")
    (root / "commands").mkdir()
    for name, text in COMMAND_FILES.items():
        if name != "nasty":  # it would make the application itself invalid for the oracle
            (root / "commands" / f"{name}.commands").write_text(text, encoding="utf-8")
    return root


_SINGLE_CASES = [c[0] for c in ERROR_CASES if c[1] != "CMD_NASTY_LOOPING_COMMAND"]
#: the error cases grouped eight by eight (any text is a valid input: one JVM per file is slow)
ORACLE_CASES = ["\n".join(_SINGLE_CASES[i : i + 8]) for i in range(0, len(_SINGLE_CASES), 8)] + ORACLE_FLOWS


@pytest.mark.oracle
@pytest.mark.parametrize("text", ORACLE_CASES, ids=range(len(ORACLE_CASES)))
def test_same_codes_as_roboconf(text, oracle_app, tmp_path):
    from tests.oracle_client import run_oracle

    case = tmp_path / "me.commands"
    case.write_bytes(text.encode("utf-8"))
    errors, warnings = run_oracle(case, "--app", str(oracle_app), "--pipeline", "commands")
    ctx = context()
    ctx.command_names.discard("nasty")
    _instructions, problems = parse_commands(text, F, "me", ctx)
    ours = sorted(p.code for p in problems)
    assert ours == sorted(errors + warnings)
