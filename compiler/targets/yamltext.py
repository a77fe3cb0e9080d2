"""Deterministic YAML for the container targets: key order as built, quoting where a reader could misread.

Every consumer of these files is a YAML 1.1 or 1.2 reader (compose-go and kubectl use Go's YAML 1.2
library, ``docker stack`` its own loader, people read them too): a plain ``no``, ``on``, ``08`` or
``22:22`` means a boolean or a number to one of them.  So a string is written plain only when it is
unmistakably a string in both versions, and double-quoted otherwise.
"""

from __future__ import annotations

import re
from typing import Any

import yaml

_PLAIN = re.compile(r"^[A-Za-z_/][A-Za-z0-9_./@-]*$")
_RESERVED = frozenset(
    w
    for word in ("y", "n", "yes", "no", "true", "false", "on", "off", "null", "nan", "inf")
    for w in (word, word.capitalize(), word.upper())
)


class _Dumper(yaml.SafeDumper):
    """SafeDumper with block sequences indented under their key and our string quoting."""

    def increase_indent(self, flow: bool = False, indentless: bool = False) -> None:
        super().increase_indent(flow, False)


def _represent_str(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    if "\n" in value:
        return dumper.represent_scalar("tag:yaml.org,2002:str", value, style="|")
    plain = bool(_PLAIN.match(value)) and value not in _RESERVED and not value.startswith("_")
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=None if plain else '"')


_Dumper.add_representer(str, _represent_str)


def dump(document: Any) -> str:
    """One YAML document, ending with a newline."""
    text: str = yaml.dump(document, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=100_000)
    return text


def dump_all(documents: list[Any]) -> str:
    """Several documents separated by ``---``."""
    text: str = yaml.dump_all(
        documents, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=100_000, explicit_start=True
    )
    return text


def escape_dollars(value: Any) -> Any:
    """Every ``$`` of every string written as ``$$``: Compose and ``docker stack`` interpolate ``$``."""
    if isinstance(value, str):
        return value.replace("$", "$$")
    if isinstance(value, list):
        return [escape_dollars(v) for v in value]
    if isinstance(value, dict):
        return {k: escape_dollars(v) for k, v in value.items()}
    return value
