"""Checks of container metadata (``container.properties``, ``rbcc.*`` target keys): rbcc's own ``CNT_*`` codes.

Roboconf ignores these keys, so nothing here changes a Roboconf verdict: the project loader adds
these problems after Roboconf's gated stages (dsl/project.py).  What can be checked on the text
is checked here, with the range of the key, the value or the template tag, so that ``rbcc
validate`` and the editor report it as the user types: unknown and duplicate keys, values of the
wrong form, variables the component does not export, Mustache syntax, names a template cannot
resolve, paths that lead nowhere, and metadata put where Roboconf reads target files.  A value
holding a template is checked once rendered, by ``rbcc compile`` (``CMP_TEMPLATE``).
"""

from __future__ import annotations

import difflib
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from chevron.tokenizer import ChevronError, tokenize

from rbcc.dsl.model import inheritance as ih
from rbcc.dsl.model.container import (
    CONTAINER_FILE,
    KEY_DOCS,
    ROOT_PREFIX,
    ContainerMetadata,
    Setting,
    TargetFile,
    metadata_target,
)
from rbcc.dsl.model.elements import Component, Graph, Instance
from rbcc.dsl.problems import Problem, Related, problem
from rbcc.dsl.text.ranges import SourceRange

#: plain keys and what their value must be (a tuple of choices, or the name of a form)
KEYS: dict[str, str | tuple[str, ...]] = {
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
    "cap_add": "capabilities",
    "stop_grace_period": "duration",
}
#: keys with a variable or name after the dot
FAMILIES = ("port.", "publish.", "env.", "volume.")
#: the names every instance's template context has (compiler/ir/environment.py)
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
#: what each item of an import list adds to the exporter's variables
ITEM_NAMES = frozenset({"name", "index", "first", "last"})
_DURATION = re.compile(r"^(\d+(ms|us|ns|s|m|h))+$")
_ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_CAPABILITY = re.compile(r"^(CAP_)?[A-Z][A-Z0-9_]*$|^ALL$")
_READY = re.compile(r"^(tcp|http):([^/]*)(/.*)?$")


@dataclass(slots=True)
class _Scope:
    """What a component's templates and mappings may name."""

    variables: set[str]
    #: variables mapped to a container port by ``port.<var>`` (the component's or a super's)
    ports: set[str]
    #: import prefix → the local names of the variables each item of its list carries
    imports: dict[str, set[str]]
    #: instance-only properties set by some instance of the component (or of a sub-component)
    properties: set[str] = field(default_factory=set)
    #: the component's directory (the base of relative paths)
    directory: Path = Path(".")
    #: the effective ``build`` (per profile) the ``dockerfile`` key is relative to
    builds: dict[str | None, Setting] = field(default_factory=dict)
    #: a conventional Dockerfile of the component or a super-component
    dockerfile: str | None = None


def check_containers(
    graph: Graph,
    containers: dict[str, ContainerMetadata],
    targets: dict[str, list[TargetFile]],
    root: Path,
    instances: Iterable[Instance] = (),
    reported: frozenset[str] = frozenset(),
) -> list[Problem]:
    """Every ``CNT_*`` problem of every component's own metadata and of the machines' target files.

    ``reported`` holds the target files Roboconf's own target checks already reported
    (``REC_TARGET_*``): a ``container.properties`` among them is not reported a second time.
    """
    out: list[Problem] = []
    properties = _instance_properties(instances)
    exported = _exported_by_prefix(graph) if containers else {}
    for name, meta in containers.items():
        component = graph.components.get(name)
        if component is None:
            continue
        scope = _scope(graph, component, containers, root, properties, exported)
        out.extend(_check_file(meta))
        for s in meta.settings:
            out.extend(check_setting(s, scope, root))
    for name, files in targets.items():
        out.extend(_check_targets(name, files, reported))
    return out


def _instance_properties(instances: Iterable[Instance]) -> dict[str, set[str]]:
    """Component name → the property names its instances write (overridden exports included)."""
    out: dict[str, set[str]] = {}
    queue = list(instances)
    while queue:
        inst = queue.pop()
        queue.extend(inst.children)
        out.setdefault(inst.component_name, set()).update(k.split(".", 1)[-1] for k in inst.overrides)
    return out


def _local(name: str) -> str:
    return name.split(".", 1)[1] if "." in name else name


def _scope(
    graph: Graph,
    c: Component,
    containers: dict[str, ContainerMetadata],
    root: Path,
    properties: dict[str, set[str]],
    exported: dict[str, set[str]],
) -> _Scope:
    variables = {_local(k) for k in ih.exports(graph, c)}
    imports: dict[str, set[str]] = {}
    for decl in ih.imports(graph, c).values():
        names = imports.setdefault(decl.prefix, set())
        if decl.is_wildcard:
            names.update(exported.get(decl.prefix, ()))
        else:
            names.add(_local(decl.name))
    ports: set[str] = set()
    builds: dict[str | None, Setting] = {}
    dockerfile: str | None = None
    for x in reversed(ih.chain(c)):  # a super-component's metadata counts, the component's wins
        meta = containers.get(x.name)
        if meta is None:
            continue
        ports |= {s.key[len("port.") :] for s in meta.settings if s.key.startswith("port.")}
        builds.update({s.profile: s for s in meta.settings if s.key == "build"})
        dockerfile = meta.dockerfile or dockerfile
    written: set[str] = set()
    for sub in ih.sub_components(c):
        written |= properties.get(sub.name, set())
    return _Scope(variables, ports, imports, written, root / "graph" / c.name, builds, dockerfile)


def _exported_by_prefix(graph: Graph) -> dict[str, set[str]]:
    """Local names of the variables exported under each prefix: what a wildcard import can name.

    Built once per check (not per import), which keeps the check linear in the graph's size.
    """
    out: dict[str, set[str]] = {}
    for c in graph.components.values():
        for k in ih.exports(graph, c):
            prefix, _, name = k.partition(".")
            out.setdefault(prefix, set()).add(name if name else k)
    return out


def _check_file(meta: ContainerMetadata) -> list[Problem]:
    out: list[Problem] = []
    if meta.malformed is not None:
        out.append(
            problem(
                "CNT_MALFORMED_ESCAPE",
                meta.malformed,
                ("FILE", meta.file),
                note="Write four hexadecimal digits after `\\u`, or `\\\\` for a backslash.",
            )
        )
    final = {(s.key, s.profile): s for s in meta.settings}
    for s in meta.overridden:
        later = final.get((s.key, s.profile))
        related = (Related(later.key_range, "the definition that wins"),) if later is not None else ()
        out.append(
            problem(
                "CNT_DUPLICATE_KEY",
                s.key_range,
                ("KEY", _written(s)),
                related=related,
                note="Remove this line, or give the key a profile (`key@profile`) if both values are meant.",
            )
        )
    return out


def _written(s: Setting) -> str:
    return s.key if s.profile is None else f"{s.key}@{s.profile}"


def _check_targets(component: str, files: list[TargetFile], reported: frozenset[str]) -> list[Problem]:
    out: list[Problem] = []
    for t in files:
        if t.file.rsplit("/", 1)[-1] == CONTAINER_FILE and t.file not in reported:
            first = min((e.key_range for e in t.entries.values()), default=SourceRange.file_start(t.file))
            out.append(
                problem(
                    "CNT_CONTAINER_FILE_IN_ROOT",
                    first,
                    ("COMPONENT", component),
                    note=f"Move these keys into graph/{component}/target.properties with the `rbcc.` prefix "
                    "(`image` becomes `rbcc.image`) and delete this file.",
                )
            )
    chosen = metadata_target(files)
    for t in files:
        if chosen is None or t is chosen:
            continue
        keys = [e for e in t.entries.values() if e.key.startswith(ROOT_PREFIX)]
        if keys:
            out.append(
                problem(
                    "CNT_IGNORED_TARGET_METADATA",
                    min(e.key_range for e in keys),
                    ("FILE", t.file),
                    ("EXPECTED", chosen.file),
                    note=f"Only the rbcc.* keys of {chosen.file} are read; move these there.",
                )
            )
    return out


def check_setting(s: Setting, scope: _Scope, root: Path) -> list[Problem]:
    """The problems of one key and its value."""
    family = next((f for f in FAMILIES if s.key.startswith(f)), None)
    if s.profile == "":
        return [problem("CNT_UNKNOWN_KEY", s.key_range, ("KEY", f"{s.key}@"), note="Write a profile name after `@`.")]
    if family is None and s.key not in KEYS:
        close = difflib.get_close_matches(s.key, list(KEYS) + [f"{f}<name>" for f in FAMILIES], n=1)
        if not close and "." in s.key:  # a family's name mistyped: `prot.http`
            head, rest = s.key.split(".", 1)
            close = [f"{f}{rest}" for f in difflib.get_close_matches(head + ".", FAMILIES, n=1)]
        note = f"Did you mean `{close[0]}`?" if close else "See docs/container-metadata.md for the keys."
        return [problem("CNT_UNKNOWN_KEY", s.key_range, ("KEY", s.key), note=note)]
    try:
        tokens = list(tokenize(s.value))
    except ChevronError as exc:
        reason = " ".join(str(exc).split())
        return [problem("CNT_TEMPLATE_SYNTAX", s.value_range, ("KEY", s.key), note=f"Mustache: {reason}.")]
    templated = any(kind != "literal" for kind, _ in tokens)
    if family in ("port.", "publish."):
        return _check_port(s, family, scope, templated)
    out: list[Problem] = []
    if family == "env." and not _ENV_NAME.fullmatch(s.key[len("env.") :]):
        out.append(_invalid(s, "an environment variable name of letters, digits and `_` after `env.`", key=True))
    if family == "volume." and not templated and not s.value.strip().startswith("/"):
        out.append(_invalid(s, "an absolute path inside the container"))
    if family is None and not templated:
        out.extend(_check_value(s, KEYS[s.key], scope, root))
    out.extend(_check_names(s, tokens, scope))
    return out


def _check_port(s: Setting, family: str, scope: _Scope, templated: bool) -> list[Problem]:
    out: list[Problem] = []
    var = s.key[len(family) :]
    if var not in scope.variables:
        close = difflib.get_close_matches(var, sorted(scope.variables), n=1)
        note = f"Did you mean `{family}{close[0]}`?" if close else "Map an exported variable of this component."
        out.append(problem("CNT_UNKNOWN_VARIABLE", s.key_range, ("VARIABLE", var), note=note))
    elif family == "publish." and var not in scope.ports:
        out.append(
            problem(
                "CNT_PUBLISH_WITHOUT_PORT", s.key_range, ("VARIABLE", var), note=f"Add `port.{var} = <container port>`."
            )
        )
    if family == "port." and not _is_port(s.value.strip()):
        out.append(_invalid(s, "a port number, optionally /tcp or /udp (no template: ports decide what values mean)"))
    if family == "publish." and not templated and not _is_publish(s.value.strip()):
        out.append(_invalid(s, "a host port number, `random` or `none`"))
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
    return isinstance(value, list) and bool(value) and all(isinstance(v, str) for v in value)


def _health_ok(v: str) -> bool:
    head, _, rest = v.partition(" ")
    if head == "CMD-SHELL":
        return bool(rest.strip())
    if head == "CMD":
        return rest.strip().startswith("[") and _argv_ok(rest)
    return v == "NONE"


def _check_value(s: Setting, kind: str | tuple[str, ...], scope: _Scope, root: Path) -> list[Problem]:
    v = s.value.strip()
    if isinstance(kind, tuple):
        return [] if v in kind else [_invalid(s, " or ".join(f"`{k}`" for k in kind))]
    if kind == "duration" and not _DURATION.fullmatch(v):
        return [_invalid(s, "a duration such as `10s`, `1m30s` or `500ms`")]
    if kind == "positive" and not (v.isdigit() and int(v) > 0):
        return [_invalid(s, "a positive integer")]
    if kind == "argv" and not _argv_ok(v):
        return [_invalid(s, 'a JSON array of strings (`["prog", "arg"]`) or a shell command')]
    if kind == "health" and not _health_ok(v):
        return [_invalid(s, '`CMD-SHELL <command>`, `CMD ["prog", "arg"]` or `NONE`')]
    if kind == "capabilities":
        bad = [c.strip() for c in v.split(",") if not _CAPABILITY.match(c.strip())]
        if bad:
            return [_invalid(s, f"comma-separated capability names such as `NET_ADMIN` (not `{bad[0]}`)")]
    if kind == "ready":
        return _check_ready(s, v, scope)
    if kind == "dir":
        if not (root / Path(s.value_range.file).parent / v).is_dir():
            return [problem("CNT_MISSING_PATH", s.value_range, ("KEY", s.key), ("VALUE", v))]
    if kind == "file":
        return _check_dockerfile(s, v, scope, root)
    return []


def _check_ready(s: Setting, v: str, scope: _Scope) -> list[Problem]:
    m = _READY.match(v)
    if m is None or not m.group(2):
        return [_invalid(s, "`tcp:<var>` or `http:<var>/<path>`")]
    var = m.group(2)
    start = s.value.find(var, len(m.group(1)) + 1)  # the value read keeps no leading blank
    where = s.span_range(start, start + len(var)) if start >= 0 else s.value_range
    if var not in scope.variables:
        close = difflib.get_close_matches(var, sorted(scope.variables), n=1)
        note = f"Did you mean `{close[0]}`?" if close else "Name an exported variable of this component."
        return [problem("CNT_UNKNOWN_VARIABLE", where, ("VARIABLE", var), note=note)]
    if var not in scope.ports:
        return [
            problem("CNT_READY_WITHOUT_PORT", where, ("VARIABLE", var), note=f"Add `port.{var} = <container port>`.")
        ]
    return []


def _check_dockerfile(s: Setting, v: str, scope: _Scope, root: Path) -> list[Problem]:
    """``dockerfile`` names a file of the build context: ``build``'s, else the conventional Dockerfile's directory."""
    build = scope.builds.get(s.profile) or scope.builds.get(None)
    if build is not None:
        if "{{" in build.value:
            return []  # known once rendered
        context = root / Path(build.value_range.file).parent / build.value.strip()
    elif scope.dockerfile is not None:
        context = root / Path(scope.dockerfile).parent
    else:
        context = scope.directory
    if not v or not (context / v).is_file():
        return [problem("CNT_MISSING_PATH", s.value_range, ("KEY", s.key), ("VALUE", v))]
    return []


def _check_names(s: Setting, tokens: list[tuple[str, str]], scope: _Scope) -> list[Problem]:
    """Names no context entry provides: at the top, the component's; inside an import's section, its items' too."""
    top = scope.variables | META_NAMES | set(scope.imports) | scope.properties
    unknown: list[str] = []
    partials: list[str] = []
    stack: list[set[str]] = [top]
    for kind, key in tokens:
        head = key.split(".", 1)[0]
        if kind == "partial":
            partials.append(key)
        elif kind in ("section", "inverted section"):
            if head not in stack[-1] and head != ".":
                unknown.append(head)
            inner = set(stack[-1])
            if len(stack) == 1 and head in scope.imports:
                inner |= scope.imports[head] | ITEM_NAMES
            stack.append(inner)
        elif kind == "end":
            if len(stack) > 1:
                stack.pop()
        elif kind in ("variable", "no escape") and head not in stack[-1] and head != ".":
            unknown.append(head)
    out: list[Problem] = []
    for name in dict.fromkeys(unknown):
        close = difflib.get_close_matches(name, sorted(stack[0]), n=1)
        note = (
            f"Did you mean `{close[0]}`?"
            if close
            else "Use an exported variable of the component, an import prefix (as a section), or a ROBOCONF_* "
            "name; an instance-only property works only where the instance sets it."
        )
        out.append(problem("CNT_UNKNOWN_TEMPLATE_NAME", _tag_range(s, name), ("NAME", name), note=note))
    for name in dict.fromkeys(partials):
        out.append(
            problem(
                "CNT_UNKNOWN_TEMPLATE_NAME",
                _tag_range(s, name),
                ("NAME", f">{name}"),
                note="Partials are not supported: there is nothing to include.",
            )
        )
    return out


def _tag_range(s: Setting, name: str) -> SourceRange:
    """The range of ``name`` in the first tag that uses it (the whole value when it cannot be found)."""
    m = re.search(r"\{\{\{?\s*[#^/&>]?\s*(" + re.escape(name) + r")(?=[\s.}])", s.value)
    if m is None:
        return s.value_range
    return s.span_range(m.start(1), m.end(1))


def known_keys() -> list[str]:
    """Every key pattern of the table (``port.<var>`` for a family), for completion and the docs."""
    return list(KEY_DOCS)
