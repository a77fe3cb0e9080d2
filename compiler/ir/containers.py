"""Container settings per unit: the metadata rendered for the unit's instance, then checked and typed.

Values are Mustache templates (rendered with ``pystache``, HTML escaping off: these are not web pages)
over the instance's context (:func:`rbcc.compiler.ir.environment.template_context`).  ``port.*``
values are read literally: they decide what ``ip``/port values mean, so they cannot depend on them.
What can only be checked once rendered (a port that is not a number, a command that is not a JSON
array) is a ``CMP_TEMPLATE`` problem at the metadata value's range.
"""

from __future__ import annotations

import json
import posixpath
import re
from collections.abc import Callable
from dataclasses import dataclass, field

import pystache

from rbcc.dsl import Problem, Setting, problem

_RENDERER = pystache.Renderer(escape=lambda text: text, missing_tags="ignore")
_DURATION = re.compile(r"^(\d+(ms|us|ns|s|m|h))+$")
RESTART = ("no", "always", "on-failure", "unless-stopped")


@dataclass(frozen=True, slots=True)
class Port:
    variable: str  # local name of the export
    container: int
    protocol: str  # tcp | udp
    publish: int | str | None  # a host port, "random", or None


@dataclass(frozen=True, slots=True)
class Health:
    test: tuple[str, ...]  # ("CMD-SHELL", cmd) | ("CMD", ...) | ("NONE",)
    interval: str | None = None
    timeout: str | None = None
    start_period: str | None = None
    retries: int | None = None


@dataclass(slots=True)
class ContainerSpec:
    """What one unit's container is, once rendered."""

    image: str | None = None
    build_context: str | None = None  # relative to the application directory, with "/"
    dockerfile: str | None = None
    command: list[str] | None = None
    entrypoint: list[str] | None = None
    ports: list[Port] = field(default_factory=list)
    health: Health | None = None
    ready: tuple[str, str, str] | None = None  # (kind tcp|http, variable, path)
    env: dict[str, str] = field(default_factory=dict)
    volumes: dict[str, str] = field(default_factory=dict)
    restart: str = "unless-stopped"
    replicas: str = "expand"
    executor: str = "auto"
    wait: str = "none"
    user: str | None = None
    working_dir: str | None = None
    cap_add: list[str] = field(default_factory=list)
    stop_grace_period: str | None = None
    #: where each key was written, for diagnostics
    where: dict[str, Setting] = field(default_factory=dict)


def container_ports(settings: dict[str, Setting]) -> tuple[dict[str, tuple[int, str]], list[Problem]]:
    """``port.<var>`` settings read literally: local variable → (container port, protocol)."""
    out: dict[str, tuple[int, str]] = {}
    problems: list[Problem] = []
    for key, s in sorted(settings.items()):
        if not key.startswith("port."):
            continue
        parsed = _port(s.value.strip())
        if parsed is None:
            problems.append(_bad(s, "a port number, optionally with /tcp or /udp (templates are not allowed here)"))
            continue
        out[key[len("port.") :]] = parsed
    return out, problems


def _port(text: str) -> tuple[int, str] | None:
    number, _, proto = text.partition("/")
    proto = (proto or "tcp").lower()
    if not number.isdigit() or not 0 < int(number) < 65536 or proto not in ("tcp", "udp"):
        return None
    return int(number), proto


def _bad(s: Setting, expected: str, rendered: str | None = None) -> Problem:
    shown = f" (rendered: {rendered!r})" if rendered is not None and rendered != s.value else ""
    return problem(
        "CMP_TEMPLATE",
        s.value_range,
        ("KEY", s.key),
        note=f"Expected {expected}{shown}.",
    )


def _argv(text: str) -> list[str] | None:
    text = text.strip()
    if text.startswith("["):
        try:
            value = json.loads(text)
        except ValueError:
            return None
        if isinstance(value, list) and all(isinstance(v, str) for v in value):
            return value
        return None
    return ["sh", "-c", text] if text else None


def build_spec(
    settings: dict[str, Setting],
    dockerfile: str | None,
    context_of: Callable[[], dict[str, object]],
    ports: dict[str, tuple[int, str]],
) -> tuple[ContainerSpec, list[Problem]]:
    """Render and type the settings of one unit (see the module docstring).

    ``context_of`` builds the Mustache context; it is called only when a value holds a tag, since
    most values do not and a context lists every exporter of every import of the unit.
    """
    spec = ContainerSpec(where=dict(settings))
    problems: list[Problem] = []
    contexts: list[dict[str, object]] = []

    def render(s: Setting) -> str | None:
        if "{{" not in s.value:  # no tag: Mustache would give the text back as it is
            return s.value
        if not contexts:
            contexts.append(context_of())
        try:
            return str(_RENDERER.render(s.value, contexts[0]))
        except Exception as exc:  # pystache raises several types for malformed templates
            problems.append(problem("CMP_TEMPLATE", s.value_range, ("KEY", s.key), note=f"Mustache: {exc}."))
            return None

    values: dict[str, str] = {}
    for key, s in sorted(settings.items()):
        if key.startswith("port."):
            continue
        rendered = render(s)
        if rendered is not None:
            values[key] = rendered.strip()
    spec.image = values.get("image") or None
    if "build" in values:
        base = posixpath.dirname(settings["build"].value_range.file)
        spec.build_context = posixpath.normpath(posixpath.join(base, values["build"] or "."))
    elif dockerfile is not None and "image" not in settings:
        spec.build_context = posixpath.dirname(dockerfile)
    elif dockerfile is not None and spec.image is not None:
        spec.build_context = posixpath.dirname(dockerfile)
    spec.dockerfile = values.get("dockerfile") or None
    for key in ("command", "entrypoint"):
        if key in values:
            argv = _argv(values[key])
            if argv is None:
                problems.append(_bad(settings[key], "a JSON array of strings, or a shell command", values[key]))
            setattr(spec, key, argv)
    for var, (number, proto) in sorted(ports.items()):
        publish: int | str | None = None
        pub = values.get(f"publish.{var}")
        if pub is not None:
            low = pub.lower()
            if low == "random":
                publish = "random"
            elif low in ("", "none"):
                publish = None
            elif pub.isdigit() and 0 < int(pub) < 65536:
                publish = int(pub)
            else:
                problems.append(_bad(settings[f"publish.{var}"], "a host port number, random or none", pub))
        spec.ports.append(Port(var, number, proto, publish))
    if "healthcheck" in values:
        spec.health = _health(settings, values, problems)
    if "ready" in values:
        kind, _, rest = values["ready"].partition(":")
        var, _, path = rest.partition("/")
        if kind not in ("tcp", "http") or var not in ports:
            problems.append(
                _bad(settings["ready"], "tcp:<var> or http:<var>/<path> naming a port.<var>", values["ready"])
            )
        else:
            spec.ready = (kind, var, "/" + path)
    for key, value in values.items():
        if key.startswith("env."):
            spec.env[key[len("env.") :]] = value
        elif key.startswith("volume."):
            if not value.startswith("/"):
                problems.append(_bad(settings[key], "an absolute path inside the container", value))
            else:
                spec.volumes[key[len("volume.") :]] = value
    for key, choices in (
        ("restart", RESTART),
        ("replicas", ("expand", "collapse")),
        ("executor", ("auto", "yes", "no")),
        ("wait", ("none", "sh")),
    ):
        if key in values:
            if values[key] not in choices:
                problems.append(_bad(settings[key], " or ".join(choices), values[key]))
            else:
                setattr(spec, key, values[key])
    if spec.wait == "sh" and spec.command is None and spec.entrypoint is None:
        problems.append(
            _bad(
                settings["wait"],
                "a `command` (or `entrypoint`) next to `wait = sh`: the gate runs first, then execs it",
            )
        )
    spec.user = values.get("user") or None
    spec.working_dir = values.get("working_dir") or None
    if values.get("cap_add"):
        spec.cap_add = [c.strip() for c in values["cap_add"].split(",") if c.strip()]
    if "stop_grace_period" in values:
        if not _DURATION.fullmatch(values["stop_grace_period"]):
            problems.append(
                _bad(settings["stop_grace_period"], "a duration such as 10s or 1m30s", values["stop_grace_period"])
            )
        else:
            spec.stop_grace_period = values["stop_grace_period"]
    return spec, problems


def _health(settings: dict[str, Setting], values: dict[str, str], problems: list[Problem]) -> Health | None:
    text = values["healthcheck"]
    head, _, rest = text.partition(" ")
    test: tuple[str, ...]
    if head == "NONE":
        test = ("NONE",)
    elif head == "CMD-SHELL" and rest.strip():
        test = ("CMD-SHELL", rest.strip())
    elif head == "CMD":
        argv = _argv(rest) if rest.strip().startswith("[") else None
        if argv is None:
            problems.append(_bad(settings["healthcheck"], 'CMD ["prog", "arg"] (a JSON array)', text))
            return None
        test = ("CMD", *argv)
    else:
        problems.append(_bad(settings["healthcheck"], "CMD-SHELL <command>, CMD [...] or NONE", text))
        return None
    health = Health(test)
    durations = {}
    for key in ("interval", "timeout", "start_period"):
        v = values.get(f"healthcheck.{key}")
        if v is None:
            continue
        if not _DURATION.fullmatch(v):
            problems.append(_bad(settings[f"healthcheck.{key}"], "a duration such as 10s or 1m30s", v))
        else:
            durations[key] = v
    retries = None
    if "healthcheck.retries" in values:
        r = values["healthcheck.retries"]
        if r.isdigit() and int(r) > 0:
            retries = int(r)
        else:
            problems.append(_bad(settings["healthcheck.retries"], "a positive integer", r))
    return Health(
        health.test, durations.get("interval"), durations.get("timeout"), durations.get("start_period"), retries
    )
