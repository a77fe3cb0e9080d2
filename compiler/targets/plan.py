"""The runtime plan: everything rbcc's executor needs to run an application, as one JSON document.

The executor runs it without reading the DSL again: instances in Roboconf's order with their parent,
component and installer; Roboconf's resolved exports (``null`` where Roboconf leaves a value to the
deployment: ``ip``, unassigned random ports) and the random ports allocated at compile time; per
import prefix the exporters it resolves to; per life-cycle step the recipe to run and what it waits
for, with the reason; a scoped instance's target files (``targets``); and the start-up waves.  The document's shape is published as a JSON Schema
(``plan.schema.json`` beside this module, ``docs/plan.md``); it has a format version so that an
executor can refuse a plan it does not understand.
"""

from __future__ import annotations

import json
from importlib import resources
from typing import Any

from rbcc.compiler.ir.model import CompiledApplication, ExternalIR, InstanceIR, TargetIR

FORMAT = "rbcc-plan/1"
PLAN_FILE = "plan/plan.json"


def schema() -> dict[str, Any]:
    """The JSON Schema of a plan (draft 2020-12)."""
    text = resources.files(__package__).joinpath("plan.schema.json").read_text(encoding="utf-8")
    result: dict[str, Any] = json.loads(text)
    return result


def _instance(ir: InstanceIR) -> dict[str, Any]:
    steps: dict[str, Any] = {}
    for recipe in ir.recipes:
        waits = [
            {"for": list(w.any_of), "state": w.state, "kind": w.kind, "reason": w.reason}
            for w in ir.waits
            if w.step == recipe.step
        ]
        steps[recipe.step] = {"recipe": recipe.kind, "file": recipe.file, "waits": waits}
    return {
        "path": ir.path,
        "name": ir.name,
        "component": ir.component,
        "installer": ir.installer,
        "parent": ir.parent,
        "root": ir.root,
        "children": list(ir.children),
        "exports": dict(ir.exports),
        "random_ports": dict(ir.random_ports),
        "imports": {
            imp.prefix: {
                "names": list(imp.names),
                "optional": imp.optional,
                "exporters": [e.path for e in imp.exporters],
            }
            for imp in ir.imports
        },
        "external_imports": {e.prefix: _external(e) for e in ir.external},
        "resource_dir": ir.recipe_dir,
        "steps": steps,
        "wave": ir.wave,
        **({"targets": [_target(t) for t in ir.targets]} if ir.targets else {}),
    }


def _target(t: TargetIR) -> dict[str, Any]:
    """A scoped instance's target file: the executor's handler and its keys (``rbcc deploy --target ID``)."""
    return {"id": t.id, "handler": t.handler, "file": t.file, "properties": dict(sorted(t.properties.items()))}


def _external(e: ExternalIR) -> dict[str, Any]:
    """An import of another application; once bound (``--bind``), the application and its exporters."""
    out: dict[str, Any] = {"names": list(e.names), "optional": e.optional}
    if e.application is not None:
        out["application"] = e.application
        out["exporters"] = [{"path": x.path, "variables": dict(x.variables)} for x in e.exporters]
    return out


def plan_document(app: CompiledApplication) -> dict[str, Any]:
    """The plan of ``app`` as a JSON-ready value (deterministic: no dict depends on hashing)."""
    return {
        "format": FORMAT,
        "application": {
            "name": app.name,
            "version": app.version,
            **(
                {"exports": {"prefix": app.exports_prefix, "variables": app.external_exports}}
                if app.exports_prefix
                else {}
            ),
        },
        "instances": [_instance(i) for i in app.instances],
        "waves": app.waves(),
    }


def render(app: CompiledApplication) -> dict[str, str]:
    """``{"plan/plan.json": text}``: keys in a fixed order, one instance per line, one trailing newline.

    One line per instance keeps diffs readable and lets Python's C encoder write it (an indented
    document goes through the pure-Python encoder, seconds on thousands of instances).
    """
    doc = plan_document(app)
    instances = doc.pop("instances")
    head = {k: doc[k] for k in ("format", "application")}
    parts = ["{"]
    for key, value in head.items():
        parts.append(f"  {json.dumps(key)}: {json.dumps(value, ensure_ascii=False)},")
    parts.append('  "instances": [')
    parts.append(",\n".join("    " + json.dumps(i, ensure_ascii=False) for i in instances))
    parts.append("  ],")
    parts.append(f'  "waves": {json.dumps(doc["waves"], ensure_ascii=False)}')
    parts.append("}")
    return {PLAN_FILE: "\n".join(p for p in parts if p) + "\n"}
