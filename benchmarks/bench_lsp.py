"""Language-server benchmark through pytest-lsp on the 1,000-component synthetic application.

Measures, over stdio against the real server (``python -m rbcc.lsp.server``):

* completion latency (p50/p95/max) in several contexts of a ~6,000-line, 50-file application;
* the time from a one-character edit to fresh diagnostics for that version, minus the debounce;
* the server's resident memory before and after 1,000 edits (validated in batches).

Usage::

    .venv/bin/python benchmarks/bench_lsp.py [--components 1000] [--edits 1000] [--app DIR]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
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


async def run(app: Path, edits: int) -> list[tuple[str, str]]:
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
    graph = max(graphs, key=lambda p: p.stat().st_size)
    inst = sorted(app.glob("instances/**/*.instances"))[0]
    texts = {graph: graph.read_text(), inst: inst.read_text()}
    for path, text in texts.items():
        uri = path.as_uri()
        versions[uri] = 1
        arrived[uri] = asyncio.Event()
        client.text_document_did_open(
            t.DidOpenTextDocumentParams(
                t.TextDocumentItem(uri, "roboconf-graph" if path.suffix == ".graph" else "roboconf-instances", 1, text)
            )
        )
    started = time.perf_counter()
    await asyncio.wait_for(arrived[graph.as_uri()].wait(), 120)
    first = time.perf_counter() - started
    rows = [
        (
            "files / lines",
            f"{len(graphs)} graph + {len(list(app.glob('instances/**/*.instances')))} instances / "
            f"{sum(len(p.read_text().splitlines()) for p in [*graphs, *app.glob('instances/**/*.instances')])}",
        ),
        ("first diagnostics after didOpen (cold)", f"{first * 1000:.0f} ms"),
    ]

    # completion in several contexts
    glines = texts[graph].split("\n")
    probes = []
    for i, line in enumerate(glines):
        stripped = line.strip()
        for key in ("children:", "imports:", "facets:", "installer:"):
            if stripped.startswith(key):
                probes.append((graph, i, line.index(":") + 2))
        if stripped.endswith("{"):
            probes.append((graph, i + 1, 1))
    ilines = texts[inst].split("\n")
    for i, line in enumerate(ilines):
        if line.strip().startswith("instance of"):
            probes.append((inst, i, line.index("of") + 3))
        if line.strip().startswith("name:"):
            probes.append((inst, i, len(line) - len(line.lstrip())))
    probes = probes[:: max(1, len(probes) // 200)][:200]
    for path, line, col in probes[:5]:  # warm-up
        await client.text_document_completion_async(
            t.CompletionParams(t.TextDocumentIdentifier(path.as_uri()), t.Position(line, col))
        )
    latencies, counts = [], []
    for path, line, col in probes:
        t0 = time.perf_counter()
        result = await client.text_document_completion_async(
            t.CompletionParams(t.TextDocumentIdentifier(path.as_uri()), t.Position(line, col))
        )
        latencies.append((time.perf_counter() - t0) * 1000)
        counts.append(len(result.items) if result else 0)
    rows.append(
        (
            f"completion ({len(latencies)} requests, {statistics.mean(counts):.0f} items avg)",
            f"p50 {percentile(latencies, 50):.1f} ms · p95 {percentile(latencies, 95):.1f} ms · max {max(latencies):.1f} ms",
        )
    )

    # one-character edit -> fresh diagnostics (after the debounce)
    uri = graph.as_uri()
    version = 1
    delays = []
    comment_line = next(i for i, line in enumerate(glines) if line.lstrip().startswith("#"))
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
        rows = asyncio.run(run(app.resolve(), args.edits))
    width = max(len(k) for k, _ in rows)
    print(f"rbcc language server, {args.components}-component synthetic application")
    print("-" * (width + 50))
    for key, value in rows:
        print(f"{key:<{width}}  {value}")


if __name__ == "__main__":
    main()
