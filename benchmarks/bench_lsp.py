"""Language-server benchmark through pytest-lsp on the 1,000-component synthetic application.

Measures, over stdio against the real server (``python -m rbcc.lsp.server``):

* opening every file of the application one after the other (59 files at 1,000 components):
  the time until each of them has diagnostics, and how many validations that cost;
* completion, hover and definition latency (p50/p95/max) in several contexts, idle;
* the same requests *while typing*: a keystroke every ``--keystroke-ms`` with the debounce
  lowered so that the application is re-validated after every keystroke, requests sent between
  keystrokes (validation runs on the server's worker thread meanwhile); the ratio typing/idle;
* the time from a one-character edit to fresh diagnostics for that version, minus the debounce;
* the server's resident memory before and after 1,000 edits (validated in batches).

Usage::

    .venv/bin/python benchmarks/bench_lsp.py [--components 1000] [--edits 1000] [--app DIR] [--keystrokes 60]
"""

from __future__ import annotations

import argparse
import asyncio
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from lsprotocol import types as t
from pytest_lsp import ClientServerConfig, client_capabilities

HERE = Path(__file__).resolve().parent
DEBOUNCE_MS = 200


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


async def stats(client) -> dict:
    result = await client.protocol.send_request_async("rbcc/stats", {})
    return result if isinstance(result, dict) else result._asdict()


def _probes(graph: Path, gtext: str, inst: Path, itext: str) -> list[tuple[str, Path, int, int]]:
    """Where to ask: completion after property colons and in blocks, hover and definition on
    type names (children, extends, facets, ``instance of``), spread over both files."""
    probes = []
    for i, line in enumerate(gtext.split("\n")):
        stripped = line.strip()
        for key in ("children:", "imports:", "facets:", "installer:"):
            if stripped.startswith(key):
                probes.append(("completion", graph, i, line.index(":") + 2))
        for key in ("children:", "extends:", "facets:"):
            if stripped.startswith(key):
                col = line.index(":") + 3
                probes.append(("hover", graph, i, col))
                probes.append(("definition", graph, i, col))
        if stripped.endswith("{"):
            probes.append(("completion", graph, i + 1, 1))
    for i, line in enumerate(itext.split("\n")):
        if line.strip().startswith("instance of"):
            col = line.index("of") + 3
            probes.append(("completion", inst, i, col))
            probes.append(("hover", inst, i, col + 1))
            probes.append(("definition", inst, i, col + 1))
        if line.strip().startswith("name:"):
            probes.append(("completion", inst, i, len(line) - len(line.lstrip())))
    return probes[:: max(1, len(probes) // 300)][:300]


async def _request(client, kind: str, path: Path, line: int, col: int):
    doc, pos = t.TextDocumentIdentifier(path.as_uri()), t.Position(line, col)
    if kind == "completion":
        return await client.text_document_completion_async(t.CompletionParams(doc, pos))
    if kind == "hover":
        return await client.text_document_hover_async(t.HoverParams(doc, pos))
    return await client.text_document_definition_async(t.DefinitionParams(doc, pos))


async def _measure(client, probes) -> dict[str, list[float]]:
    out: dict[str, list[float]] = {"completion": [], "hover": [], "definition": []}
    for kind, path, line, col in probes:
        t0 = time.perf_counter()
        await _request(client, kind, path, line, col)
        out[kind].append((time.perf_counter() - t0) * 1000)
    return out


async def run(app: Path, edits: int, keystrokes: int, keystroke_ms: int) -> list[tuple[str, str]]:
    config = ClientServerConfig(server_command=[sys.executable, "-m", "rbcc.lsp.server"])
    client = await config.start()

    @client.feature(t.CLIENT_REGISTER_CAPABILITY)
    def _register(params):
        return None

    versions: dict[str, int] = {}
    arrived: dict[str, asyncio.Event] = {}

    def _diagnostics(params: t.PublishDiagnosticsParams):
        if params.version is not None and params.version >= versions.get(params.uri, 0):
            arrived.setdefault(params.uri, asyncio.Event()).set()

    client.protocol.fm.features[t.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS] = _diagnostics  # replaces the default recorder

    await client.initialize_session(
        t.InitializeParams(
            capabilities=client_capabilities("visual-studio-code"),
            root_uri=app.as_uri(),
            workspace_folders=[t.WorkspaceFolder(app.as_uri(), app.name)],
            initialization_options={"debounceMs": DEBOUNCE_MS},
        )
    )
    graphs = sorted(app.glob("graph/**/*.graph"))
    instances = sorted(app.glob("instances/**/*.instances"))
    graph = max(graphs, key=lambda p: p.stat().st_size)
    inst = instances[0]
    texts = {p: p.read_text() for p in [*graphs, *instances]}

    # every file opened one after the other, as an editor restoring a session does
    started = time.perf_counter()
    for path, text in texts.items():
        uri = path.as_uri()
        versions[uri] = 1
        arrived[uri] = asyncio.Event()
        client.text_document_did_open(
            t.DidOpenTextDocumentParams(
                t.TextDocumentItem(uri, "roboconf-graph" if path.suffix == ".graph" else "roboconf-instances", 1, text)
            )
        )
    await asyncio.wait_for(asyncio.gather(*(arrived[p.as_uri()].wait() for p in texts)), 120)
    first = time.perf_counter() - started
    opened = await stats(client)
    rows = [
        (
            "files / lines",
            f"{len(graphs)} graph + {len(instances)} instances / "
            f"{sum(len(text.splitlines()) for text in texts.values())}",
        ),
        (
            f"open {len(texts)} files one after the other → all have diagnostics",
            f"{first * 1000:.0f} ms, {opened['validations']} validation(s) (debounce {DEBOUNCE_MS} ms)",
        ),
    ]

    probes = _probes(graph, texts[graph], inst, texts[inst])
    for kind, path, line, col in probes[:5]:  # warm-up
        await _request(client, kind, path, line, col)
    idle = await _measure(client, probes)

    # typing: one keystroke every keystroke_ms, the application re-validated after each
    client.workspace_did_change_configuration(t.DidChangeConfigurationParams({"rbcc": {"debounceMs": 10}}))
    uri = graph.as_uri()
    glines = texts[graph].split("\n")
    comment_line = next(i for i, line in enumerate(glines) if line.lstrip().startswith("#"))
    # the keystrokes lengthen the last name of an `exports:` line (the model changes each time)
    typed_line = next(i for i, line in enumerate(glines) if line.strip().startswith("exports:") and line.endswith(";"))
    semicolon = glines[typed_line].rindex(";")
    before = await stats(client)
    typing: dict[str, list[float]] = {"completion": [], "hover": [], "definition": []}
    validating = 0
    version = 1
    loop = asyncio.get_event_loop()
    for k in range(keystrokes):
        version += 1
        versions[uri] = version
        at = t.Position(typed_line, semicolon + k)
        client.text_document_did_change(
            t.DidChangeTextDocumentParams(
                t.VersionedTextDocumentIdentifier(uri=uri, version=version),
                [t.TextDocumentContentChangePartial(range=t.Range(at, at), text="x")],
            )
        )
        deadline = loop.time() + keystroke_ms / 1000
        j = 0
        while loop.time() < deadline - 0.06:
            await asyncio.sleep(0.02)
            kind, path, line, col = probes[(k * 7 + j) % len(probes)]
            j += 1
            t0 = time.perf_counter()
            await _request(client, kind, path, line, col)
            typing[kind].append((time.perf_counter() - t0) * 1000)
        validating += (await stats(client))["validating"]
        await asyncio.sleep(max(0.0, deadline - loop.time()))
    arrived[uri] = asyncio.Event()
    await asyncio.wait_for(arrived[uri].wait(), 60)  # the last keystroke gets its diagnostics
    after = await stats(client)
    # type the name back as it was (the later phases edit a valid application)
    version += 1
    versions[uri] = version
    start, end = t.Position(typed_line, semicolon), t.Position(typed_line, semicolon + keystrokes)
    client.text_document_did_change(
        t.DidChangeTextDocumentParams(
            t.VersionedTextDocumentIdentifier(uri=uri, version=version),
            [t.TextDocumentContentChangePartial(range=t.Range(start, end), text="")],
        )
    )
    arrived[uri] = asyncio.Event()
    await asyncio.wait_for(arrived[uri].wait(), 60)
    client.workspace_did_change_configuration(t.DidChangeConfigurationParams({"rbcc": {"debounceMs": DEBOUNCE_MS}}))
    for kind in ("completion", "hover", "definition"):
        a, b = idle[kind], typing[kind]
        rows.append(
            (
                f"{kind}: idle ({len(a)}) / while typing ({len(b)})",
                f"p50 {percentile(a, 50):.1f} / {percentile(b, 50):.1f} ms · "
                f"p95 {percentile(a, 95):.1f} / {percentile(b, 95):.1f} ms · "
                f"max {max(a):.1f} / {max(b):.1f} ms · p95 ×{percentile(b, 95) / max(percentile(a, 95), 0.01):.1f}",
            )
        )
    rows.append(
        (
            f"typing: {keystrokes} keystrokes, one every {keystroke_ms} ms",
            f"{after['validations'] - before['validations']} validations started, "
            f"{after['superseded'] - before['superseded']} superseded; a validation was running at "
            f"{validating} of {keystrokes} probes",
        )
    )

    # one-character edit -> fresh diagnostics (after the debounce)
    delays = []
    for k in range(15):
        version += 1
        versions[uri] = version
        arrived[uri] = asyncio.Event()
        if k % 2 == 0:
            change = t.TextDocumentContentChangePartial(
                range=t.Range(t.Position(comment_line, 1), t.Position(comment_line, 1)), text="x"
            )
        else:
            change = t.TextDocumentContentChangePartial(
                range=t.Range(t.Position(comment_line, 1), t.Position(comment_line, 2)), text=""
            )
        t0 = time.perf_counter()
        client.text_document_did_change(
            t.DidChangeTextDocumentParams(t.VersionedTextDocumentIdentifier(uri=uri, version=version), [change])
        )
        await asyncio.wait_for(arrived[uri].wait(), 60)
        delays.append((time.perf_counter() - t0) * 1000 - DEBOUNCE_MS)
    rows.append(
        (
            "edit → fresh diagnostics, after the 200 ms debounce",
            f"p50 {percentile(delays, 50):.0f} ms · p95 {percentile(delays, 95):.0f} ms",
        )
    )

    # memory over 1,000 edits (batches of 50, each batch validated once)
    before = await stats(client)
    rss = [before["rssKb"]]
    batch = 50
    for start in range(0, edits, batch):
        for k in range(start, min(edits, start + batch)):
            version += 1
            versions[uri] = version
            text = "x" if k % 2 == 0 else ""
            end = comment_line, (1 if k % 2 == 0 else 2)
            client.text_document_did_change(
                t.DidChangeTextDocumentParams(
                    t.VersionedTextDocumentIdentifier(uri=uri, version=version),
                    [
                        t.TextDocumentContentChangePartial(
                            range=t.Range(t.Position(comment_line, 1), t.Position(*end)), text=text
                        )
                    ],
                )
            )
        arrived[uri] = asyncio.Event()
        await asyncio.wait_for(arrived[uri].wait(), 60)
        rss.append((await stats(client))["rssKb"])
    after = await stats(client)
    rows.append(
        (f"validations for {edits} edits in bursts of {batch}", str(after["validations"] - before["validations"]))
    )
    rows.append(
        (
            "server RSS before / after edits",
            f"{rss[0] / 1024:.0f} MB / {rss[-1] / 1024:.0f} MB "
            f"(max {max(rss) / 1024:.0f} MB; after 1st batch {rss[1] / 1024:.0f} MB)",
        )
    )
    await client.shutdown_session()
    await client.stop()
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--components", type=int, default=1000)
    parser.add_argument("--edits", type=int, default=1000)
    parser.add_argument("--app", type=Path, help="use this application instead of generating one")
    parser.add_argument("--keystrokes", type=int, default=60, help="keystrokes of the typing phase")
    parser.add_argument("--keystroke-ms", type=int, default=250, help="time between two keystrokes")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        app = args.app
        if app is None:
            app = Path(tmp) / f"app-{args.components}"
            subprocess.run(
                [sys.executable, str(HERE / "generate.py"), str(args.components), str(app), "--seed", "1"],
                check=True,
                stdout=subprocess.DEVNULL,
            )
        rows = asyncio.run(run(app.resolve(), args.edits, args.keystrokes, args.keystroke_ms))
    width = max(len(k) for k, _ in rows)
    print(f"rbcc language server, {args.components}-component synthetic application")
    print("-" * (width + 50))
    for key, value in rows:
        print(f"{key:<{width}}  {value}")


if __name__ == "__main__":
    main()
