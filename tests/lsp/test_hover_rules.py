"""Hover texts from the occurrence index, as pure functions (no server)."""

from __future__ import annotations


def test_hover_on_an_external_import_says_what_it_is_not_unknown_type():
    from rbcc.dsl import graph_from_files, parse_text
    from rbcc.lsp.navigation import Index, hover_text

    text = "A {\n\tinstaller: script;\n\timports: external Lamp.lb_ip, external Db.*;\n}\n"
    files = {"graph/a.graph": parse_text("graph/a.graph", text)}
    index = Index(graph_from_files(files), files)
    lamp = index.at("graph/a.graph", 3, 21)
    assert (lamp.kind, lamp.target) == ("external", "Lamp.lb_ip")
    text_of = hover_text(index, lamp)
    assert "unknown type" not in text_of and "exports-prefix = Lamp" in text_of
    assert "Every variable" in hover_text(index, index.at("graph/a.graph", 3, 42))
