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


class Level(str, Enum):
    """Severity of a problem; Roboconf has only SEVERE (error) and WARNING."""

    ERROR = "error"
    WARNING = "warning"


@dataclass(frozen=True, slots=True)
class CodeInfo:
    """What the catalogue says about one code."""

    code: str
    level: Level
    message: str
    #: The cause and the fix, in a paragraph (Markdown).
    explanation: str = ""
    #: A short input that produces the problem (or an empty string).
    example: str = ""
    #: The catalogue file the code comes from (``roboconf`` for Roboconf's own codes).
    origin: str = "roboconf"


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
                )
            except (KeyError, ValueError) as exc:
                raise CatalogueError(f"{f.name}: [{code}] is malformed: {exc}") from exc
    return codes


#: Every code, read once at import (the table is immutable data).
CODES: dict[str, CodeInfo] = load_catalogue()
