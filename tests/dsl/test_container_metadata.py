"""Container metadata: reading (files, root targets, profiles, extends) and the CNT_* checks of ``rbcc validate``."""

from __future__ import annotations

from pathlib import Path

import pytest

from rbcc.dsl import effective_container, load_application, validate_path
from tests.compile_support import make_app

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
INSTANCES = "instance of vm {\n\tname: vm;\n\tinstance of base {\n\t\tname: b;\n\t}\n}\n"
TARGET = "id = t\nhandler = docker\nname = t\nrbcc.healthcheck = CMD-SHELL true\nrbcc.image@x = agent:1\n"


def app(tmp_path: Path, base: str = "", sub: str | None = None, extra: dict[str, str] | None = None) -> Path:
    files = {"graph/vm/target.properties": TARGET, "graph/base/scripts/x": "", "graph/sub/scripts/x": ""}
    if base:
        files["graph/base/container.properties"] = base
    if sub is not None:
        files["graph/sub/container.properties"] = sub
    files.update(extra or {})
    return make_app(tmp_path, GRAPH, INSTANCES, files)


def codes(root: Path) -> list[tuple[str, int, int]]:
    return [
        (p.code, p.range.start_line, p.range.start_column)
        for p in validate_path(root).problems
        if p.code.startswith("CNT_") and p.range is not None
    ]


def test_metadata_is_read_with_ranges_separators_and_continuations(tmp_path: Path):
    root = app(tmp_path, "image: web:{{version}}\ncommand = serve \\\n  --port 80\nport.port 80\n")
    loaded = load_application(root)
    meta = loaded.containers["base"]
    values = meta.values()
    assert values["image"].value == "web:{{version}}"
    assert values["command"].value == "serve --port 80"
    assert values["port.port"].value == "80"
    assert (values["command"].value_range.start_line, values["command"].value_range.start_column) == (2, 11)
    assert meta.file == "graph/base/container.properties"


def test_root_components_keep_their_metadata_in_target_files(tmp_path: Path):
    loaded = load_application(app(tmp_path))
    assert [t.file for t in loaded.targets["vm"]] == ["graph/vm/target.properties"]
    assert loaded.targets["vm"][0].handler == "docker"
    meta = loaded.containers["vm"]
    assert list(meta.values()) == ["healthcheck"]
    assert meta.values("x")["image"].value == "agent:1"


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


def test_a_dockerfile_alone_is_metadata(tmp_path: Path):
    loaded = load_application(app(tmp_path, extra={"graph/sub/Dockerfile": "FROM busybox:local\n"}))
    assert loaded.containers["sub"].dockerfile == "graph/sub/Dockerfile"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("imgae = x\n", [("CNT_UNKNOWN_KEY", 1, 1)]),
        ("image = x\nport.prot = 80\n", [("CNT_UNKNOWN_VARIABLE", 2, 1)]),
        ("image = x\nport.port = 99999\n", [("CNT_INVALID_VALUE", 2, 13)]),
        ("image = x\npublish.port = 8080\n", [("CNT_PUBLISH_WITHOUT_PORT", 2, 1)]),
        ("image = x\nport.port = 80\npublish.port = soon\n", [("CNT_INVALID_VALUE", 3, 16)]),
        ("image = x\nrestart = sometimes\n", [("CNT_INVALID_VALUE", 2, 11)]),
        ("image = x\nhealthcheck.interval = ten\n", [("CNT_INVALID_VALUE", 2, 24)]),
        ("image = x\nhealthcheck = curl localhost\n", [("CNT_INVALID_VALUE", 2, 15)]),
        ('image = x\ncommand = ["a", 1]\n', [("CNT_INVALID_VALUE", 2, 11)]),
        ("image = x\nvolume.data = data\n", [("CNT_INVALID_VALUE", 2, 15)]),
        ("image = x\nenv.BAD-NAME = 1\n", [("CNT_INVALID_VALUE", 2, 1)]),
        ("image = x\nready = tcp:port\n", [("CNT_UNKNOWN_VARIABLE", 2, 9)]),
        ("image = {{#sub}}{{ip}}\n", [("CNT_TEMPLATE_SYNTAX", 1, 9)]),
        ("image = web:{{verison}}\n", [("CNT_UNKNOWN_TEMPLATE_NAME", 1, 9)]),
        ("build = nowhere\n", [("CNT_MISSING_PATH", 1, 9)]),
    ],
)
def test_each_mistake_gets_its_code_at_its_place(tmp_path: Path, text: str, expected: list):
    assert codes(app(tmp_path, text)) == expected


def test_sound_metadata_has_no_problem(tmp_path: Path):
    text = (
        "image = web:{{version}}\nport.port = 80/tcp\npublish.port = random\nready = http:port/health\n"
        'healthcheck = CMD ["test", "-f", "/ok"]\nhealthcheck.interval = 1m30s\nhealthcheck.retries = 3\n'
        "env.PEERS = {{#sub}}{{^first}},{{/first}}{{ip}}:{{admin}}{{/sub}}\nenv.NAME = {{ROBOCONF_INSTANCE_NAME}}\n"
        "volume.data = /data\nrestart = on-failure\nwait = sh\ncommand = serve\nimage@standin = stub\n"
    )
    assert codes(app(tmp_path, text)) == []


def test_a_sub_component_may_use_ports_mapped_by_its_super_component(tmp_path: Path):
    assert codes(app(tmp_path, "image = x\nport.port = 80\n", "publish.port = 8080\n")) == []


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
