"""Hypothesis strategies for the differential tests: small Roboconf graphs and applications.

A strategy first draws a *valid-looking* model (components with installers, containment,
facets, ``extends``, exports with defaults, imports including wildcards and optional ones,
instances nested with ``count``), renders it as text, then injects 0-3 mistakes drawn from a
catalogue.  Whatever comes out, Roboconf's Java code is the judge: "valid" only means that no
mistake was injected on purpose.

The result is a ``Case``: ``files`` (relative path → text), ``dirs`` (extra empty directories),
``mistakes`` (names, for the report) and ``kind`` (``graph``: validate ``main.graph``;
``app``: validate the directory).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from hypothesis import strategies as st

COMPONENT_NAMES = ["VM", "Tomcat", "MySQL", "War", "Apache", "db-server", "App_1", "Node", "Lb", "Cache"]
FACET_NAMES = ["deployable", "web", "storage-facet"]
INSTALLERS = ["bash", "logger", "docker", "script", "file"]
#: (name, rendered export item); None value = no default
EXPORTS = [
    ("ip", "ip"),
    ("port", "port = 8080"),
    ("user", "user = admin"),
    ("msg", 'msg = "hello, world"'),
    ("path", 'path = "/opt/app"'),
    ("rport", "random[port] rport"),
    ("cfg", "cfg"),
    ("url", "url = http://x:80/a=b"),
]
FACET_EXPORTS = [("fport", "fport = 80"), ("fip", "fip"), ("level", "level = 3")]


# --------------------------------------------------------------------------------------------
# Text model: lines tagged with what they are, so that mistakes can target them
# --------------------------------------------------------------------------------------------


@dataclass
class Line:
    text: str
    kind: str  # decl | prop | close | import | blank | comment | other
    block: int = -1  # index of the top-level block it belongs to
    prop: str = ""  # property name for kind == prop
    depth: int = 0


@dataclass
class Case:
    kind: str  # "graph" | "app"
    files: dict[str, list[Line]] = field(default_factory=dict)
    dirs: list[str] = field(default_factory=list)
    mistakes: list[str] = field(default_factory=list)
    #: applications: "descriptor", or "flexible" / "recipe" (no descriptor: loaded flexibly,
    #: and filtered for reusable recipes when there is no instances file either)
    layout: str = "descriptor"

    def texts(self) -> dict[str, str]:
        return {p: "".join(line.text + "\n" for line in lines) for p, lines in self.files.items()}

    def write(self, root: Path) -> Path:
        """Write the case under ``root``; returns the path to validate."""
        for rel, text in self.texts().items():
            path = root / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
        for d in self.dirs:
            (root / d).mkdir(parents=True, exist_ok=True)
        return root / "main.graph" if self.kind == "graph" else root

    def describe(self) -> str:
        parts = [f"kind={self.kind} layout={self.layout} mistakes={self.mistakes}"]
        for rel, text in sorted(self.texts().items()):
            parts.append(f"--- {rel}\n{text}")
        if self.dirs:
            parts.append(f"--- dirs: {sorted(self.dirs)}")
        return "\n".join(parts)


# --------------------------------------------------------------------------------------------
# Graph model
# --------------------------------------------------------------------------------------------


@dataclass
class Comp:
    name: str
    installer: str | None
    extends: str | None = None
    facets: list[str] = field(default_factory=list)
    children: list[str] = field(default_factory=list)
    exports: list[tuple[str, str]] = field(default_factory=list)
    imports: list[str] = field(default_factory=list)
    root: bool = False
    parents: list[str] = field(default_factory=list)
    via_facet: str | None = None


@dataclass
class Fac:
    name: str
    extends: list[str] = field(default_factory=list)
    children: list[str] = field(default_factory=list)
    exports: list[tuple[str, str]] = field(default_factory=list)


@dataclass
class GraphModel:
    comps: list[Comp]
    facets: list[Fac]

    def comp(self, name: str) -> Comp | None:
        return next((c for c in self.comps if c.name == name), None)


@st.composite
def graph_models(draw) -> GraphModel:
    """A graph meant to be valid: no containment cycle, roots with the target installer."""
    n = draw(st.integers(2, 5))
    names = draw(st.permutations(COMPONENT_NAMES))[:n]
    n_roots = draw(st.integers(1, min(2, n - 1)))
    comps: list[Comp] = []
    n_facets = draw(st.integers(0, 2))
    facets = [Fac(name) for name in draw(st.permutations(FACET_NAMES))[:n_facets]]
    for f_i, f in enumerate(facets):
        f.exports = draw(st.lists(st.sampled_from(FACET_EXPORTS), max_size=2, unique_by=lambda e: e[0]))
        if f_i > 0 and draw(st.booleans()):
            f.extends = [facets[0].name]
    # a facet either tags components (shared exports, its own children) or is used as a child
    # ("any component with this facet"): mixing both roles makes containment cycles
    child_role = {f.name: draw(st.booleans()) for f in facets}
    tags = [f for f in facets if not child_role[f.name]]
    child_facets = [f for f in facets if child_role[f.name]]
    ancestors: dict[str, set[str]] = {}
    for i, name in enumerate(names):
        root = i < n_roots
        c = Comp(name, "target" if root else draw(st.sampled_from(INSTALLERS)), root=root)
        c.exports = draw(st.lists(st.sampled_from(EXPORTS), max_size=3, unique_by=lambda e: e[0]))
        if tags and draw(st.integers(0, 3)) == 0:
            c.facets = [draw(st.sampled_from(tags)).name]
        c.via_facet = None
        anc: set[str] = set()
        if not root:
            # containment: a parent among the earlier components (or "any component with facet F")
            parent = draw(st.sampled_from(comps))
            if child_facets and draw(st.integers(0, 3)) == 0:
                # "any component with facet F": the parent lists the facet, the child has it
                f = draw(st.sampled_from(child_facets))
                holders = [x for x in comps if f.name in x.facets]
                if f.name not in parent.children:
                    parent.children.append(f.name)
                c.facets = [f.name]
                c.via_facet = f.name
                for x in [parent, *(x for x in comps if f.name in x.children)]:
                    anc |= {x.name} | ancestors[x.name]
                del holders
            else:
                parent.children.append(name)
                anc |= {parent.name} | ancestors[parent.name]
            c.parents.append(parent.name)
            if draw(st.integers(0, 4)) == 0 and len(comps) > 1:
                other = draw(st.sampled_from(comps))
                if other.name not in c.parents:
                    other.children.append(name)
                    c.parents.append(other.name)
                    anc |= {other.name} | ancestors[other.name]

            # inheritance: extend an earlier non-root component whose extends chain has no
            # ancestor (a sub-component has the children of its super-components)
            def chain(x: Comp) -> set[str]:
                out: set[str] = set()
                while x is not None and x.name not in out:
                    out.add(x.name)
                    x = next((y for y in comps if y.name == x.extends), None)
                return out

            candidates = [x for x in comps if not x.root and not (chain(x) & anc)]
            if candidates and draw(st.integers(0, 3)) == 0:
                sup = draw(st.sampled_from(candidates))
                c.extends = sup.name
                anc |= ancestors[sup.name]
                if draw(st.booleans()):
                    c.installer = None
        ancestors[name] = anc
        comps.append(c)
    # a tag facet's children: a leaf without facets that nothing extends
    leaves = [
        x for x in comps[n_roots:] if not x.children and not x.facets and not any(y.extends == x.name for y in comps)
    ]
    for f in tags:
        if leaves and draw(st.integers(0, 3)) == 0:
            f.children = [draw(st.sampled_from(leaves)).name]
    # imports of variables other components export
    by_name = {x.name: x for x in comps}
    for c in comps:
        # not its own variables: those of its super-components and facets are its own too
        own, own_facets, x = set(), set(), c
        while x is not None and x.name not in own:
            own.add(x.name)
            own_facets.update(x.facets)
            x = by_name.get(x.extends) if x.extends else None
        own_facets.update(g for f in facets if f.name in own_facets for g in f.extends)
        others = [x for x in comps if x.name not in own and x.exports]
        if not others or draw(st.integers(0, 2)) > 0:
            continue
        for _ in range(draw(st.integers(1, 2))):
            o = draw(st.sampled_from(others))
            var = draw(st.sampled_from(o.exports))[0]
            item = draw(st.sampled_from([f"{o.name}.{var}", f"{o.name}.*"]))
            used = [f for f in facets if f.exports and f.name not in own_facets]
            if used and draw(st.integers(0, 3)) == 0:
                f = draw(st.sampled_from(used))
                item = draw(st.sampled_from([f"{f.name}.{f.exports[0][0]}", f"{f.name}.*"]))
            if draw(st.integers(0, 2)) == 0:
                item += draw(st.sampled_from([" (optional)", "(OPTIONAL)"]))
            c.imports.append(item)
        if draw(st.integers(0, 5)) == 0:
            c.imports.append("external Other.lb_ip")
    return GraphModel(comps, facets)


def _render_props(props: list[tuple[str, str]], block: int, depth: int = 1) -> list[Line]:
    indent = "\t" * depth
    return [Line(f"{indent}{k}: {v};", "prop", block, k, depth) for k, v in props]


def render_graph(model: GraphModel, comps: list[Comp], facets: list[Fac], start_block: int = 0) -> list[Line]:
    out: list[Line] = []
    b = start_block
    for f in facets:
        props = []
        if f.extends:
            props.append(("extends", ", ".join(f.extends)))
        if f.children:
            props.append(("children", ", ".join(f.children)))
        if f.exports:
            props.append(("exports", ", ".join(e[1] for e in f.exports)))
        out.append(Line(f"facet {f.name} {{", "decl", b, "facet"))
        out += _render_props(props, b)
        out.append(Line("}", "close", b))
        out.append(Line("", "blank"))
        b += 1
    for c in comps:
        props = []
        if c.installer is not None:
            props.append(("installer", c.installer))
        if c.extends:
            props.append(("extends", c.extends))
        if c.facets:
            props.append(("facets", ", ".join(c.facets)))
        if c.children:
            props.append(("children", ", ".join(c.children)))
        if c.exports:
            props.append(("exports", ", ".join(e[1] for e in c.exports)))
        if c.imports:
            props.append(("imports", ", ".join(c.imports)))
        out.append(Line(f"{c.name} {{", "decl", b, "component"))
        out += _render_props(props, b)
        out.append(Line("}", "close", b))
        out.append(Line("", "blank"))
        b += 1
    return out


# --------------------------------------------------------------------------------------------
# Instances model
# --------------------------------------------------------------------------------------------


@dataclass
class Inst:
    component: str
    name: str
    count: int | None = None
    overrides: list[tuple[str, str]] = field(default_factory=list)
    children: list[Inst] = field(default_factory=list)


def _exported_names(model: GraphModel, c: Comp) -> list[str]:
    names = [e[0] for e in c.exports]
    sup = model.comp(c.extends) if c.extends else None
    if sup is not None and sup is not c:
        names += [e[0] for e in sup.exports]
    return names


@st.composite
def instance_trees(draw, model: GraphModel) -> list[Inst]:
    used: set[str] = set()

    def name_for(comp: str) -> str:
        base = draw(st.sampled_from([comp.lower(), f"{comp.lower()} 1", f"i-{comp.lower()}", f"{comp}_x"]))
        while base in used:
            base += "2"
        used.add(base)
        return base

    def make(c: Comp, depth: int) -> Inst:
        inst = Inst(c.name, name_for(c.name))
        if draw(st.integers(0, 4)) == 0:
            inst.count = draw(st.integers(2, 3))
        names = _exported_names(model, c)
        if names and draw(st.integers(0, 2)) == 0:
            var = draw(st.sampled_from(names))
            key = draw(st.sampled_from([var, f"{c.name}.{var}"]))
            inst.overrides.append((key, draw(st.sampled_from(["9000", '"a; b"', "x"]))))
        if depth < 3:
            for child_name in c.children:
                child = model.comp(child_name)
                if child is None:  # a facet: one of the components declared through it
                    cands = [x for x in model.comps if x.via_facet == child_name]
                    child = draw(st.sampled_from(cands)) if cands else None
                if child is not None and draw(st.integers(0, 2)) > 0:
                    inst.children.append(make(child, depth + 1))
        return inst

    roots = [c for c in model.comps if c.root]
    out = [make(c, 0) for c in roots if draw(st.integers(0, 3)) > 0]
    return out or [make(roots[0], 0)]


def render_instances(roots: list[Inst]) -> list[Line]:
    out: list[Line] = []

    def emit(inst: Inst, block: int, depth: int) -> None:
        ind = "\t" * depth
        out.append(Line(f"{ind}instance of {inst.component} {{", "decl", block, "instance", depth))
        props = [("name", inst.name)]
        if inst.count is not None:
            props.append(("count", str(inst.count)))
        props += inst.overrides
        out.extend(_render_props(props, block, depth + 1))
        for ch in inst.children:
            emit(ch, block, depth + 1)
        out.append(Line(f"{ind}}}", "close", block, "", depth))

    for b, r in enumerate(roots):
        emit(r, b, 0)
        out.append(Line("", "blank"))
    return out


# --------------------------------------------------------------------------------------------
# Mistakes
# --------------------------------------------------------------------------------------------


def _lines_where(lines: list[Line], pred) -> list[int]:
    return [i for i, line in enumerate(lines) if pred(line)]


def _insert_prop(lines: list[Line], decl_index: int, text: str, prop: str) -> None:
    d = lines[decl_index]
    ind = "\t" * (d.depth + 1)
    lines.insert(decl_index + 1, Line(f"{ind}{text}", "prop", d.block, prop, d.depth + 1))


def _decls(lines: list[Line], what: str) -> list[int]:
    return _lines_where(lines, lambda line: line.kind == "decl" and line.prop == what)


def _name_of_decl(line: Line) -> str:
    text = line.text.strip()
    for kw in ("facet ", "instance of "):
        text = text.removeprefix(kw)
    return text.split("{")[0].strip()


# Each mistake: (name, applies-to file kind, function(draw, lines, model) -> bool applied)
# Graph-file mistakes ------------------------------------------------------------------------


def m_missing_semicolon(draw, lines, ctx):
    idx = _lines_where(lines, lambda line: line.kind == "prop")
    if not idx:
        return False
    i = draw(st.sampled_from(idx))
    lines[i].text = lines[i].text.rstrip(";")
    return True


def m_missing_close(draw, lines, ctx):
    idx = _lines_where(lines, lambda line: line.kind == "close")
    if not idx:
        return False
    del lines[draw(st.sampled_from(idx))]
    return True


def m_extra_after_open(draw, lines, ctx):
    idx = _lines_where(lines, lambda line: line.kind == "decl")
    if not idx:
        return False
    i = draw(st.sampled_from(idx))
    lines[i].text += draw(st.sampled_from([" x", " installer: bash;", " }"]))
    return True


def m_extra_after_close(draw, lines, ctx):
    idx = _lines_where(lines, lambda line: line.kind == "close")
    if not idx:
        return False
    i = draw(st.sampled_from(idx))
    lines[i].text += draw(st.sampled_from([" x", " ;", "}"]))
    return True


def m_missing_open(draw, lines, ctx):
    idx = _lines_where(lines, lambda line: line.kind == "decl")
    if not idx:
        return False
    i = draw(st.sampled_from(idx))
    lines[i].text = lines[i].text.replace("{", "").rstrip()
    return True


def m_invalid_line(draw, lines, ctx):
    idx = _lines_where(lines, lambda line: line.kind == "decl")
    if not idx:
        return False
    i = draw(st.sampled_from(idx))
    d = lines[i]
    lines.insert(
        i + 1,
        Line("\t" * (d.depth + 1) + draw(st.sampled_from(["oops", "installer = bash;", "a b c"])), "other", d.block),
    )
    return True


def m_unrecognized_block(draw, lines, ctx):
    pos = draw(st.sampled_from(_lines_where(lines, lambda line: line.kind == "blank") or [len(lines)]))
    lines.insert(pos, Line(draw(st.sampled_from(["???", "a b c d", "1 + 2"])), "other"))
    return True


def m_bad_component_name(draw, lines, ctx):
    idx = _decls(lines, "component")
    if not idx:
        return False
    i = draw(st.sampled_from(idx))
    old = _name_of_decl(lines[i])
    new = draw(st.sampled_from(["1bad", "my.comp", "bad name", "x$y", "-x"]))
    lines[i].text = lines[i].text.replace(old, new, 1)
    return True


def m_duplicate_component(draw, lines, ctx):
    idx = _decls(lines, "component")
    if not idx:
        return False
    i = draw(st.sampled_from(idx))
    block = [Line(line.text, line.kind, 999, line.prop, line.depth) for line in lines if line.block == lines[i].block]
    lines.extend(block + [Line("", "blank")])
    return True


def m_unknown_child(draw, lines, ctx):
    idx = _decls(lines, "component") + _decls(lines, "facet")
    if not idx:
        return False
    _insert_prop(lines, draw(st.sampled_from(idx)), "children: Ghost;", "children")
    return True


def m_unknown_facet(draw, lines, ctx):
    idx = _decls(lines, "component")
    if not idx:
        return False
    _insert_prop(lines, draw(st.sampled_from(idx)), "facets: ghost-facet;", "facets")
    return True


def m_unknown_extends(draw, lines, ctx):
    idx = _decls(lines, "component")
    if not idx:
        return False
    _insert_prop(
        lines,
        draw(st.sampled_from(idx)),
        draw(st.sampled_from(["extends: Ghost;", "extends: VM, Tomcat;", "extends: VM ;"])),
        "extends",
    )
    return True


def m_unresolvable_import(draw, lines, ctx):
    idx = _decls(lines, "component")
    if not idx:
        return False
    text = draw(
        st.sampled_from(
            [
                "imports: Ghost.x;",
                "imports: Ghost.*;",
                "imports: Ghost.x (optional);",
                "imports: noDot;",
                "imports: a b.c;",
            ]
        )
    )
    _insert_prop(lines, draw(st.sampled_from(idx)), text, "imports")
    return True


def m_root_not_target(draw, lines, ctx):
    idx = _lines_where(lines, lambda line: line.kind == "prop" and line.text.strip() == "installer: target;")
    if not idx:
        return False
    i = draw(st.sampled_from(idx))
    lines[i].text = lines[i].text.replace("target;", draw(st.sampled_from(["bash;", "target ;", "Target;"])))
    return True


def m_containment_cycle(draw, lines, ctx):
    comps = [c for c in ctx.comps if not c.root] if ctx else []
    roots = [c for c in ctx.comps if c.root] if ctx else []
    idx = _decls(lines, "component")
    if not comps or not roots or not idx:
        return False
    leaf = draw(st.sampled_from(comps)).name
    target = draw(st.sampled_from(roots + comps)).name
    for i in idx:
        if _name_of_decl(lines[i]) == leaf:
            _insert_prop(lines, i, f"children: {target};", "children")
            return True
    return False


def m_extends_cycle(draw, lines, ctx):
    idx = _decls(lines, "component")
    if len(idx) < 2:
        return False
    a, b = draw(st.permutations(idx))[:2]
    na, nb = _name_of_decl(lines[a]), _name_of_decl(lines[b])
    if draw(st.booleans()):
        _insert_prop(lines, a, f"extends: {na};", "extends")
        return True
    hi, lo = max(a, b), min(a, b)
    _insert_prop(lines, hi, f"extends: {nb if hi == a else na};", "extends")
    _insert_prop(lines, lo, f"extends: {nb if lo == a else na};", "extends")
    return True


def m_unknown_property(draw, lines, ctx):
    idx = _decls(lines, "component") + _decls(lines, "facet")
    if not idx:
        return False
    _insert_prop(
        lines,
        draw(st.sampled_from(idx)),
        draw(st.sampled_from(["foo: bar;", "Installer: bash;", "imports: x.y;", "name: x;"])),
        "foo",
    )
    return True


def m_duplicate_property(draw, lines, ctx):
    idx = _lines_where(lines, lambda line: line.kind == "prop")
    if not idx:
        return False
    i = draw(st.sampled_from(idx))
    lines.insert(i + 1, Line(lines[i].text, "prop", lines[i].block, lines[i].prop, lines[i].depth))
    return True


def m_bad_export(draw, lines, ctx):
    idx = _decls(lines, "component") + _decls(lines, "facet")
    if not idx:
        return False
    text = draw(
        st.sampled_from(
            [
                "exports: a,;",
                "exports: a,,b;",
                "exports: 1x;",
                "exports: random[port] p = 3;",
                "exports: random[ip] q;",
                'exports: c = "unterminated;',
                'exports: c = x"y";',
                "exports: external x;",
                "exports: , lead;",
                'exports: c = "#fff";',
                "exports: ;",
            ]
        )
    )
    _insert_prop(lines, draw(st.sampled_from(idx)), text, "exports")
    return True


def m_self_import(draw, lines, ctx):
    if not ctx:
        return False
    cands = [c for c in ctx.comps if c.exports]
    idx = _decls(lines, "component")
    if not cands or not idx:
        return False
    c = draw(st.sampled_from(cands))
    var = draw(st.sampled_from(c.exports))[0]
    for i in idx:
        if _name_of_decl(lines[i]) == c.name:
            _insert_prop(lines, i, f"imports: {draw(st.sampled_from([c.name + '.' + var, c.name + '.*']))};", "imports")
            return True
    return False


def m_empty_value(draw, lines, ctx):
    idx = _decls(lines, "component") + _decls(lines, "facet")
    if not idx:
        return False
    p = draw(st.sampled_from(["children", "facets", "extends", "installer", "exports", "imports"]))
    _insert_prop(lines, draw(st.sampled_from(idx)), f"{p}: {draw(st.sampled_from(['', ' ', ',']))};", p)
    return True


def m_one_block_per_line(draw, lines, ctx):
    idx = _lines_where(lines, lambda line: line.kind == "prop")
    if not idx:
        return False
    i = draw(st.sampled_from(idx))
    lines[i].text += draw(st.sampled_from([" x;", " }", "; "]))
    return True


def m_orphan_facet(draw, lines, ctx):
    children = draw(st.sampled_from(["", "\tchildren: Ghost;\n", "\texports: z = 1;\n"]))
    new = [Line("facet lonely {", "decl", 500, "facet")]
    for t in children.splitlines():
        new.append(Line(t, "prop", 500, t.split(":")[0].strip(), 1))
    new += [Line("}", "close", 500), Line("", "blank")]
    lines[0:0] = new
    return True


def m_conflicting_name(draw, lines, ctx):
    idx = _decls(lines, "component")
    if not idx:
        return False
    name = _name_of_decl(lines[draw(st.sampled_from(idx))])
    lines += [Line(f"facet {name} {{", "decl", 501, "facet"), Line("}", "close", 501), Line("", "blank")]
    return True


def m_missing_file_import(draw, lines, ctx):
    lines.insert(
        0,
        Line(
            draw(st.sampled_from(["import ghost.graph;", "import ghost.graph", "import ;", "import a.graph; x"])),
            "import",
        ),
    )
    return True


def m_instance_in_graph(draw, lines, ctx):
    idx = _decls(lines, "component")
    if not idx:
        return False
    if draw(st.booleans()):
        # a nested instance inside a component: silently accepted by Roboconf
        i = draw(st.sampled_from(idx))
        d = lines[i]
        lines[i + 1 : i + 1] = [
            Line("\tinstance of VM {", "other", d.block, "", 1),
            Line("\t\tname: x;", "other", d.block, "", 2),
            Line("\t}", "other", d.block, "", 1),
        ]
        return True
    lines += [
        Line("instance of VM {", "decl", 502, "instance"),
        Line("\tname: vm;", "prop", 502, "name", 1),
        Line("}", "close", 502),
    ]
    return True


def m_hash_in_value(draw, lines, ctx):
    idx = _lines_where(lines, lambda line: line.kind == "prop")
    if not idx:
        return False
    i = draw(st.sampled_from(idx))
    lines[i].text = lines[i].text.rstrip(";") + draw(st.sampled_from(["; # comment", " # no semicolon;"]))
    return True


def m_keyword_case(draw, lines, ctx):
    idx = _decls(lines, "facet") + _decls(lines, "instance")
    if not idx:
        return False
    i = draw(st.sampled_from(idx))
    lines[i].text = (
        lines[i]
        .text.replace("facet ", "FACET ", 1)
        .replace("instance of ", draw(st.sampled_from(["INSTANCE OF ", "instance  of ", "instanceof "])), 1)
    )
    return True


def m_facet_extends_cycle(draw, lines, ctx):
    idx = _decls(lines, "facet")
    if not idx:
        return False
    i = draw(st.sampled_from(idx))
    name = _name_of_decl(lines[i])
    if draw(st.booleans()) or len(idx) < 2:
        _insert_prop(lines, i, f"extends: {name};", "extends")
        return True
    j = draw(st.sampled_from([k for k in idx if k != i]))
    other = _name_of_decl(lines[j])
    hi, lo = (i, j) if i > j else (j, i)
    _insert_prop(lines, hi, f"extends: {other if hi == i else name};", "extends")
    _insert_prop(lines, lo, f"extends: {other if lo == i else name};", "extends")
    return True


def m_prefixed_export(draw, lines, ctx):
    """Exports written with a component's prefix (overriding an inherited one, or not)."""
    idx = _decls(lines, "component")
    if not idx or not ctx:
        return False
    i = draw(st.sampled_from(idx))
    prefix = draw(st.sampled_from([c.name for c in ctx.comps] + ["db"]))
    var = draw(st.sampled_from(["port", "ip", "user", "x"]))
    _insert_prop(
        lines, i, f"exports: {prefix}.{var} = {draw(st.sampled_from(['1', '']))};".replace(" = ;", ";"), "exports"
    )
    return True


def m_crlf(draw, lines, ctx):
    """Windows line endings on some lines (Roboconf deletes every \\r): never a mistake."""
    for line in lines:
        if draw(st.integers(0, 2)) == 0:
            line.text += "\r"
    return True


def m_random_edit(draw, lines, ctx):
    """A blind edit: delete, duplicate or swap lines, a stray brace, a broken colon, dedent."""
    if not lines:
        return False
    i = draw(st.integers(0, len(lines) - 1))
    op = draw(st.sampled_from(["delete", "duplicate", "swap", "brace", "colon", "dedent", "join"]))
    line = lines[i]
    if op == "delete":
        del lines[i]
    elif op == "duplicate":
        lines.insert(i, Line(line.text, line.kind, line.block, line.prop, line.depth))
    elif op == "swap" and i + 1 < len(lines):
        lines[i], lines[i + 1] = lines[i + 1], lines[i]
    elif op == "brace":
        lines.insert(i, Line("\t" * line.depth + draw(st.sampled_from(["{", "}", "} {"])), "other", line.block))
    elif op == "colon" and ":" in line.text:
        line.text = line.text.replace(":", draw(st.sampled_from([" ", "=", "::", " : "])), 1)
    elif op == "dedent":
        line.text = line.text.lstrip()
    elif op == "join" and i + 1 < len(lines):
        line.text = line.text + " " + lines[i + 1].text.strip()
        del lines[i + 1]
    else:
        return False
    return True


GRAPH_MISTAKES = [
    m_missing_semicolon,
    m_missing_close,
    m_extra_after_open,
    m_extra_after_close,
    m_missing_open,
    m_invalid_line,
    m_unrecognized_block,
    m_bad_component_name,
    m_duplicate_component,
    m_unknown_child,
    m_unknown_facet,
    m_unknown_extends,
    m_unresolvable_import,
    m_root_not_target,
    m_containment_cycle,
    m_extends_cycle,
    m_unknown_property,
    m_duplicate_property,
    m_bad_export,
    m_self_import,
    m_empty_value,
    m_one_block_per_line,
    m_orphan_facet,
    m_conflicting_name,
    m_missing_file_import,
    m_instance_in_graph,
    m_hash_in_value,
    m_keyword_case,
    m_facet_extends_cycle,
    m_prefixed_export,
    m_crlf,
    m_random_edit,
    m_random_edit,
]


# Instances mistakes --------------------------------------------------------------------------


def i_missing_name(draw, lines, ctx):
    idx = _lines_where(lines, lambda line: line.kind == "prop" and line.prop == "name")
    if not idx:
        return False
    del lines[draw(st.sampled_from(idx))]
    return True


def i_bad_count(draw, lines, ctx):
    idx = _decls(lines, "instance")
    if not idx:
        return False
    _insert_prop(
        lines,
        draw(st.sampled_from(idx)),
        f"count: {draw(st.sampled_from(['0', '-1', 'x', '3 ', '1', '+2', '99999999999']))};",
        "count",
    )
    return True


def i_bad_name(draw, lines, ctx):
    idx = _lines_where(lines, lambda line: line.kind == "prop" and line.prop == "name")
    if not idx:
        return False
    i = draw(st.sampled_from(idx))
    lines[i].text = lines[i].text.split(":")[0] + ": " + draw(st.sampled_from(["a/b", "1x", "", "x ", "é"])) + ";"
    return True


def i_unknown_component(draw, lines, ctx):
    idx = _decls(lines, "instance")
    if not idx:
        return False
    i = draw(st.sampled_from(idx))
    old = _name_of_decl(lines[i])
    new = draw(st.sampled_from(["Ghost", "deployable", old.lower() + "x"]))
    lines[i].text = lines[i].text.replace(f"instance of {old}", f"instance of {new}", 1)
    return True


def i_wrong_parent(draw, lines, ctx):
    if not ctx:
        return False
    idx = _decls(lines, "instance")
    if not idx:
        return False
    if draw(st.booleans()):
        # a root instance of a component that needs a parent
        nonroots = [c for c in ctx.comps if not c.root]
        if not nonroots:
            return False
        c = draw(st.sampled_from(nonroots))
        lines += [
            Line(f"instance of {c.name} {{", "decl", 600, "instance"),
            Line("\tname: orphan;", "prop", 600, "name", 1),
            Line("}", "close", 600),
        ]
        return True
    # a child instance under a parent that cannot contain it
    i = draw(st.sampled_from(idx))
    c = draw(st.sampled_from(ctx.comps))
    d = lines[i]
    ind = "\t" * (d.depth + 1)
    lines[i + 1 : i + 1] = [
        Line(f"{ind}instance of {c.name} {{", "decl", d.block, "instance", d.depth + 1),
        Line(f"{ind}\tname: wrong;", "prop", d.block, "name", d.depth + 2),
        Line(f"{ind}}}", "close", d.block, "", d.depth + 1),
    ]
    return True


def i_magic_override(draw, lines, ctx):
    idx = _decls(lines, "instance")
    if not idx:
        return False
    text = draw(
        st.sampled_from(
            [
                "magic: 5;",
                "Ghost.port: 1;",
                "port: ;",
                'cfg: "";',
                "data.x: 1;",
                "channels: a, b;",
                "instance-state: DEPLOYED;",
                "ip: 1.2.3.4;",
            ]
        )
    )
    _insert_prop(lines, draw(st.sampled_from(idx)), text, text.split(":")[0])
    return True


def i_duplicate_instance(draw, lines, ctx):
    idx = _decls(lines, "instance")
    if not idx:
        return False
    i = draw(st.sampled_from(idx))
    d = lines[i]
    # copy the block (up to its closing line at the same depth) right after it
    j = i + 1
    while j < len(lines) and not (lines[j].kind == "close" and lines[j].depth == d.depth):
        j += 1
    block = [Line(x.text, x.kind, x.block, x.prop, x.depth) for x in lines[i : j + 1]]
    lines[j + 1 : j + 1] = block
    return True


def i_count_conflict(draw, lines, ctx):
    idx = [i for i in _decls(lines, "instance") if lines[i].depth == 0]
    if not idx:
        return False
    i = draw(st.sampled_from(idx))
    comp = _name_of_decl(lines[i])
    _insert_prop(lines, i, "count: 2;", "count")
    for j in range(i + 1, len(lines)):
        if lines[j].prop == "name" and lines[j].block == lines[i].block:
            name = lines[j].text.split(":", 1)[1].strip().rstrip(";")
            lines[j].text = f"\tname: {name};"
            lines += [
                Line(f"instance of {comp} {{", "decl", 700, "instance"),
                Line(f"\tname: {name}{draw(st.sampled_from(['2', '1']))};", "prop", 700, "name", 1),
                Line("}", "close", 700),
            ]
            return True
    return False


def i_nested_count(draw, lines, ctx):
    idx = [i for i in _decls(lines, "instance") if lines[i].depth > 0]
    if not idx:
        return False
    _insert_prop(lines, draw(st.sampled_from(idx)), f"count: {draw(st.sampled_from(['2', '3', '10']))};", "count")
    return True


def i_instance_data(draw, lines, ctx):
    idx = _decls(lines, "instance")
    if not idx:
        return False
    text = draw(
        st.sampled_from(
            [
                "instance-data: ip.address = 10.0.0.1, k;",
                "instance-data: =x, a=b=c;",
                "instance-state: deployed_started;",
                "channels: ;",
                "channel: x;",
            ]
        )
    )
    _insert_prop(lines, draw(st.sampled_from(idx)), text, text.split(":")[0])
    return True


def i_component_in_instances(draw, lines, ctx):
    lines += [
        Line("Extra {", "decl", 800, "component"),
        Line("\tinstaller: bash;", "prop", 800, "installer", 1),
        Line("}", "close", 800),
    ]
    return True


INSTANCE_MISTAKES = [
    m_missing_semicolon,
    m_missing_close,
    m_extra_after_open,
    m_extra_after_close,
    m_missing_open,
    m_invalid_line,
    m_unrecognized_block,
    m_duplicate_property,
    m_one_block_per_line,
    m_missing_file_import,
    m_hash_in_value,
    m_keyword_case,
    i_missing_name,
    i_bad_count,
    i_bad_name,
    i_unknown_component,
    i_wrong_parent,
    i_magic_override,
    i_duplicate_instance,
    i_count_conflict,
    i_component_in_instances,
    i_nested_count,
    i_instance_data,
    m_crlf,
    m_random_edit,
    m_random_edit,
]


def _apply_mistakes(draw, catalogue, lines, ctx, n) -> list[str]:
    applied = []
    for _ in range(n):
        m = draw(st.sampled_from(catalogue))
        if m(draw, lines, ctx):
            applied.append(m.__name__)
    return applied


# --------------------------------------------------------------------------------------------
# Cases
# --------------------------------------------------------------------------------------------


def _split_graph(draw, model: GraphModel) -> tuple[list[Line], list[Line] | None]:
    """One graph file, or the entry file importing a second one with some of the components."""
    if len(model.comps) < 3 or draw(st.integers(0, 3)) > 0:
        return render_graph(model, model.comps, model.facets), None
    k = draw(st.integers(1, len(model.comps) - 1))
    main = [Line("import other.graph;", "import"), Line("", "blank")]
    main += render_graph(model, model.comps[:k], model.facets)
    other = render_graph(model, model.comps[k:], [], start_block=100)
    return main, other


@st.composite
def graph_cases(draw, max_mistakes: int = 3) -> Case:
    model = draw(graph_models())
    main, other = _split_graph(draw, model)
    case = Case("graph")
    n = draw(st.integers(0, max_mistakes))
    target = main
    if other is not None and draw(st.booleans()):
        target = other
    case.mistakes = _apply_mistakes(draw, GRAPH_MISTAKES, target, model, n)
    case.files["main.graph"] = main
    if other is not None:
        case.files["other.graph"] = other
    return case


DESCRIPTOR_MISTAKES = {
    "d_no_dsl_id": lambda props: props.pop("dsl-id", None),
    "d_bad_version": lambda props: props.__setitem__("version", "snapshot"),
    "d_bad_name": lambda props: props.__setitem__("name", "1 bad/name"),
    "d_missing_instances_ep": lambda props: props.__setitem__("instance-entry-point", "ghost.instances"),
    "d_bad_external_export": lambda props: props.update({"exports-prefix": "App", "exports": "Ghost.ip as lb"}),
}


@st.composite
def app_cases(draw, max_mistakes: int = 3, instances_only: bool = False) -> Case:
    """An application; ``instances_only``: with a descriptor, mistakes in the instances only
    (so that Roboconf gets to validate them)."""
    model = draw(graph_models())
    layouts = ["descriptor"] if instances_only else ["descriptor"] * 4 + ["flexible", "recipe"]
    layout = draw(st.sampled_from(layouts))
    if layout == "descriptor":
        main, other = _split_graph(draw, model)
    else:
        # Roboconf takes the first graph file it lists in graph/ (file-system order): only one
        main, other = render_graph(model, model.comps, model.facets), None
    roots = draw(instance_trees(model))
    inst = render_instances(roots)
    inst_other = None
    if len(roots) > 1 and draw(st.integers(0, 2)) == 0:
        inst = [Line("import other.instances;", "import"), Line("", "blank")] + render_instances(roots[:1])
        inst_other = render_instances(roots[1:])
    case = Case("app", layout=layout)
    props = {
        "name": "Test App",
        "version": "1.0.1-SNAPSHOT",
        "dsl-id": "roboconf-1.0",
        "graph-entry-point": "main.graph",
    }
    # without a descriptor, instance files decide between "flexible" and "recipe"
    with_instances = instances_only or layout == "flexible" or (layout == "descriptor" and draw(st.integers(0, 4)) > 0)
    if with_instances:
        props["instance-entry-point"] = "model.instances"
    exporting = [c for c in model.comps if c.exports]
    if exporting and draw(st.integers(0, 4)) == 0:
        c = draw(st.sampled_from(exporting))
        var = c.exports[0][0]
        props["exports-prefix"] = "App"
        props["exports"] = f"{c.name}.{var} as v1"

    n = draw(st.integers(0, max_mistakes))
    mistakes: list[str] = []
    for _ in range(n):
        where = (
            "instances"
            if instances_only
            else draw(st.sampled_from(["graph", "graph", "instances", "instances", "project"]))
        )
        if where == "graph":
            target = other if other is not None and draw(st.booleans()) else main
            mistakes += _apply_mistakes(draw, GRAPH_MISTAKES, target, model, 1)
        elif where == "instances" and with_instances:
            target = inst_other if inst_other is not None and draw(st.booleans()) else inst
            mistakes += _apply_mistakes(draw, INSTANCE_MISTAKES, target, model, 1)
        elif where == "project":
            m = draw(
                st.sampled_from(
                    [
                        *DESCRIPTOR_MISTAKES,
                        "p_no_resource_dir",
                        "p_unreachable_graph",
                        "p_misplaced_graph",
                        "p_empty_imported_graph",
                        "p_no_instances_ep",
                    ]
                )
            )
            if m == "p_empty_imported_graph":
                main.insert(0, Line("import empty.graph;", "import"))
            elif m == "p_no_instances_ep":
                props.pop("instance-entry-point", None)
            if layout != "descriptor" and m not in ("p_no_resource_dir", "p_misplaced_graph"):
                continue
            if m in DESCRIPTOR_MISTAKES:
                DESCRIPTOR_MISTAKES[m](props)
            mistakes.append(m)
    case.mistakes = mistakes

    if layout == "descriptor":
        case.files["descriptor/application.properties"] = [Line(f"{k} = {v}", "other") for k, v in props.items()]
    case.files["graph/main.graph"] = main
    if other is not None:
        case.files["graph/other.graph"] = other
    if with_instances:
        case.files["instances/model.instances"] = inst
        if inst_other is not None:
            case.files["instances/other.instances"] = inst_other
    dirs = [f"graph/{c.name}" for c in model.comps]
    if "p_no_resource_dir" in mistakes:
        dirs.remove(draw(st.sampled_from(dirs)))
    if "p_unreachable_graph" in mistakes:
        case.files["graph/unused.graph"] = [
            Line("Unused {", "decl"),
            Line("\tinstaller: target;", "prop"),
            Line("}", "close"),
        ]
    if "p_empty_imported_graph" in mistakes:
        case.files["graph/empty.graph"] = [Line(draw(st.sampled_from(["# nothing yet", ""])), "comment")]
    if "p_misplaced_graph" in mistakes:
        case.files["misplaced.graph"] = [Line("# nothing", "comment")]
    case.dirs = dirs
    return case
