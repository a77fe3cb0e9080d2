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


def _listing(directory: Path) -> list[str]:
    try:
        return sorted(p.name for p in directory.iterdir() if p.is_file())
    except OSError:
        return []


def _script_recipes(directory: Path, root: Path) -> list[Recipe]:
    """One listing of ``scripts/`` and ``roboconf-templates/`` for the five steps."""
    scripts = _listing(directory / "scripts")
    templates = set(_listing(directory / "roboconf-templates"))
    out = []
    for step in STEPS:
        exact = f"{step}.sh"
        found = exact if exact in scripts else next((n for n in scripts if n.startswith(step)), None)
        if found is not None:
            out.append(Recipe(step, "script", _rel(directory / "scripts" / found, root)))
            continue
        template = next((n for n in (f"{step}.template", "default.template") if n in templates), None)
        if template is not None:
            out.append(Recipe(step, "template", _rel(directory / "roboconf-templates" / template, root)))
        else:
            out.append(Recipe(step, "none", None))
    return out


def recipes_for(installer: str | None, directory: Path | None, root: Path) -> list[Recipe]:
    """The recipe of every step for a component with ``installer`` and resource ``directory``."""
    kind = (installer or "").strip().lower()
    if kind == "target" or directory is None and kind not in ("logger",):
        return [Recipe(s, "none", None) for s in STEPS]
    if kind == "script":
        assert directory is not None
        return _script_recipes(directory, root)
    if kind == "file":
        assert directory is not None
        f = directory / "instructions.properties"
        rel = _rel(f, root) if f.is_file() else None
        return [Recipe(s, "instructions" if rel else "none", rel) for s in STEPS]
    if kind == "logger":
        return [Recipe(s, "log", None) for s in STEPS]
    return [Recipe(s, "unsupported", None) for s in STEPS]
