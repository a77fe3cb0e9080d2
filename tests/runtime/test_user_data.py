"""An agent's user data: Java properties that survive the round trip, and the settings they carry."""

from __future__ import annotations

from pathlib import Path

import pytest

from rbcc.errors import RbccError
from rbcc.runtime import user_data as ud
from rbcc.runtime.settings import Settings


def test_user_data_round_trips_through_java_properties(tmp_path: Path) -> None:
    values = {
        "scoped.instance.path": "/vm 1/a:b=c",
        "application.name": "Storm # 2!",
        "rbcc.dm.url": "wss://127.0.0.1:8181/rbcc/bus",
        "rbcc.app.dir": " /tmp/with leading space\\and\\backslashes",
        "note": "café ✓ 𝄞\nsecond line\ttab",
        "key with space": "",
    }
    path = tmp_path / "user-data.properties"
    ud.write(path, values)
    assert ud.read(path) == values
    text = path.read_text(encoding="ascii")  # ASCII only: \\uXXXX escapes
    assert "\\u00e9" in text and path.stat().st_mode & 0o777 == 0o600


def test_settings_travel_in_the_user_data() -> None:
    settings = Settings(
        heartbeat_period=0.2, recipe_timeout=5, max_parallel_steps=3, failure_mode="roboconf",
        cascade_recipes=False, forbidden_ports=(10000, 10002), agent_ip="10.0.0.7",
    )  # fmt: skip
    back = ud.settings_of(ud.settings_values(settings))
    for name in ud.AGENT_SETTINGS:
        assert getattr(back, name) == getattr(settings, name)


def test_a_malformed_setting_is_a_clear_error() -> None:
    with pytest.raises(RbccError, match="rbcc.settings.heartbeat_period"):
        ud.settings_of({"rbcc.settings.heartbeat_period": "soon"})
    with pytest.raises(RbccError, match="failure_mode"):
        ud.settings_of({"rbcc.settings.failure_mode": "never"})
