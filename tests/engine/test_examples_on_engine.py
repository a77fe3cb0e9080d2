"""End to end on a real engine: webstack, dbcluster and facets, compiled with their stand-in images
(``--profile standin``), come up with ``docker compose up --wait``, and what each example is about
happens between the containers: the balancer spreads requests over the web applications, which
count them in the cache; the database nodes gossip with their peers and the client reaches every
node; the storefront lists both catalogs, which found both databases through the facet prefix,
and the backup reached MySQL and MariaDB alike. As single-node Swarm stacks (dnsrr, host-mode
ports) every task becomes healthy, and the balancer still reaches every web application.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from tests.compile_support import run_rbcc
from tests.engine.harness import Engine
from tests.support import REPO

pytestmark = pytest.mark.engine


def _compiled(name: str, out: Path) -> Path:
    proc = run_rbcc("compile", str(REPO / "examples" / name), "-t", "compose", "--profile", "standin", "-o", str(out))
    assert proc.returncode == 0, proc.stderr
    return out / "compose" / "compose.yaml"


class _Up:
    """``docker compose up --build --wait`` for one example; ``down -v`` at the end."""

    def __init__(self, engine: Engine, file: Path, project: str) -> None:
        self.engine, self.file, self.project = engine, file, project

    def __enter__(self) -> _Up:
        self.engine.compose(self.file, self.project, "build", timeout=600)
        self.engine.compose(self.file, self.project, "up", "-d", "--wait", "--wait-timeout", "120", timeout=300)
        return self

    def __exit__(self, *exc: object) -> None:
        self.engine.compose(self.file, self.project, "down", "-v", "-t", "1", check=False)

    def logs(self, service: str) -> str:
        return self.engine.compose(self.file, self.project, "logs", "--no-log-prefix", service).stdout

    def exec(self, service: str, *command: str) -> str:
        return self.engine.compose(self.file, self.project, "exec", "-T", service, *command).stdout


def test_webstack_balances_over_every_web_application_sharing_the_cache(engine: Engine, tmp_path: Path):
    with _Up(engine, _compiled("webstack", tmp_path), "webstack") as up:
        answers = [up.exec("lb-front", "wget", "-q", "-O", "-", "http://lb-front/") for _ in range(4)]
        assert {a.split(" from ")[1].split(" ")[0] for a in answers} == {"app1", "app2", "app3", "canary"}
        assert any(a.startswith("Bonjour from canary") for a in answers)
        assert sorted(int(a.rsplit("visit ", 1)[1]) for a in answers) == [1, 2, 3, 4]
        assert up.logs("cache-data").count("cache received: INCR visits") == 4
        assert "server app1-front:8080; server app2-front:8080;" in up.logs("lb-front")


def test_dbcluster_nodes_gossip_with_their_peers_and_the_client_reaches_each(engine: Engine, tmp_path: Path):
    with _Up(engine, _compiled("dbcluster", tmp_path), "dbcluster") as up:
        nodes = ["node-db-1", "node-db-2", "node-db-3"]
        for node in nodes:
            others = [n for n in nodes if n != node]
            engine.wait_for(
                lambda node=node, others=others: all(f"gossiped with {o}" in up.logs(node) for o in others),
                30,
                f"{node} to gossip with {others}",
            )
            assert f"seeds: {node},{others[0]},{others[1]}" in up.logs(node)
        client = up.logs("client-app")
        for node in nodes:
            assert f"{node}:9042 answered: cql ok from {node}" in client


def test_facets_imports_through_facet_prefixes_reach_every_sub_component(engine: Engine, tmp_path: Path):
    with _Up(engine, _compiled("facets", tmp_path), "facets") as up:
        page = up.exec("storefront-shop", "wget", "-q", "-O", "-", "http://storefront-shop/")
        for catalog in ("catalog-eu", "catalog-us"):
            assert f'"catalog": "{catalog}"' in page
        assert page.count('"databases": ["legacy-data:3306", "orders-data:3306"]') == 2
        assert up.exec("catalog-us-shop", "wget", "-q", "-O", "-", "http://catalog-us-shop:19090/") == "up 1\n"
        backup = up.logs("backup-data")
        assert "dumped shop from legacy-data:3306: mariadb 11.4" in backup
        assert "dumped shop from orders-data:3306: mysql 8.4" in backup
        assert "stand-in for /data/legacy (MariaDB 11.4, flavour mariadb)" in up.logs("legacy-data")


@pytest.mark.parametrize("name", ["webstack", "dbcluster", "facets"])
def test_example_runs_as_a_swarm_stack_with_every_task_healthy(engine: Engine, tmp_path: Path, name: str):
    proc = run_rbcc(
        "compile",
        str(REPO / "examples" / name),
        "-t",
        "compose,swarm",
        "--profile",
        "standin",
        "--swarm-endpoint-mode",
        "dnsrr",
        "--swarm-port-mode",
        "host",
        "-o",
        str(tmp_path),
    )
    assert proc.returncode == 0, proc.stderr
    engine.compose(tmp_path / "compose" / "compose.yaml", name, "build", timeout=600)  # stacks do not build
    services = yaml.safe_load((tmp_path / "swarm" / "stack.yaml").read_text())["services"]
    with engine.swarm():
        engine.docker("stack", "deploy", "--resolve-image", "never", "-c", str(tmp_path / "swarm" / "stack.yaml"), "st")
        try:

            def healthy() -> bool:
                ids = engine.docker("ps", "-q", "--filter", "health=healthy").stdout.split()
                return len(ids) == len(services)

            engine.wait_for(healthy, 120, f"every task of {name} to be healthy")
            if name == "webstack":
                lb = engine.docker("ps", "-q", "--filter", "label=com.docker.swarm.service.name=st_lb-front").stdout
                answers = [
                    engine.exec(lb.split()[0], "wget", "-q", "-O", "-", "http://lb-front/").stdout for _ in range(4)
                ]
                assert {a.split(" from ")[1].split(" ")[0] for a in answers} == {"app1", "app2", "app3", "canary"}
        finally:
            engine.docker("stack", "rm", "st", check=False)
            engine.wait_for(lambda: engine.docker("ps", "-aq").stdout.strip() == "", 60, "the stack's containers to go")
