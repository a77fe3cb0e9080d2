"""Fixtures of the executor's tests: a private RabbitMQ broker for the session (tests/runtime/broker.py),
and a private rendezvous directory (never the user's ``~/.local/state/rbcc/inter-app``)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.runtime.broker import Broker, available
from tests.support import need


@pytest.fixture(scope="session")
def rabbit_broker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Broker]:
    """One broker on loopback for every RabbitMQ test of the session, stopped by PID at the end."""
    need(available(), "rabbitmq-server (Debian's package) is not installed")
    with Broker.start(tmp_path_factory.mktemp("broker")) as broker:
        yield broker


@pytest.fixture(autouse=True)
def _private_rendezvous(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RBCC_INTER_APP_DIR", str(tmp_path / "inter-app"))
