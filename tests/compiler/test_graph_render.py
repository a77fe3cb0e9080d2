"""Rendering with the real Graphviz ``dot`` and the ``rbcc graph`` command."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from rbcc.cli.graph import graph
from rbcc.compiler.views import dot as dotgen
from rbcc.compiler.views.diagrams import Diagram, Edge, Node, build_diagram, node_id
from rbcc.dsl.validate import Validator
from tests.support import FIXTURES, REPO_DIR, need

RELATIONS = FIXTURES / "diagrams" / "relations"
BROKEN = FIXTURES / "diagrams" / "broken"
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def need_dot() -> None:
    need(dotgen.find_dot() is not None, "Graphviz's dot is not installed (Debian package graphviz)")


def run(*args: str, **kw):
    return CliRunner().invoke(graph, [str(a) for a in args], catch_exceptions=False, **kw)


def relations_diagram(view: str) -> Diagram:
    app = Validator().validate(RELATIONS).application
    return build_diagram(view, app.graph, app.instances, app.name)


# ------------------------------------------------------------------------------------------
# Real dot
# ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("view", ["components", "instances", "wiring"])
def test_svg_with_real_dot(view):
    need_dot()
    d = relations_diagram(view)
    svg = dotgen.render(dotgen.to_dot(d), "svg").decode("utf-8")
    assert svg.lstrip().startswith("<?xml") and "</svg>" in svg
    # every edge of the diagram is an SVG edge carrying its kind as a class
    classes = re.findall(r'<g id="edge\d+" class="edge ([^"]*)"', svg)
    assert sorted(c.split()[0] for c in classes) == sorted(e.kind for e in d.edges)
    for n in d.nodes.values():
        assert f"<title>{n.id}</title>" in svg.replace("&#45;", "-")
    assert 'class="node legend"' in svg


def test_png_and_pdf_with_real_dot():
    need_dot()
    source = dotgen.to_dot(relations_diagram("components"))
    png = dotgen.render(source, "png")
    assert png.startswith(PNG_MAGIC) and len(png) > 2000
    pdf = dotgen.render(source, "pdf")
    assert pdf.startswith(b"%PDF")


def test_rendering_is_deterministic():
    need_dot()
    source = dotgen.to_dot(relations_diagram("wiring"))
    assert dotgen.render(source, "svg") == dotgen.render(source, "svg")


def test_awkward_names_render():
    need_dot()
    d = Diagram("wiring", 'A "quoted" \\ title <x>')
    a, b = node_id("i", '/a:b/"c"\\ d'), node_id("i", "/é/z")
    d.add(Node(a, "instance", "x", 'x <b> & "y"', "line1\nline2", tooltip='t "q" \\'))
    d.add(Node(b, "instance", "z", "z"))
    d.link(Edge(a, b, "wiring", 'la"bel\\', tooltip="t\\"))
    svg = dotgen.render(dotgen.to_dot(d), "svg").decode("utf-8")
    assert svg.count('class="edge') == 1 and "x &lt;b&gt; &amp; &quot;y&quot;" in svg


def test_dot_errors_are_reported():
    need_dot()
    with pytest.raises(dotgen.RenderError, match="dot failed"):
        dotgen.render("digraph { a -> }", "svg")


def test_missing_dot_says_how_to_install(monkeypatch):
    monkeypatch.setenv(dotgen.DOT_ENV, "/nonexistent/dot")
    assert dotgen.find_dot() is None
    with pytest.raises(dotgen.DotNotFound, match="apt-get install graphviz"):
        dotgen.render("digraph {}", "svg")


# ------------------------------------------------------------------------------------------
# rbcc graph
# ------------------------------------------------------------------------------------------


def test_cli_dot_to_stdout_by_default():
    r = run(RELATIONS)
    assert r.exit_code == 0, r.output
    assert r.stdout.startswith("// rbcc graph --view components: Relations\ndigraph components {")


def test_cli_output_is_the_golden_file():
    r = run(RELATIONS, "--view", "wiring")
    golden = (REPO_DIR / "tests" / "golden") / "diagrams" / "relations-wiring.dot"
    assert r.stdout == golden.read_text(encoding="utf-8")


def test_cli_json(tmp_path):
    out = tmp_path / "d.json"
    r = run(RELATIONS, "--view", "instances", "-o", out)
    assert r.exit_code == 0, r.output
    doc = json.loads(out.read_text())
    assert doc["view"] == "instances" and doc["format"] == "rbcc-diagram"


@pytest.mark.parametrize(("suffix", "magic"), [(".svg", b"<?xml"), (".png", PNG_MAGIC), (".pdf", b"%PDF")])
def test_cli_format_from_suffix(tmp_path, suffix, magic):
    need_dot()
    out = tmp_path / f"components{suffix}"
    r = run(RELATIONS, "-o", out)
    assert r.exit_code == 0, r.output
    assert out.read_bytes().startswith(magic)
    assert [p.name for p in tmp_path.iterdir()] == [out.name]  # no temporary file left


def test_cli_explicit_format_wins_over_suffix(tmp_path):
    out = tmp_path / "x.svg"
    r = run(RELATIONS, "--format", "dot", "-o", out)
    assert r.exit_code == 0 and out.read_text().startswith("// rbcc graph")


def test_cli_binary_to_a_pipe():
    need_dot()
    r = run(RELATIONS, "--format", "png")
    assert r.exit_code == 0 and r.stdout_bytes.startswith(PNG_MAGIC)


def test_cli_focus_and_depth():
    r = run(RELATIONS, "--focus", "war", "--depth", "1", "--format", "json")
    names = {n["name"] for n in json.loads(r.stdout)["nodes"]}
    assert names == {"war", "deployable", "app-server"}


def test_cli_unknown_focus_is_a_usage_error():
    r = run(RELATIONS, "--focus", "warr")
    assert r.exit_code == 2 and "did you mean war" in r.output


def test_cli_no_legend():
    assert "legend [" in run(RELATIONS).stdout
    assert "legend [" not in run(RELATIONS, "--no-legend").stdout


def test_cli_no_such_application(tmp_path):
    r = run(tmp_path / "nope")
    assert r.exit_code == 2 and "no such file or directory" in r.stderr


def test_cli_not_an_application(tmp_path):
    r = run(tmp_path)
    assert r.exit_code == 2 and "not a Roboconf application" in r.stderr


def test_cli_application_with_errors_still_draws():
    r = run(BROKEN, "--view", "wiring")
    assert r.exit_code == 0
    assert "1 error(s)" in r.stderr and "rbcc validate" in r.stderr
    assert '"i//vm/api" -> "m/cache"' in r.stdout


def test_cli_nothing_to_draw(tmp_path):
    (tmp_path / "graph").mkdir()
    r = run(tmp_path)
    assert r.exit_code == 2 and "no graph could be loaded" in r.stderr


def test_cli_single_graph_file(tmp_path):
    g = tmp_path / "alone.graph"
    g.write_text("vm {\n\tinstaller: target;\n\tchildren: app;\n}\napp {\n\tinstaller: script;\n}\n")
    r = run(g)
    assert r.exit_code == 0, r.output
    assert '"c/vm" -> "c/app"' in r.stdout and "alone — components" in r.stdout


def test_cli_graph_file_inside_an_application_draws_the_application():
    r = run(RELATIONS / "graph" / "facets.graph")
    assert r.exit_code == 0 and '"c/lb"' in r.stdout


def test_cli_missing_dot_still_writes_dot(monkeypatch, tmp_path):
    monkeypatch.setenv(dotgen.DOT_ENV, "/nonexistent/dot")
    r = run(RELATIONS, "-o", tmp_path / "x.svg")
    assert r.exit_code == 2
    assert "apt-get install graphviz" in r.stderr and "--format dot" in r.stderr
    assert not (tmp_path / "x.svg").exists()
    r = run(RELATIONS, "-o", tmp_path / "x.dot")
    assert r.exit_code == 0 and (tmp_path / "x.dot").read_text().startswith("// rbcc graph")


def test_cli_unwritable_output(tmp_path):
    r = run(RELATIONS, "-o", tmp_path / "no" / "such" / "dir" / "x.dot")
    assert r.exit_code == 2 and "cannot write" in r.stderr


def test_cli_is_registered_in_rbcc():
    from rbcc.cli import main

    if "graph" not in main.commands:
        pytest.skip("rbcc.cli does not register the graph command yet")
    r = CliRunner().invoke(main, ["graph", "--help"])
    assert r.exit_code == 0 and "--view" in r.output


def test_rbcc_executable_end_to_end(tmp_path):
    exe = shutil.which("rbcc") or str(REPO_DIR / ".venv" / "bin" / "rbcc")
    if not Path(exe).exists():
        pytest.skip("the rbcc console script is not installed")
    from rbcc.cli import main

    if "graph" not in main.commands:
        pytest.skip("rbcc.cli does not register the graph command yet")
    import subprocess

    p = subprocess.run(
        [exe, "graph", str(RELATIONS), "--view", "instances"], capture_output=True, text=True, check=False
    )
    assert p.returncode == 0, p.stderr
    assert p.stdout.startswith("// rbcc graph --view instances")


def test_cli_without_the_graphviz_package(monkeypatch):
    import sys

    monkeypatch.setitem(sys.modules, "graphviz", None)  # "import graphviz" now raises ImportError
    r = run(RELATIONS)
    assert r.exit_code == 2 and "pip install graphviz" in r.stderr and "rbcc[graph]" not in r.stderr
