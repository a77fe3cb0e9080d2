"""``rbcc doc``: the pages, their links, Markdown, writing, and the command."""

from __future__ import annotations

import posixpath
import re
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urldefrag

import pytest
from click.testing import CliRunner

from rbcc.cli.doc import doc
from rbcc.compiler.views import dot as dotgen
from rbcc.compiler.views.docsite import MARKER, OutputError, build_site, inline_svg, write_site
from rbcc.dsl.validate import Validator
from tests.support import FIXTURES, need

RELATIONS = FIXTURES / "diagrams" / "relations"
BROKEN = FIXTURES / "diagrams" / "broken"


def app_of(path: Path):
    return Validator().validate(path).application


@pytest.fixture(scope="module")
def site():
    return build_site(app_of(RELATIONS), "html")


def page(site, key: str) -> str:
    return site.files[key].decode("utf-8")


class Links(HTMLParser):
    """Every link target (href, src, xlink:href) and every id of an HTML page."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.links: list[str] = []
        self.ids: set[str] = set()

    def handle_starttag(self, tag, attrs):
        for k, v in attrs:
            if k in ("href", "src", "xlink:href", "data") and v is not None:
                self.links.append(v)
            if k == "id" and v:
                self.ids.add(v)


def parse(text: str) -> Links:
    p = Links()
    p.feed(text)
    return p


def broken_links(files: dict[str, bytes], ext: str = ".html") -> list[str]:
    parsed = {k: parse(v.decode("utf-8")) for k, v in files.items() if k.endswith(ext)}
    bad = []
    for key, p in parsed.items():
        for link in p.links:
            target, frag = urldefrag(link)
            if re.match(r"^[a-z]+:", target):
                bad.append(f"{key}: external link {link}")
                continue
            path = posixpath.normpath(posixpath.join(posixpath.dirname(key), unquote(target))) if target else key
            if path not in files:
                bad.append(f"{key}: {link} → no file {path}")
            elif frag and path in parsed and unquote(frag) not in parsed[path].ids:
                bad.append(f"{key}: {link} → no id {frag} in {path}")
    return bad


# ------------------------------------------------------------------------------------------
# Pages
# ------------------------------------------------------------------------------------------


def test_files_of_the_site(site):
    names = set(site.files)
    assert {"index.html", "instances.html", "style.css", MARKER} <= names
    comps = {"vm", "host", "db", "server", "app-server", "lb", "war", "runtime"}
    assert {f"components/{c}.html" for c in comps} <= names
    assert {f"facets/{f}.html" for f in ("web", "deployable", "artifact")} <= names
    for view in ("components", "instances", "wiring"):
        assert f"diagram-{view}.dot" in names
    if dotgen.find_dot() is not None:
        assert {f"diagram-{v}.svg" for v in ("components", "instances", "wiring")} <= names
    assert site.warnings == [] or dotgen.find_dot() is None


def test_every_internal_link_resolves(site):
    assert broken_links(site.files) == []


def test_no_external_asset_and_no_script(site):
    for key, data in site.files.items():
        if key.endswith((".html", ".css")):
            text = data.decode("utf-8")
            assert "http://" not in text.replace("http://www.w3.org/", "") and "https://" not in text, key
            assert "<script" not in text and "@import" not in text, key


def test_html_pages_are_mobile_ready(site):
    for key in ("index.html", "components/db.html", "instances.html"):
        text = page(site, key)
        assert '<meta name="viewport" content="width=device-width, initial-scale=1">' in text
        assert text.startswith("<!DOCTYPE html>") and '<html lang="en">' in text
    assert "@media (max-width: 40rem)" in page(site, "style.css")


def test_index_page(site):
    text = page(site, "index.html")
    assert "<h1>Relations</h1>" in text
    assert "Two machines kinds, inheritance" in text  # the descriptor's description
    assert "<code>1.0.0</code>" in text
    assert "<code>db.ip</code> as <code>Rel.db_ip</code>" in text
    assert "Valid: Roboconf" in text
    assert '<a href="components/app-server.html"><code>app-server</code></a>' in text
    assert "A server that runs deployable things" in text  # summary from the doc comment
    if dotgen.find_dot() is not None:
        assert '<figure class="diagram" id="diagram-components"><div class="scroll"><svg' in text
        assert 'xlink:href="components/war.html"' in text  # diagram nodes link to their pages


def test_component_page(site):
    text = page(site, "components/app-server.html")
    assert "<h1><code>app-server</code></h1>" in text
    assert "A server that runs deployable things (a facet used as a child); it is placed on a vm" in text
    assert "graph/main.graph</code>, line 32" in text
    # installer inherited, extends chain, facets inherited
    assert '<code>script</code> (inherited from <a href="server.html"><code>server</code></a>)' in text
    assert '<dt>Extends</dt><dd><a href="server.html"><code>server</code></a></dd>' in text
    assert '<a href="../facets/web.html"><code>web</code></a> (inherited)' in text
    # exported variables with their defaults
    assert re.search(r"<code>app-server\.port</code>.*?<code>9090</code>", text)
    assert re.search(r"<code>web\.httpPort</code>.*?<code>80</code>", text)
    # imports inherited from server, linked to their exporter
    assert re.search(r"<code>db\.ip</code>.*?required.*?db\.html.*?server\.html", text, re.DOTALL)
    # children: the declared facet and the components it stands for
    assert '<a href="../facets/deployable.html"><code>deployable</code></a>' in text
    assert '<a href="war.html"><code>war</code></a>' in text
    # recipes come from the super-component's directory
    assert "graph/server/</code> (inherited from" in text and "scripts/deploy.sh" in text
    assert "echo &quot;deploy server&quot;" in text
    assert '<a href="../instances.html#i-vm-app-app"><code>/vm-app/app</code></a>' in text


def test_component_without_things(site):
    text = page(site, "components/runtime.html")
    assert "None: this component needs nothing from the others." in text
    assert "None: nothing runs inside this component." in text
    text = page(site, "components/vm.html")
    assert "nothing: a root component" in text and "Machine" in text


def test_imports_page_shows_optional_wildcard_and_external(site):
    text = page(site, "components/lb.html")
    assert re.search(r"<code>web\.\*</code>.*?optional.*?server\.html", text, re.DOTALL)
    assert "another application (<code>Auth</code>)" in text and "bound at deployment" in text


def test_facet_page(site):
    text = page(site, "facets/deployable.html")
    assert "Something deployed into a server." in text
    assert '<dt>Extends</dt><dd><a href="artifact.html"><code>artifact</code></a></dd>' in text
    assert '<a href="../components/war.html"><code>war</code></a>' in text
    assert "<code>deployable.context</code>" in text and "<code>artifact.version</code>" in text
    assert "Placed under" in text and "app-server.html" in text


def test_instances_page(site):
    text = page(site, "instances.html")
    assert '<li id="i-vm-db1"><code>vm-db1</code>' in text and "(count 2)" in text
    assert '<li id="i-vm-db2"><code>vm-db2</code>' in text and "(copy made by count)" in text
    assert "overrides: <code>app-server.port = 9191</code>" in text
    # the wiring table: importer, imports, exporter, what it receives
    assert re.search(
        r"#i-vm-app-app-shop.*?<code>app-server\.port</code>.*?#i-vm-app-app.*?<code>app-server\.port = 9191</code>",
        text,
        re.DOTALL,
    )
    assert "<code>Auth.token</code>" in text
    if dotgen.find_dot() is not None:
        assert 'id="diagram-instances"' in text and 'id="diagram-wiring"' in text
        assert 'xlink:href="instances.html#i-vm-app-lb"' in text


def test_inline_svg_ids_are_unique_per_page(site):
    need(dotgen.find_dot() is not None, "Graphviz's dot is not installed (Debian package graphviz)")
    ids = re.findall(r'\bid="([^"]+)"', page(site, "instances.html"))
    assert len(ids) == len(set(ids))


def test_inline_svg():
    svg = '<?xml version="1.0"?>\n<!DOCTYPE svg>\n<!-- c -->\n<svg width="1pt"><g id="graph0" class="graph"><g id="node1"></g></g></svg>\n'
    assert (
        inline_svg(svg, "wiring")
        == '<svg width="1pt"><g id="wiring-graph0" class="graph"><g id="wiring-node1"></g></g></svg>\n'
    )


def test_application_with_errors():
    site = build_site(app_of(BROKEN), "html")
    text = site.files["index.html"].decode("utf-8")
    assert "1 errors and 0 warnings: this documentation shows what could be loaded." in text
    assert "<code>RM_UNRESOLVABLE_VARIABLE</code>" in text and "<code>graph/main.graph:10</code>" in text
    inst = site.files["instances.html"].decode("utf-8")
    assert "nothing exports it: the instance cannot start" in inst
    api = site.files["components/api.html"].decode("utf-8")
    assert re.search(r"<code>cache\.host</code>.*?<code>cache</code>.*?nothing", api, re.DOTALL)
    assert broken_links(site.files) == []


def test_deterministic():
    a = build_site(app_of(RELATIONS), "html", render=False)
    b = build_site(app_of(RELATIONS), "html", render=False)
    assert a.files == b.files


def test_without_dot_the_site_says_so(monkeypatch):
    monkeypatch.setenv(dotgen.DOT_ENV, "/nonexistent/dot")
    site = build_site(app_of(RELATIONS), "html")
    assert len(site.warnings) == 1 and "apt-get install graphviz" in site.warnings[0]
    assert not any(k.endswith(".svg") for k in site.files)
    text = site.files["index.html"].decode("utf-8")
    assert "Graphviz (dot) was not installed" in text and 'href="diagram-components.dot"' in text
    assert broken_links(site.files) == []


# ------------------------------------------------------------------------------------------
# Markdown
# ------------------------------------------------------------------------------------------


def md_broken_links(files: dict[str, bytes]) -> list[str]:
    bad = []
    anchors = {
        k: set(re.findall(r'<a id="([^"]+)"></a>', v.decode("utf-8"))) for k, v in files.items() if k.endswith(".md")
    }
    for key, data in files.items():
        if not key.endswith(".md"):
            continue
        for link in re.findall(r"\]\(([^)\s]+)\)", data.decode("utf-8")):
            target, frag = urldefrag(unquote(link))
            path = posixpath.normpath(posixpath.join(posixpath.dirname(key), target)) if target else key
            if path not in files:
                bad.append(f"{key}: {link}")
            elif frag and path.endswith(".md") and frag not in anchors[path]:
                bad.append(f"{key}: {link} (anchor)")
    return bad


def test_markdown_site():
    site = build_site(app_of(RELATIONS), "markdown")
    names = set(site.files)
    assert {"index.md", "instances.md", "components/app-server.md", "facets/web.md"} <= names
    assert "style.css" not in names
    assert md_broken_links(site.files) == []
    index = site.files["index.md"].decode("utf-8")
    assert index.startswith("[Relations](#) · [Instances](instances.md)")
    assert "# Relations" in index and "| [`app-server`](components/app-server.md) | `script` |" in index
    comp = site.files["components/app-server.md"].decode("utf-8")
    assert "## Exported variables" in comp and "| `app-server.port` | `9090` |" in comp
    assert "<details><summary>scripts/deploy.sh (" in comp
    if dotgen.find_dot() is not None:
        assert "![Components and facets" in index and "(diagram-components.svg)" in index


# ------------------------------------------------------------------------------------------
# Writing and the command
# ------------------------------------------------------------------------------------------


def test_write_site_new_then_replace(tmp_path):
    site = build_site(app_of(RELATIONS), "html", render=False)
    out = tmp_path / "doc"
    write_site(site, out)
    assert (out / "index.html").is_file() and (out / MARKER).is_file()
    (out / "stale.html").write_text("old")
    write_site(site, out)
    assert not (out / "stale.html").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["doc"]  # no staging or old copy left


def test_write_site_refuses_a_foreign_directory(tmp_path):
    (tmp_path / "mine.txt").write_text("keep me")
    with pytest.raises(OutputError, match="not written by rbcc doc"):
        write_site(build_site(app_of(RELATIONS), "html", render=False), tmp_path)
    assert (tmp_path / "mine.txt").read_text() == "keep me"


def test_write_site_into_an_empty_directory(tmp_path):
    write_site(build_site(app_of(RELATIONS), "html", render=False), tmp_path / "empty")
    (tmp_path / "e2").mkdir()
    write_site(build_site(app_of(RELATIONS), "html", render=False), tmp_path / "e2")
    assert (tmp_path / "e2" / "index.html").is_file()


def test_doc_command(tmp_path):
    out = tmp_path / "site"
    r = CliRunner().invoke(doc, [str(RELATIONS), "-o", str(out)], catch_exceptions=False)
    assert r.exit_code == 0, r.output
    assert (out / "index.html").is_file() and "open" in r.stderr
    r = CliRunner().invoke(doc, [str(RELATIONS), "-o", str(tmp_path / "md"), "--format", "markdown"])
    assert r.exit_code == 0 and (tmp_path / "md" / "index.md").is_file()


def test_doc_command_errors(tmp_path):
    r = CliRunner().invoke(doc, [str(tmp_path / "nope"), "-o", str(tmp_path / "out")])
    assert r.exit_code == 2 and "no such file" in r.stderr
    (tmp_path / "busy").mkdir()
    (tmp_path / "busy" / "x").write_text("x")
    r = CliRunner().invoke(doc, [str(RELATIONS), "-o", str(tmp_path / "busy")])
    assert r.exit_code == 2 and "not written by rbcc doc" in r.stderr
    r = CliRunner().invoke(doc, [str(BROKEN), "-o", str(tmp_path / "b")])
    assert r.exit_code == 0 and "1 error(s)" in r.stderr


def test_doc_command_with_dot_renders_svg(tmp_path):
    need(dotgen.find_dot() is not None, "Graphviz's dot is not installed (Debian package graphviz)")
    out = tmp_path / "site"
    CliRunner().invoke(doc, [str(RELATIONS), "-o", str(out)], catch_exceptions=False)
    assert (out / "diagram-wiring.svg").read_bytes().startswith(b"<?xml")


def test_too_dense_diagrams_are_not_rendered(monkeypatch):
    monkeypatch.setattr(dotgen, "too_dense", lambda d: d.view == "wiring")
    site = build_site(app_of(RELATIONS), "html")
    assert not any(k == "diagram-wiring.svg" for k in site.files) and "diagram-wiring.dot" in site.files
    assert any("wiring diagram not rendered" in w for w in site.warnings)
    assert "Too dense to lay out" in site.files["instances.html"].decode("utf-8")
    assert broken_links(site.files) == []


def test_long_wiring_tables_are_cut(monkeypatch):
    from rbcc.compiler.views import docsite

    monkeypatch.setattr(docsite, "MAX_WIRING_ROWS", 2)
    text = build_site(app_of(RELATIONS), "html", render=False).files["instances.html"].decode("utf-8")
    assert "5 more imports are not listed here" in text  # 6 bindings + 1 external, 2 shown
