"""An agent's user data (runtime.md §2.3, §9): Java properties naming its identity and its broker.

Keys: ``application.name``, ``scoped.instance.path``, ``domain``, ``net.roboconf.messaging.type``
(``websocket``), then rbcc's ``rbcc.token``, ``rbcc.dm.url`` (the broker), ``rbcc.tls.ca`` (the
certificate a ``wss://`` broker is trusted with), ``rbcc.app.dir`` and ``rbcc.state.dir`` (where the
recipes come from and where the agent keeps its files, for agents on the manager's host),
``rbcc.ship.logs`` (``true`` for a remote agent: recipe output goes back to the manager) and
``rbcc.settings.<name>`` (the executor settings the agent applies: heartbeats, recipe timeout, …).
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

from rbcc.atomic import write_atomically
from rbcc.dsl import read_properties_text
from rbcc.errors import RbccError
from rbcc.runtime.settings import Settings

#: ``true``: the agent sends each step's output to the manager (a ``remote`` agent, whose files it cannot read)
SHIP_LOGS = "rbcc.ship.logs"

#: the settings an agent takes from its user data
AGENT_SETTINGS = (
    "heartbeat_period",
    "recipe_timeout",
    "max_parallel_steps",
    "failure_mode",
    "cascade_recipes",
    "forbidden_ports",
    "agent_ip",
    "probe_period",
    "autonomic",
)


def _escape(text: str, key: bool) -> str:
    out = []
    for i, c in enumerate(text):
        if c == "\\":
            out.append("\\\\")
        elif c == "\n":
            out.append("\\n")
        elif c == "\r":
            out.append("\\r")
        elif c == "\t":
            out.append("\\t")
        elif c in "=:#!" or (c == " " and (key or i == 0)):
            out.append("\\" + c)
        elif ord(c) > 0x7E or ord(c) < 0x20:
            out.append(f"\\u{ord(c):04x}" if ord(c) <= 0xFFFF else "".join(f"\\u{ord(u):04x}" for u in _utf16(c)))
        else:
            out.append(c)
    return "".join(out)


def _utf16(c: str) -> str:
    raw = c.encode("utf-16-be")
    return "".join(chr(int.from_bytes(raw[i : i + 2], "big")) for i in range(0, len(raw), 2))


def dump(values: dict[str, str]) -> str:
    """Java properties text, keys sorted, ASCII only (``\\uXXXX`` escapes)."""
    return "".join(f"{_escape(k, True)} = {_escape(v, False)}\n" for k, v in sorted(values.items()))


def write(path: Path, values: dict[str, str]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    write_atomically(path, dump(values))
    path.chmod(0o600)  # it holds the agent's token


def read(path: Path) -> dict[str, str]:
    try:
        raw = read_properties_text(path.read_bytes())
    except OSError as exc:
        raise RbccError(f"{path}: cannot read the user data ({exc.strerror or exc})") from None
    except ValueError as exc:
        raise RbccError(f"{path}: not Java properties ({exc})") from None
    return {_joined(k): _joined(v) for k, v in raw.items()}


def _joined(text: str) -> str:
    """Java strings are UTF-16: ``\\uD834\\uDD1E`` escapes come back as one character."""
    return text.encode("utf-16", "surrogatepass").decode("utf-16")


def settings_values(settings: Settings) -> dict[str, str]:
    out = {}
    for name in AGENT_SETTINGS:
        value: Any = getattr(settings, name)
        if isinstance(value, tuple):
            value = ",".join(str(v) for v in value)
        elif isinstance(value, bool):
            value = "true" if value else "false"
        out[f"rbcc.settings.{name}"] = str(value)
    return out


def settings_of(values: dict[str, str]) -> Settings:
    """The settings a user data carries (defaults for the ones it does not)."""
    fields = {f.name: f for f in dataclasses.fields(Settings)}
    kwargs: dict[str, Any] = {}
    for name in AGENT_SETTINGS:
        raw = values.get(f"rbcc.settings.{name}")
        if raw is None:
            continue
        default = getattr(Settings(), name)
        try:
            if isinstance(default, bool):
                kwargs[name] = raw.strip().lower() == "true"
            elif isinstance(default, tuple):
                kwargs[name] = tuple(int(p) for p in raw.split(",") if p.strip())
            elif isinstance(default, int):
                kwargs[name] = int(raw)
            elif isinstance(default, float):
                kwargs[name] = float(raw)
            else:
                kwargs[name] = raw
        except ValueError:
            raise RbccError(f"user data: rbcc.settings.{name} = {raw!r} is not a {fields[name].type}") from None
    try:
        return Settings(**kwargs)
    except ValueError as exc:
        raise RbccError(f"user data: {exc}") from None
