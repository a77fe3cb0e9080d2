"""Starting and stopping the engine (with a swarm) leaves the host as it found it."""

from __future__ import annotations

import pytest

from tests.engine.harness import HostState, missing_requirements, running_engine
from tests.support import need

pytestmark = pytest.mark.engine


def test_engine_and_swarm_leave_the_host_as_they_found_it():
    reason = missing_requirements()
    need(reason is None, reason or "")
    before = HostState.capture()
    with running_engine() as engine:
        assert engine.docker("run", "--rm", "busybox:local", "echo", "hello").stdout.strip() == "hello"
        with engine.swarm():
            pass
        during = HostState.capture()
        assert during.comparable() != before.comparable(), "the engine changes the host (bridges, iptables)"
    assert HostState.capture().comparable() == before.comparable()
