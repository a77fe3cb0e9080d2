"""The ``docker`` target's properties (runtime.md §7.1), read and checked before any engine is called.

Everything a user can get wrong in ``target.properties`` is found here and reported as a
:class:`~rbcc.runtime.targets.base.TargetError` that says what to write instead: a version-1 key
(§7.2, Roboconf ≤ 0.8), an unknown ``docker.*`` key, a ``docker.option.run.*`` option that is not
a container-create field or has a value of the wrong type, an environment placeholder that does
not exist.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rbcc import __version__
from rbcc.runtime.targets.base import TargetError

#: the image ``rbcc agent-image build`` makes, and the default of ``docker.image``
DEFAULT_IMAGE = f"rbcc-agent:{__version__}"
#: where the user data is bind-mounted in the container, and its file (runtime.md §7.1)
USER_DATA_DIR = "/tmp/user-data"
USER_DATA_FILE = f"{USER_DATA_DIR}/parameters.properties"
LABEL_APPLICATION = "rbcc.application"
LABEL_MACHINE = "rbcc.machine"
MESSAGING_TYPE_KEY = "net.roboconf.messaging.type"

#: version-1 keys (runtime.md §7.2) and what to do instead
V1_KEYS = {
    "docker.agent.package.url": "the image must already hold `rbcc agent`: build it with `rbcc agent-image build`, "
    "or name a Dockerfile directory with docker.generate.image.from",
    "docker.agent.jre-packages": "rbcc's agent needs no JRE: the agent image holds Python and rbcc (`rbcc agent-image build`)",
    "docker.additional.packages": "install packages in a Dockerfile `FROM rbcc-agent:…` and name its directory "
    "with docker.generate.image.from",
    "docker.additional.deploy": "there are no Karaf bundles: add what the agent needs in a Dockerfile "
    "`FROM rbcc-agent:…` named by docker.generate.image.from",
    "docker.base.image": "write a Dockerfile (`FROM rbcc-agent:…` or any image holding rbcc) and name its "
    "directory with docker.generate.image.from",
    "docker.download.base-image": "images are never pulled: the base image of docker.generate.image.from must be local",
    "docker.image.registry": "images are never pulled: build or load the image locally and name it with docker.image",
    "docker.run.exec": "the container runs its image's command (`rbcc agent --user-data …`): change it in the image, "
    "set options with docker.option.run.<option>",
    "docker.generate.image": "use docker.generate.image.from = <directory of a Dockerfile>",
}
#: keys read; ``docker.user|password|email`` are registry credentials, useless since nothing is pulled
KNOWN_KEYS = {
    "docker.endpoint",
    "docker.image",
    "docker.generate.image.from",
    "docker.version",
    "docker.dm.url",
    "docker.engine.mount",
}
IGNORED_KEYS = {"docker.user", "docker.password", "docker.email"}
RUN_PREFIX = "docker.option.run."
ENV_PREFIX = "docker.option.env."
PLACEHOLDERS = ("<application-name>", "<scoped-instance-path>", "<scoped-messaging_type>")

CAPABILITIES = frozenset(
    "ALL AUDIT_CONTROL AUDIT_READ AUDIT_WRITE BLOCK_SUSPEND BPF CHECKPOINT_RESTORE CHOWN DAC_OVERRIDE "
    "DAC_READ_SEARCH FOWNER FSETID IPC_LOCK IPC_OWNER KILL LEASE LINUX_IMMUTABLE MAC_ADMIN MAC_OVERRIDE MKNOD "
    "NET_ADMIN NET_BIND_SERVICE NET_BROADCAST NET_RAW PERFMON SETFCAP SETGID SETPCAP SETUID SYSLOG SYS_ADMIN "
    "SYS_BOOT SYS_CHROOT SYS_MODULE SYS_NICE SYS_PACCT SYS_PTRACE SYS_RAWIO SYS_RESOURCE SYS_TIME "
    "SYS_TTY_CONFIG WAKE_ALARM".split()
)

INT, BOOL, STR, LIST, CAPS, SIZE = "integer", "boolean", "string", "comma-separated list", "capability list", "size"
#: ``docker.option.run.<name>`` → (Docker SDK ``containers.create`` argument, kind); names are compared
#: without dashes, dots or underscores and ignoring case, so ``cap-add``, ``capAdd`` and ``cap_add`` are one
RUN_OPTIONS: dict[str, tuple[str, str]] = {
    "blkioweight": ("blkio_weight", INT),
    "capadd": ("cap_add", CAPS),
    "capdrop": ("cap_drop", CAPS),
    "cgroupparent": ("cgroup_parent", STR),
    "cpucount": ("cpu_count", INT),
    "cpupercent": ("cpu_percent", INT),
    "cpuperiod": ("cpu_period", INT),
    "cpuquota": ("cpu_quota", INT),
    "cpushares": ("cpu_shares", INT),
    "cpuset": ("cpuset_cpus", STR),
    "cpusetcpus": ("cpuset_cpus", STR),
    "cpusetmems": ("cpuset_mems", STR),
    "devices": ("devices", LIST),
    "dns": ("dns", LIST),
    "dnsopt": ("dns_opt", LIST),
    "dnssearch": ("dns_search", LIST),
    "domainname": ("domainname", STR),
    "groupadd": ("group_add", LIST),
    "hostname": ("hostname", STR),
    "init": ("init", BOOL),
    "interactive": ("stdin_open", BOOL),
    "ipcmode": ("ipc_mode", STR),
    "macaddress": ("mac_address", STR),
    "memlimit": ("mem_limit", SIZE),
    "memory": ("mem_limit", SIZE),
    "memoryreservation": ("mem_reservation", SIZE),
    "memreservation": ("mem_reservation", SIZE),
    "memoryswap": ("memswap_limit", SIZE),
    "memswaplimit": ("memswap_limit", SIZE),
    "memoryswappiness": ("mem_swappiness", INT),
    "memswappiness": ("mem_swappiness", INT),
    "nanocpus": ("nano_cpus", INT),
    "network": ("network", STR),
    "networkdisabled": ("network_disabled", BOOL),
    "networkmode": ("network_mode", STR),
    "oomkilldisable": ("oom_kill_disable", BOOL),
    "oomscoreadj": ("oom_score_adj", INT),
    "pidmode": ("pid_mode", STR),
    "pidslimit": ("pids_limit", INT),
    "privileged": ("privileged", BOOL),
    "publishallports": ("publish_all_ports", BOOL),
    "readonly": ("read_only", BOOL),
    "runtime": ("runtime", STR),
    "securityopt": ("security_opt", LIST),
    "shmsize": ("shm_size", SIZE),
    "stdinopen": ("stdin_open", BOOL),
    "stopsignal": ("stop_signal", STR),
    "tty": ("tty", BOOL),
    "user": ("user", STR),
    "usernsmode": ("userns_mode", STR),
    "utsmode": ("uts_mode", STR),
    "volumesfrom": ("volumes_from", LIST),
    "workdir": ("working_dir", STR),
    "workingdir": ("working_dir", STR),
}
#: options the handler sets itself, and the key to use instead
OWNED_OPTIONS = {
    "env": ENV_PREFIX + "<VAR>",
    "environment": ENV_PREFIX + "<VAR>",
    "name": "nothing: the name is <scoped path>_from_<application>",
    "labels": "nothing: rbcc labels its containers itself",
    "label": "nothing: rbcc labels its containers itself",
    "volumes": "nothing: rbcc chooses the bind mounts (docker.engine.mount adds the engine's socket; a Dockerfile "
    "VOLUME is removed with the container)",
    "mounts": "nothing: rbcc chooses the bind mounts (docker.engine.mount adds the engine's socket)",
    "image": "docker.image",
    "command": "the image's CMD (the agent must be what the container runs)",
    "cmd": "the image's CMD (the agent must be what the container runs)",
    "entrypoint": "the image's ENTRYPOINT (the agent must be what the container runs)",
    "autoremove": "nothing: undeploy removes the container",
    "detach": "nothing: containers always run detached",
}


def _normalized(name: str) -> str:
    return re.sub(r"[-_.]", "", name).lower()


def _bool(key: str, value: str) -> bool:
    low = value.strip().lower()
    if low in ("true", "yes", "on", "1"):
        return True
    if low in ("false", "no", "off", "0"):
        return False
    raise TargetError(f"{key} = {value!r}: a boolean is expected (true or false)")


def _int(key: str, value: str) -> int:
    try:
        return int(value.strip())
    except ValueError:
        raise TargetError(f"{key} = {value!r}: an integer is expected") from None


def _size(key: str, value: str) -> int | str:
    text = value.strip()
    if text.isdigit():
        return int(text)
    if re.fullmatch(r"\d+[bkmgBKMG]", text):
        return text.lower()
    raise TargetError(f"{key} = {value!r}: a size is expected (bytes, or a number followed by b, k, m or g)")


def _list(value: str) -> list[str]:
    return [part.strip() for part in value.split(",") if part.strip()]


def _capabilities(key: str, value: str) -> list[str]:
    caps = []
    for part in _list(value):
        cap = part.upper().removeprefix("CAP_")
        if cap not in CAPABILITIES:
            raise TargetError(f"{key}: {part!r} is not a Linux capability (for instance NET_ADMIN, SYS_PTRACE)")
        caps.append(cap)
    return caps


def run_option(key: str, value: str) -> tuple[str, Any]:
    """The ``containers.create`` argument and value of one ``docker.option.run.<opt>`` property."""
    name = key[len(RUN_PREFIX) :]
    norm = _normalized(name)
    if norm in OWNED_OPTIONS:
        raise TargetError(f"{key}: rbcc sets this option itself; use {OWNED_OPTIONS[norm]}")
    if norm not in RUN_OPTIONS:
        known = ", ".join(sorted({k for k in RUN_OPTIONS}))
        raise TargetError(f"{key}: not a container option rbcc can set (known, dashes ignored: {known})")
    argument, kind = RUN_OPTIONS[norm]
    if kind == INT:
        return argument, _int(key, value)
    if kind == BOOL:
        return argument, _bool(key, value)
    if kind == SIZE:
        return argument, _size(key, value)
    if kind == LIST:
        return argument, _list(value)
    if kind == CAPS:
        return argument, _capabilities(key, value)
    return argument, value.strip()


def container_name(scoped_path: str, application: str) -> str:
    """Roboconf's name ``<scoped path>_from_<app>``: leading ``/`` dropped, ``/`` → ``-``, whitespace → ``_``, 61 chars.

    Characters Docker refuses in names (outside ``[a-zA-Z0-9_.-]``) also become ``_`` (rbcc;
    Roboconf let the engine refuse them).
    """
    name = f"{scoped_path}_from_{application}"
    name = re.sub(r"^/", "", name).replace("/", "-")
    name = re.sub(r"\s+", "_", name)
    name = re.sub(r"[^a-zA-Z0-9_.-]", "_", name)
    if not name[:1].isalnum():
        name = "x" + name
    return name[:61]


@dataclass(frozen=True)
class DockerProperties:
    """The checked ``docker.*`` properties of one machine."""

    endpoint: str
    image: str
    dockerfile_dir: Path | None
    api_version: str | None
    dm_url: str | None
    #: where the engine's socket (a ``unix://`` endpoint) is bind-mounted in the container, if anywhere
    engine_mount: str | None = None
    run_options: dict[str, Any] = field(default_factory=dict)
    environment: dict[str, str] = field(default_factory=dict)

    @classmethod
    def read(
        cls,
        properties: dict[str, str],
        application: str,
        scoped_path: str,
        messaging_type: str,
        properties_dir: Path | None,
        environ: dict[str, str] | None = None,
    ) -> DockerProperties:
        env_source = os.environ if environ is None else environ
        run: dict[str, Any] = {}
        env: dict[str, str] = {}
        for key in sorted(properties):
            value = properties[key]
            if not key.startswith("docker."):
                continue
            if key in V1_KEYS:
                raise TargetError(
                    f"{key} is a Roboconf 0.8 (docker target version 1) key that rbcc does not read: {V1_KEYS[key]}"
                )
            if key.startswith(RUN_PREFIX):
                argument, converted = run_option(key, value)
                run[argument] = converted
            elif key.startswith(ENV_PREFIX):
                var = key[len(ENV_PREFIX) :]
                if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", var):
                    raise TargetError(f"{key}: {var!r} is not an environment variable name")
                env[var] = _fill(value, application, scoped_path, messaging_type, key)
            elif key not in KNOWN_KEYS and key not in IGNORED_KEYS:
                known = ", ".join(sorted(KNOWN_KEYS | {RUN_PREFIX + "<option>", ENV_PREFIX + "<VAR>"}))
                raise TargetError(f"{key}: unknown docker target property (known: {known})")
        endpoint = properties.get("docker.endpoint", "").strip() or env_source.get("DOCKER_HOST", "").strip()
        endpoint = endpoint or "unix:///var/run/docker.sock"
        if not re.match(r"^(unix|tcp|http|https|npipe|ssh)://", endpoint):
            raise TargetError(f"docker.endpoint = {endpoint!r}: expected unix:///path/docker.sock or tcp://host:port")
        engine_mount = properties.get("docker.engine.mount", "").strip() or None
        if engine_mount is not None:
            if not endpoint.startswith("unix://"):
                raise TargetError(
                    f"docker.engine.mount: the engine's socket can only be mounted from a unix:// endpoint, "
                    f"not {endpoint}: give the container DOCKER_HOST with docker.option.env.DOCKER_HOST instead"
                )
            if not engine_mount.startswith("/"):
                raise TargetError(f"docker.engine.mount = {engine_mount!r}: an absolute path in the container")
        dockerfile_dir = None
        generate = properties.get("docker.generate.image.from", "").strip()
        if generate:
            dockerfile_dir = Path(generate)
            if not dockerfile_dir.is_absolute():
                dockerfile_dir = (properties_dir or Path.cwd()) / dockerfile_dir
        return cls(
            endpoint=endpoint,
            image=properties.get("docker.image", "").strip() or DEFAULT_IMAGE,
            dockerfile_dir=dockerfile_dir,
            api_version=properties.get("docker.version", "").strip() or None,
            dm_url=properties.get("docker.dm.url", "").strip() or None,
            engine_mount=engine_mount,
            run_options=run,
            environment=env,
        )


def _fill(value: str, application: str, scoped_path: str, messaging_type: str, key: str) -> str:
    out = value.replace("<application-name>", application).replace("<scoped-instance-path>", scoped_path)
    out = out.replace("<scoped-messaging_type>", messaging_type)
    left = re.search(r"<(application|scoped)[-_a-z]*>", out)
    if left:
        raise TargetError(f"{key}: unknown placeholder {left.group(0)} (known: {', '.join(PLACEHOLDERS)})")
    return out
