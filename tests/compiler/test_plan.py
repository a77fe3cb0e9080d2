"""The runtime plan: Roboconf's values and start conditions, its JSON Schema, determinism, refusal on errors."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest

from rbcc.compiler import CompileOptions, compile_application
from rbcc.compiler.ir.build import build_ir
from rbcc.compiler.targets.plan import PLAN_FILE, schema
from rbcc.dsl import load_application
from tests.compile_support import check_golden_tree, make_app, read_tree, run_rbcc
from tests.support import REPO

EXAMPLES = ["storm", "lamp"]

CLUSTER_GRAPH = """
vm {
	installer: target;
	children: db, web;
}
db {
	installer: script;
	exports: ip, port = 5432, random[port] admin;
	imports: db.* (optional);
}
web {
	installer: script;
	exports: ip, random[port] http, banner = "$(ROBOCONF_INSTANCE_NAME) at $(ROBOCONF_CLEAN_REVERSED_INSTANCE_PATH)";
	imports: db.ip, db.port;
}
"""

CLUSTER_INSTANCES = """
instance of vm {
	name: vm;
	instance of db {
		name: db;
		count: 2;
	}
	instance of web {
		name: web;
		http: 10001;
	}
}
"""


def plan_of(root: Path, **options) -> dict:
    result = compile_application(root, ["plan"], CompileOptions(**options))
    assert result.errors == 0, result.problems
    return json.loads(result.files[PLAN_FILE])


@pytest.mark.parametrize("example", EXAMPLES)
def test_plan_of_each_example_matches_its_golden_file_and_the_schema(example: str):
    result = compile_application(REPO / "examples" / example, ["plan"], CompileOptions())
    assert result.errors == 0, result.problems
    document = json.loads(result.files[PLAN_FILE])
    jsonschema.validate(document, schema())
    check_golden_tree(f"plan-{example}", result.files)


def test_the_published_schema_is_a_valid_draft_2020_12_schema():
    jsonschema.Draft202012Validator.check_schema(schema())


def test_exports_resolve_meta_variables_and_leave_ip_and_unassigned_random_ports_unset(tmp_path: Path):
    plan = plan_of(make_app(tmp_path, CLUSTER_GRAPH, CLUSTER_INSTANCES))
    web = next(i for i in plan["instances"] if i["path"] == "/vm/web")
    assert web["exports"]["web.banner"] == "web at web_vm"
    assert web["exports"]["web.ip"] is None
    assert web["exports"]["web.http"] == "10001"  # written in the instances file
    assert web["random_ports"] == {"web.http": 10001}


def test_random_ports_take_the_lowest_free_port_skipping_reserved_and_forbidden_ones(tmp_path: Path):
    plan = plan_of(make_app(tmp_path, CLUSTER_GRAPH, CLUSTER_INSTANCES), forbidden_ports=(10000,))
    ports = {i["path"]: i["random_ports"] for i in plan["instances"]}
    # 10000 forbidden, 10001 reserved by /vm/web in the instances file
    assert ports["/vm/db1"] == {"db.admin": 10002}
    assert ports["/vm/db2"] == {"db.admin": 10003}
    assert ports["/vm/web"] == {"web.http": 10001}


def test_cluster_members_import_their_peers_but_never_themselves(tmp_path: Path):
    plan = plan_of(make_app(tmp_path, CLUSTER_GRAPH, CLUSTER_INSTANCES))
    db1 = next(i for i in plan["instances"] if i["path"] == "/vm/db1")
    assert db1["imports"]["db"] == {"names": ["db.*"], "optional": True, "exporters": ["/vm/db2"]}


def test_a_mandatory_import_waits_for_any_one_exporter_and_the_waves_follow(tmp_path: Path):
    plan = plan_of(make_app(tmp_path, CLUSTER_GRAPH, CLUSTER_INSTANCES))
    web = next(i for i in plan["instances"] if i["path"] == "/vm/web")
    waits = web["steps"]["start"]["waits"]
    assert {"for": ["/vm"], "state": "started", "kind": "parent", "reason": "its parent /vm is started first"} in waits
    imports = [w for w in waits if w["kind"] == "import"]
    assert imports == [
        {
            "for": ["/vm/db1", "/vm/db2"],
            "state": "started",
            "kind": "import",
            "reason": "it imports db.ip, db.port (mandatory) from one of 2 exporters",
        }
    ]
    assert web["steps"]["deploy"]["waits"][0]["state"] == "deployed"
    assert plan["waves"] == [["/vm"], ["/vm/db1", "/vm/db2"], ["/vm/web"]]


def test_recipes_are_resolved_per_step_as_the_script_plugin_looks_them_up(tmp_path: Path):
    files = {
        "graph/db/scripts/deploy.sh": "#!/bin/sh\n",
        "graph/db/scripts/start.py": "#!/usr/bin/env python3\n",
        "graph/db/roboconf-templates/default.template": "#!/bin/sh\n",
        "graph/web/scripts/": "",
    }
    plan = plan_of(make_app(tmp_path, CLUSTER_GRAPH, CLUSTER_INSTANCES, files))
    db = next(i for i in plan["instances"] if i["path"] == "/vm/db1")
    steps = {k: (v["recipe"], v["file"]) for k, v in db["steps"].items()}
    assert steps["deploy"] == ("script", "graph/db/scripts/deploy.sh")
    assert steps["start"] == ("script", "graph/db/scripts/start.py")
    assert steps["stop"] == ("template", "graph/db/roboconf-templates/default.template")
    web = next(i for i in plan["instances"] if i["path"] == "/vm/web")
    assert {v["recipe"] for v in web["steps"].values()} == {"none"}


@pytest.mark.slow  # runs rbcc in fresh interpreters
def test_an_import_nobody_exports_is_an_error_and_nothing_is_written(tmp_path: Path):
    graph = "vm {\n\tinstaller: target;\n\tchildren: a, ghost;\n}\na {\n\tinstaller: logger;\n\timports: ghost.x;\n}\n"
    graph += "ghost {\n\tinstaller: logger;\n\texports: x = 1;\n}\n"
    app = make_app(tmp_path / "app", graph, "instance of vm {\n\tname: vm;\n\tinstance of a {\n\t\tname: a;\n\t}\n}\n")
    out = tmp_path / "out"
    proc = run_rbcc("compile", str(app), "-t", "plan", "-o", str(out))
    assert proc.returncode == 1, proc.stderr
    assert "CMP_UNRESOLVED_IMPORT" in proc.stderr and "main.instances:4:" in proc.stderr
    assert not out.exists()
    allowed = run_rbcc("compile", str(app), "-t", "plan", "-o", str(out), "--allow", "CMP_UNRESOLVED_IMPORT")
    assert allowed.returncode == 0, allowed.stderr
    assert json.loads((out / PLAN_FILE).read_text())["waves"] == [["/vm"]]


def test_instances_waiting_for_each_other_are_one_cycle_error(tmp_path: Path):
    graph = """
vm {
	installer: target;
	children: a, b, c;
}
a {
	installer: logger;
	exports: x = 1;
	imports: b.y;
}
b {
	installer: logger;
	exports: y = 2;
	imports: a.x;
}
c {
	installer: logger;
	imports: a.x;
}
"""
    inst = (
        "instance of vm {\n\tname: vm;\n"
        + "".join(f"\tinstance of {n} {{\n\t\tname: {n};\n\t}}\n" for n in "abc")
        + "}\n"
    )
    result = compile_application(make_app(tmp_path, graph, inst), ["plan"], CompileOptions())
    compile_problems = [p for p in result.problems if p.code.startswith("CMP_")]
    assert [p.code for p in compile_problems] == ["CMP_IMPORT_CYCLE"]  # c only waits for the cycle
    assert "/vm/a, /vm/b" in compile_problems[0].message
    assert result.files == {}


def test_validation_errors_stop_the_compilation_with_roboconf_codes(tmp_path: Path):
    app = make_app(tmp_path, "vm {\n\tinstaller: target;\n", "instance of vm {\n\tname: vm;\n}\n")
    result = compile_application(app, ["plan"], CompileOptions())
    assert result.errors > 0 and result.files == {}
    assert all(not p.code.startswith("CMP_") for p in result.problems)


@pytest.mark.slow  # runs rbcc in fresh interpreters
def test_output_is_identical_across_hash_seeds_and_working_directories(tmp_path: Path):
    example = REPO / "examples" / "storm"
    a, b = tmp_path / "a", tmp_path / "b"
    first = run_rbcc("compile", str(example), "-t", "plan", "-o", str(a), env={"PYTHONHASHSEED": "1"})
    second = run_rbcc(
        "compile", str(example.resolve()), "-t", "plan", "-o", str(b), cwd=tmp_path, env={"PYTHONHASHSEED": "97"}
    )
    assert first.returncode == 0 and second.returncode == 0, first.stderr + second.stderr
    assert read_tree(a) == read_tree(b)


@pytest.mark.slow  # runs rbcc in fresh interpreters
def test_recompiling_replaces_a_target_directory_and_leaves_the_others(tmp_path: Path):
    out = tmp_path / "out"
    (out / "plan").mkdir(parents=True)
    (out / "plan" / "stale.json").write_text("{}")
    (out / "notes.txt").write_text("mine")
    proc = run_rbcc("compile", str(REPO / "examples" / "storm"), "-t", "plan", "-o", str(out))
    assert proc.returncode == 0, proc.stderr
    assert sorted(p.name for p in (out / "plan").iterdir()) == ["plan.json"]
    assert (out / "notes.txt").read_text() == "mine"
    assert not [p for p in out.iterdir() if p.name.startswith(".rbcc")]


@pytest.mark.slow  # runs rbcc in fresh interpreters
def test_bad_command_lines_are_usage_errors_without_traceback(tmp_path: Path):
    unknown = run_rbcc("compile", str(REPO / "examples" / "storm"), "-t", "helm", "-o", str(tmp_path / "o"))
    assert unknown.returncode == 2 and "unknown target 'helm'" in unknown.stderr
    assert "Traceback" not in unknown.stderr
    missing = run_rbcc("compile", str(tmp_path / "nothing"), "-t", "plan", "-o", str(tmp_path / "o"))
    assert missing.returncode == 2 and "no such directory" in missing.stderr
    blocker = tmp_path / "file"
    blocker.write_text("x")
    (tmp_path / "o2").mkdir()
    (tmp_path / "o2" / "plan").write_text("not a dir")
    clash = run_rbcc("compile", str(REPO / "examples" / "storm"), "-t", "plan", "-o", str(tmp_path / "o2"))
    assert clash.returncode == 2 and "is not a directory" in clash.stderr, clash.stderr


def test_the_ir_orders_instances_as_roboconf_does(tmp_path: Path):
    app = load_application(make_app(tmp_path, CLUSTER_GRAPH, CLUSTER_INSTANCES))
    ir = build_ir(app, CompileOptions())
    # breadth first; count's copies follow the declared siblings, as Roboconf appends them
    assert [i.path for i in ir.instances] == ["/vm", "/vm/db1", "/vm/web", "/vm/db2"]


def test_the_descriptors_exports_to_other_applications_are_in_the_plan_and_its_schema(tmp_path: Path):
    from tests.runtime.inter_apps import write_consumer, write_provider

    provider = plan_of(write_provider(tmp_path / "hosting"))
    jsonschema.validate(provider, schema())
    assert provider["application"]["exports"] == {
        "prefix": "Lamp",
        "variables": {"apache.ip": "lb_ip", "apache.port": "lb_port"},
    }
    consumer = plan_of(write_consumer(tmp_path / "shop"))
    jsonschema.validate(consumer, schema())
    assert "exports" not in consumer["application"]
    shop = next(i for i in consumer["instances"] if i["path"] == "/front/shop")
    assert shop["external_imports"] == {"Lamp": {"names": ["Lamp.lb_ip", "Lamp.lb_port"], "optional": False}}
