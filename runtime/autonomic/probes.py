"""Evaluating probes (runtime.md §6.1): does a measure's condition hold now, and what event does it send.

An agent samples the measures of every started instance on a period (20 s in Roboconf) and sends
``Autonomic(event, info)`` for each positive check, without de-duplication.  This module is one
sample of one measure; the agent's loop and the messaging live in the executor.

* ``file``: a path that exists (``Delete if exists <p>``: and is then deleted), or
  ``Notify if not exists <p>`` for a missing one;
* ``rest``: ``Check <url> THAT <key> <op> <value>``; the answer is read as JSON (dotted keys reach
  into objects) or, failing that, as ``key: value`` lines [F]; numbers compare as numbers, other
  values only with ``=``/``==``;
* ``docker``: the container (by name, a ``ROBOCONF_*`` variable, or the instance's reversed clean
  path) is not running — asked through the Docker SDK.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rbcc.dsl.probes import FILE_CHECK, REST_CHECK, Measure

#: how long one REST check may take: a sample never blocks the agent's loop for long
HTTP_TIMEOUT = 5.0


@dataclass(frozen=True, slots=True)
class Sample:
    """The result of one check: ``fired`` sends ``event``; ``info`` says what was seen."""

    event: str
    fired: bool
    info: str


def sample(
    measure: Measure,
    env: Mapping[str, str],
    container_running: Callable[[str], bool | None] | None = None,
) -> Sample:
    """Check ``measure`` once; ``env`` holds the instance's ``ROBOCONF_*`` variables."""
    if measure.handler == "file":
        return _file(measure)
    if measure.handler == "rest":
        return _rest(measure)
    if measure.handler == "docker":
        return _docker(measure, env, container_running)
    return Sample(measure.event, False, f"handler {measure.handler} is not supported")


def _file(m: Measure) -> Sample:
    body = m.body[0] if m.body else ""
    found = FILE_CHECK.fullmatch(body)
    if found is None:
        path = Path(body)
        return Sample(m.event, path.exists(), f"{path} {'exists' if path.exists() else 'is missing'}")
    path = Path(found.group(2).strip())
    if found.group(1).lower() == "notify if not exists":
        return Sample(m.event, not path.exists(), f"{path} {'exists' if path.exists() else 'is missing'}")
    if path.exists():
        try:
            path.unlink()
        except OSError as exc:
            return Sample(m.event, True, f"{path} exists (cannot delete it: {exc.strerror})")
        return Sample(m.event, True, f"{path} existed and was deleted")
    return Sample(m.event, False, f"{path} is missing")


def _rest(m: Measure) -> Sample:
    found = REST_CHECK.fullmatch(m.body[0]) if m.body else None
    if found is None:
        return Sample(m.event, False, "the check cannot be read")
    url, key, op, expected = found.group(1), found.group(2), found.group(3), found.group(4).strip()
    try:
        with urllib.request.urlopen(url, timeout=HTTP_TIMEOUT) as answer:
            text = answer.read(1 << 20).decode("utf-8", errors="replace")
    except (urllib.error.URLError, OSError, ValueError) as exc:
        return Sample(m.event, False, f"{url}: {getattr(exc, 'reason', exc)}")
    value = _lookup(text, key)
    if value is None:
        return Sample(m.event, False, f"{url} has no {key}")
    return Sample(m.event, compare(value, op, expected), f"{key} = {value}")


def _lookup(text: str, key: str) -> str | None:
    """``key`` in a JSON answer (``a.b`` reaches into objects), else in ``key: value`` lines."""
    try:
        doc: Any = json.loads(text)
    except ValueError:
        doc = None
    if doc is not None:
        for part in key.split("."):
            if not isinstance(doc, dict) or part not in doc:
                doc = None
                break
            doc = doc[part]
        if doc is not None and not isinstance(doc, dict | list):
            return str(doc).lower() if isinstance(doc, bool) else str(doc)
    for line in text.splitlines():
        k, sep, v = line.partition(":")
        if sep and k.strip() == key:
            return v.strip()
    return None


def compare(value: str, op: str, expected: str) -> bool:
    """Roboconf's comparison: numeric when both sides are numbers, else string equality for ``=``."""
    try:
        a, b = float(value), float(expected)
    except ValueError:
        return op in ("=", "==") and value == expected
    return {"=": a == b, "==": a == b, "<": a < b, ">": a > b, "<=": a <= b, ">=": a >= b}[op]


def _docker(m: Measure, env: Mapping[str, str], running: Callable[[str], bool | None] | None) -> Sample:
    name = m.body[0].strip() if m.body else "ROBOCONF_CLEAN_REVERSED_INSTANCE_PATH"
    name = env.get(name, name) if name.startswith("ROBOCONF_") else name
    state = (running or docker_running)(name)
    if state is None:
        return Sample(m.event, False, f"cannot ask the Docker engine about {name}")
    return Sample(m.event, not state, f"container {name} is {'running' if state else 'not running'}")


def docker_running(name: str) -> bool | None:
    """Whether the container ``name`` runs (the Docker SDK, ``DOCKER_HOST``); None when the engine cannot say."""
    try:
        import docker  # type: ignore[import-untyped]
        from docker.errors import DockerException, NotFound  # type: ignore[import-untyped]
    except ImportError:
        return None
    try:
        client = docker.from_env()
        try:
            return bool(client.containers.get(name).status == "running")
        except NotFound:
            return False
        finally:
            client.close()
    except DockerException:
        return None
