"""The server validates in a child process, debounces opened files, and leaves nothing behind."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

import pytest
from lsprotocol import types as t

from tests.lsp_client import SERVER, make_app, open_doc, start, stats, wait_for

pytestmark = pytest.mark.slow


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state != "Z"


async def test_files_opened_one_after_the_other_cost_one_validation_and_the_child_ends_with_the_server(tmp_path):
    app = make_app(tmp_path)
    client = await SERVER.start()
    try:
        await start(client, tmp_path, options={"debounceMs": 300})
        files = [app / "graph" / "main.graph", app / "graph" / "facets.graph", app / "instances" / "main.instances"]
        uris = [open_doc(client, path) for path in files]
        await wait_for(lambda: all(uri in client.diagnostics for uri in uris))
        info = await stats(client)
        assert info["validations"] == 1
        child = info["validationPid"]
        assert child is not None and child != client._server.pid and alive(child)
        hover = await client.text_document_hover_async(
            t.HoverParams(t.TextDocumentIdentifier(uris[0]), t.Position(4, 0))  # VM
        )
        assert "A virtual machine." in hover.contents.value
    finally:
        await client.shutdown_session()
        await client.stop()
    for _ in range(200):
        if not alive(child):
            break
        await asyncio.sleep(0.05)
    assert not alive(child), f"validation process {child} outlived the server"
    assert os.getpid() != child
