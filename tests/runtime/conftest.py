"""Fixtures of the executor's tests: a private RabbitMQ broker for the session (tests/runtime/broker.py)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.runtime.broker import Broker, available
from tests.support import need


@pytest.fixture(scope="session")
def rabbit_broker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Broker]:
    """One broker on loopback for every RabbitMQ test of the session, stopped by PID at the end."""
    need(available(), "rabbitmq-server (Debian's package) is not installed")
    with Broker.start(tmp_path_factory.mktemp("broker")) as broker:
        yield broker
