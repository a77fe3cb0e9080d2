"""A private RabbitMQ broker on loopback, for the tests and the benchmark of the RabbitMQ bus.

Debian's ``rabbitmq-server`` (``.ci/install-system-tools``), run from its own scripts in
``/usr/lib/rabbitmq/bin`` as the current user, never through the system service.  Everything
it writes lives under one temporary directory: mnesia, logs, the configuration, the enabled
plug-ins (none: no management plug-in), ``HOME`` with its own Erlang cookie.  It listens on
127.0.0.1 only — AMQP on a free port, Erlang distribution on another — and registers with an
``epmd`` this module starts itself on a third free port bound to 127.0.0.1, so a system epmd
(port 4369) is neither used nor disturbed.  A unique node name; a user, password and virtual host
are created with ``rabbitmqctl -n <node>``.  When ``openssl`` is there, a TLS listener runs too
(``tls_port``), with a certificate for ``localhost`` / 127.0.0.1 signed by a CA of its own
(``ca_file``).  :meth:`Broker.stop` stops the node by its PID
(SIGTERM, SIGKILL after a grace period), then the epmd, and removes the directory.

    with Broker.start(tmp_dir) as broker:
        broker.host, broker.port, broker.username, broker.password, broker.vhost
"""

from __future__ import annotations

import os
import secrets
import shutil
import signal
import socket
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType

RABBIT_BIN = Path("/usr/lib/rabbitmq/bin")
SERVER = RABBIT_BIN / "rabbitmq-server"
CTL = RABBIT_BIN / "rabbitmqctl"
EPMD_CANDIDATES = ("/usr/bin/epmd", "/usr/lib/erlang/bin/epmd")


def available() -> bool:
    """Whether Debian's broker and epmd are installed."""
    return SERVER.is_file() and CTL.is_file() and epmd_path() is not None


def epmd_path() -> str | None:
    found = shutil.which("epmd")
    if found:
        return found
    return next((p for p in EPMD_CANDIDATES if Path(p).is_file()), None)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _accepts(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.2):
            return True
    except OSError:
        return False


def _stop(proc: subprocess.Popen[bytes], grace: float) -> None:
    if proc.poll() is not None:
        return
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(grace)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(5)


def _certificates(d: Path) -> Path:
    """A CA and a server certificate for localhost and 127.0.0.1 signed by it (PEM files in ``d``)."""
    d.mkdir(parents=True)

    def openssl(*args: str) -> None:
        subprocess.run(["openssl", *args], cwd=d, check=True, capture_output=True, timeout=60)

    days = ("-days", "2")
    openssl(
        "req",
        "-x509",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-keyout",
        "ca.key",
        "-out",
        "ca.pem",
        *days,
        "-subj",
        "/CN=rbcc test CA",
    )
    openssl(
        "req", "-newkey", "rsa:2048", "-nodes", "-keyout", "server.key", "-out", "server.csr", "-subj", "/CN=localhost"
    )
    (d / "san.ext").write_text("subjectAltName = DNS:localhost, IP:127.0.0.1\n")
    openssl(
        "x509",
        "-req",
        "-in",
        "server.csr",
        "-CA",
        "ca.pem",
        "-CAkey",
        "ca.key",
        "-CAcreateserial",
        "-out",
        "server.pem",
        *days,
        "-extfile",
        "san.ext",
    )
    return d


@dataclass
class Broker:
    """A running private broker; ``start`` waits until it accepts AMQP connections."""

    root: Path
    node: str
    port: int
    dist_port: int
    epmd_port: int
    env: dict[str, str]
    server: subprocess.Popen[bytes]
    epmd: subprocess.Popen[bytes]
    username: str = "rbcc"
    password: str = field(default_factory=lambda: secrets.token_hex(8))
    vhost: str = "rbcc-test"
    host: str = "127.0.0.1"
    #: seconds from launching the node to accepting AMQP connections (plus the user set-up)
    started_in: float = 0.0
    #: the TLS listener and the CA its certificate is signed by (None without openssl)
    tls_port: int | None = None
    ca_file: Path | None = None

    @classmethod
    def start(cls, tmp: Path, timeout: float = 90.0) -> Broker:
        root = Path(tmp) / f"rabbit-{secrets.token_hex(4)}"
        home, mnesia, logs = root / "home", root / "mnesia", root / "log"
        for d in (home, mnesia, logs):
            d.mkdir(parents=True)
        port, dist_port, epmd_port = free_port(), free_port(), free_port()
        tls = _certificates(root / "tls") if shutil.which("openssl") else None
        tls_port = free_port() if tls else None
        node = f"rbcc-test-{os.getpid()}-{secrets.token_hex(3)}@localhost"
        cookie = home / ".erlang.cookie"
        cookie.write_text(secrets.token_hex(20))
        cookie.chmod(0o400)
        config = root / "rabbitmq.conf"
        config.write_text(f"listeners.tcp.1 = 127.0.0.1:{port}\nlog.file.level = warning\nlog.console = false\n")
        if tls is not None:
            with config.open("a") as conf:
                conf.write(
                    f"listeners.ssl.1 = 127.0.0.1:{tls_port}\n"
                    f"ssl_options.cacertfile = {tls / 'ca.pem'}\n"
                    f"ssl_options.certfile = {tls / 'server.pem'}\n"
                    f"ssl_options.keyfile = {tls / 'server.key'}\n"
                    "ssl_options.verify = verify_none\n"
                    "ssl_options.fail_if_no_peer_cert = false\n"
                )
        (root / "enabled_plugins").write_text("[].\n")
        (root / "rabbitmq-env.conf").write_text("")
        loopback = "-kernel inet_dist_use_interface {127,0,0,1}"
        env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "LANG": "C.UTF-8",
            "LC_ALL": "C.UTF-8",
            "HOME": str(home),
            "RABBITMQ_NODENAME": node,
            "RABBITMQ_NODE_IP_ADDRESS": "127.0.0.1",
            "RABBITMQ_NODE_PORT": str(port),
            "RABBITMQ_DIST_PORT": str(dist_port),
            "RABBITMQ_MNESIA_BASE": str(mnesia),
            "RABBITMQ_LOG_BASE": str(logs),
            "RABBITMQ_CONFIG_FILE": str(config),
            "RABBITMQ_ADVANCED_CONFIG_FILE": str(root / "advanced.config"),
            "RABBITMQ_CONF_ENV_FILE": str(root / "rabbitmq-env.conf"),
            "RABBITMQ_ENABLED_PLUGINS_FILE": str(root / "enabled_plugins"),
            "RABBITMQ_PLUGINS_EXPAND_DIR": str(root / "plugins-expand"),
            "RABBITMQ_PID_FILE": str(root / "rabbit.pid"),
            "RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS": loopback,
            "RABBITMQ_CTL_ERL_ARGS": loopback,
            "RABBITMQ_CTL_DIST_PORT_MIN": str(dist_port + 1),
            "RABBITMQ_CTL_DIST_PORT_MAX": str(dist_port + 200),
            "ERL_EPMD_ADDRESS": "127.0.0.1",
            "ERL_EPMD_PORT": str(epmd_port),
        }
        epmd_bin = epmd_path()
        if epmd_bin is None:
            raise RuntimeError("epmd is not installed")
        began = time.monotonic()
        epmd = subprocess.Popen(
            [epmd_bin, "-port", str(epmd_port), "-address", "127.0.0.1"],
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        server_log = (logs / "server.out").open("wb")
        server = subprocess.Popen(
            [str(SERVER)],
            env=env,
            cwd=root,
            stdin=subprocess.DEVNULL,
            stdout=server_log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        server_log.close()
        broker = cls(root, node, port, dist_port, epmd_port, env, server, epmd)
        if tls is not None:
            broker.tls_port, broker.ca_file = tls_port, tls / "ca.pem"
        try:
            broker._wait(timeout)
            broker.ctl("add_vhost", broker.vhost)
            broker.ctl("add_user", broker.username, broker.password)
            broker.ctl("set_permissions", "-p", broker.vhost, broker.username, ".*", ".*", ".*")
        except BaseException:
            broker.stop()
            raise
        broker.started_in = time.monotonic() - began
        return broker

    def _wait(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while not _accepts(self.port):
            if self.server.poll() is not None:
                raise RuntimeError(f"rabbitmq-server exited with {self.server.returncode}: {self.output()[-3000:]}")
            if time.monotonic() > deadline:
                raise RuntimeError(
                    f"rabbitmq-server did not listen on {self.port} in {timeout} s: {self.output()[-3000:]}"
                )
            time.sleep(0.1)
        self.ctl("await_startup")

    def output(self) -> str:
        out = self.root / "log" / "server.out"
        return out.read_text(errors="replace") if out.exists() else ""

    def ctl(self, *args: str) -> str:
        """``rabbitmqctl -n <node> ARGS…``; raises with its output when it fails."""
        done = subprocess.run(
            [str(CTL), "-n", self.node, *args], env=self.env, capture_output=True, text=True, timeout=60
        )
        if done.returncode != 0:
            raise RuntimeError(f"rabbitmqctl {' '.join(args)} failed ({done.returncode}): {done.stdout}{done.stderr}")
        return done.stdout

    def url(self, username: str | None = None, password: str | None = None) -> str:
        return f"amqp://{username or self.username}:{password or self.password}@{self.host}:{self.port}/{self.vhost}"

    def stop(self) -> None:
        """Stop the node by its PID, then the epmd started with it; remove the directory."""
        try:
            _stop(self.server, 30)
            # the node's Erlang VM runs in the session the script started: end what is left of it
            try:
                os.killpg(self.server.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
        finally:
            _stop(self.epmd, 5)
            shutil.rmtree(self.root, ignore_errors=True)

    def __enter__(self) -> Broker:
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        self.stop()
