"""The rbcc language server: thin pygls handlers over ``workspace`` and one module per feature.

Diagnostics are pushed: every change, open or save schedules a debounced validation of the
application that owns the file (``debounceMs``, 200 ms by default, from ``initializationOptions``
or the ``rbcc`` settings section), so that a burst of edits, or of files opened one after the
other, costs one validation; the result is published for every file of the application whose
diagnostics changed, plus the edited ones.

Validation runs in a child process (``validation_process``), never on the event loop, so
completion, hover and the other requests are answered while an application is being validated.
It reads a snapshot of the open documents; when a document changes while it runs, its result is
superseded: dropped unpublished, and the application is validated again from the newer text (at
most one validation per application runs at a time, and at most one more waits behind it).
"""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path
from typing import Any

from lsprotocol import types as t
from pygls.lsp.server import LanguageServer

from rbcc import __version__
from rbcc.lsp import code_actions, completion, folding, formatting, graph_view, navigation, semantic_tokens
from rbcc.lsp.convert import Lines, lsp_diagnostic, path_to_uri, uri_to_path
from rbcc.lsp.idle_gc import IdleCollector
from rbcc.lsp.validation_process import ValidationProcess, ValidationProcessDied
from rbcc.lsp.workspace import AppState, Snapshot, Workspace

log = logging.getLogger(__name__)

DEFAULT_DEBOUNCE_MS = 200
STATS_REQUEST = "rbcc/stats"


class RbccLanguageServer(LanguageServer):
    """pygls server holding the rbcc workspace and the validation scheduler."""

    def __init__(self) -> None:
        super().__init__("rbcc", __version__, text_document_sync_kind=t.TextDocumentSyncKind.Incremental)
        self.ws = Workspace()
        self.debounce = DEFAULT_DEBOUNCE_MS / 1000
        self.validations = 0
        self.superseded = 0
        self._timers: dict[Path, asyncio.TimerHandle] = {}
        self.validator = ValidationProcess()
        self.collector = IdleCollector()
        #: application root → the validation running on the worker thread
        self._running: dict[Path, asyncio.Future] = {}
        #: applications to validate again as soon as their running validation ends
        self._again: set[Path] = set()

    # ---- helpers used by the feature modules ----------------------------------------------
    @property
    def encoding(self) -> str:
        try:
            return str(self.workspace.position_encoding or "utf-16")
        except RuntimeError:
            return "utf-16"

    def lines(self, path: Path) -> Lines:
        return Lines(self.ws.text(path) or "", self.encoding)

    def document(self, uri: str) -> tuple[Path, AppState, str] | None:
        path = uri_to_path(uri)
        if path is None:
            return None
        state = self.ws.app_for(path)
        text = self.ws.text(path)
        if state is None or text is None:
            return None
        return path.absolute(), state, text

    def configure(self, options: Any) -> None:
        """Apply ``{"debounceMs": n}`` (or ``{"rbcc": {...}}``); bad values are reported, not fatal."""
        if not isinstance(options, dict):
            return
        if isinstance(options.get("rbcc"), dict):
            options = options["rbcc"]
        if self.ws.configure(options):  # `compat` changed: every application again
            for state in list(self.ws.apps.values()):
                self.schedule(state)
        value = options.get("debounceMs", options.get("debounce"))
        if value is None:
            return
        try:
            ms = float(value)
            if ms < 0:
                raise ValueError(value)
        except (TypeError, ValueError):
            self.window_show_message(
                t.ShowMessageParams(
                    t.MessageType.Warning, f"rbcc: invalid debounceMs {value!r}; using {self.debounce * 1000:.0f}"
                )
            )
            return
        self.debounce = ms / 1000

    # ---- validation scheduling --------------------------------------------------------------
    def schedule(self, state: AppState, delay: float | None = None) -> None:
        loop = asyncio.get_event_loop()
        handle = self._timers.pop(state.root, None)
        if handle is not None:
            handle.cancel()
        delay = self.debounce if delay is None else delay
        self._timers[state.root] = loop.call_later(delay, self.validate_now, state)

    def validate_now(self, state: AppState) -> None:
        """Start validating ``state`` on the worker thread (or once the running one ends)."""
        self._timers.pop(state.root, None)
        if state.root not in self.ws.apps:
            return
        if state.root in self._running:
            self._again.add(state.root)
            return
        snap = self.ws.snapshot(state)
        self.validations += 1
        future = asyncio.wrap_future(self.validator.submit(state.root, state.loose, snap))
        self._running[state.root] = future
        future.add_done_callback(lambda f: self._finished(state, snap, f))

    def _finished(self, state: AppState, snap: Snapshot, future: asyncio.Future) -> None:
        self._running.pop(state.root, None)
        again = state.root in self._again
        self._again.discard(state.root)
        if state.root not in self.ws.apps or future.cancelled():
            return
        error = future.exception()
        if isinstance(error, ValidationProcessDied) and not again:  # the child died: once more, in a new one
            log.error("the validation process of %s died", state.root)
            again = snap.generation != state.died_at
            state.died_at = snap.generation
        elif error is not None:  # Workspace.run keeps the front end's failures; this is a bug of ours
            log.error("validation of %s failed", state.root, exc_info=error)
        elif self.ws.is_current(state, snap):
            self.publish(state, future.result())
            state.refresh_graph = True
        else:  # a newer edit arrived meanwhile: its own validation is scheduled or waiting
            self.superseded += 1
        if again:
            self.validate_now(state)

    def publish(self, state: AppState, by_file: dict) -> None:
        """Send the diagnostics of every file whose problems changed, and of the edited files."""
        touched, state.touched = state.touched, set()
        published: dict[str, tuple] = {}
        for rel in sorted(set(by_file) | set(state.published) | touched):
            problems = by_file.get(rel, [])
            fingerprint = tuple(problems)
            if rel not in touched and state.published.get(rel) == fingerprint:
                published[rel] = fingerprint
                continue
            path = state.root / rel
            lines = self.lines(path) if problems else None
            diagnostics = [lsp_diagnostic(p, lines, state.root, lambda r: self.lines(state.root / r)) for p in problems]
            version = None
            doc = self.workspace.text_documents.get(path_to_uri(path))
            if doc is not None:
                version = doc.version
            self.text_document_publish_diagnostics(
                t.PublishDiagnosticsParams(uri=path_to_uri(path), diagnostics=diagnostics, version=version)
            )
            if problems:
                published[rel] = fingerprint
        state.published = published

    def changed(self, uri: str, delay: float | None = None) -> None:
        path = uri_to_path(uri)
        if path is None:
            return
        doc = self.workspace.get_text_document(uri)
        state = self.ws.set_document(path, doc.source)
        self.collector.activity()
        if state is not None:
            self.schedule(state, delay)


server = RbccLanguageServer()


@server.feature(t.INITIALIZE)
def initialize(ls: RbccLanguageServer, params: t.InitializeParams) -> None:
    """Discover the applications of every workspace folder and read the options."""
    ls.configure(params.initialization_options)
    folders = [f.uri for f in params.workspace_folders or []]
    if not folders and params.root_uri:
        folders = [params.root_uri]
    for uri in folders:
        path = uri_to_path(uri)
        if path is not None and path.is_dir():
            ls.ws.add_folder(path)


@server.feature(t.INITIALIZED)
def initialized(ls: RbccLanguageServer, params: t.InitializedParams) -> None:
    """Start the validation process; ask the client to watch the files of the applications."""
    ls.validator.start()
    caps = ls.client_capabilities
    watched = caps.workspace.did_change_watched_files if caps.workspace else None
    if watched is None or not watched.dynamic_registration:
        return
    watchers = [t.FileSystemWatcher(glob_pattern=g) for g in ("**/*.graph", "**/*.instances", "**/*.properties")]
    ls.client_register_capability(
        t.RegistrationParams(
            [
                t.Registration(
                    id="rbcc-watched-files",
                    method=t.WORKSPACE_DID_CHANGE_WATCHED_FILES,
                    register_options=t.DidChangeWatchedFilesRegistrationOptions(watchers=watchers),
                )
            ]
        )
    )


@server.feature(t.SHUTDOWN)
def shutdown(ls: RbccLanguageServer, params: Any) -> None:
    ls.validator.close()


@server.feature(t.TEXT_DOCUMENT_DID_OPEN)
def did_open(ls: RbccLanguageServer, params: t.DidOpenTextDocumentParams) -> None:
    ls.changed(params.text_document.uri)  # debounced: opening many files costs one validation


@server.feature(t.TEXT_DOCUMENT_DID_CHANGE)
def did_change(ls: RbccLanguageServer, params: t.DidChangeTextDocumentParams) -> None:
    ls.changed(params.text_document.uri)


@server.feature(t.TEXT_DOCUMENT_DID_SAVE)
def did_save(ls: RbccLanguageServer, params: t.DidSaveTextDocumentParams) -> None:
    ls.changed(params.text_document.uri, delay=0)


@server.feature(t.TEXT_DOCUMENT_DID_CLOSE)
def did_close(ls: RbccLanguageServer, params: t.DidCloseTextDocumentParams) -> None:
    path = uri_to_path(params.text_document.uri)
    if path is not None:
        state = ls.ws.close_document(path)
        if state is not None:
            ls.schedule(state, 0)


@server.feature(t.WORKSPACE_DID_CHANGE_WATCHED_FILES)
def did_change_watched_files(ls: RbccLanguageServer, params: t.DidChangeWatchedFilesParams) -> None:
    """Files changed on disk: re-validate the applications they belong to (and their dependents)."""
    states: dict[Path, AppState] = {}
    for change in params.changes:
        path = uri_to_path(change.uri)
        if path is None or path.absolute() in ls.ws.documents:
            continue
        state = ls.ws.file_changed(path)
        if state is not None:
            states[state.root] = state
    for state in states.values():
        ls.schedule(state)


@server.feature(t.WORKSPACE_DID_CHANGE_CONFIGURATION)
def did_change_configuration(ls: RbccLanguageServer, params: t.DidChangeConfigurationParams) -> None:
    ls.configure(params.settings)


@server.feature(t.WORKSPACE_DID_CHANGE_WORKSPACE_FOLDERS)
def did_change_workspace_folders(ls: RbccLanguageServer, params: t.DidChangeWorkspaceFoldersParams) -> None:
    for folder in params.event.removed:
        path = uri_to_path(folder.uri)
        if path is not None:
            ls.ws.remove_folder(path)
    for folder in params.event.added:
        path = uri_to_path(folder.uri)
        if path is not None:
            ls.ws.add_folder(path)


@server.feature(STATS_REQUEST)
def stats(ls: RbccLanguageServer, params: Any) -> dict:
    """Counters for tests and benchmarks (validations run, applications known)."""
    rss = 0
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            rss = next((int(line.split()[1]) for line in status if line.startswith("VmRSS:")), 0)
    except OSError:
        pass
    return {
        "validations": ls.validations,
        "superseded": ls.superseded,
        "validating": len(ls._running),
        "validationPid": ls.validator.pid,
        "idleCollections": ls.collector.collections,
        "applications": [str(r) for r in ls.ws.apps],
        "debounceMs": ls.debounce * 1000,
        "rssKb": rss,
    }


completion.register(server)
navigation.register(server)
formatting.register(server)
folding.register(server)
semantic_tokens.register(server)
code_actions.register(server)
graph_view.register(server)


def main(tcp: str | None = None) -> None:
    """Run over stdio, or over TCP with ``HOST:PORT``."""
    IdleCollector.install()
    if tcp:
        host, _, port = tcp.rpartition(":")
        server.start_tcp(host or "127.0.0.1", int(port))
    else:
        server.start_io()


if __name__ == "__main__":  # pragma: no cover
    logging.basicConfig(level=logging.WARNING)
    main()
