"""Completion and hover in container metadata files (docs/container-metadata.md).

``graph/<Component>/container.properties`` of a non-root component, and the ``rbcc.*`` keys of a
root component's target files: keys with their documentation (``port.<var>`` and ``publish.<var>``
offered for each variable the component exports), the choices of enumerated values, and, on a key,
its documentation as hover.
"""

from __future__ import annotations

import re

from rbcc.dsl import KEY_CHOICES, KEY_DOCS, Graph, inheritance, key_doc, machine_roots
from rbcc.lsp.completion import ItemKind, Proposal

_KEY_CHARS = re.compile(r"[A-Za-z0-9_.@<>-]*$")


def metadata_file(rel: str, graph: Graph | None) -> tuple[str, bool] | None:
    """``(component, is_root_target)`` when ``rel`` is a metadata file of the graph, else None.

    Machines (roots installed by ``target``) keep their metadata in ``rbcc.*`` keys of their target
    files; every other component, a root of a recipe project included, in ``container.properties``.
    """
    parts = rel.split("/")
    if graph is None or len(parts) != 3 or parts[0] != "graph" or not parts[2].endswith(".properties"):
        return None
    component = graph.components.get(parts[1])
    if component is None:
        return None
    roots = {c.name for c in machine_roots(graph)}
    if component.name in roots:
        return component.name, True
    if parts[2] == "container.properties":
        return component.name, False
    return None


def _variables(graph: Graph, component: str) -> list[str]:
    c = graph.components[component]
    return sorted({k.split(".", 1)[1] if "." in k else k for k in inheritance.exports(graph, c)})


def complete(line_before: str, graph: Graph, component: str, root: bool) -> list[Proposal]:
    """Proposals for the cursor at the end of ``line_before`` (the current line up to the cursor)."""
    stripped = line_before.lstrip()
    if stripped.startswith(("#", "!")):
        return []
    prefix = "rbcc." if root else ""
    sep = re.search(r"[=:]", line_before)
    if sep is None:
        typed = _KEY_CHARS.search(line_before)
        word = typed.group(0) if typed else ""
        out = []
        for pattern, doc in KEY_DOCS.items():
            if pattern.endswith(">"):
                family = pattern.split("<", 1)[0]
                names = _variables(graph, component) if family in ("port.", "publish.") else []
                for name in names:
                    label = f"{prefix}{family}{name}"
                    if label.startswith(word):
                        out.append(Proposal(label, label + " = ", ItemKind.PROPERTY, len(word), doc))
                if not names:
                    label = f"{prefix}{family}"
                    if label.startswith(word):
                        out.append(Proposal(f"{label}…", label, ItemKind.PROPERTY, len(word), doc))
                continue
            label = prefix + pattern
            if label.startswith(word):
                out.append(Proposal(label, label + " = ", ItemKind.PROPERTY, len(word), doc))
        return out
    key = line_before[: sep.start()].strip()
    if root and not key.startswith("rbcc."):
        return []
    key = key.removeprefix("rbcc.").split("@", 1)[0]
    value = line_before[sep.end() :].lstrip()
    choices = KEY_CHOICES.get(key) or KEY_CHOICES.get("publish.<var>" if key.startswith("publish.") else "", ())
    if key == "ready":
        choices = tuple(f"{kind}:{v}" for kind in ("tcp", "http") for v in _variables(graph, component))
    return [Proposal(c, c, ItemKind.VALUE, len(value), key_doc(key)) for c in choices if c.startswith(value)]


def hover(line: str, column0: int) -> tuple[str, int, int] | None:
    """``(documentation, start, end)`` of the key under ``column0`` on a properties ``line``."""
    stripped = line.lstrip()
    if not stripped or stripped.startswith(("#", "!")):
        return None
    start = len(line) - len(stripped)
    m = re.match(r"[^\s=:]+", stripped)
    if m is None:
        return None
    end = start + m.end()
    if not start <= column0 < end:
        return None
    doc = key_doc(m.group(0))
    return (f"**{m.group(0)}**: {doc}", start, end) if doc else None
