"""Where file contents come from: the disk, overlaid by open editor buffers.

The loader never opens files itself; it asks a ``Sources`` object, so that the language server
can validate unsaved text and tests can use in-memory projects.  Paths are project-relative
POSIX strings (``graph/main.graph``), exactly as written in imports (no normalisation: Roboconf
compares them as strings).
"""

from __future__ import annotations

import os
import posixpath
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from rbcc.dsl.problems import Problem
from rbcc.dsl.text.ranges import SourceRange
from rbcc.errors import RbccError

MAX_FILE_BYTES = 64 * 1024 * 1024


class SourceError(RbccError):
    """A file exists but cannot be read (permissions, a directory, a loop of links)."""


@dataclass
class Sources:
    """Project files on disk under ``root``, with optional in-memory overrides."""

    root: Path
    overlays: Mapping[str, str] = field(default_factory=dict)

    def read(self, rel: str) -> str | None:
        """Text of ``rel``, or ``None`` when it does not exist.  Raises ``SourceError``."""
        key = normalize(rel)
        if key in self.overlays:
            return self.overlays[key]
        if "\x00" in key:  # Java's File.isInvalid(): such a file never exists
            return None
        path = self.root / key
        try:
            if not path.is_file():
                # is_file() hides why: a directory, a loop of links or a fifo exists but is no file
                if path.is_dir():
                    raise SourceError("is a directory")
                try:
                    path.stat()  # ELOOP for a loop of symbolic links
                except (FileNotFoundError, NotADirectoryError):
                    return None
                raise SourceError("not a regular file")
            if path.stat().st_size > MAX_FILE_BYTES:
                raise SourceError(f"file larger than {MAX_FILE_BYTES // (1024 * 1024)} MiB")
            data = path.read_bytes()
        except OSError as exc:  # includes ELOOP for symlink loops
            raise SourceError(exc.strerror or str(exc)) from exc
        return data.decode("utf-8", errors="replace")

    def exists(self, rel: str) -> bool:
        key = normalize(rel)
        if key in self.overlays:
            return True
        try:
            return (self.root / key).is_file()
        except OSError:
            return False

    def is_dir(self, rel: str) -> bool:
        try:
            return (self.root / normalize(rel)).is_dir()
        except OSError:
            return False

    def inside(self, rel: str) -> bool:
        """Whether ``rel`` stays inside the project once ``..`` and links are resolved."""
        key = normalize(rel)
        if key.startswith("../") or key == "..":
            return False
        if "\x00" in key:  # an invalid name (Java's File.isInvalid()) designates nothing outside
            return True
        try:
            real_root = os.path.realpath(self.root)
            real = os.path.realpath(self.root / key)
        except (OSError, RuntimeError):
            return False
        return real == real_root or real.startswith(real_root + os.sep)


#: what a component's recipe checks depend on: the graph directory, the names of its extends
#: chain, its installer, the names of its imports and where it is declared
RecipeKey = tuple[str, tuple[str, ...], str | None, tuple[str, ...], SourceRange]


@dataclass(eq=False)
class LayoutCache:
    """What the loader learnt from a project's directory layout, kept between validations.

    File contents are always read afresh (or taken from overlays); only what depends on which
    files and directories exist is kept, so an editor calls :meth:`clear` when files are
    created, deleted or renamed.
    """

    #: project root → project-relative paths of its ``*.graph`` and ``*.instances`` files
    model_files: dict[str, list[str]] = field(default_factory=dict)
    #: recipe-directory problems of a component, by what they depend on
    recipes: dict[RecipeKey, list[Problem]] = field(default_factory=dict)

    def clear(self) -> None:
        self.model_files.clear()
        self.recipes.clear()


def normalize(rel: str) -> str:
    """Collapse ``.`` / ``..`` / duplicate slashes for file access (not for identity)."""
    rel = rel.replace("\\", "/")
    out = posixpath.normpath(rel) if rel else rel
    return out.lstrip("/") if out != "." else ""


def join(root_rel: str, uri: str) -> str:
    """Roboconf's ``new File(root, uri)``: absolute URIs are appended to the root too."""
    uri = uri.replace("\\", "/")
    if not root_rel:
        return uri.lstrip("/") if uri.startswith("/") else uri
    return f"{root_rel}/{uri.lstrip('/')}" if uri.startswith("/") else f"{root_rel}/{uri}"
