"""Deterministic YAML for the container targets: key order as built, quoting where a reader could misread.

Every consumer of these files is a YAML 1.1 or 1.2 reader (compose-go and kubectl use Go's YAML 1.2
library, ``docker stack`` its own loader, people read them too): a plain ``no``, ``on``, ``08`` or
``22:22`` means a boolean or a number to one of them.  So a string is written plain only when it is
unmistakably a string in both versions, and double-quoted otherwise.
"""

from __future__ import annotations

import functools
import json
import re
from typing import Any

from rbcc.compiler.ir.external import Placeholder

_PLAIN = re.compile(r"^[A-Za-z_/][A-Za-z0-9_./@-]*$")
_ESCAPE = re.compile(r'[\x00-\x1f"\\\x7f-\x9f\u2028\u2029\ufeff\ufffe\uffff\ud800-\udfff]')
_UNPRINTABLE = re.compile("[\x7f-\x9f\u2028\u2029\ufeff\ufffe\uffff\ud800-\udfff]")
_RESERVED = frozenset(
    w
    for word in ("y", "n", "yes", "no", "true", "false", "on", "off", "null", "nan", "inf")
    for w in (word, word.capitalize(), word.upper())
)


@functools.lru_cache(maxsize=1 << 16)
def _string(text: str) -> str:
    """A string scalar: plain when no YAML reader could take it for something else, else quoted.

    Cached: keys and many values (ports, images, variable names) repeat across thousands of
    services, and this is the emitter's inner loop.
    """
    if _PLAIN.fullmatch(text) and text not in _RESERVED and not text.startswith("_"):
        return text
    if not _ESCAPE.search(text):
        return f'"{text}"'
    # A JSON string is a valid YAML double-quoted scalar once the characters YAML does not allow
    # raw (DEL, C1 controls, non-characters, line separators) are escaped too.
    return _UNPRINTABLE.sub(lambda m: f"\\u{ord(m.group(0)):04x}", json.dumps(text, ensure_ascii=False))


def _scalar(value: Any) -> str:
    if isinstance(value, str):
        return _string(value)
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, int | float):
        return repr(value)
    return _string(str(value))


def _value(value: Any, dollars: bool) -> str:
    """A scalar in value position; ``dollars`` doubles every ``$`` of a string (see :func:`dump`)."""
    if dollars and isinstance(value, str) and not isinstance(value, Placeholder):
        return _string(value.replace("$", "$$"))
    return _scalar(value)


def _lines(value: Any, indent: str, out: list[str], dollars: bool) -> None:
    """Block-style lines of a mapping or a sequence, ``indent`` before each entry.

    The inner loop of every container target (an environment is thousands of entries): one pass,
    no intermediate lists, strings first since nearly every value is one.
    """
    if isinstance(value, dict):
        for key, item in value.items():
            k = _string(key) if isinstance(key, str) else _scalar(key)
            if isinstance(item, str):
                if dollars and type(item) is not Placeholder:
                    item = item.replace("$", "$$")
                out.append(f"{indent}{k}: {_string(item)}")
            elif isinstance(item, dict | list):
                if item:
                    out.append(f"{indent}{k}:")
                    _lines(item, indent + "  ", out, dollars)
                else:
                    out.append(f"{indent}{k}: {_empty(item)}")
            else:
                out.append(f"{indent}{k}: {_scalar(item)}")
        return
    child = indent + "  "
    for item in value:
        if isinstance(item, dict | list) and item:
            first = len(out)
            _lines(item, child, out, dollars)
            out[first] = f"{indent}- {out[first][len(child) :]}"
        else:
            out.append(f"{indent}- {_empty(item) if isinstance(item, dict | list) else _value(item, dollars)}")


def _empty(value: dict[Any, Any] | list[Any]) -> str:
    return "{}" if isinstance(value, dict) else "[]"


def dump(document: Any, *, dollars: bool = False) -> str:
    """One YAML document (a mapping), ending with a newline.

    ``dollars`` writes every ``$`` of every string value as ``$$``, which Compose and
    ``docker stack`` read back as one ``$`` (they interpolate ``$``): as :func:`escape_dollars`,
    without copying the document first.

    Written by hand rather than with PyYAML: the documents are plain mappings, lists and scalars,
    and PyYAML's pure-Python emitter spent most of ``rbcc compile``'s time on applications of
    thousands of instances; ``tests/compiler`` reads every output back with PyYAML.
    """
    out: list[str] = []
    _lines(document, "", out, dollars)
    return "\n".join(out) + "\n"


def dump_all(documents: list[Any]) -> str:
    """Several documents, each introduced by ``---``."""
    return "".join("---\n" + dump(d) for d in documents)


def escape_dollars(value: Any) -> Any:
    """Every ``$`` of every string written as ``$$``: Compose and ``docker stack`` interpolate ``$``.

    A :class:`Placeholder` is left as it is: it is the interpolation the deployment must fill.
    """
    if isinstance(value, Placeholder):
        return value
    if isinstance(value, str):
        return value.replace("$", "$$")
    if isinstance(value, list):
        return [escape_dollars(v) for v in value]
    if isinstance(value, dict):
        return {k: escape_dollars(v) for k, v in value.items()}
    return value
