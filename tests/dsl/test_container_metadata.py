"""Container metadata: reading (files, root targets, profiles, extends) and the CNT_* checks of ``rbcc validate``."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from rbcc.dsl import CODES, Level, effective_container, load_application, validate_path
from rbcc.dsl.java import read_properties, read_property_entries
from tests.compile_support import make_app
from tests.support import REPO

GRAPH = """
vm {
	installer: target;
	children: base, sub;
}
base {
	installer: script;
	exports: ip, port = 80, version = 2;
	imports: sub.* (optional);
}
sub {
	extends: base;
	installer: script;
	exports: admin = 9000;
}
"""
INSTANCES = "instance of vm {\n\tname: vm;\n\tinstance of base {\n\t\tname: b;\n\t\tflavour: x;\n\t}\n}\n"
TARGET = "id = t\nhandler = docker\nname = t\nrbcc.healthcheck = CMD-SHELL true\nrbcc.image@x = agent:1\n"


def app(tmp_path: Path, base: str = "", sub: str | None = None, extra: dict[str, str] | None = None) -> Path:
    files = {"graph/vm/target.properties": TARGET, "graph/base/scripts/x": "", "graph/sub/scripts/x": ""}
    if base:
        files["graph/base/container.properties"] = base
    if sub is not None:
        files["graph/sub/container.properties"] = sub
    files.update(extra or {})
    return make_app(tmp_path, GRAPH, INSTANCES, files)


def found(root: Path, prefix: str = "CNT_") -> list[tuple[str, str, int, int, int, int]]:
    """(code, file, start line, start column, end line, end column) of each problem with ``prefix``."""
    return [
        (p.code, p.range.file, p.range.start_line, p.range.start_column, p.range.end_line, p.range.end_column)
        for p in validate_path(root).problems
        if p.code.startswith(prefix) and p.range is not None
    ]


def codes(root: Path) -> list[tuple[str, int, int]]:
    return [(code, line, column) for code, _f, line, column, _el, _ec in found(root)]


# ---- reading ------------------------------------------------------------------------------------


def test_metadata_is_read_with_ranges_separators_and_continuations(tmp_path: Path):
    root = app(tmp_path, "image: web:{{version}}\ncommand = serve \\\n  --port 80\nport.port 80\n")
    loaded = load_application(root)
    meta = loaded.containers["base"]
    values = meta.values()
    assert values["image"].value == "web:{{version}}"
    assert values["command"].value == "serve --port 80"
    assert values["port.port"].value == "80"
    command = values["command"]
    assert (command.key_range.start_line, command.key_range.start_column, command.key_range.end_column) == (2, 1, 8)
    assert command.value_range[1:] == (2, 11, 3, 12)  # from `serve` to the end of the continued line
    assert values["port.port"].key_range[1:] == (4, 1, 4, 10)
    assert meta.file == "graph/base/container.properties"


def test_every_definition_is_kept_in_file_order_by_the_entries_reader():
    entries, malformed = read_property_entries("a = 1\nb: 2\na 3\n", "f")
    assert [(e.key, e.value) for e in entries] == [("a", "1"), ("b", "2"), ("a", "3")]
    props, _ = read_properties("a = 1\nb: 2\na 3\n", "f")
    assert {k: e.value for k, e in props.items()} == {"a": "3", "b": "2"}
    assert malformed is None


def test_root_components_keep_their_metadata_in_target_files(tmp_path: Path):
    loaded = load_application(app(tmp_path))
    assert [t.file for t in loaded.targets["vm"]] == ["graph/vm/target.properties"]
    assert loaded.targets["vm"][0].handler == "docker" and loaded.targets["vm"][0].id == "t"
    meta = loaded.containers["vm"]
    assert meta.file == "graph/vm/target.properties"
    assert list(meta.values()) == ["healthcheck"]
    assert meta.values("x")["image"].value == "agent:1"
    assert "id" in loaded.targets["vm"][0].entries  # every key as read, Roboconf's too


def test_the_docker_target_holds_a_roots_metadata_when_several_files_have_rbcc_keys(tmp_path: Path):
    extra = {"graph/vm/a.target.properties": "id = a\nhandler = in-memory\nname = a\nrbcc.image = other\n"}
    root = app(tmp_path, extra=extra)
    loaded = load_application(root)
    assert [t.file for t in loaded.targets["vm"]] == ["graph/vm/a.target.properties", "graph/vm/target.properties"]
    assert loaded.containers["vm"].file == "graph/vm/target.properties"
    assert found(root) == [("CNT_IGNORED_TARGET_METADATA", "graph/vm/a.target.properties", 4, 1, 4, 11)]


def test_a_profile_overrides_plain_keys_and_extends_merges_super_first(tmp_path: Path):
    root = app(tmp_path, "image = base:1\nimage@standin = stub:1\nrestart = always\n", "image = sub:1\n")
    loaded = load_application(root)
    assert loaded.graph is not None
    sub = loaded.graph.components["sub"]
    merged = effective_container(loaded.graph, loaded.containers, sub)
    assert merged is not None
    assert {k: s.value for k, s in merged.items()} == {"image": "sub:1", "restart": "always"}
    standin = effective_container(loaded.graph, loaded.containers, sub, "standin")
    assert standin is not None and standin["image"].value == "sub:1"  # the sub-component's own key wins
    base = effective_container(loaded.graph, loaded.containers, loaded.graph.components["base"], "standin")
    assert base is not None and base["image"].value == "stub:1"
    assert effective_container(loaded.graph, loaded.containers, loaded.graph.components["base"], "other") == {
        "image": loaded.containers["base"].values()["image"],
        "restart": loaded.containers["base"].values()["restart"],
    }


def test_components_without_metadata_have_none(tmp_path: Path):
    loaded = load_application(app(tmp_path))
    assert loaded.graph is not None
    assert "base" not in loaded.containers
    assert effective_container(loaded.graph, loaded.containers, loaded.graph.components["sub"]) is None


def test_a_dockerfile_alone_is_metadata(tmp_path: Path):
    loaded = load_application(app(tmp_path, extra={"graph/sub/Dockerfile": "FROM busybox:local\n"}))
    meta = loaded.containers["sub"]
    assert (meta.file, meta.settings, meta.dockerfile) == (None, [], "graph/sub/Dockerfile")


def test_an_unsaved_editor_buffer_is_read_instead_of_the_disk(tmp_path: Path):
    from rbcc.dsl import Sources

    root = app(tmp_path, "image = disk\n")
    overlays = {"graph/base/container.properties": "image = buffer\n"}
    loaded = load_application(root, sources=Sources(root, overlays=overlays))
    assert loaded.containers["base"].values()["image"].value == "buffer"


# ---- checks -------------------------------------------------------------------------------------

F = "graph/base/container.properties"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("imgae = x\n", [("CNT_UNKNOWN_KEY", 1, 1, 1, 6)]),
        ("image@ = x\n", [("CNT_UNKNOWN_KEY", 1, 1, 1, 7)]),
        ("image = x\nport.prot = 80\n", [("CNT_UNKNOWN_VARIABLE", 2, 1, 2, 10)]),
        ("image = x\nport.port = 99999\n", [("CNT_INVALID_VALUE", 2, 13, 2, 18)]),
        ("image = x\nport.port = 80/sctp\n", [("CNT_INVALID_VALUE", 2, 13, 2, 20)]),
        ("image = x\nport.port = {{port}}\n", [("CNT_INVALID_VALUE", 2, 13, 2, 21)]),
        ("image = x\npublish.port = 8080\n", [("CNT_PUBLISH_WITHOUT_PORT", 2, 1, 2, 13)]),
        ("image = x\npublish.nope = 8080\n", [("CNT_UNKNOWN_VARIABLE", 2, 1, 2, 13)]),
        ("image = x\nport.port = 80\npublish.port = soon\n", [("CNT_INVALID_VALUE", 3, 16, 3, 20)]),
        ("image = x\nrestart = sometimes\n", [("CNT_INVALID_VALUE", 2, 11, 2, 20)]),
        ("image = x\nreplicas = many\n", [("CNT_INVALID_VALUE", 2, 12, 2, 16)]),
        ("image = x\nexecutor = maybe\n", [("CNT_INVALID_VALUE", 2, 12, 2, 17)]),
        ("image = x\nwait = forever\n", [("CNT_INVALID_VALUE", 2, 8, 2, 15)]),
        ("image = x\nhealthcheck.interval = ten\n", [("CNT_INVALID_VALUE", 2, 24, 2, 27)]),
        ("image = x\nstop_grace_period = 10\n", [("CNT_INVALID_VALUE", 2, 21, 2, 23)]),
        ("image = x\nhealthcheck.retries = 0\n", [("CNT_INVALID_VALUE", 2, 23, 2, 24)]),
        ("image = x\nhealthcheck = curl localhost\n", [("CNT_INVALID_VALUE", 2, 15, 2, 29)]),
        ("image = x\nhealthcheck = CMD curl\n", [("CNT_INVALID_VALUE", 2, 15, 2, 23)]),
        ('image = x\ncommand = ["a", 1]\n', [("CNT_INVALID_VALUE", 2, 11, 2, 19)]),
        ('image = x\nentrypoint = ["a",\n', [("CNT_INVALID_VALUE", 2, 14, 2, 19)]),
        ("image = x\nvolume.data = data\n", [("CNT_INVALID_VALUE", 2, 15, 2, 19)]),
        ("image = x\nenv.BAD-NAME = 1\n", [("CNT_INVALID_VALUE", 2, 1, 2, 13)]),
        ("image = x\ncap_add = NET_ADMIN, lower\n", [("CNT_INVALID_VALUE", 2, 11, 2, 27)]),
        ("image = x\nready = tcp:nope\n", [("CNT_UNKNOWN_VARIABLE", 2, 13, 2, 17)]),
        ("image = x\nready = tcp:port\n", [("CNT_READY_WITHOUT_PORT", 2, 13, 2, 17)]),
        ("image = x\nready = udp:port\n", [("CNT_INVALID_VALUE", 2, 9, 2, 17)]),
        ("image = {{#sub}}{{ip}}\n", [("CNT_TEMPLATE_SYNTAX", 1, 9, 1, 23)]),
        ("image = {{ip}\n", [("CNT_TEMPLATE_SYNTAX", 1, 9, 1, 14)]),
        ("image = web:{{verison}}\n", [("CNT_UNKNOWN_TEMPLATE_NAME", 1, 15, 1, 22)]),
        ("image = x\nenv.A = {{#sub}}{{nope}}{{/sub}}\n", [("CNT_UNKNOWN_TEMPLATE_NAME", 2, 19, 2, 23)]),
        ("image = x\nenv.A = {{#nosuch}}{{/nosuch}}\n", [("CNT_UNKNOWN_TEMPLATE_NAME", 2, 12, 2, 18)]),
        ("image = x\nenv.A = {{>partial}}\n", [("CNT_UNKNOWN_TEMPLATE_NAME", 2, 12, 2, 19)]),
        ("build = nowhere\n", [("CNT_MISSING_PATH", 1, 9, 1, 16)]),
        ("image = x\ndockerfile = Nope.Dockerfile\n", [("CNT_MISSING_PATH", 2, 14, 2, 29)]),
        ("image = a\nrestart = no\nimage = b\n", [("CNT_DUPLICATE_KEY", 1, 1, 1, 6)]),
        ("image = x\nenv.A = caf\\u00\n", [("CNT_MALFORMED_ESCAPE", 2, 12, 2, 14)]),
    ],
)
def test_each_mistake_gets_its_code_at_its_exact_range(tmp_path: Path, text: str, expected: list):
    assert found(app(tmp_path, text)) == [(code, F, *where) for code, *where in expected]


def test_sound_metadata_has_no_problem(tmp_path: Path):
    text = (
        "image = web:{{version}}\nport.port = 80/tcp\npublish.port = random\nready = http:port/health\n"
        'healthcheck = CMD ["test", "-f", "/ok"]\nhealthcheck.interval = 1m30s\nhealthcheck.retries = 3\n'
        "healthcheck.timeout = 500ms\nhealthcheck.start_period = 1h\nstop_grace_period = 10s\n"
        "env.PEERS = {{#sub}}{{^first}},{{/first}}{{ip}}:{{admin}}@{{name}}#{{index}}{{/sub}}\n"
        "env.NAME = {{ROBOCONF_INSTANCE_NAME}}-{{ROBOCONF_CLEAN_REVERSED_INSTANCE_PATH}}\n"
        "env.OUTER = {{#sub}}{{version}}{{/sub}}\nenv.FLAVOUR = {{flavour}}\n"
        "volume.data = /data\nrestart = on-failure\nwait = sh\ncommand = serve\nimage@standin = stub\n"
        'entrypoint = ["/bin/serve", "--quiet"]\ncap_add = NET_ADMIN, CAP_SYS_TIME\nuser = 1000\n'
        "executor = no\nreplicas = collapse\nbuild = .\ndockerfile = Dockerfile\nimage@other = stub\n"
    )
    root = app(tmp_path, text, extra={"graph/base/Dockerfile": "FROM busybox:local\n"})
    assert codes(root) == []


def test_a_sub_component_may_use_ports_mapped_by_its_super_component(tmp_path: Path):
    assert codes(app(tmp_path, "image = x\nport.port = 80\n", "publish.port = 8080\nready = tcp:port\n")) == []


def test_a_sub_components_own_variables_are_mapped_in_its_own_file(tmp_path: Path):
    assert codes(app(tmp_path, "image = x\nport.admin = 9000\n", "port.admin = 9000\n")) == [
        ("CNT_UNKNOWN_VARIABLE", 2, 1)  # `admin` is sub's, not base's
    ]


def test_values_with_templates_are_left_to_the_compiler(tmp_path: Path):
    text = "image = x\nrestart = {{version}}\nvolume.v = {{version}}\npublish.port = {{port}}\nport.port = 80\n"
    assert codes(app(tmp_path, text)) == []


def test_unknown_keys_suggest_the_closest_key(tmp_path: Path):
    problems = [
        p
        for p in validate_path(app(tmp_path, "restrat = no\nprot.http = 80\n")).problems
        if p.code == "CNT_UNKNOWN_KEY"
    ]
    assert [p.hint for p in problems] == ["Did you mean `restart`?", "Did you mean `port.http`?"]


def test_a_duplicate_points_at_the_definition_that_wins(tmp_path: Path):
    [p] = [p for p in validate_path(app(tmp_path, "image = a\nimage = b\n")).problems if p.code == "CNT_DUPLICATE_KEY"]
    assert p.level is Level.WARNING
    assert [(r.range.start_line, r.range.start_column) for r in p.related] == [(2, 1)]


def test_keys_of_different_profiles_are_no_duplicates(tmp_path: Path):
    assert codes(app(tmp_path, "image = a\nimage@standin = b\nimage@other = c\n")) == []


def test_rbcc_keys_of_a_root_target_are_checked_like_a_container_file(tmp_path: Path):
    target = TARGET + "rbcc.restart = sometimes\nrbcc.imgae = x\nrbcc.image = a\nrbcc.image = b\n"
    root = make_app(
        tmp_path,
        GRAPH,
        INSTANCES,
        {"graph/vm/target.properties": target, "graph/base/scripts/x": "", "graph/sub/scripts/x": ""},
    )
    t = "graph/vm/target.properties"
    assert found(root) == [
        ("CNT_INVALID_VALUE", t, 6, 16, 6, 25),
        ("CNT_UNKNOWN_KEY", t, 7, 1, 7, 11),
        ("CNT_DUPLICATE_KEY", t, 8, 1, 8, 11),
    ]


def test_container_properties_in_a_target_directory_is_reported_once_by_roboconfs_check(tmp_path: Path):
    root = app(tmp_path, extra={"graph/vm/container.properties": "image = x\n"})
    problems = validate_path(root).problems
    assert [p.code for p in problems if p.code.startswith("CNT_")] == []
    no_id = [p for p in problems if p.code == "REC_TARGET_NO_ID"]
    assert len(no_id) == 1 and no_id[0].hint is not None and "rbcc.image" in no_id[0].hint


def test_container_properties_of_a_root_roboconf_does_not_check_gets_rbccs_error(tmp_path: Path):
    graph = GRAPH.replace("vm {\n\tinstaller: target;", "machine {\n\tinstaller: target;\n}\nvm {\n\textends: machine;")
    graph = graph.replace("children: base, sub;", "children: base, sub;\n}\nmachine2 {\n\tinstaller: target;")
    root = make_app(
        tmp_path,
        graph,
        INSTANCES,
        {"graph/vm/container.properties": "\nimage = x\n", "graph/base/scripts/x": "", "graph/sub/scripts/x": ""},
    )
    [p] = [p for p in validate_path(root).problems if p.code.startswith("CNT_")]
    assert (p.code, p.range) == ("CNT_CONTAINER_FILE_IN_ROOT", ("graph/vm/container.properties", 2, 1, 2, 6))
    assert p.level is Level.ERROR and "rbcc.image" in (p.hint or "")


def test_metadata_problems_do_not_hide_roboconfs_whole_application_checks(tmp_path: Path):
    bad_instance = INSTANCES.replace("name: b;", "name: b;\n\t\tinstance of vm {\n\t\t\tname: nested;\n\t\t}")
    root = make_app(
        tmp_path,
        GRAPH,
        bad_instance,
        {"graph/vm/target.properties": TARGET, "graph/base/scripts/x": "", "graph/sub/scripts/x": ""},
    )
    before = sorted(p.code for p in validate_path(root).problems)
    (root / "graph" / "base" / "container.properties").write_text("restart = sometimes\n")
    after = sorted(p.code for p in validate_path(root).problems)
    assert sorted([*before, "CNT_INVALID_VALUE"]) == after


def test_every_container_code_has_an_explanation_and_an_example():
    cnt = [info for code, info in CODES.items() if code.startswith("CNT_")]
    assert len(cnt) >= 12
    for info in cnt:
        assert info.origin == "container" and info.explanation and info.example, info.code


# ---- the examples -------------------------------------------------------------------------------


@pytest.mark.slow
@pytest.mark.parametrize("example", ["storm", "lamp", "webstack", "dbcluster"])
def test_the_examples_still_validate_clean(example: str):
    run = subprocess.run(
        [
            sys.executable,
            "-c",
            "from rbcc.cli import main; main()",
            "validate",
            "--format",
            "json",
            str(REPO / "examples" / example),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    assert json.loads(run.stdout)["problems"] == []


def test_the_reference_page_documents_every_key():
    from rbcc.dsl import KEY_DOCS
    from tests.support import REPO

    page = (REPO / "docs" / "container-metadata.md").read_text(encoding="utf-8")
    assert all(f"| `{key}` |" in page for key in KEY_DOCS)


def test_a_container_error_never_hides_roboconfs_whole_application_checks(tmp_path: Path, monkeypatch):
    import rbcc.dsl.project as project
    from rbcc.dsl import SourceRange, problem

    marker = problem("RM_MISSING_VARIABLE_VALUE", SourceRange.file_start("instances/main.instances"))
    monkeypatch.setattr(project, "_validate_template", lambda app: [marker])
    root = app(tmp_path, "image = x\nrestart = sometimes\n")
    found = {p.code for p in validate_path(root).problems}
    assert {"CNT_INVALID_VALUE", "RM_MISSING_VARIABLE_VALUE"} <= found
