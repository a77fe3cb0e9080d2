"""Diagnostics over stdio: codes, severities, exact ranges, dependents, debounce, watched files."""

from __future__ import annotations

import pytest
import pytest_lsp
from lsprotocol import types as t
from pytest_lsp import LanguageClient

from tests.lsp_client import PROFILES, SERVER, change, codes, make_app, open_doc, replace_all, start, stats, wait_for

# a fresh language server per test: each one asserts what is published from a clean start
pytestmark = pytest.mark.slow


@pytest_lsp.fixture(config=SERVER, params=PROFILES)
async def client(lsp_client: LanguageClient, request, tmp_path):
    lsp_client.app = make_app(tmp_path)
    await start(lsp_client, tmp_path, request.param)
    yield
    await lsp_client.shutdown_session()


async def test_clean_application_publishes_nothing_wrong(client: LanguageClient):
    uri = open_doc(client, client.app / "graph" / "main.graph")
    await client.wait_for_notification(t.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
    assert list(client.diagnostics.get(uri, [])) == []


async def test_unknown_child_has_code_severity_source_and_exact_range(client: LanguageClient):
    path = client.app / "graph" / "main.graph"
    text = path.read_text().replace("children: Tomcat, MySQL;", "children: Tomcat, Nope;")
    uri = open_doc(client, path, text)
    await wait_for(lambda: client.diagnostics.get(uri))
    [d] = client.diagnostics[uri]
    assert d.code == "CO_INEXISTING_CHILD"
    assert d.severity == t.DiagnosticSeverity.Error
    assert d.source == "rbcc"
    assert d.range == t.Range(t.Position(6, 19), t.Position(6, 23))


async def test_fixing_the_graph_clears_the_error_in_the_instances_file(client: LanguageClient):
    graph = client.app / "graph" / "main.graph"
    inst_uri = (client.app / "instances" / "main.instances").as_uri()
    original = graph.read_text()
    uri = open_doc(client, graph)
    await client.wait_for_notification(t.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
    broken = original.replace("MySQL {", "Database {")
    replace_all(client, uri, 2, broken)
    await wait_for(lambda: "CO_INEXISTING_COMPONENT" in codes(client, inst_uri))
    [d] = [d for d in client.diagnostics[inst_uri] if d.code == "CO_INEXISTING_COMPONENT"]
    assert d.range.start.line == 8  # instance of MySQL
    replace_all(client, uri, 3, original)
    await wait_for(lambda: not client.diagnostics.get(inst_uri) and not client.diagnostics.get(uri))


async def test_incremental_edits_shift_ranges(client: LanguageClient):
    path = client.app / "graph" / "main.graph"
    text = path.read_text().replace("children: Tomcat, MySQL;", "children: Tomcat, Nope;")
    uri = open_doc(client, path, text)
    await wait_for(lambda: client.diagnostics.get(uri))
    change(client, uri, 2, (0, 0), (0, 0), "\n\n")
    await wait_for(lambda: [d.range.start.line for d in client.diagnostics[uri]] == [8])


async def test_a_burst_of_edits_costs_one_validation(client: LanguageClient):
    path = client.app / "graph" / "main.graph"
    uri = open_doc(client, path)
    await client.wait_for_notification(t.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
    # a debounce longer than the burst takes to send, even on a loaded machine
    client.workspace_did_change_configuration(t.DidChangeConfigurationParams({"rbcc": {"debounceMs": 1000}}))
    before = (await stats(client))["validations"]
    for i in range(20):
        change(client, uri, 2 + i, (2, 0), (2, 0), "#")
    await client.wait_for_notification(t.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
    after = (await stats(client))["validations"]
    assert after - before == 1


async def test_watched_file_change_revalidates_dependents(client: LanguageClient):
    uri = open_doc(client, client.app / "instances" / "main.instances")
    await client.wait_for_notification(t.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
    assert list(client.diagnostics.get(uri, [])) == []
    graph = client.app / "graph" / "main.graph"
    graph.write_text(graph.read_text().replace("Tomcat {", "Jetty {").replace("children: Tomcat", "children: Jetty"))
    client.workspace_did_change_watched_files(
        t.DidChangeWatchedFilesParams([t.FileEvent(uri=graph.as_uri(), type=t.FileChangeType.Changed)])
    )
    await wait_for(lambda: "CO_INEXISTING_COMPONENT" in codes(client, uri))


async def test_cross_file_duplicate_carries_related_information(client: LanguageClient):
    path = client.app / "graph" / "facets.graph"
    uri = open_doc(client, path, path.read_text() + "\nMySQL {\n\tinstaller: script;\n}\n")
    await wait_for(lambda: client.diagnostics.get(uri))
    related = [d for d in client.diagnostics[uri] if d.related_information]
    assert related, client.diagnostics[uri]
    assert any(r.location.uri.endswith("main.graph") for d in related for r in d.related_information)


async def test_syntax_error_is_reported_on_its_line(client: LanguageClient):
    path = client.app / "graph" / "facets.graph"
    uri = open_doc(client, path, "facet web {\n\texports httpPort;\n}\n")
    await wait_for(lambda: client.diagnostics.get(uri))
    assert all(d.range.start.line == 1 for d in client.diagnostics[uri]), client.diagnostics[uri]


async def test_debounce_comes_from_initialization_options(client: LanguageClient):
    info = await stats(client)
    assert info["debounceMs"] == 50
    assert any(a.endswith("app") for a in info["applications"])
