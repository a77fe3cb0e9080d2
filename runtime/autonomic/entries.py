"""Plan entries for instances that commands create (runtime.md §6.3 ``create``, ``replicate``, ``rename``).

A created instance needs what every instance of the plan has: its component's exports (with the
overrides it inherits from the instance it copies), imports with their flags, installer, recipes
and resource directory.  Nothing of that is derived again here: the compiler builds it, exactly as
for ``rbcc compile --target plan``, from the application model whose instance tree is the live one
(the application's instances, plus those commands created, minus those they deleted), and the
entries of the new paths are taken from its plan document.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable

from rbcc.compiler import CompileOptions
from rbcc.compiler.ir.build import build_ir
from rbcc.compiler.targets.plan import plan_document
from rbcc.dsl import Application, Instance, SourceRange, walk_instances
from rbcc.errors import RbccError
from rbcc.runtime.plan import PlanInstance, external_aliases, with_external_exports


class EntryError(RbccError):
    """The compiler cannot give a plan entry for a created instance."""


class Entries:
    """Builds plan entries for new instance paths of ``app``."""

    def __init__(self, app: Application, forbidden_ports: tuple[int, ...] = ()) -> None:
        self.app = app
        self.options = CompileOptions(forbidden_ports=forbidden_ports)
        #: instance path → overridden exports (as written in the instances files, or copied)
        self.overrides: dict[str, dict[str, str]] = {i.path: dict(i.overrides) for i in walk_instances(app.instances)}
        self._template = next(iter(walk_instances(app.instances)), None)

    def build(self, tree: Iterable[tuple[str, str]], wanted: Iterable[str]) -> dict[str, PlanInstance]:
        """The entries of ``wanted`` paths, for the instance ``tree`` ((path, component), parents first)."""
        graph = self.app.graph
        if graph is None or self._template is None:
            raise EntryError("the application has no graph or no instance to take a plan entry from")
        template = self._template
        where = SourceRange.file_start("commands")
        made: dict[str, Instance] = {}
        roots: list[Instance] = []
        for path, component in tree:
            parent_path, _, name = path.rpartition("/")
            parent = made.get(parent_path) if parent_path else None
            if parent_path and parent is None:
                continue  # under an instance the tree does not have
            comp = graph.components.get(component)
            if comp is None:
                raise EntryError(f"{path}: no component {component!r} in the graph")
            inst = Instance(
                name=name,
                component_name=component,
                block=template.block,
                name_range=where,
                component_range=where,
                component=comp,
                parent=parent,
                overrides=dict(self.overrides.get(path, {})),
            )
            made[path] = inst
            if parent is None:
                roots.append(inst)
            else:
                parent.children.append(inst)
        ir = build_ir(dataclasses.replace(self.app, instances=roots), self.options)
        wanted = set(wanted)
        doc = plan_document(ir)
        aliases = external_aliases(doc["application"].get("exports"))  # a created exporter publishes too
        found = {
            d["path"]: with_external_exports(PlanInstance.from_json(d), aliases)
            for d in doc["instances"]
            if d["path"] in wanted
        }
        missing = sorted(wanted - set(found))
        if missing:
            raise EntryError(f"the compiler gave no plan entry for {missing[0]}")
        return found
