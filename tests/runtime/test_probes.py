"""Probes: rbcc validate reads probes/<Component>.measures as the agent does; one sample of each handler."""

from __future__ import annotations

import http.server
import json
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from rbcc.dsl import validate_path
from rbcc.dsl.probes import Measure, parse_measures
from rbcc.runtime.autonomic.probes import compare, sample
from tests.compile_support import make_app

GRAPH = "vm {\n\tinstaller: target;\n\tchildren: web;\n}\nweb {\n\tinstaller: script;\n}\n"
INSTANCES = "instance of vm {\n\tname: vm;\n}\n"


def problems_of(tmp_path: Path, files: dict[str, str]) -> list[tuple[str, str, int, int]]:
    root = make_app(
        tmp_path / "app",
        GRAPH,
        INSTANCES,
        {"graph/vm/target.properties": "id = t\nhandler = in-memory\nname = t\n", "graph/web/scripts/": "", **files},
    )
    return [
        (p.code, p.range.file, p.range.start_line, p.range.start_column)
        for p in validate_path(root).problems
        if p.code.startswith("PRB_") and p.range is not None
    ]


def test_a_nagios_probe_is_an_error_that_says_it_is_not_supported(tmp_path: Path):
    found = problems_of(tmp_path, {"probes/web.measures": "# load\n  [EVENT nagios busy]\nGET hosts\n"})
    assert found == [("PRB_UNSUPPORTED_HANDLER", "probes/web.measures", 2, 3)]


def test_what_the_agent_would_skip_is_reported_where_it_is(tmp_path: Path):
    text = (
        "Check http://x/ THAT a == 1\n"  # before any section
        "[EVENT http down]\n\n"  # unknown handler
        "[EVENT rest slow]\nCheck http://localhost:{{ port }}/s latency > 5\n"  # unfilled placeholder
        "[EVENT rest busy]\nCheck http://localhost:8080/s load above 5\n"  # no operator
        "[EVENT file]\n/tmp/x\n"  # broken header: its body is not reported again
    )
    found = problems_of(tmp_path, {"probes/web.measures": text, "probes/web.measures.properties": "prot = 1\n"})
    assert sorted(found, key=lambda f: f[2]) == [
        ("PRB_OUTSIDE_SECTION", "probes/web.measures", 1, 1),
        ("PRB_UNKNOWN_HANDLER", "probes/web.measures", 2, 1),
        ("PRB_UNKNOWN_PROPERTY", "probes/web.measures", 5, 1),
        ("PRB_INVALID_CHECK", "probes/web.measures", 7, 1),
        ("PRB_INVALID_SECTION", "probes/web.measures", 8, 1),
    ]


def test_a_probe_file_named_after_no_component_is_reported(tmp_path: Path):
    found = problems_of(tmp_path, {"probes/webb.measures": "[EVENT file f]\n/tmp/f\n"})
    assert found == [("PRB_UNKNOWN_COMPONENT", "probes/webb.measures", 1, 1)]


def test_the_storm_probes_are_clean():
    from tests.support import REPO

    assert [p.code for p in validate_path(REPO / "examples" / "storm").problems if p.code.startswith("PRB_")] == []


def measure(handler: str, *body: str) -> Measure:
    measures, problems = parse_measures(f"[EVENT {handler} e]\n" + "\n".join(body) + "\n", "p", "web", {})
    assert not [p for p in problems if p.level.value == "error"]
    return measures[0]


def test_file_probes_fire_on_presence_absence_and_delete_what_they_found(tmp_path: Path):
    flag = tmp_path / "flag"
    assert not sample(measure("file", str(flag)), {}).fired
    assert sample(measure("file", f"Notify if not exists {flag}"), {}).fired
    flag.write_text("x")
    assert sample(measure("file", str(flag)), {}).fired
    assert sample(measure("file", f"Delete if exists {flag}"), {}).fired and not flag.exists()


@pytest.fixture
def status_server() -> Iterator[str]:
    """A loopback HTTP server answering JSON on /json and `key: value` lines on /lines."""

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            body = (
                json.dumps({"slotsFree": 0, "cluster": {"state": "UP"}})
                if self.path == "/json"
                else "slotsUsed: 4\nname: storm\n"
            ).encode()
            self.send_response(200)
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


def test_rest_probes_read_json_with_dotted_keys_and_key_value_lines(status_server: str):
    assert sample(measure("rest", f"Check {status_server}/json THAT slotsFree <= 0"), {}).fired
    assert sample(measure("rest", f"Check {status_server}/json THAT cluster.state == UP"), {}).fired
    assert not sample(measure("rest", f"Check {status_server}/lines THAT slotsUsed == 0"), {}).fired
    assert sample(measure("rest", f"Check {status_server}/lines THAT name = storm"), {}).fired


def test_a_rest_probe_that_cannot_connect_does_not_fire():
    result = sample(measure("rest", "Check http://127.0.0.1:9/x THAT a == 1"), {})
    assert not result.fired and "127.0.0.1:9" in result.info


def test_comparisons_are_numeric_when_both_sides_are_numbers():
    assert compare("10", ">", "9") and not compare("10", ">", "90")
    assert compare("UP", "==", "UP") and not compare("UP", ">", "DOWN")


def test_a_docker_probe_fires_when_the_instances_container_is_not_running():
    asked: list[str] = []

    def running(name: str) -> bool | None:
        asked.append(name)
        return name == "alive"

    env = {"ROBOCONF_CLEAN_REVERSED_INSTANCE_PATH": "worker_vm"}
    assert sample(measure("docker"), env, running).fired and asked == ["worker_vm"]
    assert not sample(measure("docker", "alive"), env, running).fired
    assert not sample(measure("docker"), env, lambda name: None).fired  # the engine cannot say
