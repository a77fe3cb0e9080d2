"""Writing a compiler's files into an output directory: all of them or none, never half of one.

Every file is first written into a fresh temporary directory next to the destination; only when all
are written does each target's subdirectory replace the old one (a rename per target).  A failure
leaves the destination as it was, and an earlier output's stale files (a service that no longer
exists) do not survive in the targets that were recompiled.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

from rbcc.errors import RbccError


class OutputError(RbccError):
    """The output directory cannot be written."""


def write_tree(destination: Path, files: dict[str, str]) -> list[Path]:
    """Write ``files`` (relative path → text) under ``destination``; returns the paths written, sorted.

    The first component of each relative path is a target's subdirectory (``compose/``, ``k8s/``);
    each such subdirectory is replaced as a whole.  A path without a directory (``exports.json``)
    is a file at the top, replaced by a rename too.
    """
    destination = Path(destination)
    try:
        destination.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputError(f"cannot create {destination}: {exc.strerror or exc}") from exc
    if not os.access(destination, os.W_OK):
        raise OutputError(f"cannot write into {destination}: permission denied")
    tops = sorted({rel.split("/", 1)[0] for rel in files})
    staging = Path(tempfile.mkdtemp(prefix=".rbcc-compile-", dir=destination))
    try:
        for rel, text in sorted(files.items()):
            target = staging / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(text.encode("utf-8"))
        for top in tops:
            final = destination / top
            old = None
            if "/" not in next(rel for rel in files if rel.split("/", 1)[0] == top):
                if final.is_dir() and not final.is_symlink():
                    raise OutputError(f"{final} is a directory; remove it or choose another -o")
                os.replace(staging / top, final)
                continue
            if final.exists() or final.is_symlink():
                if not final.is_dir() or final.is_symlink():
                    raise OutputError(f"{final} exists and is not a directory; remove it or choose another -o")
                old = staging / f".old-{top}"
                os.replace(final, old)
            os.replace(staging / top, final)
    except OSError as exc:
        raise OutputError(f"cannot write {destination}: {exc.strerror or exc}") from exc
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return sorted(destination / rel for rel in files)
