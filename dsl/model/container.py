"""Container metadata of components: what image runs an instance, its ports, health check, environment.

Roboconf's graph says nothing about images, so rbcc reads it beside the recipes (compile.md §3.4,
docs/container-metadata.md): ``graph/<Component>/container.properties`` for non-root components,
``rbcc.*`` keys in a root component's target files (Roboconf reads every ``*.properties`` directly
in a root's directory as a target, so a ``container.properties`` there would break the original
deployment manager), and a ``Dockerfile`` in the component's directory, which implies a build.
Keys may carry a profile (``image@standin``) whose value wins when that profile is chosen.
Values stay raw text here (they are Mustache templates rendered per instance by the compiler).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from rbcc.dsl.java import PropertyEntry, java_trim, read_property_entries
from rbcc.dsl.model import inheritance as ih
from rbcc.dsl.model.elements import Component, Graph
from rbcc.dsl.text.files import SourceError, Sources
from rbcc.dsl.text.ranges import SourceRange

CONTAINER_FILE = "container.properties"
ROOT_PREFIX = "rbcc."


@dataclass(frozen=True, slots=True)
class Setting:
    """One metadata key as written: ``key`` without ``rbcc.`` and ``@profile``, the raw ``value``."""

    key: str
    profile: str | None
    value: str
    key_range: SourceRange
    value_range: SourceRange
    #: the properties entry it was read from, which locates parts of the value (None when built)
    entry: PropertyEntry | None = field(default=None, compare=False, repr=False)

    def span_range(self, start: int, end: int) -> SourceRange:
        """The source range of ``value[start:end]`` (the whole value when positions are unknown)."""
        if self.entry is None or not 0 <= start < end <= len(self.value):
            return self.value_range
        return self.entry.span_range(start, end)


@dataclass(slots=True)
class ContainerMetadata:
    """The container metadata one component declares itself (inheritance is :func:`effective_container`)."""

    component: str
    file: str | None
    #: one per key as written (``image`` and ``image@standin`` are two), the last definition of each
    settings: list[Setting] = field(default_factory=list)
    dockerfile: str | None = None
    #: earlier definitions of a key defined again further down (ignored, as Java's reader does)
    overridden: list[Setting] = field(default_factory=list)
    #: where Java's reader would have stopped on a malformed ``\\uXXXX`` escape (the rest is ignored)
    malformed: SourceRange | None = None

    def values(self, profile: str | None = None) -> dict[str, Setting]:
        """Plain keys, overridden by the ``key@profile`` ones of ``profile``; the last definition wins."""
        out: dict[str, Setting] = {}
        for s in self.settings:
            if s.profile is None:
                out[s.key] = s
        if profile is not None:
            for s in self.settings:
                if s.profile == profile:
                    out[s.key] = s
        return out


@dataclass(slots=True)
class TargetFile:
    """A target file (``*.properties``) directly in a root component's directory."""

    component: str
    file: str
    id: str | None
    handler: str | None
    entries: dict[str, PropertyEntry] = field(default_factory=dict)
    #: earlier definitions of a key defined again further down
    overridden: list[PropertyEntry] = field(default_factory=list)


def split_key(key: str) -> tuple[str, str | None]:
    """``"image@standin"`` → ``("image", "standin")``; a key without ``@`` has no profile."""
    base, at, profile = key.rpartition("@")
    if not at or not base:
        return key, None
    return base, profile


def _setting(entry: PropertyEntry, prefix: str) -> Setting:
    base, profile = split_key(entry.key[len(prefix) :])
    return Setting(base, profile, entry.value, entry.key_range, entry.value_range, entry)


def _settings(entries: Iterable[PropertyEntry], prefix: str) -> list[Setting]:
    return [_setting(entry, prefix) for entry in entries if entry.key.startswith(prefix)]


def _dir(graph_rel: str, name: str) -> str:
    return f"{graph_rel}/{name}" if graph_rel else name


def machine_roots(graph: Graph) -> list[Component]:
    """The root components whose installer (their own or inherited) is ``target``: the machines.

    Their directory holds target files, which Roboconf parses (every direct ``*.properties``), so
    their metadata goes into ``rbcc.*`` keys of those files.  A root with another installer is
    already an error in an application (``RM_ROOT_INSTALLER_MUST_BE_TARGET``) and, in a project of
    reusable recipes, a component the using application places under a machine: it keeps a
    ``container.properties`` like any other component.
    """
    return [c for c in ih.root_components(graph) if (ih.installer(c) or "").lower() == "target"]


def read_containers(
    graph: Graph, sources: Sources, graph_rel: str = "graph"
) -> tuple[dict[str, ContainerMetadata], dict[str, list[TargetFile]]]:
    """Every component's own metadata and every machine root's target files (project-relative paths).

    A root's metadata is the ``rbcc.*`` keys of one of its target files: when several of them
    hold ``rbcc.*`` keys, the one whose ``handler`` is ``docker`` (the first by name among
    several), else the first by name; the others are ignored (``CNT_IGNORED_TARGET_METADATA``).
    A ``Dockerfile`` in the component's directory is metadata on its own (it implies a build).
    """
    roots = {c.name for c in machine_roots(graph)}
    containers: dict[str, ContainerMetadata] = {}
    targets: dict[str, list[TargetFile]] = {}
    for c in graph.components.values():
        directory = _dir(graph_rel, c.name)
        if not sources.is_dir(directory):
            continue
        dockerfile = f"{directory}/Dockerfile" if sources.exists(f"{directory}/Dockerfile") else None
        meta: ContainerMetadata | None = None
        if c.name in roots:
            files = _target_files(c, directory, sources)
            targets[c.name] = files
            chosen = metadata_target(files)
            if chosen is not None:
                meta = ContainerMetadata(
                    c.name,
                    chosen.file,
                    _settings(chosen.entries.values(), ROOT_PREFIX),
                    dockerfile,
                    _settings(chosen.overridden, ROOT_PREFIX),
                )
        else:
            rel = f"{directory}/{CONTAINER_FILE}"
            text = _read(sources, rel)
            if text is not None:
                entries, malformed = read_property_entries(text, rel)
                last = {e.key: e for e in entries}
                kept = list(last.values())
                earlier = [e for e in entries if last[e.key] is not e]
                meta = ContainerMetadata(
                    c.name, rel, _settings(kept, ""), dockerfile, _settings(earlier, ""), malformed
                )
        if meta is None and dockerfile is not None:
            meta = ContainerMetadata(c.name, None, [], dockerfile)
        if meta is not None:
            containers[c.name] = meta
    return containers, targets


def metadata_target(files: list[TargetFile]) -> TargetFile | None:
    """The target file whose ``rbcc.*`` keys are the root's metadata (see :func:`read_containers`)."""
    holders = [t for t in files if any(k.startswith(ROOT_PREFIX) for k in t.entries)]
    docker = [t for t in holders if (t.handler or "").lower() == "docker"]
    return (docker or holders)[0] if holders else None


def _read(sources: Sources, rel: str) -> str | None:
    """The text of ``rel``, or None when it is missing or unreadable (Roboconf reads quietly too)."""
    try:
        return sources.read(rel) if sources.exists(rel) else None
    except SourceError:
        return None


def _target_files(c: Component, directory: str, sources: Sources) -> list[TargetFile]:
    names: set[str] = {rel.rsplit("/", 1)[1] for rel in sources.overlays if rel.rsplit("/", 1)[0] == directory}
    try:
        names.update(p.name for p in (sources.root / directory).iterdir() if p.is_file())
    except OSError:
        pass
    out = []
    for name in sorted(names):
        if not name.endswith(".properties"):
            continue
        rel = f"{directory}/{name}"
        text = _read(sources, rel)
        if text is None:
            continue
        read, _ = read_property_entries(text, rel)
        entries = {e.key: e for e in read}
        tid = entries.get("id")
        handler = entries.get("handler")
        out.append(
            TargetFile(
                c.name,
                rel,
                java_trim(tid.value) or None if tid else None,
                java_trim(handler.value) or None if handler else None,
                entries,
                [e for e in read if entries[e.key] is not e],
            )
        )
    return out


def effective_container(
    graph: Graph, containers: dict[str, ContainerMetadata], component: Component, profile: str | None = None
) -> dict[str, Setting] | None:
    """The settings of ``component`` merged over ``extends`` (farthest super first, the component last).

    None when neither the component nor a super-component has metadata (a Dockerfile counts).
    """
    chain = ih.chain(component)
    found = False
    merged: dict[str, Setting] = {}
    for c in reversed(chain):
        meta = containers.get(c.name)
        if meta is None:
            continue
        found = True
        merged.update(meta.values(profile))
    return merged if found else None


#: every key (``<var>``/``<name>`` stand for what follows the dot) with its documentation, for
#: the language server's completion and hover and for docs/container-metadata.md
KEY_DOCS: dict[str, str] = {
    "image": "Image reference (a template): `zookeeper:{{zkVersion}}`. A containerized component needs "
    "`image`, `build` or a Dockerfile.",
    "build": "Build context, relative to this directory (default `.` when a Dockerfile is here). Swarm and "
    "Kubernetes also need `image` (the tag to push).",
    "dockerfile": "Dockerfile name inside the build context.",
    "command": 'Compose `command` / Kubernetes `args`: a JSON array (`["storm", "nimbus"]`) or a shell string '
    "(run with `sh -c`).",
    "entrypoint": "Compose `entrypoint` / Kubernetes `command`: a JSON array or a shell string.",
    "port.<var>": "Container port of the exported variable `<var>` (`7000`, `7000/tcp`, `53/udp`); inside the "
    "network the export's value becomes this port. A literal, not a template.",
    "publish.<var>": "Publish that port on the host: a port number, `random` or `none` (the default).",
    "healthcheck": '`CMD-SHELL <command>`, `CMD ["prog", "arg"]` or `NONE`. Importers wait until it passes '
    "(Compose `service_healthy`, Kubernetes readiness probe).",
    "healthcheck.interval": "Time between checks: `10s`, `1m30s`, `500ms`.",
    "healthcheck.timeout": "How long one check may take: `5s`.",
    "healthcheck.start_period": "Grace period after start during which failures do not count: `30s`.",
    "healthcheck.retries": "Consecutive failures before the container is unhealthy (a positive integer).",
    "ready": "Kubernetes readiness probe for images without a shell: `tcp:<var>` or `http:<var>/<path>` "
    "(`<var>` mapped by a `port.<var>`).",
    "env.<NAME>": "Extra environment variable of the container (a template), added to the Roboconf variables.",
    "volume.<name>": "Persistent named volume mounted at this absolute path (a PersistentVolumeClaim in Kubernetes).",
    "restart": "`no`, `always`, `on-failure` or `unless-stopped` (the default).",
    "replicas": "`expand` (the default: one service per copy of a `count`) or `collapse`: the copies become one "
    "service with as many replicas, which importers list once (copies that differ stay expanded, with a note).",
    "executor": "`auto`, `yes` or `no`: reserved for images that carry rbcc's executor (to come with `rbcc deploy`); "
    "today co-located recipes under a prebuilt image are an error whatever the value (the compiler says so).",
    "wait": "`none` (the default) or `sh`: a shell gate waits until every mandatory exporter answers, then runs "
    "`entrypoint` and `command` (needs `sh` and `nc` in the image; give the entrypoint).",
    "user": "User the container runs as.",
    "working_dir": "Working directory in the container.",
    "cap_add": "Comma-separated Linux capabilities to add.",
    "stop_grace_period": "How long a stop waits before killing: `10s`.",
}
#: the keys whose values are one of a few words
KEY_CHOICES: dict[str, tuple[str, ...]] = {
    "restart": ("no", "always", "on-failure", "unless-stopped"),
    "replicas": ("expand", "collapse"),
    "executor": ("auto", "yes", "no"),
    "wait": ("none", "sh"),
    "healthcheck": ("CMD-SHELL ", 'CMD [""]', "NONE"),
    "publish.<var>": ("random", "none"),
}


def key_doc(key: str) -> str | None:
    """The documentation of a metadata key (``port.httpPort`` → the ``port.<var>`` entry)."""
    base, _ = split_key(key)
    if base.startswith(ROOT_PREFIX):
        base = base[len(ROOT_PREFIX) :]
    if base in KEY_DOCS:
        return KEY_DOCS[base]
    family = base.split(".", 1)[0] + "."
    for pattern, doc in KEY_DOCS.items():
        if pattern.startswith(family) and pattern.endswith(">"):
            return doc
    return None
