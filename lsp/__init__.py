"""The Roboconf language server (pygls): diagnostics, completion, navigation, formatting, the graph view.

:func:`serve` runs it; ``rbcc lsp`` is its command line.
"""

from __future__ import annotations


def serve(tcp: str | None = None) -> None:
    """Run the server over stdio, or over TCP with ``HOST:PORT``."""
    from rbcc.lsp.server import main

    main(tcp)
