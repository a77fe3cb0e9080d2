"""An agent's user data (runtime.md §2.3) as a Java properties file, the form Roboconf's agents read.

The keys are written sorted, one per line, with ``java.util.Properties.store`` escaping (so that
:func:`rbcc.dsl.java.read_properties_text` — and a Java reader — reads back exactly the same map).
"""

from __future__ import annotations

from pathlib import Path

from rbcc.atomic import write_atomically

_SPECIAL = {
    "\\": "\\\\",
    "\t": "\\t",
    "\n": "\\n",
    "\r": "\\r",
    "\f": "\\f",
    "=": "\\=",
    ":": "\\:",
    "#": "\\#",
    "!": "\\!",
}


def _escape(text: str, is_key: bool) -> str:
    out = []
    for i, c in enumerate(text):
        if c == " " and (is_key or i == 0):
            out.append("\\ ")
        elif c in _SPECIAL:
            out.append(_SPECIAL[c])
        elif ord(c) < 0x20 or ord(c) > 0x7E:
            out.extend(f"\\u{unit:04x}" for unit in _utf16_units(c))
        else:
            out.append(c)
    return "".join(out)


def _utf16_units(c: str) -> list[int]:
    data = c.encode("utf-16-be")
    return [int.from_bytes(data[i : i + 2], "big") for i in range(0, len(data), 2)]


def properties_text(values: dict[str, str]) -> str:
    """``values`` as the text of a properties file (ASCII, sorted keys)."""
    return "".join(f"{_escape(k, True)}={_escape(v, False)}\n" for k, v in sorted(values.items()))


def write_user_data(path: Path, values: dict[str, str]) -> None:
    """Write the user data file atomically, readable by its owner only (it holds the agent's token)."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    write_atomically(path, properties_text(values))
    path.chmod(0o600)
