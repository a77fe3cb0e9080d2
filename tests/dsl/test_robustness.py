"""Bad input never crashes the validator: the outcome is always a list of problems.

Hypothesis mutates the fixtures written for these tests (deleted, inserted and duplicated
characters and lines) and generates token soups for graph, instances and descriptor files; each
text is written into an application directory and validated with ``Validator().validate``.
Hostile layouts are tested one by one: NUL bytes, invalid UTF-8, a 10 MB file, 10,000 nested
blocks, import cycles, imports leaving the project, links that loop, a directory named like a
graph file, a fifo, unreadable files.
"""

from __future__ import annotations

import os
import tempfile
import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rbcc.dsl.catalogue import CODES, Level
from rbcc.dsl.problems import Problem
from rbcc.dsl.validate import Validator
from tests.support import FIXTURES_DIR

FIXTURES = FIXTURES_DIR
DESCRIPTOR = (
    "name = Robust\nversion = 1.0\ndsl-id = roboconf-1.0\n"
    "graph-entry-point = main.graph\ninstance-entry-point = main.instances\n"
)
GRAPH = "VM {\n\tinstaller: target;\n\tchildren: Tomcat;\n}\nTomcat {\n\tinstaller: script;\n\texports: port = 80;\n}\n"
#: resource directories of GRAPH's components, for tests that expect no problem at all
RESOURCES = {"graph/VM/readme.txt": "VM\n", "graph/Tomcat/scripts/deploy.sh": "#!/bin/sh\n"}
INSTANCES = "instance of VM {\n\tname: vm;\n\tinstance of Tomcat {\n\t\tname: tomcat;\n\t}\n}\n"

_EXAMPLES = int(os.environ.get("RBCC_HYPOTHESIS_EXAMPLES", "60"))
_SETTINGS = settings(
    max_examples=_EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


def write_app(root: Path, files: dict[str, str | bytes]) -> Path:
    for rel, data in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data.encode("utf-8", "surrogatepass") if isinstance(data, str) else data)
    return root


def check_outcome(result) -> list[Problem]:
    """The validator returned problems, each well formed."""
    problems = result.problems
    assert isinstance(problems, list)
    for p in problems:
        assert isinstance(p, Problem)
        assert p.code in CODES
        assert p.level in (Level.ERROR, Level.WARNING)
        r = p.range
        if r is not None:
            assert r.start_line >= 1 and r.start_column >= 1, p
            assert (r.end_line, r.end_column) >= (r.start_line, r.start_column), p
            assert not os.path.isabs(r.file), p
    return problems


def validate_files(files: dict[str, str | bytes]) -> list[Problem]:
    with tempfile.TemporaryDirectory() as d:
        root = write_app(Path(d), files)
        return check_outcome(Validator().validate(root))


def app_files(graph: str | bytes = GRAPH, instances: str | bytes = INSTANCES, descriptor: str | bytes = DESCRIPTOR):
    return {
        "descriptor/application.properties": descriptor,
        "graph/main.graph": graph,
        "instances/main.instances": instances,
    }


# -- hypothesis: mutated fixtures and token soups -------------------------------------------------------


def _fixture_texts(pattern: str) -> list[str]:
    return sorted(p.read_text(encoding="utf-8") for p in FIXTURES.glob(pattern))


GRAPH_SEEDS = _fixture_texts("graph/*.graph") + _fixture_texts("apps/*/graph/*.graph") + [GRAPH]
INSTANCE_SEEDS = _fixture_texts("instances/*.instances") + _fixture_texts("apps/*/instances/*.instances") + [INSTANCES]
DESCRIPTOR_SEEDS = _fixture_texts("apps/*/descriptor/application.properties") + [DESCRIPTOR]

_NASTY = st.sampled_from(
    list('{}:;,#"=\n\r\t *.()[]\\/-_')
    + [
        "\x00",
        "\ufeff",
        "é",
        "日本",
        "\u2028",
        "instance of ",
        "facet ",
        "import ",
        "}\n",
        "{\n",
        "random[port] ",
        "external ",
        "(optional)",
        "$(ROBOCONF_INSTANCE_NAME)",
    ]
)


@st.composite
def mutated(draw, seeds: list[str]) -> str:
    text = draw(st.sampled_from(seeds))
    for _ in range(draw(st.integers(1, 6))):
        op = draw(
            st.sampled_from(["delete", "insert", "duplicate-chars", "delete-line", "duplicate-line", "swap-lines"])
        )
        if op in ("delete", "insert", "duplicate-chars"):
            i = draw(st.integers(0, len(text)))
            j = min(len(text), i + draw(st.integers(0, 12)))
            if op == "delete":
                text = text[:i] + text[j:]
            elif op == "insert":
                text = text[:i] + "".join(draw(st.lists(_NASTY, min_size=1, max_size=4))) + text[i:]
            else:
                text = text[:j] + text[i:j] + text[j:]
        else:
            lines = text.split("\n")
            k = draw(st.integers(0, max(0, len(lines) - 1)))
            if op == "delete-line":
                del lines[k]
            elif op == "duplicate-line":
                lines.insert(k, lines[k])
            else:
                m = draw(st.integers(0, max(0, len(lines) - 1)))
                lines[k], lines[m] = lines[m], lines[k]
            text = "\n".join(lines)
    return text


_GRAPH_TOKENS = st.sampled_from(
    [
        "VM",
        "Tomcat",
        "facet",
        "web",
        "instance of",
        "import",
        "main.graph",
        "{",
        "}",
        "\n",
        "\t",
        " ",
        ":",
        ";",
        ",",
        "#",
        "installer",
        "target",
        "script",
        "children",
        "exports",
        "imports",
        "extends",
        "facets",
        "=",
        '"',
        "port",
        "ip",
        "Tomcat.port",
        "VM.*",
        "random[port]",
        "external",
        "(optional)",
        "name",
        "count",
        "3",
        "0",
        "-1",
        "data.x",
        "instance-data",
        "instance-state",
        "channels",
        "a.b",
        "..",
        "/",
        "\r",
        "\x00",
        "ü",
    ]
)


def soup(tokens=_GRAPH_TOKENS):
    return st.lists(tokens, max_size=80).map("".join)


_DESC_LINES = st.builds(
    lambda k, sep, v: f"{k}{sep}{v}",
    st.sampled_from(
        [
            "name",
            "application-name",
            "version",
            "dsl-id",
            "graph-entry-point",
            "instance-entry-point",
            "exports-prefix",
            "exports",
            "tags",
            "description",
            "fail.read",
            "#",
            "!",
            " ",
            "\\",
        ]
    ),
    st.sampled_from([" = ", ":", " ", "=", ""]),
    st.lists(
        st.sampled_from(
            list("abc.graph1.0 ,\\=:#!\t")
            + ["\\u00e9", "\\uZZZZ", "main.graph", "main.instances", " as ", "Tomcat.port"]
        ),
        max_size=12,
    ).map("".join),
)
descriptor_soup = st.lists(_DESC_LINES, max_size=10).map("\n".join)


@_SETTINGS
@given(mutated(GRAPH_SEEDS), mutated(INSTANCE_SEEDS))
def test_mutated_graph_and_instances_never_crash(graph, instances):
    validate_files(app_files(graph=graph, instances=instances))


@_SETTINGS
@given(mutated(DESCRIPTOR_SEEDS))
def test_mutated_descriptor_never_crashes(descriptor):
    validate_files(app_files(descriptor=descriptor))


@_SETTINGS
@given(soup(), soup(), descriptor_soup)
def test_random_graph_instances_and_descriptor_never_crash(graph, instances, descriptor):
    validate_files(app_files(graph=graph, instances=instances, descriptor=DESCRIPTOR + descriptor))


@_SETTINGS
@given(st.binary(max_size=300), st.binary(max_size=300), st.binary(max_size=200))
def test_random_bytes_never_crash(graph, instances, descriptor):
    validate_files(app_files(graph=graph, instances=instances, descriptor=descriptor))


@_SETTINGS
@given(soup(), st.sampled_from(["a.graph", "a.instances", "application.properties", "a.drl", "a.txt"]))
def test_single_files_never_crash(text, name):
    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / name
        path.write_text(text, encoding="utf-8", errors="surrogatepass")
        check_outcome(Validator().validate(path))


@_SETTINGS
@given(mutated(GRAPH_SEEDS), mutated(INSTANCE_SEEDS))
def test_recipe_projects_without_descriptor_never_crash(graph, instances):
    # flexible loading: no descriptor, first graph file as entry point
    validate_files({"graph/main.graph": graph, "graph/other.graph": instances})


# -- hostile content --------------------------------------------------------------------------------------


def test_nul_bytes_are_ordinary_characters():
    problems = validate_files(
        app_files(
            graph="VM {\n\tinstaller: tar\x00get;\n}\x00\n",
            instances="instance of VM {\n\tname: v\x00m;\n}\n",
            descriptor=DESCRIPTOR.replace("name = Robust", "name = Rob\x00ust"),
        )
    )
    codes = {p.code for p in problems}
    assert "PM_INVALID_INSTALLER_NAME" in codes  # `tar\0get`
    assert "PM_INVALID_INSTANCE_NAME" in codes  # `v\0m`
    # NUL is whitespace for Java's trim: `}\0` is a plain closing brace
    assert "P_C_C_BRACKET_EXTRA_CHARACTERS" not in codes


def test_invalid_utf8_is_replaced_not_fatal():
    problems = validate_files(
        app_files(
            graph=b"VM {\n\tinstaller: \xc3\x28target;\n}\n",
            instances=b"\xff\xfeinstance of VM {\n\tname: vm;\n}\n",
            descriptor=DESCRIPTOR.encode() + b"description = caf\xe9 \xff\n",
        )
    )
    installer = [p for p in problems if p.code == "PM_INVALID_INSTALLER_NAME"]
    assert [(p.range.start_line, p.range.start_column) for p in installer] == [(2, 13)]
    assert "\ufffd" in installer[0].message


@pytest.mark.parametrize(
    "content",
    [
        pytest.param("VM {\n\tinstaller: target;\n}\n" + "x" * (10 * 1024 * 1024), id="one-long-line"),
        pytest.param(GRAPH + ("# " + "c" * 1022 + "\n") * (10 * 1024), id="long-comment-lines"),
        pytest.param(
            'VM {\n\tinstaller: target;\n\texports: v = "' + "q" * (10 * 1024 * 1024) + '";\n}\n', id="long-value"
        ),
    ],
)
def test_ten_megabyte_file_is_validated_in_a_few_seconds(content):
    assert len(content) >= 10 * 1024 * 1024
    start = time.perf_counter()
    validate_files(app_files(graph=content))
    assert time.perf_counter() - start < 10


def test_ten_thousand_nested_instances_are_cut_at_the_nesting_limit():
    depth = 10_000
    text = "".join(f"{'  ' * min(i, 3)}instance of VM {{\n\tname: vm{i};\n" for i in range(depth)) + "}\n" * depth
    start = time.perf_counter()
    problems = validate_files(app_files(graph="VM {\n\tinstaller: target;\n\tchildren: VM;\n}\n", instances=text))
    assert time.perf_counter() - start < 10
    deep = [p for p in problems if p.code == "P_IO_ERROR"]
    # block 101 (line 201) is the first one too deep; it and everything inside it are skipped
    assert [(p.range.file, p.range.start_line, p.range.start_column, p.range.end_column) for p in deep] == [
        ("instances/main.instances", 201, 7, 23)
    ]
    assert not any(p.code == "P_C_C_BRACKET_MISSING" for p in problems)


def test_deep_nesting_inside_a_component_is_cut_too():
    text = "VM {\n\tinstaller: target;\n" + "instance of VM {\n" * 500 + "}\n" * 500 + "}\n"
    problems = validate_files(app_files(graph=text, instances=""))
    # the component is level 1; the `instance of` on line 102 would be level 101
    assert [p.range.start_line for p in problems if p.code == "P_IO_ERROR"] == [102]


# -- hostile layouts ----------------------------------------------------------------------------------------


def test_file_importing_itself_is_read_once(tmp_path):
    write_app(
        tmp_path,
        {
            **RESOURCES,
            **app_files(graph="import main.graph;\n" + GRAPH, instances="import main.instances;\n" + INSTANCES),
        },
    )
    result = Validator().validate(tmp_path)
    assert check_outcome(result) == []


def test_two_files_importing_each_other(tmp_path):
    files = {**RESOURCES, **app_files(graph="import other.graph;\n" + GRAPH)}
    files["graph/other.graph"] = "import main.graph;\nCloud {\n\tinstaller: target;\n}\n"
    files["graph/Cloud/readme.txt"] = "x"
    write_app(tmp_path, files)
    result = Validator().validate(tmp_path)
    assert check_outcome(result) == []
    assert result.files == ["graph/main.graph", "graph/other.graph", "instances/main.instances"]


def test_import_leaving_the_project_is_refused_on_its_path(tmp_path):
    write_app(
        tmp_path,
        app_files(graph="import ../../etc/passwd;\n" + GRAPH, instances="import /../../../etc/hosts;\n" + INSTANCES),
    )
    problems = check_outcome(Validator(compat="roboconf").validate(tmp_path))
    assert [(p.code, p.range.file, p.range.start_line, p.range.start_column, p.range.end_column) for p in problems] == [
        ("CO_UNREACHABLE_FILE", "graph/main.graph", 1, 8, 24),
        # an absolute path is appended to the instances directory, and still leaves the project
        ("CO_UNREACHABLE_FILE", "instances/main.instances", 1, 8, 27),
    ]


def test_import_through_a_link_leaving_the_project_is_refused(tmp_path):
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.graph").write_text("Secret {\n\tinstaller: target;\n}\n")
    app = write_app(tmp_path / "app", app_files(graph="import link/secret.graph;\n" + GRAPH))
    (app / "graph" / "link").symlink_to(outside, target_is_directory=True)
    problems = check_outcome(Validator(compat="roboconf").validate(app))
    assert [p.code for p in problems] == ["CO_UNREACHABLE_FILE"]


def test_symlink_loops_in_graph_directory(tmp_path):
    write_app(tmp_path, app_files(graph="import loop.graph;\n" + GRAPH))
    (tmp_path / "graph" / "loop.graph").symlink_to("loop.graph")
    (tmp_path / "graph" / "VM").mkdir()
    (tmp_path / "graph" / "VM" / "up").symlink_to("..", target_is_directory=True)
    (tmp_path / "graph" / "sub").mkdir()
    (tmp_path / "graph" / "sub" / "self").symlink_to("../sub", target_is_directory=True)
    problems = check_outcome(Validator().validate(tmp_path))
    by_code = {p.code: p for p in problems}
    io = by_code["P_IO_ERROR"]
    assert (io.range.file, io.range.start_line, io.range.start_column, io.range.end_column) == (
        "graph/main.graph",
        1,
        8,
        18,
    )
    assert "symbolic links" in io.message


def test_directory_named_like_a_graph_file(tmp_path):
    write_app(tmp_path, app_files(graph="import x.graph;\n" + GRAPH))
    (tmp_path / "graph" / "x.graph").mkdir()
    (tmp_path / "graph" / "y.graph").mkdir()  # not imported: not a file, nothing to say
    problems = check_outcome(Validator(compat="roboconf").validate(tmp_path))
    assert [(p.code, p.range.start_line, p.range.start_column) for p in problems] == [("P_IO_ERROR", 1, 8)]
    assert "directory" in problems[0].message


def test_graph_entry_point_that_is_a_directory(tmp_path):
    files = app_files()
    del files["graph/main.graph"]
    write_app(tmp_path, files)
    (tmp_path / "graph" / "main.graph").mkdir(parents=True)
    problems = check_outcome(Validator().validate(tmp_path))
    assert "PROJ_MISSING_GRAPH_EP" in {p.code for p in problems}


def test_fifo_named_like_a_graph_file_is_not_read(tmp_path):
    write_app(tmp_path, app_files(graph="import pipe.graph;\n" + GRAPH))
    os.mkfifo(tmp_path / "graph" / "pipe.graph")
    start = time.perf_counter()
    problems = check_outcome(Validator().validate(tmp_path))
    assert time.perf_counter() - start < 10
    assert [(p.code, p.range.start_line) for p in problems if p.code == "P_IO_ERROR"] == [("P_IO_ERROR", 1)]


def test_descriptor_that_is_a_directory(tmp_path):
    files = app_files()
    del files["descriptor/application.properties"]
    write_app(tmp_path, files)
    (tmp_path / "descriptor" / "application.properties").mkdir(parents=True)
    check_outcome(Validator().validate(tmp_path))


def test_component_name_too_long_for_the_file_system(tmp_path):
    name = "C" + "x" * 5000
    write_app(
        tmp_path,
        app_files(
            graph=f"VM {{\n\tinstaller: target;\n\tchildren: {name};\n}}\n{name} {{\n\tinstaller: script;\n}}\n",
            instances="",
        ),
    )
    problems = check_outcome(Validator().validate(tmp_path))
    assert {p.code for p in problems} >= {"PROJ_NO_RESOURCE_DIRECTORY"}


@pytest.mark.skipif(hasattr(os, "geteuid") and os.geteuid() == 0, reason="root reads files whatever their mode")
def test_unreadable_files(tmp_path):
    write_app(tmp_path, app_files(graph="import secret.graph;\n" + GRAPH))
    secret = tmp_path / "graph" / "secret.graph"
    secret.write_text("X {\n}\n")
    desc = tmp_path / "descriptor" / "application.properties"
    secret.chmod(0)
    try:
        problems = check_outcome(Validator().validate(tmp_path))
        assert [(p.code, p.range.start_line) for p in problems if p.code == "P_IO_ERROR"] == [("P_IO_ERROR", 1)]
        desc.chmod(0)
        check_outcome(Validator().validate(tmp_path))
    finally:
        secret.chmod(0o644)
        desc.chmod(0o644)


def test_validating_a_path_that_does_not_exist(tmp_path):
    check_outcome(Validator().validate(tmp_path / "nope.graph"))
    check_outcome(Validator().validate(tmp_path / "nope.instances"))


def test_long_extends_chains_and_facet_lattices_do_not_explode():
    # each super-component / super-facet is resolved once: resolving them again along every path
    # took exponential time (a 30-deep chain ran for minutes)
    n = 60
    text = "VM {\n\tinstaller: target;\n\tchildren: C0;\n\tfacets: F0;\n}\n"
    text += "".join(f"C{i} {{\n\textends: C{i + 1};\n\texports: v{i} = {i};\n}}\n" for i in range(n))
    text += f"C{n} {{\n\tinstaller: script;\n}}\n"
    text += "".join(f"facet F{i} {{\n\textends: F{i + 1}, F{i + 2};\n\texports: f{i} = {i};\n}}\n" for i in range(n))
    text += f"facet F{n} {{\n}}\nfacet F{n + 1} {{\n}}\n"
    start = time.perf_counter()
    problems = validate_files(app_files(graph=text, instances="instance of VM {\n\tname: vm;\n}\n"))
    assert time.perf_counter() - start < 10
    assert {p.code for p in problems} <= {
        "PROJ_NO_RESOURCE_DIRECTORY",
        "RM_ORPHAN_FACET",
        "RM_ROOT_INSTALLER_MUST_BE_TARGET",
    }


def test_an_import_with_a_nul_character_is_an_unreachable_file_like_in_java(tmp_path):
    """Java's File rejects a name with NUL as invalid (it never exists): CO_UNREACHABLE_FILE, no crash."""
    from rbcc.dsl import validate_path

    graph = tmp_path / "main.graph"
    graph.write_text("import s\x00ervers.graph;\nVM {\n\tinstaller: target;\n}\n", encoding="utf-8")
    problems = validate_path(graph).problems
    assert [p.code for p in problems] == ["CO_UNREACHABLE_FILE"]
    assert problems[0].range is not None and problems[0].range.start_line == 1
