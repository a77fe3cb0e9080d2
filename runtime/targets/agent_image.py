"""Building the agent image (``rbcc agent-image build``) without a registry.

Three pieces, the first two cached under ``$RBCC_CACHE_DIR`` (default ``~/.cache/rbcc``):

1. a **base image**: a Debian ``minbase`` with ``python3`` and ``python3-venv``, made by
   ``debootstrap`` from the mirror the host's apt uses (Docker Hub is not needed), tarred once into
   the cache (``agent-base/<suite>-<hash>.tar``) and ``docker import``-ed as
   ``rbcc-agent-base:<suite>-<hash>`` when the engine lacks it;
2. a **wheelhouse** of rbcc's dependencies, downloaded on the host by ``pip download`` for the
   base's Python and architecture (so the host's own Python version does not matter);
3. the **rbcc package** as installed on the host (the files a wheel of it would hold).

The Dockerfile (``docker_image/Dockerfile``) installs the wheels with ``pip install --no-index``
into ``/opt/rbcc``, adds rbcc and makes ``rbcc agent --user-data /tmp/user-data/parameters.properties``
the command.  The image is labelled with rbcc's version and a digest of the package's files, so
that a stale image can be told from a current one (:func:`source_digest`).
"""

from __future__ import annotations

import hashlib
import os
import platform
import re
import shutil
import subprocess
import sys
import tempfile
import time
import tomllib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any

import docker  # type: ignore[import-untyped]
import docker.errors  # type: ignore[import-untyped]

import rbcc
from rbcc import __version__
from rbcc.runtime.targets.base import TargetError
from rbcc.runtime.targets.docker_properties import DEFAULT_IMAGE

DOCKERFILE_DIR = Path(__file__).parent / "docker_image"
BASE_PACKAGES = ("python3", "python3-venv", "ca-certificates")
#: the Python each Debian suite ships (the wheelhouse is downloaded for it)
SUITE_PYTHON = {"bookworm": "3.11", "trixie": "3.13"}
DEFAULT_SUITE = "bookworm"
LABEL_VERSION = "rbcc.version"
LABEL_SOURCE = "rbcc.source-digest"
#: directories of a source checkout that are never part of the package
NOT_PACKAGED = {
    ".git",
    ".venv",
    "tests",
    "benchmarks",
    "scripts",
    "editors",
    "examples",
    "docs",
    "build",
    "node_modules",
}

Progress = Callable[[str], None]


@dataclass
class BuildReport:
    """What a build did and how long each part took (seconds)."""

    tag: str
    base: str
    image_id: str = ""
    timings: dict[str, float] = field(default_factory=dict)
    reused: list[str] = field(default_factory=list)


def cache_dir() -> Path:
    explicit = os.environ.get("RBCC_CACHE_DIR")
    if explicit:
        return Path(explicit)
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "rbcc"


def apt_mirror() -> str:
    """The Debian mirror the host's apt uses (deb822 ``URIs:`` or a ``deb`` line), else deb.debian.org."""
    candidates = sorted(Path("/etc/apt/sources.list.d").glob("*.sources")) + [Path("/etc/apt/sources.list")]
    candidates += sorted(Path("/etc/apt/sources.list.d").glob("*.list"))
    for file in candidates:
        try:
            text = file.read_text(encoding="utf-8", errors="replace")
        except OSError:
            continue
        for line in text.splitlines():
            line = line.strip()
            match = re.match(r"^URIs:\s*(\S+)", line) or re.match(r"^deb\s+(?:\[[^\]]*\]\s+)?(\S+)", line)
            if match and "security" not in match.group(1):
                return match.group(1).rstrip("/")
    return "http://deb.debian.org/debian"


# ---------------------------------------------------------------------- the rbcc package
def _pyproject() -> dict[str, Any] | None:
    file = Path(rbcc.__file__).parent / "pyproject.toml"
    if not file.is_file():
        return None
    return tomllib.loads(file.read_text(encoding="utf-8"))


def package_files() -> Iterator[tuple[Path, str]]:
    """(file, path inside the ``rbcc`` package) for every file a wheel of the installed rbcc holds."""
    root = Path(rbcc.__file__).parent
    project = _pyproject()
    if project is None:  # an installed wheel: the package directory is exactly that
        for file in sorted(root.rglob("*")):
            if file.is_file() and "__pycache__" not in file.parts and file.suffix != ".pyc":
                yield file, file.relative_to(root).as_posix()
        return
    tool = project.get("tool", {}).get("setuptools", {})
    data: dict[str, list[str]] = tool.get("package-data", {})
    for package in sorted(tool.get("packages", [])):
        rel = Path(*package.split(".")[1:])
        directory = root / rel
        for file in sorted(directory.glob("*.py")):
            yield file, (rel / file.name).as_posix()
        for pattern in data.get(package, []):
            for file in sorted(directory.glob(pattern)):
                if file.is_file():
                    yield file, file.relative_to(root).as_posix()


def source_digest() -> str:
    """A digest of rbcc's package files (names and contents): what the image's rbcc is."""
    h = hashlib.sha256()
    for file, rel in package_files():
        h.update(rel.encode() + b"\0" + file.read_bytes() + b"\0")
    return h.hexdigest()[:16]


def requirements() -> list[str]:
    """rbcc's runtime dependencies (the source checkout's pyproject, else the installed metadata)."""
    project = _pyproject()
    if project is not None:
        return list(project["project"]["dependencies"])
    return [r for r in metadata.requires("rbcc") or [] if "extra ==" not in r]


# ---------------------------------------------------------------------- pieces
def _run(cmd: list[str], what: str, **kw: Any) -> subprocess.CompletedProcess[str]:
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, check=False, **kw)
    except FileNotFoundError:
        raise TargetError(f"{what}: {cmd[0]} is not installed") from None
    if proc.returncode != 0:
        raise TargetError(f"{what} failed (exit {proc.returncode}):\n{(proc.stdout + proc.stderr)[-3000:]}")
    return proc


def base_rootfs(suite: str, mirror: str, cache: Path, progress: Progress, rebuild: bool = False) -> Path:
    """The cached tarball of a Debian minbase with Python (made by debootstrap when missing)."""
    key = hashlib.sha256(f"{suite}|{mirror}|{','.join(BASE_PACKAGES)}|{platform.machine()}".encode()).hexdigest()[:10]
    tarball = cache / "agent-base" / f"{suite}-{key}.tar"
    if tarball.is_file() and not rebuild:
        return tarball
    if shutil.which("debootstrap") is None:
        raise TargetError("building the agent image's base needs debootstrap (apt-get install debootstrap)")
    if os.geteuid() != 0:
        raise TargetError("building the agent image's base needs root (debootstrap makes a Debian root file system)")
    tarball.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="rootfs-", dir=tarball.parent))
    try:
        root = work / "root"
        progress(f"debootstrap {suite} from {mirror} (once; cached in {tarball.parent})")
        _run(
            ["debootstrap", "--variant=minbase", f"--include={','.join(BASE_PACKAGES)}", suite, str(root), mirror],
            "debootstrap",
        )
        for junk in ("var/cache/apt/archives", "var/lib/apt/lists", "usr/share/doc", "usr/share/man", "usr/share/info"):
            target = root / junk
            if target.is_dir():
                for child in target.iterdir():
                    if child.is_file() or child.is_symlink():
                        child.unlink()
                    elif child.is_dir() and child.name != "partial":
                        shutil.rmtree(child)
        partial = work / "rootfs.tar"
        _run(["tar", "--numeric-owner", "-C", str(root), "-cf", str(partial), "."], "tar of the base")
        os.replace(partial, tarball)
    finally:
        subprocess.run(["rm", "-rf", "--one-file-system", str(work)], check=False)
    return tarball


def base_image(client: docker.DockerClient, tarball: Path, progress: Progress) -> tuple[str, bool]:
    """``rbcc-agent-base:<tarball name>`` on the engine (imported when missing); True when it was there."""
    tag = f"rbcc-agent-base:{tarball.stem}"
    try:
        client.images.get(tag)
        return tag, True
    except docker.errors.ImageNotFound:
        pass
    progress(f"importing {tag}")
    client.api.import_image_from_file(
        str(tarball), repository="rbcc-agent-base", tag=tarball.stem, changes=['CMD ["/bin/bash"]']
    )
    client.images.get(tag)
    return tag, False


def wheelhouse(target: Path, python_version: str, progress: Progress, refresh: bool = False) -> bool:
    """rbcc's dependencies as wheels for the base's Python (``pip download``, binary wheels only).

    Returns False when the cached wheelhouse already holds them (same requirements, same Python).
    """
    reqs = requirements()
    wanted = "".join(r + "\n" for r in reqs)
    stamp = target / ".complete"
    if not refresh and stamp.is_file() and stamp.read_text(encoding="utf-8") == wanted:
        return False
    target.mkdir(parents=True, exist_ok=True)
    stamp.unlink(missing_ok=True)
    (target / "requirements.txt").write_text(wanted, encoding="utf-8")
    arch = platform.machine()
    platforms = [f"manylinux_2_{minor}_{arch}" for minor in range(5, 37)]
    platforms += [f"manylinux2014_{arch}", f"manylinux2010_{arch}", f"manylinux1_{arch}", f"linux_{arch}"]
    abi = "cp" + python_version.replace(".", "")
    progress(f"pip download {len(reqs)} requirements for Python {python_version}")
    cmd = [sys.executable, "-m", "pip", "download", "--quiet", "--disable-pip-version-check", "--only-binary=:all:"]
    cmd += [
        "--python-version",
        python_version,
        "--implementation",
        "cp",
        "--abi",
        abi,
        "--abi",
        "abi3",
        "--abi",
        "none",
    ]
    for p in platforms:
        cmd += ["--platform", p]
    _run([*cmd, "--dest", str(target), *reqs], "downloading rbcc's dependencies (pip download)")
    stamp.write_text(wanted, encoding="utf-8")
    return True


def _context(directory: Path, wheels: Path) -> None:
    shutil.copy2(DOCKERFILE_DIR / "Dockerfile", directory / "Dockerfile")
    shutil.copytree(wheels, directory / "context" / "wheels", ignore=shutil.ignore_patterns(".complete"))
    for file, rel in package_files():
        dest = directory / "context" / "rbcc" / "rbcc" / rel
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(file, dest)


def image_is_current(client: docker.DockerClient, tag: str = DEFAULT_IMAGE) -> bool:
    """Whether ``tag`` exists and holds the rbcc installed here (same files)."""
    try:
        labels = client.images.get(tag).labels or {}
    except docker.errors.ImageNotFound:
        return False
    return labels.get(LABEL_SOURCE) == source_digest()


def build_agent_image(
    client: docker.DockerClient,
    tag: str = DEFAULT_IMAGE,
    suite: str = DEFAULT_SUITE,
    mirror: str | None = None,
    cache: Path | None = None,
    rebuild_base: bool = False,
    progress: Progress | None = None,
) -> BuildReport:
    """Build the agent image ``tag`` on the engine ``client`` talks to, offline (see the module doc)."""
    say = progress or (lambda text: None)
    if suite not in SUITE_PYTHON:
        raise TargetError(f"unknown Debian suite {suite!r} (known: {', '.join(sorted(SUITE_PYTHON))})")
    cache = cache or cache_dir()
    mirror = mirror or apt_mirror()
    report = BuildReport(tag=tag, base="")
    t = time.monotonic()
    tarball = base_rootfs(suite, mirror, cache, say, rebuild_base)
    report.timings["base rootfs"] = time.monotonic() - t
    t = time.monotonic()
    try:
        report.base, there = base_image(client, tarball, say)
        if there:
            report.reused.append("base image")
        report.timings["base image"] = time.monotonic() - t
        with tempfile.TemporaryDirectory(prefix="rbcc-agent-image-") as tmp:
            t = time.monotonic()
            wheels = cache / "wheels" / f"py{SUITE_PYTHON[suite]}"
            if not wheelhouse(wheels, SUITE_PYTHON[suite], say, refresh=rebuild_base):
                report.reused.append("wheelhouse")
            report.timings["wheelhouse"] = time.monotonic() - t
            t = time.monotonic()
            _context(Path(tmp), wheels)
            say(f"building {tag}")
            image, _ = client.images.build(
                path=tmp,
                tag=tag,
                buildargs={"BASE": report.base},
                labels={LABEL_VERSION: __version__, LABEL_SOURCE: source_digest()},
                rm=True,
                forcerm=True,
            )
            report.image_id = image.id
            report.timings["image"] = time.monotonic() - t
    except docker.errors.BuildError as exc:
        tail = "".join(str(c.get("stream") or c.get("error") or "") for c in exc.build_log)[-3000:]
        raise TargetError(f"building {tag} failed: {exc.msg}\n{tail}") from None
    except docker.errors.DockerException as exc:
        raise TargetError(f"building {tag}: {exc}") from None
    return report
