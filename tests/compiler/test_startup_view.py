"""``rbcc graph --view startup``: waves as clusters, one edge per start condition, any-of edges dashed."""

from __future__ import annotations

import json

import pytest

from rbcc.compiler.views.diagrams import AFTER_ANY, AFTER_IMPORT, AFTER_PARENT, build_diagram
from rbcc.compiler.views.dot import to_dot
from rbcc.dsl import load_application
from tests.compile_support import run_rbcc
from tests.support import REPO

STORM = REPO / "examples" / "storm"


def storm_startup():
    app = load_application(STORM)
    return build_diagram("startup", app.graph, app.instances, app.name, root=STORM)


def test_waves_are_clusters_in_start_order():
    d = storm_startup()
    waves = {n.name: d.clusters[n.cluster].label for n in d.nodes.values() if n.cluster}
    assert waves["/vm"] == "wave 0"
    assert waves["/vm/zookeeper"] == "wave 1"
    assert waves["/vm/nimbus"] == "wave 2"
    assert waves["/vm_worker 1/worker"] == "wave 3"
    assert waves["/vm/topology"] == "wave 4"


def test_every_condition_is_an_edge_with_its_reason():
    d = storm_startup()
    by = {(d.nodes[e.source].name, d.nodes[e.target].name): e for e in d.edges}
    assert by[("/vm", "/vm/nimbus")].kind == AFTER_PARENT
    nimbus = by[("/vm/zookeeper", "/vm/nimbus")]
    assert nimbus.kind == AFTER_IMPORT and nimbus.label == "zookeeper.ip, zookeeper.port"
    workers = by[("/vm_worker 1/worker", "/vm/topology")]
    assert workers.kind == AFTER_ANY and "one of 2 exporters" in workers.tooltip


def test_instances_that_never_start_are_grouped_apart(tmp_path):
    from tests.compile_support import make_app

    graph = "vm {\n\tinstaller: target;\n\tchildren: a, g;\n}\na {\n\tinstaller: logger;\n\timports: g.x;\n}\n"
    graph += "g {\n\tinstaller: logger;\n\texports: x = 1;\n}\n"
    root = make_app(tmp_path, graph, "instance of vm {\n\tname: vm;\n\tinstance of a {\n\t\tname: a;\n\t}\n}\n")
    app = load_application(root)
    d = build_diagram("startup", app.graph, app.instances, app.name, root=root)
    node = next(n for n in d.nodes.values() if n.name == "/vm/a")
    assert d.clusters[node.cluster].label == "never starts"
    assert "can never start" in d.note


@pytest.mark.slow  # runs rbcc in a fresh interpreter
def test_dot_and_json_come_out_of_the_cli():
    proc = run_rbcc("graph", str(STORM), "--view", "startup", "--format", "json")
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    assert data["view"] == "startup"
    assert "starts after any one of these exporters" in to_dot(storm_startup())


@pytest.mark.parametrize("focus", ["storm_worker"])
def test_focus_keeps_the_neighbourhood(focus: str):
    app = load_application(STORM)
    d = build_diagram("startup", app.graph, app.instances, app.name, root=STORM, focus=focus, depth=1)
    names = {n.name for n in d.nodes.values()}
    assert "/vm_worker 1/worker" in names and "/vm/ui" not in names
