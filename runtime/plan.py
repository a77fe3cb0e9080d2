"""Loading the compiler's runtime plan (``rbcc compile --target plan``) into the executor's model.

The executor never reads the DSL: it runs a plan, either a ``plan.json`` written earlier or one
compiled in-process from an application directory through :func:`rbcc.compiler.compile_application`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rbcc.errors import RbccError

FORMAT = "rbcc-plan/1"
STEPS = ("deploy", "start", "update", "stop", "undeploy")


class PlanError(RbccError):
    """The plan cannot be read or is not one this executor understands."""


@dataclass(frozen=True)
class Step:
    """The recipe of one life-cycle step: ``kind`` as in the plan schema, ``file`` relative to the app."""

    kind: str
    file: str | None
    waits: tuple[dict[str, Any], ...] = ()


@dataclass(frozen=True)
class ImportSpec:
    """The imports of one instance under one prefix."""

    prefix: str
    names: tuple[str, ...]
    optional: bool
    exporters: tuple[str, ...] = ()

    @property
    def wildcard(self) -> bool:
        return any(n.endswith(".*") for n in self.names)

    def accepts(self, variable: str) -> bool:
        """Whether a received variable (full name) is one this import takes (``P.*`` or ``P.x``)."""
        if not variable.startswith(self.prefix + "."):
            return False
        return self.wildcard or variable in self.names


@dataclass(frozen=True)
class TargetSpec:
    """One target file of a scoped instance's component (``graph/<C>/*.properties``): where its machine runs."""

    id: str | None
    handler: str | None
    file: str
    properties: dict[str, str]

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "handler": self.handler, "file": self.file, "properties": dict(self.properties)}

    @classmethod
    def from_json(cls, raw: dict[str, Any]) -> TargetSpec:
        return cls(raw.get("id"), raw.get("handler"), raw["file"], dict(raw.get("properties") or {}))


@dataclass(frozen=True)
class PlanInstance:
    path: str
    name: str
    component: str
    installer: str | None
    parent: str | None
    root: str
    children: tuple[str, ...]
    exports: dict[str, str | None]
    random_ports: tuple[str, ...]
    imports: dict[str, ImportSpec]
    resource_dir: str | None
    steps: dict[str, Step]
    wave: int | None
    #: the target files of a scoped instance (none: the executor's default handler; older plans have none)
    targets: tuple[TargetSpec, ...] = ()
    #: imports of other applications' exports (``external P.x``), by external prefix (runtime.md §3.5)
    external_imports: dict[str, ImportSpec] = field(default_factory=dict)
    #: this instance's exports another application may import: internal name → ``<exports-prefix>.<alias>``
    external_exports: dict[str, str] = field(default_factory=dict)

    @property
    def scoped(self) -> bool:
        """A scoped instance (installer ``target``): one agent (machine) each."""
        return (self.installer or "").strip().lower() == "target"

    def to_json(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "name": self.name,
            "component": self.component,
            "installer": self.installer,
            "parent": self.parent,
            "root": self.root,
            "children": list(self.children),
            "exports": dict(self.exports),
            "random_ports": list(self.random_ports),
            "imports": {
                p: {"names": list(s.names), "optional": s.optional, "exporters": list(s.exporters)}
                for p, s in self.imports.items()
            },
            "resource_dir": self.resource_dir,
            "steps": {k: {"recipe": s.kind, "file": s.file, "waits": list(s.waits)} for k, s in self.steps.items()},
            "wave": self.wave,
            **({"targets": [t.to_json() for t in self.targets]} if self.targets else {}),
            # only when there are some: the records of older states compare equal
            **(
                {
                    "external_imports": {
                        p: {"names": list(s.names), "optional": s.optional} for p, s in self.external_imports.items()
                    }
                }
                if self.external_imports
                else {}
            ),
            **({"external_exports": dict(self.external_exports)} if self.external_exports else {}),
        }

    @classmethod
    def from_json(cls, raw: dict[str, Any]) -> PlanInstance:
        ports = raw.get("random_ports") or ()
        return cls(
            path=raw["path"],
            name=raw["name"],
            component=raw["component"],
            installer=raw.get("installer"),
            parent=raw.get("parent"),
            root=raw["root"],
            children=tuple(raw.get("children") or ()),
            exports=dict(raw.get("exports") or {}),
            random_ports=tuple(sorted(ports)),
            imports={
                p: ImportSpec(p, tuple(v["names"]), bool(v["optional"]), tuple(v.get("exporters") or ()))
                for p, v in (raw.get("imports") or {}).items()
            },
            resource_dir=raw.get("resource_dir"),
            steps={
                k: Step(v["recipe"], v.get("file"), tuple(v.get("waits") or ()))
                for k, v in (raw.get("steps") or {}).items()
            },
            wave=raw.get("wave"),
            targets=tuple(TargetSpec.from_json(t) for t in raw.get("targets") or ()),
            external_imports={
                p: ImportSpec(p, tuple(v["names"]), bool(v["optional"]))
                for p, v in (raw.get("external_imports") or {}).items()
            },
            external_exports=dict(raw.get("external_exports") or {}),
        )

    @property
    def exports_prefix(self) -> str | None:
        """The prefix this instance's external exports are published under (the application's)."""
        return next((v.split(".", 1)[0] for v in self.external_exports.values()), None)

    def external_values(self, values: dict[str, str | None]) -> dict[str, str | None]:
        """``values`` (internal names) of the external exports, under their published names (aliases)."""
        return {alias: values.get(internal) for internal, alias in sorted(self.external_exports.items())}


@dataclass
class Plan:
    """A whole application as the executor sees it."""

    application: str
    version: str | None
    instances: list[PlanInstance]
    #: the application directory the resource directories are relative to
    app_dir: Path
    by_path: dict[str, PlanInstance] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        self.by_path = {i.path: i for i in self.instances}

    def scoped_of(self, path: str) -> str:
        """The nearest scoped ancestor-or-self of ``path`` (the root when none is scoped)."""
        inst = self.by_path[path]
        cursor: PlanInstance | None = inst
        while cursor is not None:
            if cursor.scoped:
                return cursor.path
            cursor = self.by_path.get(cursor.parent) if cursor.parent else None
        return inst.root


def plan_from_document(doc: dict[str, Any], app_dir: Path) -> Plan:
    """The plan of a parsed ``plan.json`` document."""
    if not isinstance(doc, dict) or doc.get("format") != FORMAT:
        found = doc.get("format") if isinstance(doc, dict) else None
        raise PlanError(f"not a plan this executor understands (format {found!r}, expected {FORMAT!r})")
    try:
        app = doc["application"]
        aliases = external_aliases(app.get("exports"))
        instances = [with_external_exports(PlanInstance.from_json(i), aliases) for i in doc["instances"]]
        return Plan(app["name"], app.get("version"), instances, Path(app_dir))
    except (KeyError, TypeError) as exc:
        raise PlanError(f"malformed plan: {exc}") from None


def external_aliases(raw: Any) -> dict[str, str]:
    """The descriptor's ``exports`` as the plan carries them: internal name → ``<prefix>.<alias>``."""
    if not isinstance(raw, dict) or not raw.get("prefix"):
        return {}
    prefix = str(raw["prefix"])
    return {str(internal): f"{prefix}.{alias}" for internal, alias in dict(raw.get("variables") or {}).items()}


def with_external_exports(inst: PlanInstance, aliases: dict[str, str]) -> PlanInstance:
    mine = {k: v for k, v in aliases.items() if k in inst.exports}
    if not mine:
        return inst
    import dataclasses

    return dataclasses.replace(inst, external_exports=mine)


def load_plan(source: Path, app_dir: Path | None = None, profile: str | None = None) -> Plan:
    """The plan of ``source``: an application directory (compiled in-process) or a ``plan.json``.

    For a plan file, resource directories are relative to ``app_dir`` (default: the current directory).
    """
    source = Path(source)
    if source.is_dir() and not (source / "plan.json").is_file() and not (source / "plan" / "plan.json").is_file():
        return _compile(source, profile)
    if source.is_dir():
        source = source / "plan.json" if (source / "plan.json").is_file() else source / "plan" / "plan.json"
    try:
        doc = json.loads(source.read_text(encoding="utf-8"))
    except OSError as exc:
        raise PlanError(f"{source}: cannot read the plan ({exc.strerror or exc})") from None
    except json.JSONDecodeError as exc:
        raise PlanError(f"{source}: not JSON ({exc})") from None
    return plan_from_document(doc, app_dir if app_dir is not None else Path.cwd())


def _compile(app_dir: Path, profile: str | None) -> Plan:
    from rbcc.compiler import CompileOptions, compile_application

    result = compile_application(app_dir, ["plan"], CompileOptions(profile=profile))
    if result.errors or "plan/plan.json" not in result.files:
        from rbcc.reporting import render_text

        report = render_text(result.problems, app_dir, color=False).rstrip("\n")
        raise PlanError(f"{app_dir}: the application does not compile:\n{report}")
    return plan_from_document(json.loads(result.files["plan/plan.json"]), app_dir.resolve())
