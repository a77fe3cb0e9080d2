"""The engine family's shared fixture: one dockerd for the whole session (starting one costs seconds).

A test that starts an engine of its own (``running_engine()``, to watch the host change and be restored)
cannot overlap the shared one, since both would own docker0 and the iptables chains: such tests are
moved before every test that uses the ``engine`` fixture.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest

from tests.engine.harness import Engine, missing_requirements, running_engine
from tests.support import need

if TYPE_CHECKING:
    import docker


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    items.sort(key=lambda item: "engine" in getattr(item, "fixturenames", ()))


@pytest.fixture(scope="session")
def engine() -> Iterator[Engine]:
    """A running engine; at the end of the session it is stopped and the host must be as it was."""
    reason = missing_requirements()
    need(reason is None, reason or "")
    with running_engine() as e:
        yield e
    assert e.before is not None and e.after is not None
    assert e.after.comparable() == e.before.comparable(), "the host was not restored after the engine stopped"


@pytest.fixture(scope="session")
def client(engine: Engine) -> Iterator[docker.DockerClient]:
    """The Docker SDK on the session's engine."""
    import docker

    c = docker.DockerClient(base_url=f"unix://{engine.socket}")
    yield c
    c.close()


@pytest.fixture(scope="session")
def agent_image(client: docker.DockerClient) -> str:
    """The docker target's agent image, built once per session as `rbcc agent-image build` builds it
    (the debootstrap root file system and the wheels are cached across runs, in ~/.cache/rbcc)."""
    from rbcc.runtime.targets.agent_image import build_agent_image
    from rbcc.runtime.targets.docker_properties import DEFAULT_IMAGE

    need(shutil.which("debootstrap") is not None, "debootstrap is not installed (.ci/install-system-tools)")
    build_agent_image(client)
    return DEFAULT_IMAGE
