"""Helpers for the pytest-lsp tests (``tests/test_lsp_*.py``): the real server over stdio."""

from __future__ import annotations

import asyncio
import shutil
import sys
from pathlib import Path

from lsprotocol import types as t
from pytest_lsp import ClientServerConfig, LanguageClient, client_capabilities

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "lsp"
SERVER = ClientServerConfig(server_command=[sys.executable, "-m", "rbcc.lsp.server"])
PROFILES = ("visual-studio-code", "neovim", "emacs")


def make_app(tmp_path: Path, name: str = "app") -> Path:
    """A private copy of the fixture application ``name``."""
    dest = tmp_path / name
    shutil.copytree(FIXTURES / name, dest)
    return dest


async def start(client: LanguageClient, root: Path, profile: str = "visual-studio-code", options=None) -> None:
    if t.CLIENT_REGISTER_CAPABILITY not in client.protocol.fm.features:
        client.registrations = []

        @client.feature(t.CLIENT_REGISTER_CAPABILITY)
        def _register(params: t.RegistrationParams):
            client.registrations.extend(params.registrations)

    await client.initialize_session(
        t.InitializeParams(
            capabilities=client_capabilities(profile),
            root_uri=root.as_uri(),
            workspace_folders=[t.WorkspaceFolder(uri=root.as_uri(), name=root.name)],
            initialization_options=options if options is not None else {"debounceMs": 50},
        )
    )


def language_of(path: Path) -> str:
    return "roboconf-graph" if path.suffix == ".graph" else "roboconf-instances"


def open_doc(client: LanguageClient, path: Path, text: str | None = None) -> str:
    uri = path.as_uri()
    client.text_document_did_open(
        t.DidOpenTextDocumentParams(
            t.TextDocumentItem(
                uri=uri, language_id=language_of(path), version=1, text=path.read_text() if text is None else text
            )
        )
    )
    return uri


def change(client: LanguageClient, uri: str, version: int, start: tuple[int, int], end: tuple[int, int], text: str):
    client.text_document_did_change(
        t.DidChangeTextDocumentParams(
            text_document=t.VersionedTextDocumentIdentifier(uri=uri, version=version),
            content_changes=[
                t.TextDocumentContentChangePartial(range=t.Range(t.Position(*start), t.Position(*end)), text=text)
            ],
        )
    )


def replace_all(client: LanguageClient, uri: str, version: int, text: str):
    client.text_document_did_change(
        t.DidChangeTextDocumentParams(
            text_document=t.VersionedTextDocumentIdentifier(uri=uri, version=version),
            content_changes=[t.TextDocumentContentChangeWholeDocument(text=text)],
        )
    )


async def wait_for(predicate, timeout: float = 10.0):
    """Poll ``predicate`` (called with no argument) until it is truthy."""
    deadline = asyncio.get_event_loop().time() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if asyncio.get_event_loop().time() > deadline:
            raise AssertionError("timed out waiting for the server")
        await asyncio.sleep(0.02)


def codes(client: LanguageClient, uri: str) -> list[str]:
    return sorted(str(d.code) for d in client.diagnostics.get(uri, []))


def pos_of(text: str, needle: str, offset: int = 0, occurrence: int = 0) -> t.Position:
    """The LSP position of ``needle`` (+ ``offset`` characters) in ``text``."""
    index = -1
    for _ in range(occurrence + 1):
        index = text.index(needle, index + 1)
    index += offset
    line = text.count("\n", 0, index)
    col = index - (text.rfind("\n", 0, index) + 1)
    return t.Position(line, col)


async def stats(client: LanguageClient) -> dict:
    """The server's ``rbcc/stats`` counters as a dict."""
    result = await client.protocol.send_request_async("rbcc/stats", {})
    return result if isinstance(result, dict) else result._asdict()


def doc_text(doc) -> str:
    """The text of a ``documentation``/``contents`` field (string or MarkupContent)."""
    return doc if isinstance(doc, str) else doc.value
