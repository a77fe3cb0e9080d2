"""The documentation site in a real browser: headless Chromium driven over the DevTools protocol.

For each page: it loads without console error, exception or failed resource; the style sheet
applies; the diagrams are there and drawn.  Every link of every page (SVG node links included)
leads to a file of the site and, with a fragment, to an element of that page.  A phone-sized
viewport never scrolls sideways.  The flagship example's index is captured; with
``RBCC_UPDATE_GOLDEN=1`` the capture is kept as ``docs/images/storm-doc.png``.
"""

from __future__ import annotations

import base64
import contextlib
import json
import os
import shutil
import signal
import subprocess
import time
import urllib.request
from pathlib import Path
from urllib.parse import unquote, urldefrag, urlparse

import pytest

from rbcc.compiler.views import dot as dotgen
from rbcc.compiler.views.docsite import build_site, write_site
from rbcc.dsl.validate import Validator
from tests.support import FIXTURES, REPO, need

pytestmark = pytest.mark.browser

RELATIONS = FIXTURES / "diagrams" / "relations"
STORM = REPO / "examples" / "storm"
SCREENSHOT = REPO / "docs" / "images" / "storm-doc.png"
UPDATE = os.environ.get("RBCC_UPDATE_GOLDEN") == "1"
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--hide-scrollbars",
    "--remote-debugging-port=0",
]


def chromium() -> str | None:
    for name in (os.environ.get("RBCC_CHROMIUM"), "/usr/bin/chromium", "chromium", "chromium-browser", "google-chrome"):
        if name and shutil.which(name):
            return shutil.which(name)
    return None


class Browser:
    """Just enough of the Chrome DevTools protocol: one page, commands, events."""

    def __init__(self, exe: str, profile: Path) -> None:
        import websocket  # websocket-client

        self.proc = subprocess.Popen(
            [exe, *FLAGS, f"--user-data-dir={profile}", "about:blank"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        port_file = profile / "DevToolsActivePort"
        deadline = time.monotonic() + 60
        while not (port_file.is_file() and port_file.read_text().strip()):
            if time.monotonic() > deadline or self.proc.poll() is not None:
                self.close()
                raise RuntimeError("Chromium did not open its DevTools port")
            time.sleep(0.1)
        port = int(port_file.read_text().split()[0])
        targets = []
        while not targets:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list", timeout=10) as r:
                targets = [t for t in json.load(r) if t.get("type") == "page"]
            if not targets:
                time.sleep(0.1)
        self.ws = websocket.create_connection(targets[0]["webSocketDebuggerUrl"], timeout=60, suppress_origin=True)
        self.next_id = 0
        self.events: list[dict] = []
        for domain in ("Page", "Runtime", "Log"):
            self.send(f"{domain}.enable")

    def send(self, method: str, **params) -> dict:
        self.next_id += 1
        self.ws.send(json.dumps({"id": self.next_id, "method": method, "params": params}))
        while True:
            msg = json.loads(self.ws.recv())
            if msg.get("id") == self.next_id:
                if "error" in msg:
                    raise RuntimeError(f"{method}: {msg['error']}")
                return msg.get("result", {})
            self.events.append(msg)

    def wait_for(self, method: str, timeout: float = 30) -> dict:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for i, e in enumerate(self.events):
                if e.get("method") == method:
                    return self.events.pop(i)
            self.events.append(json.loads(self.ws.recv()))
        raise TimeoutError(method)

    def open(self, url: str) -> list[str]:
        """Navigate, wait for the load event, and return the errors reported meanwhile."""
        self.events.clear()
        self.send("Page.navigate", url=url)
        self.wait_for("Page.loadEventFired")
        self.send("Runtime.evaluate", expression="1")  # flush events queued before this point
        errors = []
        for e in self.events:
            m, p = e.get("method"), e.get("params", {})
            if m == "Runtime.consoleAPICalled" and p.get("type") in ("error", "assert", "warning"):
                errors.append(f"console.{p['type']}: {p.get('args')}")
            elif m == "Runtime.exceptionThrown":
                errors.append(f"exception: {p.get('exceptionDetails', {}).get('text')}")
            elif m == "Log.entryAdded" and p.get("entry", {}).get("level") in ("error", "warning"):
                errors.append(f"log: {p['entry'].get('text')} {p['entry'].get('url', '')}")
        return errors

    def eval(self, expression: str):
        r = self.send("Runtime.evaluate", expression=expression, returnByValue=True)
        if "exceptionDetails" in r:
            raise RuntimeError(r["exceptionDetails"])
        return r["result"].get("value")

    def screenshot(self, path: Path, width: int, height: int) -> None:
        self.send("Emulation.setDeviceMetricsOverride", width=width, height=height, deviceScaleFactor=1, mobile=False)
        data = self.send("Page.captureScreenshot", format="png")["data"]
        path.write_bytes(base64.b64decode(data))

    def close(self) -> None:
        """Ask Chromium to quit (it then reaps its own helpers); kill its process group if it won't."""
        import websocket

        try:
            if getattr(self, "ws", None) is not None:
                with contextlib.suppress(OSError, subprocess.TimeoutExpired, websocket.WebSocketException):
                    self.ws.send(json.dumps({"id": self.next_id + 1, "method": "Browser.close"}))
                    self.proc.wait(timeout=15)
                self.ws.close()
        finally:
            if self.proc.poll() is None:
                os.killpg(self.proc.pid, signal.SIGTERM)
                try:
                    self.proc.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    os.killpg(self.proc.pid, signal.SIGKILL)
                    self.proc.wait()


PAGE_FACTS = """(() => {
  const resolve = (a) => {
    const raw = a.getAttribute('href') || a.getAttributeNS('http://www.w3.org/1999/xlink', 'href');
    return raw === null ? null : new URL(raw, document.baseURI).href;
  };
  const svgs = [...document.querySelectorAll('figure.diagram svg')];
  return {
    links: [...document.querySelectorAll('a, link[href]')].map(resolve).filter(x => x !== null),
    ids: [...document.querySelectorAll('[id]')].map(e => e.id),
    diagrams: svgs.map(s => ({
      width: s.getBoundingClientRect().width,
      nodes: s.querySelectorAll('g.node').length,
      edges: s.querySelectorAll('g.edge').length,
    })),
    figures: document.querySelectorAll('figure.diagram').length,
    styled: getComputedStyle(document.querySelector('header')).borderBottomStyle === 'solid',
    overflow: document.documentElement.scrollWidth - window.innerWidth,
  };
})()"""


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    exe = chromium()
    need(exe is not None, "Chromium is not installed (Debian package chromium)")
    try:
        import websocket  # noqa: F401
    except ImportError:
        need(False, "the websocket-client package is not installed (pip install websocket-client)")
    b = Browser(exe, tmp_path_factory.mktemp("chromium-profile"))
    yield b
    b.close()


def site_dir(app: Path, out: Path) -> Path:
    need(dotgen.find_dot() is not None, "Graphviz's dot is not installed (Debian package graphviz)")
    application = Validator().validate(app).application
    site = build_site(application, "html")
    assert site.warnings == []
    write_site(site, out)
    return out


def crawl(browser: Browser, root: Path) -> dict[str, dict]:
    """Open every HTML page of the site; return the facts of each, keyed by relative path."""
    facts = {}
    for path in sorted(root.rglob("*.html")):
        rel = path.relative_to(root).as_posix()
        errors = browser.open(path.as_uri())
        assert errors == [], f"{rel}: {errors}"
        facts[rel] = browser.eval(PAGE_FACTS)
        assert facts[rel]["styled"], f"{rel}: the style sheet did not apply"
    return facts


def check_links(root: Path, facts: dict[str, dict]) -> None:
    ids = {rel: set(f["ids"]) for rel, f in facts.items()}
    for rel, f in facts.items():
        for link in f["links"]:
            url, frag = urldefrag(link)
            parsed = urlparse(url)
            assert parsed.scheme == "file", f"{rel}: non-local link {link}"
            target = Path(unquote(parsed.path))
            assert target.is_file(), f"{rel}: {link} leads nowhere"
            target_rel = target.relative_to(root).as_posix()
            if frag:
                assert unquote(frag) in ids.get(target_rel, set()), f"{rel}: no #{frag} in {target_rel}"


def test_fixture_site_in_chromium(browser, tmp_path):
    root = site_dir(RELATIONS, tmp_path / "site")
    facts = crawl(browser, root)
    assert len(facts) == 2 + 8 + 3  # index, instances, components, facets
    check_links(root, facts)
    index = facts["index.html"]
    assert index["figures"] == 1 and len(index["diagrams"]) == 1
    assert index["diagrams"][0]["nodes"] >= 11 and index["diagrams"][0]["edges"] >= 15
    inst = facts["instances.html"]
    assert len(inst["diagrams"]) == 2
    assert all(d["width"] > 100 for d in index["diagrams"] + inst["diagrams"])
    # diagram nodes link to the pages of their components
    assert any(link.endswith("/components/war.html") for link in index["links"])


def test_site_fits_a_phone(browser, tmp_path):
    root = site_dir(RELATIONS, tmp_path / "site")
    browser.send("Emulation.setDeviceMetricsOverride", width=390, height=844, deviceScaleFactor=2, mobile=True)
    try:
        for rel in (
            "index.html",
            "instances.html",
            "components/app-server.html",
            "components/lb.html",
            "facets/deployable.html",
        ):
            assert browser.open((root / rel).as_uri()) == []
            facts = browser.eval(PAGE_FACTS)
            assert facts["overflow"] <= 1, f"{rel} scrolls sideways on a phone by {facts['overflow']}px"
            for d in facts["diagrams"]:
                assert 0 < d["width"] <= 390
    finally:
        browser.send("Emulation.clearDeviceMetricsOverride")


def test_flagship_example_and_its_screenshot(browser, tmp_path):
    assert (STORM / "descriptor" / "application.properties").is_file(), "the flagship example is missing"
    root = site_dir(STORM, tmp_path / "site")
    facts = crawl(browser, root)
    check_links(root, facts)
    assert facts["index.html"]["diagrams"][0]["nodes"] > 5
    shot = tmp_path / "storm-doc.png"
    browser.open((root / "index.html").as_uri())
    height = min(int(browser.eval("document.documentElement.scrollHeight")), 2600)
    browser.screenshot(shot, 1000, height)
    browser.send("Emulation.clearDeviceMetricsOverride")
    data = shot.read_bytes()
    assert data.startswith(b"\x89PNG\r\n\x1a\n") and len(data) > 20_000
    if UPDATE:
        SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
        SCREENSHOT.write_bytes(data)
