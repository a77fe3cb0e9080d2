"""``rbcc agent-image build``: the image the ``docker`` target runs its agents in, built offline."""

from __future__ import annotations

from pathlib import Path

import click

from rbcc.cli.base import RbccCommand


@click.group("agent-image")
def agent_image() -> None:
    """The Docker image of rbcc's agent (`handler = docker` machines)."""


@agent_image.command("build", cls=RbccCommand)
@click.option(
    "--endpoint",
    metavar="URL",
    help="The Docker engine (default: $DOCKER_HOST, else unix:///var/run/docker.sock).",
)
@click.option("--tag", metavar="NAME:TAG", help="The image's tag (default: rbcc-agent:<rbcc version>).")
@click.option("--suite", default="bookworm", show_default=True, help="The Debian release of the base.")
@click.option("--mirror", metavar="URL", help="The Debian mirror (default: the one apt uses on this host).")
@click.option(
    "--cache-dir",
    type=click.Path(path_type=Path, file_okay=False),
    help="Where the base's root file system and the wheels are kept (default: $RBCC_CACHE_DIR or ~/.cache/rbcc).",
)
@click.option(
    "--rebuild-base", is_flag=True, help="Run debootstrap and pip download again even when their results are cached."
)
def build(
    endpoint: str | None,
    tag: str | None,
    suite: str,
    mirror: str | None,
    cache_dir: Path | None,
    rebuild_base: bool,
) -> None:
    """Build the agent image: Debian minbase + Python + rbcc, command `rbcc agent`, no registry needed."""
    import os

    import docker  # type: ignore[import-untyped]

    from rbcc.errors import RbccError
    from rbcc.runtime.targets.agent_image import build_agent_image
    from rbcc.runtime.targets.docker_properties import DEFAULT_IMAGE

    url = endpoint or os.environ.get("DOCKER_HOST") or "unix:///var/run/docker.sock"
    try:
        client = docker.DockerClient(base_url=url, version="auto", timeout=600)
    except docker.errors.DockerException as exc:
        raise RbccError(f"cannot reach the Docker engine at {url}: {exc}") from None
    try:
        report = build_agent_image(
            client,
            tag=tag or DEFAULT_IMAGE,
            suite=suite,
            mirror=mirror,
            cache=cache_dir,
            rebuild_base=rebuild_base,
            progress=lambda text: click.echo(f"  {text}", err=True),
        )
    finally:
        client.close()
    total = sum(report.timings.values())
    parts = ", ".join(f"{k} {v:.1f} s" for k, v in report.timings.items())
    click.echo(f"built {report.tag} ({report.image_id[:19]}) from {report.base} in {total:.1f} s ({parts})")
