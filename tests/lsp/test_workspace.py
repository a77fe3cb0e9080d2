"""The language server's workspace in-process: snapshots, superseded results, lenient graphs."""

from __future__ import annotations

from pathlib import Path

from rbcc.lsp.workspace import GRAPH_LAG, LatestParses, Workspace
from tests.lsp_client import make_app


def workspace(tmp_path: Path) -> tuple[Workspace, Path]:
    app = make_app(tmp_path)
    ws = Workspace()
    ws.add_folder(tmp_path)
    return ws, app


def codes(by_file: dict, rel: str) -> list[str]:
    return sorted(p.code for p in by_file.get(rel, []))


def test_a_validation_reads_its_snapshot_not_the_documents_edited_since(tmp_path):
    ws, app = workspace(tmp_path)
    graph = app / "graph" / "main.graph"
    state = ws.set_document(graph, graph.read_text().replace("children: Tomcat, MySQL;", "children: Nope;"))
    snap = ws.snapshot(state)
    ws.set_document(graph, graph.read_text())  # fixed while the validation would run
    assert not ws.is_current(state, snap)
    result = ws.run(state.root, state.loose, snap)
    assert codes(result.by_file, "graph/main.graph") == ["CO_INEXISTING_CHILD"]
    assert ws.is_current(state, ws.snapshot(state))


def test_opening_a_file_unchanged_on_disk_still_supersedes_nothing_it_read(tmp_path):
    ws, app = workspace(tmp_path)
    graph = app / "graph" / "main.graph"
    state = ws.set_document(graph, graph.read_text())
    snap = ws.snapshot(state)
    ws.set_document(graph, graph.read_text())  # the same text again (didSave, a second didOpen)
    assert ws.is_current(state, snap)
    (app / "graph" / "new.graph").write_text("N {\n\tinstaller: script;\n}\n")
    ws.file_changed(app / "graph" / "new.graph")
    assert not ws.is_current(state, snap)


def test_empty_unreached_open_file_gets_what_rbcc_validate_says(tmp_path):
    ws, app = workspace(tmp_path)
    empty = app / "graph" / "empty.graph"
    empty.write_text("")
    state = ws.set_document(empty, "")
    by_file = ws.validate(state)
    assert codes(by_file, "graph/empty.graph") == ["PROJ_UNREACHABLE_FILE"]  # no P_EMPTY_FILE
    ws.set_document(empty, "VM {\n\tinstaller target\n}\n")  # its syntax errors are still shown
    assert "PROJ_UNREACHABLE_FILE" in codes(ws.validate(state), "graph/empty.graph")
    assert len(codes(ws.validate(state), "graph/empty.graph")) > 1


def test_an_empty_loose_file_is_reported_empty_as_the_cli_does(tmp_path):
    loose = tmp_path / "alone.graph"
    loose.write_text("")
    ws = Workspace()
    state = ws.set_document(loose, "")
    assert state.loose
    assert codes(ws.validate(state), "alone.graph") == ["P_EMPTY_FILE"]


def test_latest_parses_keep_one_parse_per_file():
    cache = LatestParses()
    first = cache.parse("graph/a.graph", "A {\n\tinstaller: script;\n}\n")
    assert cache.parse("graph/a.graph", "A {\n\tinstaller: script;\n}\n") is first
    second = cache.parse("graph/a.graph", "B {\n\tinstaller: script;\n}\n")
    assert second is not first and [h.name for h in second.holders] == ["B"]
    assert len(cache._latest) == 1


def test_the_lenient_graph_lags_only_behind_the_document_being_typed(tmp_path):
    ws, app = workspace(tmp_path)
    graph = app / "graph" / "main.graph"
    text = graph.read_text()
    state = ws.set_document(graph, text)
    built = ws.graph_for(state)
    # typing in the same document, nothing structural: the graph is kept
    ws.set_document(graph, text.replace("# The database.", "# The database, typed"))
    assert ws.graph_for(state) is built
    # a type the typed document declares now: rebuilt at once
    ws.set_document(graph, text + "\nBrandNew {\n\tinstaller: script;\n}\n")
    assert "BrandNew" in ws.graph_for(state).components
    # another file changed: rebuilt
    built = ws.graph_for(state)
    facets = app / "graph" / "facets.graph"
    ws.set_document(facets, facets.read_text() + "\nfacet extra {\n}\n")
    assert "extra" in ws.graph_for(state).facets
    # closing the typed document (its text reverts to the disk's): rebuilt
    ws.close_document(facets)
    assert "extra" not in ws.graph_for(state).facets


def test_the_lenient_graph_is_at_most_graph_lag_edits_old(tmp_path):
    ws, app = workspace(tmp_path)
    graph = app / "graph" / "main.graph"
    text = graph.read_text()
    state = ws.set_document(graph, text)
    built = ws.graph_for(state)
    for k in range(GRAPH_LAG - 1):
        ws.set_document(graph, text + "#" * (k + 1))
        assert ws.graph_for(state) is built
    ws.set_document(graph, text + "# last")
    assert ws.graph_for(state) is not built
