"""``rbcc doc``: a static documentation site for an application (HTML or Markdown).

Pages: ``index`` (overview, validation summary, component and facet tables, the components
diagram), one page per component and per facet (doc comment, installer, inheritance, facets,
exported variables with defaults, imports with links to what exports them, children, recipe
files under ``graph/<Name>/``, instances) and ``instances`` (the instance tree, the resolved
wiring, the instances and wiring diagrams).  Diagrams are rendered to SVG with ``dot`` and
inlined in the HTML, so the site needs no server and no network; without ``dot`` the pages say
so and link the DOT sources instead.

``build_site`` returns the files in memory (deterministic: same application, same bytes);
``write_site`` writes them into a directory atomically (a new directory is swapped in).
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

from rbcc import __version__
from rbcc.compiler.views import dot as dotgen
from rbcc.compiler.views.diagrams import COMPONENT, FACET, INSTANCE, VIEWS, build_diagram
from rbcc.compiler.views.docformat import (
    RENDERERS,
    Bullets,
    Code,
    Details,
    Facts,
    Figure,
    Heading,
    Inlines,
    Item,
    Link,
    Page,
    Para,
    Pre,
    Site,
    Table,
    slugs,
)
from rbcc.compiler.wiring import resolve_wiring
from rbcc.dsl import Application, Component, Facet, Graph, Instance, resource_dir, walk_instances
from rbcc.dsl import inheritance as ih
from rbcc.errors import RbccError

FORMATS = ("html", "markdown")
#: marker file: a directory holding it was written by ``rbcc doc`` and may be replaced
MARKER = ".rbcc-doc"
#: recipe files up to this size are shown inline
MAX_INLINE_RECIPE = 32 * 1024
#: rows of the wiring table (a 1,000-component application has 28,000 instance imports)
MAX_WIRING_ROWS = 2000
#: seconds ``dot`` may take per diagram (thousands of nodes take minutes); the page then links the DOT
RENDER_TIMEOUT = 120.0

CAPTIONS = {
    "components": "Components and facets: containment, inheritance, facets and imports",
    "instances": "Instances, one box per machine (root instance)",
    "wiring": "Wiring: which instance imports which variables from which instance",
}


@dataclass
class SiteFiles:
    """The files of a site, by relative path, and what the reader should be told."""

    files: dict[str, bytes] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)


def build_site(app: Application, fmt: str = "html", *, render: bool = True) -> SiteFiles:
    """Every file of the documentation site of ``app`` (``render=False``: no ``dot`` run)."""
    if fmt not in FORMATS:
        raise ValueError(f"unknown format {fmt!r}; expected one of {', '.join(FORMATS)}")
    return _Builder(app, fmt, render).build()


class _Builder:
    def __init__(self, app: Application, fmt: str, render: bool) -> None:
        self.app = app
        self.fmt = fmt
        self.ext = ".html" if fmt == "html" else ".md"
        self.render = render
        self.graph: Graph = app.graph or Graph()
        self.roots: list[Instance] = app.instances or app.all_instances
        self.all_instances = list(walk_instances(self.roots))
        self.comp_slug = slugs(list(self.graph.components))
        self.facet_slug = slugs(list(self.graph.facets))
        paths = slugs([i.path for i in self.all_instances])
        self.anchor = {id(i): "i-" + paths[i.path] for i in self.all_instances}
        self.anchor_of_path = {i.path: self.anchor[id(i)] for i in self.all_instances}
        self.instances_of: dict[str, list[Instance]] = {}
        for i in self.all_instances:
            self.instances_of.setdefault(i.component_name, []).append(i)
        self.by_prefix: dict[str, set[str]] = {}
        self.by_variable: dict[str, set[str]] = {}
        for c in self.graph.components.values():
            for name in ih.exports(self.graph, c):
                self.by_variable.setdefault(name, set()).add(c.name)
                self.by_prefix.setdefault(name.split(".", 1)[0], set()).add(c.name)
        self.wiring = resolve_wiring(self.graph, self.all_instances)
        self.out = SiteFiles()

    # -- links ------------------------------------------------------------------------------

    def comp_page(self, name: str) -> str:
        return f"components/{self.comp_slug[name]}"

    def facet_page(self, name: str) -> str:
        return f"facets/{self.facet_slug[name]}"

    def node_link(self, name: str) -> Inlines:
        if name in self.graph.components:
            return Link(name, self.comp_page(name), code=True)
        if name in self.graph.facets:
            return Link(name, self.facet_page(name), code=True)
        return Code(name)

    def inst_link(self, inst: Instance) -> Link:
        return Link(inst.path, "instances", self.anchor[id(inst)], code=True)

    def _diagram_url(self, kind: str, name: str) -> str | None:
        """Links inside the diagrams: the SVG files sit at the site root, like the pages that embed them."""
        if kind in (COMPONENT, FACET):
            if name in self.graph.components:
                return self.comp_page(name) + self.ext
            if name in self.graph.facets:
                return self.facet_page(name) + self.ext
            return None
        if kind == INSTANCE and name in self.anchor_of_path:
            return f"instances{self.ext}#{self.anchor_of_path[name]}"
        return None

    # -- build ------------------------------------------------------------------------------

    def build(self) -> SiteFiles:
        figures = {view: self.figure(view) for view in VIEWS}
        pages = [self.index_page(figures["components"]), self.instances_page(figures)]
        pages += [self.component_page(c) for c in sorted(self.graph.components.values(), key=lambda c: c.name)]
        pages += [self.facet_page_(f) for f in sorted(self.graph.facets.values(), key=lambda f: f.name)]
        nav = [(self.app.name, "index"), ("Instances", "instances")]
        site = Site(self.app.name, pages, nav, f"Generated by rbcc {__version__} from {self.app.root.name}/")
        renderer = RENDERERS[self.fmt](site, f"rbcc {__version__}")
        for p in pages:
            self.out.files[p.key + self.ext] = renderer.page(p).encode("utf-8")
        if self.fmt == "html":
            css = resources.files("rbcc.compiler.views").joinpath("assets/site.css").read_bytes()
            self.out.files["style.css"] = css
        self.out.files[MARKER] = b"Written by rbcc doc; this directory is replaced on each run.\n"
        return self.out

    def figure(self, view: str) -> Figure:
        d = build_diagram(view, self.graph, self.roots, self.app.name, links=self._diagram_url)
        source = dotgen.to_dot(d)
        name = f"diagram-{view}"
        self.out.files[f"{name}.dot"] = source.encode("utf-8")
        if not self.render:
            return Figure(name, CAPTIONS[view], None, "Diagrams were not rendered.")
        if dotgen.too_dense(d):
            note = f"Too dense to lay out ({len(d.edges)} edges between {len(d.nodes)} nodes): see the DOT source, or `rbcc graph --focus`."
            self.out.warnings.append(f"{view} diagram not rendered: {len(d.edges)} edges between {len(d.nodes)} nodes")
            return Figure(name, CAPTIONS[view], None, note)
        try:
            svg = dotgen.render(source, "svg", timeout=RENDER_TIMEOUT)
        except dotgen.DotNotFound as exc:
            if str(exc) not in self.out.warnings:
                self.out.warnings.append(str(exc))
            return Figure(name, CAPTIONS[view], None, "Graphviz (dot) was not installed when this site was generated.")
        except dotgen.RenderError as exc:
            self.out.warnings.append(f"{view} diagram: {exc}")
            return Figure(name, CAPTIONS[view], None, f"The diagram could not be rendered: {exc}")
        self.out.files[f"{name}.svg"] = svg
        return Figure(name, CAPTIONS[view], inline_svg(svg.decode("utf-8"), view) if self.fmt == "html" else "")

    # -- pages ------------------------------------------------------------------------------

    def index_page(self, figure: Figure) -> Page:
        app, desc = self.app, self.app.descriptor
        blocks: list = [Heading(1, app.name)]
        if desc is not None and getattr(desc, "description", None):
            blocks.append(Para(desc.description or "", "lead"))
        facts: list[tuple[str, Inlines]] = []
        if desc is not None:
            for label, attr in (("Version", "version"), ("DSL", "dsl_id")):
                if getattr(desc, attr, None):
                    facts.append((label, Code(getattr(desc, attr))))
            if getattr(desc, "tags", None):
                facts.append(("Tags", ", ".join(desc.tags)))
        if app.graph_entry:
            facts.append(("Graph entry point", Code(app.graph_entry)))
        if app.instances_entry:
            facts.append(("Instances entry point", Code(app.instances_entry)))
        if desc is not None and getattr(desc, "exports_prefix", None):
            facts.append(("Exports prefix", Code(desc.exports_prefix or "")))
            exported = getattr(desc, "external_exports", {}) or {}
            if exported:
                facts.append(
                    (
                        "Exported to other applications",
                        _join(
                            [
                                [Code(e.internal), " as ", Code(f"{desc.exports_prefix}.{e.alias}")]
                                for e in exported.values()
                            ]
                        ),
                    )
                )
        g = self.graph
        facts.append(
            (
                "Contents",
                (
                    f"{len(g.components)} components, {len(g.facets)} facets, {len(self.roots)} root instances, "
                    f"{len(self.all_instances)} instances in all"
                ),
            )
        )
        blocks.append(Facts(facts))
        blocks += self.problems_blocks()
        blocks.append(Heading(2, "Components", "components"))
        rows: list[list[Inlines]] = []
        for c in sorted(g.components.values(), key=lambda c: c.name):
            rows.append([self.node_link(c.name), _code_or_dash(ih.installer(c)), _summary(c.doc)])
        blocks.append(Table(["Component", "Installer", "Summary"], rows) if rows else Para("No component.", "note"))
        blocks.append(Heading(2, "Facets", "facets"))
        rows = []
        for f in sorted(g.facets.values(), key=lambda f: f.name):
            users = _join([self.node_link(c.name) for c in sorted(f.components, key=lambda c: c.name)]) or "—"
            rows.append([self.node_link(f.name), users, _summary(f.doc)])
        blocks.append(Table(["Facet", "Components", "Summary"], rows) if rows else Para("No facet.", "note"))
        blocks.append(Heading(2, "Instances", "instances"))
        blocks.append(
            Para(
                [
                    f"{len(self.roots)} root instances (machines), {len(self.all_instances)} instances in all: see ",
                    Link("the instance tree and its wiring", "instances"),
                    ".",
                ]
            )
        )
        blocks.append(Heading(2, "Diagram", "diagram"))
        blocks.append(figure)
        return Page("index", self.app.name, blocks)

    def problems_blocks(self) -> list:
        problems = self.app.problems
        errors = sum(1 for p in problems if p.is_error)
        warnings = len(problems) - errors
        if not problems:
            return [Para("Valid: Roboconf's rules report no error and no warning.", "note")]
        out: list = [Heading(2, "Validation", "validation")]
        cls = "warning" if errors else "note"
        msg = f"{errors} errors and {warnings} warnings"
        if errors:
            msg += ": this documentation shows what could be loaded."
        out.append(Para([msg, " Run ", Code(f"rbcc validate {self.app.root.name}"), " for details."], cls))
        rows: list[list[Inlines]] = []
        for p in problems[:500]:
            where = f"{p.range.file}:{p.range.start_line}" if p.range else ""
            rows.append(
                [
                    Code(p.code),
                    p.level.name.lower() if hasattr(p.level, "name") else str(p.level),
                    Code(where) if where else "",
                    p.message,
                ]
            )
        out.append(Table(["Code", "Level", "Where", "Message"], rows))
        return out

    def component_page(self, c: Component) -> Page:
        g = self.graph
        blocks: list = [Heading(1, [Code(c.name)])]
        kind = (
            "Machine (root component with the target installer)"
            if (ih.installer(c) or "").strip() == "target"
            else "Component"
        )
        blocks.append(Para([kind, " — defined in ", Code(f"{c.file}"), f", line {c.name_range.start_line}."], "note"))
        blocks += _doc_blocks(c.doc)
        facts: list[tuple[str, Inlines]] = []
        inst = ih.installer(c)
        if c.installer is not None:
            facts.append(("Installer", Code(c.installer)))
        elif inst is not None:
            owner = next(x for x in ih.chain(c) if x.installer is not None)
            facts.append(("Installer", [Code(inst), " (inherited from ", self.node_link(owner.name), ")"]))
        else:
            facts.append(("Installer", "none"))
        chain = ih.chain(c)
        if len(chain) > 1:
            facts.append(("Extends", _join([self.node_link(x.name) for x in chain[1:]], " → ")))
        subs = [x for x in ih.sub_components(c) if x is not c]
        if subs:
            facts.append(
                ("Inheriting types", _join([self.node_link(x.name) for x in sorted(subs, key=lambda x: x.name)]))
            )
        facets = ih.all_facets(g, c)
        if facets:
            direct = {id(f) for f in c.facets}
            items = [
                [self.node_link(f.name)] + ([] if id(f) in direct else [" (inherited)"])
                for f in sorted(facets, key=lambda f: f.name)
            ]
            facts.append(("Facets", _join(items)))
        ancestors = ih.all_ancestors(g, c)
        facts.append(
            (
                "Placed under",
                _join([self.node_link(x.name) for x in sorted(ancestors, key=lambda x: x.name)])
                or "nothing: a root component",
            )
        )
        blocks.append(Facts(facts))
        blocks += self.exports_blocks(ih.exports(g, c), c)
        blocks += self.imports_blocks(c)
        blocks.append(Heading(2, "Children", "children"))
        if c.children or ih.all_children(g, c):
            declared = _join([self.node_link(x.name) for x in sorted(c.children, key=lambda x: x.name)]) or "none"
            effective = (
                _join([self.node_link(x.name) for x in sorted(ih.all_children(g, c), key=lambda x: x.name)]) or "none"
            )
            blocks.append(Facts([("Declared", declared), ("All components that can run inside", effective)]))
        else:
            blocks.append(Para("None: nothing runs inside this component.", "note"))
        blocks += self.recipe_blocks(c)
        blocks.append(Heading(2, "Instances", "instances"))
        mine = self.instances_of.get(c.name, [])
        if mine:
            blocks.append(Bullets([Item(self.inst_link(i)) for i in mine]))
        else:
            blocks.append(Para("No instance of this component.", "note"))
        return Page(self.comp_page(c.name), c.name, blocks)

    def facet_page_(self, f: Facet) -> Page:
        g = self.graph
        blocks: list = [Heading(1, [Code(f.name)])]
        blocks.append(Para(["Facet — defined in ", Code(f.file), f", line {f.name_range.start_line}."], "note"))
        blocks += _doc_blocks(f.doc)
        facts: list[tuple[str, Inlines]] = []
        if f.extends:
            facts.append(("Extends", _join([self.node_link(x.name) for x in sorted(f.extends, key=lambda x: x.name)])))
        if f.extending:
            facts.append(
                ("Extended by", _join([self.node_link(x.name) for x in sorted(f.extending, key=lambda x: x.name)]))
            )
        users = sorted({x.name for sub in ih.sub_facets(f) for x in sub.components})
        facts.append(
            ("Components with this facet", _join([self.node_link(n) for n in users]) or "none (an orphan facet)")
        )
        if f.children:
            facts.append(
                ("Children", _join([self.node_link(x.name) for x in sorted(f.children, key=lambda x: x.name)]))
            )
        if f.ancestors:
            facts.append(
                ("Placed under", _join([self.node_link(x.name) for x in sorted(f.ancestors, key=lambda x: x.name)]))
            )
        blocks.append(Facts(facts))
        blocks += self.exports_blocks(ih.facet_exports(g, f), None)
        return Page(self.facet_page(f.name), f.name, blocks)

    def exports_blocks(self, exports: dict[str, str | None], c: Component | None) -> list:
        out: list = [Heading(2, "Exported variables", "exports")]
        if not exports:
            return out + [Para("None.", "note")]
        random = {}
        if c is not None:
            for x in ih.chain(c):
                random.update(ih.random_exports(self.graph, x))
        rows: list[list[Inlines]] = []
        for name in sorted(exports):
            value = exports[name]
            prefix = name.split(".", 1)[0]
            if name in random:
                shown: Inlines = [f"random {random[name].random_kind} (assigned at deployment)"]
            else:
                shown = Code(value) if value is not None else "—"
            rows.append([Code(name), shown, self.node_link(prefix)])
        out.append(Table(["Variable", "Default value", "Prefix"], rows))
        return out

    def imports_blocks(self, c: Component) -> list:
        out: list = [Heading(2, "Imported variables", "imports")]
        imports = ih.imports(self.graph, c)
        if not imports:
            return out + [Para("None: this component needs nothing from the others.", "note")]
        declarer = {}
        for x in reversed(ih.chain(c)):
            for name in x.imports:
                declarer[name] = x.name
        rows: list[list[Inlines]] = []
        for name in sorted(imports):
            decl = imports[name]
            prefix = decl.prefix
            if decl.external:
                source: Inlines = ["another application (", Code(prefix), ")"]
                exporters: Inlines = "bound at deployment"
            else:
                source = self.node_link(prefix)
                names = self.by_prefix.get(prefix, set()) if decl.is_wildcard else self.by_variable.get(name, set())
                exporters = _join([self.node_link(n) for n in sorted(names) if n != c.name]) or (
                    "nothing" if not names else "itself only"
                )
            flags = "optional" if decl.optional else "required"
            by = self.node_link(declarer.get(name, c.name)) if declarer.get(name, c.name) != c.name else "here"
            rows.append([Code(name), source, flags, exporters, by])
        out.append(Table(["Variable", "From", "Required", "Exported by", "Declared"], rows))
        return out

    def recipe_blocks(self, c: Component) -> list:
        out: list = [Heading(2, "Recipe files", "recipes")]
        gdir = self.app.root / "graph"
        d = resource_dir(gdir, c)
        if d is None:
            return out + [Para(["No ", Code(f"graph/{c.name}/"), " directory."], "note")]
        rel = d.relative_to(self.app.root).as_posix()
        intro: list = ["From ", Code(rel + "/")]
        if d.name != c.name:
            intro += [" (inherited from ", self.node_link(d.name), ")"]
        out.append(Para(intro + ["."]))
        files = sorted(p for p in _files(d))
        if not files:
            return out + [Para("The directory is empty.", "note")]
        for p in files:
            r = p.relative_to(d).as_posix()
            size = p.stat().st_size
            text = _text_of(p) if size <= MAX_INLINE_RECIPE else None
            label = [Code(r), f" ({size} bytes)"]
            out.append(Details(label, [Pre(text)]) if text is not None else Para(label))
        return out

    def instances_page(self, figures: dict[str, Figure]) -> Page:
        blocks: list = [Heading(1, "Instances")]
        blocks.append(
            Para(f"{len(self.roots)} root instances (machines), {len(self.all_instances)} instances in all.", "note")
        )
        if not self.app.instances and self.app.all_instances:
            blocks.append(
                Para("The instances have errors: Roboconf would not deploy them; shown as written.", "warning")
            )
        blocks.append(Heading(2, "Instance tree", "tree"))
        if self.roots:
            blocks.append(Bullets([self.instance_item(r) for r in self.roots]))
        else:
            blocks.append(Para("No instance.", "note"))
        blocks += self.wiring_blocks()
        blocks.append(Heading(2, "Diagrams", "diagrams"))
        blocks += [figures["instances"], figures["wiring"]]
        return Page("instances", "Instances", blocks)

    def instance_item(self, inst: Instance) -> Item:
        text: list = [Code(inst.name), " — ", self.node_link(inst.component_name)]
        if inst.copied_from is not None:
            text.append(" (copy made by count)")
        elif inst.count > 1:
            text.append(f" (count {inst.count})")
        if inst.state != "NOT_DEPLOYED":
            text += [", state ", Code(inst.state)]
        if inst.overrides:
            text += [", overrides: ", _join([Code(f"{k} = {v}") for k, v in sorted(inst.overrides.items())])]
        if inst.data:
            text += [", data: ", _join([Code(k if v is None else f"{k} = {v}") for k, v in sorted(inst.data.items())])]
        return Item(text, self.anchor[id(inst)], [self.instance_item(c) for c in inst.children])

    def wiring_blocks(self) -> list:
        out: list = [Heading(2, "Wiring", "wiring")]
        w = self.wiring
        if not (w.bindings or w.unresolved or w.external):
            return out + [Para("No instance imports anything.", "note")]
        out.append(
            Para(
                "Each instance imports from every other instance that exports variables with the imported prefix.",
                "note",
            )
        )
        rows: list[list[Inlines]] = []
        for b in w.bindings:
            received = _join([Code(k if v is None else f"{k} = {v}") for k, v in b.variables]) or "nothing yet"
            rows.append([self.inst_link(b.importer), Code(b.group.label()), self.inst_link(b.exporter), received])
        for u in w.unresolved:
            status = "nothing exports it: the instance cannot start" if u.blocking else "nothing exports it (optional)"
            rows.append([self.inst_link(u.importer), Code(u.group.label()), "—", status])
        for x in w.external:
            rows.append(
                [
                    self.inst_link(x.importer),
                    Code(x.group.label()),
                    ["application ", Code(x.group.prefix)],
                    "bound at deployment",
                ]
            )
        out.append(Table(["Instance", "Imports", "From", "Variables received"], rows[:MAX_WIRING_ROWS]))
        if len(rows) > MAX_WIRING_ROWS:
            out.append(
                Para(
                    [
                        f"{len(rows) - MAX_WIRING_ROWS} more imports are not listed here: ",
                        Code("rbcc graph APP --view wiring --full --format json"),
                        " lists them all.",
                    ],
                    "note",
                )
            )
        return out


# ------------------------------------------------------------------------------------------
# Helpers
# ------------------------------------------------------------------------------------------

_SVG_START = re.compile(r"<svg\b")
_SVG_ID = re.compile(r'\bid="([^"]*)"')


def inline_svg(svg: str, view: str) -> str:
    """Graphviz SVG ready to inline in HTML: no XML prolog, ids prefixed (several per page)."""
    m = _SVG_START.search(svg)
    body = svg[m.start() :] if m else svg
    body = _SVG_ID.sub(lambda x: f'id="{view}-{x.group(1)}"', body)
    return body.rstrip() + "\n"


def _join(items: list, sep: str = ", ") -> list:
    out: list = []
    for i, x in enumerate(items):
        if i:
            out.append(sep)
        out.extend(x if isinstance(x, list) else [x])
    return out


def _code_or_dash(s: str | None) -> Inlines:
    return Code(s) if s else "—"


def _paragraphs(doc: str | None) -> list[str]:
    if not doc:
        return []
    paras, cur = [], []
    for line in doc.splitlines():
        if line.strip():
            cur.append(line.strip())
        elif cur:
            paras.append(" ".join(cur))
            cur = []
    if cur:
        paras.append(" ".join(cur))
    return paras


def _doc_blocks(doc: str | None) -> list:
    paras = _paragraphs(doc)
    if not paras:
        return [Para("No documentation comment: write `# ...` lines right above the declaration.", "note")]
    return [Para(p) for p in paras]


def _summary(doc: str | None) -> str:
    paras = _paragraphs(doc)
    if not paras:
        return ""
    first = paras[0]
    m = re.search(r"(?<=[.!?])\s", first)
    text = first[: m.start()] if m else first
    return text if len(text) <= 160 else text[:157].rstrip() + "…"


def _files(d: Path):
    for dirpath, dirnames, filenames in os.walk(d):
        dirnames[:] = sorted(x for x in dirnames if not x.startswith("."))
        for n in sorted(filenames):
            if not n.startswith("."):
                yield Path(dirpath) / n


def _text_of(p: Path) -> str | None:
    try:
        data = p.read_bytes()
    except OSError:
        return None
    if b"\0" in data:
        return None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return None


# ------------------------------------------------------------------------------------------
# Writing
# ------------------------------------------------------------------------------------------


class OutputError(RbccError):
    """The output directory cannot be used."""


def write_site(site: SiteFiles, out_dir: Path) -> None:
    """Write the site into ``out_dir`` as a whole: built beside it, then swapped in.

    ``out_dir`` must be new, empty, or a previous ``rbcc doc`` output (it holds ``.rbcc-doc``);
    anything else is refused rather than overwritten.
    """
    out_dir = Path(out_dir)
    if out_dir.exists():
        if not out_dir.is_dir():
            raise OutputError(f"{out_dir} exists and is not a directory")
        if any(out_dir.iterdir()) and not (out_dir / MARKER).is_file():
            raise OutputError(
                f"{out_dir} is not empty and was not written by rbcc doc; choose a new or empty directory"
            )
    parent = out_dir.parent
    parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.", dir=parent))
    try:
        for rel, data in sorted(site.files.items()):
            target = staging / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data)
        os.chmod(staging, 0o755)
        if out_dir.exists():
            old = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.old.", dir=parent))
            os.replace(out_dir, old / "site")
            os.replace(staging, out_dir)
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.replace(staging, out_dir)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
