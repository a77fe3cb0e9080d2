"""Which recipe runs for each life-cycle step of a component (runtime.md §4.1), decided at compile time.

The executor runs what the plan names, so that it never looks the rules up again: for the script
installer, ``scripts/<step>.sh``, else the lexicographically first ``scripts/<step>*``, else
``roboconf-templates/<step>.template``, else ``roboconf-templates/default.template``, else nothing
(success with a warning, as Roboconf); for the file installer, ``instructions.properties``; the
logger installer logs each step; a target (a machine) has no recipe.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

STEPS = ("deploy", "start", "update", "stop", "undeploy")


@dataclass(frozen=True, slots=True)
class Recipe:
    """What runs for one step: ``kind`` is script, template, instructions, log or none."""

    step: str
    kind: str
    file: str | None  # relative to the application directory, with ``/``


def _rel(path: Path, root: Path) -> str:
    return path.relative_to(root).as_posix()


def _script_recipe(step: str, directory: Path, root: Path) -> Recipe:
    scripts = directory / "scripts"
    exact = scripts / f"{step}.sh"
    if exact.is_file():
        return Recipe(step, "script", _rel(exact, root))
    if scripts.is_dir():
        others = sorted(p for p in scripts.iterdir() if p.name.startswith(step) and p.is_file())
        if others:
            return Recipe(step, "script", _rel(others[0], root))
    templates = directory / "roboconf-templates"
    for name in (f"{step}.template", "default.template"):
        t = templates / name
        if t.is_file():
            return Recipe(step, "template", _rel(t, root))
    return Recipe(step, "none", None)


def recipes_for(installer: str | None, directory: Path | None, root: Path) -> list[Recipe]:
    """The recipe of every step for a component with ``installer`` and resource ``directory``."""
    kind = (installer or "").strip().lower()
    if kind == "target" or directory is None and kind not in ("logger",):
        return [Recipe(s, "none", None) for s in STEPS]
    if kind == "script":
        assert directory is not None
        return [_script_recipe(s, directory, root) for s in STEPS]
    if kind == "file":
        assert directory is not None
        f = directory / "instructions.properties"
        rel = _rel(f, root) if f.is_file() else None
        return [Recipe(s, "instructions" if rel else "none", rel) for s in STEPS]
    if kind == "logger":
        return [Recipe(s, "log", None) for s in STEPS]
    return [Recipe(s, "unsupported", None) for s in STEPS]
