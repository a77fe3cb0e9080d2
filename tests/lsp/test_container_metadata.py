"""The language server in container metadata files: keys and values completed, keys explained, problems published."""

from __future__ import annotations

import shutil

import pytest
import pytest_lsp
from lsprotocol import types as t
from pytest_lsp import LanguageClient

from tests.lsp_client import PROFILES, SERVER, open_doc, start, wait_for
from tests.support import FIXTURES

pytestmark = [pytest.mark.slow, pytest.mark.asyncio(loop_scope="module")]


@pytest_lsp.fixture(config=SERVER, params=PROFILES[:1], scope="module")
async def client(lsp_client: LanguageClient, request, tmp_path_factory):
    tmp_path = tmp_path_factory.mktemp("metadata")
    lsp_client.app = tmp_path / "cluster"
    shutil.copytree(FIXTURES / "compile" / "cluster", lsp_client.app)
    await start(lsp_client, lsp_client.app, request.param)
    yield
    await lsp_client.shutdown_session()


async def complete(client, path, text: str, line: int, character: int) -> list[t.CompletionItem]:
    uri = open_doc(client, path, text)
    result = await client.text_document_completion_async(
        t.CompletionParams(t.TextDocumentIdentifier(uri), t.Position(line, character))
    )
    client.text_document_did_close(t.DidCloseTextDocumentParams(t.TextDocumentIdentifier(uri)))
    assert result is not None
    return result.items if isinstance(result, t.CompletionList) else result


async def test_keys_are_completed_with_the_components_variables(client):
    path = client.app / "graph" / "web" / "container.properties"
    items = await complete(client, path, "image = x\npo", 1, 2)
    labels = [i.label for i in items]
    assert "port.http" in labels and "port.ip" in labels and "port.motd" in labels
    http = next(i for i in items if i.label == "port.http")
    assert http.text_edit.new_text == "port.http = " and "Container port" in str(http.documentation)


async def test_enumerated_values_are_completed(client):
    path = client.app / "graph" / "web" / "container.properties"
    items = await complete(client, path, "restart = un", 0, 12)
    assert [i.label for i in items] == ["unless-stopped"]


async def test_a_root_target_file_offers_rbcc_keys(client):
    path = client.app / "graph" / "vm" / "target.properties"
    items = await complete(client, path, "id = local\nrbcc.ima", 1, 8)
    assert [i.label for i in items] == ["rbcc.image"]


async def test_hover_on_a_key_explains_it(client):
    path = client.app / "graph" / "db" / "container.properties"
    uri = open_doc(client, path)
    hover = await client.text_document_hover_async(t.HoverParams(t.TextDocumentIdentifier(uri), t.Position(1, 3)))
    assert hover is not None and "Container port" in str(hover.contents)
    assert hover.range.start == t.Position(1, 0) and hover.range.end == t.Position(1, 9)


async def test_problems_of_a_metadata_file_are_published_with_their_range(client):
    path = client.app / "graph" / "web" / "container.properties"
    uri = open_doc(client, path, "image = nginx\nrestart = sometimes\n")
    diags = await wait_for(lambda: [d for d in client.diagnostics.get(uri, []) if d.code == "CNT_INVALID_VALUE"])
    assert diags[0].range.start == t.Position(1, 10)
