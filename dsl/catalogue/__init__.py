"""The catalogue of every problem code: level, message, explanation and example, as data.

The table lives in the ``*.toml`` files beside this module, one per origin (``roboconf.toml``
holds Roboconf's own codes with their Java levels and English messages, so that users moving
from the Java tooling recognise every message; rbcc's own checks add files of their own).
``docs/error-codes.md`` and the SARIF rules' help are generated from it
(``python scripts/gen_error_codes.py``; a test fails when the page is stale).
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from enum import Enum
from importlib import resources
from pathlib import PurePosixPath


class Level(str, Enum):
    """Severity of a problem; Roboconf has only SEVERE (error) and WARNING."""

    ERROR = "error"
    WARNING = "warning"


class Reach(str, Enum):
    """What can produce a code; only ``INPUT`` codes have an example (a test runs each one)."""

    #: a project's files produce it: the entry has an example
    INPUT = "input"
    #: only a program using the API (a model built in code, a strict project load, a direct
    #: call of one check); from a project's files another code comes first, or none
    API = "api"
    #: the machine, not the input: an unreadable file, a missing external tool, a Maven POM
    ENVIRONMENT = "environment"
    #: only Roboconf's running platform (the DM and its REST API); rbcc never reports it
    PLATFORM = "platform"
    #: declared by Roboconf but never emitted
    NEVER = "never"


@dataclass(frozen=True, slots=True)
class CodeInfo:
    """What the catalogue says about one code."""

    code: str
    level: Level
    message: str
    #: The cause and the fix, in a paragraph (Markdown).
    explanation: str = ""
    #: A tiny project that produces the problem, as ``--- <path>`` sections (see
    #: :func:`example_files`), or an empty string when ``reach`` is not ``INPUT``.
    example: str = ""
    #: The catalogue file the code comes from (``roboconf`` for Roboconf's own codes).
    origin: str = "roboconf"
    #: What can produce the code.
    reach: Reach = Reach.INPUT
    #: The other codes the example reports as well (it reports these and ``code``, nothing else).
    example_also: tuple[str, ...] = ()


class CatalogueError(ValueError):
    """A catalogue file is malformed (a packaging mistake, caught by the tests)."""


def load_catalogue() -> dict[str, CodeInfo]:
    """Every code of every ``*.toml`` file of this package, in file then declaration order."""
    codes: dict[str, CodeInfo] = {}
    files = sorted(
        (f for f in resources.files(__name__).iterdir() if f.name.endswith(".toml")),
        key=lambda f: (f.name != "roboconf.toml", f.name),
    )
    for f in files:
        origin = f.name[: -len(".toml")]
        for code, entry in tomllib.loads(f.read_text(encoding="utf-8")).items():
            if code in codes:
                raise CatalogueError(f"{f.name}: {code} is already defined in {codes[code].origin}.toml")
            try:
                codes[code] = CodeInfo(
                    code,
                    Level(entry["level"]),
                    entry["message"],
                    entry.get("explanation", ""),
                    entry.get("example", ""),
                    origin,
                    Reach(entry.get("reach", "input")),
                    tuple(entry.get("example_also", ())),
                )
                example_files(codes[code].example)
            except (KeyError, ValueError) as exc:
                raise CatalogueError(f"{f.name}: [{code}] is malformed: {exc}") from exc
    return codes


def example_files(example: str) -> list[tuple[str, str | None]]:
    """The files of an example, in order: ``(relative path, text)``, or ``(path, None)`` for a directory.

    An example is a small multi-file text, readable as it is in the documentation::

        --- graph/main.graph
        vm {
        \tinstaller: target;
        }
        --- graph/vm/

    Each ``--- <path>`` line starts a file whose text is the lines up to the next such line (a
    file with no line is empty); a path ending with ``/`` is an empty directory. Paths are
    relative to the project directory, POSIX, without ``..``. Raises ``ValueError`` when the
    text does not follow this form.
    """
    if not example:
        return []
    lines = example.split("\n")
    if lines[-1] == "":
        lines.pop()
    files: list[tuple[str, str | None]] = []
    body: list[str] = []
    current: str | None = None

    def close() -> None:
        if current is None:
            return
        if current.endswith("/"):
            if body:
                raise ValueError(f"the directory {current} of an example has content")
            files.append((current.rstrip("/"), None))
        else:
            files.append((current, "".join(line + "\n" for line in body)))

    for line in lines:
        if line.startswith("--- "):
            close()
            current, body = line[4:].strip(), []
            parts = PurePosixPath(current).parts
            if not current or current.startswith("/") or ".." in parts:
                raise ValueError(f"bad path in an example: {line!r}")
        elif current is None:
            raise ValueError(f"an example must start with a '--- <path>' line, not {line!r}")
        else:
            body.append(line)
    close()
    return files


#: Every code, read once at import (the table is immutable data).
CODES: dict[str, CodeInfo] = load_catalogue()
