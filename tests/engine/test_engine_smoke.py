"""The harness itself, on the engine: an image built offline, Compose with a health-gated start and
service-name DNS, a single-node Swarm stack as this kernel allows it (no IPVS: dnsrr, host-mode port).

These use hand-written files, not the compiler, so that a failure here points at the engine set-up.
Only loopback and the networks these tests create are ever contacted.
"""

from __future__ import annotations

import socket
import textwrap
import urllib.request
from pathlib import Path

import pytest

from tests.engine.harness import Engine, HostState

pytestmark = pytest.mark.engine

WEB_DOCKERFILE = """\
FROM busybox:local
RUN mkdir -p /www && echo built-offline > /www/index.html
CMD ["httpd", "-f", "-p", "8080", "-h", "/www"]
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def fetch(port: int) -> str:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/index.html", timeout=5) as answer:
        return answer.read().decode()


@pytest.fixture(scope="module")
def web_image(engine: Engine, tmp_path_factory: pytest.TempPathFactory) -> str:
    context = tmp_path_factory.mktemp("web")
    (context / "Dockerfile").write_text(WEB_DOCKERFILE)
    engine.build(context, "rbcc-smoke-web:local")
    return "rbcc-smoke-web:local"


def test_the_engine_changes_the_host_while_it_runs(engine: Engine):
    """So that the fixture's closing comparison (host restored) can fail at all."""
    assert engine.before is not None
    now = HostState.capture().comparable()
    assert now["bridges"] == ["docker0"] and now != engine.before.comparable()


def test_an_image_built_from_busybox_local_runs(engine: Engine, web_image: str):
    out = engine.docker("run", "--rm", web_image, "cat", "/www/index.html").stdout
    assert out.strip() == "built-offline"


def test_compose_waits_for_health_and_services_reach_each_other_by_name(engine: Engine, web_image: str, tmp_path: Path):
    project = tmp_path / "smoke"
    project.mkdir()
    (project / "compose.yaml").write_text(
        textwrap.dedent(
            f"""\
            services:
              web:
                image: {web_image}
                ports: ["127.0.0.1::8080"]
                healthcheck:
                  test: ["CMD", "wget", "-qO-", "http://web:8080/index.html"]
                  interval: 1s
                  retries: 20
              client:
                image: busybox:local
                command: ["sleep", "300"]
                stop_grace_period: 1s
                depends_on:
                  web: {{condition: service_healthy}}
            """
        )
    )
    try:
        engine.compose_in(project, "up", "-d", "--wait", "--wait-timeout", "60", timeout=120)
        ps = engine.compose_in(project, "ps", "--format", "{{.Service}} {{.Health}}").stdout
        assert "web healthy" in ps, ps
        answer = engine.compose_in(project, "exec", "-T", "client", "wget", "-qO-", "http://web:8080/index.html")
        assert answer.stdout.strip() == "built-offline"
        published = engine.compose_in(project, "port", "web", "8080").stdout.strip()
        assert published.startswith("127.0.0.1:"), published
        assert fetch(int(published.rsplit(":", 1)[1])).strip() == "built-offline"
    finally:
        engine.compose_in(project, "down", "-t", "1", check=False)
    assert engine.docker("ps", "-aq").stdout.strip() == ""


def test_a_swarm_stack_runs_with_dnsrr_and_a_host_mode_port(engine: Engine, web_image: str, tmp_path: Path):
    port = free_port()
    stack = tmp_path / "stack.yaml"
    stack.write_text(
        textwrap.dedent(
            f"""\
            version: "3.8"
            services:
              web:
                image: {web_image}
                ports: [{{target: 8080, published: {port}, protocol: tcp, mode: host}}]
                stop_grace_period: 1s
                deploy: {{replicas: 1, endpoint_mode: dnsrr}}
              peer:
                image: {web_image}
                stop_grace_period: 1s
                deploy: {{replicas: 2, endpoint_mode: dnsrr}}
              client:
                image: busybox:local
                command: ["sleep", "300"]
                stop_grace_period: 1s
                deploy: {{endpoint_mode: dnsrr}}
            """
        )
    )
    with engine.swarm():
        engine.docker("stack", "deploy", "--resolve-image", "never", "-c", str(stack), "smoke")
        try:

            def replicas() -> dict[str, str]:
                out = engine.docker("service", "ls", "--format", "{{.Name}} {{.Replicas}}").stdout
                return dict(line.split()[:2] for line in out.splitlines() if line.strip())

            want = {"smoke_web": "1/1", "smoke_peer": "2/2", "smoke_client": "1/1"}
            engine.wait_for(lambda: replicas() == want, 60, f"replicas {want}")
            client = engine.docker(
                "ps", "-q", "--filter", "label=com.docker.swarm.service.name=smoke_client"
            ).stdout.split()[0]

            def peers_resolved() -> bool:
                out = engine.exec(client, "nslookup", "peer", check=False).stdout
                return out.count("Address:") >= 3  # the resolver, then one address per replica (dnsrr)

            engine.wait_for(peers_resolved, 30, "both peer replicas in DNS")
            answer = engine.exec(client, "wget", "-qO-", "http://peer:8080/index.html").stdout
            assert answer.strip() == "built-offline"
            engine.wait_for(lambda: _answers(port), 30, f"the host-mode port 127.0.0.1:{port}")
        finally:
            engine.docker("stack", "rm", "smoke", check=False)
            engine.wait_for(lambda: engine.docker("ps", "-aq").stdout.strip() == "", 60, "the stack's containers to go")


def _answers(port: int) -> bool:
    try:
        return fetch(port).strip() == "built-offline"
    except OSError:
        return False
