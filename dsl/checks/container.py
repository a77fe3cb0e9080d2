"""Checks of container metadata (``container.properties``, ``rbcc.*`` target keys): rbcc's own ``CNT_*`` codes.

Roboconf ignores these files, so nothing here changes a Roboconf verdict.  What can be checked on
the text is checked here, with the range of the key or value, so that ``rbcc validate`` and the
editor report it as the user types: unknown keys, values of the wrong form, variables the
component does not export, Mustache syntax, names a template cannot resolve.  A value holding a
template is checked once rendered, by ``rbcc compile`` (``CMP_TEMPLATE``).
"""

from __future__ import annotations

import difflib
import json
import re
from pathlib import Path

from chevron.tokenizer import ChevronError, tokenize

from rbcc.dsl.model import inheritance as ih
from rbcc.dsl.model.container import KEY_DOCS, ContainerMetadata, Setting
from rbcc.dsl.model.elements import Component, Graph
from rbcc.dsl.problems import Problem, problem

#: plain keys and what their value must be (a regular expression, a tuple of choices, or a kind)
KEYS: dict[str, object] = {
    "image": "text",
    "build": "dir",
    "dockerfile": "file",
    "command": "argv",
    "entrypoint": "argv",
    "healthcheck": "health",
    "healthcheck.interval": "duration",
    "healthcheck.timeout": "duration",
    "healthcheck.start_period": "duration",
    "healthcheck.retries": "positive",
    "ready": "ready",
    "restart": ("no", "always", "on-failure", "unless-stopped"),
    "replicas": ("expand", "collapse"),
    "executor": ("auto", "yes", "no"),
    "wait": ("none", "sh"),
    "user": "text",
    "working_dir": "text",
    "cap_add": "text",
    "stop_grace_period": "duration",
}
#: keys with a variable or name after the dot
FAMILIES = ("port.", "publish.", "env.", "volume.")
META_NAMES = frozenset(
    {
        "ROBOCONF_INSTANCE_NAME",
        "ROBOCONF_INSTANCE_PATH",
        "ROBOCONF_COMPONENT_NAME",
        "ROBOCONF_CLEAN_INSTANCE_PATH",
        "ROBOCONF_CLEAN_REVERSED_INSTANCE_PATH",
        "ROBOCONF_APPLICATION_NAME",
    }
)
_DURATION = re.compile(r"^(\d+(ms|us|ns|s|m|h))+$")
_ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def all_keys() -> list[str]:
    return list(KEY_DOCS)


def check_containers(graph: Graph, containers: dict[str, ContainerMetadata], root: Path) -> list[Problem]:
    """Every ``CNT_*`` problem of every component's own metadata."""
    out: list[Problem] = []
    for name, meta in containers.items():
        component = graph.components.get(name)
        if component is None:
            continue
        out.extend(_check(graph, component, meta, containers, root))
    return out


def _locals(graph: Graph, c: Component) -> set[str]:
    return {k.split(".", 1)[1] if "." in k else k for k in ih.exports(graph, c)}


def _import_prefixes(graph: Graph, c: Component) -> set[str]:
    return {d.prefix for d in ih.imports(graph, c).values()}


def _check(
    graph: Graph, c: Component, meta: ContainerMetadata, containers: dict[str, ContainerMetadata], root: Path
) -> list[Problem]:
    out: list[Problem] = []
    variables = _locals(graph, c)
    prefixes = _import_prefixes(graph, c)
    ports: set[str] = set()
    for x in ih.chain(c):  # ports mapped by a super-component's metadata count too
        other = containers.get(x.name)
        if other is not None:
            ports |= {s.key[len("port.") :] for s in other.settings if s.key.startswith("port.")}
    for s in meta.settings:
        out.extend(_check_setting(s, variables, ports, prefixes, root))
    return out


def _check_setting(s: Setting, variables: set[str], ports: set[str], prefixes: set[str], root: Path) -> list[Problem]:
    out: list[Problem] = []
    family = next((f for f in FAMILIES if s.key.startswith(f)), None)
    if family is None and s.key not in KEYS:
        close = difflib.get_close_matches(s.key, all_keys(), n=1)
        note = f"Did you mean `{close[0]}`?" if close else "See docs/container-metadata.md for the keys."
        return [problem("CNT_UNKNOWN_KEY", s.key_range, ("KEY", s.key), note=note)]
    try:
        tokens = list(tokenize(s.value))
    except ChevronError as exc:
        reason = " ".join(str(exc).split())
        return [problem("CNT_TEMPLATE_SYNTAX", s.value_range, ("KEY", s.key), note=f"Mustache: {reason}.")]
    templated = "{{" in s.value
    if family in ("port.", "publish."):
        var = s.key[len(family) :]
        if var not in variables:
            close = difflib.get_close_matches(var, sorted(variables), n=1)
            note = f"Did you mean `{family}{close[0]}`?" if close else "Map an exported variable of this component."
            out.append(problem("CNT_UNKNOWN_VARIABLE", s.key_range, ("VARIABLE", var), note=note))
        elif family == "publish." and var not in ports:
            out.append(
                problem(
                    "CNT_PUBLISH_WITHOUT_PORT",
                    s.key_range,
                    ("VARIABLE", var),
                    note=f"Add `port.{var} = <container port>`.",
                )
            )
        if family == "port." and not _is_port(s.value.strip()):
            out.append(
                _invalid(s, "a port number, optionally /tcp or /udp (no template: ports decide what values mean)")
            )
        if family == "publish." and not templated and not _is_publish(s.value.strip()):
            out.append(_invalid(s, "a host port number, `random` or `none`"))
        return out
    if family == "env." and not _ENV_NAME.fullmatch(s.key[len("env.") :]):
        out.append(_invalid(s, "an environment variable name of letters, digits and `_` after `env.`", key=True))
    if family == "volume." and not templated and not s.value.strip().startswith("/"):
        out.append(_invalid(s, "an absolute path inside the container"))
    if family is None and not templated:
        out.extend(_check_value(s, KEYS[s.key], variables, ports, root))
    out.extend(_check_names(s, tokens, variables, prefixes))
    return out


def _invalid(s: Setting, expected: str, key: bool = False) -> Problem:
    return problem(
        "CNT_INVALID_VALUE", s.key_range if key else s.value_range, ("KEY", s.key), note=f"Expected {expected}."
    )


def _is_port(text: str) -> bool:
    number, _, proto = text.partition("/")
    return number.isdigit() and 0 < int(number) < 65536 and (proto or "tcp").lower() in ("tcp", "udp")


def _is_publish(text: str) -> bool:
    return text.lower() in ("random", "none", "") or (text.isdigit() and 0 < int(text) < 65536)


def _argv_ok(text: str) -> bool:
    text = text.strip()
    if not text.startswith("["):
        return bool(text)
    try:
        value = json.loads(text)
    except ValueError:
        return False
    return isinstance(value, list) and all(isinstance(v, str) for v in value)


def _check_value(s: Setting, kind: object, variables: set[str], ports: set[str], root: Path) -> list[Problem]:
    v = s.value.strip()
    if isinstance(kind, tuple):
        return [] if v in kind else [_invalid(s, " or ".join(f"`{k}`" for k in kind))]
    if kind == "duration" and not _DURATION.fullmatch(v):
        return [_invalid(s, "a duration such as `10s`, `1m30s` or `500ms`")]
    if kind == "positive" and not (v.isdigit() and int(v) > 0):
        return [_invalid(s, "a positive integer")]
    if kind == "argv" and not _argv_ok(v):
        return [_invalid(s, 'a JSON array of strings (`["prog", "arg"]`) or a shell command')]
    if kind == "health":
        head, _, rest = v.partition(" ")
        ok = (
            v == "NONE"
            or (head == "CMD-SHELL" and rest.strip())
            or (head == "CMD" and rest.strip().startswith("[") and _argv_ok(rest))
        )
        if not ok:
            return [_invalid(s, '`CMD-SHELL <command>`, `CMD ["prog", "arg"]` or `NONE`')]
    if kind == "ready":
        m = re.match(r"^(tcp|http):([^/]+)(/.*)?$", v)
        if m is None:
            return [_invalid(s, "`tcp:<var>` or `http:<var>/<path>`")]
        if m.group(2) not in ports:
            return [
                problem(
                    "CNT_UNKNOWN_VARIABLE",
                    s.value_range,
                    ("VARIABLE", m.group(2)),
                    note=f"Add `port.{m.group(2)} = <container port>`.",
                )
            ]
    if kind in ("dir", "file") and v:
        base = root / Path(s.value_range.file).parent
        target = base / v
        if kind == "dir" and not target.is_dir():
            return [problem("CNT_MISSING_PATH", s.value_range, ("KEY", s.key), ("PATH", v))]
    return []


def _check_names(s: Setting, tokens: list[tuple[str, str]], variables: set[str], prefixes: set[str]) -> list[Problem]:
    """Top-level ``{{name}}`` and ``{{#section}}`` names that no context entry provides."""
    known = variables | META_NAMES | prefixes
    unknown = sorted({n for n in _top_names(tokens) if n not in known and n != "."})
    if not unknown:
        return []
    return [
        problem(
            "CNT_UNKNOWN_TEMPLATE_NAME",
            s.value_range,
            ("NAME", ", ".join(unknown)),
            note="Use an exported variable of the component, an import prefix, or a ROBOCONF_* name "
            "(an instance-only property works only where every instance sets it).",
        )
    ]


def _top_names(tokens: list[tuple[str, str]]) -> list[str]:
    """Names used outside any section (inside one, names are the items' variables)."""
    out: list[str] = []
    depth = 0
    for kind, key in tokens:
        if kind in ("section", "inverted section"):
            if depth == 0:
                out.append(key.split(".", 1)[0])
            depth += 1
        elif kind == "end":
            depth -= 1
        elif kind in ("variable", "no escape") and depth == 0:
            out.append(key.split(".", 1)[0])
    return out
