"""Names derived from instance paths: Roboconf's clean paths and one DNS-safe service name for every target.

Roboconf gives recipes ``ROBOCONF_CLEAN_INSTANCE_PATH`` and ``ROBOCONF_CLEAN_REVERSED_INSTANCE_PATH``
(runtime.md §4.2); its Docker target names containers after the reversed path.  The compiler
derives the service name of every target from that same reversed path (compile.md §2.3), so that
``/vm/nimbus`` is ``nimbus-vm`` in Compose, Swarm, Kubernetes and in the env of importers alike,
and adding an instance later never renames the others.
"""

from __future__ import annotations

import functools
import hashlib
import re

_NON_WORD = re.compile(r"[^A-Za-z0-9_]")
_NON_DNS = re.compile(r"[^a-z0-9]+")
_ENV_UNSAFE = re.compile(r"[-\s]")

#: Kubernetes object names (RFC 1035 labels) and Swarm service names both stop at 63 characters.
DNS_LABEL_MAX = 63


def segments(path: str) -> list[str]:
    """``"/vm/my server"`` → ``["vm", "my server"]``."""
    return [s for s in path.split("/") if s != ""]


def clean_path(path: str) -> str:
    """``ROBOCONF_CLEAN_INSTANCE_PATH``: the path without its leading ``/``, other non-word characters as ``_``."""
    return _NON_WORD.sub("_", path[1:] if path.startswith("/") else path)


def clean_reversed_path(path: str) -> str:
    """``ROBOCONF_CLEAN_REVERSED_INSTANCE_PATH``: segments reversed, then cleaned (``/vm_worker 1/worker`` →
    ``worker_vm_worker_1``)."""
    return _NON_WORD.sub("_", "/".join(reversed(segments(path))))


def service_name(path: str, budget: int = DNS_LABEL_MAX) -> str:
    """The DNS-safe name of the service of the instance at ``path``, at most ``budget`` characters.

    Reversed path, lower case, runs of anything but ``[a-z0-9]`` as one ``-``, trimmed; ``i-`` in
    front of a leading digit (RFC 1035 wants a letter).  Over budget, the name is cut and ends with
    six hex digits of the path's SHA-256, so that two long paths stay apart.
    """
    base = _NON_DNS.sub("-", "-".join(reversed(segments(path))).lower()).strip("-") or "instance"
    if base[0].isdigit():
        base = "i-" + base
    if len(base) <= budget:
        return base
    digest = hashlib.sha256(path.encode("utf-8")).hexdigest()[:6]
    return base[: budget - 7].rstrip("-") + "-" + digest


def dns_name(text: str, budget: int = DNS_LABEL_MAX) -> str:
    """Any text (an application name) as a DNS label: the same rules as :func:`service_name`."""
    return service_name("/" + text, budget)


@functools.lru_cache(maxsize=1 << 16)
def env_name(text: str) -> str:
    """A variable's local name as the script plug-in writes it in the environment: ``-`` and blanks as ``_``."""
    return _ENV_UNSAFE.sub("_", text)
