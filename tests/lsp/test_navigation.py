"""Hover, definition, references, rename, symbols and links over stdio."""

from __future__ import annotations

import pytest
import pytest_lsp
from lsprotocol import types as t
from pytest_lsp import LanguageClient

from tests.lsp_client import PROFILES, SERVER, doc_text, make_app, open_doc, pos_of, start

# a language server per module and client profile (module-scoped fixture)
pytestmark = [pytest.mark.slow, pytest.mark.asyncio(loop_scope="module")]


@pytest_lsp.fixture(config=SERVER, params=PROFILES, scope="module")
async def client(lsp_client: LanguageClient, request, tmp_path_factory):
    tmp_path = tmp_path_factory.mktemp("nav")
    lsp_client.app = make_app(tmp_path)
    lsp_client.profile = request.param
    await start(lsp_client, tmp_path, request.param)
    yield
    await lsp_client.shutdown_session()


def doc(client, rel):
    path = client.app / rel
    return path.as_uri(), path.read_text()


def tdp(uri, pos):
    return t.TextDocumentIdentifier(uri), pos


async def test_hover_on_a_type_shows_its_doc_comment(client):
    uri, text = doc(client, "graph/main.graph")
    open_doc(client, client.app / "graph/main.graph")
    hover = await client.text_document_hover_async(
        t.HoverParams(t.TextDocumentIdentifier(uri), pos_of(text, "MySQL;", 1))
    )
    assert "The database." in doc_text(hover.contents)
    assert "port = 3306" in doc_text(hover.contents)


async def test_hover_on_an_imported_variable_shows_its_default(client):
    uri, text = doc(client, "graph/main.graph")
    hover = await client.text_document_hover_async(
        t.HoverParams(t.TextDocumentIdentifier(uri), pos_of(text, "MySQL.port", 8))
    )
    assert "Default value: 3306" in doc_text(hover.contents)
    hover = await client.text_document_hover_async(
        t.HoverParams(t.TextDocumentIdentifier(uri), pos_of(text, "MySQL.ip", 7))
    )
    assert "Value set dynamically by Roboconf" in doc_text(hover.contents)


async def test_definition_from_children_extends_facets_and_imports(client):
    uri, text = doc(client, "graph/main.graph")
    [loc] = await client.text_document_definition_async(
        t.DefinitionParams(t.TextDocumentIdentifier(uri), pos_of(text, "Tomcat,", 2))
    )
    assert loc.uri == uri and loc.range.start == pos_of(text, "Tomcat {")
    [loc] = await client.text_document_definition_async(
        t.DefinitionParams(t.TextDocumentIdentifier(uri), pos_of(text, "web;", 1))
    )
    assert loc.uri.endswith("facets.graph") and loc.range.start == t.Position(1, 6)
    [loc] = await client.text_document_definition_async(
        t.DefinitionParams(t.TextDocumentIdentifier(uri), pos_of(text, "MySQL.port", 7))
    )
    assert loc.range.start == pos_of(text, "port = 3306")


async def test_definition_of_an_import_path_and_from_instances(client):
    uri, text = doc(client, "graph/main.graph")
    [loc] = await client.text_document_definition_async(
        t.DefinitionParams(t.TextDocumentIdentifier(uri), t.Position(0, 9))
    )
    assert loc.uri.endswith("graph/facets.graph")
    iuri, itext = doc(client, "instances/main.instances")
    open_doc(client, client.app / "instances/main.instances")
    [loc] = await client.text_document_definition_async(
        t.DefinitionParams(t.TextDocumentIdentifier(iuri), pos_of(itext, "Tomcat", 2))
    )
    assert loc.uri == uri and loc.range.start == pos_of(text, "Tomcat {")


async def test_references_cross_graph_and_instances(client):
    uri, text = doc(client, "graph/main.graph")
    refs = await client.text_document_references_async(
        t.ReferenceParams(
            text_document=t.TextDocumentIdentifier(uri),
            position=pos_of(text, "MySQL {"),
            context=t.ReferenceContext(include_declaration=True),
        )
    )
    files = sorted((r.uri.rsplit("/", 1)[-1], r.range.start.line) for r in refs)
    assert files == [
        ("main.graph", 6),
        ("main.graph", 10),
        ("main.graph", 20),
        ("main.graph", 20),
        ("main.instances", 8),
    ]


def edited(edit: t.WorkspaceEdit) -> tuple[dict[str, int], list[tuple[str, str]]]:
    """Text edits per file name and the file renames of a WorkspaceEdit (either form)."""
    counts: dict[str, int] = {}
    renames = []
    if edit.changes:
        for uri, edits in edit.changes.items():
            counts[uri.rsplit("/", 1)[-1]] = len(edits)
    for change in edit.document_changes or []:
        if isinstance(change, t.RenameFile):
            renames.append((change.old_uri.rsplit("/", 2)[-2:][1], change.new_uri.rsplit("/", 1)[-1]))
        else:
            counts[change.text_document.uri.rsplit("/", 1)[-1]] = len(change.edits)
    return counts, renames


async def test_rename_updates_every_reference_and_the_recipe_folder_in_one_edit(client):
    (client.app / "descriptor" / "application.properties").write_text(
        "name = lsp-app\nversion = 1.0.0\ndsl-id = roboconf-1.0\ngraph-entry-point = main.graph\n"
        "instance-entry-point = main.instances\nexports-prefix = Lsp\nexports = Tomcat.portAJP as ajp\n"
    )
    (client.app / "commands").mkdir(exist_ok=True)
    (client.app / "commands" / "more.commands").write_text("create Tomcat as tomcat2 under /vm1\n")
    uri, text = doc(client, "graph/main.graph")
    prep = await client.text_document_prepare_rename_async(
        t.PrepareRenameParams(t.TextDocumentIdentifier(uri), pos_of(text, "Tomcat {", 1))
    )
    assert prep is not None
    assert (
        await client.text_document_prepare_rename_async(
            t.PrepareRenameParams(t.TextDocumentIdentifier(uri), pos_of(text, "installer", 1))
        )
        is None
    )
    messages = len(client.messages)
    edit = await client.text_document_rename_async(
        t.RenameParams(
            text_document=t.TextDocumentIdentifier(uri), position=pos_of(text, "Tomcat {", 1), new_name="Jetty"
        )
    )
    counts, renames = edited(edit)
    assert counts == {"main.graph": 2, "main.instances": 1, "application.properties": 1, "more.commands": 1}
    if client.profile == "visual-studio-code":  # resource operations: the recipe folder moves too
        assert renames == [("Tomcat", "Jetty")]
    else:  # no RenameFile support: the user is told what to rename
        assert renames == []
        assert "graph/Tomcat → graph/Jetty" in client.messages[messages].message


async def test_rename_onto_an_existing_name_is_refused_with_a_message(client):
    uri, text = doc(client, "graph/main.graph")
    with pytest.raises(Exception, match="MySQL is already declared"):
        await client.text_document_rename_async(
            t.RenameParams(
                text_document=t.TextDocumentIdentifier(uri), position=pos_of(text, "Tomcat {", 1), new_name="MySQL"
            )
        )


async def test_rename_of_an_imported_prefix(client):
    uri, text = doc(client, "graph/main.graph")
    edit = await client.text_document_rename_async(
        t.RenameParams(
            text_document=t.TextDocumentIdentifier(uri), position=pos_of(text, "MySQL {"), new_name="Postgres"
        )
    )
    if edit.changes:
        edits = edit.changes[uri]
    else:
        [edits] = [
            c.edits for c in edit.document_changes if isinstance(c, t.TextDocumentEdit) and c.text_document.uri == uri
        ]
    ranges = sorted((e.range.start.line, e.range.start.character, e.range.end.character) for e in edits)
    assert (20, 10, 15) in ranges and (20, 22, 27) in ranges


async def test_document_symbols_graph_and_nested_instances(client):
    uri, _ = doc(client, "graph/main.graph")
    syms = await client.text_document_document_symbol_async(t.DocumentSymbolParams(t.TextDocumentIdentifier(uri)))
    assert [s.name for s in syms] == ["VM", "MySQL", "Tomcat"]
    iuri, _ = doc(client, "instances/main.instances")
    syms = await client.text_document_document_symbol_async(t.DocumentSymbolParams(t.TextDocumentIdentifier(iuri)))
    assert [s.name for s in syms] == ["vm1"]
    assert [c.name for c in syms[0].children] == ["tomcat1", "db"]


async def test_workspace_symbols(client):
    syms = await client.workspace_symbol_async(t.WorkspaceSymbolParams(query="my"))
    assert [s.name for s in syms] == ["MySQL"]


async def test_document_links_for_imports(client):
    uri, _ = doc(client, "graph/main.graph")
    links = await client.text_document_document_link_async(t.DocumentLinkParams(t.TextDocumentIdentifier(uri)))
    assert [link.target.rsplit("/", 2)[-2:] for link in links] == [["graph", "facets.graph"]]
    assert links[0].range == t.Range(t.Position(0, 7), t.Position(0, 19))
