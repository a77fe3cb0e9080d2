"""Checks on the recipe (resource) directories ``graph/<Component>/`` (dsl.md §12 step 2).

Roboconf looks for a resource directory per component and, depending on the component's own
installer, validates target properties, Puppet modules or script recipes.
"""

from __future__ import annotations

import re
from pathlib import Path

from rbcc.dsl.model import inheritance as ih
from rbcc.dsl.model.elements import Component, Graph
from rbcc.dsl.problems import Problem, problem
from rbcc.dsl.text.files import LayoutCache, RecipeKey

_PP_CLASS = re.compile(r"class\s+[\w:]+\s*\((.*?)\)\s*\{", re.DOTALL)


def resource_dir(graph_dir: Path, c: Component) -> Path | None:
    """First existing ``graph/<name>`` along the extends chain (§7.1)."""
    for x in ih.chain(c):
        d = graph_dir / x.name
        try:
            if d.is_dir():
                return d
        except OSError:  # e.g. a component name longer than the file system allows
            continue
    return None


def check_recipes(graph: Graph, graph_dir: Path, fs_cache: LayoutCache | None = None) -> list[Problem]:
    """Resource-directory problems of every component reachable from the roots (as Roboconf).

    With ``fs_cache``, a component whose declaration (name, chain, installer, imports, place)
    is unchanged reuses its earlier result instead of touching the disk again.
    """
    out: list[Problem] = []
    for c in ih.reachable_components(graph):
        if fs_cache is None:
            _check_component(graph, c, graph_dir, out)
            continue
        key: RecipeKey = (
            str(graph_dir),
            tuple(x.name for x in ih.chain(c)),
            c.installer,
            tuple(ih.imports(graph, c)),
            c.name_range,
        )
        hit = fs_cache.recipes.get(key)
        if hit is None:
            hit = []
            _check_component(graph, c, graph_dir, hit)
            fs_cache.recipes[key] = hit
        out.extend(hit)
    return out


def _check_component(graph: Graph, c: Component, graph_dir: Path, out: list[Problem]) -> None:
    d = resource_dir(graph_dir, c)
    if d is None:
        out.append(
            problem(
                "PROJ_NO_RESOURCE_DIRECTORY",
                c.name_range,
                ("COMPONENT", c.name),
                note=f"Create `graph/{c.name}/` with its recipes.",
            )
        )
        return
    own = (c.installer or "").lower()
    if own == "target" and any(d.rglob("*.properties")):
        _targets(c, d, out)
    elif own == "puppet":
        _puppet(graph, c, d, out)
    elif own == "script":
        if any(d.iterdir()) and not (d / "scripts").is_dir():
            out.append(
                problem(
                    "REC_SCRIPT_NO_SCRIPTS_DIR",
                    c.name_range,
                    ("COMPONENT", c.name),
                    note=f"Move the scripts to `graph/{d.name}/scripts/`.",
                )
            )


def _read_properties(path: Path) -> dict[str, str] | None:
    from rbcc.dsl.model.descriptor import read_properties_text

    try:
        return read_properties_text(path.read_bytes())
    except (OSError, ValueError):
        return None


#: rbcc's hint when the "target" is really container metadata put in a machine's directory
_CONTAINER_IN_TARGET_DIR = (
    "Roboconf parses every *.properties file of a target component's directory as a target, so "
    "container metadata cannot go in a container.properties here: move its keys into "
    "graph/{name}/target.properties with the `rbcc.` prefix (`rbcc.image = ...`) and delete the file."
)


def _targets(c: Component, d: Path, out: list[Problem]) -> None:
    ids: dict[str | None, list[str]] = {}
    for f in sorted(d.glob("*.properties")):
        props = _read_properties(f)
        if props is None:
            out.append(problem("REC_TARGET_INVALID_FILE_OR_CONTENT", c.name_range, ("FILE", f.name)))
            continue
        note = _CONTAINER_IN_TARGET_DIR.format(name=d.name) if f.name == "container.properties" else None
        tid = (props.get("id") or "").strip() or None
        if tid is None:
            out.append(problem("REC_TARGET_NO_ID", c.name_range, ("FILE", f.name), note=note))
        if not (props.get("handler") or "").strip():
            out.append(problem("REC_TARGET_NO_HANDLER", c.name_range, ("FILE", f.name), note=note))
        if not (props.get("name") or "").strip():
            out.append(problem("REC_TARGET_NO_NAME", c.name_range, ("FILE", f.name), note=note))
        ids.setdefault(tid, []).append(f.name)
    for tid, files in ids.items():
        if len(files) > 1:
            out.append(
                problem("REC_TARGET_CONFLICTING_ID", c.name_range, ("NAME", str(tid)), ("FILE", ", ".join(files)))
            )


def _puppet(graph: Graph, c: Component, d: Path, out: list[Problem]) -> None:
    imports = ih.imports(graph, c)
    if any(name.endswith(".*") for name in imports):
        out.append(problem("REC_PUPPET_DISLIKES_WILDCARD_IMPORTS", c.name_range, ("COMPONENT", c.name)))
    modules = [x for x in d.iterdir() if x.is_dir() and x.name.lower().startswith("roboconf_")]
    if not modules:
        out.append(problem("REC_PUPPET_HAS_NO_RBCF_MODULE", c.name_range, ("COMPONENT", c.name)))
        return
    if len(modules) > 1:
        out.append(problem("REC_PUPPET_HAS_TOO_MANY_RBCF_MODULES", c.name_range, ("COMPONENT", c.name)))
        return
    manifests = modules[0] / "manifests"
    if not manifests.is_dir():
        return
    prefixes = sorted({name.split(".", 1)[0].lower() for name in imports})
    update = manifests / "update.pp"
    if not update.is_file():
        update = manifests / "init.pp"
    for pp in sorted(manifests.glob("*.pp")):
        try:
            text = pp.read_text(encoding="utf-8", errors="replace")
        except OSError:
            continue
        params = " ".join(_PP_CLASS.findall(text))
        rel = f"{pp.parent.parent.name}/manifests/{pp.name}"
        if "$runningState" not in params:
            out.append(
                problem("REC_PUPPET_MISSING_PARAM_RUNNING_STATE", c.name_range, ("COMPONENT", c.name), ("FILE", rel))
            )
        if pp == update and "$importDiff" not in params:
            out.append(
                problem("REC_PUPPET_MISSING_PARAM_IMPORT_DIFF", c.name_range, ("COMPONENT", c.name), ("FILE", rel))
            )
        for prefix in prefixes:
            if f"${prefix}" not in params:
                out.append(
                    problem(
                        "REC_PUPPET_MISSING_PARAM_FROM_IMPORT",
                        c.name_range,
                        ("NAME", c.name),
                        ("FILE", rel),
                        ("EXPECTED", f"${prefix}"),
                    )
                )
