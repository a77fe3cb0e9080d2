"""Completion over stdio on broken and truncated documents (editor.md §2 contexts)."""

from __future__ import annotations

import pytest
import pytest_lsp
from lsprotocol import types as t
from pytest_lsp import LanguageClient

from rbcc.lsp.completion import Catalog, analyze, complete
from tests.lsp_client import PROFILES, SERVER, doc_text, make_app, open_doc, start

# a language server per module and client profile (module-scoped fixture)
pytestmark = [pytest.mark.slow, pytest.mark.asyncio(loop_scope="module")]


@pytest_lsp.fixture(config=SERVER, params=PROFILES, scope="module")
async def client(lsp_client: LanguageClient, request, tmp_path_factory):
    tmp_path = tmp_path_factory.mktemp("completion")
    lsp_client.app = make_app(tmp_path)
    lsp_client.profile = request.param
    await start(lsp_client, tmp_path, request.param)
    yield
    await lsp_client.shutdown_session()


async def complete_at_end(client: LanguageClient, rel: str, text: str) -> list[t.CompletionItem]:
    """Open ``rel`` with ``text`` (usually truncated) and complete at its very end."""
    uri = open_doc(client, client.app / rel, text)
    lines = text.split("\n")
    result = await client.text_document_completion_async(
        t.CompletionParams(t.TextDocumentIdentifier(uri), t.Position(len(lines) - 1, len(lines[-1])))
    )
    client.text_document_did_close(t.DidCloseTextDocumentParams(t.TextDocumentIdentifier(uri)))
    return list(result.items if isinstance(result, t.CompletionList) else result or [])


def labels(items) -> list[str]:
    return [i.label for i in items]


async def test_attribute_names_in_an_unclosed_component_but_not_those_it_sets(client):
    items = await complete_at_end(client, "graph/main.graph", "VM {\n\tinstaller: target;\n\t")
    assert labels(items) == ["children: ", "exports: ", "extends: ", "facets: ", "imports: "]


async def test_typed_prefix_is_replaced_by_the_text_edit(client):
    items = await complete_at_end(client, "graph/main.graph", "VM {\n\tex")
    assert labels(items) == ["exports: ", "extends: "]
    edit = items[0].text_edit
    assert edit.range == t.Range(t.Position(1, 1), t.Position(1, 3))
    assert edit.new_text == "exports: "


async def test_facet_attributes(client):
    items = await complete_at_end(client, "graph/facets.graph", "facet f {\n\t")
    assert labels(items) == ["children: ", "exports: ", "extends: "]


async def test_children_types_include_those_declared_further_down_and_in_other_files(client):
    text = "X {\n\tchildren: \n}\n\n# Declared later.\nLater {\n\tinstaller: script;\n}\n"
    uri = open_doc(client, client.app / "graph" / "main.graph", text)
    result = await client.text_document_completion_async(
        t.CompletionParams(t.TextDocumentIdentifier(uri), t.Position(1, 11))
    )
    client.text_document_did_close(t.DidCloseTextDocumentParams(t.TextDocumentIdentifier(uri)))
    names = labels(result.items)
    assert {"Later", "web"} <= set(names)
    later = next(i for i in result.items if i.label == "Later")
    assert "Declared later." in doc_text(later.documentation)
    assert later.kind == t.CompletionItemKind.Class


async def test_installer_values(client):
    items = await complete_at_end(client, "graph/main.graph", "VM {\n\tinstaller: s")
    assert labels(items) == ["script"]


async def test_extends_in_a_facet_offers_facets_only(client):
    items = await complete_at_end(client, "graph/new.graph", "facet other {\n\textends: ")
    assert labels(items) == ["web"]


async def test_imports_offer_variables_with_docs(client):
    items = await complete_at_end(client, "graph/new.graph", "Z {\n\timports: My")
    assert labels(items) == ["MySQL.*", "MySQL.ip", "MySQL.port"]
    docs = {i.label: doc_text(i.documentation) for i in items}
    assert docs == {
        "MySQL.*": "Import all the variables",
        "MySQL.ip": "Value set dynamically by Roboconf",
        "MySQL.port": "Default value: 3306",
    }


async def test_exports_value_is_free_text(client):
    assert await complete_at_end(client, "graph/main.graph", "VM {\n\texports: ") == []


async def test_nothing_in_a_comment_or_after_a_closing_brace(client):
    assert await complete_at_end(client, "graph/main.graph", "VM {\n\t# chil") == []
    assert await complete_at_end(client, "graph/main.graph", "VM { installer: target; }") == []


async def test_top_level_keywords_and_snippets(client):
    items = await complete_at_end(client, "graph/main.graph", "")
    assert labels(items) == ["import", "facet", "New facet block", "New component block"]
    block = items[-1]
    if client.profile == "visual-studio-code":
        assert block.insert_text_format == t.InsertTextFormat.Snippet
        assert block.text_edit.new_text == "${1:name} {\n\t$0\n}"


async def test_import_paths_replace_the_typed_path(client):
    items = await complete_at_end(client, "graph/main.graph", "import fa")
    assert labels(items) == ["facets.graph"]
    assert items[0].text_edit.range.start == t.Position(0, 7)


async def test_instance_of_offers_root_components_then_children(client):
    items = await complete_at_end(client, "instances/main.instances", "instance of ")
    assert labels(items) == ["VM"]
    items = await complete_at_end(client, "instances/main.instances", "instance of VM {\n\tname: a;\n\tinstance of T")
    assert labels(items) == ["Tomcat"]


async def test_instance_properties_and_overridable_variables(client):
    text = "instance of VM {\n\tinstance of Tomcat {\n\t\tname: t;\n\t\t"
    items = await complete_at_end(client, "instances/main.instances", text)
    names = labels(items)
    assert names[:2] == ["instance of", "New instance block"]
    assert {"channels: ", "Tomcat.portAJP: ", "web.httpPort: "} <= set(names)
    assert "name: " not in names  # the block sets it already
    port = next(i for i in items if i.label == "Tomcat.portAJP: ")
    assert doc_text(port.documentation) == "Default value: 8009"


async def test_nothing_after_an_instance_property_colon(client):
    assert await complete_at_end(client, "instances/main.instances", "instance of VM {\n\tname: ") == []


# ---- the context engine as a pure function (no server) ------------------------------------
@pytest.mark.parametrize(
    "before, where",
    [
        ("", "neutral"),
        ("c1 {\n\t", "attribute"),
        ("c1 {\n\tchildren: a, ", "value"),
        ("c1 {\n\tchildren: a,\n\t\t", "value"),
        ("c1 { x: y; }", "none"),
        ("c1 {\n\t# x", "none"),
        ("c1 {\n}\nc2 {\n\tex", "attribute"),
        ("c1 {\n\tinstaller: script;\n}\n", "neutral"),
    ],
)
async def test_context_analysis(before, where):
    assert analyze(before).where == where


async def test_second_word_at_top_level_proposes_nothing():
    assert complete("fac anotherWord", "graph", Catalog()) == []


async def test_instanceof_without_space_is_not_a_keyword():
    assert complete("instanceof", "instances", Catalog()) == []
