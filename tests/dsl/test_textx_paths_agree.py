"""The textX fast path and the recovering line parser build the same blocks for well-formed text.

``rbcc.dsl.parser.parse_text`` parses well-formed graph and instances files with the textX
grammars and falls back to ``rbcc.dsl.line_parser.parse_lines`` for anything else.  Whatever
path reads a file, the language server, the validator and the compiler must see the same blocks:
same kinds, names, ranges, property names and values, comments and problems.  Hypothesis builds
well-formed texts (with Roboconf's lexical freedom: case-insensitive keywords, tabs and spaces,
in-line comments, spaces before ``;``, quoted values, unanchored property names...) and compares
a normalised dump of both results; it also checks that the fast path really was taken.
"""

from __future__ import annotations

import os
import re

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rbcc.dsl.text.line_parser import parse_lines
from rbcc.dsl.text.parser import _FastBuilder, parse_text
from rbcc.dsl.text.syntax import Blank, Comment, Holder, Import, ParsedFile, Property, Unknown

# -- normalised dump ------------------------------------------------------------------------------


def _r(r):
    return None if r is None else (r.file, r.start_line, r.start_column, r.end_line, r.end_column)


def _dump_item(item) -> tuple:
    if isinstance(item, Blank):
        return ("blank", item.line)
    if isinstance(item, Comment):
        return ("comment", item.text, _r(item.range))
    if isinstance(item, Import):
        return ("import", item.uri, _r(item.range), _r(item.uri_range))
    if isinstance(item, Unknown):
        return ("unknown", item.text, _r(item.range))
    if isinstance(item, Property):
        return (
            "property",
            item.name,
            item.value,
            _r(item.name_range),
            _r(item.value_range),
            _r(item.range),
            item.comment,
        )
    if isinstance(item, Holder):
        return (
            "holder",
            item.kind.value,
            item.name,
            _r(item.name_range),
            _r(item.decl_range),
            _r(item.range),
            item.end_line,
            item.doc,
            item.cancelled,
            tuple(_dump_item(i) for i in item.items),
        )
    raise AssertionError(f"unexpected block {item!r}")


def dump(parsed: ParsedFile) -> dict:
    return {
        "path": parsed.path,
        "kind": parsed.kind.value,
        "line_count": parsed.line_count,
        "recovered": parsed.recovered,
        "blocks": [_dump_item(b) for b in parsed.blocks],
        "problems": [(p.code, p.level.value, _r(p.range), p.message) for p in parsed.problems],
    }


def _syntax_problems(parsed: ParsedFile) -> list[str]:
    return [p.code for p in parsed.problems if p.code not in ("P_EMPTY_FILE", "P_INVALID_FILE_TYPE")]


def assert_paths_agree(path: str, text: str, language: str, *, well_formed: bool = True) -> None:
    """Both paths give the same dump; the fast path is taken exactly when the text is well formed.

    ``well_formed=False`` is for generated texts that may contain one of Roboconf's traps (a
    name such as ``TImport {`` is an import statement for Roboconf): then the line parser decides.
    """
    line = parse_lines(path, text)
    fast = _FastBuilder(path, text).build(language)
    if fast is None:
        assert not well_formed, "the textX fast path rejected well-formed text:\n" + text
        assert _syntax_problems(line), "the fast path declined a text the line parser finds clean:\n" + text
        assert dump(parse_text(path, text)) == dump(line)
        return
    assert not _syntax_problems(line), "the fast path accepted a text with syntax errors:\n" + text
    assert dump(fast) == dump(line)
    # and parse_text, the public entry point, returns the fast result
    assert dump(parse_text(path, text)) == dump(fast)


# -- strategies -----------------------------------------------------------------------------------

_WS = st.sampled_from(["", " ", "\t", "  ", " \t"])
_INDENT = st.sampled_from(["", "\t", "    ", "\t\t", " "])
_NAME_CHARS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-"
_IDENT = st.one_of(
    st.builds(
        lambda first, rest: first + rest,
        st.sampled_from("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ_"),
        st.text(_NAME_CHARS, max_size=8),
    ),
    # names that collide with Roboconf's unanchored, case-insensitive keyword searches
    st.sampled_from(["Import", "TImport", "reimport", "facet", "Facets", "instance", "of", "_import_"]),
)
# values: anything Roboconf reads as a well-formed value (no ';', '#', braces, quotes, newline)
_PLAIN_VALUE = st.text("abcdefghijklmnopqrstuvwxyzABC0123456789_-.,=()/:* \t$", min_size=1, max_size=20).filter(
    lambda v: v.strip(" \t") != ""
)
_QUOTED_VALUE = st.builds(lambda a, q: f'{a} = "{q}"', _IDENT, st.text("ab ;,=:x", max_size=6))
_VALUE = st.one_of(_PLAIN_VALUE, _QUOTED_VALUE)
_COMMENT_TEXT = st.text("abc xyz{};:=\"'#\t", max_size=12)
_TRAILING = st.one_of(st.just(""), st.builds(lambda ws, c: f"{ws}#{c}", _WS, _COMMENT_TEXT))


def _line(parts) -> str:
    return "".join(parts) + "\n"


@st.composite
def property_line(draw, names) -> str:
    indent = draw(_INDENT)
    junk = draw(st.sampled_from(["", "", "", "junk "]))  # Roboconf's unanchored property regex
    name = draw(names)
    before = draw(st.sampled_from(["", " ", "\t"]))
    after = draw(st.sampled_from(["", " ", "  ", "\t"]))
    value = draw(_VALUE)
    space_before_semi = draw(st.sampled_from(["", "", " ", "  "]))
    return _line([indent, junk, name, before, ":", after, value, space_before_semi, ";", draw(_TRAILING)])


def comment_line(draw) -> str:
    return _line([draw(_INDENT), "#", draw(_COMMENT_TEXT)])


def blank_line(draw) -> str:
    return _line([draw(st.sampled_from(["", " ", "\t", "   "]))])


@st.composite
def body_lines(draw, names) -> list[str]:
    out = []
    for kind in draw(st.lists(st.sampled_from(["prop", "prop", "prop", "blank", "comment"]), max_size=6)):
        if kind == "prop":
            out.append(draw(property_line(names)))
        elif kind == "blank":
            out.append(blank_line(draw))
        else:
            out.append(comment_line(draw))
    return out


def close_line(draw, indent: str = "") -> str:
    return _line([indent, draw(_WS), "}", draw(_TRAILING)])


_GRAPH_PROPS = st.sampled_from(
    ["installer", "children", "exports", "imports", "facets", "extends", "Installer", "data.x", "my-prop"]
)
_INSTANCE_PROPS = st.sampled_from(
    ["name", "count", "channels", "instance-data", "instance-state", "port", "Tomcat.port", "data.ip", "x-y"]
)


@st.composite
def import_line(draw) -> str:
    keyword = draw(st.sampled_from(["import", "IMPORT", "Import"]))
    sep = draw(st.sampled_from([" ", "\t", "  "]))
    uri = draw(st.text("abcxyz/._-", min_size=1, max_size=12).filter(lambda u: u.strip() != ""))
    return _line([draw(_INDENT), keyword, sep, uri, draw(st.sampled_from(["", " "])), ";", draw(_TRAILING)])


@st.composite
def graph_block(draw) -> list[str]:
    lines = []
    for _ in range(draw(st.integers(0, 2))):
        lines.append(comment_line(draw))  # documentation comments
    is_facet = draw(st.booleans())
    keyword = draw(st.sampled_from(["facet ", "FACET ", "Facet\t"])) if is_facet else ""
    name = draw(_IDENT)
    if is_facet:
        decl = [keyword, name, draw(_WS), "{", draw(_TRAILING)]
    else:
        decl = [name, draw(_WS), "{", draw(_TRAILING)]
    lines.append(_line(decl))
    lines.extend(draw(body_lines(_GRAPH_PROPS)))
    lines.append(close_line(draw))
    return lines


@st.composite
def graph_text(draw) -> str:
    lines: list[str] = []
    for kind in draw(st.lists(st.sampled_from(["block", "block", "import", "blank", "comment"]), max_size=7)):
        if kind == "block":
            lines.extend(draw(graph_block()))
        elif kind == "import":
            lines.append(draw(import_line()))
        elif kind == "blank":
            lines.append(blank_line(draw))
        else:
            lines.append(comment_line(draw))
    text = "".join(lines)
    if text and draw(st.booleans()):
        text = text[:-1]  # no final newline
    return text


@st.composite
def instance_block(draw, depth: int) -> list[str]:
    indent = "\t" * depth
    keyword = draw(st.sampled_from(["instance of", "Instance Of", "INSTANCE OF", "instance of"]))
    sep = draw(st.sampled_from([" ", "  ", "\t"]))
    comp = draw(_IDENT)
    lines = [_line([indent, keyword, sep, comp, draw(_WS), "{", draw(_TRAILING)])]
    lines.extend(draw(body_lines(_INSTANCE_PROPS)))
    if depth < 2:
        for _ in range(draw(st.integers(0, 2))):
            lines.extend(draw(instance_block(depth + 1)))
            lines.extend(draw(body_lines(_INSTANCE_PROPS)))
    lines.append(close_line(draw, indent))
    return lines


@st.composite
def instances_text(draw) -> str:
    lines: list[str] = []
    for kind in draw(st.lists(st.sampled_from(["block", "block", "import", "blank", "comment"]), max_size=5)):
        if kind == "block":
            lines.extend(draw(instance_block(0)))
        elif kind == "import":
            lines.append(draw(import_line()))
        elif kind == "blank":
            lines.append(blank_line(draw))
        else:
            lines.append(comment_line(draw))
    text = "".join(lines)
    if text and draw(st.booleans()):
        text = text[:-1]
    return text


def has_import_trap(text: str) -> bool:
    """A declaration line (``... {``) whose code contains ``import`` + whitespace (an import for Roboconf)."""
    for line in text.split("\n"):
        code = line.split("#", 1)[0]
        if "{" in code and re.search(r"import\s", code, re.IGNORECASE):
            return True
    return False


_SETTINGS = settings(
    max_examples=int(os.environ.get("RBCC_HYPOTHESIS_EXAMPLES", "100")),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)


# -- properties -----------------------------------------------------------------------------------


@_SETTINGS
@given(graph_text())
def test_fast_path_and_line_parser_agree_on_graph_text(text):
    assert_paths_agree("app/graph/main.graph", text, "graph", well_formed=not has_import_trap(text))


@_SETTINGS
@given(instances_text())
def test_fast_path_and_line_parser_agree_on_instances_text(text):
    assert_paths_agree("app/instances/model.instances", text, "instances", well_formed=not has_import_trap(text))


# -- examples that pin the tricky parts ---------------------------------------------------------


def test_fast_path_keeps_spaces_before_semicolon_like_the_line_parser():
    assert_paths_agree("a.graph", "VM {\n\tinstaller: target ;\n}\n", "graph")
    assert parse_text("a.graph", "VM {\n\tinstaller: target ;\n}\n").holders[0].first("installer").value == "target "


def test_fast_path_reads_documentation_comments_like_the_line_parser():
    text = "# The database.\n#   Version 8.\nMySQL {\n\tinstaller: puppet;\n}\n\n# not a doc\n\nfacet f {\n}\n"
    assert_paths_agree("a.graph", text, "graph")
    parsed = parse_text("a.graph", text)
    assert parsed.holders[0].doc == "The database.\nVersion 8."
    assert parsed.holders[1].doc is None


def test_fast_path_handles_nested_instances_like_the_line_parser():
    text = (
        "import other.instances;\n"
        "instance of VM {\n"
        "\tname: vm ;\n"
        "\tinstance of Tomcat {  # the server\n"
        "\t\tname: tomcat;\n"
        "\n"
        "\t\tinstance of War {\n"
        "\t\t\tname: war;\n"
        "\t\t}\n"
        "\t}\n"
        "\tcount: 3;\n"
        "}  # end\n"
    )
    assert_paths_agree("a.instances", text, "instances")


def test_fast_path_handles_quoted_values_and_unanchored_property_names():
    text = 'A {\n\tfoo installer: target;\n\texports: a = "x;y", b = 2;\n}\n'
    assert_paths_agree("a.graph", text, "graph")


def test_empty_and_comment_only_files_take_the_fast_path():
    for text in ("", "\n\n", "# only a comment\n", "  \t\n# c\n"):
        assert_paths_agree("a.graph", text, "graph")
        assert parse_text("a.graph", text).problems[0].code == "P_EMPTY_FILE"


def test_a_declaration_containing_import_is_an_import_on_both_paths():
    # Roboconf finds `import\\s+` anywhere in a top-level line before it looks for `instance of`.
    for text, lang in (
        ("instance of TImport {\n\tname: x;\n}\n", "instances"),
        ("reimport {\n}\n", "graph"),
    ):
        assert _FastBuilder("a." + lang, text).build(lang) is None
        parsed = parse_text("a." + lang, text)
        assert isinstance(parsed.blocks[0], Import)
        assert parsed.problems[0].code == "P_IMPORT_ENDS_WITH_SEMI_COLON"
    # nested declarations are never imports
    nested = "instance of A {\n\tname: a;\n\tinstance of TImport {\n\t\tname: b;\n\t}\n}\n"
    assert_paths_agree("a.instances", nested, "instances")
    assert parse_text("a.instances", nested).holders[0].holders[0].name == "TImport"


def test_files_with_problems_are_left_to_the_line_parser():
    # The fast path declines (returns None) as soon as Roboconf would report something.
    for text in (
        "A {\n\tinstaller: target\n}\n",  # missing ';'
        "A {\n\tinstaller: target;\n};\n",  # extra characters after '}'
        "A {\n\tinstaller: target;\n",  # unclosed
        "import x.graph\n",  # missing ';' after an import
        "A {\n\tinstaller: a;; \n}\n",  # two statements on a line
    ):
        assert _FastBuilder("a.graph", text).build("graph") is None, text
        assert parse_text("a.graph", text).problems, text
