"""Formatting, folding, semantic tokens, quick fixes and the ``rbcc/graph`` request over stdio."""

from __future__ import annotations

import pytest
import pytest_lsp
from lsprotocol import types as t
from pytest_lsp import LanguageClient

from tests.lsp_client import PROFILES, SERVER, make_app, open_doc, start, wait_for

# a language server per module and client profile (module-scoped fixture)
pytestmark = [pytest.mark.slow, pytest.mark.asyncio(loop_scope="module")]


@pytest_lsp.fixture(config=SERVER, params=PROFILES, scope="module")
async def client(lsp_client: LanguageClient, request, tmp_path_factory):
    tmp_path = tmp_path_factory.mktemp("features")
    lsp_client.app = make_app(tmp_path)
    await start(lsp_client, tmp_path, request.param)
    yield
    await lsp_client.shutdown_session()


def close(client, uri):
    client.text_document_did_close(t.DidCloseTextDocumentParams(t.TextDocumentIdentifier(uri)))


async def test_formatting_returns_one_edit_and_keeps_comments(client):
    messy = "# doc\nX{\n  installer :  script;  # why\n}\n"
    uri = open_doc(client, client.app / "graph" / "fmt.graph", messy)
    edits = await client.text_document_formatting_async(
        t.DocumentFormattingParams(t.TextDocumentIdentifier(uri), t.FormattingOptions(tab_size=4, insert_spaces=False))
    )
    close(client, uri)
    assert [e.new_text for e in edits] == ["# doc\nX {\n\tinstaller: script; # why\n}\n"]


async def test_formatting_leaves_broken_files_alone(client):
    uri = open_doc(client, client.app / "graph" / "broken.graph", "X {\n\tinstaller script\n}\n")
    edits = await client.text_document_formatting_async(
        t.DocumentFormattingParams(t.TextDocumentIdentifier(uri), t.FormattingOptions(tab_size=4, insert_spaces=False))
    )
    close(client, uri)
    assert not edits


async def test_folding_blocks_and_comment_runs(client):
    uri = (client.app / "graph" / "main.graph").as_uri()
    ranges = await client.text_document_folding_range_async(t.FoldingRangeParams(t.TextDocumentIdentifier(uri)))
    got = {(r.start_line, r.end_line, r.kind) for r in ranges}
    assert (2, 3, "comment") in got
    assert (4, 7, "region") in got and (16, 21, "region") in got


async def test_semantic_tokens_distinguish_components_facets_and_variables(client):
    uri = (client.app / "graph" / "main.graph").as_uri()
    result = await client.text_document_semantic_tokens_full_async(
        t.SemanticTokensParams(t.TextDocumentIdentifier(uri))
    )
    data = result.data
    assert len(data) % 5 == 0
    tokens, line, col = [], 0, 0
    for i in range(0, len(data), 5):
        dl, ds, n, typ, mods = data[i : i + 5]
        line, col = line + dl, (col + ds if dl == 0 else ds)
        tokens.append((line, col, n, typ, mods))
    from rbcc.lsp.semantic_tokens import TOKEN_TYPES

    kinds = {(ln, c): TOKEN_TYPES[ty] for ln, c, _n, ty, _m in tokens}
    assert kinds[(4, 0)] == "class"  # VM declaration
    assert kinds[(18, 9)] == "interface"  # facets: web
    assert kinds[(20, 10)] == "class"  # imports: MySQL.port -> MySQL
    assert kinds[(20, 16)] == "variable"  # .port
    assert kinds[(0, 0)] == "keyword"  # import
    assert kinds[(2, 0)] == "comment"


async def test_quick_fix_missing_semicolon(client):
    text = "# x\nX {\n\tinstaller: script\n}\n"
    uri = open_doc(client, client.app / "graph" / "semi.graph", text)
    diags = await wait_for(
        lambda: [d for d in client.diagnostics.get(uri, []) if d.code == "P_PROPERTY_ENDS_WITH_SEMI_COLON"]
    )
    actions = await client.text_document_code_action_async(
        t.CodeActionParams(t.TextDocumentIdentifier(uri), diags[0].range, t.CodeActionContext(diagnostics=diags))
    )
    close(client, uri)
    [fix] = [a for a in actions if "`;`" in a.title]
    [edit] = fix.edit.changes[uri]
    assert edit.new_text == ";" and edit.range.start == t.Position(2, 18)


async def test_quick_fix_unknown_type_proposes_the_nearest_name(client):
    path = client.app / "graph" / "main.graph"
    text = path.read_text().replace("children: Tomcat, MySQL;", "children: Tomcat, MySqL;")
    uri = open_doc(client, path, text)
    diags = await wait_for(lambda: [d for d in client.diagnostics.get(uri, []) if d.code == "CO_INEXISTING_CHILD"])
    actions = await client.text_document_code_action_async(
        t.CodeActionParams(t.TextDocumentIdentifier(uri), diags[0].range, t.CodeActionContext(diagnostics=diags))
    )
    assert actions[0].title == "Change to `MySQL`"
    assert actions[0].edit.changes[uri][0].new_text == "MySQL"
    client.text_document_did_change(
        t.DidChangeTextDocumentParams(
            t.VersionedTextDocumentIdentifier(uri=uri, version=2),
            [t.TextDocumentContentChangeWholeDocument(text=path.read_text())],
        )
    )
    await wait_for(lambda: not client.diagnostics.get(uri))
    close(client, uri)


async def test_quick_fix_bad_import_path_and_unused_import(client):
    path = client.app / "graph" / "main.graph"
    text = path.read_text().replace(
        "import facets.graph;", "import facet.graph;\nimport facets.graph;\nimport facets.graph;"
    )
    uri = open_doc(client, path, text)
    diags = await wait_for(lambda: [d for d in client.diagnostics.get(uri, []) if d.code == "CO_UNREACHABLE_FILE"])
    actions = await client.text_document_code_action_async(
        t.CodeActionParams(
            t.TextDocumentIdentifier(uri),
            t.Range(t.Position(0, 0), t.Position(2, 0)),
            t.CodeActionContext(diagnostics=diags),
        )
    )
    titles = [a.title for a in actions]
    assert "Import `facets.graph` instead" in titles
    assert "Remove this import" in titles
    assert any(title.startswith("Remove unused import `facets.graph`") for title in titles)
    client.text_document_did_change(
        t.DidChangeTextDocumentParams(
            t.VersionedTextDocumentIdentifier(uri=uri, version=2),
            [t.TextDocumentContentChangeWholeDocument(text=path.read_text())],
        )
    )
    await wait_for(lambda: not client.diagnostics.get(uri))
    close(client, uri)


async def test_graph_request_returns_dot(client):
    uri = (client.app / "graph" / "main.graph").as_uri()
    result = await client.protocol.send_request_async("rbcc/graph", {"uri": uri, "view": "components", "format": "dot"})
    result = result if isinstance(result, dict) else result._asdict()
    assert "digraph" in result["dot"]
    assert "Tomcat" in result["dot"] and "MySQL" in result["dot"]
