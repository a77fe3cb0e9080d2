"""The ``docker`` target handler (runtime.md §7.1, §9 "Targets"): one container per machine, its agent inside.

``create_machine`` only checks the properties and names the machine (nothing is created yet, so the
manager records the id before anything exists on the engine); ``configure_machine`` finds or builds
the image, writes the user data to ``<state_dir>/docker/<name>/parameters.properties``, bind-mounts
that directory read-only at ``/tmp/user-data/``, and creates and starts the container with
``AGENT_PARAMETERS=file:/tmp/user-data/parameters.properties``.  The image's command is the agent
(``rbcc agent --user-data …``, see :mod:`rbcc.runtime.targets.agent_image`).

The agent must reach the manager's bus from inside the container: a manager URL on loopback is
rewritten to the gateway of the container's network (the default bridge's is 172.17.0.1,
runtime.md §5.4), unless the container shares the host's network (``network-mode = host``) or
``docker.dm.url`` says otherwise.

The machine id is self-describing JSON (container name, engine endpoint, user-data directory), so
that ``is_machine_running`` and ``terminate_machine`` work after a manager restart from the id alone.
Every container carries the labels ``rbcc.application``, ``rbcc.machine`` and ``rbcc.state-dir``.
"""

from __future__ import annotations

import asyncio
import ipaddress
import json
import logging
import shutil
import socket
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import docker  # type: ignore[import-untyped]
import docker.errors  # type: ignore[import-untyped]
from docker.models.containers import Container  # type: ignore[import-untyped]
from docker.models.images import Image  # type: ignore[import-untyped]

from rbcc import __version__
from rbcc.runtime import user_data as ud
from rbcc.runtime.agent import clean_dir_name
from rbcc.runtime.targets.base import MachineRequest, TargetError, TargetHandler
from rbcc.runtime.targets.docker_properties import (
    LABEL_APPLICATION,
    LABEL_MACHINE,
    MESSAGING_TYPE_KEY,
    USER_DATA_DIR,
    USER_DATA_FILE,
    DockerProperties,
    container_name,
)

log = logging.getLogger("rbcc.runtime.targets.docker")

LABEL_STATE_DIR = "rbcc.state-dir"
DM_URL_KEY = "rbcc.dm.url"
HTTP_IP_KEY = "net.roboconf.messaging.http.server.ip"
RABBIT_IP_KEY = "net.roboconf.messaging.rabbitmq.server.ip"
APP_DIR_KEY = "rbcc.app.dir"
STATE_DIR_KEY = "rbcc.state.dir"
AGENT_IP_KEY = "rbcc.settings.agent_ip"
#: set when ``docker.dm.url`` gave the address: a manager restart does not rewrite it
DM_URL_FIXED_KEY = "rbcc.docker.dm.url.fixed"
USER_DATA_NAME = "parameters.properties"
#: how many times the engine restarts an agent that exits in error (its delays double from 0.1 s: ~100 s in all)
RESTARTS = 10
CONTAINER_STATE_DIR = "/var/lib/rbcc-agent"
#: the container's entry point: wait (at most 5 minutes) for the user data, then run the image's command
WAIT_FOR_USER_DATA = (
    f'i=0; while [ ! -s {USER_DATA_FILE} ]; do i=$((i+1)); if [ "$i" -gt 3000 ]; then '
    f'echo "rbcc: no user data in {USER_DATA_FILE}" >&2; exit 78; fi; sleep 0.1; done; exec "$@"'
)
KILL_TIMEOUT = 30


@dataclass(frozen=True)
class DockerMachine:
    """What a machine id names: a container on an engine, and the directory of its user data."""

    container: str
    endpoint: str
    user_data_dir: Path
    api_version: str | None = None
    #: the agent's directory (``state/agents/<clean path>``), bind-mounted at the same path
    agent_dir: Path | None = None

    def to_id(self) -> str:
        doc: dict[str, str] = {
            "container": self.container,
            "endpoint": self.endpoint,
            "user_data": str(self.user_data_dir),
        }
        if self.api_version:
            doc["api_version"] = self.api_version
        if self.agent_dir is not None:
            doc["agent_dir"] = str(self.agent_dir)
        return json.dumps(doc, sort_keys=True, separators=(",", ":"))

    @classmethod
    def from_id(cls, machine_id: str) -> DockerMachine:
        try:
            doc = json.loads(machine_id)
            agent_dir = Path(doc["agent_dir"]) if doc.get("agent_dir") else None
            return cls(doc["container"], doc["endpoint"], Path(doc["user_data"]), doc.get("api_version"), agent_dir)
        except (ValueError, KeyError, TypeError):
            raise TargetError(f"{machine_id!r} is not the id of a docker machine") from None


def find_image(client: docker.DockerClient, ref: str) -> Image | None:
    """The image whose id is ``ref``, or tagged ``ref``, else the first (by tag) whose tag contains ``ref``.

    Roboconf matches ``docker.image`` as a substring of the repository tags and takes the first
    image the engine lists; rbcc prefers an exact match and sorts the others, so that the choice
    does not depend on the engine's listing order.
    """
    try:
        return client.images.get(ref)
    except docker.errors.NotFound:
        pass
    except docker.errors.APIError as exc:
        if exc.status_code != 400:  # 400: not a valid reference; it may still be a substring of one
            raise
    candidates = sorted((tag, image.id) for image in client.images.list() for tag in image.tags if ref in tag)
    return client.images.get(candidates[0][1]) if candidates else None


def loopback(host: str) -> bool:
    """Whether ``host`` means "this machine" to the manager: loopback, or the unspecified address it listens on."""
    if host == "localhost":
        return True
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False
    return address.is_loopback or address.is_unspecified


def _host_of(server_ip: str) -> str:
    """The host of a ``host[:port]`` / ``[v6]:port`` broker address."""
    return urlsplit("amqp://" + server_ip.strip()).hostname or ""


def reachable_url(url: str, gateway: str) -> str:
    """``url`` with a loopback host replaced by ``gateway`` (the host as a container sees it)."""
    parts = urlsplit(url)
    if parts.hostname is None or not loopback(parts.hostname):
        return url
    netloc = gateway if ":" not in gateway else f"[{gateway}]"
    if parts.port is not None:
        netloc = f"{netloc}:{parts.port}"
    if parts.username:
        netloc = f"{parts.username}{':' + parts.password if parts.password else ''}@{netloc}"
    return urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))


def check_listening(url: str, seen_from_container: str) -> None:
    """A manager URL rewritten to the gateway must be served there: fail now rather than after the boot timeout.

    The gateway is an address of this host (the engine's bridge), so connecting to it from here tells
    whether the manager's bus listens on it.
    """
    parts = urlsplit(seen_from_container)
    if parts.hostname is None:
        return
    port = parts.port or (443 if parts.scheme in ("wss", "https") else 80)
    try:
        with socket.create_connection((parts.hostname, port), timeout=2):
            return
    except OSError:
        pass
    raise TargetError(
        f"the manager's bus listens at {url}, which containers cannot reach; they reach this host at "
        f"{parts.hostname}: deploy with --bus-host {parts.hostname} (or 0.0.0.0), or set docker.dm.url"
    )


class DockerTarget(TargetHandler):
    """Machines as containers on a Docker engine (``handler = docker``)."""

    name = "docker"

    def __init__(self) -> None:
        self._clients: dict[tuple[str, str | None], docker.DockerClient] = {}
        self._image_locks: dict[tuple[str, str], asyncio.Lock] = {}

    # ------------------------------------------------------------------ contract
    async def create_machine(self, request: MachineRequest) -> str:
        props = self._properties(request)
        name = container_name(request.scoped_path, request.application)
        state = request.user_data.get(STATE_DIR_KEY)
        agent_dir = Path(state) / "agents" / clean_dir_name(request.scoped_path) if state else None
        user_data_dir = request.state_dir / "docker" / name
        return DockerMachine(name, props.endpoint, user_data_dir, props.api_version, agent_dir).to_id()

    async def configure_machine(self, machine_id: str, request: MachineRequest) -> None:
        machine = DockerMachine.from_id(machine_id)
        props = self._properties(request)
        lock = self._image_locks.setdefault((props.endpoint, props.image), asyncio.Lock())
        async with lock:
            image = await asyncio.to_thread(self._image, props)
        await asyncio.to_thread(self._run, machine, props, request, image)

    async def is_machine_running(self, machine_id: str) -> bool:
        machine = DockerMachine.from_id(machine_id)
        return await asyncio.to_thread(self._running, machine)

    async def terminate_machine(self, machine_id: str) -> None:
        machine = DockerMachine.from_id(machine_id)
        await asyncio.to_thread(self._terminate, machine)

    # ------------------------------------------------------------------ engine
    def _properties(self, request: MachineRequest) -> DockerProperties:
        messaging = request.user_data.get(MESSAGING_TYPE_KEY, "")
        return DockerProperties.read(
            request.properties, request.application, request.scoped_path, messaging, request.properties_dir
        )

    def client(self, endpoint: str, api_version: str | None = None) -> docker.DockerClient:
        key = (endpoint, api_version)
        if key not in self._clients:
            try:
                self._clients[key] = docker.DockerClient(base_url=endpoint, version=api_version or "auto", timeout=120)
            except docker.errors.DockerException as exc:
                raise TargetError(f"cannot reach the Docker engine at {endpoint} (docker.endpoint): {exc}") from None
        return self._clients[key]

    def close(self) -> None:
        for client in self._clients.values():
            client.close()
        self._clients.clear()

    def _image(self, props: DockerProperties) -> Image:
        client = self.client(props.endpoint, props.api_version)
        try:
            image = find_image(client, props.image)
            if image is not None:
                self._warn_if_stale(image, props.image)
                return image
            if props.dockerfile_dir is None:
                raise TargetError(
                    f"no image matches {props.image!r} on {props.endpoint}: build the agent image with "
                    "`rbcc agent-image build`, or name a Dockerfile directory with docker.generate.image.from"
                )
            if not (props.dockerfile_dir / "Dockerfile").is_file():
                raise TargetError(f"docker.generate.image.from: {props.dockerfile_dir} holds no Dockerfile")
            log.info("building %s from %s", props.image, props.dockerfile_dir)
            built, _ = client.images.build(path=str(props.dockerfile_dir), tag=props.image, rm=True, forcerm=True)
            return built
        except docker.errors.BuildError as exc:
            tail = "".join(str(chunk.get("stream") or chunk.get("error") or "") for chunk in exc.build_log)[-2000:]
            raise TargetError(f"building {props.image} from {props.dockerfile_dir} failed: {exc.msg}\n{tail}") from None
        except docker.errors.DockerException as exc:
            raise TargetError(f"Docker engine at {props.endpoint}: {exc}") from None

    def _warn_if_stale(self, image: Image, ref: str) -> None:
        from rbcc.runtime.targets.agent_image import LABEL_SOURCE, source_digest

        built_from = (image.labels or {}).get(LABEL_SOURCE)
        if built_from is not None and built_from != source_digest():
            log.warning("%s holds another rbcc than this one: rebuild it with `rbcc agent-image build`", ref)

    def manager_host(self, properties: dict[str, str]) -> str | None:
        """Where the manager's bus must listen for machines with these target properties to reach it:
        the gateway of their network; None when they share the host's network or ``docker.dm.url``
        names the address.  (For a session that starts its broker knowing which targets it will use.)"""
        props = DockerProperties.read(properties, "", "", "", None)
        if props.dm_url or props.run_options.get("network_mode") == "host":
            return None
        return self.gateway(
            self.client(props.endpoint, props.api_version), str(props.run_options.get("network") or "bridge")
        )

    def gateway(self, client: docker.DockerClient, network: str = "bridge") -> str:
        """The address of this host on the engine's network ``network``: where containers reach the manager."""
        try:
            attrs = client.networks.get(network).attrs
        except docker.errors.NotFound:
            raise TargetError(f"docker.option.run.network: no network {network!r} on the engine") from None
        for config in (attrs.get("IPAM") or {}).get("Config") or []:
            if config.get("Gateway"):
                return str(config["Gateway"])
            if config.get("Subnet"):  # the default bridge may not list it: the engine gives it the first address
                return str(next(ipaddress.ip_network(config["Subnet"], strict=False).hosts()))
        raise TargetError(
            f"the network {network!r} has no gateway the agent could reach the manager through: set docker.dm.url"
        )

    def agent_user_data(
        self, client: docker.DockerClient, props: DockerProperties, user_data: dict[str, str]
    ) -> dict[str, str]:
        """The user data as the container needs it: the manager's address as seen from inside."""
        out = dict(user_data)
        if props.dm_url:
            out[DM_URL_KEY] = props.dm_url
            out[DM_URL_FIXED_KEY] = "true"
            return out
        if props.run_options.get("network_mode") == "host":
            return out
        rabbit_host = _host_of(out.get(RABBIT_IP_KEY, "")) if RABBIT_IP_KEY in out else ""
        if DM_URL_KEY in out or loopback(out.get(HTTP_IP_KEY, "")) or loopback(rabbit_host):
            gateway = self.gateway(client, str(props.run_options.get("network") or "bridge"))
            if DM_URL_KEY in out:
                out[DM_URL_KEY] = reachable_url(out[DM_URL_KEY], gateway)
            if loopback(out.get(HTTP_IP_KEY, "")):
                out[HTTP_IP_KEY] = gateway
            if loopback(rabbit_host):  # the broker on this host: reached at the gateway, same port
                out[RABBIT_IP_KEY] = reachable_url("amqp://" + out[RABBIT_IP_KEY], gateway).removeprefix("amqp://")
        return out

    def _binds(
        self, machine: DockerMachine, user_data: dict[str, str], engine_mount: str | None = None
    ) -> dict[str, dict[str, str]]:
        """The user data at /tmp/user-data (read-only); the application (read-only), the agent's directory
        and the recipe logs at their host paths, so that the agent finds them where its user data says and
        the manager's ``rbcc logs`` and state directory see what it writes; with ``docker.engine.mount``,
        the engine's own socket at that path (recipes that drive the engine: runtime.md §7.3)."""
        binds = {str(machine.user_data_dir): {"bind": USER_DATA_DIR, "mode": "ro"}}
        if engine_mount is not None:
            binds[machine.endpoint.removeprefix("unix://")] = {"bind": engine_mount, "mode": "rw"}
        app_dir = user_data.get(APP_DIR_KEY)
        if app_dir and Path(app_dir).is_dir():
            binds[app_dir] = {"bind": app_dir, "mode": "ro"}
        state_dir = user_data.get(STATE_DIR_KEY)
        if state_dir and machine.agent_dir is not None:
            for directory in (machine.agent_dir, Path(state_dir) / "logs"):
                directory.mkdir(parents=True, exist_ok=True)
                binds[str(directory)] = {"bind": str(directory), "mode": "rw"}
        return binds

    def _run(self, machine: DockerMachine, props: DockerProperties, request: MachineRequest, image: Image) -> None:
        client = self.client(machine.endpoint, machine.api_version)
        labels = {
            LABEL_APPLICATION: request.application,
            LABEL_MACHINE: request.scoped_path,
            LABEL_STATE_DIR: str(request.state_dir),
        }
        try:
            self._remove_stale(client, machine, labels)
            machine.user_data_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
            (machine.user_data_dir / USER_DATA_NAME).unlink(missing_ok=True)
            environment = {
                **props.environment,
                "RBCC_VERSION": __version__,
                "AGENT_PARAMETERS": f"file:{USER_DATA_FILE}",
            }
            config = image.attrs.get("Config") or {}
            command = list(config.get("Entrypoint") or []) + list(config.get("Cmd") or [])
            if not command:
                raise TargetError(f"the image {props.image} has no command (it must run `rbcc agent`)")
            values = self.agent_user_data(client, props, request.user_data)
            if values.get(DM_URL_KEY) != request.user_data.get(DM_URL_KEY) and not props.dm_url:
                check_listening(request.user_data[DM_URL_KEY], values[DM_URL_KEY])
            options: dict[str, Any] = dict(props.run_options)
            container = client.containers.create(
                image.id,
                # the agent starts once its user data is there: its own address is only known once started
                entrypoint=["/bin/sh", "-c", WAIT_FOR_USER_DATA, "rbcc-wait-for-user-data"],
                command=command,
                name=machine.container,
                environment=environment,
                labels=labels,
                volumes=self._binds(machine, request.user_data, props.engine_mount),
                # an agent that exits in error (a broker that refused it while starting up, a crash) is
                # started again by the engine, as a VM's init restarts its agent; kill (terminate) is final
                restart_policy={"Name": "on-failure", "MaximumRetryCount": RESTARTS},
                detach=True,
                **options,
            )
            try:
                container.start()
                container.reload()
                values[AGENT_IP_KEY] = self._address(container, props)
                if machine.agent_dir is None:  # no host directory for it: the agent keeps its files inside
                    values[STATE_DIR_KEY] = CONTAINER_STATE_DIR
                ud.write(machine.user_data_dir / USER_DATA_NAME, values)
            except (docker.errors.DockerException, TargetError, OSError):
                container.remove(force=True, v=True)
                raise
        except docker.errors.DockerException as exc:
            raise TargetError(f"container {machine.container} on {machine.endpoint}: {exc}") from None

    def _address(self, container: Container, props: DockerProperties) -> str:
        """The container's address on its network: what its instances export as ``ip``."""
        if props.run_options.get("network_mode") == "host":
            return "127.0.0.1"
        settings = container.attrs.get("NetworkSettings") or {}
        networks = settings.get("Networks") or {}
        wanted = props.run_options.get("network") or props.run_options.get("network_mode") or "bridge"
        for name in (wanted, *sorted(networks)):
            address = (networks.get(name) or {}).get("IPAddress")
            if address:
                return str(address)
        if settings.get("IPAddress"):
            return str(settings["IPAddress"])
        raise TargetError(f"container {container.name} has no IP address (network {wanted!r})")

    def rewrite_url(self, machine_id: str, url: str) -> None:
        """Point the agent at the manager's new address (after a restart); it re-reads it before reconnecting."""
        machine = DockerMachine.from_id(machine_id)
        file = machine.user_data_dir / USER_DATA_NAME
        if not file.is_file():
            return
        values = ud.read(file)
        container = self._container(machine)
        gateway = ((container.attrs.get("NetworkSettings") or {}).get("Gateway") if container else None) or ""
        wanted = reachable_url(url, gateway) if gateway else url
        if values.get(DM_URL_KEY) != wanted and not values.get(DM_URL_FIXED_KEY):
            values[DM_URL_KEY] = wanted
            ud.write(file, values)

    async def revive(self, machine_id: str) -> str:
        """A stopped container started again (its agent restores itself); a removed one is gone for good."""
        machine = DockerMachine.from_id(machine_id)

        def start() -> None:
            container = self._container(machine)
            if container is None:
                raise TargetError(f"container {machine.container} is gone")
            try:
                container.start()
            except docker.errors.DockerException as exc:
                raise TargetError(f"container {machine.container} cannot be started again: {exc}") from None

        await asyncio.to_thread(start)
        return machine_id

    def _remove_stale(self, client: docker.DockerClient, machine: DockerMachine, labels: dict[str, str]) -> None:
        """A container of that name left by an earlier run of this deployment goes; anyone else's is a conflict."""
        try:
            old = client.containers.get(machine.container)
        except docker.errors.NotFound:
            return
        if any(old.labels.get(k) != v for k, v in labels.items()):
            raise TargetError(
                f"a container named {machine.container} already exists on {machine.endpoint} and is not this "
                "deployment's machine: remove it, or rename the application or the machine"
            )
        log.info("removing %s, left by an earlier run", machine.container)
        old.remove(force=True, v=True)

    def _container(self, machine: DockerMachine) -> Container | None:
        client = self.client(machine.endpoint, machine.api_version)
        try:
            return client.containers.get(machine.container)
        except docker.errors.NotFound:
            return None
        except docker.errors.DockerException as exc:
            raise TargetError(f"Docker engine at {machine.endpoint}: {exc}") from None

    def _running(self, machine: DockerMachine) -> bool:
        container = self._container(machine)
        return container is not None and bool((container.attrs.get("State") or {}).get("Running"))

    def _terminate(self, machine: DockerMachine) -> None:
        container = self._container(machine)
        if container is not None:
            try:
                if (container.attrs.get("State") or {}).get("Running"):
                    try:
                        container.kill()
                    except docker.errors.APIError as exc:
                        if exc.status_code not in (404, 409):  # gone, or not running any more
                            raise
                container.remove(force=True, v=True)
            except docker.errors.NotFound:
                pass
            except docker.errors.DockerException as exc:
                raise TargetError(f"cannot remove container {machine.container}: {exc}") from None
        shutil.rmtree(machine.user_data_dir, ignore_errors=True)
        if machine.agent_dir is not None:
            shutil.rmtree(machine.agent_dir, ignore_errors=True)
