"""The ``file`` installer (runtime.md §4.3): ``instructions.properties``, ``<action>.<position>.<type> = param``.

Types ``download`` (URL → ``<tmp>/roboconf_tmp_file``), ``delete``, ``copy`` and ``move``
(``src -> dst``), run in position order (the whole position parsed, [F]); unknown types ignored;
a missing file means nothing to do.  Relative paths are taken from the instance's directory.
"""

from __future__ import annotations

import shutil
import tempfile
import time
import urllib.request
from pathlib import Path

from rbcc.runtime.recipes import RecipeResult


def _entries(text: str, step: str) -> list[tuple[int, str, str]]:
    out = []
    for line in text.splitlines():
        line = line.strip()
        if not line or line[0] in "#!" or "=" not in line:
            continue
        key, _, value = line.partition("=")
        parts = key.strip().split(".")
        if len(parts) != 3 or parts[0] != step or not parts[1].isdigit():
            continue
        out.append((int(parts[1]), parts[2], value.strip()))
    return sorted(out, key=lambda e: e[0])


def run_instructions(file: Path, step: str, directory: Path, logfile: Path) -> RecipeResult:
    """Run the instructions of ``step``; the first failing one fails the step."""
    logfile.parent.mkdir(parents=True, exist_ok=True)
    with logfile.open("a", encoding="utf-8") as out:
        out.write(f"=== {step} {time.strftime('%Y-%m-%dT%H:%M:%S')} {file.name}\n")
        if not file.is_file():
            out.write("no instructions: nothing to do\n")
            return RecipeResult(True, 0, "", "")
        for position, kind, param in _entries(file.read_text(encoding="utf-8"), step):
            try:
                _one(kind, param, directory)
                out.write(f"{position} {kind} {param}: done\n")
            except OSError as exc:
                text = f"{position} {kind} {param}: {exc}"
                out.write(text + "\n")
                return RecipeResult(False, 1, text, text)
    return RecipeResult(True, 0, "", "")


def _path(text: str, directory: Path) -> Path:
    p = Path(text.strip())
    return p if p.is_absolute() else directory / p


def _one(kind: str, param: str, directory: Path) -> None:
    if kind == "download":
        target = Path(tempfile.gettempdir()) / "roboconf_tmp_file"
        with urllib.request.urlopen(param) as response, target.open("wb") as handle:
            shutil.copyfileobj(response, handle)
    elif kind == "delete":
        p = _path(param, directory)
        if p.is_dir():
            shutil.rmtree(p)
        else:
            p.unlink(missing_ok=True)
    elif kind in ("copy", "move"):
        src, _, dst = param.partition("->")
        s, d = _path(src, directory), _path(dst, directory)
        if kind == "copy":
            shutil.copytree(s, d, dirs_exist_ok=True) if s.is_dir() else shutil.copy2(s, d)
        else:
            shutil.move(str(s), str(d))
